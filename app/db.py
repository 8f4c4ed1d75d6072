"""Engine, sessions and the declarative base shared by every domain.

Services receive a ``Session`` and never commit; the unit of work (an HTTP request, a CLI command, a Celery task)
commits once at its end through :func:`session_scope` or :func:`get_session`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app import changes
from app.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database returns.

    SQLite has no time zones and hands back naive values; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; sanctrack stores UTC timestamps only")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSONType, list[Any]: JSONType}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets the API read while a worker writes.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _json_dumps(value: Any) -> str:
    # Keep names in their own script in the database, so that text search finds "فالح" as written.
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, json_serializer=_json_dumps
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=20, json_serializer=_json_dumps
        )
    event.listen(engine, "after_cursor_execute", changes.note_write)  # see session_scope
    return engine


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.flush()
        written = _written_tables(session)
        session.commit()
    except BaseException:
        _written_tables(session)  # rolled back: nothing to announce
        session.rollback()
        raise
    finally:
        session.close()
    # Only once committed: processes that cache what they read from these tables drop it (app.changes).
    changes.announce(written)


def _written_tables(session: Session) -> set[str]:
    if not session.in_transaction():
        return set()
    try:
        return changes.take_written(session.connection())
    except Exception:  # noqa: BLE001 - a broken transaction has nothing to announce; the caller reports the error
        return set()


def get_session() -> Iterator[Session]:
    """FastAPI dependency: the request's session, committed once after the endpoint returns."""
    with session_scope() as session:
        yield session


UnitOfWork = Callable[[], AbstractContextManager[Session]]


async def get_unit_of_work() -> UnitOfWork:
    """FastAPI dependency for routes that often answer without the database: how to open the request's unit of
    work (:func:`session_scope`) if they need one. Async, so resolving it costs no thread and opens nothing."""
    return session_scope
