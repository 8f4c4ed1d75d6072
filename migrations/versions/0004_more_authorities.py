"""more authorities

Canada (source ``ca_sema``, authority ``CA``) and Australia (source ``au_dfat``, authority ``AU``) join the
followed lists: the CHECK constraints on ``snapshots.source``, ``list_entries.source`` and ``programs.authority``
admit them. Programs gain a ``theme`` (human_rights, corruption, terrorism, country, other; several joined by
``;``) for the Magnitsky view; ``app.migrate.upgrade`` fills it from ``app/targets/programs.csv`` right after the
migration, as it does for every program row.

SQLite cannot alter a CHECK constraint: batch mode rebuilds the table (copy, drop, rename). Foreign keys are
switched off for that (SQLite's own procedure for table rebuilds), otherwise dropping the old ``snapshots`` or
``programs`` would count every row that refers to them as a violation. The partial unique index on the current
snapshot of each source is dropped before the rebuild and made again after it, because reflection does not keep
its ``WHERE``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SOURCES = ("ofac_sdn", "ofac_cons", "un_sc", "uk", "eu_fsf")
NEW_SOURCES = ("ca_sema", "au_dfat")
OLD_AUTHORITIES = ("OFAC", "UN", "UK", "EU")
NEW_AUTHORITIES = ("CA", "AU")
CURRENT = sa.text("status = 'current'")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace_check(table: str, column: str, values: Sequence[str]) -> None:
    name = op.f(f"ck_{table}_{column}")
    with op.batch_alter_table(table) as batch_op:
        batch_op.drop_constraint(name, type_="check")
        batch_op.create_check_constraint(name, _in(column, values))


@contextmanager
def _rebuilding_tables() -> Iterator[None]:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
        if op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar():
            # SQLite ignores the pragma inside a transaction; rebuilding with foreign keys on would fail or worse.
            raise RuntimeError(
                "SQLite kept foreign keys on (a transaction was open before migration 0004): run the migration "
                "on its own connection"
            )
        op.drop_index("uq_snapshots_one_current", table_name="snapshots")
    yield
    if sqlite:
        op.create_index(
            "uq_snapshots_one_current", "snapshots", ["source"], unique=True, sqlite_where=CURRENT
        )
        op.execute("PRAGMA foreign_keys=ON")


def _allow(sources: Sequence[str], authorities: Sequence[str]) -> None:
    _replace_check("snapshots", "source", sources)
    _replace_check("list_entries", "source", sources)
    _replace_check("programs", "authority", authorities)


def upgrade() -> None:
    with _rebuilding_tables():
        _allow(OLD_SOURCES + NEW_SOURCES, OLD_AUTHORITIES + NEW_AUTHORITIES)
        with op.batch_alter_table("programs") as batch_op:
            batch_op.add_column(
                sa.Column("theme", sa.String(length=100), server_default="other", nullable=False)
            )


def downgrade() -> None:
    bind = op.get_bind()
    held = bind.execute(
        sa.text(
            "SELECT (SELECT count(*) FROM snapshots WHERE source IN ('ca_sema', 'au_dfat'))"
            " + (SELECT count(*) FROM target_programs JOIN programs ON programs.id = target_programs.program_id"
            " WHERE programs.authority IN ('CA', 'AU'))"
        )
    ).scalar()
    if held:
        raise RuntimeError(
            "cannot downgrade below 0004: the database holds Canadian or Australian publications, or candidates "
            "proposed under their programs; remove them first"
        )
    with _rebuilding_tables():
        # After foreign keys are off: SQLite only switches them off outside a transaction, which a write opens.
        bind.execute(sa.text("DELETE FROM programs WHERE authority IN ('CA', 'AU')"))
        with op.batch_alter_table("programs") as batch_op:
            batch_op.drop_column("theme")
        _allow(OLD_SOURCES, OLD_AUTHORITIES)
