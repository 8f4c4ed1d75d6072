"""A candidate's standing with all six authorities, and the Magnitsky view, through ingest of the real list files.

The candidate is Min Aung Hlaing, commander-in-chief of Myanmar's armed forces, as an analyst proposing him for
GLOMAG would enter him. On the sample files (read without the service: grep for HLAING) he is listed by

- OFAC (SDN 2023-12-28, entry 27225: GLOMAG and BURMA-EO14014),
- the UK (OFSI ConList 2025-04-14, group 13897: Global Human Rights and Myanmar),
- Canada (May 2025: JVCFOR item 80, and the Myanmar regulations),
- Australia (DFAT 2024-12-17, reference 7317: the autonomous Myanmar regime only, not a thematic one),

and not by the UN (which has no human-rights regime) nor the EU excerpt loaded here (five entities). So the
Magnitsky view must say: listed under a human-rights or anti-corruption law by OFAC, UK and CA; not yet by AU
(listed under its country regime only) nor the EU; the UN has no such regime. Before Australia's list is loaded,
Australia is "no list loaded", never "not yet".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy.orm import Session

from app.context import SYSTEM, Actor
from app.lists import service as lists
from app.matching import search
from app.matching import service as matching
from app.pipeline import screen_after_ingest
from app.targets.schemas import TargetCreate
from app.targets.service import create_target
from tests.conftest import sample_data_dir
from tests.console.conftest import sign_in
from tests.pipeline.publications import baseline_numbers, subset
from tests.support.cutdown import xlsx_subset, xml_subset

REVIEWER = Actor(name="reviewer", api_key_id=None, scope="write")
HLAING = {
    "kind": "person",
    "name": "Min Aung Hlaing",
    "birth_dates": ["1956-07-03"],
    "nationalities": ["MM"],
    "programs": ["GLOMAG"],
}
SDN_HLAING = "27225"
# His entries on the sample files; the matcher must find each (auto-linked or suggested for review).
HIS_ENTRIES = {
    ("ofac_sdn", SDN_HLAING),
    ("uk", "13897"),
    ("ca_sema", "JVCFOR-80"),
    ("ca_sema", "MYANMAR-S1-P2-46"),
    ("au_dfat", "7317"),
}
# Every file but the EU excerpt is cut down, at test time, to whole real records: his and the first OTHERS others
# (the full lists take minutes to ingest and index on a busy machine; the records are as published).
OTHERS = 150


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    # The matching index lives in the process; this test's entries are rolled back, so it must not outlive them.
    search.reset_index()
    yield
    search.reset_index()


def source_file(relative: str) -> Path:
    path = sample_data_dir() / relative
    if not path.exists():
        pytest.skip(f"{relative} not found in the sample data")
    return path


def sdn_subset(folder: Path) -> Path:
    sdn = folder / "sdn"
    sdn.mkdir()
    for name, content in subset([*baseline_numbers(OTHERS), SDN_HLAING]).items():
        (sdn / name).write_bytes(content)
    return sdn


def publications(folder: Path) -> dict[str, Path]:
    """The publications of the six authorities this test loads, cut down as said above."""

    def canada(position: int, record: etree._Element) -> bool:
        regime = record.findtext("Country") or ""
        return position < OTHERS or "JVCFOR" in regime or "Myanmar" in regime

    return {
        "ofac_sdn": sdn_subset(folder),
        "un_sc": xml_subset(
            source_file("un/consolidated_2026-02-27.xml"),
            folder / "un.xml",
            lambda i, _: i < OTHERS,
            parents=1,
        ),
        "uk": xlsx_subset(
            source_file("uk/ofsi_conlist_2025-04-14.xlsx"), folder / "uk.xlsx", 2, OTHERS, re.compile("13897")
        ),
        "eu_fsf": source_file("eu/fsf_2026-08-05_sample5.xml"),
        "ca_sema": xml_subset(source_file("canada/sema_c2025-05.xml"), folder / "canada.xml", canada),
        "au_dfat": xlsx_subset(
            source_file("australia/dfat_consolidated_c2024-12-17.xlsx"),
            folder / "au.xlsx",
            1,
            OTHERS,
            re.compile("7317[a-z]*"),
        ),
    }


def ingest(db: Session, source: str, path: Path, *, screen: bool = True) -> None:
    if not path.exists():
        pytest.skip(f"{path} not found in the sample data")
    result = lists.ingest_path(
        db, source, path, published=dt.date(2023, 12, 28) if source == "ofac_sdn" else None
    )
    assert result.status == "stored", result.reason
    if screen:
        screen_after_ingest(db, result, source)


def review(db: Session, target_id: int, sources: set[str]) -> None:
    """Confirm the matcher's suggestions of his own entries, as a reviewer would (others are left alone)."""
    links = {(link.source, link.list_id): link for link in matching.list_links(db, target_id)}
    expected = {key for key in HIS_ENTRIES if key[0] in sources}
    assert expected <= set(links), f"entries of his the matcher did not find: {expected - set(links)}"
    for key in expected:
        if links[key].state == "suggested":
            matching.confirm_link(db, links[key].id, "same name and birth date; Tatmadaw commander", REVIEWER)


