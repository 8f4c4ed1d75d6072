"""The overview: what needs attention now, and the first steps on a fresh installation."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select

from app.auth.deps import SessionDep
from app.config import get_settings
from app.console.web import ConsoleRoute, ReaderDep, render
from app.db import utcnow
from app.ops import newest_refresh_by_source
from app.targets import service

router = APIRouter(route_class=ConsoleRoute)


@router.get("", summary="Console overview")
def overview(request: Request, db: SessionDep, viewer: ReaderDep) -> Response:
    from app.alerts.models import Webhook
    from app.lists.models import Snapshot
    from app.lists.records import SOURCES
    from app.matching.models import Link

    _, candidates = service.list_targets(db, limit=1)
    suggested = db.scalar(select(func.count()).select_from(Link).where(Link.state == "suggested")) or 0
    current = {s.source: s for s in db.scalars(select(Snapshot).where(Snapshot.status == "current"))}
    stale_after = get_settings().stale_list_age_seconds
    now = utcnow()
    checked = newest_refresh_by_source(db)
    # Overdue: a loaded list the service has not checked for too long. A list never loaded is counted as not
    # loaded (the "n/m lists loaded" figure), not as stale.
    stale = [
        source
        for source in SOURCES
        if source in current
        and (source not in checked or (now - checked[source]).total_seconds() > stale_after)
    ]
    held = db.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.status == "held")) or 0
    webhooks = db.scalar(select(func.count()).select_from(Webhook)) or 0
    failing = (
        db.scalar(
            select(func.count())
            .select_from(Webhook)
            .where((Webhook.failing_since.is_not(None)) | (Webhook.status == "disabled"))
        )
        or 0
    )
    context = {
        "candidates": candidates,
        "suggested": suggested,
        "sources": SOURCES,
        "fetched": len(current),
        "stale": stale,
        "stale_after": stale_after,
        "held": held,
        "webhooks": webhooks,
        "failing": failing,
        "first_run": candidates == 0 or not current,
    }
    return render(request, "home.html", context, section="home")
