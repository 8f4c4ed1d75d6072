"""The first-run demo: candidates from the seed brief, real list publications, screening, then the service.

It shows, on a bare machine, the whole flow the service exists for: Faleh al-Fayyad is a candidate in a January 2020
brief, is absent from the SDN list of early 2019, and is designated under GLOMAG in the December 2023 list. The UN
and UK lists are loaded too, so that the coverage view can say that the UK has not followed the US on Kataib
Hezbollah (what the brief asks of it) rather than that nobody knows.

The candidates and their evidence come from reading the brief (``app/documents``): the demo adopts the names it
holds that ``demo_brief.json`` picks, as an analyst ticks them on the console's "From a document" page. Faleh
al-Fayyad's alias is his SDN entry's name, so the match is linked without review; Kataib Hezbollah, spelled as the
press spells it (KATA'IB HIZBALLAH on the list), waits for a reviewer. The review queue also holds one
candidate from outside the brief: Kataib Hezbollah's chief of staff, whom an analyst following the brief's call to
sanction the militia's leaders would add under the name the press uses. The list holds that name only as a weak
alias of his entry, so the match waits for a reviewer (see ``FOLLOW_UP``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import service as alerts
from app.alerts.models import TargetAuthorityStatus
from app.config import get_settings
from app.context import Actor
from app.demo_receiver import PATH
from app.documents import service as documents
from app.documents.mentions import fold
from app.documents.schemas import AdoptRequest, CitationFields
from app.lists import service as lists
from app.lists.records import SOURCES
from app.matching.models import Link
from app.matching.service import screen
from app.pipeline import accept_held_snapshot, screen_after_ingest
from app.targets import service as targets
from app.targets.models import Target
from app.targets.schemas import TargetCreate, TargetUpdate

DEMO_ACTOR = Actor(name="demo")
# Where the brief was published and which of the names it holds the demo's analyst adopts (app/documents reads it).
DEMO_BRIEF = Path(__file__).with_name("demo_brief.json")
# Candidates an analyst adds while following the brief up, who are not named in it: no evidence record cites the
# brief for them.
FOLLOW_UP: list[dict[str, Any]] = [
    {
        "target": {
            "kind": "person",
            "name": "Abu Fadak al-Mohammedawi",
            "nationalities": ["IQ"],
            "programs": ["SDGT"],
            "tags": ["iraq", "militia", "follow-up"],
            "rationale": "Kataib Hezbollah's chief of staff; the brief asks Treasury to sanction the militia leaders "
            "behind the attacks on U.S. sites. Added while following the brief up: it does not name him.",
        },
        "quotes": [],
    },
]
PUBLICATIONS = [
    ("ofac_sdn", "ofac_sdn/2019-01", None),
    ("ofac_sdn", "ofac_sdn/2023-12-28", dt.date(2023, 12, 28)),
    ("un_sc", "un/consolidated_2026-02-27.xml", dt.date(2026, 2, 27)),
    ("uk", "uk/ofsi_conlist_2025-04-14.xlsx", dt.date(2025, 4, 14)),
]


def seed_candidates(session: Session, brief_path: Path) -> list[Target]:
    """Read the brief as an analyst would upload it, adopt the names she picks (with the sentences naming them as
    evidence), then add the candidates she finds while following it up."""
    picks = json.loads(DEMO_BRIEF.read_text(encoding="utf-8"))
    citation = picks["citation"]
    document = documents.intake_bytes(
        session,
        brief_path.read_bytes(),
        filename=brief_path.name,
        content_type="text/markdown",
        url=citation["url"],
        citation=CitationFields(**{k: citation[k] for k in ("title", "author", "publisher", "published_on")}),
        actor=DEMO_ACTOR,
    )
    created = []
    for pick in picks["adopt"]:
        mention = next(
            (m for m in document.mentions if fold(pick["name"]) in {fold(n) for n in m.names}),
            None,
        )
        if mention is None:
            raise RuntimeError(
                f"the brief at {brief_path} does not name {pick['name']!r} (or it is not found)"
            )
        request = AdoptRequest(
            mentions=[mention.id],
            programs=pick.get("programs", []),
            tags=pick.get("tags", []),
            allegation=pick["allegation"],
            source_type=citation["source_type"],
            credibility=citation["credibility"],
        )
        (adopted,) = documents.adopt(session, document.id, request, DEMO_ACTOR).adopted
        target = targets.get_target(session, adopted.candidate_id)
        if adopted.created and (pick.get("aliases") or pick.get("nationalities")):
            # What the analyst knows from elsewhere: the spelling the lists use, the nationality.
            known = [a["name"] for a in target.aliases]
            update = TargetUpdate(
                aliases=[*known, *pick.get("aliases", [])], nationalities=pick.get("nationalities", [])
            )
            target = targets.update_target(session, target.id, update, DEMO_ACTOR)
        created.append(target)
    for item in FOLLOW_UP:
        name = item["target"]["name"]
        existing = session.scalar(select(Target).where(Target.name == name, Target.deleted_at.is_(None)))
        created.append(existing or targets.create_target(session, TargetCreate(**item["target"]), DEMO_ACTOR))
    return created


def subscribe_demo_receiver(session: Session, base_url: str) -> str:
    """Register the demo's own webhook receiver for every event type, before the lists load, so that the
    designations they bring are delivered, signed, to it once the service runs."""

    url = base_url.rstrip("/") + PATH
    existing = [w for w in alerts.list_webhooks(session) if w.url == url]
    if not existing:
        alerts.create_webhook(
            session,
            url=url,
            event_types=[],
            filters={},
            description="The demo's own receiver: it checks each signature and shows what it got",
            actor=DEMO_ACTOR,
        )
    return url


def missing_sample_files(sample: Path) -> list[Path]:
    """The demo's list files (and the seed brief beside them) that are not under ``sample``."""
    wanted = [sample / folder for _, folder, _ in PUBLICATIONS] + [seed_brief(sample)]
    return [path for path in wanted if not path.exists()]


