from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth import schemas, service
from app.auth.deps import AdminActor, SessionDep

router = APIRouter(prefix="/v1", tags=["keys and audit"])


@router.post(
    "/keys",
    response_model=schemas.ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API key (the key is shown once)",
)
def create_key(data: schemas.ApiKeyCreate, session: SessionDep, actor: AdminActor) -> schemas.ApiKeyCreated:
    key, raw = service.create_key(session, name=data.name, scope=data.scope, expires_at=data.expires_at)
    service.audit(session, actor, "create", "api_key", key.id, None, {"name": key.name, "scope": key.scope})
    return schemas.ApiKeyCreated(**schemas.ApiKeyOut.model_validate(key).model_dump(), key=raw)


@router.get("/keys", response_model=list[schemas.ApiKeyOut], summary="List API keys (never their secrets)")
def list_keys(session: SessionDep, _: AdminActor) -> list[schemas.ApiKeyOut]:
    return [schemas.ApiKeyOut.model_validate(k) for k in service.list_keys(session)]


@router.post("/keys/{key_id}/revoke", response_model=schemas.ApiKeyOut, summary="Revoke an API key")
def revoke_key(key_id: int, session: SessionDep, actor: AdminActor) -> schemas.ApiKeyOut:
    return schemas.ApiKeyOut.model_validate(service.revoke_key(session, key_id, actor))


@router.get("/audit", response_model=list[schemas.AuditRecordOut], summary="The audit log, newest first")
def list_audit(
    session: SessionDep,
    _: AdminActor,
    entity_type: str | None = None,
    entity_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[schemas.AuditRecordOut]:
    records = service.list_audit(
        session, entity_type=entity_type, entity_id=entity_id, limit=limit, offset=offset
    )
    return [schemas.AuditRecordOut.model_validate(r) for r in records]
