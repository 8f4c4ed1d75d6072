"""Ad-hoc matching: a query against the process's current index, answered from the index as it stands.

Apart from screening and links (:mod:`app.matching.service`) so that what only searches (``sanctrack match``, the
match route) does not import the alert and delivery machinery screening records into.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import InvalidInput
from app.matching import live
from app.matching.live import LoadedIndex
from app.matching.query import MatchQuery


def current_index(session: Session) -> LoadedIndex:
    """The process's index brought up to date with the current snapshots as ``session`` sees them (waits)."""
    loaded = live.bring_up_to_date(session)
    assert loaded is not None  # built when not saved
    return loaded


def index_for_search(session: Session) -> LoadedIndex:
    """For one search or a few (the CLI): the current index opened from its lookup file, reading only what the
    searches need; loaded or built as usual (and its lookup file written) when there is none yet."""
    return live.open_for_search(session)


def reset_index() -> None:
    live.reset()


@dataclass
class MatchHit:
    source: str
    list_id: str
    name: str
    score: float
    match: bool
    explanation: dict[str, Any]
    identifier_match: bool = False


def identifier_match(result: Any) -> bool:
    """Whether a scored result was found by a shared identifier (which links it whatever its score)."""
    flag = getattr(result, "identifier_match", None)
    if flag is not None:
        return bool(flag)
    return bool(result.explanation.get("identifier_match"))


def match(
    query: MatchQuery,
    *,
    threshold: float | None = None,
    limit: int = 5,
    loaded: LoadedIndex | None = None,
) -> list[MatchHit]:
    """Ad-hoc matching against ``loaded`` (default: the process's index as it stands; a 503 before it is loaded).

    Several queries of one request pass the same ``loaded``, so that they all answer from the same snapshots.
    """
    if not query.names or not any(n.strip() for n in query.names):
        raise InvalidInput("a query needs at least one name")
    settings = get_settings()
    threshold = settings.match_threshold if threshold is None else threshold
    loaded = loaded or live.ready_index()
    # Near misses down to the review threshold still show (match: false), as reviewers want to see them.
    hits = loaded.index.search(query, limit=limit, threshold=min(threshold, settings.review_threshold))
    return [
        MatchHit(
            source=key[0],
            list_id=key[1],
            name=entry.name,
            score=round(result.score, 4),
            match=result.score >= threshold,
            explanation=result.explanation,
            identifier_match=identifier_match(result),
        )
        for key, entry, result in hits
    ]
