"""one current snapshot per source

A refresh and an operator's accept of a held publication could otherwise both make a snapshot of the same source
current; the second transaction to commit now fails instead (HTTP 409 for an accept, a failed run for a
refresh, which the next scheduled one redoes). Applying also takes an advisory lock per source (lists service),
so on PostgreSQL the two wait for each other rather than meet here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("status = 'current'")


def upgrade() -> None:
    op.create_index(
        "uq_snapshots_one_current",
        "snapshots",
        ["source"],
        unique=True,
        postgresql_where=CURRENT,
        sqlite_where=CURRENT,
    )


def downgrade() -> None:
    op.drop_index("uq_snapshots_one_current", table_name="snapshots")
