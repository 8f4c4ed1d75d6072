"""A candidate's standing with each authority, and what each standing is called.

The one place the console, the dossier (HTML and PDF), the CSV exports and the API read standings from. A stored
status row says listed, delisted or not listed; "not listed" is only known for an authority whose list the
service holds, so for any other authority the standing is ``no_list`` ("no list loaded"), never "not listed".
Authorities are those of ``app.targets.models.AUTHORITIES``, whichever they are.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import TargetAuthorityStatus
from app.lists.models import Snapshot
from app.lists.records import AUTHORITY_OF_SOURCE
from app.targets.models import AUTHORITIES

_TABLE = Path(__file__).with_name("standings.csv")


@dataclass(frozen=True)
class StandingKind:
    value: str
    label: str
    mark: str
    meaning: str


def _load(path: Path) -> dict[str, StandingKind]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["standing"]: StandingKind(row["standing"], row["label"], row["mark"], row["meaning"])
            for row in csv.DictReader(handle)
        }


KINDS = _load(_TABLE)
STANDINGS = tuple(KINDS)  # listed, delisted, not_listed, no_list


def label(value: str) -> str:
    """What a standing is called: not_listed → "not listed", no_list → "no list loaded"."""
    kind = KINDS.get(str(value))
    return kind.label if kind else str(value).replace("_", " ")


def mark(value: str) -> str:
    kind = KINDS.get(str(value))
    return kind.mark if kind else ""


@dataclass(frozen=True)
class AuthorityStanding:
    authority: str
    standing: str  # one of STANDINGS
    programs: list[str]
    listed_on: dt.date | None
    delisted_on: dt.date | None

    @property
    def label(self) -> str:
        return label(self.standing)


def followed_authorities(session: Session) -> set[str]:
    """Authorities with at least one list the service holds a current publication of."""
    sources = session.scalars(select(Snapshot.source).where(Snapshot.status == "current").distinct())
    return {AUTHORITY_OF_SOURCE[source] for source in sources}


def standing_of(status: str | None, authority: str, followed: Collection[str]) -> str:
    """The standing a stored status (None: no row) means, given the authorities whose lists are loaded."""
    status = status or "not_listed"
    return "no_list" if status == "not_listed" and authority not in followed else status


def standing_map(statuses: Iterable[Any], followed: Collection[str]) -> dict[str, str]:
    """Authority → standing for every authority, from a candidate's status rows (objects with ``authority`` and
    ``status``: ORM rows or the API's ``AuthorityStatusOut``)."""
    found = {s.authority: s.status for s in statuses}
    return {a: standing_of(found.get(a), a, followed) for a in AUTHORITIES}


def authority_standings(
    session: Session, target_ids: Collection[int], followed: Collection[str] | None = None
) -> dict[int, list[AuthorityStanding]]:
    """Every authority's standing for each candidate, in the fixed order of AUTHORITIES, in one query."""
    followed = followed_authorities(session) if followed is None else followed
    rows: dict[int, dict[str, TargetAuthorityStatus]] = {i: {} for i in target_ids}
    if target_ids:
        for row in session.scalars(
            select(TargetAuthorityStatus).where(TargetAuthorityStatus.target_id.in_(list(target_ids)))
        ):
            rows[row.target_id][row.authority] = row
    out: dict[int, list[AuthorityStanding]] = {}
    for target_id, by_authority in rows.items():
        standings = []
        for authority in AUTHORITIES:
            row = by_authority.get(authority)
            standings.append(
                AuthorityStanding(
                    authority=authority,
                    standing=standing_of(row.status if row else None, authority, followed),
                    programs=list(row.programs) if row else [],
                    listed_on=row.listed_on if row else None,
                    delisted_on=row.delisted_on if row else None,
                )
            )
        out[target_id] = standings
    return out
