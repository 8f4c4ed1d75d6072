"""Answers of ``GET /v1/targets/{id}``, kept in this process for one generation of the candidates' tables.

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
from dataclasses import dataclass

ENTRY_SECONDS = 600.0
MAX_ENTRIES = 20_000  # about 1 KiB each: ~20 MiB at most per process


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes  # the JSON answer
    etag: str
    generation: int | None
    until: float  # time.monotonic() after which it is read again


_entries: dict[int, Rendered] = {}
# The authorities with a list loaded, which every answer shows, under the generation they were read in.
_followed: tuple[int | None, set[str]] | None = None


def get(target_id: int, generation: int | None) -> Rendered | None:
    entry = _entries.get(target_id)
    if (
        entry is None
        or generation is None
        or entry.generation != generation
        or entry.until < time.monotonic()
    ):
        return None
    return entry


def put(target_id: int, generation: int | None, body: bytes, etag: str) -> Rendered:
    entry = Rendered(body, etag, generation, time.monotonic() + ENTRY_SECONDS)
    if generation is not None:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()  # crude, but a full table means more candidates are read than it holds anyway
        _entries[target_id] = entry
    return entry


def followed(generation: int | None) -> set[str] | None:
    kept = _followed
    return kept[1] if kept is not None and generation is not None and kept[0] == generation else None


def keep_followed(generation: int | None, authorities: set[str]) -> set[str]:
    global _followed
    _followed = (generation, authorities)
    return authorities


def clear() -> None:
    global _followed
    _entries.clear()
    _followed = None
