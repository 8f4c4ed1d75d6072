"""The review queue: suggested matches, best score first, confirmed or rejected one at a time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.deps import SessionDep
from app.console import security
from app.console.explain import Explanation, entry_view, explain
from app.console.web import (
    ConsoleRoute,
    FormDep,
    ReaderDep,
    WriterDep,
    is_htmx,
    lazy_service,
    percent,
    redirect,
    render,
)
from app.errors import InvalidInput, NotFound
from app.targets.router import present

router = APIRouter(route_class=ConsoleRoute)
PAGE_SIZE = 20


def _cards(db: Session, rows: list[Any]) -> list[dict[str, Any]]:
    targets = {t.id: t for t in present(db, [target for _, target, _ in rows])}
    cards = []
    for link, target, entry in rows:
        explanation = explain(link.explanation)
        cards.append(
            {
                "link": link,
                "target": targets[target.id],
                "entry": entry,
                "explanation": explanation,
                "view": entry_view(entry.name, entry.programs, entry.listed_on, entry.data),
                "defaults": {d: default_reason(explanation, d) for d in ("confirm", "reject")},
            }
        )
    return cards


def _query() -> Any:
    from app.lists.models import ListEntry
    from app.matching.models import Link
    from app.targets.models import Target

    return (
        select(Link, Target, ListEntry)
        .join(Target, Target.id == Link.target_id)
        .join(ListEntry, ListEntry.id == Link.entry_id)
        .where(Target.deleted_at.is_(None))
    )


def waiting(db: Session) -> int:
    """Suggested matches of live candidates: the queue's length."""
    from app.matching.models import Link

    return (
        db.scalar(select(func.count()).select_from(_query().where(Link.state == "suggested").subquery())) or 0
    )


@router.get("/review", summary="Review queue of suggested matches")
def review(request: Request, db: SessionDep, viewer: ReaderDep, page: str = "1") -> Response:
    from app.matching.models import Link

    page_number = max(1, int(page)) if page.isdigit() else 1
    query = _query().where(Link.state == "suggested")
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(
        query.order_by(Link.score.desc(), Link.id).limit(PAGE_SIZE).offset((page_number - 1) * PAGE_SIZE)
    ).all()
    return render(
        request,
        "review.html",
        {
            "cards": _cards(db, rows),
            "total": total,
            "page": page_number,
            "pages": max(1, -(-total // PAGE_SIZE)),
        },
        section="review",
    )


def _card(db: Session, link_id: int) -> dict[str, Any]:
    from app.matching.models import Link

    row = db.execute(_query().where(Link.id == link_id)).first()
    if row is None:
        raise NotFound(f"no match {link_id} to review")
    return _cards(db, [row])[0]


def default_reason(explanation: Explanation, decision: str) -> str | None:
    """What an empty reason records: the evidence the reviewer saw and accepted, so one click is enough.

    Confirming rests on what corroborates the match; rejecting on what contradicts it. With nothing to point to,
    there is no default and the reviewer must write the reason.
    """
    if decision == "confirm":
        parts = []
        if explanation.query_name and explanation.name_similarity is not None:
            parts.append(
                f"names {percent(explanation.name_similarity)} alike "
                f"({explanation.query_name} / {explanation.entry_name})"
            )
        parts += explanation.corroborations
        return "Confirmed on review: " + "; ".join(parts) if parts else None
    if explanation.contradictions:
        return "Rejected on review: " + "; ".join(explanation.contradictions)
    return None


def _decide(request: Request, db: Session, viewer: Any, link_id: int, decision: str, reason: str) -> Response:
    card = _card(db, link_id)
    reason = reason or default_reason(card["explanation"], decision) or ""
    if not reason:
        message = (
            "Say why this is not the same person or entity: the reason is kept with the decision."
            if decision == "reject"
            else "Say why this is the same: the reason is kept with the decision."
        )
        if is_htmx(request):
            return render(
                request,
                "_review_card.html",
                {"card": card, "error": message, "reason": reason},
                status_code=422,
            )
        security.flash(request, "error", message)
        return redirect(f"/console/review#card-{link_id}", request)
    action = lazy_service("app.matching.service", f"{decision}_link")
    action(db, link_id, reason, viewer.actor)
    db.flush()
    db.refresh(card["link"])
    verb = "Confirmed" if decision == "confirm" else "Rejected"
    message = f"{verb}: {card['target'].name} ↔ {card['entry'].name} ({card['entry'].source} {card['entry'].list_id})."
    if is_htmx(request):
        # The decided card, and out of band the queue's count (and, after the last one, that nothing is left).
        return render(
            request, "_review_done.html", {"card": card, "message": message, "remaining": waiting(db)}
        )
    security.flash(request, "success", message)
    return redirect("/console/review", request)


@router.post("/review/{link_id:int}/confirm", summary="Confirm a suggested match")
def confirm(request: Request, link_id: int, db: SessionDep, viewer: WriterDep, form: FormDep) -> Response:
    return _decide(request, db, viewer, link_id, "confirm", str(form.get("reason", "")).strip()[:2000])


@router.post("/review/{link_id:int}/reject", summary="Reject a suggested match")
def reject(request: Request, link_id: int, db: SessionDep, viewer: WriterDep, form: FormDep) -> Response:
    return _decide(request, db, viewer, link_id, "reject", str(form.get("reason", "")).strip()[:2000])


@router.post(
    "/review/{link_id:int}/undo", summary="Undo a review decision: the match waits in the queue again"
)
def undo(request: Request, link_id: int, db: SessionDep, viewer: WriterDep, form: FormDep) -> Response:
    reason = str(form.get("reason", "")).strip()[:2000]
    if not reason:
        raise InvalidInput("say why the decision is undone: the reason is kept with the record")
    undo_review = lazy_service("app.matching.service", "undo_review")
    link = undo_review(db, link_id, reason, viewer.actor)
    db.flush()
    if is_htmx(request):
        # Undone from the queue itself: the card comes back, to be decided again.
        return render(
            request,
            "_review_card.html",
            {"card": _card(db, link_id), "remaining": waiting(db), "undone": True},
        )
    security.flash(request, "success", f"Decision undone: match {link_id} waits in the review queue again.")
    return redirect(f"/console/candidates/{link.target_id}#link-{link_id}", request)
