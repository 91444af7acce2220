"""report files: report PDFs in the database, so every bot process serves them

Revision ID: 0160_report_files
Revises: 0150_erasure
Create Date: 2026-12-02 10:00:00

Only the table: a migration does not know the process's DATA_DIR, so the PDFs older versions kept
in ``DATA_DIR/reports/`` are copied in when the bot starts (``ReportService.import_folder``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0160_report_files"
down_revision: str | None = "0150_erasure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_files",
        sa.Column(
            "report_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_files_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_report_files")),
    )


def downgrade() -> None:
    op.drop_table("report_files")
