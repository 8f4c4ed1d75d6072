"""The Alembic history builds the same schema as the models, on PostgreSQL and on the SQLite default."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.db import make_engine
from app.migrate import upgrade
from app.models import Base
from tests.conftest import ADMIN_URL


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


@pytest.fixture
def empty_postgres():  # type: ignore[no-untyped-def]
    name = f"sanctrack_migration_check_{os.getpid()}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgres_empty_database_upgrades_to_head_without_drift(empty_postgres: str) -> None:
    upgrade(empty_postgres)
    assert drift(empty_postgres) == []
    # Running it again is harmless (the CLI's 'serve' upgrades every time it starts).
    upgrade(empty_postgres)
