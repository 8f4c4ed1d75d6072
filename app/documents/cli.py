"""``sanctrack intake``: read a document (a file or a URL), list who it names, adopt some or all as candidates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from app.cli_support import emit_json, fail, handle_errors, unit_of_work
from app.context import CLI
from app.documents import service
from app.documents.mentions import fold as fold_name
from app.documents.models import Document, Mention
from app.documents.schemas import AdoptRequest, CitationFields

stderr = Console(stderr=True)


def standing(mention: Mention) -> str:
    """ "listed by OFAC since 2019-12-06 (ofac_sdn 30242, 0.97)" or "listed by no one"."""
    if not mention.listed:
        return "listed by no one"
    parts = []
    for hit in mention.listed:
        since = f" since {hit['listed_on']}" if hit.get("listed_on") else ""
        parts.append(
            f"listed by {hit.get('authority') or hit['source']}{since} ({hit['source']} {hit['list_id']})"
        )
    return "; ".join(parts)


def chosen_mentions(document: Document, adopt: list[str]) -> list[Mention]:
    """``all``, or the mentions any of whose names is one of ``adopt`` (spelling aside); an unknown name fails."""
    if adopt == ["all"]:
        return list(document.mentions)
    chosen: list[Mention] = []
    for wanted in adopt:
        found = [m for m in document.mentions if fold_name(wanted) in {fold_name(n) for n in m.names}]
        if not found:
            names = ", ".join(m.text for m in document.mentions) or "none"
            raise fail(f"the document names no {wanted!r}; it names: {names}", 2)
        chosen += [m for m in found if m not in chosen]
    return chosen


@handle_errors
def intake(
    source: str = typer.Argument(..., help="A file (PDF, HTML, Markdown, text) or an http(s) URL"),
    adopt: list[str] = typer.Option(
        [], "--adopt", help="Make candidates of these names (repeatable), or of 'all' the mentions"
    ),
    title: str | None = typer.Option(None, "--title", help="Cite the document under this title"),
    author: str | None = typer.Option(None, "--author"),
    publisher: str | None = typer.Option(None, "--publisher"),
    published_on: str | None = typer.Option(None, "--published-on", help="YYYY-MM-DD"),
    program: list[str] = typer.Option([], "--program", help="Program code for new candidates (repeatable)"),
    tag: list[str] = typer.Option([], "--tag", help="Tag for new candidates (repeatable)"),
    allegation: str = typer.Option("other", "--allegation", help="What the cited sentences show"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
) -> None:
    """Read a document, list the people and organizations it names (and which lists hold them), and adopt them.

    Example: sanctrack intake ../shared/seed/article.md --adopt "Faleh al-Fayyad" --adopt "Kataib Hezbollah" --program GLOMAG
    """
    try:
        published = dt.date.fromisoformat(published_on) if published_on else None
    except ValueError:
        raise fail(f"--published-on {published_on!r} is not a date (YYYY-MM-DD)", 2) from None
    citation = CitationFields(title=title, author=author, publisher=publisher, published_on=published)
    request = None
    if adopt:
        # Checked before the document is read, so that a bad option costs nothing.
        request = AdoptRequest(mentions=[0], programs=program, tags=tag, allegation=allegation)  # type: ignore[arg-type]
    with stderr.status("reading") as status, unit_of_work() as session:

        def say(message: str) -> None:
            status.update(message)
            if not as_json:
                stderr.log(message)

        if source.startswith(("http://", "https://")):
            document = service.intake_url(session, source, citation, CLI, progress=say)
        else:
            path = Path(source)
            if not path.is_file():
                raise fail(f"{source} is not a file (nor an http:// or https:// URL)", 2)
            document = service.intake_bytes(
                session,
                path.read_bytes(),
                filename=path.name,
                content_type=None,
                citation=citation,
                actor=CLI,
                progress=say,
            )
        adopted: dict[str, Any] | None = None
        if request is not None:
            chosen = chosen_mentions(document, adopt)
            say(f"adopting {len(chosen)} mention(s)")
            request.mentions = [m.id for m in chosen]
            adopted = service.adopt(session, document.id, request, CLI).model_dump()
        shown = service.document_to_dict(document)
        lines = [
            f"  {m.id:>5}  {m.kind:<12} {m.text}"
            + (f" (also {', '.join(m.names[1:])})" if len(m.names) > 1 else "")
            + f"  [{standing(m)}]"
            + (f"  candidate {m.candidate_id}" if m.candidate_id else "")
            for m in document.mentions
        ]
    if as_json:
        emit_json({"document": shown, "adopted": adopted})
        return
    typer.echo(f"document {shown['id']}: {shown['title']}  (sha256 {shown['sha256'][:12]}…)")
    typer.echo(f"{len(lines)} people and organizations named:")
    for line in lines:
        typer.echo(line)
    if adopted is not None:
        typer.echo(
            f"adopted {len(adopted['adopted'])}: {adopted['created']} new candidate(s), "
            f"{adopted['evidence_added']} evidence record(s) added"
        )
