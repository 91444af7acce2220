"""A server full of things to name, the bot in it, and the checks every hostile interaction must pass.

The arena sends interactions the way a client could, not the way the test DSL allows: it builds the
payload itself from the registered command tree (so every option of every command is covered, a new
one included, without a test naming it) and from whatever values a strategy drew. After each one:

- it was answered, the first answer within Discord's 3 seconds, and a deferred one followed up;
- no answer says "Something went wrong", nothing was logged at ERROR or above;
- Discord (the emulator) refused none of the bot's requests as malformed (a message too long, an
  embed over its limits, a choice name over 100 characters);
- no message pinged @everyone or @here;
- a refused interaction changed nothing the bot keeps (no half-written rows).

After each example the database holds no NUL or other control character, no text longer than its
column, and no name, title or label with nothing visible in it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import String, Text, select, text

import bot.db.models_calendar
import bot.db.models_members
import bot.db.models_parks
import bot.db.models_reports
import bot.db.models_workshops  # noqa: F401  (every table in Base.metadata)
from bot.db.models import Base
from bot.fields import canonical_text
from tests.cogs.conftest import BotHarness
from tests.fakediscord import Perm
from tests.fakediscord.dsl import SELECT_TYPES, Modal, OptionType, Reply, walk_components
from tests.fakediscord.interactions import CallbackType, Interaction, InteractionType
from tests.fakediscord.state import Attachment, Channel, ChannelType, Member, Message, channel_permissions
from tests.hostile import strategies

GENERIC_ERROR = re.compile(r"Something went wrong|\(ref [A-Z0-9]{6}\)")
# Columns a person names things with: never empty, never invisible, always canonical.
VISIBLE_COLUMNS = {
    ("parks", "name"),
    ("workshops", "title"),
    ("workshops", "location"),
    ("workshop_series", "name"),
    ("calendar_entries", "name"),
    ("reports", "title"),
    ("reports", "summary"),
    ("member_organizations", "name"),
    ("memberships", "full_name"),
    ("memberships", "organization"),
    ("memberships", "country"),
}
# What changes beside an interaction (background work, bookkeeping): left out of "nothing changed".
VOLATILE_TABLES = {
    "scheduled_jobs",
    "user_locales",
    "audit_log",
    "command_sync",
    "report_deliveries",
    "workshop_reminder_deliveries",
    "recurrences",
    "alembic_version",
}
VOLATILE_COLUMNS = {"delivery_state", "announcement_message_id", "updated_at", "last_run_at", "message_id"}
# Controls a stored text may hold: line breaks (multi-line fields). Tabs and the rest are normalised.
ALLOWED_CONTROLS = {"\n"}


@dataclass
class CommandSpec:
    """One leaf command as registered: ``/workshop info``."""

    path: str
    command: dict[str, Any]
    options: list[dict[str, Any]]
    staff: bool

    @property
    def autocompleted(self) -> list[dict[str, Any]]:
        return [option for option in self.options if option.get("autocomplete")]


def leaf_commands(registered: list[dict[str, Any]]) -> list[CommandSpec]:
    found: list[CommandSpec] = []

    def walk(command: dict[str, Any], words: list[str], options: list[dict[str, Any]]) -> None:
        subs = [option for option in options if option["type"] in (1, 2)]
        if not subs:
            staff = command.get("default_member_permissions") not in (None, "0")
            found.append(CommandSpec(" ".join(words), command, options, staff))
            return
        for sub in subs:
            walk(command, [*words, sub["name"]], sub.get("options") or [])

    for command in registered:
        if command.get("type", 1) == 1:
            walk(command, [command["name"]], command.get("options") or [])
    return sorted(found, key=lambda spec: spec.path)


@dataclass(frozen=True)
class Plan:
    """What happens after a command answers, drawn before it answers: the values typed into a form
    it opens, and whether (and which, and by whom) a button it shows is pressed."""

    slots: list[strategies.Slot]
    select: int
    press: bool
    button: int
    presser: int
    then: list[strategies.Slot]
    benign: bool  # forms filled to pass (plausible values, free text wrapped in nasty characters)

    @classmethod
    def draw(cls, data: st.DataObject, *, benign: bool = False) -> Plan:
        return cls(
            data.draw(strategies.slots(), label="value"),
            data.draw(st.integers(0, 2**16), label="value"),
            data.draw(st.booleans(), label="value"),
            data.draw(st.integers(0, 2**16), label="value"),
            data.draw(st.integers(0, 3), label="value"),
            data.draw(strategies.slots(), label="value"),
            benign,
        )

    def deeper(self) -> Plan:
        """The plan for what the form or button leads to (a confirmation, a second form)."""
        return Plan(
            self.then, self.select + 1, self.press, self.button + 1, self.presser, self.slots, self.benign
        )


class ErrorLog(logging.Handler):
    """Everything logged at ERROR or above, and the interactions the error handler refused."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.errors: list[str] = []
        self.refused: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            text = f"{record.name}: {self.format(record)}"
            self.errors.append(text.encode("utf-8", "backslashreplace").decode("utf-8"))
        elif record.name == "bot.ui.errors" and record.msg.startswith("refused interaction"):
            self.refused.add(int(record.args[0]))  # type: ignore[index]


