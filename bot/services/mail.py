"""Outgoing mail (aiosmtplib): plain text and HTML parts, STARTTLS, implicit TLS or neither.

Addresses are personal data: they are never logged, only the recipient's domain is.
"""

from __future__ import annotations

import html
import logging
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from bot.config import Settings
from bot.errors import DomainError
from bot.i18n import _

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    security: str  # starttls | tls | none
    sender: str
    username: str | None = None
    password: str | None = None
    timeout: float = 20.0
    # Certificates are checked against the system's authorities unless a context is given (tests).
    tls_context: ssl.SSLContext | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSettings | None:
        if settings.smtp_host is None or settings.mail_from is None:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            sender=settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )


def build_message(sender: str, to: str, subject: str, text: str, html_body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message.set_content(text)
    message.add_alternative(html_body, subtype="html")
    return message


def paragraphs_html(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f'<!doctype html><html><body style="font-family:sans-serif">{body}</body></html>'


class Mailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, to: str, subject: str, text: str, html_body: str) -> None:
        """Send one mail; a failure is a DomainError the member can act on (try again later)."""
        s = self.settings
        message = build_message(s.sender, to, subject, text, html_body)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                use_tls=s.security == "tls",
                start_tls=s.security == "starttls",
                timeout=s.timeout,
                tls_context=s.tls_context,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The address stays out of the log: the domain is enough to investigate.
            log.warning(
                "could not send mail to a @%s address via %s:%s: %s",
                to.rsplit("@", 1)[-1],
                s.host,
                s.port,
                type(exc).__name__,
            )
            raise DomainError(
                _("The email could not be sent right now. Please try again in a few minutes.")
            ) from exc
