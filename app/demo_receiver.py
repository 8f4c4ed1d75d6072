"""A webhook receiver inside the demo service, so that a newcomer sees an alert arrive, signed, with no server of
their own. Mounted only when ``SANCTRACK_DEMO_RECEIVER`` is on (``sanctrack demo`` turns it on for itself).

It checks each delivery's Standard Webhooks signature with the secrets of the webhooks registered for its path,
answers 204, and keeps the last deliveries in memory for ``GET`` to show.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from standardwebhooks import Webhook as Verifier
from standardwebhooks import WebhookVerificationError
from starlette.concurrency import run_in_threadpool

from app.alerts.models import Webhook
from app.alerts.service import signing_secrets
from app.db import session_scope

PATH = "/demo/webhook-receiver"
KEPT = 100

router = APIRouter(tags=["demo"])
_received: deque[dict[str, Any]] = deque(maxlen=KEPT)


@router.post(PATH, status_code=204, summary="The demo's own webhook receiver: verifies and keeps deliveries")
async def receive(request: Request) -> Response:
    body = await request.body()
    headers = {k: v for k, v in request.headers.items() if k.startswith("webhook-")}
    # The database driver blocks: read the secrets on a worker thread, not on the event loop.
    secrets = await run_in_threadpool(_receiver_secrets)
    verified = False
    for secret in secrets:
        try:
            Verifier(secret).verify(body, headers)
            verified = True
            break
        except WebhookVerificationError:
            continue
    if not verified:
        return Response(status_code=401)
    payload = json.loads(body)
    _received.appendleft({"webhook-id": headers.get("webhook-id"), "verified": True, **payload})
    return Response(status_code=204)


def _receiver_secrets() -> list[str]:
    """The secrets the webhooks that deliver to this receiver sign with (a rotated-out one until it expires)."""
    with session_scope() as session:
        webhooks = session.scalars(select(Webhook).where(Webhook.url.endswith(PATH)))
        return [secret for w in webhooks for secret in signing_secrets(w)]


@router.get(PATH, summary="The deliveries the demo receiver got, newest first")
def received() -> list[dict[str, Any]]:
    return list(_received)
