"""Operations: backup and restore round trips (SQLite and PostgreSQL, through the real CLI), and retention."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from app import ops
from app.alerts.models import DeliveryAttempt
from app.lists.models import RawBlob
from tests.hardening import factories
from tests.support.cli import cli_help, run_sanctrack


def sanctrack(
    *args: str, url: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess:
    return run_sanctrack(*args, env={"SANCTRACK_DATABASE_URL": url}, check=check, stdin=stdin)


def candidate_names(url: str) -> list[str]:
    listed = json.loads(sanctrack("targets", "list", "--json", url=url).stdout)
    return sorted(item["name"] for item in listed["items"])


def round_trip(url: str, backup_file: Path) -> None:
    sanctrack("db", "upgrade", url=url)
    sanctrack("targets", "add", "Faleh al-Fayyad", "--program", "GLOMAG", url=url)
    made = sanctrack("db", "backup", "--output", str(backup_file), url=url)
    assert backup_file.is_file() and backup_file.stat().st_size > 0
    assert str(backup_file) in made.stdout and "Backed up" in made.stdout
    assert not backup_file.with_name(backup_file.name + ".partial").exists()

    sanctrack("targets", "add", "Ali Taqi", url=url)
    assert candidate_names(url) == ["Ali Taqi", "Faleh al-Fayyad"]

    declined = sanctrack("db", "restore", str(backup_file), url=url, check=False, stdin="n\n")
    assert declined.returncode != 0 and "Replace everything" in declined.stderr
    assert candidate_names(url) == ["Ali Taqi", "Faleh al-Fayyad"], "declining must change nothing"

    restored = sanctrack("db", "restore", str(backup_file), "--yes", url=url)
    assert "Restored" in restored.stdout
    assert candidate_names(url) == ["Faleh al-Fayyad"]
    # The restored database is usable as it was: writes work and migrations have nothing to do.
    sanctrack("targets", "add", "Abu Fadak", url=url)
    sanctrack("db", "upgrade", url=url)
    assert candidate_names(url) == ["Abu Fadak", "Faleh al-Fayyad"]


def test_sqlite_backup_and_restore_round_trip(tmp_path: Path) -> None:
    round_trip(f"sqlite:///{tmp_path / 'sanctrack.db'}", tmp_path / "backups" / "sanctrack.sqlite3")


def test_postgresql_backup_and_restore_round_trip(tmp_path: Path, empty_postgres: str) -> None:
    try:
        ops.find_pg_tool("pg_dump")
        ops.find_pg_tool("pg_restore")
    except ops.OperationFailed as exc:
        pytest.skip(str(exc))
    round_trip(empty_postgres, tmp_path / "sanctrack.dump")


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sanctrack.db'}"
    sanctrack("db", "upgrade", url=url)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    result = sanctrack("db", "restore", str(bogus), "--yes", url=url, check=False)
    assert result.returncode != 0 and "not a SQLite database" in result.stderr
    missing = sanctrack("db", "restore", str(tmp_path / "nope.dump"), "--yes", url=url, check=False)
    assert missing.returncode != 0 and "no backup file" in missing.stderr


def test_pg_restore_refuses_a_file_that_is_not_an_archive(tmp_path: Path) -> None:
    bogus = tmp_path / "x.dump"
    bogus.write_bytes(b"PGDMP but not really")
    try:
        ops.find_pg_tool("pg_restore")
    except ops.OperationFailed as exc:
        pytest.skip(str(exc))
    with pytest.raises(ops.OperationFailed, match="not a pg_dump custom-format archive"):
        ops.check_backup("postgresql://postgres@127.0.0.1/none", bogus)


def test_missing_pg_dump_gives_a_clear_error(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("glob.glob", lambda pattern: [])
    with pytest.raises(ops.OperationFailed, match="pg_dump was not found.*postgresql-client"):
        ops.backup("postgresql://postgres@127.0.0.1/sanctrack", tmp_path / "x.dump")


def test_pg_dump_failure_is_reported_without_the_password(tmp_path: Path, unused_tcp_port: int) -> None:
    try:
        ops.find_pg_tool("pg_dump")
    except ops.OperationFailed as exc:
        pytest.skip(str(exc))
    with pytest.raises(ops.OperationFailed, match="pg_dump failed") as failure:
        ops.backup(
            f"postgresql://sanctrack:hunter2@127.0.0.1:{unused_tcp_port}/sanctrack", tmp_path / "x.dump"
        )
    assert "hunter2" not in str(failure.value)
    assert not list(tmp_path.iterdir()), "a failed backup leaves no file behind"


def test_password_goes_to_the_environment_not_the_command_line() -> None:
    uri, env = ops.pg_connection("postgresql+psycopg://app:s3cret@db.internal:6543/sanctrack?sslmode=require")
    assert uri == "postgresql://app@db.internal:6543/sanctrack?sslmode=require"
    assert env["PGPASSWORD"] == "s3cret"


def test_every_ops_command_help_has_an_example() -> None:
    for command in ("backup", "restore", "prune"):
        assert "Example:" in cli_help("db", command), command


# ---- retention ---------------------------------------------------------------------------------------------------


def blob_has_data(db, sha256: str) -> bool:  # type: ignore[no-untyped-def]
    return db.execute(select(RawBlob.data.is_not(None)).where(RawBlob.sha256 == sha256)).scalar_one()


def test_prune_drops_old_raw_publications_but_never_current_ones(db) -> None:  # type: ignore[no-untyped-def]
    current_old = factories.snapshot(db, "ofac_sdn", "current", fetched_days_ago=400)
    superseded_old = factories.snapshot(db, "ofac_sdn", "superseded", fetched_days_ago=200)
    rejected_old = factories.snapshot(db, "un_sc", "rejected", fetched_days_ago=100)
    superseded_recent = factories.snapshot(db, "uk", "superseded", fetched_days_ago=5)
    held_old = factories.snapshot(db, "eu_fsf", "held", fetched_days_ago=100)
    # The same bytes as the current snapshot, in an old rejected one: the blob is shared and must stay.
    shared = factories.snapshot(
        db, "ofac_sdn", "rejected", fetched_days_ago=300, blob=db.get(RawBlob, current_old.sha256)
    )
    size_of = {s.sha256: len(db.get(RawBlob, s.sha256).data) for s in (superseded_old, rejected_old)}

    dry = ops.prune(db, raw_snapshot_days=30, delivery_attempt_days=0, dry_run=True)
    assert dry.raw_blobs_cleared == 2 and dry.raw_bytes_freed == sum(size_of.values())
    assert blob_has_data(db, superseded_old.sha256), "a dry run changes nothing"

    report = ops.prune(db, raw_snapshot_days=30, delivery_attempt_days=0)
    assert report.raw_blobs_cleared == 2 and not report.dry_run
    db.expire_all()
    assert not blob_has_data(db, superseded_old.sha256) and not blob_has_data(db, rejected_old.sha256)
    for kept in (current_old, superseded_recent, held_old, shared):
        assert blob_has_data(db, kept.sha256)
    # The row stays, so the snapshot still says what was fetched.
    assert db.get(RawBlob, superseded_old.sha256).size > 0

    assert ops.prune(db, raw_snapshot_days=30, delivery_attempt_days=0).raw_blobs_cleared == 0


def test_prune_deletes_old_delivery_attempts_only(db) -> None:  # type: ignore[no-untyped-def]
    delivery = factories.delivery(db, "failed")
    old = [factories.attempt(db, delivery, days_ago=days) for days in (120, 95)]
    recent = [factories.attempt(db, delivery, days_ago=days) for days in (10, 0)]
    assert (
        ops.prune(db, raw_snapshot_days=0, delivery_attempt_days=90, dry_run=True).delivery_attempts_deleted
        == 2
    )
    report = ops.prune(db, raw_snapshot_days=0, delivery_attempt_days=90)
    assert report.delivery_attempts_deleted == 2 and report.raw_blobs_cleared == 0
    remaining = set(db.scalars(select(DeliveryAttempt.id).where(DeliveryAttempt.delivery_id == delivery.id)))
    assert remaining == {a.id for a in recent} and not remaining & {a.id for a in old}


def test_zero_days_keeps_everything(db) -> None:  # type: ignore[no-untyped-def]
    snap = factories.snapshot(db, "ofac_sdn", "superseded", fetched_days_ago=5000)
    factories.attempt(db, factories.delivery(db), days_ago=5000)
    report = ops.prune(db, raw_snapshot_days=0, delivery_attempt_days=0)
    assert report.raw_blobs_cleared == 0 and report.delivery_attempts_deleted == 0
    assert blob_has_data(db, snap.sha256)


@pytest.mark.usefixtures("committed_db")
def test_prune_command_reports_and_audits() -> None:
    from app.auth.models import AuditRecord
    from app.config import get_settings
    from app.db import session_scope

    url = get_settings().database_url
    with session_scope() as session:
        factories.snapshot(session, "ofac_sdn", "superseded", fetched_days_ago=60)
        factories.attempt(session, factories.delivery(session), days_ago=200)
    dry = json.loads(sanctrack("db", "prune", "--dry-run", "--raw-days", "30", "--json", url=url).stdout)
    assert dry == {**dry, "dry_run": True, "raw_blobs_cleared": 1, "delivery_attempts_deleted": 1}
    human = sanctrack("db", "prune", "--raw-days", "30", url=url).stdout
    assert "Cleared the raw bytes of 1" in human and "Deleted 1 webhook delivery attempt" in human
    with session_scope() as session:
        actions = session.scalars(
            select(AuditRecord.action).where(AuditRecord.entity_type == "retention")
        ).all()
    assert actions == ["prune"]
    again = json.loads(sanctrack("db", "prune", "--raw-days", "30", "--json", url=url).stdout)
    assert again["raw_blobs_cleared"] == 0 and again["delivery_attempts_deleted"] == 0
