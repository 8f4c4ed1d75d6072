"""Shared fixtures of the list tests: where the real published files are, and each file parsed once per session.

The files live outside the repository (``SANCTRACK_SAMPLE_DATA``, by default ``../shared/data`` relative to the
repository root); tests that need them are skipped with a clear message when the folder is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from app.lists import parsers
from app.lists.records import Entry, Publication

REPO_ROOT = Path(__file__).resolve().parents[2]


def sample_data_dir() -> Path:
    configured = Path(os.environ.get("SANCTRACK_SAMPLE_DATA", "../shared/data"))
    folder = (configured if configured.is_absolute() else REPO_ROOT / configured).resolve()
    if not folder.is_dir():
        pytest.skip(f"sample data folder not found at {folder}; set SANCTRACK_SAMPLE_DATA")
    return folder


def by_id(publication: Publication) -> dict[str, Entry]:
    return {entry.list_id: entry for entry in publication.entries}


# id(publication) -> (publication, its dicts); holding the publication keeps its id from being reused.
_dicts_cache: dict[int, tuple[Publication, dict[str, dict]]] = {}


def as_dicts(publication: Publication) -> dict[str, dict]:
    """list_id -> Entry.to_dict(), the form the diff compares; computed once per publication (it is not cheap)."""
    key = id(publication)
    if key not in _dicts_cache:
        _dicts_cache[key] = (publication, {entry.list_id: entry.to_dict() for entry in publication.entries})
    return _dicts_cache[key][1]


_parsed_cache: dict[tuple[str, str, str | None], Publication] = {}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return sample_data_dir()


@pytest.fixture(scope="session")
def parsed(data_dir: Path) -> Callable[..., Publication]:
    """parsed(source, "ofac_sdn/2023-12-28") -> Publication, parsed once per test session (the big OFAC sets take
    about a second each). Tests must not modify what they get."""

    def get(source: str, relative: str, format: str | None = None) -> Publication:
        key = (source, relative, format)
        if key not in _parsed_cache:
            _parsed_cache[key] = parsers.parse(source, data_dir / relative, format=format)
        return _parsed_cache[key]

    return get


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests that read parsed publications from the session's cache run on one xdist worker: they parse each
    real file once (some 75 s of test time) instead of once on each worker (some 115 s)."""
    for item in items:
        if "parsed" in getattr(item, "fixturenames", ()) and Path(str(item.fspath)).is_relative_to(
            Path(__file__).parent
        ):
            item.add_marker(pytest.mark.xdist_group("parsed_lists"))
