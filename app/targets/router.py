from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app import changes
from app.alerts.models import TargetAuthorityStatus
from app.auth.deps import CachedReadActor, ReadActor, SessionDep, UnitOfWorkDep, WriteActor
from app.db import UnitOfWork
from app.errors import InvalidInput, PreconditionFailed
from app.targets import bulk, dossier, readcache, schemas, service
from app.targets.models import Evidence, Target
from app.targets.standing import followed_authorities, standing_map

router = APIRouter(prefix="/v1", tags=["targets"])


def etag(target: Target) -> str:
    return f'"{target.version}"'


def parse_if_match(value: str | None) -> int | None:
    """``If-Match: "3"`` (or ``W/"3"``) → 3; absent or ``*`` → no precondition."""
    if value is None or value.strip() == "*":
        return None
    tag = value.split(",")[0].strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise PreconditionFailed(
            f"If-Match {value!r} is not an ETag this service issued; GET the record for one"
        )
    return int(tag)


def authority_statuses(
    session: Session, target_ids: list[int]
) -> dict[int, list[schemas.AuthorityStatusOut]]:
    out: dict[int, list[schemas.AuthorityStatusOut]] = {}
    if not target_ids:
        return out
    rows = session.scalars(
        select(TargetAuthorityStatus)
        .where(TargetAuthorityStatus.target_id.in_(target_ids))
        .order_by(TargetAuthorityStatus.authority)
    )
    for row in rows:
        out.setdefault(row.target_id, []).append(schemas.AuthorityStatusOut.model_validate(row))
    return out


def present(
    session: Session,
    targets: list[Target],
    counts: dict[int, int] | None = None,
    followed: set[str] | None = None,
) -> list[schemas.TargetOut]:
    """The API's form of candidates; ``counts`` (evidence per candidate) and ``followed`` (authorities with a list
    loaded) when the caller has them already."""
    ids = [t.id for t in targets]
    counts = service.evidence_counts(session, ids) if counts is None else counts
    statuses = authority_statuses(session, ids)
    if followed is None:
        followed = followed_authorities(session) if targets else set()
    return [
        schemas.TargetOut(
            **service.target_to_dict(t),
            authority_status=statuses.get(t.id, []),
            standing=standing_map(statuses.get(t.id, []), followed),
            evidence_count=counts.get(t.id, 0),
            created_at=t.created_at,
            updated_at=t.updated_at,
        )
        for t in targets
    ]


@router.get(
    "/programs", response_model=list[schemas.ProgramOut], summary="Sanctions programs known to the service"
)
def list_programs(
    session: SessionDep, _: ReadActor, authority: str | None = None
) -> list[schemas.ProgramOut]:
    return [schemas.ProgramOut.model_validate(p) for p in service.list_programs(session, authority)]


@router.post(
    "/targets",
    response_model=schemas.TargetOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a candidate target (screened against the lists by the worker, once committed)",
    responses={
        409: {"description": "A candidate of the same kind and name exists (allow_duplicate=true adds it)"}
    },
)
def create_target(
    data: schemas.TargetCreate,
    session: SessionDep,
    actor: WriteActor,
    response: Response,
    allow_duplicate: Annotated[
        bool, Query(description="Create it even when a candidate of the same kind and name exists")
    ] = False,
) -> schemas.TargetOut:
    target = service.create_target(session, data, actor, allow_duplicate=allow_duplicate)
    response.headers["ETag"] = etag(target)
    response.headers["Location"] = f"/v1/targets/{target.id}"
    return present(session, [target])[0]


