"""The long fuzzing profile: Schemathesis against the API served by uvicorn on a scratch PostgreSQL database.

The test suite (tests/hardening/test_schemathesis.py) runs a few examples per operation in process. This runs
many more, over real HTTP, with every generation phase (examples, coverage, fuzzing, stateful), NUL characters
allowed, and then prints a summary: Schemathesis's own report, and the server's side of it (5xx answers by route
and the exceptions behind them), read from the server's JSON access log.

    .venv/bin/python bench/fuzz_api.py                       # 200 examples per operation
    .venv/bin/python bench/fuzz_api.py --examples 1000 --max-time 600 --all-checks

Needs PostgreSQL (SANCTRACK_FUZZ_ADMIN_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres); it
creates and drops the database ``sanctrack_fuzz``. Exit code: Schemathesis's (0 when nothing was found).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "SANCTRACK_FUZZ_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "sanctrack_fuzz"
DEFAULT_CHECKS = "not_a_server_error,response_schema_conformance"


def recreate_database() -> str:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)


def drop_database() -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()


def prepare(url: str) -> str:
    """Schema, reference data and an admin key, in a child process so that this one keeps no settings cache."""
    # The key gets an id the fuzzer is unlikely to draw: POST /v1/keys/{key_id}/revoke with key_id=1 would
    # otherwise revoke the fuzzer's own key and turn the rest of the run into 401s. One candidate with one
    # evidence record (ids 1) lets the operations on existing records get past 404.
    script = (
        "from app.migrate import upgrade; upgrade()\n"
        "from app.db import session_scope\n"
        "from app.auth.service import create_key\n"
        "from app.context import CLI\n"
        "from app.targets import schemas, service\n"
        "with session_scope() as s:\n"
        "    key, raw = create_key(s, name='fuzzer', scope='admin')\n"
        "    key.id = 7_340_033\n"
        "    target = service.create_target(s, schemas.TargetCreate(kind='person', name='Faleh al-Fayyad'), CLI)\n"
        "    service.add_evidence(s, target.id, schemas.EvidenceCreate(source_type='news_article', title='t',\n"
        "                         allegation='human_rights_abuse'), CLI)\n"
        "print(raw)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SANCTRACK_DATABASE_URL": url},
    )
    return result.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SANCTRACK_DATABASE_URL": url,
        "SANCTRACK_RATE_LIMIT_PER_MINUTE": "0",
        "SANCTRACK_LOG_JSON": "true",
        "SANCTRACK_SCREEN_ON_CHANGE": "false",
    }
    log = log_path.open("wb")
    server = subprocess.Popen(
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
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the API did not start; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the API did not answer within 60 s; see {log_path}")


def server_side_summary(log_path: Path) -> list[str]:
    """5xx answers by route, with the exceptions behind them, from the server's JSON access log."""
    failures: collections.Counter[tuple[str, str, int]] = collections.Counter()
    causes: collections.Counter[tuple[str, str]] = collections.Counter()
    requests = 0
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") != "sanctrack.access":
            continue
        requests += 1
        if entry.get("status", 0) >= 500:
            operation = f"{entry['method']} {entry['route']}"
            failures[(entry["method"], entry["route"], entry["status"])] += 1
            if entry.get("exc_type"):
                causes[(operation, f"{entry['exc_type']}: {entry.get('error', '')}")] += 1
    lines = [f"server answered {requests} requests; {sum(failures.values())} with 5xx"]
    for (method, route, status), count in failures.most_common():
        lines.append(f"  {count:>6} × {status} {method} {route}")
    if causes:
        lines.append("exceptions behind them:")
        for (operation, what), count in causes.most_common(30):
            lines.append(f"  {count:>6} × {operation}: {what}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=200, help="examples per operation (default 200)")
    parser.add_argument("--max-time", type=int, default=0, help="time budget in seconds (0: none)")
    # More than one worker trips a CPython 3.11 bug in ast.parse under threads (Hypothesis describes lambdas
    # with it): "AST constructor recursion depth mismatch", reported as a Schemathesis runtime error.
    parser.add_argument("--workers", default="1", help="concurrent Schemathesis workers (default 1)")
    parser.add_argument(
        "--all-checks", action="store_true", help="every Schemathesis check, not just 5xx+schema"
    )
    parser.add_argument("--no-nul", action="store_true", help="do not generate NUL characters")
    parser.add_argument("--keep-db", action="store_true", help=f"keep the {DATABASE} database afterwards")
    args = parser.parse_args()

    url = recreate_database()
    key = prepare(url)
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="sanctrack-fuzz-"))
    log_path = workdir / "server.log"
    server = start_server(url, port, log_path)
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"http://127.0.0.1:{port}/openapi.json",
        "--header",
        f"Authorization: Bearer {key}",
        "--checks",
        "all" if args.all_checks else DEFAULT_CHECKS,
        "--max-examples",
        str(args.examples),
        "--workers",
        args.workers,
        "--generation-allow-x00",
        "false" if args.no_nul else "true",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-dir",
        str(workdir / "report"),
    ]
    if args.max_time:
        command += ["--max-time", str(args.max_time)]
    try:
        result = subprocess.run(command, cwd=workdir)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not args.keep_db:
            drop_database()
    print()
    print(
        f"== sanctrack fuzz summary ({time.monotonic() - started:.0f} s, {args.examples} examples per operation)"
    )
    for line in server_side_summary(log_path):
        print(line)
    print(f"server log: {log_path}\nreports: {workdir / 'report'}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
