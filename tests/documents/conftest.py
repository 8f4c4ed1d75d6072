"""Documents tests: the seed brief and a small real SDN publication holding its listed names."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.lists import service as lists
from app.matching import search
from tests.conftest import sample_data_dir
from tests.pipeline.publications import FAYYADH, subset

KATAIB_HIZBALLAH, ABU_FADAK = "11462", "29722"


def brief_path() -> Path:
    path = sample_data_dir().parent / "seed" / "article.md"
    if not path.exists():
        pytest.skip(f"the seed brief is not at {path}")
    return path


@pytest.fixture
def brief() -> bytes:
    return brief_path().read_bytes()


@pytest.fixture
def sdn(db, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Entries 30242 AL-FAYYADH, Falih, 11462 KATA'IB HIZBALLAH and 29722 of the real 2023-12-28 SDN list."""
    folder = tmp_path / "sdn"
    folder.mkdir()
    for name, content in subset([FAYYADH, KATAIB_HIZBALLAH, ABU_FADAK]).items():
        (folder / name).write_bytes(content)
    result = lists.ingest_path(db, "ofac_sdn", folder)
    assert result.status == "stored", result.reason
    search.current_index(db)  # uncommitted: bring the index up to date inside this transaction
    return result