@router.get("/targets", response_model=schemas.TargetPage, summary="List candidate targets")
async def list_targets(
    _: CachedReadActor,
    unit_of_work: UnitOfWorkDep,
    status_: Annotated[schemas.Status | None, Query(alias="status")] = None,
    program: str | None = None,
    tag: str | None = None,
    kind: schemas.Kind | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the name or an alias")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    # Pages are cached as candidates are (see get_target): dashboards poll the same few pages.
    filters = {"status": status_, "program": program, "tag": tag, "q": q, "kind": kind}
    key = ("page", tuple(filters.items()), limit, offset)
    generation = await changes.generation()
    rendered = readcache.get(key, generation)
    if rendered is None:
        rendered = await run_in_threadpool(
            _render_page, unit_of_work, key, filters, limit, offset, generation
        )
    return Response(rendered.body, media_type="application/json")


def _render_page(
    unit_of_work: UnitOfWork,
    key: tuple[Any, ...],
    filters: dict[str, Any],
    limit: int,
    offset: int,
    generation: int | None,
) -> readcache.Rendered:
    with unit_of_work() as session:
        _read_without_transaction(session)
        items, total = service.list_targets(session, **filters, limit=limit, offset=offset)
        page = schemas.TargetPage(
            items=present(session, items, followed=_followed(session, generation)),
            total=total,
            limit=limit,
            offset=offset,
        )
    return readcache.put(key, generation, page.model_dump_json().encode())


def _read_without_transaction(session: Session) -> None:
    # No BEGIN/COMMIT round trips: a read needs no transaction of its own, as each statement sees committed rows
    # either way.
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _followed(session: Session, generation: int | None) -> set[str]:
    followed = readcache.followed(generation)
    if followed is None:
        followed = readcache.keep_followed(generation, followed_authorities(session))
    return followed


@router.get("/targets/{target_id}", response_model=schemas.TargetOut, summary="Read a candidate target")
async def get_target(target_id: int, _: CachedReadActor, unit_of_work: UnitOfWorkDep) -> Response:
    # The most frequent request of all (clients poll a candidate's standing): answered from this process's cache
    # while no commit has touched the candidates' tables (app.targets.readcache), without a thread or a session.
    # The generation is read before the database, so what is kept under it is at least that recent.
    generation = await changes.generation()
    rendered = readcache.get(("target", target_id), generation)
    if rendered is None:
        rendered = await run_in_threadpool(_render_target, unit_of_work, target_id, generation)
    return Response(rendered.body, media_type="application/json", headers={"ETag": rendered.etag})


def _render_target(unit_of_work: UnitOfWork, target_id: int, generation: int | None) -> readcache.Rendered:
    with unit_of_work() as session:
        _read_without_transaction(session)
        target, evidence_count = service.read_target(session, target_id)
        out = present(
            session, [target], counts={target.id: evidence_count}, followed=_followed(session, generation)
        )[0]
    return readcache.put(("target", target_id), generation, out.model_dump_json().encode(), etag(target))


@router.patch(
    "/targets/{target_id}",
    response_model=schemas.TargetOut,
    summary="Update a candidate target (send If-Match with its ETag to avoid overwriting others)",
    responses={412: {"description": "The ETag in If-Match is stale"}},
)
def update_target(
    target_id: int,
    data: schemas.TargetUpdate,
    session: SessionDep,
    actor: WriteActor,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> schemas.TargetOut:
    target = service.update_target(session, target_id, data, actor, parse_if_match(if_match))
    response.headers["ETag"] = etag(target)
    return present(session, [target])[0]


@router.delete(
    "/targets/{target_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a candidate (its evidence and history are kept)",
)
def delete_target(
    target_id: int, session: SessionDep, actor: WriteActor, if_match: Annotated[str | None, Header()] = None
) -> Response:
    service.delete_target(session, target_id, actor, parse_if_match(if_match))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _evidence_out(evidence: Evidence) -> schemas.EvidenceOut:
    return schemas.EvidenceOut.model_validate(evidence)


@router.post(
    "/targets/{target_id}/evidence",
    response_model=schemas.EvidenceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Attach an evidence record to a candidate",
)
def add_evidence(
    target_id: int, data: schemas.EvidenceCreate, session: SessionDep, actor: WriteActor
) -> schemas.EvidenceOut:
    return _evidence_out(service.add_evidence(session, target_id, data, actor))


@router.get(
    "/targets/{target_id}/evidence",
    response_model=list[schemas.EvidenceOut],
    summary="List a candidate's evidence, retracted records included and marked",
)
def list_evidence(
    target_id: int, session: SessionDep, _: ReadActor, include_retracted: bool = True
) -> list[schemas.EvidenceOut]:
    return [_evidence_out(e) for e in service.list_evidence(session, target_id, include_retracted)]


@router.post(
    "/targets/{target_id}/evidence/{evidence_id}/retract",
    response_model=schemas.EvidenceOut,
    summary="Retract an evidence record (it stays, marked retracted, with the reason)",
)
def retract_evidence(
    target_id: int, evidence_id: int, data: schemas.Retraction, session: SessionDep, actor: WriteActor
) -> schemas.EvidenceOut:
    return _evidence_out(service.retract_evidence(session, target_id, evidence_id, data.reason, actor))


# ---- bulk import and export, dossier ------------------------------------------------------------------------------

IMPORT_EXAMPLE = {
    "created": 2,
    "rejected": 1,
    "duplicates": 0,
    "valid": 0,
    "dry_run": False,
    "rows": [
        {"row": 2, "status": "created", "id": 7, "name": "Faleh al-Fayyad"},
        {
            "row": 3,
            "status": "rejected",
            "name": "Ali Taqi",
            "errors": ["nationalities: 'ZZ' is not an ISO 3166-1 alpha-2 country code (e.g. IQ, IR, GB)"],
        },
        {"row": 4, "status": "created", "id": 8, "name": "Kataib Hezbollah"},
    ],
}


@router.post(
    "/targets:import",
    summary="Import candidates from CSV or JSON, with a report per row",
    description="Send a multipart form with a `file` field, or the raw body as `text/csv` or `application/json`. "
    "CSV columns: kind,name,aliases,birth_dates,nationalities,programs,tags,rationale,owner (several "
    "values in one cell separated by `;`); JSON: an array of POST /v1/targets bodies. Each row is "
    "validated and created on its own: rejected rows change nothing, good rows are kept. A row whose "
    "kind and name are already a candidate's is skipped as a duplicate unless `allow_duplicates=true`.",
    responses={200: {"content": {"application/json": {"example": IMPORT_EXAMPLE}}}},
)
async def import_targets(
    request: Request,
    session: SessionDep,
    actor: WriteActor,
    dry_run: Annotated[bool, Query(description="Check every row, create nothing")] = False,
    allow_duplicates: bool = False,
    format_: Annotated[
        Literal["csv", "json"] | None, Query(alias="format", description="Default: from the content type")
    ] = None,
) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    filename = None
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("the multipart form needs a 'file' field holding the CSV or JSON file")
        data, filename, content_type = await upload.read(), upload.filename, upload.content_type or ""
    else:
        data = await request.body()
    if not data.strip():
        raise InvalidInput("nothing to import: the body (or the uploaded file) is empty")
    fmt = format_ or bulk.detect_format(data, filename, content_type)
    # The import is many synchronous statements; run it off the event loop like a plain endpoint would be.
    report = await run_in_threadpool(
        bulk.import_targets, session, data, fmt, actor, dry_run=dry_run, allow_duplicates=allow_duplicates
    )
    return report.to_json()


@router.get(
    "/targets:export",
    summary="Export every candidate as CSV or JSON (the import's formats)",
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
def export_targets(
    session: SessionDep,
    _: ReadActor,
    format_: Annotated[Literal["csv", "json"], Query(alias="format")] = "json",
) -> Response:
    media = "text/csv; charset=utf-8" if format_ == "csv" else "application/json"
    return Response(
        bulk.export_targets(session, format_),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="candidates.{format_}"'},
    )


@router.get(
    "/targets/{target_id}/dossier",
    summary="A candidate's printable dossier (HTML or PDF)",
    description="Identity, rationale, every evidence record with its quote and full citation, links to "
    "listed entries and the status per authority. Choose with `?format=html|pdf` or the Accept "
    "header (`application/pdf`).",
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def get_dossier(
    target_id: int,
    request: Request,
    session: SessionDep,
    actor: ReadActor,
    format_: Annotated[Literal["html", "pdf"] | None, Query(alias="format")] = None,
) -> Response:
    fmt = dossier.choose_format(format_, request.headers.get("accept"))
    body = dossier.render(session, target_id, fmt, generated_by=actor.label)
    disposition = "attachment" if fmt == "pdf" else "inline"
    return Response(
        body,
        media_type=dossier.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'{disposition}; filename="{dossier.filename(target_id, fmt)}"'},
    )
