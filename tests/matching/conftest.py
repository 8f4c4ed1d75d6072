"""Fixtures for the matcher tests: hand-built entries, and the real list files when they are available."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.lists.records import Entry, Identifier, Name
from app.matching.index import MatchIndex

ROOT = Path(__file__).resolve().parents[2]


def make_entry(
    list_id: str,
    *names: str | tuple[str, str],
    kind: str = "person",
    source: str = "ofac_sdn",
    birth_dates: list[str] | None = None,
    nationalities: list[str] | None = None,
    citizenships: list[str] | None = None,
    identifiers: list[Identifier] | None = None,
) -> Entry:
    """An Entry by hand; a name is a string (strong) or a (name, quality) pair."""
    parsed = [Name(n) if isinstance(n, str) else Name(n[0], quality=n[1]) for n in names]
    return Entry(
        source=source,
        list_id=list_id,
        kind=kind,
        names=parsed,
        birth_dates=birth_dates or [],
        nationalities=nationalities or [],
        citizenships=citizenships or [],
        identifiers=identifiers or [],
    )


@pytest.fixture
def fayyadh() -> Entry:
    """SDN ent_num 30242 as the 2023-12-28 publication lists it."""
    return make_entry(
        "30242",
        "AL-FAYYADH, Falih",
        "ALFAYYADH, Faleh",
        "ALFAYYADH, Falih",
        "AL FAYYADH, Falih Faisal Fahad",
        birth_dates=["1956-03-27"],
        nationalities=["IQ"],
        identifiers=[Identifier("passport", "D1019262", "IQ")],
    )


@pytest.fixture
def lookalikes() -> list[Entry]:
    """Other people whose names look like Falih al-Fayyadh's."""
    return [
        make_entry(
            "24304",
            "AHMAD, Fayyaz",
            ("FIYAZ, Sheikh", "weak"),
            ("FAYAZ, Sheikh", "weak"),
            ("FAIZ, Shaikh", "weak"),
            "FIAZ, Muhammad",
            birth_dates=["1973-12-05"],
        ),
        make_entry(
            "10044",
            "FAYAD, Sobhi Mahmoud",
            "FAYADH, Sobhi Mahmoud",
            "FAYYAD, Subhi Mahmud",
            birth_dates=["1965-08-20"],
            citizenships=["LB", "PY"],
        ),
        make_entry("10045", "FAYAD, Saleh Mahmoud", "FAYYAD, Saleh Mahmud", birth_dates=["1962"]),
        make_entry(
            "QDi.412",
            "UMAR MAHMUD IRHAYYIM AL-FAYYADH",
            "Omar Mahmood Irhayyim AL-FAYYADH",
            source="un_sc",
            birth_dates=["1983"],
            nationalities=["IQ"],
        ),
        make_entry(
            "32492",
            "AL-HAYES, Ahmad Ihsan Fayyad",
            "AL-HAYES, Ahmed Ihsan Fayyad",
            birth_dates=["1987"],
            nationalities=["SY"],
        ),
    ]


@pytest.fixture
def small_index(fayyadh: Entry, lookalikes: list[Entry]) -> MatchIndex:
    index = MatchIndex()
    for entry in [fayyadh, *lookalikes]:
        index.add((entry.source, entry.list_id), entry)
    return index


def sample_data_dir() -> Path:
    path = Path(os.environ.get("SANCTRACK_SAMPLE_DATA", ROOT / ".." / "shared" / "data"))
    if not path.is_absolute():
        path = (ROOT / path).resolve()
    if not path.is_dir():
        pytest.skip(f"sample data folder not found at {path}; set SANCTRACK_SAMPLE_DATA to shared/data")
    return path


def list_parser():
    try:
        from app.lists.parsers import parse
    except ImportError as exc:
        pytest.skip(f"app.lists.parsers.parse is not available ({exc})")
    return parse


@pytest.fixture(scope="session")
def real_lists() -> dict[str, list[Entry]]:
    """The newest full publication of each source in the sample data, parsed once per test session."""
    base = sample_data_dir()
    parse = list_parser()
    files = {
        "ofac_sdn": base / "ofac_sdn" / "2023-12-28",
        "ofac_cons": base / "ofac_cons" / "consolidated_2025-12-18.xml",
        "un_sc": base / "un" / "consolidated_2026-02-27.xml",
        "uk": base / "uk" / "ofsi_conlist_2025-04-14.xlsx",
    }
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        pytest.skip(f"sample list files missing: {', '.join(missing)}")
    return {source: parse(source, path).entries for source, path in files.items()}


@pytest.fixture(scope="session")
def real_index(real_lists: dict[str, list[Entry]]) -> MatchIndex:
    return MatchIndex(((source, e.list_id), e) for source, entries in real_lists.items() for e in entries)
