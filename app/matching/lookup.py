"""A saved index opened for a few searches without loading it: an SQLite file, read item by item on demand.

``sanctrack match NAME`` runs one search. Loading the whole saved index (:mod:`app.matching.persist`) means
unpickling millions of objects, seconds of work, of which one search touches a few thousand. So beside each saved
index a *lookup file* is written: every field of the index's state as a table, item by item (a posting under its
key, a name under its id), each item pickled on its own. Opened, the file reads nothing until the search asks for
an item, then that item only, once.

It holds the same state as the saved index and is versioned the same way (:func:`persist.format_version`): a file
written by other matcher code is not used. The index opened from it is read-only.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.matching.persist import MAGIC, StaleIndexFile, format_version

BATCH = 5_000  # rows per executemany while writing


def _key(value: Any) -> str:
    # Keys are strings, ints and tuples of them, whose repr is the same for equal values (a pickle may not be).
    return repr(value)


def _dump(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def write_lookup(state: Any, path: Path, meta: dict[str, Any] | None = None) -> None:
    """Write ``state`` (a dataclass instance of lists, dicts and plain values) to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        connection = sqlite3.connect(temporary)
        try:
            connection.execute("PRAGMA journal_mode=OFF")  # a new file, renamed into place only once complete
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("CREATE TABLE header (name TEXT PRIMARY KEY, value BLOB)")
            layout: dict[str, tuple[str, Any]] = {}
            for item in dataclasses.fields(state):
                value = getattr(state, item.name)
                if isinstance(value, list):
                    connection.execute(f'CREATE TABLE "list_{item.name}" (i INTEGER PRIMARY KEY, v BLOB)')
                    _insert(connection, f'INSERT INTO "list_{item.name}" VALUES (?, ?)', _list_rows(value))
                    layout[item.name] = ("list", len(value))
                elif isinstance(value, dict):
                    connection.execute(
                        f'CREATE TABLE "dict_{item.name}" (k TEXT PRIMARY KEY, key BLOB, v BLOB) WITHOUT ROWID'
                    )
                    _insert(connection, f'INSERT INTO "dict_{item.name}" VALUES (?, ?, ?)', _dict_rows(value))
                    layout[item.name] = ("dict", len(value))
                else:
                    layout[item.name] = ("value", value)
            header = {"magic": MAGIC, "version": format_version(), "meta": meta or {}, "layout": layout}
            connection.executemany(
                "INSERT INTO header VALUES (?, ?)", [(name, _dump(v)) for name, v in header.items()]
            )
            connection.commit()
        finally:
            connection.close()
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _list_rows(value: list[Any]) -> Iterator[tuple[int, bytes]]:
    for index, item in enumerate(value):
        yield index, _dump(item)


def _dict_rows(value: dict[Any, Any]) -> Iterator[tuple[str, bytes, bytes]]:
    for key, item in value.items():
        yield _key(key), _dump(key), _dump(item)


def _insert(connection: sqlite3.Connection, statement: str, rows: Iterator[tuple[Any, ...]]) -> None:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            connection.executemany(statement, batch)
            batch.clear()
    if batch:
        connection.executemany(statement, batch)


class _LazyList:
    """A list field, item by item: ``state.name_forms[nid]`` reads one row the first time it is asked."""

    def __init__(self, connection: sqlite3.Connection, table: str, length: int) -> None:
        self._connection, self._length, self._items = connection, length, {}
        self._select = f'SELECT v FROM "{table}" WHERE i = ?'

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += self._length
        try:
            return self._items[index]
        except KeyError:
            pass
        row = self._connection.execute(self._select, (index,)).fetchone()
        if row is None:
            raise IndexError(index)
        item = self._items[index] = pickle.loads(row[0])
        return item

    def __iter__(self) -> Iterator[Any]:
        for index in range(self._length):
            yield self[index]


class _LazyDict:
    """A dict field, item by item: ``state.postings.get(key)`` reads one row the first time it is asked."""

    def __init__(self, connection: sqlite3.Connection, table: str, length: int) -> None:
        self._connection, self._table, self._length, self._items = connection, table, length, {}
        self._select = f'SELECT v FROM "{table}" WHERE k = ?'

    def __len__(self) -> int:
        return self._length

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self._items[key]
        except KeyError:
            pass
        row = self._connection.execute(self._select, (_key(key),)).fetchone()
        item = self._items[key] = pickle.loads(row[0]) if row is not None else default
        return item

    def __getitem__(self, key: Any) -> Any:
        missing = object()
        item = self.get(key, missing)
        if item is missing:
            self._items.pop(key, None)
            raise KeyError(key)
        return item

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None

    def __iter__(self) -> Iterator[Any]:
        for (key,) in self._connection.execute(f'SELECT key FROM "{self._table}"'):
            yield pickle.loads(key)

    def keys(self) -> list[Any]:
        return list(self)


def open_lookup(path: Path, state_class: type) -> tuple[Any, dict[str, Any]]:
    """The state in the lookup file at ``path``, read on demand, and the header's ``meta``;
    :class:`StaleIndexFile` when the file is missing, unreadable or written by other matcher code."""
    if not path.exists():
        raise StaleIndexFile("no lookup file")
    # A file cut short (a full disk, a copy interrupted) is told by its size against the one SQLite's header gives
    # (page size at offset 16, page count at 28). Checked now: a search reading a lost page later could only fail.
    with path.open("rb") as file:
        head = file.read(100)
    page_size = int.from_bytes(head[16:18], "big") if len(head) == 100 else 0
    pages = int.from_bytes(head[28:32], "big") if len(head) == 100 else 0
    if not pages or path.stat().st_size < (65536 if page_size == 1 else page_size) * pages:
        raise StaleIndexFile("lookup file cut short, or not one")
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
        header = {
            name: pickle.loads(value) for name, value in connection.execute("SELECT name, value FROM header")
        }
    except (sqlite3.Error, pickle.UnpicklingError, EOFError) as exc:
        raise StaleIndexFile(f"unreadable lookup file ({type(exc).__name__}: {exc})") from exc
    if header.get("magic") != MAGIC:
        raise StaleIndexFile("not a sanctrack lookup file")
    if header.get("version") != format_version():
        raise StaleIndexFile("written by another version of the matcher")
    fields: dict[str, Any] = {}
    for name, (kind, value) in header["layout"].items():
        if kind == "list":
            fields[name] = _LazyList(connection, f"list_{name}", value)
        elif kind == "dict":
            fields[name] = _LazyDict(connection, f"dict_{name}", value)
        else:
            fields[name] = value
    return state_class(**fields), header.get("meta", {})
