"""Candidates: the searchable table, a candidate's page (evidence, links, history), new candidates, bulk import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from app.alerts.coverage import theme_coverage
from app.alerts.models import TargetAuthorityStatus
from app.auth.deps import SessionDep
from app.auth.models import AuditRecord
from app.console.explain import entry_view, explain
from app.console.web import (
    ConsoleRoute,
    FormDep,
    ReaderDep,
    WriterDep,
    is_htmx,
    query_string,
    redirect,
    render,
)
from app.errors import InvalidInput
from app.targets import bulk, dossier, service
from app.targets.bulk import CSV_COLUMNS
from app.targets.models import (
    ALLEGATIONS,
    AUTHORITIES,
    CREDIBILITY_GRADES,
    MAGNITSKY_THEMES,
    SOURCE_TYPES,
    TARGET_KINDS,
    TARGET_STATUSES,
    Target,
)
from app.targets.router import present
from app.targets.schemas import EvidenceCreate, TargetCreate
from app.targets.standing import STANDINGS, followed_authorities

router = APIRouter(route_class=ConsoleRoute)

PAGE_SIZE = 50
EVIDENCE_FIELDS = (
    "source_type",
    "title",
    "publisher",
    "author",
    "url",
    "published_on",
    "accessed_on",
    "excerpt",
    "allegation",
    "credibility",
    "content_sha256",
)
# The console form edits exactly the fields a CSV import carries.
TARGET_FIELDS = CSV_COLUMNS


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


def _choice(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else ""


def _form_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field_name = str(error["loc"][0]) if error["loc"] else "form"
        errors.setdefault(field_name, str(error["msg"]).removeprefix("Value error, "))
    return errors


@dataclass
class Filters:
    q: str = ""
    program: str = ""
    tag: str = ""
    kind: str = ""
    status: str = ""
    authority: str = ""
    standing: str = ""

    def params(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def standing_condition(authority: str, standing: str, followed: Collection[str]) -> ColumnElement[bool]:
    """The SQL form of the standings (app.targets.standing): candidates whose standing with ``authority`` (with any authority
    when empty; with none for "not_listed") is ``standing``."""

    def has(authority: str, *statuses: str) -> ColumnElement[bool]:
        return Target.id.in_(
            select(TargetAuthorityStatus.target_id).where(
                TargetAuthorityStatus.authority == authority, TargetAuthorityStatus.status.in_(statuses)
            )
        )

    def standing_is(authority: str, standing: str) -> ColumnElement[bool]:
        if standing in ("listed", "delisted"):
            return has(authority, standing)
        # not listed (no status row, or one that says so) where the authority's list is loaded, else no list
        known = (standing == "not_listed") == (authority in followed)
        return ~has(authority, "listed", "delisted") if known else false()

    if authority:
        return standing_is(authority, standing)
    if standing == "not_listed":  # with no authority chosen: listed by none of them
        return and_(*(~has(a, "listed", "delisted") for a in AUTHORITIES))
    return or_(*(standing_is(a, standing) for a in AUTHORITIES))


def search(db: Session, filters: Filters, page: int, followed: Collection[str]) -> tuple[list[Any], int]:
    common = {
        "status": filters.status or None,
        "program": filters.program or None,
        "tag": filters.tag or None,
        "q": filters.q or None,
        "kind": filters.kind or None,
    }
    conditions = []
    if filters.standing:
        conditions.append(standing_condition(filters.authority, filters.standing, followed))
    items, total = service.list_targets(
        db, conditions=conditions, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **common
    )
    return present(db, items), total


@router.get("/candidates", summary="Candidates: search and filter")
def candidates(
    request: Request,
    db: SessionDep,
    viewer: ReaderDep,
    q: str = "",
    program: str = "",
    tag: str = "",
    kind: str = "",
    status: str = "",
    authority: str = "",
    standing: str = "",
    page: str = "1",
) -> Response:
    filters = Filters(
        q=q.strip()[:200],
        program=program.strip()[:100],
        tag=tag.strip()[:100],
        kind=_choice(kind, TARGET_KINDS),
        status=_choice(status, TARGET_STATUSES),
        authority=_choice(authority, AUTHORITIES),
        standing=_choice(standing, STANDINGS),
    )
    if filters.authority and not filters.standing:
        filters.standing = "listed"
    page_number = _int(page, 1)
    followed = followed_authorities(db)
    rows, total = search(db, filters, page_number, followed)
    context = {
        "rows": [(r, r.standing) for r in rows],
        "total": total,
        "filters": filters,
        "page": page_number,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "programs": service.list_programs(db),
        "kinds": TARGET_KINDS,
        "statuses": TARGET_STATUSES,
        "authorities": AUTHORITIES,
        "standings": STANDINGS,
        "query_string": query_string,
        "params": filters.params(),
    }
    template = (
        "_candidates_table.html"
        if is_htmx(request) and request.headers.get("hx-target") == "results"
        else "candidates.html"
    )
    return render(request, template, context, section="candidates")


# ---- new candidate ----------------------------------------------------------------------------------------------


def _split(value: str, lines: bool = False) -> list[str]:
    separators = value.replace("\r", "").split("\n") if lines else value.replace(";", ",").split(",")
    return [v.strip() for v in separators if v.strip()]


def candidate_form(
    request: Request,
    db: Session,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    editing: Target | None = None,
) -> Response:
    """The candidate form: empty for a new candidate, or ``editing`` one (which may also change its status)."""
    context: dict[str, Any] = {
        "values": values,
        "errors": errors,
        "kinds": TARGET_KINDS,
        "programs": service.list_programs(db),
    }
    if editing is not None:
        context |= {"editing": editing, "statuses": TARGET_STATUSES}
    return render(request, "candidate_new.html", context, status_code=status_code, section="candidates")


@router.get("/candidates/new", summary="Form: new candidate")
def new_candidate_form(request: Request, db: SessionDep, viewer: WriterDep) -> Response:
    return candidate_form(request, db, {"kind": "person"}, {})


@router.post("/candidates", summary="Create a candidate")
def create_candidate(request: Request, db: SessionDep, viewer: WriterDep, form: FormDep) -> Response:
    values = {name: str(form.get(name, "")) for name in TARGET_FIELDS}
    payload: dict[str, Any] = {
        "kind": values["kind"],
        "name": values["name"],
        "aliases": _split(values["aliases"], lines=True),
        "birth_dates": _split(values["birth_dates"]),
        "nationalities": _split(values["nationalities"]),
        "programs": _split(values["programs"]),
        "tags": _split(values["tags"]),
        "rationale": values["rationale"],
        "owner": values["owner"].strip() or None,
    }
    try:
        data = TargetCreate.model_validate(payload)
        target = service.create_target(db, data, viewer.actor)
    except ValidationError as exc:
        return candidate_form(request, db, values, _form_errors(exc), 422)
    except InvalidInput as exc:
        return candidate_form(request, db, values, {"form": exc.detail}, 422)
    from app.console.security import flash

    flash(request, "success", f"Created candidate {target.id}: {target.name}.")
    return redirect(f"/console/candidates/{target.id}", request)


# ---- import and export ------------------------------------------------------------------------------------------


@router.post("/candidates/import", summary="Import candidates from a CSV or JSON file")
def import_candidates(request: Request, db: SessionDep, viewer: WriterDep, form: FormDep) -> Response:
    upload = form.get("file")
    dry_run = form.get("dry_run") == "on"
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise InvalidInput("choose a CSV or JSON file to import")
    data = upload.file.read()
    if not data.strip():
        raise InvalidInput(f"the file {upload.filename} is empty")
    fmt = bulk.detect_format(data, upload.filename, upload.content_type)
    report = bulk.import_targets(db, data, fmt, viewer.actor, dry_run=dry_run)
    return render(
        request,
        "import_report.html",
        {"report": report, "filename": upload.filename, "format": fmt},
        section="candidates",
    )


@router.get("/candidates/export.{fmt}", summary="Download every candidate as CSV or JSON")
def export_candidates(fmt: str, db: SessionDep, viewer: ReaderDep) -> Response:
    if fmt not in bulk.FORMATS:
        raise InvalidInput("export as .csv or .json")
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(
        bulk.export_targets(db, fmt),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="candidates.{fmt}"'},
    )


# ---- one candidate ----------------------------------------------------------------------------------------------


@dataclass
class TimelineItem:
    at: dt.datetime
    kind: str  # event or audit
    title: str
    detail: str
    who: str | None = None


EVENT_TITLES = {
    "target.designated": "Designated",
    "target.delisted": "Delisted",
    "target.amended": "Listing amended",
    "target.match_suggested": "Possible match found",
    "webhook.test": "Test event",
}
AUDIT_TITLES = {
    ("create", "target"): "Candidate created",
    ("update", "target"): "Candidate edited",
    ("delete", "target"): "Candidate deleted",
    ("create", "evidence"): "Evidence added",
    ("retract", "evidence"): "Evidence retracted",
    ("confirm", "link"): "Match confirmed",
    ("reject", "link"): "Match rejected",
    ("undo", "link"): "Review decision undone",
}


def _event_title(event: Any) -> str:
    """A designation of someone listed before they were a candidate is no news: it reads as such."""
    data = event.data or {}
    if event.type == "target.designated" and data.get("already_listed"):
        since = f" since {data['listed_since']}" if data.get("listed_since") else ""
        return f"Already listed by {event.authority or 'the authority'}{since}"
    return EVENT_TITLES.get(event.type, event.type)


def _event_detail(event: Any) -> str:
    data = event.data or {}
    parts = [p for p in (event.authority, event.source) if p]
    for key in ("list_id", "name", "programs", "score", "reason"):
        value = data.get(key)
        if value not in (None, "", []):
            parts.append(
                f"{key.replace('_', ' ')}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
            )
    return " · ".join(parts)


def _audit_detail(record: AuditRecord) -> str:
    if record.entity_type == "target" and record.action == "update" and record.before and record.after:
        changed = [k for k in record.after if k != "version" and record.before.get(k) != record.after.get(k)]
        return "changed " + ", ".join(c.replace("_", " ") for c in changed) if changed else ""
    if record.entity_type == "evidence":
        after = record.after or {}
        text = f"evidence {record.entity_id}: {after.get('title', '')}"
        if record.action == "retract" and after.get("retraction_reason"):
            text += f" (reason: {after['retraction_reason']})"
        return text
    return record.note or ""


def timeline(db: Session, target_id: int, evidence_ids: list[int], link_ids: list[int]) -> list[TimelineItem]:
    from app.alerts.models import Event

    items = [
        TimelineItem(at=e.occurred_at, kind="event", title=_event_title(e), detail=_event_detail(e))
        for e in db.scalars(
            select(Event).where(Event.target_id == target_id).order_by(Event.occurred_at.desc()).limit(200)
        )
    ]
    conditions = [and_(AuditRecord.entity_type == "target", AuditRecord.entity_id == str(target_id))]
    if evidence_ids:
        conditions.append(
            and_(
                AuditRecord.entity_type == "evidence",
                AuditRecord.entity_id.in_([str(i) for i in evidence_ids]),
            )
        )
    if link_ids:
        conditions.append(
            and_(AuditRecord.entity_type == "link", AuditRecord.entity_id.in_([str(i) for i in link_ids]))
        )
    for record in db.scalars(
        select(AuditRecord).where(or_(*conditions)).order_by(AuditRecord.at.desc()).limit(200)
    ):
        items.append(
            TimelineItem(
                at=record.at,
                kind="audit",
                title=AUDIT_TITLES.get(
                    (record.action, record.entity_type), f"{record.entity_type} {record.action}"
                ),
                detail=_audit_detail(record),
                who=record.actor,
            )
        )
    return sorted(items, key=lambda i: i.at, reverse=True)


def links_of(db: Session, target_id: int) -> list[dict[str, Any]]:
    from app.lists.models import ListEntry
    from app.matching.models import Link

    order = {"confirmed": 0, "auto": 1, "suggested": 2, "rejected": 3}
    rows = db.execute(
        select(Link, ListEntry)
        .join(ListEntry, ListEntry.id == Link.entry_id)
        .where(Link.target_id == target_id)
    ).all()
    rows.sort(key=lambda r: (order.get(r[0].state, 9), -r[0].score))
    return [
        {
            "link": link,
            "entry": entry,
            "view": entry_view(entry.name, entry.programs, entry.listed_on, entry.data),
            "explanation": explain(link.explanation),
        }
        for link, entry in rows
    ]


def _candidate_page(
    request: Request,
    db: Session,
    target_id: int,
    *,
    evidence_values: dict[str, str] | None = None,
    evidence_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    target = service.get_target(db, target_id)
    row = present(db, [target])[0]
    evidence = service.list_evidence(db, target_id)
    links = links_of(db, target_id)
    context = {
        "target": target,
        "row": row,
        "standing": row.standing,
        "evidence": evidence,
        "links": links,
        "timeline": timeline(db, target_id, [e.id for e in evidence], [item["link"].id for item in links]),
        "citation": dossier.citation,
        "source_types": SOURCE_TYPES,
        "allegations": ALLEGATIONS,
        "credibility_grades": dossier.CREDIBILITY_LABELS,
        "grades": CREDIBILITY_GRADES,
        "evidence_values": evidence_values
        or {"source_type": "news_article", "allegation": "human_rights_abuse"},
        "evidence_errors": evidence_errors or {},
        "source_type_labels": dossier.SOURCE_TYPE_LABELS,
        "allegation_labels": dossier.ALLEGATION_LABELS,
        # Proposed under a human-rights or anti-corruption program: which governments have used such a law on them.
        "magnitsky": theme_coverage(db, [target])[0]
        if any(set(p.themes) & set(MAGNITSKY_THEMES) for p in target.programs)
        else None,
    }
    return render(request, "candidate.html", context, status_code=status_code, section="candidates")


@router.get("/candidates/{target_id:int}", summary="A candidate: details, evidence, links and history")
def candidate(request: Request, target_id: int, db: SessionDep, viewer: ReaderDep) -> Response:
    return _candidate_page(request, db, target_id)


@router.post("/candidates/{target_id:int}/evidence", summary="Add an evidence record")
def add_evidence(
    request: Request, target_id: int, db: SessionDep, viewer: WriterDep, form: FormDep
) -> Response:
    values = {name: str(form.get(name, "")).strip() for name in EVIDENCE_FIELDS}
    payload = {k: v for k, v in values.items() if v != "" or k == "excerpt"}
    try:
        data = EvidenceCreate.model_validate(payload)
        evidence = service.add_evidence(db, target_id, data, viewer.actor)
    except ValidationError as exc:
        service.get_target(db, target_id)
        return _candidate_page(
            request, db, target_id, evidence_values=values, evidence_errors=_form_errors(exc), status_code=422
        )
    from app.console.security import flash

    flash(request, "success", f"Added evidence {evidence.id}: {evidence.title}.")
    return redirect(f"/console/candidates/{target_id}#evidence-{evidence.id}", request)


@router.post(
    "/candidates/{target_id:int}/evidence/{evidence_id:int}/retract", summary="Retract an evidence record"
)
def retract_evidence(
    request: Request, target_id: int, evidence_id: int, db: SessionDep, viewer: WriterDep, form: FormDep
) -> Response:
    reason = str(form.get("reason", "")).strip()
    if not reason:
        raise InvalidInput("say why the evidence is retracted: the reason stays on the record")
    service.retract_evidence(db, target_id, evidence_id, reason[:2000], viewer.actor)
    from app.console.security import flash

    flash(request, "success", f"Retracted evidence {evidence_id}.")
    return redirect(f"/console/candidates/{target_id}#evidence-{evidence_id}", request)


@router.get("/candidates/{target_id:int}/dossier", summary="The candidate's printable dossier (HTML)")
def dossier_html(target_id: int, db: SessionDep, viewer: ReaderDep) -> Response:
    html = dossier.render_html(db, target_id, generated_by=viewer.actor.label)
    # The dossier is a standalone document with its own print styles.
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "frame-ancestors 'none'"
        },
    )


@router.get("/candidates/{target_id:int}/dossier.pdf", summary="The candidate's dossier as PDF")
def dossier_pdf(target_id: int, db: SessionDep, viewer: ReaderDep) -> Response:
    body = dossier.render_pdf(db, target_id, generated_by=viewer.actor.label)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{dossier.filename(target_id, "pdf")}"'},
    )
