"""The real parts of the pipeline, for tests: a Redis database of the test's own, Celery workers (with beat) and the
API under uvicorn, each a subprocess pointed at the test's PostgreSQL database.

Parallel test runs must never share queues or locks: each stack claims an empty Redis database (a claim key set
with NX, so two runs cannot take the same one), uses a queue name of its own, and flushes the database at the end.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import redis
from sqlalchemy import func, select

from tests.conftest import ROOT
from workers.embedded import celery_worker_command

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
CLAIM_KEY = "sanctrack-test:claimed-by"
VISIBILITY_TIMEOUT_SECONDS = 10
T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_client(db: int = 0) -> redis.Redis:
    return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_connect_timeout=2, socket_timeout=5)


def claim_redis_db() -> int:
    """An empty Redis database, claimed for this test run (the high numbers first: db 0 is everyone's default)."""
    token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    for number in range(15, 0, -1):
        client = redis_client(number)
        try:
            if client.dbsize() == 0 and client.set(CLAIM_KEY, token, nx=True, ex=6 * 3600):
                return number
        finally:
            client.close()
    raise RuntimeError("no empty Redis database (1-15) is free for this test run")


def release_redis_db(number: int) -> None:
    client = redis_client(number)
    try:
        client.flushdb()
    except redis.RedisError:
        pass  # Redis itself may be down after a failed restart test; nothing of ours is left in it then
    finally:
        client.close()


# Restarting Redis (one fault test does) would break every other stack on the machine mid-test: stacks hold this
# lock shared for their lifetime, the restart holds it exclusively. pytest-xdist's grouping keeps the pipeline tests
# of one run on one worker (tests/conftest.py), but not the other tests that start a stack, nor parallel runs.
REDIS_USE_LOCK = Path(tempfile.gettempdir()) / "sanctrack-tests-redis-use.lock"
_holding_exclusive = False
_shared_here: set[int] = set()  # the descriptors of this process's shared holds


def _lock_redis_use(mode: int, timeout: float) -> int:
    fd = os.open(REDIS_USE_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise TimeoutError(
                    f"Redis stayed in use (or restarting) for {timeout:g}s: {REDIS_USE_LOCK}"
                ) from None
            time.sleep(0.2)


@contextlib.contextmanager
def redis_to_myself(timeout: float = 600) -> Iterator[None]:
    """Wait until no other stack uses Redis and keep new ones waiting, e.g. while restarting it."""
    global _holding_exclusive
    if _shared_here:
        raise RuntimeError(
            "this process still runs a stack (it holds Redis shared): it would wait for itself"
        )
    fd = _lock_redis_use(fcntl.LOCK_EX, timeout)
    _holding_exclusive = True
    try:
        yield
    finally:
        _holding_exclusive = False
        os.close(fd)


class Process:
    """A child process in its own process group (so a kill reaches beat's child too), logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self._log_file = log.open("ab")
        self.popen = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_kill(self) -> None:
        """SIGKILL the whole group: the worker and its beat die at once, as in a crash or an OOM kill."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the group and reap the process."""
        self.signal_kill()
        self.popen.wait(timeout=10)
        self._log_file.close()


class Stack:
    """Everything a pipeline test starts, and the calls it makes to it."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        # Shared with other stacks, unless this process already has Redis to itself.
        self._redis_use = None if _holding_exclusive else _lock_redis_use(fcntl.LOCK_SH, 600)
        if self._redis_use is not None:
            _shared_here.add(self._redis_use)
        self.redis_db = claim_redis_db()
        self.queue = f"sanctrack-test-{os.getpid()}-{secrets.token_hex(4)}"
        self.env = {
            **os.environ,
            "SANCTRACK_REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
            "SANCTRACK_QUEUE": self.queue,
            "SANCTRACK_WEBHOOK_ALLOW_PRIVATE": "true",
            "SANCTRACK_SCREEN_ON_CHANGE": "true",
            "SANCTRACK_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_SECONDS),
            # No source refreshes on a schedule unless a test asks for it; beat still sends due deliveries.
            "SANCTRACK_REFRESH_INTERVAL_SECONDS": "0",
            "SANCTRACK_LOG_JSON": "false",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.workers: list[Process] = []
        self.api_process: Process | None = None
        self.api_url = ""
        self._http: httpx.Client | None = None
        self.admin_key = ""
        self._celery: Any = None

    # -- processes ----------------------------------------------------------------------------------------------

    def start_worker(
        self, *, beat: bool = True, env: dict[str, str] | None = None, wait: bool = True
    ) -> Process:
        number = len(self.workers) + 1
        command = celery_worker_command(
            pool="threads",
            concurrency=2,
            name=f"w{number}-{self.queue}@%h",
            quiet_cluster=True,
            beat_schedule=self.workdir / f"beat-schedule-{number}" if beat else None,
        )
        worker = Process(
            f"worker {number}", command, {**self.env, **(env or {})}, self.workdir / f"worker-{number}.log"
        )
        self.workers.append(worker)
        if wait:
            self.wait_worker(worker)
        return worker

    @staticmethod
    def wait_worker(worker: Process) -> None:
        wait_until(lambda: " ready." in worker.output() or not worker.alive(), 60, f"{worker.name} to start")
        assert worker.alive(), f"{worker.name} exited:\n{worker.output()[-3000:]}"

    def start(self, *, beat: bool = True, worker_env: dict[str, str] | None = None) -> None:
        """The API and one worker, started side by side (each takes a couple of seconds to import the app)."""
        self.spawn_api()
        worker = self.start_worker(beat=beat, env=worker_env, wait=False)
        self.wait_api()
        self.wait_worker(worker)

    def spawn_api(self) -> None:
        port = free_port()
        self.api_process = Process(
            "api",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            self.env,
            self.workdir / "api.log",
        )
        self.api_url = f"http://127.0.0.1:{port}"

    def start_api(self) -> None:
        self.spawn_api()
        self.wait_api()

    def wait_api(self) -> None:
        process = self.api_process
        assert process is not None

        def answers() -> bool:
            assert process.alive(), f"the API exited:\n{process.output()[-3000:]}"
            try:
                return httpx.get(self.api_url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, 60, "the API to answer")
        self.new_admin_key()

    def new_admin_key(self) -> None:
        """An admin API key, committed (again after each test when the stack outlives the test's tables)."""
        from app.auth.service import create_key
        from app.db import session_scope

        with session_scope() as session:
            _, self.admin_key = create_key(session, name="pipeline-test-admin", scope="admin")
        if self._http is not None:
            self._http.close()
        self._http = httpx.Client(
            base_url=self.api_url, timeout=60, headers={"Authorization": f"Bearer {self.admin_key}"}
        )

    def close(self) -> None:
        # Killed outright, all at once: tasks are idempotent and a graceful stop would only cost time.
        processes = [*self.workers, *([self.api_process] if self.api_process else [])]
        for process in processes:
            process.signal_kill()
        for process in processes:
            process.kill()
        if self._http is not None:
            self._http.close()
        if self._celery is not None:
            self._celery.close()
        release_redis_db(self.redis_db)
        if self._redis_use is not None:
            _shared_here.discard(self._redis_use)
            os.close(self._redis_use)
            self._redis_use = None

    def logs(self) -> str:
        parts = []
        for process in [*self.workers, *([self.api_process] if self.api_process else [])]:
            parts.append(f"----- {process.name} (last 6000 characters) -----\n{process.output()[-6000:]}")
        return "\n".join(parts)

    # -- the API ------------------------------------------------------------------------------------------------

    @property
    def http(self) -> httpx.Client:
        assert self._http is not None, "start_api() first"
        return self._http

    def call(self, method: str, path: str, expect: int | None = None, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        if expect is not None:
            assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response

    def create_target(self, body: dict[str, Any], *, via_api: bool = False) -> dict[str, Any]:
        """A candidate, created through the service and committed, or through the API, whose create route also
        screens it in the background (SANCTRACK_SCREEN_ON_CHANGE), which fault tests would have to wait for."""
        if via_api:
            return dict(self.call("POST", "/v1/targets", 201, json=body).json())
        from app.context import SYSTEM
        from app.db import session_scope
        from app.targets.schemas import TargetCreate
        from app.targets.service import create_target

        with session_scope() as session:
            target = create_target(session, TargetCreate(**body), SYSTEM)
            return {"id": target.id, "name": target.name}

    def create_webhook(self, url: str, event_types: list[str], **extra: Any) -> dict[str, Any]:
        return self.call(
            "POST", "/v1/webhooks", 201, json={"url": url, "event_types": event_types, **extra}
        ).json()

    def refresh(self, source: str = "ofac_sdn") -> str:
        return str(self.call("POST", f"/v1/lists/{source}/refresh", 202).json()["id"])

    def target(self, target_id: int) -> dict[str, Any]:
        return self.call("GET", f"/v1/targets/{target_id}", 200).json()

    def authority_status(self, target_id: int, authority: str) -> dict[str, Any] | None:
        return next(
            (s for s in self.target(target_id)["authority_status"] if s["authority"] == authority), None
        )

    def deliveries(self, webhook_id: int) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/v1/webhooks/{webhook_id}/deliveries", 200).json())

    def events(self, **params: Any) -> list[dict[str, Any]]:
        return list(self.call("GET", "/v1/events", 200, params={"limit": 1000, **params}).json())

    # -- Celery, from the test process --------------------------------------------------------------------------

    def send_task(self, name: str, args: list[Any]) -> None:
        """Put a task on the stack's queue directly, as a duplicate delivery or a second caller would."""
        if self._celery is None:
            from celery import Celery

            self._celery = Celery("pipeline-tests", broker=self.env["SANCTRACK_REDIS_URL"])
            self._celery.conf.broker_transport_options = {"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS}
        self._celery.send_task(name, args=args, queue=self.queue)

    # -- the database, read directly ---------------------------------------------------------------------------

    def run(self, run_id: str) -> dict[str, Any]:
        from app.db import session_scope
        from app.pipeline import get_run, run_json

        with session_scope() as session:
            return run_json(get_run(session, run_id))

    def wait_run(self, run_id: str, timeout: float = 60) -> dict[str, Any]:
        """The run once it is finished (succeeded, rejected or failed)."""
        return wait_until(
            lambda: (lambda r: r if r["status"] not in ("queued", "running") else None)(self.run(run_id)),
            timeout,
            f"run {run_id} to finish",
        )

    def count(self, model: Any, *where: Any) -> int:
        from app.db import session_scope

        with session_scope() as session:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def received_ids(receiver: Any, event_type: str | None = None) -> list[str]:
    """The webhook-id of every request the receiver got (of one event type if given), in arrival order."""
    out = []
    for request in receiver.received:
        if event_type is None or json.loads(request.body).get("type") == event_type:
            out.append(request.headers["webhook-id"])
    return out
