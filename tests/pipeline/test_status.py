"""Status per authority and the events it causes (app/alerts/service.py), on a rolled-back database.

Publications are real SDN rows (publications.py) written to a folder and ingested as the pipeline would, then
screened with ``screen_after_ingest``: the same path a refresh takes, without the processes around it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import Delivery, Event, TargetAuthorityStatus
from app.alerts.service import create_webhook, refresh_target_status, update_webhook
from app.context import SYSTEM
from app.lists import service as lists
from app.matching.models import Link
from app.pipeline import accept_held_snapshot, screen_after_ingest
from app.targets.models import Target
from app.targets.schemas import TargetCreate
from app.targets.service import create_target
from tests.pipeline.publications import CANDIDATES, FAYYADH, QAIS_KHAZALI, baseline_numbers, subset

BASE = 40  # entries in the baseline publication: enough for the removal guard to let one removal through


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    # The matching index lives in the process; these tests' entries are rolled back, so it must not outlive them.
    from app.matching import search

    search.reset_index()
    yield
    search.reset_index()


class Lists:
    """Ingests successive publications of the SDN list, each screened as a refresh screens it (unless told not to)."""

    def __init__(self, db: Session, folder: Path) -> None:
        self.db, self.folder, self.count = db, folder, 0

    def publish(
        self,
        numbers: list[str],
        *,
        replace: dict[str, tuple[bytes, bytes]] | None = None,
        screen: bool = True,
    ) -> lists.IngestResult:
        self.count += 1
        folder = self.folder / f"publication-{self.count}"
        folder.mkdir()
        for name, content in subset(numbers, replace=replace).items():
            (folder / name).write_bytes(content)
        result = lists.ingest_path(self.db, "ofac_sdn", folder)
        assert result.status == "stored", result.reason
        if screen:
            screen_after_ingest(self.db, result, "ofac_sdn")
        return result


@pytest.fixture
def publications(db: Session, tmp_path: Path) -> Lists:
    return Lists(db, tmp_path)


def publish_half(db: Session, publications: Lists, base: list[str]) -> lists.IngestResult:
    """A publication that drops half of ``base``: held for an operator to accept."""
    folder = publications.folder / "half"
    folder.mkdir()
    for name, content in subset(base[: BASE // 2]).items():
        (folder / name).write_bytes(content)
    held = lists.ingest_path(db, "ofac_sdn", folder)
    assert held.status == "rejected" and held.acceptable
    return held


def candidate(db: Session, number: str = FAYYADH, **extra: Any) -> Target:
    target = create_target(db, TargetCreate(**{**CANDIDATES[number], **extra}), SYSTEM)
    db.flush()
    return target


def events(db: Session, type: str | None = None) -> list[Event]:
    query = select(Event).order_by(Event.seq)
    if type:
        query = query.where(Event.type == type)
    return list(db.scalars(query))


def ofac_status(db: Session, target_id: int) -> TargetAuthorityStatus | None:
    return db.scalar(
        select(TargetAuthorityStatus).where(
            TargetAuthorityStatus.target_id == target_id, TargetAuthorityStatus.authority == "OFAC"
        )
    )


def overall_status(db: Session, target: Target) -> str:
    db.refresh(target)
    return target.status


# ---- designated, delisted, amended --------------------------------------------------------------------------------


def test_designated_once_however_often_the_status_is_recomputed(db, publications) -> None:
    base = baseline_numbers(BASE)
    publications.publish(base, screen=False)
    target = candidate(db)
    publications.publish([*base, FAYYADH], screen=False)
    entry = lists.get_entry(db, "ofac_sdn", FAYYADH)
    # A reviewer's confirmed link, made by hand: what it means for the status is refresh_target_status's alone.
    db.add(
        Link(
            target_id=target.id,
            entry_id=entry.id,
            source="ofac_sdn",
            list_id=FAYYADH,
            score=1.0,
            state="confirmed",
            explanation={},
            entry_fingerprint=entry.fingerprint,
            target_version=target.version,
        )
    )
    db.flush()

    first = refresh_target_status(db, target.id)
    second = refresh_target_status(db, target.id)
    assert [e.type for e in first] == ["target.designated"] and second == []
    [event] = events(db, "target.designated")
    assert event.id == first[0].id and event.authority == "OFAC" and event.target_id == target.id
    assert event.snapshot_id == entry.last_changed_snapshot_id
    assert event.data["programs"] == ["GLOMAG"] and event.data["target_programs"] == ["GLOMAG"]
    assert [e["list_id"] for e in event.data["entries"]] == [FAYYADH]
    status = ofac_status(db, target.id)
    assert status is not None and status.status == "listed" and status.programs == ["GLOMAG"]
    assert (
        status.entry_ids == [{"source": "ofac_sdn", "list_id": FAYYADH}]
        and status.listed_on == entry.listed_on
    )
    # Only the authority that lists it has a row; the candidate as a whole is designated.
    assert db.scalars(
        select(TargetAuthorityStatus.authority).where(TargetAuthorityStatus.target_id == target.id)
    ).all() == ["OFAC"]
    assert overall_status(db, target) == "designated"


def test_screening_the_same_publication_again_designates_no_second_time(db, publications) -> None:
    base = baseline_numbers(BASE)
    publications.publish(base)
    target = candidate(db)
    designation = publications.publish([*base, FAYYADH])
    assert [e.target_id for e in events(db, "target.designated")] == [target.id]
    screen_after_ingest(db, designation, "ofac_sdn")
    from app.matching.service import screen

    screen(db, target_ids=[target.id])
    assert refresh_target_status(db, target.id) == []
    assert len(events(db, "target.designated")) == 1


def test_delisted_when_the_linked_entry_is_removed(db, publications) -> None:
    base = baseline_numbers(BASE)
    publications.publish(base)
    target = candidate(db)
    publications.publish([*base, FAYYADH])
    assert ofac_status(db, target.id).status == "listed"

    removal = publications.publish(base)
    assert removal.removed == 1
    [event] = events(db, "target.delisted")
    assert (
        event.target_id == target.id
        and event.authority == "OFAC"
        and event.snapshot_id == removal.snapshot_id
    )
    assert event.data["snapshot_ids"] == [removal.snapshot_id] and event.data["programs"] == ["GLOMAG"]
    assert event.data["entries"][0]["is_listed"] is False
    status = ofac_status(db, target.id)
    assert status.status == "delisted" and status.delisted_on is not None
    assert event.data["delisted_on"] == status.delisted_on.isoformat()
    assert overall_status(db, target) == "delisted"
    assert refresh_target_status(db, target.id) == []
    assert len(events(db, "target.delisted")) == 1 and len(events(db, "target.designated")) == 1


def test_designated_again_when_a_delisted_entry_returns(db, publications) -> None:
    base = baseline_numbers(BASE)
    publications.publish(base)
    target = candidate(db)
    publications.publish([*base, FAYYADH])
    publications.publish(base)
    returned = publications.publish([*base, FAYYADH])
    designated = events(db, "target.designated")
    assert len(designated) == 2 and designated[-1].snapshot_id == returned.snapshot_id
    assert ofac_status(db, target.id).status == "listed" and overall_status(db, target) == "designated"


def test_amended_when_a_linked_entry_changes_programs(db, publications) -> None:
    base = baseline_numbers(BASE)
    publications.publish(base)
    target = candidate(db)
    publications.publish([*base, FAYYADH])
    amendment = publications.publish([*base, FAYYADH], replace={FAYYADH: (b'"GLOMAG"', b'"GLOMAG] [IRAQ3"')})
    assert amendment.amended == 1

    [event] = events(db, "target.amended")
    assert event.target_id == target.id and event.snapshot_id == amendment.snapshot_id
    assert "programs" in event.data["fields"] and event.data["programs"] == ["GLOMAG", "IRAQ3"]
    assert event.data["diff"]["programs"] == {"added": ["IRAQ3"], "removed": []}
    assert ofac_status(db, target.id).programs == ["GLOMAG", "IRAQ3"]
    assert refresh_target_status(db, target.id) == []
    assert len(events(db, "target.amended")) == 1 and len(events(db, "target.designated")) == 1


def test_a_change_outside_the_alerted_fields_is_not_an_amendment(db, publications) -> None:
    base = baseline_numbers(BASE)
    publications.publish(base)
    target = candidate(db)
    publications.publish([*base, FAYYADH])
    publications.publish(
        [*base, FAYYADH], replace={FAYYADH: (b"Gender Male", b"Gender Male; Website example.org")}
    )
    assert events(db, "target.amended") == []
    assert ofac_status(db, target.id).status == "listed"


# ---- who hears of it ----------------------------------------------------------------------------------------------


def test_webhook_filters_select_the_webhooks_an_event_goes_to(db, publications) -> None:
    base = baseline_numbers(BASE)
    publications.publish(base)
    target = candidate(db, tags=["iraq", "pmf"])
    wanted = {
        "everything": ([], {}),
        "designations": (["target.designated"], {}),
        "ofac": ([], {"authorities": ["OFAC"]}),
        "glomag": ([], {"programs": ["GLOMAG"]}),
        "iraq desk": ([], {"tags": ["iraq"]}),
        "this candidate": ([], {"target_ids": [target.id]}),
        "all four filters": (
            ["target.designated"],
            {
                "authorities": ["OFAC", "UK"],
                "programs": ["GLOMAG"],
                "tags": ["pmf"],
                "target_ids": [target.id],
            },
        ),
    }
    unwanted = {
        "delistings only": (["target.delisted"], {}),
        "un": ([], {"authorities": ["UN"]}),
        "sdgt": ([], {"programs": ["SDGT"]}),
        "russia desk": ([], {"tags": ["russia"]}),
        "another candidate": ([], {"target_ids": [target.id + 1000]}),
        "ofac but another program": ([], {"authorities": ["OFAC"], "programs": ["CUBA"]}),
        "paused": ([], {}),
    }
    hooks = {
        name: create_webhook(
            db,
            url=f"http://127.0.0.1:9/{number}",
            event_types=types,
            filters=filters,
            description=name,
            actor=SYSTEM,
        )
        for number, (name, (types, filters)) in enumerate({**wanted, **unwanted}.items())
    }
    update_webhook(db, hooks["paused"].id, {"status": "paused"}, SYSTEM)

    publications.publish([*base, FAYYADH])
    [event] = events(db, "target.designated")
    owed = set(db.scalars(select(Delivery.webhook_id).where(Delivery.event_id == event.id)))
    assert {name for name, hook in hooks.items() if hook.id in owed} == set(wanted)


def test_events_without_a_candidate_go_only_to_webhooks_without_candidate_filters(db, publications) -> None:
    base = baseline_numbers(BASE)
    publications.publish(base)
    hooks = {
        name: create_webhook(
            db,
            url=f"http://127.0.0.1:9/{number}",
            event_types=[],
            filters=filters,
            description=name,
            actor=SYSTEM,
        )
        for number, (name, filters) in enumerate(
            {
                "ops": {},
                "ofac": {"authorities": ["OFAC"]},
                "tags": {"tags": ["iraq"]},
                "candidates": {"target_ids": [1]},
            }.items()
        )
    }
    publish_half(db, publications, base)
    [event] = events(db, "list.snapshot_rejected")
    owed = set(db.scalars(select(Delivery.webhook_id).where(Delivery.event_id == event.id)))
    assert {name for name, hook in hooks.items() if hook.id in owed} == {"ops", "ofac"}


# ---- the events API -----------------------------------------------------------------------------------------------


def test_events_api_filters_by_since_type_and_target(db, client, keys, publications) -> None:
    base = baseline_numbers(BASE)
    publications.publish(base)
    fayyadh, khazali = candidate(db), candidate(db, QAIS_KHAZALI)
    publications.publish([*base, FAYYADH, QAIS_KHAZALI])
    publications.publish(base)  # both delisted
    read = keys.headers("read")

    def get(**params: Any) -> list[dict[str, Any]]:
        response = client.get("/v1/events", params=params, headers=read)
        assert response.status_code == 200, response.text
        return list(response.json())

    everything = get()
    assert [e["id"] for e in everything] == [e.id for e in events(db)]  # oldest first
    assert {e["type"] for e in everything} >= {"target.designated", "target.delisted"}
    designated = get(type="target.designated")
    assert sorted(e["target_id"] for e in designated) == sorted([fayyadh.id, khazali.id])
    assert all(e["authority"] == "OFAC" and e["source"] == "ofac_sdn" for e in designated)
    mine = get(target=fayyadh.id)
    assert [e["type"] for e in mine] == ["target.designated", "target.delisted"]
    assert [e["type"] for e in get(target=khazali.id, type="target.delisted")] == ["target.delisted"]

    after_first = get(since=everything[0]["id"])
    assert [e["id"] for e in after_first] == [e["id"] for e in everything[1:]]
    assert get(since=everything[-1]["id"]) == []
    assert [e["id"] for e in get(since=everything[0]["occurred_at"])] == [e["id"] for e in everything]
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert get(since=tomorrow) == []
    assert len(get(limit=1)) == 1

    for bad in ({"since": "evt_unknown"}, {"since": "last tuesday"}, {"type": "target.exploded"}):
        response = client.get("/v1/events", params=bad, headers=read)
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/events").status_code == 401


def test_a_publication_is_applied_by_one_transaction_at_a_time_whichever_process(
    committed_db, tmp_path
) -> None:
    """A refresh in a worker process and an operator's accept in the API process may meet: the one that comes
    second is refused (an accept) or waits (a refresh), on a PostgreSQL advisory lock both take, held until the
    applying transaction ends. Each session below is its own connection, as each process's would be."""
    from app.errors import Conflict
    from app.lists.models import Snapshot

    with Session(committed_db) as setup:
        base = baseline_numbers(BASE)
        Lists(setup, tmp_path).publish(base, screen=False)
        held = publish_half(setup, Lists(setup, tmp_path), base)
        setup.commit()
    with Session(committed_db) as refresh, Session(committed_db) as operator:
        lists.lock_source(refresh, "ofac_sdn")  # a refresh is applying an OFAC publication
        with pytest.raises(Conflict, match="a publication of ofac_sdn is being applied right now"):
            accept_held_snapshot(operator, held.snapshot_id, SYSTEM)
        operator.rollback()
        assert operator.get(Snapshot, held.snapshot_id).status == "held"
        refresh.rollback()  # the refresh finished
        accept_held_snapshot(operator, held.snapshot_id, SYSTEM)
        with pytest.raises(Conflict):  # the accepting transaction holds it until it ends
            lists.lock_source(refresh, "ofac_sdn", wait=False)
        refresh.rollback()
        operator.commit()
        lists.lock_source(refresh, "ofac_sdn", wait=False)  # free again
        refresh.rollback()
        assert refresh.get(Snapshot, held.snapshot_id).status == "current"
