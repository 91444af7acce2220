"""workshop sequence: a counter raised on every edit, the SEQUENCE of the workshop's calendar event

Revision ID: 0180_workshop_sequence
Revises: 0170_delivery_jobs
Create Date: 2026-12-04 10:00:00

Calendars subscribed to ``/workshops.ics`` (Outlook, Apple, Google) take a changed event only when
its SEQUENCE rises. Existing workshops start at 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0180_workshop_sequence"
down_revision: str | None = "0170_delivery_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.drop_column("sequence")
