"""Scheduled work: every scheduled thing is a database row; APScheduler only wakes us up."""

from bot.scheduler.clock import Clock, MovableClock
from bot.scheduler.core import JobContext, JobDeferred, JobFailed, Scheduler
from bot.scheduler.recurrence import CronRule, YearlyRule

__all__ = [
    "Clock",
    "CronRule",
    "JobContext",
    "JobDeferred",
    "JobFailed",
    "MovableClock",
    "Scheduler",
    "YearlyRule",
]
