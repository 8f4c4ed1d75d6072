"""Shared fixtures: a real PostgreSQL database per test worker, isolated tests, API clients with real keys.

Each test runs inside a transaction that is rolled back (``db`` / ``client``); tests that need real commits seen by
other processes (CLI subprocesses, Celery workers) use ``committed_db``, which empties the tables afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from _pytest.nodeid import coerce_node_id
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("SANCTRACK_TEST_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# One database per test process, so that parallel workers (and parallel runs) never share or drop each other's.
TEST_DB_NAME = f"sanctrack_test_{os.getpid()}"
TEST_DB_URL = make_url(ADMIN_URL).set(database=TEST_DB_NAME).render_as_string(hide_password=False)

# Settings are read from the environment once; point them at the test database before any app module reads them.
os.environ["SANCTRACK_DATABASE_URL"] = TEST_DB_URL
os.environ.setdefault("SANCTRACK_SAMPLE_DATA", str((ROOT / ".." / "shared" / "data").resolve()))
os.environ.setdefault("SANCTRACK_DATA_DIR", tempfile.mkdtemp(prefix="sanctrack-test-"))
os.environ.setdefault("SANCTRACK_WEBHOOK_ALLOW_PRIVATE", "true")
os.environ.setdefault("SANCTRACK_LOG_JSON", "false")
# Unit tests screen explicitly; the end-to-end tests turn this on for the processes they start.
os.environ.setdefault("SANCTRACK_SCREEN_ON_CHANGE", "false")

pytest_plugins = ["tests.support.servers"]


def sample_data_dir() -> Path:
    path = Path(os.environ["SANCTRACK_SAMPLE_DATA"])
    if not path.is_dir():
        pytest.skip(f"sample data folder not found at {path}; set SANCTRACK_SAMPLE_DATA to shared/data")
    return path


def _recreate_database() -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{TEST_DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{TEST_DB_NAME}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    from app.config import get_settings
    from app.db import get_engine, get_sessionmaker

    _recreate_database()
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    from app.migrate import upgrade

    # The schema comes from the real migrations, so every test also exercises them on PostgreSQL.
    upgrade()
    engine = get_engine()
    yield engine
    engine.dispose()
    _drop_databases_after_the_session([TEST_DB_NAME])


_DROPPER = """
import sys
from sqlalchemy import create_engine, text

admin = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with admin.connect() as conn:
    for name in sys.argv[2:]:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
admin.dispose()
"""


def _drop_databases_after_the_session(names: list[str]) -> None:
    """Drop this process's databases from a process of their own, which outlives the session by a few seconds.

    DROP DATABASE returns only once PostgreSQL has checkpointed, writing out every dirty page of the server; at the
    end of a busy run that took 13-15 s, which each worker spent waiting as its last test's teardown. Nothing
    waits for these databases to be gone (each session and scratch database has a name of its own)."""
    subprocess.Popen(
        [sys.executable, "-c", _DROPPER, ADMIN_URL, *names],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


_scratch_databases: list[str] = []


@pytest.fixture(scope="session")
def _drop_scratch_databases() -> Iterator[None]:
    """Drops this process's scratch databases after the session, not after each test: DROP DATABASE makes PostgreSQL
    checkpoint there and then, which cost up to 14 s of a test's teardown on a busy run."""
    yield
    if _scratch_databases:
        _drop_databases_after_the_session(_scratch_databases)


@pytest.fixture
def empty_postgres(_drop_scratch_databases: None) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database of this process (for migration tests), dropped at the end of the
    session (each test gets a database of its own)."""
    name = f"sanctrack_scratch_{os.getpid()}_{len(_scratch_databases) + 1}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    _scratch_databases.append(name)
    yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end of the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


TABLES_TO_EMPTY = (
    "delivery_attempts",
    "deliveries",
    "events",
    "webhooks",
    "target_statuses",
    "links",
    "changes",
    "entry_versions",
    "list_entries",
    "runs",
    "snapshots",
    "mentions",
    "documents",
    "raw_blobs",
    "evidence",
    "target_tags",
    "target_programs",
    "screening_requests",
    "targets",
    "audit_records",
    "api_keys",
)


@pytest.fixture
def committed_db(engine: Engine) -> Iterator[Engine]:
    """Real commits (for subprocesses and workers); every table but the reference data is emptied afterwards."""
    yield engine
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES_TO_EMPTY)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(db: Session):  # type: ignore[no-untyped-def]
    from app.db import get_session, get_unit_of_work
    from app.main import create_app

    application = create_app()

    def session_override() -> Iterator[Session]:
        yield db
        db.flush()

    @contextmanager
    def unit_of_work() -> Iterator[Session]:
        yield db
        db.flush()

    async def unit_of_work_override():  # type: ignore[no-untyped-def]
        return unit_of_work

    application.dependency_overrides[get_session] = session_override
    application.dependency_overrides[get_unit_of_work] = unit_of_work_override
    return application


class Keys:
    def __init__(self, db: Session) -> None:
        from app.auth.service import create_key

        self.raw: dict[str, str] = {}
        for scope in ("read", "write", "admin"):
            _, raw = create_key(db, name=f"test-{scope}", scope=scope)
            self.raw[scope] = raw
        db.flush()

    def headers(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.raw[scope]}"}


@pytest.fixture
def keys(db: Session) -> Keys:
    return Keys(db)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- how pytest-xdist shares the tests between its workers (make test: -n 2 --dist loadgroup) -------------------


def _xdist_groups(item: pytest.Item) -> list[str]:
    return sorted(
        {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep each xdist_group on one worker, and start the long tests first.

    pytest-xdist marks a test's group by appending ``@group`` to its node id, which its scheduler reads; with pytest 9
    the node id is no longer an attribute xdist can set, so the suffix was silently lost and every group was spread
    over both workers (each building, for instance, the real match index). Put it back where pytest reads the id.

    The scheduler hands out groups first (the most tests first), then single tests in collection order; a long test
    collected last (tests/test_demo.py) would leave one worker running it alone at the end. Tests marked ``slow`` and
    grouped tests therefore come first, the rest keep their order. Every worker computes the same order.
    """
    if getattr(config.option, "loadgroup", False):
        for item in items:
            groups = _xdist_groups(item)
            suffix = f"@{'_'.join(groups)}"
            if groups and not item.nodeid.endswith(suffix):
                item._id = coerce_node_id(item.nodeid + suffix)  # type: ignore[attr-defined]
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") or _xdist_groups(item) else 1)
