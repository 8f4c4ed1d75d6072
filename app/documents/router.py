from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from app.auth.deps import ReadActor, SessionDep, WriteActor
from app.documents import schemas, service
from app.errors import InvalidInput, ServiceError

router = APIRouter(prefix="/v1", tags=["documents"])

UPLOAD_FIELDS = ("title", "author", "publisher", "published_on")
REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "text, Markdown, HTML or PDF",
                    },
                    **{name: {"type": "string"} for name in UPLOAD_FIELDS},
                },
            }
        },
        "application/json": {"schema": schemas.DocumentFromUrl.model_json_schema()},
    },
}


class UnsupportedBody(ServiceError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


def _invalid(error: ValidationError) -> InvalidInput:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return InvalidInput(f"{where}: {first['msg']}")


@router.post(
    "/documents",
    response_model=schemas.DocumentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Read a document (uploaded, or fetched from a URL) and find the people and organizations it names",
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        413: {"description": "The document is too large"},
        415: {"description": "Not a format the service reads (PDF, HTML, Markdown, text)"},
        422: {"description": "Not what it claims, empty, or a URL that is refused or cannot be fetched"},
    },
)
async def create_document(
    request: Request, session: SessionDep, actor: WriteActor, response: Response
) -> schemas.DocumentOut:
    """Upload with ``multipart/form-data`` (field ``file``, optional ``title``, ``author``, ``publisher``,
    ``published_on``) or send ``{"url": ...}`` as JSON. The same bytes again answer with the same document."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("the form has no file: send the document in the field 'file'")
        raw = await upload.read()
        try:
            citation = schemas.CitationFields(
                **{
                    name: form[name]
                    for name in UPLOAD_FIELDS
                    if isinstance(form.get(name), str) and form[name]
                }
            )
        except ValidationError as error:
            raise _invalid(error) from error
        document = service.intake_bytes(
            session,
            raw,
            filename=upload.filename,
            content_type=upload.content_type,
            citation=citation,
            actor=actor,
        )
    elif content_type == "application/json":
        try:
            data = schemas.DocumentFromUrl.model_validate(json.loads(await request.body()))
        except (ValueError, TypeError) as error:
            if isinstance(error, ValidationError):
                raise _invalid(error) from error
            raise InvalidInput(f"the body is not JSON ({error})") from error
        citation = schemas.CitationFields(**data.model_dump(exclude={"url"}))
        document = service.intake_url(session, str(data.url), citation, actor)
    else:
        raise UnsupportedBody(
            "send the document as multipart/form-data (field 'file') or JSON {\"url\": ...}, "
            f"not {content_type or 'no content type'}"
        )
    response.headers["Location"] = f"/v1/documents/{document.id}"
    return schemas.DocumentOut.model_validate(service.document_to_dict(document))


@router.get("/documents", response_model=schemas.DocumentPage, summary="Documents read, newest first")
def list_documents(
    session: SessionDep,
    _: ReadActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.DocumentPage:
    rows, total = service.list_documents(session, limit=limit, offset=offset)
    items = [
        schemas.DocumentSummary(
            id=d.id,
            sha256=d.sha256,
            title=d.title,
            url=d.url,
            media_type=d.media_type,
            created_at=d.created_at,
            mentions=count,
        )  # fmt: skip
        for d, count in rows
    ]
    return schemas.DocumentPage(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/documents/{document_id}", response_model=schemas.DocumentOut, summary="A document and its mentions"
)
def get_document(document_id: int, session: SessionDep, _: ReadActor) -> schemas.DocumentOut:
    return schemas.DocumentOut.model_validate(
        service.document_to_dict(service.get_document(session, document_id))
    )


@router.post(
    "/documents/{document_id}/adopt",
    response_model=schemas.AdoptResult,
    summary="Make mentions candidates (or find the candidates they are) with evidence citing the document",
)
def adopt(
    document_id: int, data: schemas.AdoptRequest, session: SessionDep, actor: WriteActor
) -> schemas.AdoptResult:
    return service.adopt(session, document_id, data, actor)
