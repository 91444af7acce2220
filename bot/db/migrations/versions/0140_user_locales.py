"""user locales: the Discord language each user last used, for DMs and mails

Revision ID: 0140_user_locales
Revises: 0130_reports
Create Date: 2026-11-24 20:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0140_user_locales"
down_revision: str | None = "0130_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_locales",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("seen_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_locales")),
    )


def downgrade() -> None:
    op.drop_table("user_locales")
