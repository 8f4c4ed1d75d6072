"""Child processes for the embedded default: a Celery worker with its beat, next to the API."""

from __future__ import annotations

import os
import subprocess
import sys

from app.config import get_settings


def worker_command() -> list[str]:
    settings = get_settings()
    # On SQLite one process does everything (solo pool, beat inside): SQLite wants a single writer anyway.
    cmd = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--loglevel=INFO", "-B",
           "--schedule", str(settings.data_dir / "celerybeat-schedule")]
    if settings.is_sqlite:
        cmd += ["--pool=solo"]
    else:
        cmd += ["--concurrency=2"]
    return cmd


def start_children() -> list[subprocess.Popen[bytes]]:
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen(worker_command(), env=os.environ.copy())]
