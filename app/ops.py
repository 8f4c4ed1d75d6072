"""Operations: list freshness for /readyz, database backup and restore, and retention (pruning old data).

Backups use the database's own tools: ``pg_dump --format=custom`` / ``pg_restore`` for PostgreSQL (the client
programs must be at least the server's major version), and SQLite's online backup API, which copies a consistent
image even while the API and workers keep writing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import ServiceError

ProgressCallback = Callable[[int], None]  # bytes written so far


class OperationFailed(ServiceError):
    status, slug, title = 500, "operation-failed", "Operation failed"


# ---- list freshness ----------------------------------------------------------------------------------------------


def newest_refresh_by_source(conn: Connection | Session) -> dict[str, dt.datetime]:
    """When each source last refreshed successfully: its newest current snapshot, or its newest succeeded run.

    Sources that never refreshed successfully are absent, so a fresh install reports nothing stale.
    """
    from app.lists.models import Run, Snapshot

    newest: dict[str, dt.datetime] = {}
    snapshots = conn.execute(
        select(Snapshot.source, func.max(Snapshot.applied_at))
        .where(Snapshot.status == "current")
        .group_by(Snapshot.source)
    )
    runs = conn.execute(
        select(Run.source, func.max(func.coalesce(Run.finished_at, Run.created_at)))
        .where(Run.status == "succeeded", Run.source.is_not(None))
        .group_by(Run.source)
    )
    for source, at in [*snapshots, *runs]:
        if source is None or at is None:
            continue
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # func.max bypasses the UTC column type
        if source not in newest or at > newest[source]:
            newest[source] = at
    return newest


def stale_lists_check(max_age_seconds: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """The /readyz check: not ok when a source that has refreshed before has not refreshed for too long."""
    from app.db import get_engine

    now = now or utcnow()
    try:
        with get_engine().connect() as conn:
            newest = newest_refresh_by_source(conn)
    except Exception as exc:  # noqa: BLE001 - any failure means "cannot tell", and says why
        return {"ok": False, "error": type(exc).__name__}
    stale = {
        source: {"last_refresh": at.isoformat(), "age_seconds": int((now - at).total_seconds())}
        for source, at in sorted(newest.items())
        if (now - at).total_seconds() > max_age_seconds
    }
    check: dict[str, Any] = {"ok": not stale, "max_age_seconds": max_age_seconds, "sources": sorted(newest)}
    if stale:
        check["stale"] = stale
    return check


# ---- backup and restore ------------------------------------------------------------------------------------------


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def default_backup_name(url: str, now: dt.datetime | None = None) -> Path:
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"sanctrack-{stamp}.{'sqlite3' if _is_sqlite(url) else 'dump'}")


def find_pg_tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore`` from PATH, else the newest under /usr/lib/postgresql/*/bin (Debian layout)."""
    found = shutil.which(name)
    if found:
        return found

    def major(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/", path)
        return int(match.group(1)) if match else 0

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=major, reverse=True)
    if candidates:
        return candidates[0]
    raise OperationFailed(
        f"{name} was not found on PATH nor under /usr/lib/postgresql/*/bin; install the PostgreSQL client "
        "programs of the server's major version or newer (Debian/Ubuntu: apt-get install postgresql-client)"
    )


