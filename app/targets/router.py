from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.deps import ReadActor, SessionDep, WriteActor
from app.errors import PreconditionFailed
from app.targets import schemas, service
from app.targets.models import Evidence, Target

router = APIRouter(prefix="/v1", tags=["targets"])


def etag(target: Target) -> str:
    return f'"{target.version}"'


def parse_if_match(value: str | None) -> int | None:
    """``If-Match: "3"`` (or ``W/"3"``) → 3; absent or ``*`` → no precondition."""
    if value is None or value.strip() == "*":
        return None
    tag = value.split(",")[0].strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise PreconditionFailed(f"If-Match {value!r} is not an ETag this service issued; GET the record for one")
    return int(tag)


def authority_statuses(session: Session, target_ids: list[int]) -> dict[int, list[schemas.AuthorityStatusOut]]:
    from app.alerts.models import TargetAuthorityStatus

    out: dict[int, list[schemas.AuthorityStatusOut]] = {}
    if not target_ids:
        return out
    rows = session.scalars(select(TargetAuthorityStatus).where(TargetAuthorityStatus.target_id.in_(target_ids))
                           .order_by(TargetAuthorityStatus.authority))
    for row in rows:
        out.setdefault(row.target_id, []).append(schemas.AuthorityStatusOut.model_validate(row))
    return out


def present(session: Session, targets: list[Target]) -> list[schemas.TargetOut]:
    ids = [t.id for t in targets]
    counts = service.evidence_counts(session, ids)
    statuses = authority_statuses(session, ids)
    return [
        schemas.TargetOut(**service.target_to_dict(t), authority_status=statuses.get(t.id, []),
                          evidence_count=counts.get(t.id, 0), created_at=t.created_at, updated_at=t.updated_at)
        for t in targets
    ]


@router.get("/programs", response_model=list[schemas.ProgramOut], summary="Sanctions programs known to the service")
def list_programs(session: SessionDep, _: ReadActor, authority: str | None = None) -> list[schemas.ProgramOut]:
    return [schemas.ProgramOut.model_validate(p) for p in service.list_programs(session, authority)]


@router.post("/targets", response_model=schemas.TargetOut, status_code=status.HTTP_201_CREATED,
             summary="Create a candidate target")
def create_target(data: schemas.TargetCreate, session: SessionDep, actor: WriteActor,
                  response: Response) -> schemas.TargetOut:
    target = service.create_target(session, data, actor)
    response.headers["ETag"] = etag(target)
    response.headers["Location"] = f"/v1/targets/{target.id}"
    return present(session, [target])[0]


@router.get("/targets", response_model=schemas.TargetPage, summary="List candidate targets")
def list_targets(
    session: SessionDep, _: ReadActor,
    status_: Annotated[schemas.Status | None, Query(alias="status")] = None,
    program: str | None = None, tag: str | None = None, kind: schemas.Kind | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the name or an alias")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.TargetPage:
    items, total = service.list_targets(session, status=status_, program=program, tag=tag, q=q, kind=kind,
                                        limit=limit, offset=offset)
    return schemas.TargetPage(items=present(session, items), total=total, limit=limit, offset=offset)


@router.get("/targets/{target_id}", response_model=schemas.TargetOut, summary="Read a candidate target")
def get_target(target_id: int, session: SessionDep, _: ReadActor, response: Response) -> schemas.TargetOut:
    target = service.get_target(session, target_id)
    response.headers["ETag"] = etag(target)
    return present(session, [target])[0]


@router.patch("/targets/{target_id}", response_model=schemas.TargetOut,
              summary="Update a candidate target (send If-Match with its ETag to avoid overwriting others)",
              responses={412: {"description": "The ETag in If-Match is stale"}})
def update_target(
    target_id: int, data: schemas.TargetUpdate, session: SessionDep, actor: WriteActor, response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> schemas.TargetOut:
    target = service.update_target(session, target_id, data, actor, parse_if_match(if_match))
    response.headers["ETag"] = etag(target)
    return present(session, [target])[0]


@router.delete("/targets/{target_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a candidate (its evidence and history are kept)")
def delete_target(target_id: int, session: SessionDep, actor: WriteActor,
                  if_match: Annotated[str | None, Header()] = None) -> Response:
    service.delete_target(session, target_id, actor, parse_if_match(if_match))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _evidence_out(evidence: Evidence) -> schemas.EvidenceOut:
    return schemas.EvidenceOut.model_validate(evidence)


@router.post("/targets/{target_id}/evidence", response_model=schemas.EvidenceOut,
             status_code=status.HTTP_201_CREATED, summary="Attach an evidence record to a candidate")
def add_evidence(target_id: int, data: schemas.EvidenceCreate, session: SessionDep,
                 actor: WriteActor) -> schemas.EvidenceOut:
    return _evidence_out(service.add_evidence(session, target_id, data, actor))


@router.get("/targets/{target_id}/evidence", response_model=list[schemas.EvidenceOut],
            summary="List a candidate's evidence, retracted records included and marked")
def list_evidence(target_id: int, session: SessionDep, _: ReadActor,
                  include_retracted: bool = True) -> list[schemas.EvidenceOut]:
    return [_evidence_out(e) for e in service.list_evidence(session, target_id, include_retracted)]


@router.post("/targets/{target_id}/evidence/{evidence_id}/retract", response_model=schemas.EvidenceOut,
             summary="Retract an evidence record (it stays, marked retracted, with the reason)")
def retract_evidence(target_id: int, evidence_id: int, data: schemas.Retraction, session: SessionDep,
                     actor: WriteActor) -> schemas.EvidenceOut:
    return _evidence_out(service.retract_evidence(session, target_id, evidence_id, data.reason, actor))
