"""What every CLI command shares: one unit of work, JSON output, and errors that say what to do next."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from app.db import session_scope
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
        except OperationalError as exc:
            raise fail(
                f"cannot use the database ({exc.orig}); is SANCTRACK_DATABASE_URL right, and did "
                "'sanctrack db upgrade' run?"
            ) from None

    return wrapper  # type: ignore[return-value]


# A command's unit of work is the same as a request's: one session, committed once at the end.
unit_of_work = session_scope
