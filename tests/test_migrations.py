"""The Alembic history builds the same schema as the models, on PostgreSQL and on the SQLite default."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app.db import make_engine
from app.migrate import upgrade
from app.models import Base


def drift(url: str) -> list:  # type: ignore[type-arg]
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return diff


def test_sqlite_empty_database_upgrades_to_head_without_drift(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sanctrack.db'}"
    upgrade(url)
    assert drift(url) == []
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"targets", "evidence", "programs", "api_keys", "audit_records", "snapshots", "links"} <= tables
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM programs WHERE code = 'GLOMAG'")).scalar() == 1
    engine.dispose()


def test_postgres_empty_database_upgrades_to_head_without_drift(empty_postgres: str) -> None:
    upgrade(empty_postgres)
    assert drift(empty_postgres) == []
    # Running it again is harmless (the CLI's 'serve' upgrades every time it starts).
    upgrade(empty_postgres)
