"""Migration 0004 on a database that already holds lists and candidates: Canada and Australia become storable,
nothing held before is lost, and the rebuilt SQLite tables keep their foreign keys and one-current index."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from app.db import make_engine
from app.migrate import alembic_config, upgrade
from tests.test_migrations import drift

ROWS_BEFORE_0004 = [  # rows of a deployment at 0002
    "INSERT INTO raw_blobs (sha256, size, compression, created_at) VALUES ('{h}', 1, 'gzip', '2025-01-01')",
    "INSERT INTO snapshots (id, source, status, format, origin, fetched_at, sha256, entry_count, added, removed,"
    " amended, unmapped, filename, validators) VALUES (1, 'uk', 'superseded', 'ofsi_xlsx', 'a', '2025-01-01',"
    " '{h}', 1, 1, 0, 0, '{{}}', '', '{{}}')",
    "INSERT INTO snapshots (id, source, status, format, origin, fetched_at, sha256, entry_count, added, removed,"
    " amended, unmapped, filename, validators) VALUES (2, 'uk', 'current', 'ofsi_xlsx', 'b', '2025-01-02',"
    " '{h}', 1, 0, 0, 0, '{{}}', '', '{{}}')",
    "INSERT INTO list_entries (id, source, list_id, kind, name, programs, data, fingerprint, is_listed,"
    " first_snapshot_id, last_changed_snapshot_id) VALUES (1, 'uk', '13926', 'person', 'KADYROV, Ramzan',"
    " '[]', '{{}}', 'f', {true}, 1, 2)",
    "INSERT INTO programs (code, authority, name, legal_basis) VALUES ('GLOMAG', 'OFAC', 'Global Magnitsky',"
    " 'EO 13818')",
    "INSERT INTO targets (id, kind, name, aliases, birth_dates, birth_places, nationalities, identifiers,"
    " addresses, tags, rationale, status, version, created_at, updated_at) VALUES (1, 'person', 'Ramzan Kadyrov',"
    " '[]', '[]', '[]', '[]', '[]', '[]', '[]', '', 'candidate', 1, '2025-01-01', '2025-01-01')",
    "INSERT INTO target_programs (target_id, program_id) SELECT 1, id FROM programs WHERE code = 'GLOMAG'",
]


def _fill(conn: Connection) -> None:
    true = "1" if conn.dialect.name == "sqlite" else "true"
    for statement in ROWS_BEFORE_0004:
        conn.execute(text(statement.format(h="a" * 64, true=true)))


def _check_after(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM snapshots")).scalar() == 2
        assert conn.execute(text("SELECT name FROM list_entries")).scalar() == "KADYROV, Ramzan"
        assert conn.execute(text("SELECT count(*) FROM target_programs")).scalar() == 1
        # Themes come from programs.csv once the schema is up to date.
        assert conn.execute(text("SELECT theme FROM programs WHERE code = 'GLOMAG'")).scalar() == (
            "human_rights;corruption"
        )
        assert (
            conn.execute(text("SELECT count(*) FROM programs WHERE authority IN ('CA', 'AU')")).scalar() > 0
        )
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO snapshots (id, source, status, format, origin, fetched_at, sha256, entry_count, added,"
                " removed, amended, unmapped, filename, validators) VALUES (3, 'ca_sema', 'current', 'x', 'c',"
                " '2025-01-03', :h, 0, 0, 0, 0, '{}', '', '{}')"
            ),
            {"h": "a" * 64},
        )
    # Still one current publication per source (the index was made again after the rebuild) ...
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE snapshots SET status = 'current' WHERE id = 1"))
    # ... and still no source the service does not know.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE snapshots SET source = 'nz_mfat' WHERE id = 3"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE programs SET authority = 'NZ' WHERE code = 'GLOMAG'"))
    engine.dispose()
    assert drift(url) == []


def _check_downgrade(url: str) -> None:
    """Going back below 0004 refuses while Canadian or Australian publications are held, then narrows again."""
    with pytest.raises(RuntimeError, match="Canadian or Australian"):
        command.downgrade(alembic_config(url), "0003")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM snapshots WHERE source = 'ca_sema'"))
    engine.dispose()
    command.downgrade(alembic_config(url), "0003")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM programs WHERE authority IN ('CA', 'AU')")).scalar() == 0
        )
        assert conn.execute(text("SELECT count(*) FROM snapshots")).scalar() == 2
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE snapshots SET source = 'ca_sema' WHERE id = 1"))
    engine.dispose()


def _upgrade_with_data(url: str) -> None:
    # Alembic alone: the reference programs of the code are synchronised only on an up-to-date schema.
    command.upgrade(alembic_config(url), "0002")  # where deployments were before issues 13-15
    engine = make_engine(url)
    with engine.begin() as conn:
        _fill(conn)
    engine.dispose()
    upgrade(url)


def test_sqlite_database_with_lists_upgrades_through_0004(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sanctrack.db'}"
    _upgrade_with_data(url)
    _check_after(url)
    _check_downgrade(url)


def test_postgres_database_with_lists_upgrades_through_0004(empty_postgres: str) -> None:
    _upgrade_with_data(empty_postgres)
    _check_after(empty_postgres)
    _check_downgrade(empty_postgres)
