"""The lookup file (app/matching/lookup.py): an index opened for a search without loading it answers exactly as the
index in memory, and a file cut short or written by other matcher code is refused."""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path

import pytest

from app.lists.records import Entry
from app.matching.index import MatchIndex
from app.matching.lookup import write_lookup
from app.matching.persist import StaleIndexFile
from app.matching.query import MatchQuery

# With the other tests of the real index (tests/matching/test_real_lists.py): one worker builds it once.
pytestmark = pytest.mark.xdist_group("real_index")


def queries(real_lists: dict[str, list[Entry]]) -> list[MatchQuery]:
    """Real listed names (every 211th entry of each list, up to three of its names), and names listed nowhere."""
    out = [
        MatchQuery(kind=entry.kind, names=[name.full])
        for entries in real_lists.values()
        for entry in entries[::211]
        for name in entry.names[:3]
    ]
    out += [
        MatchQuery(kind="person", names=[n]) for n in ("Faleh al-Fayyad", "فالح الفياض", "Jane Q. Nobody")
    ]
    return out


def results(index: MatchIndex, query: MatchQuery) -> list[tuple[object, float]]:
    return [(key, result.score) for key, _, result in index.search(query, limit=5)]


def test_a_search_in_the_lookup_file_answers_as_the_index_in_memory(
    real_index, real_lists, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "index.lookup"
    real_index.dump_lookup(path, {"marks": "m"})
    opened, meta = MatchIndex.open_lookup(path)
    assert meta == {"marks": "m"}
    assert len(opened) == len(real_index)
    asked = queries(real_lists)
    assert len(asked) > 100
    found = 0
    for query in asked:
        expected = results(real_index, query)
        assert results(opened, query) == expected, query.names
        found += bool(expected)
    assert found > len(asked) * 0.9  # the comparison is about real answers, not empty lists


def test_a_lookup_file_cut_short_or_of_other_code_is_refused(small_index: MatchIndex, tmp_path: Path) -> None:
    path = tmp_path / "index.lookup"
    small_index.dump_lookup(path)
    MatchIndex.open_lookup(path)
    whole = path.read_bytes()
    for length in (len(whole) // 2, len(whole) - 100):  # cut in its middle, or only its last page
        path.write_bytes(whole[:length])
        with pytest.raises(StaleIndexFile):
            MatchIndex.open_lookup(path)
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StaleIndexFile):
        MatchIndex.open_lookup(path)
    path.write_bytes(whole)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE header SET value = ? WHERE name = 'version'", (pickle.dumps("other-code"),)
        )
    with pytest.raises(StaleIndexFile, match="another version"):
        MatchIndex.open_lookup(path)
    with pytest.raises(StaleIndexFile, match="no lookup file"):
        MatchIndex.open_lookup(tmp_path / "missing.lookup")


def test_writing_leaves_no_partial_file_behind(small_index: MatchIndex, tmp_path: Path) -> None:
    class Unpicklable:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("cannot be saved")

    state = small_index._state
    broken = type(state)(
        **{**{f: getattr(state, f) for f in state.__dataclass_fields__}, "slots": [Unpicklable()]}
    )
    with pytest.raises(RuntimeError):
        write_lookup(broken, tmp_path / "index.lookup")
    assert list(tmp_path.iterdir()) == []
