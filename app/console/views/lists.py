"""The followed lists: freshness, last run, publications over time, change logs, and held publications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select

from app.auth.deps import SessionDep
from app.config import get_settings
from app.console import charts, security
from app.console.explain import diff_view
from app.console.web import AdminDep, ConsoleRoute, ReaderDep, lazy_service, query_string, redirect, render
from app.db import utcnow
from app.errors import NotFound
from app.ops import newest_refresh_by_source

router = APIRouter(route_class=ConsoleRoute)
CHART_POINTS = 60
CHANGES_PAGE = 100
SNAPSHOTS_PAGE = 50
ACCEPTED = ("current", "superseded")


def _source_label(source: str) -> str:
    return {
        "ofac_sdn": "OFAC SDN list",
        "ofac_cons": "OFAC consolidated (non-SDN) list",
        "un_sc": "UN Security Council consolidated list",
        "uk": "UK sanctions list",
        "eu_fsf": "EU financial sanctions file",
        "ca_sema": "Canadian autonomous sanctions list (SEMA and JVCFOR)",
        "au_dfat": "Australian DFAT consolidated list",
    }.get(source, source)


UNKNOWN_DATE = "date unknown"


def _publication_label(snapshot: Any) -> str:
    """The authority's publication date; a publication that carries none says so (its fetch date is not it)."""
    if snapshot.published_on is None:
        return f"{UNKNOWN_DATE} (#{snapshot.id})"
    return snapshot.published_on.isoformat()


def by_publication_date(snapshots: list[Any]) -> list[Any]:
    """In the order the authority published them. Those without a date cannot be placed on that axis: they come
    first, in the order they were applied, each labelled "date unknown"."""
    return sorted(snapshots, key=lambda s: (s.published_on is not None, s.published_on or dt.date.min, s.id))


def freshness(
    current: Any, last_check: dt.datetime | None, now: dt.datetime, stale_after: float
) -> dict[str, Any]:
    """Two different ages: how old the publication is (the authority's date), and how long since the service last
    checked the source (downloaded it, or found it unchanged). Only the second says whether the service is keeping
    up; a list never loaded is neither fresh nor stale, just not loaded."""
    published_on = current.published_on if current is not None else None
    check_age = (now - last_check).total_seconds() if current is not None and last_check else None
    if current is None:
        state = "not_loaded"
    else:
        state = "overdue" if check_age is None or check_age > stale_after else "checked"
    return {
        "state": state,
        "published_on": published_on,
        "last_check": last_check if current is not None else None,
        "check_age": check_age,
    }


@router.get("/lists", summary="Followed lists and their freshness")
def lists(request: Request, db: SessionDep, viewer: ReaderDep) -> Response:
    from app.lists.models import Run, Snapshot
    from app.lists.records import AUTHORITY_OF_SOURCE, SOURCES

    now = utcnow()
    stale_after = get_settings().stale_list_age_seconds
    checked = newest_refresh_by_source(db)
    sources = []
    for source in SOURCES:
        current = db.scalar(
            select(Snapshot)
            .where(Snapshot.source == source, Snapshot.status == "current")
            .order_by(Snapshot.id.desc())
            .limit(1)
        )
        last_run = db.scalar(select(Run).where(Run.source == source).order_by(Run.created_at.desc()).limit(1))
        sources.append(
            {
                "source": source,
                "label": _source_label(source),
                "authority": AUTHORITY_OF_SOURCE[source],
                "current": current,
                **freshness(current, checked.get(source), now, stale_after),
                "last_run": last_run,
            }
        )
    problems = list(
        db.scalars(
            select(Snapshot)
            .where(Snapshot.status.in_(("rejected", "held")))
            .order_by(Snapshot.id.desc())
            .limit(50)
        )
    )
    return render(
        request,
        "lists.html",
        {"sources": sources, "problems": problems, "stale_after": stale_after},
        section="lists",
    )


