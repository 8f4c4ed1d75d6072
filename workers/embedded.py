"""Child processes for the embedded default: a Celery worker with its beat, next to the API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from app.config import get_settings


def celery_worker_command(
    *,
    pool: str | None = None,
    concurrency: int | None = None,
    beat_schedule: Path | None = None,
    name: str | None = None,
    quiet_cluster: bool = False,
) -> list[str]:
    """The command line of a Celery worker of this app; with ``beat_schedule``, beat runs inside it. Tests and
    benchmarks start their workers with it too, so that they run what the service runs."""
    cmd = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--loglevel=INFO"]
    if pool:
        cmd.append(f"--pool={pool}")
    if concurrency:
        cmd.append(f"--concurrency={concurrency}")
    if name:
        cmd += ["-n", name]
    if quiet_cluster:  # one worker alone: no gossip, mingle or heartbeat traffic to wait for
        cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    if beat_schedule is not None:
        cmd += ["-B", "--schedule", str(beat_schedule)]
    return cmd


def worker_command() -> list[str]:
    settings = get_settings()
    # On SQLite one process does everything (solo pool, beat inside): SQLite wants a single writer anyway.
    return celery_worker_command(
        pool="solo" if settings.is_sqlite else None,
        concurrency=None if settings.is_sqlite else 2,
        beat_schedule=settings.data_dir / "celerybeat-schedule",
    )


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


def start_children(log_file: Path | None = None) -> list[subprocess.Popen[bytes]]:
    """The worker (with beat), its output on this terminal, or appended to ``log_file``."""
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    if log_file is None:
        return [subprocess.Popen(worker_command(), env=os.environ.copy(), preexec_fn=_die_with_parent)]
    with log_file.open("ab") as log:  # the child holds its own copy of the descriptor
        return [
            subprocess.Popen(
                worker_command(),
                env=os.environ.copy(),
                preexec_fn=_die_with_parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        ]
