from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query

from app import pipeline
from app.auth.deps import AdminActor, ReadActor, SessionDep
from app.background import background as background_work
from app.lists import schemas, service

router = APIRouter(prefix="/v1", tags=["lists"])


@router.get(
    "/lists",
    response_model=list[schemas.SourceOut],
    summary="Every followed list with its current snapshot, freshness and last run",
)
def list_sources(session: SessionDep, _: ReadActor) -> list[schemas.SourceOut]:
    return [schemas.SourceOut.model_validate(s) for s in service.list_sources(session)]


@router.get(
    "/lists/{source}/snapshots",
    response_model=schemas.SnapshotPage,
    summary="Publications of a list, newest first (current, superseded, held and rejected)",
)
def list_snapshots(
    source: str,
    session: SessionDep,
    _: ReadActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.SnapshotPage:
    items, total = service.list_snapshots(session, source, limit, offset)
    return schemas.SnapshotPage(
        items=[schemas.SnapshotOut.model_validate(service.snapshot_json(s)) for s in items], total=total
    )


@router.get(
    "/lists/{source}/changes",
    response_model=list[schemas.ChangeOut],
    summary="Field-level changes between publications, oldest first; page with after_id",
)
def list_changes(
    source: str,
    session: SessionDep,
    _: ReadActor,
    since: dt.datetime | None = None,
    kind: Literal["added", "removed", "amended"] | None = None,
    snapshot_id: int | None = None,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[schemas.ChangeOut]:
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    changes = service.list_changes(
        session, source, since=since, kind=kind, snapshot_id=snapshot_id, after_id=after_id, limit=limit
    )
    return [schemas.ChangeOut.model_validate(c, from_attributes=True) for c in changes]


@router.post(
    "/snapshots/{snapshot_id}/accept",
    response_model=schemas.IngestOut,
    summary="Accept a held publication (e.g. a genuine mass delisting) and apply it",
)
def accept_snapshot(
    snapshot_id: int, session: SessionDep, actor: AdminActor, background: BackgroundTasks
) -> schemas.IngestOut:
    # Through the pipeline: what the publication changed is screened, so its designations are alerted too.
    result = pipeline.accept_held_snapshot(session, snapshot_id, actor)
    background.add_task(pipeline.send_deliveries_soon)
    return schemas.IngestOut.model_validate(result.to_json())


@router.get("/entries", response_model=schemas.EntryPage, summary="Search listed entries")
def search_entries(
    session: SessionDep,
    _: ReadActor,
    q: Annotated[str | None, Query(max_length=200)] = None,
    source: str | None = None,
    program: Annotated[str | None, Query(max_length=100)] = None,
    listed: bool | None = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.EntryPage:
    items, total = service.search_entries(
        session, q=q, source=source, program=program, listed=listed, limit=limit, offset=offset
    )
    return schemas.EntryPage(
        items=[schemas.entry_out(e) for e in items], total=total, limit=limit, offset=offset
    )


@router.get(
    "/entries/{source}/{list_id}",
    response_model=schemas.EntryDetail,
    summary="One listed entry with its full history across snapshots",
)
def get_entry(source: str, list_id: str, session: SessionDep, _: ReadActor) -> schemas.EntryDetail:
    entry = service.get_entry(session, source, list_id)
    return schemas.EntryDetail(
        **schemas.entry_out(entry).model_dump(),
        history=[schemas.EntryVersionOut.model_validate(h) for h in service.entry_history(session, entry)],
    )


class RunOut(schemas.BaseModel):
    id: str
    kind: str
    source: str | None
    status: str
    trigger: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    attempts: int
    snapshot_id: int | None
    counts: dict
    error: str | None


@router.post(
    "/lists/{source}/refresh",
    response_model=RunOut,
    status_code=202,
    summary="Refresh a list now (fetch, ingest, screen, alert); 409 while a refresh of it runs",
    responses={409: {"description": "A refresh of this source is already queued or running"}},
)
def refresh(source: str, session: SessionDep, actor: AdminActor, background: BackgroundTasks) -> RunOut:
    run = pipeline.request_refresh(session, source, trigger="api", actor=actor)
    # After the commit, so that the worker finds the run.
    background.add_task(background_work().refresh_soon, run.id)
    return RunOut.model_validate(pipeline.run_json(run))


@router.get("/runs", response_model=list[RunOut], summary="Refresh and screening runs, newest first")
def list_runs(
    session: SessionDep,
    _: ReadActor,
    source: str | None = None,
    kind: Literal["refresh", "screening", "ingest"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[RunOut]:
    return [
        RunOut.model_validate(pipeline.run_json(r))
        for r in pipeline.list_runs(session, source=source, kind=kind, limit=limit, offset=offset)
    ]


@router.get("/runs/{run_id}", response_model=RunOut, summary="One run")
def get_run(run_id: str, session: SessionDep, _: ReadActor) -> RunOut:
    return RunOut.model_validate(pipeline.run_json(pipeline.get_run(session, run_id)))
