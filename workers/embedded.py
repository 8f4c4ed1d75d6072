"""Child processes for the embedded default: a Celery worker with its beat, next to the API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from app.config import get_settings


def worker_command() -> list[str]:
    settings = get_settings()
    # On SQLite one process does everything (solo pool, beat inside): SQLite wants a single writer anyway.
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.celery_app",
        "worker",
        "--loglevel=INFO",
        "-B",
        "--schedule",
        str(settings.data_dir / "celerybeat-schedule"),
    ]
    if settings.is_sqlite:
        cmd += ["--pool=solo"]
    else:
        cmd += ["--concurrency=2"]
    return cmd


def _die_with_parent() -> None:
    """Ask Linux to send this child SIGTERM when the API process dies, however it dies.

    uvicorn re-raises SIGTERM after its graceful shutdown, so the parent's cleanup code never runs; without this
    the worker would outlive the service. SIGTERM is Celery's warm shutdown: in-flight tasks finish first.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except OSError:  # not Linux: the parent's own cleanup is all there is
        pass


def start_children() -> list[subprocess.Popen[bytes]]:
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen(worker_command(), env=os.environ.copy(), preexec_fn=_die_with_parent)]
