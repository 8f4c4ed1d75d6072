"""The demo's own webhook receiver: it keeps what its webhooks signed and refuses anything else."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from standardwebhooks import Webhook as Signer

from app.alerts.models import Webhook
from app.alerts.webhooks import new_secret
from app.config import get_settings

PATH = "/demo/webhook-receiver"


@pytest.fixture
def receiver_app(committed_db: Engine, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from app import demo_receiver
    from app.main import create_app

    monkeypatch.setenv("SANCTRACK_DEMO_RECEIVER", "true")
    get_settings.cache_clear()
    demo_receiver._received.clear()
    try:
        yield create_app()
    finally:
        monkeypatch.delenv("SANCTRACK_DEMO_RECEIVER")
        get_settings.cache_clear()
        demo_receiver._received.clear()


def signed(secret: str, body: str, msg_id: str = "msg_1") -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Signer(secret).sign(msg_id, now, body),
        "content-type": "application/json",
    }


def test_the_receiver_keeps_signed_deliveries_and_refuses_others(committed_db: Engine, receiver_app) -> None:
    secret = new_secret()
    with Session(committed_db) as session:
        session.add(Webhook(url=f"http://127.0.0.1:8000{PATH}", secret=secret))
        session.commit()
    body = json.dumps({"type": "target.designated", "data": {"target": {"name": "Faleh al-Fayyad"}}})
    with TestClient(receiver_app) as client:
        assert client.post(PATH, content=body, headers=signed(secret, body)).status_code == 204
        # signed with another secret, or altered after signing: refused and not kept
        assert client.post(PATH, content=body, headers=signed(new_secret(), body, "msg_2")).status_code == 401
        tampered = body.replace("Faleh", "Falih")
        assert client.post(PATH, content=tampered, headers=signed(secret, body, "msg_3")).status_code == 401
        kept = client.get(PATH).json()
    assert [(d["webhook-id"], d["verified"], d["data"]["target"]["name"]) for d in kept] == [
        ("msg_1", True, "Faleh al-Fayyad")
    ]


def test_the_receiver_is_absent_unless_the_demo_turns_it_on(client) -> None:
    assert client.post(PATH, content="{}").status_code == 404
