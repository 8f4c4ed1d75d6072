"""The process's match index (app/matching/live.py): loaded before /readyz says ready, updated beside the requests
when another process applies a publication, saved for the next process; and the API key cache, and several API
processes. Real PostgreSQL, Redis, CLI subprocesses and a served API; publications are real SDN rows."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from app.auth.keycache import REVOKED_CHANNEL
from app.auth.service import create_key
from app.config import get_settings
from app.db import session_scope
from app.lists import service as lists
from app.matching import live
from app.matching.persist import MAGIC
from tests.conftest import ROOT
from tests.pipeline.publications import FAYYADH, baseline_numbers, subset

REDIS_URL = "redis://127.0.0.1:6379/0"
FALEH = {"queries": {"q": {"kind": "person", "name": "Faleh al-Fayyad"}}}


@pytest.fixture
def settings_env(monkeypatch) -> Iterator[Callable[..., None]]:  # type: ignore[no-untyped-def]
    """Set SANCTRACK_* settings for this test (and the processes it starts)."""

    def apply(**values: Any) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"SANCTRACK_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()
    live.reset()


def publish(folder: Path, numbers: list[str], published: str) -> lists.IngestResult:
    folder.mkdir()
    for name, content in subset(numbers).items():
        (folder / name).write_bytes(content)
    with session_scope() as session:
        return lists.ingest_path(
            session, "ofac_sdn", folder, published=dt.date.fromisoformat(published), allow_mass_removal=True
        )


def committed_key(scope: str = "read") -> tuple[int, str]:
    with session_scope() as session:
        key, raw = create_key(session, name=f"live-{scope}", scope=scope)
        return key.id, raw


def sanctrack(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )
    assert result.returncode == 0, result.stderr
    return result


def eventually(check: Callable[[], Any], seconds: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds}s: {what}")
        time.sleep(0.1)


@pytest.mark.usefixtures("committed_db")
def test_readyz_says_loading_until_the_index_is_loaded_and_the_first_match_builds_nothing(
    tmp_path: Path, settings_env
) -> None:  # type: ignore[no-untyped-def]
    snapshot = publish(tmp_path / "p1", [*baseline_numbers(30), FAYYADH], "2023-12-28").snapshot_id
    _, raw = committed_key()
    headers = {"Authorization": f"Bearer {raw}"}
    settings_env(index_startup_wait_seconds=0)
    live.reset()
    from app.main import create_app

    live._update_lock.acquire()  # the start-up load cannot finish: as if it were still building
    try:
        with TestClient(create_app()) as client:
            loading = client.get("/readyz")
            assert loading.status_code == 503
            assert loading.json()["checks"]["index"] == {"ok": False, "note": "loading index"}
            refused = client.post("/v1/match", json=FALEH, headers=headers)
            assert refused.status_code == 503 and "loading" in refused.json()["detail"]
            live._update_lock.release()
            eventually(lambda: client.get("/readyz").status_code == 200, what="/readyz 200")
            builds = dict(live.builds)
            answer = client.post("/v1/match", json=FALEH, headers=headers)
            assert answer.status_code == 200, answer.text
            assert answer.json()["snapshots"] == {"ofac_sdn": snapshot}
            top = answer.json()["responses"]["q"]["results"][0]
            assert (top["list_id"], top["match"]) == (FAYYADH, True)
            assert live.builds == builds  # the request answered from the loaded index, and built none
    finally:
        if live._update_lock.locked():
            live._update_lock.release()


@pytest.mark.usefixtures("committed_db")
def test_a_publication_applied_by_another_process_shows_up_after_the_background_update(
    tmp_path: Path, settings_env
) -> None:  # type: ignore[no-untyped-def]
    baseline = baseline_numbers(30)
    first = publish(tmp_path / "p1", baseline, "2023-12-27").snapshot_id
    _, raw = committed_key()
    headers = {"Authorization": f"Bearer {raw}"}
    settings_env(index_poll_seconds=0.2)
    live.reset()
    from app.main import create_app

    with TestClient(create_app()) as client:
        eventually(lambda: client.get("/readyz").status_code == 200, what="/readyz 200")
        before = client.post("/v1/match", json=FALEH, headers=headers).json()
        assert before["snapshots"] == {"ofac_sdn": first}
        assert not [r for r in before["responses"]["q"]["results"] if r["list_id"] == FAYYADH]
        folder = tmp_path / "p2"
        folder.mkdir()
        for name, content in subset([*baseline, FAYYADH]).items():
            (folder / name).write_bytes(content)
        out = sanctrack("lists", "ingest", "ofac_sdn", str(folder), "--published", "2023-12-28", "--json")
        second = json.loads(out.stdout)["snapshot_id"]
        assert second != first

        def matched_against_second() -> dict[str, Any] | None:
            body = client.post("/v1/match", json=FALEH, headers=headers).json()
            return body if body["snapshots"] == {"ofac_sdn": second} else None

        after = eventually(matched_against_second, what="a match against the new snapshot")
        top = after["responses"]["q"]["results"][0]
        assert (top["list_id"], top["match"]) == (FAYYADH, True)
        assert client.get("/readyz").json()["checks"]["index"]["snapshots"] == {"ofac_sdn": second}


@pytest.mark.usefixtures("committed_db")
def test_the_cli_starts_from_the_saved_index_and_rebuilds_a_corrupt_or_stale_one(tmp_path: Path) -> None:
    snapshot = publish(tmp_path / "p1", [*baseline_numbers(30), FAYYADH], "2023-12-28").snapshot_id

    def match() -> dict[str, Any]:
        found = json.loads(sanctrack("match", "Faleh al-Fayyad", "--json").stdout)
        assert found["snapshots"] == {"ofac_sdn": snapshot}
        assert (found["results"][0]["list_id"], found["results"][0]["match"]) == (FAYYADH, True)
        return found

    assert match()["index"] in (
        "database",
        "update",
    )  # no saved index of these snapshots yet: built, then saved
    assert match()["index"] == "lookup"  # opened from its lookup file, nothing loaded
    with session_scope() as session:  # the files of these snapshots, as the CLI names them
        saved = live.index_path(live.database_identity(session), live.current_marks(session))
    lookup = live.lookup_path(saved)
    assert saved.is_file() and lookup.is_file()

    lookup.write_bytes(lookup.read_bytes()[: lookup.stat().st_size // 2])  # cut short, as by a full disk
    assert match()["index"] == "file"  # the saved index loaded instead, and the lookup file written again
    assert match()["index"] == "lookup"

    for path in (saved, lookup):
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert match()["index"] == "database"

    with saved.open("wb") as file:  # another version of the matcher wrote both
        pickle.dump({"magic": MAGIC, "version": "other-code", "meta": {}}, file)
    with sqlite3.connect(lookup) as connection:
        connection.execute(
            "UPDATE header SET value = ? WHERE name = 'version'", (pickle.dumps("other-code"),)
        )
    assert match()["index"] == "database"


@pytest.mark.usefixtures("committed_db")
def test_a_revoked_key_is_refused_at_once_here_and_on_notice_in_another_process(settings_env) -> None:  # type: ignore[no-untyped-def]
    # Entries live five minutes here: only the revocation notice through Redis can end one in time.
    settings_env(redis_url=REDIS_URL, key_cache_seconds=300, rate_limit_per_minute=0)
    _, admin = committed_key("admin")
    here_id, here = committed_key("read")
    there_id, there = committed_key("read")
    from app.main import create_app

    with TestClient(create_app()) as client:
        for raw in (here, there):
            assert client.get("/v1/targets", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
        revoked = client.post(f"/v1/keys/{here_id}/revoke", headers={"Authorization": f"Bearer {admin}"})
        assert revoked.status_code == 200
        refused = client.get("/v1/targets", headers={"Authorization": f"Bearer {here}"})
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]

        listening = redis.Redis.from_url(REDIS_URL)
        eventually(lambda: dict(listening.pubsub_numsub(REVOKED_CHANNEL)).get(REVOKED_CHANNEL.encode()), 30)
        sanctrack("keys", "revoke", str(there_id))  # another process, with its own cache
        eventually(
            lambda: (
                client.get("/v1/targets", headers={"Authorization": f"Bearer {there}"}).status_code == 401
            ),
            seconds=10,
            what="the key revoked in another process refused here",
        )


@pytest.mark.usefixtures("committed_db")
def test_serve_with_two_workers_answers_from_both_processes(unused_tcp_port: int) -> None:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "serve",
            "--port",
            str(unused_tcp_port),
            "--workers",
            "2",
            "--no-background",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SANCTRACK_REDIS_URL": REDIS_URL},
        start_new_session=True,
    )
    processes: set[int] = set()
    try:

        def both_answered() -> bool:
            try:
                response = httpx.get(f"http://127.0.0.1:{unused_tcp_port}/readyz", timeout=5)
            except httpx.TransportError:
                return False
            if response.status_code == 200:
                processes.add(response.json()["checks"]["index"]["process"])
            return len(processes) == 2

        eventually(both_answered, seconds=120, what="two processes answering /readyz")
        assert server.pid not in processes  # the supervisor serves nothing itself
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
