"""Answers of ``GET /v1/targets/{id}`` and ``GET /v1/targets``, kept in this process for one generation of the
candidates' tables.

The answer of a candidate is read from several tables (see ``app.changes.CANDIDATE_TABLES``) in five queries; the
same candidate is asked for again and again by clients polling its standing. An entry is used only while the
shared generation is the one it was read under, so a commit anywhere (another API process, a worker applying a
publication) that wrote one of those tables retires every entry at once. Entries also die after
:data:`ENTRY_SECONDS`: a bound on staleness should a generation fail to move (Redis unreachable at that moment)
and the writing process not read it again soon (it retries the move first when it does).
Without a shared generation (no Redis) nothing is kept.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass

ENTRY_SECONDS = 600.0
MAX_BYTES = 64 * 2**20  # of answers kept per process (a candidate is about 1 KiB, a page of 50 about 50 KiB)


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes  # the JSON answer
    etag: str
    generation: int | None
    until: float  # time.monotonic() after which it is read again


_entries: dict[Hashable, Rendered] = {}  # ("target", id) or ("page", the query's parameters)
_kept_bytes = 0
# The authorities with a list loaded, which every answer shows, under the generation they were read in.
_followed: tuple[int | None, set[str]] | None = None


def get(key: Hashable, generation: int | None) -> Rendered | None:
    entry = _entries.get(key)
    if (
        entry is None
        or generation is None
        or entry.generation != generation
        or entry.until < time.monotonic()
    ):
        return None
    return entry


def put(key: Hashable, generation: int | None, body: bytes, etag: str = "") -> Rendered:
    global _kept_bytes
    entry = Rendered(body, etag, generation, time.monotonic() + ENTRY_SECONDS)
    if generation is not None:
        if _kept_bytes + len(body) > MAX_BYTES:
            clear()  # crude, but a full cache means more is read than it holds anyway
        previous = _entries.get(key)
        _kept_bytes += len(body) - (len(previous.body) if previous is not None else 0)
        _entries[key] = entry
    return entry


def followed(generation: int | None) -> set[str] | None:
    kept = _followed
    return kept[1] if kept is not None and generation is not None and kept[0] == generation else None


def keep_followed(generation: int | None, authorities: set[str]) -> set[str]:
    global _followed
    _followed = (generation, authorities)
    return authorities


def clear() -> None:
    global _followed, _kept_bytes
    _entries.clear()
    _followed = None
    _kept_bytes = 0