@dataclass(repr=False)
class Arena:
    cisip: BotHarness
    log: ErrorLog = field(default_factory=ErrorLog)
    commands: list[CommandSpec] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    interactions: int = 0

    @property
    def discord(self) -> Any:
        return self.cisip.discord

    def __repr__(self) -> str:
        return f"<Arena: {self.interactions} interactions so far>"

    # -- the world ------------------------------------------------------------------------------

    async def build(self) -> None:
        d = self.discord
        admins = d.add_role("Admins", permissions=Perm.MANAGE_GUILD)
        self.verified = d.add_role("Verified")
        d.add_role("Pingable", mentionable=True)
        self.staff = d.add_member("sam", roles=[admins])
        self.member = d.add_member("mia")
        self.verified_member = d.add_member("vic", roles=[self.verified])
        for name in ("workshops", "reports", "audit", "welcome", "verification"):
            d.add_channel(name)
        d.add_channel("Lounge", type=ChannelType.GUILD_VOICE)
        d.add_channel("Category", type=ChannelType.GUILD_CATEGORY)
        self.commands = leaf_commands(d.commands())
        for logger in ("", "bot", "cogs", "discord", "asyncio", "sqlalchemy"):
            logging.getLogger(logger).addHandler(self.log)
        logging.getLogger("bot.ui.errors").setLevel(logging.DEBUG)
        await self.settle()
        # Someone who joins now is welcomed with a Verify button in #welcome.
        self.newcomer = d.add_member("newbie")

    def close(self) -> None:
        for logger in ("", "bot", "cogs", "discord", "asyncio", "sqlalchemy"):
            logging.getLogger(logger).removeHandler(self.log)

    async def settle(self) -> None:
        """Put the server back in working order and something of every kind in it, whatever the
        last example did: channels and roles set, a workshop, a report, a calendar entry, an
        organization."""
        settings = self.cisip.bot.services.guild_settings
        guild = self.discord.guild.id
        for kind in ("workshops", "reports", "audit", "welcome", "verification"):
            await settings.set_channel(guild, kind, self.discord.channel(kind).id)
        await settings.set_role(guild, "verified", self.verified.id)
        await settings.set_language(guild, "en")
        counts = await self.counts("workshops", "reports", "calendar_entries", "member_organizations")
        staff = self.staff
        if not counts["workshops"]:
            opened = await self.discord.slash(staff, "workshop-admin create", capacity=2)
            if opened.modal is not None:
                await self.discord.submit_modal(
                    staff,
                    opened.modal,
                    {
                        "title": "Science Park Management Workshop",
                        "starts": "2027-09-20 09:00",
                        "ends": "2027-09-22 17:00",
                        "location": "Tianjin",
                        "description": "Three days.",
                    },
                )
        if not counts["reports"]:
            await self.discord.slash(
                staff,
                "report-admin publish",
                title="Development Report",
                year=2026,
                summary="Parks grew.",
                language="en",
                url="https://cisip.org/r.pdf",
            )
        if not counts["calendar_entries"]:
            opened = await self.discord.slash(
                staff,
                "calendar add",
                options={"name": "Spring", "month": 3, "day": 15, "time": "09:00", "channel": "general"},
            )
            if opened.modal is not None:
                await self.discord.submit_modal(staff, opened.modal, {"message": "Spring {year}!"})
        if not counts["member_organizations"]:
            await self.discord.slash(staff, "members org add", name="TusPark", domain="tuspark.example")
        await self.remember_names()

    async def counts(self, *tables: str) -> dict[str, int]:
        async with self.cisip.bot.db.session() as session:
            return {
                table: int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
                for table in tables
            }

    async def remember_names(self) -> None:
        """Ids and names that exist, for strategies to pick from beside hostile text."""
        queries = (
            "SELECT id FROM workshops",
            "SELECT id FROM reports",
            "SELECT name FROM calendar_entries",
            "SELECT slug FROM parks ORDER BY slug LIMIT 10",
            "SELECT domain FROM member_organizations",
            "SELECT title FROM workshops",
            "SELECT title FROM reports",
        )
        found: list[str] = []
        async with self.cisip.bot.db.session() as session:
            for query in queries:
                found.extend(str(value) for value in (await session.scalars(text(query))).all())
        self.known = found

    @property
    def actors(self) -> list[Member]:
        return [self.member, self.verified_member, self.staff]

    def actor_for(self, data: st.DataObject, spec: CommandSpec) -> Member:
        """Staff most of the time for a staff command (to get past the staff check and reach the
        rules), anyone otherwise."""
        pick = data.draw(st.integers(0, 5), label="value")
        if _staff_only_option(spec, {}) and pick < 3:
            return self.staff
        return self.actors[pick % len(self.actors)]

    def entity(self, pool: list[Any], pick: int) -> Any:
        return pool[pick % len(pool)]

    # -- drawing an interaction: values first, then the world ------------------------------------
    #
    # Hypothesis must see the same draws for the same choices, whatever the world looks like (it
    # explores by replaying prefixes): so every value is drawn from the static command tree alone,
    # and only then applied to what exists (a Known index becomes a name, a pick an entity).

    def draw_options(
        self, data: st.DataObject, spec: CommandSpec, *, focused: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
        options: list[dict[str, Any]] = []
        resolved: dict[str, dict[str, Any]] = {}
        benign = data.draw(st.integers(0, 3), label="value") in (1, 2)  # the simplest example is hostile
        for option in spec.options:
            name = option["name"]
            if focused is not None and name == focused["name"]:
                value = data.draw(strategies.text(), label="value")
                options.append({"name": name, "type": option["type"], "value": value, "focused": True})
                continue
            give = data.draw(st.integers(0, 30), label="value")
            if (option.get("required") and give == 0) or (not option.get("required") and give % 2):
                continue  # a required option left out 1 in 31, an optional one half the time
            value = self.draw_value(data, option, resolved, benign=benign)
            options.append({"name": name, "type": option["type"], "value": value})
        if data.draw(st.integers(0, 40), label="value") == 0 and not benign:
            options.append({"name": "no_such_option", "type": 3, "value": "x"})
        return options, resolved, benign

    def draw_value(
        self, data: st.DataObject, option: dict[str, Any], resolved: dict[str, Any], *, benign: bool = False
    ) -> Any:
        """A value for ``option``: hostile; or, when ``benign`` (a command meant to be accepted, so
        that what it stores is checked), plausible where the option has plausible values and a
        valid word wrapped in nasty characters in free text."""
        kind, name = option["type"], option["name"]
        if option.get("choices"):
            on_list = data.draw(st.integers(0, 5), label="value")
            if on_list:
                return self.entity([choice["value"] for choice in option["choices"]], on_list * 7919)
        if kind == OptionType.STRING:
            plausible = strategies.PLAUSIBLE.get(name)
            value = data.draw(
                strategies.typed(max_length=option.get("max_length"), min_length=option.get("min_length", 0)),
                label=name,
            )
            use_plausible = data.draw(st.integers(0, 2), label="value")
            gentle = data.draw(strategies.wrapped(), label="value")
            if plausible and name not in strategies.FREE_TEXT and (use_plausible or benign):
                return plausible[use_plausible % len(plausible)]
            if benign and not plausible:
                return gentle[: option.get("max_length", 6000)]
            if isinstance(value, strategies.Known):
                found = self.entity(self.known, value.index) if self.known else "1"
                return f"  {found}\u200b " if value.padded else found
            return value
        if kind in (OptionType.INTEGER, OptionType.NUMBER):
            value = data.draw(strategies.number(option.get("min_value"), option.get("max_value")), label=name)
            plausible = strategies.PLAUSIBLE.get(name)
            if plausible and (data.draw(st.booleans(), label="value") or benign):
                return plausible[0]
            if benign:
                low, high = option.get("min_value"), option.get("max_value")
                return low if low is not None else (high if high is not None else 1)
            return value
        if kind == OptionType.BOOLEAN:
            return data.draw(strategies.boolean(), label=name)
        pick = data.draw(st.integers(0, 2**16), label="value")
        missing = data.draw(st.integers(0, 8), label="value") == 0
        if kind in (OptionType.USER, OptionType.MENTIONABLE):
            who = self.entity([*self.actors, self.discord.bot_member], pick)
            if not missing:
                self._resolve_member(who, resolved)
            return str(who.user.id)
        if kind == OptionType.ROLE:
            role = self.entity(sorted(self.discord.guild.roles.values(), key=lambda r: r.id), pick)
            if not missing:
                resolved.setdefault("roles", {})[str(role.id)] = role.to_json()
            return str(role.id)
        if kind == OptionType.CHANNEL:
            channel = self.entity(sorted(self.discord.guild.channels.values(), key=lambda c: c.id), pick)
            if not missing:
                self._resolve_channel(channel, resolved)
            return str(channel.id)
        if kind == OptionType.ATTACHMENT:
            filename = data.draw(strategies.file_name(), label="value")
            attachment = self.upload(filename, data.draw(strategies.file_bytes(), label="value"))
            if not missing:
                resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.to_json()
            return str(attachment.id)
        return None

    def _resolve_member(self, who: Member, resolved: dict[str, Any]) -> None:
        resolved.setdefault("users", {})[str(who.user.id)] = who.user.to_json()
        general = self.discord.channel("general")
        resolved.setdefault("members", {})[str(who.user.id)] = {
            **who.to_json(with_user=False),
            "permissions": str(channel_permissions(self.discord.guild, general, who)),
        }

    def _resolve_channel(self, channel: Channel, resolved: dict[str, Any]) -> None:
        perms = channel_permissions(self.discord.guild, channel, self.discord.bot_member)
        resolved.setdefault("channels", {})[str(channel.id)] = {
            **channel.to_json(self.discord.em.world),
            "permissions": str(perms),
        }

    def upload(self, filename: str, data: bytes) -> Attachment:
        em = self.discord.em
        attachment_id = em.ids.next()
        safe = filename.encode("utf-8", "replace").decode("utf-8") or "file"
        attachment = Attachment(attachment_id, safe, data, em.attachment_url(attachment_id, "file"), None)
        em.world.attachments[attachment_id] = attachment
        return attachment

    def command_data(
        self, spec: CommandSpec, options: list[dict[str, Any]], resolved: dict[str, Any]
    ) -> dict[str, Any]:
        command = spec.command
        data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        container, defs = data, command.get("options") or []
        for word in spec.path.split()[1:]:
            declared = next(option for option in defs if option["name"] == word)
            node: dict[str, Any] = {"name": word, "type": declared["type"], "options": []}
            container["options"] = [node]
            container, defs = node, declared.get("options") or []
        container["options"] = options
        if resolved:
            data["resolved"] = resolved
        return data

    # -- playing it -----------------------------------------------------------------------------

    async def command(self, data: st.DataObject, spec: CommandSpec, actor: Member) -> None:
        options, resolved, benign = self.draw_options(data, spec)
        plan = Plan.draw(data, benign=benign)
        if benign and _staff_only_option(spec, {}):
            actor = self.staff
        payload = self.command_data(spec, options, resolved)
        reply = await self.send(
            actor, InteractionType.APPLICATION_COMMAND, payload, what=f"/{spec.path} {options!r}"
        )
        await self.follow(plan, actor, reply, f"/{spec.path}")

    async def autocomplete(
        self, data: st.DataObject, spec: CommandSpec, actor: Member, option: dict[str, Any]
    ) -> None:
        options, resolved, _ = self.draw_options(data, spec, focused=option)
        payload = self.command_data(spec, options, resolved)
        reply = await self.send(
            actor, InteractionType.AUTOCOMPLETE, payload, what=f"autocomplete /{spec.path} {options!r}"
        )
        assert reply.type == CallbackType.AUTOCOMPLETE_RESULT, f"autocomplete /{spec.path} answered {reply}"
        if actor is not self.staff and _staff_only_option(spec, option):
            assert reply.choices == [], f"/{spec.path} {option['name']} suggested {reply.choices} to a member"

    async def follow(self, plan: Plan, actor: Member, reply: Reply, what: str, depth: int = 0) -> None:
        """Fill in a form the bot opened; sometimes press one of the buttons it showed."""
        if depth >= 2:
            return
        if reply.modal is not None:
            payload = self.modal_data(plan, reply.modal)
            submitted = await self.send(
                actor,
                InteractionType.MODAL_SUBMIT,
                payload,
                what=f"{what} form {payload!r}",
                origin=reply.modal.origin,
            )
            await self.follow(plan.deeper(), actor, submitted, f"{what} form", depth + 1)
            return
        message = reply.message
        buttons = [
            b
            for b in walk_components(message.components if message else [])
            if b.get("type") == 2 and "custom_id" in b and not b.get("disabled")
        ]
        if message is None or not buttons or not plan.press:
            return
        button = self.entity(buttons, plan.button)
        presser = self.entity([actor, *self.actors], plan.presser)
        pressed = await self.send(
            presser,
            InteractionType.MESSAGE_COMPONENT,
            {"custom_id": button["custom_id"], "component_type": 2},
            what=f"{what} button {button.get('label')!r}",
            message=message,
        )
        await self.follow(plan.deeper(), presser, pressed, f"{what} button", depth + 1)

    async def press_posted(self, data: st.DataObject) -> None:
        """Press a button the bot posted (announcements, welcomes, queue cards, DMs) as anyone,
        sometimes with a custom id no message carries (a client can send any)."""
        press = data.draw(st.booleans(), label="value")
        pick = data.draw(st.integers(0, 2**16), label="value")
        forge = data.draw(st.integers(0, 3), label="value") == 0
        forged_key = data.draw(
            st.sampled_from([str(2**63), str(2**64), "9" * 40, "0", "-1", "x", ""]), label="value"
        )
        presser = self.entity(self.actors, data.draw(st.integers(0, 2), label="value"))
        plan = Plan.draw(data)
        em = self.discord.em
        posted = sorted(
            (
                (message.id, button["custom_id"], message)
                for channel in list(em.world.channels.values())
                for message in list(em.world.channel_messages(channel.id).values())[-20:]
                if not message.ephemeral
                for button in walk_components(message.components)
                if button.get("type") == 2 and "custom_id" in button and not button.get("disabled")
            ),
            key=lambda entry: (entry[0], entry[1]),
        )
        if not press or not posted:
            return
        _, custom_id, message = self.entity(posted, pick)
        if forge:
            custom_id = custom_id.rsplit(":", 1)[0] + ":" + forged_key
        reply = await self.send(
            presser,
            InteractionType.MESSAGE_COMPONENT,
            {"custom_id": custom_id, "component_type": 2},
            what=f"press {custom_id!r}",
            message=message,
        )
        await self.follow(plan, presser, reply, f"press {custom_id!r}")

    def modal_data(self, plan: Plan, modal: Modal) -> dict[str, Any]:
        slots = iter(plan.slots)

        def submitted(component: dict[str, Any]) -> dict[str, Any]:
            kind = component.get("type")
            out: dict[str, Any] = {"type": kind}
            if "id" in component:
                out["id"] = component["id"]
            if kind == 1:
                out["components"] = [submitted(c) for c in component.get("components") or []]
            elif kind == 18:
                out["component"] = submitted(component["component"])
            elif kind == 4:
                slot = next(slots, plan.slots[-1])
                out.update(
                    custom_id=component["custom_id"],
                    value=slot.value(
                        component["custom_id"], component.get("max_length", 4000), benign=plan.benign
                    ),
                )
            elif kind == 3:
                offered = [option["value"] for option in component.get("options") or []]
                out.update(
                    custom_id=component["custom_id"], values=[self.entity(offered or ["bogus"], plan.select)]
                )
            elif kind in SELECT_TYPES:
                out.update(custom_id=component["custom_id"], values=[])
            return out

        return {"custom_id": modal.custom_id, "components": [submitted(c) for c in modal.components]}

    async def send(
        self,
        actor: Member,
        type_: int,
        payload: dict[str, Any],
        *,
        what: str,
        message: Message | None = None,
        origin: Interaction | None = None,
    ) -> Reply:
        em = self.discord.em
        channel = origin.channel if origin is not None else self.discord.channel("general")
        if message is not None:
            channel = em.world.channels[message.channel_id]
        if origin is not None:
            message = origin.message
        before_requests = len(em.requests)
        before_rows = await self.fingerprint()
        inter = em.interactions.create(type_, payload, actor.user, channel, message=message)
        self.interactions += 1
        what = _short(what)
        reply = await self.discord.wait_reply(inter, what, within=10)
        assert inter.responded_wall is not None
        took = inter.responded_wall - inter.created_wall
        assert took < 3.0, f"{what}: first answered after {took:.2f}s"
        await asyncio.sleep(0)  # let anything the reply set off start
        self.check_answer(reply, what)
        self.check_requests(before_requests, what)
        self.check_log(what)
        if inter.id in self.log.refused:
            after_rows = await self.fingerprint()
            assert after_rows == before_rows, f"{what}: refused, but the database changed"
        return reply

    def check_answer(self, reply: Reply, what: str) -> None:
        texts = [reply.content, *(m.content for m in reply.followups)]
        for message in [reply.message, *reply.followups]:
            if message is None:
                continue
            for embed in message.embeds:
                texts.append(str(embed))
            assert not message.mention_everyone, f"{what}: pinged everyone"
        for answer in texts:
            assert not GENERIC_ERROR.search(answer or ""), f"{what}: answered {answer!r}"

    def check_requests(self, since: int, what: str) -> None:
        refused = [
            f"{r.method} {r.path} -> {r.status}: {str(r.json)[:300]}"
            for r in self.discord.em.requests[since:]
            if r.status == 400
        ]
        assert not refused, f"{what}: Discord refused {refused}"

    def check_log(self, what: str) -> None:
        errors, self.log.errors[:] = list(self.log.errors), []
        assert not errors, f"{what}: logged\n" + "\n".join(errors)

    # -- the database ---------------------------------------------------------------------------

    async def rows(self) -> Iterator[tuple[str, str, Any, int | None]]:
        found: list[tuple[str, str, Any, int | None]] = []
        async with self.cisip.bot.db.session() as session:
            for table in Base.metadata.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, String | Text)]
                if not columns:
                    continue
                for row in (await session.execute(select(*columns))).all():
                    for column, value in zip(columns, row, strict=True):
                        length = column.type.length if isinstance(column.type, String) else None
                        found.append((table.name, column.name, value, length))
        return iter(found)

    async def check_database(self) -> None:
        for table, column, value, length in await self.rows():
            if not isinstance(value, str):
                continue
            where = f"{table}.{column} = {value[:80]!r}"
            bad = {char for char in value if unicodedata.category(char) in ("Cc", "Cs")} - ALLOWED_CONTROLS
            assert not bad, f"{where}: holds control characters {bad!r}"
            if length is not None:
                assert len(value) <= length, f"{where}: {len(value)} characters in a column of {length}"
            if (table, column) in VISIBLE_COLUMNS:
                assert canonical_text(value, multiline=True) == value and value, (
                    f"{where}: empty or not canonical"
                )

    async def fingerprint(self) -> str:
        digest = hashlib.sha256()
        async with self.cisip.bot.db.session() as session:
            for table in Base.metadata.sorted_tables:
                if table.name in VOLATILE_TABLES:
                    continue
                columns = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
                rows = sorted(repr(tuple(row)) for row in (await session.execute(select(*columns))).all())
                digest.update(f"{table.name}:{rows}".encode("utf-8", "surrogatepass"))
        return digest.hexdigest()


def _staff_only_option(spec: CommandSpec, option: dict[str, Any]) -> bool:
    """An option only staff may use: of a staff command (registered with permissions, or named as
    staff's in its description)."""
    return spec.staff or spec.command.get("description", "").startswith("Staff") or _described_staff(spec)


def _described_staff(spec: CommandSpec) -> bool:
    defs = spec.command.get("options") or []
    for word in spec.path.split()[1:]:
        node = next((o for o in defs if o["name"] == word), None)
        if node is None:
            return False
        if str(node.get("description", "")).startswith("Staff"):
            return True
        defs = node.get("options") or []
    return False


def _short(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
