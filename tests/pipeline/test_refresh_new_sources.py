"""Canada's and Australia's lists refreshed as every list is: downloaded from a (local) site with a conditional GET,
kept as a snapshot, compared with the previous one, and held by the removal guard when a publication drops too much.

The publications are the real files of the sample data cut, at test time, to whole records (tests/support/cutdown.py),
so that one publication can differ from the next by known records.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select

from app.config import Settings
from app.db import session_scope
from app.lists.models import Change, Snapshot
from app.lists.parsers import parse
from app.matching import search
from app.pipeline import execute_refresh, request_refresh
from tests.conftest import sample_data_dir
from tests.support.cutdown import xlsx_subset
from workers.schedule import beat_schedule

CANADA_PATH = "/world-monde/sanctions/sema-lmes.xml"
AUSTRALIA_PATH = "/sites/default/files/Australian_Sanctions_Consolidated_List.xlsx"


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    search.reset_index()
    yield
    search.reset_index()


def canada_records() -> tuple[etree._Element, list[etree._Element]]:
    path = sample_data_dir() / "canada" / "sema_c2025-05.xml"
    if not path.exists():
        pytest.skip("canada/sema_c2025-05.xml not found in the sample data")
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False)).getroot()
    return root, list(root)


def canada_publication(records: list[etree._Element]) -> bytes:
    root = etree.Element("data-set")
    for record in records:
        root.append(etree.fromstring(etree.tostring(record)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def refresh(source: str, url: str) -> dict[str, Any]:
    with session_scope() as session:
        run_id = request_refresh(session, source, trigger="test", url=url).id
    return execute_refresh(run_id, final_attempt=True)


def current(source: str) -> Snapshot | None:
    with session_scope() as session:
        return session.scalar(select(Snapshot).where(Snapshot.source == source, Snapshot.status == "current"))


def changes(snapshot_id: int) -> dict[str, int]:
    with session_scope() as session:
        rows = session.execute(
            select(Change.kind, func.count()).where(Change.snapshot_id == snapshot_id).group_by(Change.kind)
        )
        return dict(rows.all())


def test_canada_refreshes_keeps_changes_and_holds_a_mass_removal(committed_db, list_server, tmp_path: Path):
    _, records = canada_records()
    first_records = records[:100]
    first = canada_publication(first_records)
    url = list_server.publish(CANADA_PATH, first, content_type="application/xml")
    expected = len(parse("ca_sema", _write(tmp_path / "first.xml", first)).entries)

    run = refresh("ca_sema", url)
    assert run["status"] == "succeeded", run
    assert run["counts"]["status"] == "stored" and run["counts"]["entries"] == expected
    snapshot = current("ca_sema")
    assert snapshot is not None and snapshot.format == "ca_sema_xml" and snapshot.entry_count == expected
    assert snapshot.added == expected and changes(snapshot.id) == {}  # a first publication is the baseline

    # The same file again: the site answers 304 to the conditional GET, nothing is stored.
    again = refresh("ca_sema", url)
    assert again["counts"]["status"] == "unchanged"
    assert current("ca_sema").id == snapshot.id  # type: ignore[union-attr]

    # Two records delisted, four added: a normal publication (under the 5% guard), its changes recorded.
    second = canada_publication([*first_records[2:], *records[100:104]])
    list_server.publish(CANADA_PATH, second, content_type="application/xml")
    run = refresh("ca_sema", url)
    assert run["counts"]["status"] == "stored", run
    assert (run["counts"]["added"], run["counts"]["removed"]) == (4, 2)
    assert changes(run["snapshot_id"]) == {"added": 4, "removed": 2}

    # A publication missing a fifth of the list is held for an operator; the current snapshot stays.
    third = canada_publication([*first_records[2:80], *records[100:104]])
    list_server.publish(CANADA_PATH, third, content_type="application/xml")
    held = refresh("ca_sema", url)
    assert held["status"] == "rejected"
    assert "remov" in (held["error"] or "")
    assert current("ca_sema").id == run["snapshot_id"]  # type: ignore[union-attr]
    with session_scope() as session:
        assert session.get(Snapshot, held["snapshot_id"]).status == "held"  # type: ignore[union-attr]


def test_australia_refreshes_from_its_spreadsheet_and_holds_a_mass_removal(
    committed_db, list_server, tmp_path: Path
):
    path = sample_data_dir() / "australia" / "dfat_consolidated_c2024-12-17.xlsx"
    if not path.exists():
        pytest.skip("australia/dfat_consolidated_c2024-12-17.xlsx not found in the sample data")
    first = xlsx_subset(path, tmp_path / "first.xlsx", 1, 300)
    expected = len(parse("au_dfat", first).entries)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    url = list_server.publish(AUSTRALIA_PATH, first.read_bytes(), content_type=xlsx)

    run = refresh("au_dfat", url)
    assert run["status"] == "succeeded", run
    assert run["counts"]["status"] == "stored" and run["counts"]["entries"] == expected
    snapshot = current("au_dfat")
    assert snapshot is not None and snapshot.format == "au_dfat_xlsx" and snapshot.entry_count == expected

    again = refresh("au_dfat", url)
    assert again["counts"]["status"] == "unchanged"
    assert current("au_dfat").id == snapshot.id  # type: ignore[union-attr]

    # Half the rows gone: held for an operator, the current publication stays.
    half = xlsx_subset(path, tmp_path / "half.xlsx", 1, 150)
    list_server.publish(AUSTRALIA_PATH, half.read_bytes(), content_type=xlsx)
    held = refresh("au_dfat", url)
    assert held["status"] == "rejected" and "remov" in (held["error"] or "")
    assert current("au_dfat").id == snapshot.id  # type: ignore[union-attr]


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_both_lists_are_scheduled_from_their_official_urls() -> None:
    settings = Settings(_env_file=None, refresh_interval_seconds=3600, refresh_intervals={"au_dfat": 86400})
    assert settings.source_url("ca_sema") == (
        "https://www.international.gc.ca/world-monde/assets/office_docs/"
        "international_relations-relations_internationales/sanctions/sema-lmes.xml"
    )
    assert settings.source_url("au_dfat") == (
        "https://www.dfat.gov.au/sites/default/files/Australian_Sanctions_Consolidated_List.xlsx"
    )
    schedule = beat_schedule(settings)
    assert schedule["refresh-ca_sema"]["args"] == ["ca_sema"]
    assert schedule["refresh-ca_sema"]["schedule"].total_seconds() == 3600
    assert schedule["refresh-au_dfat"]["schedule"].total_seconds() == 86400
