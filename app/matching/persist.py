"""Saving and loading a match index's internal state: a pickle stream in small pieces, versioned by the matcher's code.

The state is written as a sequence of pickles through one Pickler (its memo spans the pieces, so an object shared by
two fields is stored once and comes back shared): a header, then each field of the state, lists and dicts cut into
chunks. Loading reads the pieces back one by one through one Unpickler. Between pieces the loading (or saving) thread
yields the GIL, so a server thread that loads an index beside its requests holds them up for one piece at a time,
never for the whole file.

The header carries :func:`format_version`: a digest of every file of ``app/matching`` (code, glossaries, model data)
and the Python version. An index saved by other code is not trusted: :func:`load_state` raises
:class:`StaleIndexFile` and the caller rebuilds from the database (the file is never the only copy of anything).
Files are written to a temporary name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

MAGIC = "sanctrack-match-index"
LAYOUT = 1  # the layout of the stream itself (header, fields, chunks)
CHUNK = 2_000  # items per pickled piece: about a millisecond or two to load each
MATCHING_PACKAGE = Path(__file__).resolve().parent


class StaleIndexFile(Exception):
    """The file is missing, unreadable, or was written by other matcher code: rebuild from the database."""


@functools.cache
def format_version() -> str:
    """A digest of the matcher's own files: any change to the code or its data gives another version."""
    digest = hashlib.sha256(f"{LAYOUT}:{sys.version_info[:2]}".encode())
    for path in sorted(MATCHING_PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(MATCHING_PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _yield_gil(after_seconds: float = 0.0, share: float = 0.0) -> None:
    """Release the GIL (a zero sleep lets request threads waiting for it run now); with ``share``, stay away long
    enough that loading takes at most that share of the time, as measured by the last piece."""
    time.sleep(after_seconds * (1.0 - share) / share if share > 0.0 else 0.0)


def _pieces(state: Any) -> Iterator[tuple[str, str, Any]]:
    """(field, kind, piece): kind "value" for a whole field, "list"/"dict" for a chunk of one."""
    for item in dataclasses.fields(state):
        value = getattr(state, item.name)
        if isinstance(value, list) and len(value) > CHUNK:
            for start in range(0, len(value), CHUNK):
                yield item.name, "list", value[start : start + CHUNK]
        elif isinstance(value, dict) and len(value) > CHUNK:
            items = list(value.items())
            for start in range(0, len(items), CHUNK):
                yield item.name, "dict", items[start : start + CHUNK]
        else:
            yield item.name, "value", value


def dump_state(state: Any, path: Path, meta: dict[str, Any] | None = None) -> None:
    """Write ``state`` (a dataclass instance) to ``path`` atomically, with ``meta`` in the header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            pickler = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dump({"magic": MAGIC, "version": format_version(), "meta": meta or {}})
            for piece in _pieces(state):
                pickler.dump(piece)
                _yield_gil()
            pickler.dump(None)  # the end: a file cut short is told from a whole one
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_header(file: BinaryIO) -> tuple[pickle.Unpickler, dict[str, Any]]:
    unpickler = pickle.Unpickler(file)
    header = unpickler.load()
    if not isinstance(header, dict) or header.get("magic") != MAGIC:
        raise StaleIndexFile("not a sanctrack index file")
    if header.get("version") != format_version():
        raise StaleIndexFile("written by another version of the matcher")
    return unpickler, header


def load_state(path: Path, state_class: type, yield_share: float = 0.0) -> tuple[Any, dict[str, Any]]:
    """The state saved at ``path`` and the header's ``meta``; :class:`StaleIndexFile` when it cannot be trusted.

    ``yield_share`` (0 < share < 1) paces a load beside requests that an older index still answers: after each
    piece the thread sleeps so that loading takes about that share of the time and the requests the rest (0: as
    fast as it can, for a process that has no index to serve yet)."""
    fields: dict[str, Any] = {}
    # The collector would walk the growing object graph again and again while millions of objects arrive; they
    # hold no reference cycles to collect, so it waits until the load is done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with path.open("rb") as file:
            unpickler, header = read_header(file)
            while True:
                started = time.perf_counter()
                piece = unpickler.load()
                if piece is None:
                    break
                name, kind, value = piece
                if kind == "list":
                    fields.setdefault(name, []).extend(value)
                elif kind == "dict":
                    fields.setdefault(name, {}).update(value)
                else:
                    fields[name] = value
                _yield_gil(time.perf_counter() - started, yield_share)
        state = state_class(**fields)
    except StaleIndexFile:
        raise
    except FileNotFoundError as exc:
        raise StaleIndexFile("no index file") from exc
    except Exception as exc:  # noqa: BLE001 - a truncated, corrupt or foreign file is rebuilt, whatever broke
        raise StaleIndexFile(f"unreadable index file ({type(exc).__name__}: {exc})") from exc
    finally:
        if collecting:
            gc.enable()
    return state, header.get("meta", {})
