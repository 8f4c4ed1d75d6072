"""Issue 13 item 4: linking a candidate to an entry the authority listed before the candidate existed is no news.

The event says so (``already_listed``, ``listed_since``) and the candidate's timeline reads "Already listed by OFAC
since ...", not "Designated"; a publication that lists a candidate after they were recorded still reads
"Designated". Real rows of the 2023-12-28 SDN publication (Laith al-Khazali, entry 28005).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from app.alerts.models import Event
from app.context import SYSTEM
from app.lists.service import ingest_path
from app.matching.models import Link
from app.matching.service import confirm_link, screen
from app.targets import service
from app.targets.schemas import TargetCreate
from tests.console.conftest import sign_in
from tests.pipeline.publications import LAITH_KHAZALI, baseline_numbers, subset

LAITH = TargetCreate(kind="person", name="Laith al-Khazali", nationalities=["IQ"])


def _ingest(db, folder: Path, published: dt.date) -> None:  # type: ignore[no-untyped-def]
    folder.mkdir()
    for member, data in subset([*baseline_numbers(30), LAITH_KHAZALI]).items():
        (folder / member).write_bytes(data)
    result = ingest_path(db, "ofac_sdn", folder, published=published, origin=str(folder), actor=SYSTEM)
    assert result.status == "stored", result.reason


def _screen_and_confirm(db, target_id: int) -> None:  # type: ignore[no-untyped-def]
    """Screening finds entry 28005 (automatically linked or suggested, as the scores stand); a reviewer confirms it."""
    screen(db, target_ids=[target_id])
    link = db.scalar(select(Link).where(Link.target_id == target_id, Link.list_id == LAITH_KHAZALI))
    assert link is not None
    confirm_link(db, link.id, "same person: the brother of Qais al-Khazali", SYSTEM)


def _designations(db, target_id: int) -> list[Event]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(select(Event).where(Event.type == "target.designated", Event.target_id == target_id))
    )


def test_a_candidate_added_after_the_listing_reads_already_listed(client, keys, db, tmp_path: Path) -> None:
    _ingest(db, tmp_path / "sdn", dt.date(2023, 12, 28))
    target = service.create_target(db, LAITH, SYSTEM)
    _screen_and_confirm(db, target.id)
    [event] = _designations(db, target.id)
    # The SDN files give no listing date: the first publication that held the entry stands for it.
    assert event.data["already_listed"] is True and event.data["listed_since"] == "2023-12-28"
    sign_in(client, keys.raw["read"])
    page = client.get(f"/console/candidates/{target.id}").text
    assert "Already listed by OFAC since 2023-12-28" in page
    assert ">Designated<" not in page


def test_a_listing_published_after_the_candidate_reads_designated(client, keys, db, tmp_path: Path) -> None:
    target = service.create_target(db, LAITH, SYSTEM)
    _ingest(db, tmp_path / "sdn", dt.date.today())
    _screen_and_confirm(db, target.id)
    [event] = _designations(db, target.id)
    assert event.data["already_listed"] is False and event.data["listed_since"] == dt.date.today().isoformat()
    sign_in(client, keys.raw["read"])
    page = client.get(f"/console/candidates/{target.id}").text
    assert "Designated" in page and "Already listed" not in page
