"""calendar public: entries staff show in the public feed, and the SEQUENCE of their feed event

Revision ID: 0200_calendar_public
Revises: 0190_attendance
Create Date: 2026-12-06 10:00:00

``public``: the entry is a yearly event of ``/workshops.ics`` (existing entries are not: false).
``sequence``: raised on every edit, pause and resume, so that a subscribed calendar takes the
changed event. Existing entries start at 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0200_calendar_public"
down_revision: str | None = "0190_attendance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_entries") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("calendar_entries") as batch:
        batch.drop_column("sequence")
        batch.drop_column("public")
