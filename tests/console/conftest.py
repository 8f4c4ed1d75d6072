"""Console fixtures: signed-in browsers (TestClient with the session cookie) and realistic data.

The candidates and evidence come from the Washington Institute brief of 2 January 2020 (shared/seed/article.md);
list entries, links, events and deliveries are inserted as rows, the way the pipeline would leave them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.context import Actor
from app.targets import service
from app.targets.schemas import EvidenceCreate, TargetCreate

ARTICLE_URL = (
    "https://www.washingtoninstitute.org/policy-analysis/us-iraq-relations-crossroads-policy-options"
)
ARTICLE_TITLE = "U.S.-Iraq Relations at a Crossroads: Policy Options"
FAYYAD_QUOTE = (
    "The best way to open that campaign is by sanctioning Faleh al-Fayyad, the longtime national "
    "security advisor responsible for abetting a range of attacks on Iraqi protestors and U.S. sites."
)
KH_QUOTE = (
    "The United States should also push European allies such as Britain—whose troops were killed by "
    "Kataib Hezbollah prior to 2011—to designate that group as a terrorist entity."
)
ARTICLE_SHA256 = hashlib.sha256(b"us-iraq-relations-crossroads-policy-options 2020-01-02").hexdigest()
ANALYST = Actor(name="seed-analyst", api_key_id=None, scope="admin")

_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(client: Any, path: str = "/console") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = _CSRF.search(page.text)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: Any, raw_key: str) -> str:
    """Sign in through the form as a person would; returns the signed-in page's CSRF token."""
    token = csrf_token(client, "/console/login")
    response = client.post(
        "/console/login",
        data={"api_key": raw_key, "csrf_token": token, "next": "/console"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_token(client)


@pytest.fixture
def signed_in(client, keys):  # type: ignore[no-untyped-def]
    """sign in as ``scope`` (read, write or admin) and get the CSRF token to post with."""

    def _sign_in(scope: str) -> str:
        client.cookies.clear()
        return sign_in(client, keys.raw[scope])

    return _sign_in


@dataclass
class Seed:
    fayyad: Any
    kataib: Any
    husseini: Any
    taqi: Any
    evidence: Any
    snapshot: Any
    held: Any
    fayyad_entry: Any
    kataib_entry: Any
    suggested: Any
    confirmed: Any
    webhook: Any
    delivery: Any


def add_target(db: Session, **fields: Any) -> Any:
    return service.create_target(db, TargetCreate(**fields), ANALYST)


def seed_data(db: Session) -> Seed:
    from app.alerts.events import new_event_id
    from app.alerts.models import Delivery, DeliveryAttempt, Event, TargetAuthorityStatus, Webhook
    from app.lists.models import Change, ListEntry, RawBlob, Run, Snapshot
    from app.matching.models import Link

    fayyad = add_target(
        db,
        kind="person",
        name="Faleh al-Fayyad",
        aliases=["Falih al-Fayyadh", "فالح الفياض"],
        programs=["GLOMAG"],
        nationalities=["IQ"],
        birth_dates=["1956"],
        tags=["iraq", "pmf"],
        rationale="Longtime national security adviser accused of abetting attacks on Iraqi protesters and U.S. sites.",
    )
    kataib = add_target(
        db,
        kind="organization",
        name="Kataib Hezbollah",
        aliases=["Kata'ib Hizballah", "كتائب حزب الله"],
        programs=["SDGT", "FTO"],
        tags=["iraq", "militia"],
        rationale="Iran-backed militia that attacked the U.S. embassy in Baghdad; the UK has not designated it.",
    )
    husseini = add_target(
        db,
        kind="person",
        name="Abu Muntadher al-Husseini",
        aliases=["Tahseen Abid Murat al-Abboudi"],
        nationalities=["IQ"],
        tags=["iraq", "badr"],
        rationale="Militia officer handed the International Zone's security days before the embassy attack.",
    )
    taqi = add_target(
        db,
        kind="person",
        name="Ali Taqi",
        nationalities=["IQ"],
        tags=["iraq", "airport"],
        rationale="Badr intelligence officer directing Baghdad International Airport.",
    )
    evidence = service.add_evidence(
        db,
        fayyad.id,
        EvidenceCreate(
            source_type="ngo_report",
            title=ARTICLE_TITLE,
            publisher="The Washington Institute",
            author="Michael Knights",
            url=ARTICLE_URL,
            published_on=dt.date(2020, 1, 2),
            accessed_on=dt.date(2024, 3, 1),
            excerpt=FAYYAD_QUOTE,
            allegation="human_rights_abuse",
            credibility="B",
            content_sha256=ARTICLE_SHA256,
        ),
        ANALYST,
    )
    service.add_evidence(
        db,
        kataib.id,
        EvidenceCreate(
            source_type="ngo_report",
            title=ARTICLE_TITLE,
            publisher="The Washington Institute",
            author="Michael Knights",
            url=ARTICLE_URL,
            published_on=dt.date(2020, 1, 2),
            excerpt=KH_QUOTE,
            allegation="attack_on_diplomatic_facility",
            credibility="B",
        ),
        ANALYST,
    )

    now = dt.datetime.now(dt.UTC)
    db.add_all(
        [
            RawBlob(sha256="a" * 64, size=1000),
            RawBlob(sha256="b" * 64, size=1200),
            RawBlob(sha256="c" * 64, size=300),
        ]
    )
    db.flush()
    first = Snapshot(
        source="ofac_sdn",
        status="superseded",
        format="csv",
        origin="sdn.csv",
        published_on=dt.date(2024, 2, 1),
        fetched_at=now - dt.timedelta(days=30),
        applied_at=now - dt.timedelta(days=30),
        sha256="a" * 64,
        entry_count=2,
        added=2,
    )
    db.add(first)
    db.flush()
    snapshot = Snapshot(
        source="ofac_sdn",
        status="current",
        format="csv",
        origin="sdn.csv",
        published_on=dt.date(2024, 3, 1),
        fetched_at=now - dt.timedelta(hours=3),
        applied_at=now - dt.timedelta(hours=3),
        sha256="b" * 64,
        entry_count=2,
        amended=1,
        previous_id=first.id,
    )
    held = Snapshot(
        source="uk",
        status="held",
        format="xml",
        origin="UK-Sanctions-List.xml",
        published_on=dt.date(2024, 3, 2),
        sha256="c" * 64,
        entry_count=12,
        reject_reason="would remove 3,120 of 3,400 entries (92%), more than the 5% allowed at once",
    )
    db.add_all([snapshot, held])
    db.flush()
    kataib_entry = ListEntry(
        source="ofac_sdn",
        list_id="9938",
        kind="organization",
        name="KATA'IB HIZBALLAH",
        programs=["SDGT", "FTO"],
        listed_on=dt.date(2009, 7, 2),
        fingerprint="f" * 64,
        first_snapshot_id=first.id,
        last_changed_snapshot_id=snapshot.id,
        data={
            "names": [
                {"full": "KATA'IB HIZBALLAH", "quality": "strong"},
                {"full": "KATAIB HEZBOLLAH", "quality": "strong"},
            ],
            "nationalities": [],
            "birth_dates": [],
            "programs": ["SDGT", "FTO"],
            "listed_on": "2009-07-02",
        },
    )
    fayyad_entry = ListEntry(
        source="ofac_sdn",
        list_id="31563",
        kind="person",
        name="AL-FAYYADH, Falih",
        programs=["GLOMAG"],
        listed_on=dt.date(2021, 1, 8),
        fingerprint="e" * 64,
        first_snapshot_id=first.id,
        last_changed_snapshot_id=first.id,
        data={
            "names": [
                {"full": "AL-FAYYADH, Falih", "quality": "strong"},
                {"full": "AL-FAYYADH, Faleh", "quality": "strong"},
            ],
            "birth_dates": ["1956"],
            "birth_places": ["Baghdad, Iraq"],
            "nationalities": ["IQ"],
            "programs": ["GLOMAG"],
            "listed_on": "2021-01-08",
        },
    )
    db.add_all([kataib_entry, fayyad_entry])
    db.flush()
    db.add(
        Change(
            snapshot_id=snapshot.id,
            source="ofac_sdn",
            entry_id=kataib_entry.id,
            list_id="9938",
            name="KATA'IB HIZBALLAH",
            kind="amended",
            diff={
                "names": {"added": [{"full": "KATAIB HEZBOLLAH", "quality": "strong"}], "removed": []},
                "remarks": {"old": None, "new": "Linked To: ISLAMIC REVOLUTIONARY GUARD CORPS"},
            },
        )
    )
    db.add(
        Run(
            id="run_2024030101",
            kind="refresh",
            source="ofac_sdn",
            status="succeeded",
            trigger="schedule",
            started_at=now - dt.timedelta(hours=3),
            finished_at=now - dt.timedelta(hours=3),
            snapshot_id=snapshot.id,
        )
    )
    db.add(
        Run(
            id="run_2024030202",
            kind="refresh",
            source="uk",
            status="rejected",
            trigger="schedule",
            error="held: would remove 92% of the entries",
        )
    )
    suggested = Link(
        target_id=fayyad.id,
        entry_id=fayyad_entry.id,
        source="ofac_sdn",
        list_id="31563",
        score=0.93,
        state="suggested",
        entry_fingerprint="e" * 64,
        explanation={
            "names": {
                "query": "Faleh al-Fayyad",
                "entry": "AL-FAYYADH, Falih",
                "similarity": 0.94,
                "tokens": [["faleh", "falih", 0.9], ["fayyad", "fayyadh", 0.95]],
            },
            # What each feature added to the score, as the scorer stores it.
            "features": {
                "name": 0.94,
                "birth_date": 0.04,
                "nationality": 0.03,
                "kind": 0.0,
                "identifier": 0.0,
            },
            "corroborations": ["born 1956, listed 1956 (same year)", "nationality IQ on both"],
            "contradictions": [],
        },
    )
    confirmed = Link(
        target_id=kataib.id,
        entry_id=kataib_entry.id,
        source="ofac_sdn",
        list_id="9938",
        score=0.99,
        state="confirmed",
        entry_fingerprint="f" * 64,
        reviewed_by="key:1:analyst",
        reviewed_at=now,
        review_reason="Same organization: the FTO and SDGT designation of 2009",
        explanation={
            "names": {
                "query": "Kataib Hezbollah",
                "entry": "KATAIB HEZBOLLAH",
                "similarity": 1.0,
                "tokens": [["kataib", "kataib", 1.0], ["hezbollah", "hezbollah", 1.0]],
            },
            "features": {"name": 1.0, "birth_date": 0.0, "nationality": 0.0, "kind": 0.0, "identifier": 0.0},
            "corroborations": [],
            "contradictions": [],
        },
    )
    db.add_all([suggested, confirmed])
    db.add(
        TargetAuthorityStatus(
            target_id=kataib.id,
            authority="OFAC",
            status="listed",
            programs=["SDGT", "FTO"],
            entry_ids=[{"source": "ofac_sdn", "list_id": "9938"}],
            listed_on=dt.date(2009, 7, 2),
        )
    )
    event = Event(
        id=new_event_id(),
        type="target.designated",
        target_id=kataib.id,
        authority="OFAC",
        source="ofac_sdn",
        snapshot_id=snapshot.id,
        dedupe_key=f"designated:{kataib.id}:OFAC",
        data={"list_id": "9938", "programs": ["SDGT", "FTO"]},
        occurred_at=now - dt.timedelta(hours=3),
    )
    webhook = Webhook(
        url="https://hooks.example.org/sanctrack",
        description="Nominations desk",
        secret="whsec_" + "x" * 32,
        status="active",
        failing_since=now - dt.timedelta(hours=2),
    )
    db.add_all([event, webhook])
    db.flush()
    delivery = Delivery(
        webhook_id=webhook.id,
        event_id=event.id,
        status="failed",
        attempts=2,
        last_status_code=503,
        last_error="HTTP 503 Service Unavailable",
    )
    db.add(delivery)
    db.flush()
    db.add_all(
        [
            DeliveryAttempt(
                delivery_id=delivery.id,
                at=now - dt.timedelta(hours=2),
                status_code=503,
                latency_ms=120,
                ok=False,
                error="HTTP 503 Service Unavailable",
            ),
            DeliveryAttempt(
                delivery_id=delivery.id,
                at=now - dt.timedelta(hours=1),
                status_code=503,
                latency_ms=98,
                ok=False,
                error="HTTP 503 Service Unavailable",
            ),
        ]
    )
    db.flush()
    return Seed(
        fayyad=fayyad,
        kataib=kataib,
        husseini=husseini,
        taqi=taqi,
        evidence=evidence,
        snapshot=snapshot,
        held=held,
        fayyad_entry=fayyad_entry,
        kataib_entry=kataib_entry,
        suggested=suggested,
        confirmed=confirmed,
        webhook=webhook,
        delivery=delivery,
    )


@pytest.fixture
def seed(db: Session) -> Seed:
    return seed_data(db)
