"""Webhooks: their health, the delivery log with every attempt, and the operator's Retry and Test buttons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response
from sqlalchemy import func, select

from app.auth.deps import SessionDep
from app.console import security
from app.console.web import AdminDep, ConsoleRoute, ReaderDep, lazy_service, query_string, redirect, render
from app.errors import NotFound

router = APIRouter(route_class=ConsoleRoute)
DELIVERIES_PAGE = 50
DELIVERY_STATUSES = ("pending", "succeeded", "failed", "cancelled")


@router.get("/alerts", summary="Webhooks and the delivery log")
def alerts(
    request: Request, db: SessionDep, viewer: ReaderDep, webhook: str = "", status: str = "", page: str = "1"
) -> Response:
    from app.alerts.models import Delivery, DeliveryAttempt, Event, Webhook

    webhooks = list(db.scalars(select(Webhook).order_by(Webhook.id)))
    latest: dict[int, Any] = {}
    counts: dict[int, dict[str, int]] = {}
    if webhooks:
        newest = (
            select(Delivery.webhook_id, func.max(Delivery.id).label("id"))
            .group_by(Delivery.webhook_id)
            .subquery()
        )
        for delivery in db.scalars(select(Delivery).join(newest, newest.c.id == Delivery.id)):
            latest[delivery.webhook_id] = delivery
        for webhook_id, delivery_status, count in db.execute(
            select(Delivery.webhook_id, Delivery.status, func.count()).group_by(
                Delivery.webhook_id, Delivery.status
            )
        ):
            counts.setdefault(webhook_id, {})[delivery_status] = count

    webhook_id = int(webhook) if webhook.isdigit() else None
    status = status if status in DELIVERY_STATUSES else ""
    page_number = max(1, int(page)) if page.isdigit() else 1
    query = (
        select(Delivery, Event, Webhook)
        .join(Event, Event.id == Delivery.event_id)
        .join(Webhook, Webhook.id == Delivery.webhook_id)
    )
    if webhook_id is not None:
        query = query.where(Delivery.webhook_id == webhook_id)
    if status:
        query = query.where(Delivery.status == status)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(
        query.order_by(Delivery.id.desc()).limit(DELIVERIES_PAGE).offset((page_number - 1) * DELIVERIES_PAGE)
    ).all()
    attempts: dict[int, list[Any]] = {}
    if rows:
        for attempt in db.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_([d.id for d, _, _ in rows]))
            .order_by(DeliveryAttempt.at.desc())
        ):
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return render(
        request,
        "alerts.html",
        {
            "webhooks": webhooks,
            "latest": latest,
            "counts": counts,
            "rows": rows,
            "attempts": attempts,
            "total": total,
            "page": page_number,
            "pages": max(1, -(-total // DELIVERIES_PAGE)),
            "filters": {"webhook": str(webhook_id) if webhook_id else "", "status": status},
            "statuses": DELIVERY_STATUSES,
            "query_string": query_string,
        },
        section="alerts",
    )


@router.post("/alerts/deliveries/{delivery_id:int}/retry", summary="Retry a delivery now (admin)")
def retry(
    request: Request, delivery_id: int, db: SessionDep, viewer: AdminDep, background: BackgroundTasks
) -> Response:
    from app.alerts.models import Delivery

    if db.get(Delivery, delivery_id) is None:
        raise NotFound(f"no delivery {delivery_id}")
    lazy_service("app.alerts.service", "retry_delivery")(db, delivery_id, viewer.actor)
    background.add_task(lazy_service("app.pipeline", "send_deliveries_soon"))
    security.flash(request, "success", f"Delivery {delivery_id} is queued to be sent again.")
    return redirect(f"/console/alerts#delivery-{delivery_id}", request)


@router.post("/alerts/webhooks/{webhook_id:int}/test", summary="Send a test event to a webhook (admin)")
def send_test(
    request: Request, webhook_id: int, db: SessionDep, viewer: AdminDep, background: BackgroundTasks
) -> Response:
    from app.alerts.models import Webhook

    webhook = db.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"no webhook {webhook_id}")
    lazy_service("app.alerts.service", "send_test_event")(db, webhook_id, viewer.actor)
    background.add_task(lazy_service("app.pipeline", "send_deliveries_soon"))
    security.flash(request, "success", f"A test event is on its way to {webhook.url}.")
    return redirect(f"/console/alerts{query_string({'webhook': webhook_id})}", request)
