"""attendance: check-ins per day, venue codes, wrong-code tries, certificates, feedback

Revision ID: 0190_attendance
Revises: 0180_workshop_sequence
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0190_attendance"
down_revision: str | None = "0180_workshop_sequence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = bot.db.types.UTCDateTime(timezone=True)


def _workshop(table: str) -> list[Any]:
    return [
        sa.Column("workshop_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f(f"fk_{table}_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
    ]


def _index(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_workshop_id"), ["workshop_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "workshop_checkins",
        sa.Column("id", ID, nullable=False),
        *_workshop("workshop_checkins"),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("checked_in_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_checkins")),
        sa.UniqueConstraint(
            "workshop_id", "user_id", "day", name=op.f("uq_workshop_checkins_workshop_id_user_id_day")
        ),
    )
    _index("workshop_checkins")
    op.create_table(
        "workshop_checkin_codes",
        sa.Column("id", ID, nullable=False),
        *_workshop("workshop_checkin_codes"),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_checkin_codes")),
        sa.UniqueConstraint("workshop_id", "day", name=op.f("uq_workshop_checkin_codes_workshop_id_day")),
    )
    _index("workshop_checkin_codes")
    op.create_table(
        "workshop_checkin_tries",
        sa.Column("id", ID, nullable=False),
        *_workshop("workshop_checkin_tries"),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", WHEN, nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_checkin_tries")),
        sa.UniqueConstraint(
            "workshop_id", "user_id", name=op.f("uq_workshop_checkin_tries_workshop_id_user_id")
        ),
    )
    _index("workshop_checkin_tries")
    op.create_table(
        "workshop_follow_ups",
        *_workshop("workshop_follow_ups"),
        sa.Column("certificates_at_end", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("workshop_id", name=op.f("pk_workshop_follow_ups")),
    )
    op.create_table(
        "workshop_certificates",
        sa.Column("id", ID, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        *_workshop("workshop_certificates"),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("organization", sa.String(length=100), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("issued_at", WHEN, nullable=False),
        sa.Column("delivery", sa.String(length=16), nullable=True),
        sa.Column("delivered_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_certificates")),
        sa.UniqueConstraint("number", name=op.f("uq_workshop_certificates_number")),
        sa.UniqueConstraint(
            "workshop_id", "user_id", name=op.f("uq_workshop_certificates_workshop_id_user_id")
        ),
    )
    _index("workshop_certificates")
    op.create_table(
        "workshop_feedback_invites",
        sa.Column("id", ID, nullable=False),
        *_workshop("workshop_feedback_invites"),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("delivery", sa.String(length=16), nullable=True),
        sa.Column("reminder", sa.String(length=16), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("invited_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_feedback_invites")),
        sa.UniqueConstraint(
            "workshop_id", "user_id", name=op.f("uq_workshop_feedback_invites_workshop_id_user_id")
        ),
    )
    _index("workshop_feedback_invites")
    op.create_table(
        "workshop_feedback",
        sa.Column("id", ID, nullable=False),
        *_workshop("workshop_feedback"),
        sa.Column("content", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.Integer(), nullable=False),
        sa.Column("relevance", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_feedback")),
    )
    _index("workshop_feedback")


def downgrade() -> None:
    for table in (
        "workshop_feedback",
        "workshop_feedback_invites",
        "workshop_certificates",
        "workshop_follow_ups",
        "workshop_checkin_tries",
        "workshop_checkin_codes",
        "workshop_checkins",
    ):
        op.drop_table(table)
