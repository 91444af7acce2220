"""Workshops: staff create and run them (/workshop-admin); members register with persistent buttons
and see them (/workshop).

The rules (seats, the waitlist, reminders, who may see and register) are the workshop service's;
this package posts the announcement and the Discord event, answers commands and buttons, and sends
what the scheduled jobs owe.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.services.certificates import CERTIFICATES_JOB
from bot.services.feedback import FEEDBACK_JOB, FEEDBACK_REMINDER_JOB
from bot.services.workshops import CALL_JOB, CHECKIN_JOB, ENDED_JOB, REMINDER_JOB
from cogs.workshops.checkin import HereButton
from cogs.workshops.commands import WorkshopAdminGroup, WorkshopGroup, Workshops
from cogs.workshops.feedback import FeedbackButton
from cogs.workshops.jobs import WorkshopJobs
from cogs.workshops.views import LeaveButton, RegisterButton

if TYPE_CHECKING:
    from bot.client import CisipBot

JOB_KINDS = (
    REMINDER_JOB,
    CHECKIN_JOB,
    ENDED_JOB,
    CALL_JOB,
    CERTIFICATES_JOB,
    FEEDBACK_JOB,
    FEEDBACK_REMINDER_JOB,
)


async def setup(bot: CisipBot) -> None:
    cog = Workshops(bot)
    await bot.add_cog(cog)
    bot.tree.add_command(WorkshopGroup(bot))
    bot.tree.add_command(WorkshopAdminGroup(bot, cog.announcements))
    bot.add_dynamic_items(RegisterButton, LeaveButton, HereButton, FeedbackButton)
    jobs = WorkshopJobs(bot, cog.announcements)
    # Reminders are judged by the service (late before the start, skipped after), not by grace.
    # The DM fan-outs (one DM per registrant or attendee) run beside the scheduler's other work.
    fan_out = {"grace": timedelta(days=400), "long_running": True}
    bot.register_job(REMINDER_JOB, jobs.on_reminder, **fan_out)
    bot.register_job(CHECKIN_JOB, jobs.on_checkin, grace=timedelta(days=400))
    bot.register_job(ENDED_JOB, jobs.on_ended, grace=timedelta(days=400))
    bot.register_job(CALL_JOB, jobs.on_call, grace=timedelta(days=400))
    bot.register_job(CERTIFICATES_JOB, jobs.on_certificates, **fan_out)
    bot.register_job(FEEDBACK_JOB, jobs.on_feedback, **fan_out)
    bot.register_job(FEEDBACK_REMINDER_JOB, jobs.on_feedback_reminder, **fan_out)


async def teardown(bot: CisipBot) -> None:
    bot.tree.remove_command("workshop")
    bot.tree.remove_command("workshop-admin")
    bot.remove_dynamic_items(RegisterButton, LeaveButton, HereButton, FeedbackButton)
    for kind in JOB_KINDS:
        bot.unregister_job(kind)
