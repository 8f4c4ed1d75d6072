"""Fixtures for the browser tests: the real server as a subprocess, headless Chromium driven by Playwright.

The server is ``python -m app serve --no-workers`` against the test's PostgreSQL database (``committed_db``), so
the data seeded here (an API key, a small real OFAC SDN publication) is really committed and seen by it. There is
no Celery worker: the tests send due webhook deliveries themselves with ``send_due_deliveries.run()``.

Every test here is skipped, with the reason, when Playwright or /usr/bin/chromium is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT

CHROMIUM = Path(os.environ.get("SANCTRACK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# The server loads the match index (and the learned matcher warms up) before it answers ready.
SERVER_START_TIMEOUT_SECONDS = 120.0
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def screenshots_dir() -> Path:
    folder = Path(os.environ.get("SANCTRACK_SCREENSHOTS") or ROOT / "test-artifacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            # One server and one browser per test: keep xdist from splitting a test's fixtures, none are shared.
            item.add_marker(pytest.mark.xdist_group("browser"))
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright); browser tests need it"
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium); browser tests need it"
    return None


@dataclass
class Seed:
    admin_key: str
    publication_entries: int


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, method: str, path: str, key: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(
            method, self.url + path, headers={"Authorization": f"Bearer {key}"}, timeout=30, **kwargs
        )
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text}"
        return response


@pytest.fixture
def seed(committed_db, tmp_path: Path) -> Seed:  # type: ignore[no-untyped-def]
    """An admin key and one real (cut) OFAC SDN publication with entry 30242 AL-FAYYADH, Falih, committed."""
    from app.auth.service import create_key
    from app.db import session_scope
    from app.lists.service import ingest_path
    from tests.pipeline.publications import FAYYADH, baseline_numbers, subset

    folder = tmp_path / "sdn"
    folder.mkdir()
    for name, content in subset([*baseline_numbers(40), FAYYADH]).items():
        (folder / name).write_bytes(content)
    with session_scope() as session:
        _, raw = create_key(session, name="browser-admin", scope="admin")
        result = ingest_path(session, "ofac_sdn", folder)
        assert result.status == "stored", result.reason
    return Seed(admin_key=raw, publication_entries=result.entries)


@pytest.fixture
def server(seed: Seed, tmp_path: Path) -> Iterator[Server]:
    """The real server, started after the seed so that its matching index holds the publication."""
    from tests.pipeline.stack import free_port

    port = free_port()
    env = {
        **os.environ,
        "SANCTRACK_SCREEN_ON_CHANGE": "true",
        "SANCTRACK_WEBHOOK_ALLOW_PRIVATE": "true",
        "SANCTRACK_SESSION_SECRET": "test",
        # The candidate's alias is entry 30242's name exactly (score 1.0, clamped): above 1 nothing is linked
        # automatically, so the match waits in the review queue.
        "SANCTRACK_AUTO_LINK_THRESHOLD": "1.01",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port), "--no-workers"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"the server exited with {process.returncode}:\n{log.read_text()[-4000:]}"
                )
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the server did not answer within {SERVER_START_TIMEOUT_SECONDS:g}s:\n"
                    f"{log.read_text()[-4000:]}"
                )
            time.sleep(0.1)
        yield Server(url=url, process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
