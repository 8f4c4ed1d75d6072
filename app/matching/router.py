from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.deps import ReadActor, SessionDep, WriteActor
from app.config import get_settings
from app.lists.models import ListEntry
from app.matching import live, schemas, search, service
from app.matching.models import Link
from app.matching.query import MatchQuery
from app.targets.service import get_target

router = APIRouter(prefix="/v1", tags=["matching"])


def to_query(q: schemas.MatchQueryIn) -> MatchQuery:
    return MatchQuery(
        kind=q.kind,
        names=[q.name, *q.aliases],
        birth_dates=q.birth_dates,
        nationalities=q.nationalities,
        identifiers=[(i.type, i.value) for i in q.identifiers],
    )


@router.post(
    "/match",
    response_model=schemas.MatchResponse,
    summary="Match up to 100 queries against every current list entry, with explanations",
)
def match(
    body: schemas.MatchRequest,
    session: SessionDep,
    _: ReadActor,
    threshold: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> schemas.MatchResponse:
    threshold = get_settings().match_threshold if threshold is None else threshold
    loaded = live.ready_index()  # every query of the request answers from the same index
    responses = {}
    for key, query in body.queries.items():
        hits = search.match(to_query(query), threshold=threshold, limit=limit, loaded=loaded)
        results = [schemas.MatchResultOut.model_validate(h, from_attributes=True) for h in hits]
        responses[key] = schemas.MatchResponseItem(results=results, total=len(results))
    return schemas.MatchResponse(
        responses=responses, threshold=threshold, limit=limit, snapshots=loaded.snapshots
    )


def links_out(session: Session, links: list[Link]) -> list[schemas.LinkOut]:
    entries = (
        {
            e.id: e
            for e in session.scalars(
                select(ListEntry).where(ListEntry.id.in_([link.entry_id for link in links]))
            )
        }
        if links
        else {}
    )
    return [
        schemas.LinkOut(
            id=link.id,
            target_id=link.target_id,
            source=link.source,
            list_id=link.list_id,
            entry_name=entries[link.entry_id].name,
            entry_listed=entries[link.entry_id].is_listed,
            score=link.score,
            state=link.state,
            explanation=link.explanation,
            reviewed_by=link.reviewed_by,
            reviewed_at=link.reviewed_at,
            review_reason=link.review_reason,
            created_at=link.created_at,
        )
        for link in links
    ]


@router.get(
    "/targets/{target_id}/links",
    response_model=list[schemas.LinkOut],
    summary="A candidate's links to listed entries, best score first",
)
def target_links(target_id: int, session: SessionDep, _: ReadActor) -> list[schemas.LinkOut]:
    get_target(session, target_id)
    return links_out(session, service.list_links(session, target_id))


@router.get(
    "/links", response_model=list[schemas.LinkOut], summary="The review queue: suggested links, best first"
)
def review_queue(
    session: SessionDep,
    _: ReadActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[schemas.LinkOut]:
    return links_out(session, service.review_queue(session, limit, offset))


@router.post(
    "/links/{link_id}/confirm",
    response_model=schemas.LinkOut,
    summary="Confirm a link: the candidate is this listed entry",
)
def confirm(link_id: int, body: schemas.Review, session: SessionDep, actor: WriteActor) -> schemas.LinkOut:
    return links_out(session, [service.confirm_link(session, link_id, body.reason, actor)])[0]


@router.post(
    "/links/{link_id}/reject",
    response_model=schemas.LinkOut,
    summary="Reject a link: not the same (not suggested again unless the entry changes)",
)
def reject(link_id: int, body: schemas.Review, session: SessionDep, actor: WriteActor) -> schemas.LinkOut:
    return links_out(session, [service.reject_link(session, link_id, body.reason, actor)])[0]


@router.post(
    "/screenings",
    response_model=schemas.ScreeningOut,
    summary="Screen candidates against every current list entry now",
)
def screen(
    session: SessionDep, _: WriteActor, body: schemas.ScreeningRequest | None = None
) -> schemas.ScreeningOut:
    result = service.screen(session, target_ids=body.target_ids if body else None)
    return schemas.ScreeningOut.model_validate(result.to_json())
