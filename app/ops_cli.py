"""``sanctrack db backup | restore | prune``: registered on the ``db`` command group by :func:`register`."""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import typer

from app.cli_support import emit_json, handle_errors, unit_of_work


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


class _ProgressLine:
    """A one-line progress report on stderr, redrawn at most a few times a second, and only on a terminal."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.enabled = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if self.enabled and now - self.last >= 0.25:
            self.last = now
            sys.stderr.write(f"\r{self.verb} {_human(done)}…")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self.last:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def backup(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default: sanctrack-<UTC time>.dump or .sqlite3)"
    ),
) -> None:
    """Back up the database: pg_dump --format=custom for PostgreSQL, the online backup API for SQLite.

    The API and workers may keep running: the copy is consistent as of its start.

    Example: sanctrack db backup --output /var/backups/sanctrack-$(date +%F).dump
    """
    from app import ops
    from app.config import get_settings

    url = get_settings().database_url
    target = output or ops.default_backup_name(url)
    progress = _ProgressLine("written")
    try:
        result = ops.backup(url, target, progress)
    finally:
        progress.finish()
    typer.echo(
        f"Backed up {ops.describe_database(url)} to {result.path} ({_human(result.size)}) "
        f"in {result.seconds:.1f} s."
    )


def restore(
    file: Path = typer.Argument(..., help="A file written by 'sanctrack db backup'", exists=False),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation"),
) -> None:
    """Replace the database's contents with a backup (PostgreSQL: pg_restore --clean --if-exists, in one
    transaction; SQLite: page copy). Stop the API and workers first.

    Example: sanctrack db restore sanctrack-20240101T000000Z.dump --yes
    """
    from app import ops
    from app.config import get_settings

    url = get_settings().database_url
    what = ops.check_backup(url, file)
    if not yes:
        typer.confirm(
            f"Replace everything in {ops.describe_database(url)} with {file} ({what})?", abort=True, err=True
        )
    seconds = ops.restore(url, file)
    typer.echo(
        f"Restored {ops.describe_database(url)} from {file} in {seconds:.1f} s. "
        "Run 'sanctrack db upgrade' if the backup predates the current code."
    )


def prune(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be removed"),
    raw_days: int | None = typer.Option(
        None, "--raw-days", help="Override SANCTRACK_RETAIN_RAW_SNAPSHOTS_DAYS (0 keeps forever)"
    ),
    attempt_days: int | None = typer.Option(
        None, "--attempt-days", help="Override SANCTRACK_RETAIN_DELIVERY_ATTEMPTS_DAYS (0 keeps forever)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Apply the retention settings: drop the raw bytes of old superseded or rejected snapshots (never the
    current ones) and delete old webhook delivery attempts.

    Example: sanctrack db prune --dry-run
    """
    from app import ops
    from app.auth.service import audit
    from app.config import get_settings
    from app.context import CLI

    settings = get_settings()
    raw = settings.retain_raw_snapshots_days if raw_days is None else raw_days
    attempts = settings.retain_delivery_attempts_days if attempt_days is None else attempt_days
    if raw < 0 or attempts < 0:
        raise typer.BadParameter("retention days cannot be negative (0 keeps forever)")
    with unit_of_work() as session:
        report = ops.prune(session, raw_snapshot_days=raw, delivery_attempt_days=attempts, dry_run=dry_run)
        if not dry_run:
            audit(session, CLI, "prune", "retention", "db", None, dataclasses.asdict(report))
    if as_json:
        emit_json(dataclasses.asdict(report))
        return
    verb = "Would clear" if dry_run else "Cleared"
    typer.echo(
        f"{verb} the raw bytes of {report.raw_blobs_cleared} superseded/rejected publication(s) "
        f"({_human(report.raw_bytes_freed)})" + ("" if raw else " [raw retention off]") + "."
    )
    verb = "Would delete" if dry_run else "Deleted"
    typer.echo(
        f"{verb} {report.delivery_attempts_deleted} webhook delivery attempt(s)"
        + ("" if attempts else " [attempt retention off]")
        + "."
    )


def register(db_app: typer.Typer) -> None:
    """Add backup, restore and prune to the ``sanctrack db`` group."""
    db_app.command("backup")(handle_errors(backup))
    db_app.command("restore")(handle_errors(restore))
    db_app.command("prune")(handle_errors(prune))