def pg_connection(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password for the command line, and an environment carrying the password.

    The password goes in PGPASSWORD, never in the arguments, which any user on the machine can read in ps.
    """
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    # URL.set() ignores None, so the password is dropped with the named tuple's _replace.
    plain = parsed.set(drivername="postgresql")._replace(password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise OperationFailed(f"{url!r} is not a SQLite file; there is nothing to back up or restore")
    return Path(database)


def _run_with_progress(
    args: list[str], env: dict[str, str], watch: Path | None, progress: ProgressCallback | None
) -> subprocess.CompletedProcess[str]:
    """Run a client program, reporting the size of ``watch`` as it grows, and keep its stderr for the error."""
    with subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as proc:
        stderr_chunks: list[str] = []
        # stderr is read on the side so that a chatty program cannot fill the pipe and stall.
        import threading

        reader = threading.Thread(
            target=lambda: stderr_chunks.append(proc.stderr.read() if proc.stderr else "")
        )
        reader.start()
        while proc.poll() is None:
            if progress is not None and watch is not None and watch.exists():
                progress(watch.stat().st_size)
            time.sleep(0.2)
        reader.join()
        return subprocess.CompletedProcess(args, proc.returncode, "", "".join(stderr_chunks))


def _tool_error(tool: str, result: subprocess.CompletedProcess[str]) -> OperationFailed:
    from app.observability import redact

    message = redact(result.stderr.strip()) or f"exit code {result.returncode}"
    hint = ""
    if "version mismatch" in message or "unsupported version" in message:
        hint = (
            " The client programs are older than the server: install the PostgreSQL client of the server's "
            "major version (or newer) and put it first on PATH."
        )
    return OperationFailed(f"{tool} failed: {message}.{hint}")


@dataclass
class BackupResult:
    path: Path
    size: int
    seconds: float


def backup(url: str, output: Path, progress: ProgressCallback | None = None) -> BackupResult:
    """Write a consistent backup of the database at ``url`` to ``output`` (replaced only once complete)."""
    started = time.monotonic()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    try:
        if _is_sqlite(url):
            _sqlite_backup(_sqlite_path(url), partial, progress)
        else:
            uri, env = pg_connection(url)
            result = _run_with_progress(
                [
                    find_pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-password",
                    f"--file={partial}",
                    f"--dbname={uri}",
                ],
                env,
                partial,
                progress,
            )
            if result.returncode != 0:
                raise _tool_error("pg_dump", result)
        os.replace(partial, output)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    size = output.stat().st_size
    if progress is not None:
        progress(size)
    return BackupResult(output, size, time.monotonic() - started)


def _sqlite_backup(source: Path, dest: Path, progress: ProgressCallback | None) -> None:
    if not source.exists():
        raise OperationFailed(f"the SQLite database {source} does not exist")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(dest)
    try:
        page_size = src.execute("PRAGMA page_size").fetchone()[0]

        def report(_status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress((total - remaining) * page_size)

        # Copy in steps so that writers are not locked out for the whole copy.
        src.backup(dst, pages=1024, progress=report)
    finally:
        dst.close()
        src.close()


def check_backup(url: str, path: Path) -> str:
    """Refuse a file that is not a backup of the right kind before anything is dropped; returns a description."""
    path = Path(path)
    if not path.is_file():
        raise OperationFailed(f"no backup file at {path}")
    if _is_sqlite(url):
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
                tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise OperationFailed(f"{path} is not a SQLite database ({exc})") from None
        if verdict != "ok":
            raise OperationFailed(f"{path} is a damaged SQLite database: {verdict}")
        return f"SQLite database with {tables} tables"
    result = subprocess.run([find_pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        raise OperationFailed(f"{path} is not a pg_dump custom-format archive: {result.stderr.strip()}")
    return f"pg_dump archive with {sum(1 for line in result.stdout.splitlines() if line and line[0].isdigit())} items"


def restore(url: str, path: Path, progress: ProgressCallback | None = None) -> float:
    """Replace the database's contents with the backup at ``path``; returns the seconds it took.

    PostgreSQL: ``pg_restore --clean --if-exists --single-transaction``, so a failed restore changes nothing.
    SQLite: the backup API copies the file's pages into the live database, which (unlike copying the file over
    it) stays correct with the write-ahead log and with other connections open.
    """
    started = time.monotonic()
    check_backup(url, path)
    if _is_sqlite(url):
        target = _sqlite_path(url)
        src = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            page_size = src.execute("PRAGMA page_size").fetchone()[0]

            def report(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress((total - remaining) * page_size)

            src.backup(dst, progress=report)
        finally:
            dst.close()
            src.close()
    else:
        uri, env = pg_connection(url)
        result = _run_with_progress(
            [
                find_pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--no-password",
                f"--dbname={uri}",
                str(path),
            ],
            env,
            None,
            None,
        )
        if result.returncode != 0:
            raise _tool_error("pg_restore", result)
    return time.monotonic() - started


def describe_database(url: str) -> str:
    """Where a URL points, for confirmation prompts: never its password."""
    if _is_sqlite(url):
        return f"SQLite file {_sqlite_path(url)}"
    parsed = make_url(url)
    return f"PostgreSQL database {parsed.database!r} on {parsed.host or 'localhost'}:{parsed.port or 5432}"


# ---- retention ---------------------------------------------------------------------------------------------------


@dataclass
class PruneReport:
    dry_run: bool
    raw_blobs_cleared: int = 0
    raw_bytes_freed: int = 0
    delivery_attempts_deleted: int = 0
    cutoffs: dict[str, str | None] = field(default_factory=dict)


def prune(
    session: Session,
    *,
    raw_snapshot_days: int,
    delivery_attempt_days: int,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> PruneReport:
    """Apply the retention settings (0 days keeps forever); with ``dry_run`` count what would go, change nothing.

    Raw publications: the bytes of a blob are dropped (the row, its hash and size stay, so the snapshot history
    still says what was fetched) when every snapshot that uses it is superseded or rejected and was fetched more
    than ``raw_snapshot_days`` ago. A blob that any current or held snapshot uses is never touched, even if an
    old rejected snapshot shares it. Delivery attempts: rows older than ``delivery_attempt_days`` are deleted
    (their delivery keeps its outcome and attempt count).
    """
    from app.alerts.models import DeliveryAttempt
    from app.lists.models import RawBlob, Snapshot

    now = now or utcnow()
    report = PruneReport(dry_run=dry_run)
    if raw_snapshot_days > 0:
        cutoff = now - dt.timedelta(days=raw_snapshot_days)
        report.cutoffs["raw_snapshots_fetched_before"] = cutoff.isoformat()
        old_discarded = exists().where(
            Snapshot.sha256 == RawBlob.sha256,
            Snapshot.status.in_(("superseded", "rejected")),
            Snapshot.fetched_at < cutoff,
        )
        still_needed = exists().where(
            Snapshot.sha256 == RawBlob.sha256,
            ~and_(Snapshot.status.in_(("superseded", "rejected")), Snapshot.fetched_at < cutoff),
        )
        condition = and_(RawBlob.data.is_not(None), old_discarded, ~still_needed)
        count, size = session.execute(
            select(func.count(), func.coalesce(func.sum(func.length(RawBlob.data)), 0)).where(condition)
        ).one()
        report.raw_blobs_cleared, report.raw_bytes_freed = int(count), int(size)
        if not dry_run and count:
            session.execute(
                update(RawBlob)
                .where(condition)
                .values(data=None)
                .execution_options(synchronize_session=False)
            )
    else:
        report.cutoffs["raw_snapshots_fetched_before"] = None
    if delivery_attempt_days > 0:
        cutoff = now - dt.timedelta(days=delivery_attempt_days)
        report.cutoffs["delivery_attempts_before"] = cutoff.isoformat()
        old_attempt = DeliveryAttempt.at < cutoff
        report.delivery_attempts_deleted = (
            session.scalar(select(func.count()).select_from(DeliveryAttempt).where(old_attempt)) or 0
        )
        if not dry_run and report.delivery_attempts_deleted:
            session.execute(
                delete(DeliveryAttempt).where(old_attempt).execution_options(synchronize_session=False)
            )
    else:
        report.cutoffs["delivery_attempts_before"] = None
    session.flush()
    return report
