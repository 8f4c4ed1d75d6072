"""Ingesting real publications: snapshots, field-level changes, the guard against bad files, the API and CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.alerts.models import Event
from app.lists import service
from app.lists.models import Change, ListEntry, Snapshot
from tests.conftest import ROOT, sample_data_dir

SDN_FILES = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")


def ent_nums(folder: Path) -> set[str]:
    """The entry numbers of an OFAC sdn.csv, read independently of the parser."""
    text = (folder / "sdn.csv").read_bytes().decode("latin-1").replace("\x1a", "")
    return {row[0].strip() for row in csv.reader(io.StringIO(text)) if row and row[0].strip().isdigit()}


def publish_sdn(list_server, folder: Path, prefix: str = "/sdn/") -> str:  # type: ignore[no-untyped-def]
    for name in SDN_FILES:
        if (folder / name).exists():
            list_server.publish(prefix + name, folder / name)
    return list_server.url(prefix)


def current(db, source: str) -> Snapshot | None:  # type: ignore[no-untyped-def]
    return service.current_snapshot(db, source)


def test_sdn_csv_set_over_http_gives_the_entries_of_the_file(db, list_server) -> None:
    folder = sample_data_dir() / "ofac_sdn" / "2023-12-28"
    result = service.ingest_url(db, "ofac_sdn", publish_sdn(list_server, folder))
    assert result.status == "stored"
    assert result.entries == len(ent_nums(folder))
    entry = service.get_entry(db, "ofac_sdn", "30242")
    assert entry.name == "AL-FAYYADH, Falih"
    assert entry.programs == ["GLOMAG"]
    assert "1956-03-27" in entry.data["birth_dates"]
    names = {n["full"] for n in entry.data["names"]}
    assert {"ALFAYYADH, Faleh", "ALFAYYADH, Falih", "AL FAYYADH, Falih Faisal Fahad"} <= names
    snapshot = db.get(Snapshot, result.snapshot_id)
    assert (
        snapshot.status == "current" and snapshot.entry_count == result.entries and len(snapshot.sha256) == 64
    )


def test_same_bytes_make_no_new_snapshot_and_conditional_get_is_used(db, list_server) -> None:
    folder = sample_data_dir() / "ofac_sdn" / "daily" / "2024-05-01"
    url = publish_sdn(list_server, folder)
    first = service.ingest_url(db, "ofac_sdn", url)
    again = service.ingest_url(db, "ofac_sdn", url)
    assert again.status == "unchanged" and again.snapshot_id == first.snapshot_id
    last = list_server.requests_to("/sdn/sdn.csv")[-1]
    assert last.headers.get("if-none-match") or last.headers.get("if-modified-since")
    # The same bytes from a path are recognised too.
    from_disk = service.ingest_path(db, "ofac_sdn", folder)
    assert from_disk.status == "unchanged"
    assert db.scalar(select(func.count()).select_from(Snapshot)) == 1


def test_2019_to_2023_jump_is_held_then_accepted_with_the_real_change_set(db) -> None:
    old_folder, new_folder = (
        sample_data_dir() / "ofac_sdn" / "2019-01",
        sample_data_dir() / "ofac_sdn" / "2023-12-28",
    )
    base = service.ingest_path(db, "ofac_sdn", old_folder)
    held = service.ingest_path(db, "ofac_sdn", new_folder)
    old_ids, new_ids = ent_nums(old_folder), ent_nums(new_folder)
    removed = old_ids - new_ids
    assert held.status == "rejected" and held.acceptable
    assert f"{len(removed) / len(old_ids):.1%}" in held.reason and "sanctrack lists accept" in held.reason
    # Nothing applied: the 2019 snapshot is still current, no change rows, 30242 unknown.
    assert current(db, "ofac_sdn").id == base.snapshot_id
    assert db.scalar(select(func.count()).select_from(Change)) == 0
    assert db.scalar(select(ListEntry).where(ListEntry.list_id == "30242")) is None
    operators = db.scalars(select(Event).where(Event.type == "list.snapshot_rejected")).all()
    assert len(operators) == 1 and operators[0].data["held"] is True

    from app.context import Actor

    accepted = service.accept_snapshot(db, held.snapshot_id, Actor(name="operator"))
    assert accepted.status == "stored"
    assert (accepted.added, accepted.removed) == (len(new_ids - old_ids), len(removed))
    kinds = dict(
        db.execute(
            select(Change.kind, func.count())
            .where(Change.snapshot_id == held.snapshot_id)
            .group_by(Change.kind)
        ).all()
    )
    assert kinds["added"] == len(new_ids - old_ids) and kinds["removed"] == len(removed)
    assert kinds["amended"] == accepted.amended > 0
    added_30242 = db.scalar(select(Change).where(Change.list_id == "30242"))
    assert added_30242.kind == "added" and added_30242.name == "AL-FAYYADH, Falih"
    kh = db.scalar(select(Change).where(Change.list_id == "11462", Change.snapshot_id == held.snapshot_id))
    if kh is not None:  # Kata'ib Hizballah is on both; if its record changed, the diff says which fields
        assert kh.kind == "amended" and kh.diff
    assert db.get(Snapshot, base.snapshot_id).status == "superseded"


def test_daily_publications_write_only_what_changed(db) -> None:
    daily = sample_data_dir() / "ofac_sdn" / "daily"
    service.ingest_path(db, "ofac_sdn", daily / "2024-05-01")
    versions_before = db.scalar(select(func.count()).select_from(ListEntry))
    second = service.ingest_path(db, "ofac_sdn", daily / "2024-05-02")
    third = service.ingest_path(db, "ofac_sdn", daily / "2024-05-03")
    assert second.status == third.status == "stored"
    assert third.removed == len(ent_nums(daily / "2024-05-02") - ent_nums(daily / "2024-05-03")) == 8
    changes = db.scalar(select(func.count()).where(Change.snapshot_id == third.snapshot_id))
    assert changes == third.added + third.removed + third.amended
    assert (
        db.scalar(select(func.count()).select_from(ListEntry)) == versions_before + second.added + third.added
    )
    amended = db.scalars(select(Change).where(Change.kind == "amended")).all()
    for change in amended:
        assert change.diff, "an amendment must say which fields changed"


def test_reordered_download_of_the_same_publication_reports_no_change(db) -> None:
    cons = sample_data_dir() / "ofac_cons"
    first = service.ingest_path(db, "ofac_cons", cons / "consolidated_2025-10-22.xml")
    again = service.ingest_path(db, "ofac_cons", cons / "consolidated_2025-10-22_reordered.xml")
    assert first.status == again.status == "stored"
    assert (again.added, again.removed, again.amended) == (0, 0, 0)
    later = service.ingest_path(db, "ofac_cons", cons / "consolidated_2025-12-18.xml")
    assert later.removed == 1 and later.entries == first.entries - 1


@pytest.mark.parametrize(
    "broken", ["truncated", "empty", "wrong_root", "malformed_encoding", "bare_ampersand"]
)
def test_broken_files_are_rejected_and_the_good_snapshot_stays(db, tmp_path: Path, broken: str) -> None:
    un = sample_data_dir() / "un" / "consolidated_2025-11-20.xml"
    good = service.ingest_path(db, "un_sc", un)
    bad = tmp_path / "consolidated.xml"
    raw = un.read_bytes()
    if broken == "truncated":
        bad.write_bytes(raw[: len(raw) * 2 // 3])
    elif broken == "empty":
        bad.write_bytes(b"")
    elif broken == "wrong_root":
        bad = sample_data_dir() / "eu" / "fsf_2024-12-11_sample1.xml"
    elif broken == "malformed_encoding":
        bad = sample_data_dir() / "malformed" / "un_consolidated_2025-08-16_CORRUPTED_encoding.xml"
    else:
        bad = sample_data_dir() / "malformed" / "un_consolidated_2024-10-16_unescaped_ampersand.xml"
    result = service.ingest_path(db, "un_sc", bad)
    assert result.status == "rejected" and not result.acceptable and result.reason
    assert current(db, "un_sc").id == good.snapshot_id
    assert db.scalar(select(func.count()).select_from(Change)) == 0
    assert db.scalar(select(func.count()).where(ListEntry.is_listed.is_(False))) == 0
    rejected = db.get(Snapshot, result.snapshot_id)
    assert rejected.status == "rejected" and rejected.reject_reason == result.reason


def test_lists_api(client, keys, db) -> None:
    cons = sample_data_dir() / "ofac_cons"
    service.ingest_path(db, "ofac_cons", cons / "consolidated_2025-10-22.xml")
    snap = service.ingest_path(db, "ofac_cons", cons / "consolidated_2025-12-18.xml")
    h = keys.headers("read")
    sources = {s["source"]: s for s in client.get("/v1/lists", headers=h).json()}
    assert sources["ofac_cons"]["current_snapshot"]["id"] == snap.snapshot_id
    assert sources["ofac_cons"]["freshness_seconds"] >= 0 and sources["un_sc"]["current_snapshot"] is None
    snapshots = client.get("/v1/lists/ofac_cons/snapshots", headers=h).json()
    assert snapshots["total"] == 2 and snapshots["items"][0]["published_on"] == "2025-12-18"
    removed = client.get("/v1/lists/ofac_cons/changes?kind=removed", headers=h).json()
    assert len(removed) == 1
    detail = client.get(f"/v1/entries/ofac_cons/{removed[0]['list_id']}", headers=h).json()
    assert detail["is_listed"] is False and [v["change"] for v in detail["history"]] == ["added", "removed"]
    found = client.get("/v1/entries", params={"q": detail["name"][:8], "listed": "false"}, headers=h).json()
    assert any(e["list_id"] == removed[0]["list_id"] for e in found["items"])
    assert client.get("/v1/lists/nope/snapshots", headers=h).status_code == 422


@pytest.mark.usefixtures("committed_db")
def test_cli_ingest_json_and_rejection_exit_code() -> None:
    data = sample_data_dir()
    env = {**os.environ}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app", "lists", "ingest", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=300,
        )

    ok = run("un_sc", str(data / "un" / "consolidated_2025-11-20.xml"), "--json")
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert set(out) >= {
        "source",
        "snapshot_id",
        "status",
        "entries",
        "added",
        "removed",
        "amended",
        "unmapped",
    }
    assert out["status"] == "stored" and out["published"] == "2025-11-20"
    bad = run(
        "un_sc", str(data / "malformed" / "un_consolidated_2024-10-16_unescaped_ampersand.xml"), "--json"
    )
    assert bad.returncode == 3 and json.loads(bad.stdout)["status"] == "rejected"
    missing = run("un_sc", "/nonexistent/file.xml")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_a_source_has_one_current_publication_whoever_applies_it(db) -> None:
    """A refresh and an operator accepting a held publication may race: the database keeps one current snapshot
    per source, so the second to commit fails (409 on the API) instead of leaving two."""
    from sqlalchemy.exc import IntegrityError

    from app.lists.models import RawBlob

    db.add_all([RawBlob(sha256=c * 64, size=1) for c in "ef"])
    db.flush()
    db.add(Snapshot(source="un_sc", status="current", format="xml", origin="a.xml", sha256="e" * 64))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(Snapshot(source="un_sc", status="current", format="xml", origin="b.xml", sha256="f" * 64))
        db.flush()
    # another source, or the same source's superseded publications, are not affected
    db.add(Snapshot(source="uk", status="current", format="xml", origin="c.xml", sha256="f" * 64))
    db.add(Snapshot(source="un_sc", status="superseded", format="xml", origin="d.xml", sha256="f" * 64))
    db.flush()
