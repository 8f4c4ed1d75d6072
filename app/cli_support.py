"""What every CLI command shares: one unit of work, JSON output, and errors that say what to do next."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import get_engine, session_scope
from app.errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])


def emit_json(value: Any) -> None:
    """Exactly one JSON document on standard output."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str, indent=2) + "\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn domain and validation errors into a message on stderr and a non-zero exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ServiceError as exc:
            raise fail(exc.detail, 2 if exc.status in (400, 409, 412, 413, 422) else 1) from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
            )
            raise fail(f"invalid input: {problems}", 2) from None
        except DatabaseNotReady as exc:
            raise fail(str(exc)) from None
        except OperationalError as exc:
            raise fail(
                f"cannot use the database ({exc.orig}); is SANCTRACK_DATABASE_URL right, and did "
                "'sanctrack db upgrade' run?"
            ) from None

    return wrapper  # type: ignore[return-value]


class DatabaseNotReady(Exception):
    """The database is missing or has no sanctrack schema: nothing was opened or created."""


def check_database() -> None:
    """Refuse to work on a database that ``sanctrack db upgrade`` has not set up, before touching it.

    SQLite creates a missing file on first connection: without this, a command run from the wrong folder would
    leave an empty ``sanctrack.db`` there and fail with "no such table".
    """
    url = make_url(get_settings().database_url)
    hint = (
        "run 'sanctrack db upgrade' first (from the folder that holds the database, with .venv/bin/sanctrack or "
        "the virtualenv active), or set SANCTRACK_DATABASE_URL to the database to use"
    )
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database).resolve()
        if not path.exists():
            raise DatabaseNotReady(f"there is no sanctrack database at {path}; {hint}")
        where = str(path)
    else:
        where = url.render_as_string(hide_password=True)
    try:
        with get_engine().connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        version = None
    if version is None:
        raise DatabaseNotReady(f"the database {where} has no sanctrack schema yet; {hint}")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A command's unit of work is the same as a request's: one session, committed once at the end; on a database
    that was never set up, a DatabaseNotReady error instead, and nothing created."""
    check_database()
    with session_scope() as session:
        yield session
