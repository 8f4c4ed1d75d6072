"""The demo's terminal keeps the admin key in view (issue 13, item 12): the key is the last line before the server
starts and is also written to a file only its owner reads; the embedded worker's routine log goes to a file the
output names, not over the key."""

from __future__ import annotations

import contextlib
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.demo_terminal import ADMIN_KEY_FILE, closing_lines, save_admin_key
from tests.support.cli import embedded_default_env


def test_the_key_file_is_readable_only_by_its_owner(tmp_path: Path) -> None:
    old = tmp_path / ADMIN_KEY_FILE
    old.write_text("stk_old\n")
    old.chmod(0o644)  # left by an earlier run, or made by hand
    path = save_admin_key("stk_Xg8Css8WkrxpGMzymANWMhw4Dvt0b_S6WAwQuuLRc5o", tmp_path)
    assert path == old
    assert path.read_text() == "stk_Xg8Css8WkrxpGMzymANWMhw4Dvt0b_S6WAwQuuLRc5o\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_key_is_the_last_line_and_the_files_are_named(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    lines = closing_lines(
        "http://127.0.0.1:8000", "stk_abc", tmp_path / ADMIN_KEY_FILE, tmp_path / "sanctrack-worker.log"
    )
    assert lines[-1] == "Sign in with this admin key (shown once): stk_abc"
    text = "\n".join(lines)
    assert "./sanctrack-admin-key.txt" in text and "./sanctrack-worker.log" in text
    assert "http://127.0.0.1:8000/console" in text


@pytest.mark.slow
def test_serve_with_a_worker_log_keeps_the_worker_off_the_terminal(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    """What the demo runs: the worker's banner and its log lines (one every few seconds from beat) go to the file."""
    env = embedded_default_env(tmp_path)
    terminal = tmp_path / "terminal.txt"
    worker_log = tmp_path / "sanctrack-worker.log"
    with terminal.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                "serve",
                "--port",
                str(unused_tcp_port),
                "--worker-log",
                str(worker_log),
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        ready = False
        while time.monotonic() < deadline and not (ready and "ready" in _text(worker_log)):
            with contextlib.suppress(httpx.TransportError):
                ready = httpx.get(f"http://127.0.0.1:{unused_tcp_port}/healthz", timeout=2).status_code == 200
            time.sleep(0.5)
        assert ready and "ready" in _text(worker_log), _text(terminal)[-2000:]
    finally:
        server.terminate()
        server.wait(timeout=60)
    shown = _text(terminal)
    assert "sanctrack API on" in shown
    assert "celery@" not in shown and "[tasks]" not in shown, shown[-2000:]
    assert "celery@" in _text(worker_log)


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