@router.get("/lists/{source}", summary="One list: publications over time")
def list_source(
    request: Request, source: str, db: SessionDep, viewer: ReaderDep, page: str = "1"
) -> Response:
    from app.lists.models import Run, Snapshot
    from app.lists.records import AUTHORITY_OF_SOURCE, SOURCES

    if source not in SOURCES:
        raise NotFound(f"no followed list called {source!r}; the lists are {', '.join(SOURCES)}")
    accepted = by_publication_date(
        list(
            db.scalars(
                select(Snapshot)
                .where(Snapshot.source == source, Snapshot.status.in_(ACCEPTED))
                .order_by(Snapshot.id.desc())
                .limit(CHART_POINTS)
            )
        )
    )
    entries_chart = charts.line_chart(
        f"entries-{source}",
        f"Entries on the {_source_label(source)} per publication",
        [(_publication_label(s), s.entry_count) for s in accepted],
    )
    # The first publication adds every entry; drawing it would flatten every later bar.
    changed = [s for s in accepted if s.previous_id is not None]
    changes_chart = charts.stacked_bars(
        f"changes-{source}",
        f"Changes per publication of the {_source_label(source)}",
        [
            (_publication_label(s), {"added": s.added, "removed": s.removed, "amended": s.amended})
            for s in changed
        ],
    )
    page_number = max(1, int(page)) if page.isdigit() else 1
    total = db.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.source == source)) or 0
    snapshots = list(
        db.scalars(
            select(Snapshot)
            .where(Snapshot.source == source)
            .order_by(Snapshot.id.desc())
            .limit(SNAPSHOTS_PAGE)
            .offset((page_number - 1) * SNAPSHOTS_PAGE)
        )
    )
    runs = list(db.scalars(select(Run).where(Run.source == source).order_by(Run.created_at.desc()).limit(10)))
    return render(
        request,
        "list_source.html",
        {
            "source": source,
            "label": _source_label(source),
            "authority": AUTHORITY_OF_SOURCE[source],
            "entries_chart": entries_chart,
            "changes_chart": changes_chart,
            "accepted": accepted,
            "changed": changed,
            "snapshots": snapshots,
            "runs": runs,
            "page": page_number,
            "pages": max(1, -(-total // SNAPSHOTS_PAGE)),
        },
        section="lists",
    )


@router.get("/lists/snapshots/{snapshot_id:int}", summary="The change log of one publication")
def snapshot_changes(
    request: Request, snapshot_id: int, db: SessionDep, viewer: ReaderDep, kind: str = "", page: str = "1"
) -> Response:
    from app.lists.models import Change, Snapshot

    snapshot = db.get(Snapshot, snapshot_id)
    if snapshot is None:
        raise NotFound(f"no publication (snapshot) {snapshot_id}")
    kind = kind if kind in ("added", "removed", "amended") else ""
    page_number = max(1, int(page)) if page.isdigit() else 1
    query = select(Change).where(Change.snapshot_id == snapshot_id)
    if kind:
        query = query.where(Change.kind == kind)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    changes = list(
        db.scalars(
            query.order_by(Change.kind, Change.name, Change.id)
            .limit(CHANGES_PAGE)
            .offset((page_number - 1) * CHANGES_PAGE)
        )
    )
    return render(
        request,
        "snapshot.html",
        {
            "snapshot": snapshot,
            "label": _source_label(snapshot.source),
            "changes": [(c, diff_view(c.diff)) for c in changes],
            "total": total,
            "kind": kind,
            "page": page_number,
            "pages": max(1, -(-total // CHANGES_PAGE)),
            "query_string": query_string,
        },
        section="lists",
    )


@router.post("/lists/snapshots/{snapshot_id:int}/accept", summary="Accept a held publication (admin)")
def accept(request: Request, snapshot_id: int, db: SessionDep, viewer: AdminDep) -> Response:
    # Through the pipeline: what the publication changed is screened, so its designations are alerted too.
    accept_snapshot = lazy_service("app.pipeline", "accept_held_snapshot")
    result = accept_snapshot(db, snapshot_id, viewer.actor)
    summary = ""
    if hasattr(result, "added"):
        summary = f": {result.added} added, {result.removed} removed, {result.amended} amended"
    security.flash(request, "success", f"Accepted publication {snapshot_id}{summary}.")
    return redirect("/console/lists", request)
