"""Every text of the web pages, marked for translation (``bot/locales/*/web.json``).

Templates write ``t("...")`` with these same English source strings; tests/web checks that each one a
template uses is listed here, so the catalogs' checks (tests/bot/test_i18n.py) see them all.
"""

from __future__ import annotations

from bot.i18n import _

# Texts the Python side of the site composes.
SEATS_LEFT = _("{free:n} of {capacity:n} seats left")
SEATS_FULL = _("Full: {count:n} on the waitlist")
NOT_FOUND_PARK = _("No park has this address: search the directory instead.")
NOT_FOUND_WORKSHOP = _("No workshop has this number.")
NOT_FOUND_REPORT = _("No public report has this number.")
NOT_FOUND_CERTIFICATE = _("No certificate has this number: check it against the certificate.")
TOO_MANY_SEARCHES = _("Too many searches from your address: try again in {seconds} seconds.")

# Texts of the templates (bot/web/templates/*.html).
TEMPLATE_STRINGS = (
    _("Certificate of completion"),
    _("This certificate is genuine."),
    _("Issued to"),
    _("For"),
    _("Number"),
    _("CISIP community"),
    _("Main menu"),
    _("Parks"),
    _("Workshops"),
    _("Reports"),
    _("Language"),
    _("Community of International Science-Industry Parks"),
    _("Workshop calendar (iCal)"),
    _("Back to the home page"),
    _(
        "CISIP is an international network of science and technology parks, tech firms, investors "
        "and innovation institutions. Every year it holds the Science Park Management Workshop and "
        "publishes the Science Park Development Report."
    ),
    _("Next workshop"),
    _("No workshop is scheduled yet."),
    _("Newest report"),
    _("No public report is published yet."),
    _("Join us on Discord"),
    _(
        "Members meet in CISIP's Discord server: they verify who they are, look parks up, register "
        "for workshops and receive the reports."
    ),
    _("Join the Discord server"),
    _("Ask CISIP's staff for an invitation."),
    _("Park directory"),
    _("Search parks by name, in English or Chinese"),
    _("Search"),
    _("Browse all {count:n} parks"),
    _("Pages"),
    _("Previous"),
    _("Page {page:n} of {pages:n}"),
    _("Next"),
    _("CISIP member park"),
    _("Country"),
    _("City"),
    _("Region"),
    _("Founded"),
    _("Focus"),
    _("Also known as"),
    _("Website"),
    _("Verified members linked"),
    _("{count:n} members"),
    _("Source"),
    _("Back to the directory"),
    _("Any"),
    _("{count:n} parks"),
    _("Parks per country, region and founding decade"),
    _("Year"),
    _("Download the PDF"),
    _("Read the report online"),
    _("All reports"),
    _("This workshop was cancelled."),
    _("Starts"),
    _("Ends"),
    _("Location"),
    _("Registration closes"),
    _("Seats"),
    _("Who may register"),
    _("Verified CISIP members"),
    _("Everyone in the Discord server"),
    _("Add to my calendar (.ics)"),
    _(
        "Register with the Register button of the workshop's announcement in the Discord server, "
        "or with /workshop info."
    ),
    _("All workshops"),
    _("Subscribe to every workshop in your calendar (iCal)"),
    _("Upcoming"),
    _("Past editions"),
    _("Cancelled"),
    _("No past editions yet."),
)
