"""The UK's one list: a deployment that followed the OFSI Consolidated List and now follows the FCDO UK Sanctions List
sees the same entries (no mass delisting, no designation twice), on the real files of both formats.

The OFSI ConList names, for each of its groups, the FCDO ids of the designations it holds (in "Other Information":
"(UK Sanctions List Ref):BEL0005 and GHR0055"); the FCDO files name, for each designation, its OFSI Group ID. Both are read here without
the parser (calamine, regexes), and the parsers must agree with them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from app.alerts.models import Event, TargetAuthorityStatus
from app.alerts.service import refresh_target_status
from app.context import SYSTEM
from app.lists import parsers
from app.lists import service as lists
from app.lists.models import Change
from app.lists.records import ParseError
from app.matching.models import Link
from app.pipeline import refresh_linked_statuses
from app.targets.schemas import TargetCreate
from app.targets.service import create_target
from tests.lists.conftest import by_id
from tests.lists.test_parsers_uk import fcdo_summary_ids

OFSI = "uk/ofsi_conlist_2025-04-14.xlsx"
FCDO_XML = "uk/fcdo_sanctions_list_2026-03-26_first7.xml"
FCDO_ODS = "uk/fcdo_sanctions_list_summary_2025-08-11.ods"


@cache
def ofsi_groups(data_dir: Path) -> dict[str, set[str]]:
    """OFSI Group ID -> the FCDO ids its rows name in "UK Sanctions List Ref", read with calamine directly (once:
    tests must not modify it)."""
    rows = CalamineWorkbook.from_path(str(data_dir / OFSI)).get_sheet_by_index(0).to_python()
    header = [str(cell) for cell in rows[1]]
    group_column, other_column = header.index("Group ID"), header.index("Other Information")
    groups: dict[str, set[str]] = {}
    for row in rows[2:]:
        if not any(row):
            continue
        group = str(row[group_column]).removesuffix(".0")
        # "(UK Sanctions List Ref):BEL0005 and GHR0055 (UK Statement of Reasons):..."
        refs = re.search(
            r"\(UK Sanctions List Ref\)\s*:\s*((?:[A-Z]{3}\d{4}(?:,\s*|\s+and\s+)?)+)", str(row[other_column])
        )
        groups.setdefault(group, set()).update(re.findall(r"[A-Z]{3}\d{4}", refs.group(1)) if refs else [])
    return groups


def test_fcdo_xml_designations_carry_the_list_ids_of_the_ofsi_file(parsed, data_dir: Path) -> None:
    raw = (data_dir / FCDO_XML).read_bytes()
    group_of = dict(
        re.findall(r"<UniqueID>([^<]+)</UniqueID>\s*<OFSIGroupID>(\d+)</OFSIGroupID>", raw.decode())
    )
    assert len(group_of) == 7
    groups = ofsi_groups(data_dir)
    ofsi = by_id(parsed("uk", OFSI))
    fcdo = parsed("uk", FCDO_XML)
    for entry in fcdo.entries:
        [unique_id] = entry.extra["uk_sanctions_list_ref"]
        assert entry.list_id == group_of[unique_id]
        # The OFSI file knows this entry under the same id, and names the same FCDO designation in it.
        assert entry.list_id in ofsi and unique_id in groups[entry.list_id]
        assert entry.kind == ofsi[entry.list_id].kind


def test_fcdo_summary_merges_the_designations_ofsi_listed_as_one_entry(parsed, data_dir: Path) -> None:
    groups = ofsi_groups(data_dir)
    fcdo = parsed("uk", FCDO_ODS)
    entry_of_ref = {ref: entry for entry in fcdo.entries for ref in entry.extra["uk_sanctions_list_ref"]}
    checked = 0
    for group, refs in groups.items():
        in_fcdo = [entry_of_ref[ref] for ref in refs if ref in entry_of_ref]
        if not in_fcdo:
            continue  # delisted between the two publications
        # Every FCDO designation OFSI put in this group is in one FCDO entry, keyed by the same Group ID.
        assert {entry.list_id for entry in in_fcdo} == {group}, (group, refs)
        checked += 1
    assert checked > 4600
    # A person designated under two regimes (Belarus and Global Human Rights) is one entry with both, as in OFSI.
    karayev = by_id(fcdo)["13923"]
    assert karayev.extra["uk_sanctions_list_ref"] == ["BEL0005", "GHR0055"]
    assert karayev.programs == ["Belarus", "Global Human Rights"]
    assert sorted(by_id(parsed("uk", OFSI))["13923"].programs) == karayev.programs


def test_switching_from_the_ofsi_file_to_the_fcdo_file_changes_no_uk_standing(db, data_dir: Path) -> None:
    first = lists.ingest_path(db, "uk", data_dir / OFSI)
    assert first.status == "stored" and first.entries == 4688

    target = create_target(db, TargetCreate(kind="person", name="Yuri Karayev"), SYSTEM)
    db.flush()
    entry = lists.get_entry(db, "uk", "13923")
    db.add(
        Link(
            target_id=target.id,
            entry_id=entry.id,
            source="uk",
            list_id="13923",
            score=1.0,
            state="confirmed",
            explanation={},
            entry_fingerprint=entry.fingerprint,
            target_version=target.version,
        )
    )
    db.flush()
    assert [event.type for event in refresh_target_status(db, target.id)] == ["target.designated"]

    second = lists.ingest_path(db, "uk", data_dir / FCDO_ODS)
    # Removed: only the OFSI groups none of whose designations is in the FCDO file (delisted from April to August).
    fcdo_keys = {group or uid for uid, group in fcdo_summary_ids(data_dir)}
    gone = set(ofsi_groups(data_dir)) - fcdo_keys
    assert second.status == "stored", second.reason
    assert second.removed == len(gone) == 22
    removed = db.scalars(
        select(Change.list_id).where(Change.snapshot_id == second.snapshot_id, Change.kind == "removed")
    ).all()
    assert set(removed) == gone
    assert second.entries == len(fcdo_keys) and second.added == len(fcdo_keys - set(ofsi_groups(data_dir)))

    refresh_linked_statuses(db, second.changed_entry_ids)
    assert refresh_target_status(db, target.id) == []
    status = db.scalar(
        select(TargetAuthorityStatus).where(
            TargetAuthorityStatus.target_id == target.id, TargetAuthorityStatus.authority == "UK"
        )
    )
    assert status is not None and status.status == "listed"
    assert status.entry_ids == [{"source": "uk", "list_id": "13923"}]
    assert "Global Human Rights" in status.programs
    event_types = db.scalars(select(Event.type).where(Event.target_id == target.id)).all()
    assert "target.delisted" not in event_types and event_types.count("target.designated") == 1


def test_an_fcdo_designation_with_an_id_that_cannot_key_an_entry_is_rejected(
    data_dir: Path, tmp_path: Path
) -> None:
    raw = (data_dir / FCDO_XML).read_bytes()
    cases = {
        "group.xml": (raw.replace(b"<OFSIGroupID>12704<", b"<OFSIGroupID>12704a<"), "is not a number"),
        "unique.xml": (raw.replace(b"<UniqueID>AFG0002<", b"<UniqueID>" + b"A" * 200 + b"<"), "too long"),
    }
    for name, (data, reason) in cases.items():
        assert data != raw
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ParseError, match=reason):
            parsers.parse("uk", tmp_path / name)