def test_a_candidate_stands_with_six_authorities_and_the_magnitsky_view_names_the_gaps(
    db, client, keys, tmp_path
):
    files = publications(tmp_path)
    target = create_target(db, TargetCreate(**HLAING), SYSTEM)
    db.flush()
    for source in ("ofac_sdn", "un_sc", "uk", "eu_fsf", "ca_sema"):
        ingest(db, source, files[source], screen=False)
    matching.screen(db, target_ids=[target.id])
    review(db, target.id, {"ofac_sdn", "uk", "ca_sema"})
    read = keys.headers("read")

    before = client.get(f"/v1/targets/{target.id}/magnitsky", headers=read).json()
    assert before["no_list_for"] == ["AU"]
    assert "AU" not in before["not_yet_by"]

    ingest(db, "au_dfat", files["au_dfat"])
    review(db, target.id, {"au_dfat"})

    standing = client.get(f"/v1/targets/{target.id}", headers=read).json()["standing"]
    assert standing == {
        "OFAC": "listed",
        "UN": "not_listed",
        "UK": "listed",
        "EU": "not_listed",
        "CA": "listed",
        "AU": "listed",
    }

    view = client.get(f"/v1/targets/{target.id}/magnitsky", headers=read).json()
    assert view["themes"] == ["human_rights", "corruption"]
    by_authority = {a["authority"]: a for a in view["authorities"]}
    assert list(by_authority) == ["OFAC", "UK", "EU", "CA", "AU"]
    assert view["without_regime"] == ["UN"]
    assert view["listed_by"] == ["OFAC", "UK", "CA"]
    assert by_authority["OFAC"]["listed_under"] == ["GLOMAG"]
    assert by_authority["UK"]["listed_under"] == ["Global Human Rights"]
    assert by_authority["CA"]["listed_under"] == ["JVCFOR"]
    # Australia lists him under its Myanmar regime, not under a thematic (Magnitsky-style) one: a gap.
    assert by_authority["AU"]["standing"] == "listed_other"
    assert by_authority["AU"]["other_programs"] == ["MYANMAR"]
    assert {r["code"] for r in by_authority["AU"]["regimes"]} == {
        "THEMATIC-HUMAN-RIGHTS",
        "THEMATIC-CORRUPTION",
    }
    assert view["not_yet_by"] == ["EU", "AU"]
    assert view["no_list_for"] == []
    assert view["summary"] == (
        "Listed under a human-rights or anti-corruption regime by: OFAC (GLOMAG), UK (Global Human Rights), "
        "CA (JVCFOR) — not yet by: EU, AU"
    )

    page = client.get("/v1/coverage", params={"theme": "human_rights,corruption"}, headers=read).json()
    assert page["total"] == 1 and page["items"][0]["not_yet_by"] == ["EU", "AU"]
    terrorism = client.get("/v1/coverage", params={"theme": "terrorism"}, headers=read).json()["items"][0]
    assert terrorism["listed_by"] == [] and "UN" in terrorism["not_yet_by"]

    sign_in(client, keys.raw["read"])
    html = client.get("/console/coverage").text
    headers = re.findall(r'<th scope="col" class="center">([^<]+)</th>', html)
    assert headers[:6] == ["OFAC", "UN", "UK", "EU", "CA", "AU"]
    magnitsky = client.get("/console/coverage", params={"theme": "magnitsky"}).text
    row = re.search(rf'<tr id="coverage-{target.id}">(.*?)</tr>', magnitsky, re.S)
    assert row, magnitsky
    assert "JVCFOR" in row.group(1) and "not yet" in row.group(1)

    lists_page = client.get("/console/lists").text
    assert (
        "Canadian autonomous sanctions list" in lists_page
        and "Australian DFAT consolidated list" in lists_page
    )
    for source in ("ca_sema", "au_dfat"):
        page = client.get(f"/console/lists/{source}")
        assert page.status_code == 200 and "<svg" in page.text
    assert "No regime of this theme: UN." in magnitsky
    exported = client.get("/console/coverage.csv", params={"theme": "magnitsky"}).text.splitlines()
    assert exported[0].split(",")[5:12] == ["OFAC", "UK", "EU", "CA", "AU", "listed_by", "not_yet_listed_by"]
    assert exported[1].split(",")[5:] == [
        "listed",
        "listed",
        "not_listed",
        "listed",
        "listed_other",
        "OFAC;UK;CA",
        "EU;AU",
    ]

    # His page says it too, since he is proposed for GLOMAG.
    page = client.get(f"/console/candidates/{target.id}").text
    summary = re.search(r'<p id="magnitsky-summary">(.*?)</p>', page, re.S)
    assert summary and "CA (JVCFOR) — not yet by: EU, AU" in summary.group(1)

    # And his dossier, the file a nomination goes with.
    dossier = client.get(f"/v1/targets/{target.id}/dossier", params={"format": "html"}, headers=read).text
    assert "CA (JVCFOR) — not yet by: EU, AU" in dossier
