"""screening queue

Issue 13: every way a candidate comes in is screened. Creating or editing a candidate records, in the same
transaction, a row in ``screening_requests`` (an outbox); the worker drains it in batches, screens those candidates
against the current entries, and deletes the rows in the transaction that records the links.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "screening_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("requested_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["targets.id"],
            name=op.f("fk_screening_requests_target_id_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_requests")),
    )
    with op.batch_alter_table("screening_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_requests_target_id"), ["target_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screening_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_requests_target_id"))
    op.drop_table("screening_requests")
