"""Every service of the bot, built once from the process settings: the one way to reach one.

The bot builds a :class:`Services` at start-up and keeps it as ``bot.services``; a cog reaches its
capability's service as ``bot.services.workshops`` (typed), the command line and the tests build
their own. Services are built whether or not their cog loads, so rules that span capabilities (the
member gate, erasing a person's data) always see every table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import Settings
from bot.db.database import Database
from bot.scheduler import Clock, Scheduler
from bot.services.access import AccessService
from bot.services.attendance import AttendanceService
from bot.services.audit import AuditService
from bot.services.calendar import CalendarService
from bot.services.certificates import CertificateService
from bot.services.command_sync import CommandSyncState
from bot.services.feedback import FeedbackService
from bot.services.guild_settings import GuildSettingsService
from bot.services.mail import Mailer, MailSettings
from bot.services.membership import MembershipPolicy, MembershipService
from bot.services.parks import ParkService
from bot.services.personal_data import PersonalDataService
from bot.services.reports import ReportService
from bot.services.user_locales import UserLocaleService
from bot.services.verification import VerificationService
from bot.services.workshops import WorkshopService


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    scheduler: Scheduler
    guild_settings: GuildSettingsService
    user_locales: UserLocaleService
    audit: AuditService
    command_sync: CommandSyncState
    access: AccessService
    memberships: MembershipService
    verification: VerificationService
    parks: ParkService
    workshops: WorkshopService
    attendance: AttendanceService
    certificates: CertificateService
    feedback: FeedbackService
    reports: ReportService
    calendar: CalendarService
    personal_data: PersonalDataService

    @classmethod
    def build(
        cls, settings: Settings, db: Database, clock: Clock, scheduler: Scheduler | None = None
    ) -> Services:
        scheduler = scheduler or Scheduler(
            db, clock, grace=timedelta(seconds=settings.scheduler_grace_seconds)
        )
        guild_settings = GuildSettingsService(db, clock)
        user_locales = UserLocaleService(db, clock)
        audit = AuditService(db, clock)
        access = AccessService(guild_settings, settings.owner_ids)
        policy = MembershipPolicy(
            months=settings.membership_months,
            reminder_days=settings.membership_reminder_days,
            grace=timedelta(days=settings.membership_grace_days),
            nicknames=settings.membership_nicknames,
        )
        memberships = MembershipService(
            db, clock, scheduler, policy, guild_settings=guild_settings, access=access
        )
        mail_settings = MailSettings.from_settings(settings)
        mailer = Mailer(mail_settings) if mail_settings is not None else None
        verification = VerificationService(db, clock, memberships, mailer, settings.secret_key)
        parks = ParkService(db, clock, memberships=memberships)
        workshops = WorkshopService(db, clock, scheduler, memberships=memberships)
        attendance = AttendanceService(db, clock)
        certificates = CertificateService(
            db,
            clock,
            scheduler,
            attendance=attendance,
            memberships=memberships,
            font=str(settings.certificate_font) if settings.certificate_font else None,
            web_base_url=settings.web_base_url,
        )
        feedback = FeedbackService(db, clock, scheduler, attendance=attendance)
        reports = ReportService(
            db, clock, settings.report_max_bytes, memberships=memberships, scheduler=scheduler
        )
        calendar = CalendarService(db, scheduler, clock, guild_settings=guild_settings)
        # Every holder of personal data: a new capability that stores something about a person
        # joins this list (tests/bot/services/test_personal_data.py fails until it does).
        personal_data = PersonalDataService(
            db,
            clock,
            [memberships, workshops, attendance, certificates, feedback, reports, calendar, user_locales],
            audit,
        )
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            scheduler=scheduler,
            guild_settings=guild_settings,
            user_locales=user_locales,
            audit=audit,
            command_sync=CommandSyncState(db, clock),
            access=access,
            memberships=memberships,
            verification=verification,
            parks=parks,
            workshops=workshops,
            attendance=attendance,
            certificates=certificates,
            feedback=feedback,
            reports=reports,
            calendar=calendar,
            personal_data=personal_data,
        )
