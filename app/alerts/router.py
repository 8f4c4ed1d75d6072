from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response, status
from sqlalchemy.orm import Session

from app.alerts import coverage, schemas, service
from app.alerts.models import Delivery
from app.auth.deps import AdminActor, ReadActor, SessionDep
from app.pipeline import send_deliveries_soon
from app.targets import service as targets_service

router = APIRouter(prefix="/v1", tags=["alerts"])


def _webhook(w) -> schemas.WebhookOut:  # type: ignore[no-untyped-def]
    return schemas.WebhookOut.model_validate(service.webhook_json(w))


def _deliveries(session: Session, deliveries: list[Delivery]) -> list[schemas.DeliveryOut]:
    attempts = service.delivery_attempts(session, [d.id for d in deliveries])
    return [
        schemas.DeliveryOut(
            id=d.id,
            webhook_id=d.webhook_id,
            event_id=d.event_id,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
            attempt_log=[schemas.AttemptOut.model_validate(a) for a in attempts.get(d.id, [])],
        )
        for d in deliveries
    ]


@router.get(
    "/events",
    response_model=list[schemas.EventOut],
    summary="Status events, oldest first; poll with since=<last event id>",
)
def list_events(
    session: SessionDep,
    _: ReadActor,
    since: Annotated[str | None, Query(max_length=64)] = None,
    type: schemas.EventType | None = None,
    target: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[schemas.EventOut]:
    events = service.list_events(session, since=since, type=type, target_id=target, limit=limit)
    return [schemas.EventOut.model_validate(e, from_attributes=True) for e in events]


@router.post(
    "/webhooks",
    response_model=schemas.WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe an HTTPS endpoint to events (the signing secret is shown once)",
)
def create_webhook(
    body: schemas.WebhookCreate, session: SessionDep, actor: AdminActor
) -> schemas.WebhookCreated:
    webhook = service.create_webhook(
        session,
        url=body.url,
        event_types=list(body.event_types),
        filters=body.filters.model_dump(),
        description=body.description,
        actor=actor,
    )
    return schemas.WebhookCreated(**_webhook(webhook).model_dump(), secret=webhook.secret)


@router.get("/webhooks", response_model=list[schemas.WebhookOut], summary="List webhooks")
def list_webhooks(session: SessionDep, _: AdminActor) -> list[schemas.WebhookOut]:
    return [_webhook(w) for w in service.list_webhooks(session)]


@router.get("/webhooks/{webhook_id}", response_model=schemas.WebhookOut, summary="Read a webhook")
def get_webhook(webhook_id: int, session: SessionDep, _: AdminActor) -> schemas.WebhookOut:
    return _webhook(service.get_webhook(session, webhook_id))


@router.patch(
    "/webhooks/{webhook_id}",
    response_model=schemas.WebhookOut,
    summary="Update a webhook; status 'paused' pauses it, 'active' resumes or re-enables it",
)
def update_webhook(
    webhook_id: int, body: schemas.WebhookUpdate, session: SessionDep, actor: AdminActor
) -> schemas.WebhookOut:
    changes = body.model_dump(exclude_unset=True)
    if body.filters is not None:
        changes["filters"] = body.filters.model_dump()
    return _webhook(service.update_webhook(session, webhook_id, changes, actor))


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a webhook")
def delete_webhook(webhook_id: int, session: SessionDep, actor: AdminActor) -> Response:
    service.delete_webhook(session, webhook_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=schemas.WebhookCreated,
    summary="Rotate the signing secret; the old one keeps signing during the overlap window",
)
def rotate_secret(webhook_id: int, session: SessionDep, actor: AdminActor) -> schemas.WebhookCreated:
    webhook, secret = service.rotate_secret(session, webhook_id, actor)
    return schemas.WebhookCreated(**_webhook(webhook).model_dump(), secret=secret)


@router.post(
    "/webhooks/{webhook_id}/test",
    response_model=schemas.DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a webhook.test event to this endpoint",
)
def test_webhook(
    webhook_id: int, session: SessionDep, actor: AdminActor, background: BackgroundTasks
) -> schemas.DeliveryOut:
    delivery = service.send_test_event(session, webhook_id, actor)
    background.add_task(send_deliveries_soon)  # after the commit, so that the worker finds the delivery
    return _deliveries(session, [delivery])[0]


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=list[schemas.DeliveryOut],
    summary="A webhook's deliveries, newest first, with every attempt",
)
def list_deliveries(
    webhook_id: int,
    session: SessionDep,
    _: AdminActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[schemas.DeliveryOut]:
    return _deliveries(session, service.list_deliveries(session, webhook_id, limit, offset))


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=schemas.DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a delivery again now",
)
def retry_delivery(
    delivery_id: int, session: SessionDep, actor: AdminActor, background: BackgroundTasks
) -> schemas.DeliveryOut:
    delivery = service.retry_delivery(session, delivery_id, actor)
    background.add_task(send_deliveries_soon)
    return _deliveries(session, [delivery])[0]


def _theme_coverage_out(row: coverage.ThemeCoverage) -> schemas.ThemeCoverageOut:
    return schemas.ThemeCoverageOut(
        target_id=row.target_id,
        name=row.name,
        kind=row.kind,
        proposed_programs=row.proposed_programs,
        themes=list(row.themes),
        authorities=[
            schemas.AuthorityThemeStandingOut(
                authority=a.authority,
                standing=a.standing,
                label=a.label,
                is_gap=a.is_gap,
                regimes=[schemas.RegimeOut(**{**vars(r), "themes": list(r.themes)}) for r in a.regimes],
                listed_under=a.listed_under,
                other_programs=a.other_programs,
                listed_on=a.listed_on,
                delisted_on=a.delisted_on,
            )
            for a in row.authorities
        ],
        listed_by=row.listed_by,
        not_yet_by=row.not_yet_by,
        no_list_for=row.no_list_for,
        without_regime=row.without_regime,
        summary=row.summary,
    )


@router.get(
    "/coverage",
    response_model=schemas.ThemeCoveragePage,
    summary="Which authorities list each candidate under a regime of some theme (default: the Magnitsky themes)",
    description="`theme=human_rights,corruption` (the default; `magnitsky` says the same) answers, per candidate, "
    "which authorities have listed them under their human-rights or anti-corruption law and which have not yet. "
    "Themes: human_rights, corruption, terrorism, country, other.",
)
def theme_coverage(
    session: SessionDep,
    _: ReadActor,
    theme: Annotated[str, Query(max_length=200)] = "",
    program: Annotated[
        str | None, Query(max_length=100, description="Only candidates proposed for it")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.ThemeCoveragePage:
    themes = coverage.parse_themes(theme)
    targets, total = targets_service.list_targets(session, program=program, limit=limit, offset=offset)
    rows = coverage.theme_coverage(session, targets, themes)
    return schemas.ThemeCoveragePage(
        themes=list(themes),
        items=[_theme_coverage_out(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/targets/{target_id}/magnitsky",
    response_model=schemas.ThemeCoverageOut,
    summary="Which governments have used their human-rights or anti-corruption (Magnitsky) law on a candidate",
)
def target_magnitsky(target_id: int, session: SessionDep, _: ReadActor) -> schemas.ThemeCoverageOut:
    target = targets_service.get_target(session, target_id)
    return _theme_coverage_out(coverage.theme_coverage(session, [target])[0])