def seed_brief(sample: Path) -> Path:
    """The policy brief the demo reads: ``seed/article.md`` beside the sample lists folder."""
    return sample.parent / "seed" / "article.md"


def load_publications(session: Session, sample: Path, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """Ingest the 2019-01 and 2023-12-28 SDN publications in turn, then the UN and UK lists, screening what each
    changed.

    The second SDN publication removes 14% of the first's entries, so the removal guard holds it; the demo accepts
    it, as an operator would after checking that the delistings are genuine.
    """

    results = []
    screened_all = False
    # Run again in the same folder (a second 'make run'), the demo must not replay old publications over newer
    # ones: that would delist and re-designate everyone. A source it already holds is left as it is.
    held_already = {source: lists.current_snapshot(session, source) for source, _, _ in PUBLICATIONS}
    for source, snapshot in held_already.items():
        if snapshot is not None:
            say(f"{source}: already loaded (snapshot {snapshot.id}); not loaded again")
            results.append({"source": source, "status": "already loaded", "entries": snapshot.entry_count})
    for source, folder, published in PUBLICATIONS:
        if held_already[source] is not None:
            continue
        path = sample / folder  # checked before anything was set up (missing_sample_files)
        say(f"ingesting {folder}")
        result = lists.ingest_path(
            session, source, path, published=published, origin=str(path), actor=DEMO_ACTOR, progress=say
        )
        if result.status == "rejected" and result.acceptable:
            say(f"{folder} held ({result.reason}); accepting it as an operator would")
            result = accept_held_snapshot(session, result.snapshot_id, DEMO_ACTOR, progress=say)
        elif result.status == "stored":
            say(f"screening the candidates against {folder}")
            if screened_all:
                screen_after_ingest(session, result, source)
            else:
                screen(session)  # the first publication: everything in it is new
                screened_all = True
        results.append(result.to_json())
    if not screened_all:
        screen(session)  # nothing new loaded: candidates added since the last run still get screened
    return results


def outcome(session: Session) -> dict[str, list[str]]:
    """What the demo left for a newcomer to look at: designations, and links waiting for review."""

    designated = [
        f"{name} ({status.authority} {', '.join(status.programs)}"
        + (f", listed {status.listed_on.isoformat()})" if status.listed_on else ")")
        for status, name in session.execute(
            select(TargetAuthorityStatus, Target.name)
            .join(Target, Target.id == TargetAuthorityStatus.target_id)
            .where(TargetAuthorityStatus.status == "listed")
            .order_by(Target.id, TargetAuthorityStatus.authority)
        )
    ]
    waiting = [
        f"{name} ~ {link.source} {link.list_id} {link.explanation.get('names', {}).get('entry') or ''} "
        f"(score {link.score:.4f})".replace("  ", " ")
        for link, name in session.execute(
            select(Link, Target.name)
            .join(Target, Target.id == Link.target_id)
            .where(Link.state == "suggested")
            .order_by(Link.score.desc())
        )
    ]
    return {"designated": designated, "waiting_for_review": waiting}


def load_live(session: Session, say: Callable[[str], None]) -> list[dict[str, Any]]:

    results = []
    for source in SOURCES:
        say(f"downloading {source} from {get_settings().source_url(source)}")
        try:
            results.append(lists.ingest_url(session, source, progress=say).to_json())
        except Exception as exc:  # noqa: BLE001 - one source down must not stop the demo
            results.append({"source": source, "status": "failed", "reason": str(exc)})
    screen(session)
    return results
