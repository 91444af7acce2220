"""delivery jobs: a report delivery under way becomes a scheduled row

Revision ID: 0170_delivery_jobs
Revises: 0160_report_files
Create Date: 2026-12-03 10:00:00

Until now a delivery was a task of the process that published it, resumed by that process's next
start. It is now a ``report.delivery`` row of ``scheduled_jobs``, leased like every row, so
whichever process leads resumes it. Each delivery under way (``reports.delivery_state`` running)
gets its row here; nothing else changes, so the downgrade removes those rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0170_delivery_jobs"
down_revision: str | None = "0160_report_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = "report.delivery"
MAX_ATTEMPTS = 12

reports = sa.table("reports", sa.column("id", sa.BigInteger), sa.column("delivery_state", sa.String))
jobs = sa.table(
    "scheduled_jobs",
    sa.column("kind", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("due_at", bot.db.types.UTCDateTime()),
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("max_attempts", sa.Integer),
    sa.column("late", sa.Boolean),
    sa.column("created_at", bot.db.types.UTCDateTime()),
)


def upgrade() -> None:
    now = datetime.now(UTC)
    running = op.get_bind().execute(sa.select(reports.c.id).where(reports.c.delivery_state == "running"))
    rows = [
        {
            "kind": KIND,
            "payload": {"report_id": int(report_id)},
            "due_at": now,
            "status": "pending",
            "attempts": 0,
            "max_attempts": MAX_ATTEMPTS,
            "late": False,
            "created_at": now,
        }
        for (report_id,) in running
    ]
    if rows:
        op.bulk_insert(jobs, rows)


def downgrade() -> None:
    op.execute(jobs.delete().where(jobs.c.kind == KIND))
