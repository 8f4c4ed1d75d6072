"""Running the real ``sanctrack`` command line in a subprocess, as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def embedded_default_env(folder: Path) -> dict[str, str]:
    """The environment of a service on the embedded default in ``folder``: SQLite, no Redis, no scheduled download."""
    return {
        **os.environ,
        "SANCTRACK_DATABASE_URL": f"sqlite:///{folder / 'sanctrack.db'}",
        "SANCTRACK_DATA_DIR": str(folder / "data"),
        "SANCTRACK_REDIS_URL": "",
        "SANCTRACK_REFRESH_INTERVAL_SECONDS": "0",
    }


def run_sanctrack(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    check: bool = True,
    timeout: float = 180,
) -> subprocess.CompletedProcess:
    """``sanctrack ARGS`` from the repository root, with ``env`` on top of this process's environment; with
    ``check``, a non-zero exit fails the test with its stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        input=stdin,
    )
    if check:
        assert result.returncode == 0, f"{args}: {result.stderr}"
    return result


def cli_help(*command: str) -> str:
    """What ``sanctrack COMMAND --help`` prints, from the same command-line app run in this process (a help text
    needs no process of its own, and a test that reads several saves a second of start-up for each)."""
    from typer.testing import CliRunner

    from app.cli import app

    result = CliRunner().invoke(app, [*command, "--help"], prog_name="sanctrack")
    assert result.exit_code == 0, result.output
    return result.output
