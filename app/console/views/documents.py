"""From a document: upload a brief or paste its URL, see who it names and which lists hold them, adopt them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from app.auth.deps import SessionDep
from app.console.security import flash
from app.console.web import ConsoleRoute, FormDep, ReaderDep, WriterDep, redirect, render
from app.documents import service
from app.documents.models import Mention
from app.documents.schemas import AdoptRequest, CitationFields, DocumentFromUrl
from app.errors import InvalidInput
from app.targets.models import ALLEGATIONS, SOURCE_TYPES

router = APIRouter(route_class=ConsoleRoute)


def standing(mention: Mention) -> str:
    """ "listed by OFAC since 2019-12-06" (each authority once) or "listed by no one"."""
    since: dict[str, str | None] = {}
    for hit in mention.listed:
        authority = hit.get("authority") or hit["source"]
        dates = [d for d in (since.get(authority), hit.get("listed_on")) if d]
        since[authority] = min(dates) if dates else None
    if not since:
        return "listed by no one"
    return "; ".join(f"listed by {a}" + (f" since {d}" if d else "") for a, d in since.items())


def _split(value: object) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


@router.get("/documents", summary="From a document: the form and the documents read")
def documents_page(request: Request, db: SessionDep, viewer: ReaderDep) -> Response:
    rows, total = service.list_documents(db, limit=50)
    return render(request, "documents.html", {"rows": rows, "total": total}, section="documents")


@router.post("/documents", summary="Read an uploaded document or one named by URL")
def read_document(request: Request, db: SessionDep, viewer: WriterDep, form: FormDep) -> Response:
    upload = form.get("file")
    url = str(form.get("url") or "").strip()
    citation = CitationFields(title=str(form.get("title") or "").strip() or None)
    if upload is not None and not isinstance(upload, str) and upload.filename:
        document = service.intake_bytes(
            db,
            upload.file.read(),
            filename=upload.filename,
            content_type=upload.content_type,
            citation=citation,
            actor=viewer.actor,
        )
    elif url:
        try:
            checked = DocumentFromUrl(url=url)  # type: ignore[arg-type]
        except ValidationError as error:
            raise InvalidInput(f"{url!r} is not a web address (https://...)") from error
        document = service.intake_url(db, str(checked.url), citation, viewer.actor)
    else:
        raise InvalidInput("choose a file to upload or paste the document's URL")
    flash(
        request,
        "success",
        f"Read “{document.title}”: {len(document.mentions)} people and organizations named.",
    )
    return redirect(f"/console/documents/{document.id}", request)


@router.get("/documents/{document_id}", summary="A document's mentions, to tick and adopt")
def document_page(document_id: int, request: Request, db: SessionDep, viewer: ReaderDep) -> Response:
    document = service.get_document(db, document_id)
    rows = [(m, standing(m)) for m in document.mentions]
    return render(
        request,
        "document.html",
        {"document": document, "rows": rows, "allegations": ALLEGATIONS, "source_types": SOURCE_TYPES},
        section="documents",
    )


@router.post("/documents/{document_id}/adopt", summary="Adopt the ticked mentions as candidates")
def adopt_mentions(
    document_id: int, request: Request, db: SessionDep, viewer: WriterDep, form: FormDep
) -> Response:
    ticked = [int(v) for v in form.getlist("mention") if str(v).isdigit()]
    if not ticked:
        raise InvalidInput("tick at least one name to adopt")
    try:
        adopt = AdoptRequest(
            mentions=ticked,
            programs=_split(form.get("programs")),
            tags=_split(form.get("tags")),
            allegation=form.get("allegation") or "other",
            source_type=form.get("source_type") or "other",
        )
    except ValidationError as error:
        problem = error.errors()[0]
        raise InvalidInput(f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}") from error
    result = service.adopt(db, document_id, adopt, viewer.actor)
    flash(
        request,
        "success",
        f"Adopted {len(result.adopted)}: {result.created} new candidate(s), "
        f"{result.evidence_added} evidence record(s) citing the document.",
    )
    return redirect(f"/console/documents/{document_id}", request)
