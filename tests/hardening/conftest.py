"""Fixtures for the hardening tests: an app on committed data, with its own keys, seen as a client would see it.

The ``client`` fixture of the root conftest runs every request inside one rolled-back transaction, which is right
for most tests but hides what other connections see (readiness checks, metric scrapes, the fuzzer's many
requests). ``live_client`` uses the real session handling on committed data; ``committed_db`` empties the tables
afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine


@dataclass
class LiveKeys:
    raw: dict[str, str]
    ids: dict[str, int]

    def headers(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.raw[scope]}"}


def make_committed_keys() -> LiveKeys:
    from app.auth.service import create_key
    from app.db import session_scope

    raw: dict[str, str] = {}
    ids: dict[str, int] = {}
    with session_scope() as session:
        for scope in ("read", "write", "admin"):
            key, raw[scope] = create_key(session, name=f"live-{scope}", scope=scope)
            ids[scope] = key.id
    return LiveKeys(raw, ids)


@pytest.fixture
def live_app(committed_db: Engine) -> FastAPI:
    from app.main import create_app

    return create_app()


@pytest.fixture
def live_keys(committed_db: Engine) -> LiveKeys:
    return make_committed_keys()


@pytest.fixture
def live_client(live_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(live_app, raise_server_exceptions=False) as test_client:
        yield test_client


def utc(days_ago: float = 0.0) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
