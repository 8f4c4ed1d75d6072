"""Structured logs: one JSON object per line, with the correlation id, and never a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from app.context import request_id_var
from app.observability import REDACTED, configure_logging, correlation_id, redact


@pytest.fixture
def json_logs(capsys) -> Iterator[None]:  # type: ignore[no-untyped-def]
    configure_logging(json=True)
    capsys.readouterr()
    yield
    configure_logging(json=False)  # the test suite's setting (SANCTRACK_LOG_JSON=false)


def json_lines(capsys) -> list[dict]:  # type: ignore[no-untyped-def]
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line must be JSON


def test_access_log_is_one_json_object_per_request_with_its_request_id(
    app, client, keys, json_logs, capsys
) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        "/v1/targets/424242", headers={**keys.headers("read"), "X-Request-ID": "trace-abc-123"}
    )
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "trace-abc-123"
    access = [entry for entry in json_lines(capsys) if entry["logger"] == "sanctrack.access"]
    assert len(access) == 1
    entry = access[0]
    assert entry["request_id"] == "trace-abc-123"
    assert entry["method"] == "GET" and entry["path"] == "/v1/targets/424242"
    assert entry["route"] == "/v1/targets/{target_id}"
    assert entry["status"] == 404 and entry["level"] == "INFO"
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert isinstance(entry["api_key_id"], int)
    assert entry["time"].endswith("Z") and "T" in entry["time"]
    assert keys.raw["read"] not in json.dumps(entry)


def test_generated_request_ids_differ_and_reach_application_logs(app, client, json_logs, capsys) -> None:  # type: ignore[no-untyped-def]
    first, second = client.get("/v1/programs"), client.get("/v1/programs")
    assert first.status_code == second.status_code == 401
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert ids[0] != ids[1]
    access = [entry for entry in json_lines(capsys) if entry["logger"] == "sanctrack.access"]
    assert [entry["request_id"] for entry in access] == ids
    assert all(entry["api_key_id"] is None for entry in access)


def test_exceptions_and_extra_fields_are_logged_as_json_with_secrets_masked(json_logs, capsys) -> None:  # type: ignore[no-untyped-def]
    log = logging.getLogger("sanctrack.test")
    with correlation_id("task-7f3a"):
        try:
            raise RuntimeError("cannot connect to postgresql://sanctrack:hunter2@db/sanctrack")
        except RuntimeError:
            log.exception(
                "refresh failed",
                extra={
                    "source": "ofac_sdn",
                    "webhook_secret": "whsec_abc",
                    "headers": {"Authorization": "Bearer stk_abcdef"},
                },
            )
    assert request_id_var.get() is None
    (entry,) = [e for e in json_lines(capsys) if e["logger"] == "sanctrack.test"]
    assert entry["request_id"] == "task-7f3a" and entry["level"] == "ERROR" and entry["source"] == "ofac_sdn"
    assert entry["webhook_secret"] == REDACTED and entry["headers"] == {"Authorization": REDACTED}
    assert entry["exc_type"] == "RuntimeError" and "hunter2" not in entry["exc"]
    assert "postgresql://sanctrack:" + REDACTED + "@db/sanctrack" in entry["exc"]


def test_plain_logs_are_redacted_too(capsys) -> None:  # type: ignore[no-untyped-def]
    configure_logging(json=False)
    capsys.readouterr()
    logging.getLogger("sanctrack.test").warning("calling with Authorization: Bearer stk_secretsecret")
    err = capsys.readouterr().err
    assert "stk_secretsecret" not in err and REDACTED in err and "[-]" in err  # no request: "-" as its id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("key stk_AbC-123_x used", "key stk_" + REDACTED + " used"),
        ("Authorization: Bearer abcdefghijkl", "Authorization: Bearer " + REDACTED),
        ("signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "signing with whsec_" + REDACTED),
        ("redis://:s3cret@cache:6379/0", "redis://:" + REDACTED + "@cache:6379/0"),
        ("postgresql://app:pw@db:5432/x", "postgresql://app:" + REDACTED + "@db:5432/x"),
        ("GET /cb?api_key=abc123&page=2", "GET /cb?api_key=" + REDACTED + "&page=2"),
        ("http://example.org:8080/path", "http://example.org:8080/path"),
        ("3 bearer bonds", "3 bearer bonds"),
        ("nothing to hide here", "nothing to hide here"),
    ],
)
def test_redact_strings(raw: str, expected: str) -> None:
    assert redact(raw) == expected


def test_redact_structures_by_key_name() -> None:
    value = {
        "name": "hook",
        "secret": "whsec_x",
        "previous_secret": None,
        "api_key_id": 4,
        "nested": [{"password": "p", "url": "https://u:p@h/"}],
        "Cookie": "session=1",
    }
    assert redact(value) == {
        "name": "hook",
        "secret": REDACTED,
        "previous_secret": None,
        "api_key_id": 4,
        "nested": [{"password": REDACTED, "url": "https://u:" + REDACTED + "@h/"}],
        "Cookie": REDACTED,
    }


def test_configure_logging_is_idempotent_and_keeps_other_handlers() -> None:
    root = logging.getLogger()
    foreign = logging.NullHandler()
    root.addHandler(foreign)
    try:
        configure_logging(json=True)
        configure_logging(json=False)
        ours = [h for h in root.handlers if getattr(h, "_sanctrack_handler", False)]
        assert len(ours) == 1 and foreign in root.handlers
    finally:
        root.removeHandler(foreign)


def test_an_unexpected_error_is_a_problem_with_the_request_id_to_quote(app) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    @app.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom-for-test", headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "trace-500"
    body = response.json()
    assert body["request_id"] == "trace-500" and "trace-500" in body["detail"]
    assert "a bug" not in response.text  # no internals to the caller
