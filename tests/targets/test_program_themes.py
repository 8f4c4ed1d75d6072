"""Program themes (programs.csv) and the coverage-by-theme answers built on them (app/alerts/coverage.py)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.alerts.coverage import theme_coverage
from app.alerts.models import TargetAuthorityStatus
from app.lists.parsers import parse
from app.lists.records import AUTHORITY_OF_SOURCE
from app.targets.models import PROGRAM_THEMES, Target
from app.targets.service import PROGRAMS_CSV
from tests.conftest import sample_data_dir
from tests.hardening import factories


def shipped() -> dict[tuple[str, str], str]:
    with PROGRAMS_CSV.open(newline="", encoding="utf-8") as handle:
        return {(r["authority"], r["code"]): r["theme"] for r in csv.DictReader(handle)}


def test_every_program_has_known_themes_and_the_magnitsky_laws_are_marked() -> None:
    programs = shipped()
    assert all(set(theme.split(";")) <= set(PROGRAM_THEMES) for theme in programs.values())
    magnitsky = {
        key for key, theme in programs.items() if {"human_rights", "corruption"} & set(theme.split(";"))
    }
    thematic = {key for key in magnitsky if "country" not in programs[key]}
    assert {
        ("OFAC", "GLOMAG"),
        ("UK", "Global Human Rights"),
        ("UK", "Global Anti-Corruption"),
        ("EU", "EU Global Human Rights"),
        ("CA", "JVCFOR"),
        ("AU", "THEMATIC-HUMAN-RIGHTS"),
        ("AU", "THEMATIC-CORRUPTION"),
    } <= thematic
    assert not any(authority == "UN" for authority, _ in thematic)
    assert programs[("OFAC", "GLOMAG")] == "human_rights;corruption"
    assert programs[("OFAC", "SDGT")] == "terrorism"


@pytest.mark.parametrize(
    ("source", "relative"),
    [("ca_sema", "canada/sema_c2025-05.xml"), ("au_dfat", "australia/dfat_consolidated_c2024-12-17.xlsx")],
)
def test_every_regime_code_the_new_lists_carry_has_a_program_row(source: str, relative: str) -> None:
    """The parsers emit the program codes; programs.csv must know each one the real files carry (its theme,
    its legal basis), or the Magnitsky view could not tell a thematic listing from a country one."""
    path = sample_data_dir() / relative
    if not path.exists():
        pytest.skip(f"{relative} not found in the sample data")
    authority = AUTHORITY_OF_SOURCE[source]
    carried: dict[str, int] = defaultdict(int)
    for entry in parse(source, Path(path)).entries:
        for code in entry.programs:
            carried[code] += 1
    missing = {code: count for code, count in carried.items() if (authority, code) not in shipped()}
    assert missing == {}


def _status(db: Session, target: Target, authority: str, status: str, programs: list[str]) -> None:
    db.add(
        TargetAuthorityStatus(
            target_id=target.id,
            authority=authority,
            status=status,
            programs=programs,
            listed_on=dt.date(2021, 12, 10),
            delisted_on=dt.date(2024, 1, 1) if status == "delisted" else None,
        )
    )
    db.flush()


def test_each_kind_of_standing_under_the_magnitsky_regimes(db: Session) -> None:
    for source in ("ofac_sdn", "uk", "eu_fsf", "ca_sema"):  # Australia's list is not loaded
        factories.snapshot(db, source, "current")
    target = factories.target(db, "Someone")
    _status(db, target, "OFAC", "listed", ["GLOMAG", "SDGT"])
    _status(db, target, "UK", "delisted", ["Global Anti-Corruption"])
    _status(db, target, "EU", "listed", ["LBY"])  # an FSF programme code the tables do not classify
    _status(db, target, "CA", "listed", ["RUSSIA"])

    [row] = theme_coverage(db, [target])
    standing = {a.authority: a.standing for a in row.authorities}
    assert standing == {
        "OFAC": "listed",
        "UK": "delisted",
        "EU": "listed_unclassified",
        "CA": "listed_other",
        "AU": "no_list",
    }
    ofac = row.authorities[0]
    assert ofac.listed_under == ["GLOMAG"] and ofac.other_programs == ["SDGT"]
    assert row.listed_by == ["OFAC"]
    assert row.not_yet_by == [
        "CA"
    ]  # neither the EU (unclassified) nor Australia (no list) is claimed as a gap
    assert row.no_list_for == ["AU"]
    assert row.without_regime == ["UN"]
    assert row.summary == (
        "Listed under a human-rights or anti-corruption regime by: OFAC (GLOMAG) — not yet by: CA — "
        "no list loaded for: AU"
    )

    [terrorism] = theme_coverage(db, [target], ["terrorism"])
    assert {a.authority: a.standing for a in terrorism.authorities}["OFAC"] == "listed"
    assert terrorism.authorities[0].listed_under == ["SDGT"]


def test_the_fcdo_names_of_uk_regimes_count_as_the_regimes(db: Session) -> None:
    factories.snapshot(db, "uk", "current")
    target = factories.target(db, "Someone else")
    _status(db, target, "UK", "listed", ["The Global Human Rights Sanctions Regulations 2020"])
    [row] = theme_coverage(db, [target])
    uk = next(a for a in row.authorities if a.authority == "UK")
    assert (uk.standing, uk.listed_under) == ("listed", ["Global Human Rights"])


def test_the_api_refuses_an_unknown_theme_and_an_unknown_candidate(client, keys) -> None:
    read = keys.headers("read")
    response = client.get("/v1/coverage", params={"theme": "human_rights,piracy"}, headers=read)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "piracy" in response.json()["detail"]
    missing = client.get("/v1/targets/999999/magnitsky", headers=read)
    assert missing.status_code == 404
    assert client.get("/v1/coverage", params={"theme": "magnitsky"}, headers=read).json()["themes"] == [
        "human_rights",
        "corruption",
    ]


def test_the_programs_table_gives_canada_and_australia_regimes_with_their_legal_basis_and_themes(
    client, keys
):
    read = keys.headers("read")
    canada = {
        p["code"]: p for p in client.get("/v1/programs", params={"authority": "CA"}, headers=read).json()
    }
    assert canada["JVCFOR"]["themes"] == ["human_rights", "corruption"]
    assert "Justice for Victims of Corrupt Foreign Officials Act" in canada["JVCFOR"]["legal_basis"]
    assert canada["RUSSIA"]["themes"] == ["country"]
    assert "Special Economic Measures Act" in canada["RUSSIA"]["legal_basis"]
    australia = {
        p["code"]: p for p in client.get("/v1/programs", params={"authority": "AU"}, headers=read).json()
    }
    assert australia["THEMATIC-CORRUPTION"]["themes"] == ["corruption"]
    assert "Autonomous Sanctions" in australia["THEMATIC-CORRUPTION"]["legal_basis"]
    assert australia["UNSC-1267"]["themes"] == ["terrorism"]
    assert "Charter of the United Nations Act 1945" in australia["UNSC-1267"]["legal_basis"]


def test_an_eu_terrorist_listing_is_no_magnitsky_listing(db: Session) -> None:
    factories.snapshot(db, "eu_fsf", "current")
    target = factories.target(db, "A third")
    _status(db, target, "EU", "listed", ["TERR"])  # the FSF's code of the EU terrorist list
    [row] = theme_coverage(db, [target])
    eu = next(a for a in row.authorities if a.authority == "EU")
    assert (eu.standing, eu.other_programs, eu.is_gap) == ("listed_other", ["TERR"], True)
    [terrorism] = theme_coverage(db, [target], ["terrorism"])
    assert next(a for a in terrorism.authorities if a.authority == "EU").listed_under == ["EU Terrorist List"]
