"""erasure: a report's publisher can be erased (published_by may be empty)

Revision ID: 0150_erasure
Revises: 0140_user_locales
Create Date: 2026-11-29 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0150_erasure"
down_revision: str | None = "0140_user_locales"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.alter_column("published_by", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE reports SET published_by = 0 WHERE published_by IS NULL")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.alter_column("published_by", existing_type=sa.BigInteger(), nullable=False)
