"""Webhook benchmark: how fast one worker process delivers signed webhooks, and how long a new publication takes
to become a signed alert at a subscriber.

Run from the repository root::

    .venv/bin/python bench/webhooks.py               # both parts, N = 2000 deliveries
    .venv/bin/python bench/webhooks.py --events 5000 --no-latency

What it measures, in a PostgreSQL database it creates for itself (sanctrack_bench_webhooks_<pid>) and drops at the
end, and a Redis database it claims (an empty one, 15 down to 1) and flushes at the end:

* throughput: N events, one active webhook, a receiver on 127.0.0.1 in its own process (asyncio, answers 204);
  ``send_due_deliveries`` (the Celery task's function, called in this process) drains the outbox, first with one
  thread, then with two as the worker's thread pool runs it. Reported: deliveries per second, and per attempt the
  p50/p99 of the whole attempt (load, sign, POST, record, commit) and of the HTTP exchange alone (``latency_ms``
  of the attempt log). Every delivery must arrive exactly once, and sampled signatures must verify.
* latency: a real Celery worker with beat refreshing the OFAC SDN list every second from a local list server; the
  2019-01 SDN set is the baseline, then the 2023-12-28 set is published (with the removal guard raised to 50 %, so
  that it is applied, not held) and the clock runs from ``publish()`` to the arrival of the signed
  ``target.designated`` for the candidate Faleh al-Fayyad at the receiver, split into its steps from the run, the
  change rows, the event and the delivery attempt that the service recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workers.embedded import celery_worker_command  # noqa: E402 - after the path set-up above

ADMIN_URL = os.environ.get(
    "SANCTRACK_BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS = ("127.0.0.1", 6379)
DATA = Path(os.environ.get("SANCTRACK_SAMPLE_DATA", ROOT.parent / "shared" / "data")).resolve()
SDN_MEMBERS = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
CLAIM_KEY = "sanctrack-bench:claimed-by"
WARM_UP = 20
FAYYADH: dict[str, Any] = {
    "kind": "person",
    "name": "Faleh al-Fayyad",
    "aliases": ["Falih al-Fayyadh"],
    "programs": ["GLOMAG"],
    "nationalities": ["IQ"],
}


# ---- the receiver, in its own process --------------------------------------------------------------------------------


def serve_receiver() -> None:
    """A minimal HTTP/1.1 server: 204 to every POST; ``GET /stats`` tells what arrived. Prints its port first."""
    received: dict[str, int] = {}
    samples: list[dict[str, Any]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if method == "GET" and path == "/stats":
                    payload = json.dumps(
                        {"count": sum(received.values()), "unique": len(received), "samples": samples}
                    ).encode()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                        + str(len(payload)).encode()
                        + b"\r\n\r\n"
                        + payload
                    )
                else:
                    event_id = headers.get("webhook-id", "")
                    received[event_id] = received.get(event_id, 0) + 1
                    if len(samples) < 5:
                        samples.append(
                            {
                                "headers": {k: v for k, v in headers.items() if k.startswith("webhook-")},
                                "body": body.decode(),
                            }
                        )
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


@contextmanager
def receiver_process() -> Iterator[str]:
    process = subprocess.Popen([sys.executable, __file__, "--receiver"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def receiver_stats(base_url: str) -> dict[str, Any]:
    import httpx

    return dict(httpx.get(base_url + "/stats", timeout=10).json())


# ---- databases ---------------------------------------------------------------------------------------------------------


@contextmanager
def bench_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"sanctrack_bench_webhooks_{os.getpid()}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        from app.db import get_engine

        get_engine().dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def point_settings_at(url: str, data_dir: str) -> None:
    """Settings are read once: point them at the bench database and a scratch folder before the app reads them."""
    os.environ.update(
        {
            "SANCTRACK_DATABASE_URL": url,
            "SANCTRACK_DATA_DIR": data_dir,
            "SANCTRACK_WEBHOOK_ALLOW_PRIVATE": "true",
            "SANCTRACK_SCREEN_ON_CHANGE": "true",
            "SANCTRACK_LOG_JSON": "false",
            "SANCTRACK_SAMPLE_DATA": str(DATA),
        }
    )
    for name in ("SANCTRACK_REDIS_URL", "SANCTRACK_QUEUE"):
        os.environ.pop(name, None)
    from app.config import get_settings
    from app.db import get_engine, get_sessionmaker

    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()


@contextmanager
def redis_database() -> Iterator[int]:
    """An empty Redis database, claimed (NX) so that a parallel run cannot take it, flushed at the end."""
    import redis

    token = f"{socket.gethostname()}:{os.getpid()}"
    for number in range(15, 0, -1):
        client = redis.Redis(host=REDIS[0], port=REDIS[1], db=number)
        if client.dbsize() == 0 and client.set(CLAIM_KEY, token, nx=True, ex=3600):
            try:
                yield number
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    raise RuntimeError("no empty Redis database (1-15) to run the latency benchmark in")


def empty_tables() -> None:
    from sqlalchemy import text

    from app.db import get_engine

    with get_engine().begin() as conn:
        conn.execute(
            text(
                "TRUNCATE delivery_attempts, deliveries, events, webhooks, target_statuses, links, changes, "
                "entry_versions, list_entries, runs, snapshots, raw_blobs, targets, audit_records "
                "RESTART IDENTITY CASCADE"
            )
        )


# ---- throughput ----------------------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def make_events(count: int, start: int) -> float:
    """Emit ``count`` target.designated-like events (their deliveries are queued in the same transaction)."""
    from app.alerts.events import emit_event
    from app.db import session_scope

    began = time.perf_counter()
    with session_scope() as session:
        for number in range(start, start + count):
            emit_event(
                session,
                type="target.designated",
                dedupe_key=f"bench:{number}",
                authority="OFAC",
                source="ofac_sdn",
                data={
                    "target": {
                        "id": number,
                        "name": f"Bench Candidate {number}",
                        "kind": "person",
                        "tags": ["bench"],
                        "programs": ["GLOMAG"],
                    },
                    "authority": "OFAC",
                    "programs": ["GLOMAG"],
                    "target_programs": ["GLOMAG"],
                    "entries": [
                        {
                            "source": "ofac_sdn",
                            "list_id": str(30000 + number),
                            "name": "AL-FAYYADH, Falih",
                            "programs": ["GLOMAG"],
                            "listed_on": None,
                            "is_listed": True,
                            "removed_on": None,
                        }
                    ],
                    "links": [{"id": number, "state": "auto", "score": 1.0}],
                    "snapshot_ids": [2],
                },
            )
    return time.perf_counter() - began


def drain(threads: int, attempt_seconds: list[float]) -> float:
    """Call the sender until nothing is pending, from ``threads`` threads; returns the wall time."""
    from app.alerts import service
    from app.db import session_scope
    from workers.tasks import send_due_deliveries

    original = service.attempt_delivery
    lock = threading.Lock()

    def timed_attempt(session: Any, delivery_id: int) -> str:
        began = time.perf_counter()
        try:
            return original(session, delivery_id)
        finally:
            with lock:
                attempt_seconds.append(time.perf_counter() - began)

    def pending() -> int:
        with session_scope() as session:
            return service.pending_count(session)

    def sender() -> None:
        while pending():
            if not send_due_deliveries(max_rounds=1000):
                time.sleep(0.005)  # the rest is leased by the other thread: wait for it rather than spin

    service.attempt_delivery = timed_attempt  # the task imports it at call time, so it times every attempt
    try:
        began = time.perf_counter()
        workers = [threading.Thread(target=sender) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.perf_counter() - began
    finally:
        service.attempt_delivery = original


def http_latencies(since_id: int) -> list[int]:
    from sqlalchemy import select

    from app.alerts.models import DeliveryAttempt
    from app.db import session_scope

    with session_scope() as session:
        return [
            v
            for v in session.scalars(select(DeliveryAttempt.latency_ms).where(DeliveryAttempt.id > since_id))
            if v is not None
        ]


def max_attempt_id() -> int:
    from sqlalchemy import func, select

    from app.alerts.models import DeliveryAttempt
    from app.db import session_scope

    with session_scope() as session:
        return int(session.scalar(select(func.max(DeliveryAttempt.id))) or 0)


def bench_throughput(count: int) -> dict[str, Any]:
    from standardwebhooks import Webhook as Verifier

    from app.alerts.service import create_webhook
    from app.context import SYSTEM
    from app.db import session_scope

    out: dict[str, Any] = {"events": count, "runs": []}
    with receiver_process() as base_url:
        with session_scope() as session:
            secret = create_webhook(
                session, url=base_url + "/hook", event_types=[], filters={}, description="bench", actor=SYSTEM
            ).secret
        make_events(WARM_UP, 0)
        drain(1, [])  # imports, connection pools, the first TLS-free handshakes: not part of the figures
        emitted = WARM_UP
        for threads in (1, 2):
            out["emit_seconds"] = make_events(count, emitted)
            emitted += count
            first_attempt = max_attempt_id()
            attempts: list[float] = []
            seconds = drain(threads, attempts)
            http = http_latencies(first_attempt)
            out["runs"].append(
                {
                    "threads": threads,
                    "seconds": seconds,
                    "per_second": count / seconds,
                    "attempts": len(attempts),
                    "attempt_p50_ms": percentile(attempts, 0.50) * 1000,
                    "attempt_p99_ms": percentile(attempts, 0.99) * 1000,
                    "http_p50_ms": percentile([float(v) for v in http], 0.50),
                    "http_p99_ms": percentile([float(v) for v in http], 0.99),
                }
            )
        stats = receiver_stats(base_url)
        out["received"], out["unique"] = stats["count"], stats["unique"]
        out["expected"] = emitted
        verifier = Verifier(secret)
        out["verified"] = sum(1 for s in stats["samples"] if verifier.verify(s["body"], s["headers"]))
        out["sampled"] = len(stats["samples"])
    return out


# ---- latency: publication to alert ---------------------------------------------------------------------------------------


@contextmanager
def worker_process(env: dict[str, str], workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = (workdir / "worker.log").open("wb")
    command = celery_worker_command(
        pool="threads",
        concurrency=2,
        beat_schedule=workdir / "beat-schedule",
        name=f"bench-{os.getpid()}@%h",
        quiet_cluster=True,
    )
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:g}s waiting for {what}")
        time.sleep(0.1)


def publish_set(server: Any, folder: Path) -> None:
    for name in SDN_MEMBERS:
        if (folder / name).exists():
            server.publish(f"/sdn/{name}", folder / name)


def bench_latency(workdir: Path) -> dict[str, Any]:
    from sqlalchemy import func, select

    from app.alerts.models import DeliveryAttempt, Event
    from app.alerts.service import create_webhook
    from app.context import SYSTEM
    from app.db import session_scope
    from app.lists.models import Change, Run, Snapshot
    from app.targets.schemas import TargetCreate
    from app.targets.service import create_target
    from tests.support.servers import ListServer, WebhookReceiver

    with ListServer() as lists, WebhookReceiver() as receiver, redis_database() as redis_db:
        publish_set(lists, DATA / "ofac_sdn" / "2019-01")
        with session_scope() as session:
            target_id = create_target(session, TargetCreate(**FAYYADH), SYSTEM).id
            secret = create_webhook(
                session,
                url=receiver.url,
                event_types=["target.designated"],
                filters={},
                description="bench latency",
                actor=SYSTEM,
            ).secret
        env = {
            **os.environ,
            "SANCTRACK_REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{redis_db}",
            "SANCTRACK_QUEUE": f"sanctrack-bench-{os.getpid()}-{secrets.token_hex(3)}",
            "SANCTRACK_OFAC_SDN_URL": lists.url("/sdn/"),
            "SANCTRACK_REFRESH_INTERVAL_SECONDS": "0",
            "SANCTRACK_REFRESH_INTERVALS": json.dumps({"ofac_sdn": 1}),
            "SANCTRACK_MAX_REMOVAL_SHARE": "0.5",
            "PYTHONUNBUFFERED": "1",
        }

        def current_snapshot() -> int | None:
            with session_scope() as session:
                return session.scalar(
                    select(Snapshot.id).where(Snapshot.source == "ofac_sdn", Snapshot.status == "current")
                )

        def runs_finished() -> int:
            with session_scope() as session:
                return int(
                    session.scalar(select(func.count()).select_from(Run).where(Run.finished_at.is_not(None)))
                    or 0
                )

        with worker_process(env, workdir):
            baseline = wait_for(current_snapshot, 180, "the 2019-01 baseline to be current")
            # One more refresh that finds nothing new: the worker is warm and beat is ticking.
            settled = runs_finished()
            wait_for(lambda: runs_finished() > settled, 30, "a refresh that finds nothing new")

            clock_offset = time.time() - time.monotonic()  # the list server logs monotonic time
            requests_before = len(lists.requests)
            published_at = time.time()
            publish_set(lists, DATA / "ofac_sdn" / "2023-12-28")
            [arrival] = receiver.wait_for(1, timeout=180)
            applied = wait_for(
                lambda: (lambda s: s if s != baseline else None)(current_snapshot()), 30, "the new snapshot"
            )

        with session_scope() as session:
            run = session.scalar(select(Run).where(Run.snapshot_id == applied))
            last_change = session.scalar(
                select(func.max(Change.created_at)).where(Change.snapshot_id == applied)
            )
            event = session.scalar(
                select(Event).where(Event.type == "target.designated", Event.target_id == target_id)
            )
            attempt = session.scalar(select(DeliveryAttempt).order_by(DeliveryAttempt.id).limit(1))
            assert run is not None and run.started_at and run.finished_at, (
                "no finished run applied the publication"
            )
            assert event is not None and attempt is not None and last_change is not None, (
                "nothing was recorded"
            )
            counts = dict(run.counts)
            moments = {
                "run created (beat tick)": run.created_at.timestamp(),
                "run started (worker)": run.started_at.timestamp(),
                "last change row written": last_change.timestamp(),
                "event emitted": event.occurred_at.timestamp(),
                "run committed": run.finished_at.timestamp(),
                "delivery attempt sent": attempt.at.timestamp() - (attempt.latency_ms or 0) / 1000,
            }
            event_id = event.id
        fetches = [r for r in lists.requests[requests_before:] if r.path.startswith("/sdn/")]
        from standardwebhooks import Webhook as Verifier

        payload = Verifier(secret).verify(arrival.body, arrival.headers)
        return {
            "total": arrival.received_at - published_at,
            "published_at": published_at,
            "first_request": (fetches[0].at + clock_offset) if fetches else None,
            "last_request": (fetches[-1].at + clock_offset) if fetches else None,
            "moments": moments,
            "arrival": arrival.received_at,
            "counts": counts,
            "verified": payload["type"] == "target.designated" and arrival.headers["webhook-id"] == event_id,
        }


# ---- report ----------------------------------------------------------------------------------------------------------------


def print_throughput(result: dict[str, Any]) -> None:
    print(
        f"throughput: {result['events']:,} events, one active webhook, receiver in its own process on 127.0.0.1 "
        f"(new connection per attempt, as the sender makes one)"
    )
    print(
        f"  writing the events and their deliveries (outbox): {result['events'] / result['emit_seconds']:,.0f} "
        f"events/s"
    )
    print(
        f"  {'sender threads':<16}{'seconds':>9}{'deliveries/s':>14}{'attempt p50':>13}{'attempt p99':>13}"
        f"{'HTTP p50':>10}{'HTTP p99':>10}"
    )
    for run in result["runs"]:
        print(
            f"  {run['threads']:<16}{run['seconds']:>9.2f}{run['per_second']:>14,.0f}"
            f"{run['attempt_p50_ms']:>10.1f} ms{run['attempt_p99_ms']:>10.1f} ms"
            f"{run['http_p50_ms']:>7.0f} ms{run['http_p99_ms']:>7.0f} ms"
        )
    print(
        "  attempt = load, sign, POST, record the attempt, commit; HTTP = until the response headers "
        "(latency_ms, whole milliseconds)"
    )
    print(
        f"  received {result['received']:,} requests for {result['expected']:,} deliveries (warm-up included), "
        f"{result['unique']:,} distinct webhook-ids; {result['verified']}/{result['sampled']} sampled signatures "
        f"verify"
    )


def print_latency(result: dict[str, Any]) -> None:
    print(
        "latency: publication of the OFAC SDN 2023-12-28 set (after 2019-01) to the signed target.designated "
        "for Faleh al-Fayyad at the receiver"
    )
    print(
        f"  total: {result['total']:.2f} s   (worker: Celery, 2 threads, beat refreshing every 1 s; "
        f"{result['counts'].get('added', 0):,} added, {result['counts'].get('amended', 0):,} amended, "
        f"{result['counts'].get('removed', 0):,} removed)"
    )
    steps: list[tuple[str, float | None]] = [("published", result["published_at"])]
    moments = result["moments"]
    steps.append(("run created (beat tick)", moments["run created (beat tick)"]))
    steps.append(("run started (worker)", moments["run started (worker)"]))
    steps.append(("last file requested (fetch)", result["last_request"]))
    steps.append(("changes computed (parse + compare + apply)", moments["last change row written"]))
    steps.append(("event emitted (screening)", moments["event emitted"]))
    steps.append(("run committed (statuses, commit)", moments["run committed"]))
    steps.append(("delivery attempt sent (sender picked it up)", moments["delivery attempt sent"]))
    steps.append(("arrived at the receiver", result["arrival"]))
    previous = result["published_at"]
    for label, moment in steps[1:]:
        if moment is None:
            continue
        print(f"  {label:<46}+{moment - previous:>7.3f} s   (at {moment - result['published_at']:>7.3f} s)")
        previous = moment
    print(f"  the signature verifies and webhook-id is the event id: {result['verified']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="deliveries to drain (default 2000)")
    parser.add_argument("--no-latency", action="store_true", help="skip the publication-to-alert measurement")
    parser.add_argument("--receiver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        serve_receiver()
        return 0
    if not (DATA / "ofac_sdn" / "2023-12-28").is_dir():
        print(
            f"sample data not found under {DATA} (set SANCTRACK_SAMPLE_DATA to shared/data)", file=sys.stderr
        )
        return 2
    load = os.getloadavg()
    print(f"sanctrack webhook benchmark; {os.cpu_count()} CPUs, load average at start {load[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="sanctrack-bench-webhooks-") as workdir, bench_database() as url:
        point_settings_at(url, workdir)
        from app.migrate import upgrade

        upgrade()
        print()
        print_throughput(bench_throughput(args.events))
        if not args.no_latency:
            empty_tables()
            print()
            print_latency(bench_latency(Path(workdir)))
    print()
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
