"""reports: published reports, subscriptions and DM deliveries

Revision ID: 0130_reports
Revises: 0120_workshops
Create Date: 2026-11-24 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0130_reports"
down_revision: str | None = "0120_workshops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, bot.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", ID, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("published_by", sa.BigInteger(), nullable=False),
        sa.Column("announcement_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("announcement_message_id", sa.BigInteger(), nullable=True),
        sa.Column("delivery_state", sa.String(length=16), nullable=False),
        sa.Column("progress_user_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        _when("withdrawn_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_file_sha256"), ["file_sha256"], unique=False)

    op.create_table(
        "report_subscriptions",
        sa.Column("id", ID, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("dm_channel_id", sa.BigInteger(), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_subscriptions")),
        sa.UniqueConstraint("guild_id", "user_id", name=op.f("uq_report_subscriptions_guild_id_user_id")),
    )

    op.create_table(
        "report_deliveries",
        sa.Column("id", ID, nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_deliveries")),
        sa.UniqueConstraint("report_id", "user_id", name=op.f("uq_report_deliveries_report_id_user_id")),
    )
    with op.batch_alter_table("report_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_report_deliveries_report_id_status", ["report_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_report_deliveries_report_id_status")
    op.drop_table("report_deliveries")
    op.drop_table("report_subscriptions")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_file_sha256"))
        batch_op.drop_index(batch_op.f("ix_reports_guild_id"))
    op.drop_table("reports")
