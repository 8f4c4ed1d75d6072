from __future__ import annotations

import sys
from pathlib import Path

import typer

from app.cli_support import emit_json, fail, handle_errors, unit_of_work
from app.context import CLI
from app.targets import bulk, dossier, schemas, service
from app.targets.router import present
from app.targets.standing import label as standing_label

targets_app = typer.Typer(
    help="Candidate targets: add, list, show, import and export (CSV or JSON), dossier (HTML or PDF).",
    no_args_is_help=True,
)
evidence_app = typer.Typer(help="Evidence records attached to candidates.", no_args_is_help=True)


def _out(session, target) -> dict:  # type: ignore[no-untyped-def]
    return present(session, [target])[0].model_dump(mode="json")


@targets_app.command("add")
@handle_errors
def add(
    name: str = typer.Argument(..., help="Primary name, as the analyst writes it"),
    kind: str = typer.Option("person", "--kind", help="person, organization, vessel or aircraft"),
    alias: list[str] = typer.Option([], "--alias", help="Another name (repeatable)"),
    program: list[str] = typer.Option(
        [], "--program", help="Proposed program code, e.g. GLOMAG (repeatable)"
    ),
    nationality: list[str] = typer.Option([], "--nationality", help="ISO country code, e.g. IQ (repeatable)"),
    dob: list[str] = typer.Option([], "--dob", help="Date of birth: YYYY-MM-DD, YYYY-MM, YYYY or FROM/TO"),
    tag: list[str] = typer.Option([], "--tag", help="Tag (repeatable)"),
    rationale: str = typer.Option("", "--rationale", help="Why this candidate should be sanctioned"),
    owner: str | None = typer.Option(None, "--owner"),
    allow_duplicate: bool = typer.Option(
        False, "--allow-duplicate", help="Add it even when a candidate of the same kind and name exists"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the created candidate as JSON"),
) -> None:
    """Add a candidate target; the worker screens it against the lists once it is saved.

    Example: sanctrack targets add "Faleh al-Fayyad" --alias "Falih al-Fayyadh" --program GLOMAG --nationality IQ
    """
    data = schemas.TargetCreate(
        kind=kind,
        name=name,
        aliases=alias,
        programs=program,
        nationalities=nationality,
        birth_dates=dob,
        tags=tag,
        rationale=rationale,
        owner=owner,
    )
    with unit_of_work() as session:
        out = _out(session, service.create_target(session, data, CLI, allow_duplicate=allow_duplicate))
    if as_json:
        emit_json(out)
    else:
        typer.echo(
            f"Created candidate {out['id']}: {out['name']} ({out['kind']}) "
            f"programs={','.join(out['programs']) or '-'}"
        )


@targets_app.command("list")
@handle_errors
def list_(
    status: str | None = typer.Option(None, "--status", help="candidate, designated, delisted, dropped"),
    program: str | None = typer.Option(None, "--program"),
    tag: str | None = typer.Option(None, "--tag"),
    q: str | None = typer.Option(None, "--q", help="Text in the name or an alias"),
    limit: int = typer.Option(50, "--limit"),
    offset: int = typer.Option(0, "--offset"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List candidate targets.

    Example: sanctrack targets list --program GLOMAG --json
    """
    with unit_of_work() as session:
        items, total = service.list_targets(
            session, status=status, program=program, tag=tag, q=q, limit=limit, offset=offset
        )
        rows = [t.model_dump(mode="json") for t in present(session, items)]
    if as_json:
        emit_json({"items": rows, "total": total, "limit": limit, "offset": offset})
        return
    typer.echo(f"{total} candidate(s)")
    for r in rows:
        typer.echo(
            f"{r['id']:>5}  {r['status']:<10} {r['kind']:<12} {r['name']}  "
            f"[{', '.join(r['programs'])}] evidence={r['evidence_count']}"
        )


@targets_app.command("show")
@handle_errors
def show(target_id: int = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """Show one candidate with its evidence.

    Example: sanctrack targets show 1 --json
    """
    with unit_of_work() as session:
        out = _out(session, service.get_target(session, target_id))
        out["evidence"] = [
            schemas.EvidenceOut.model_validate(e).model_dump(mode="json")
            for e in service.list_evidence(session, target_id)
        ]
    if as_json:
        emit_json(out)
        return
    typer.echo(
        f"#{out['id']} {out['name']} ({out['kind']}), status {out['status']}, version {out['version']}"
    )
    for label in ("aliases", "birth_dates", "nationalities", "programs", "tags"):
        values = out[label]
        if values:
            shown = [v["name"] if isinstance(v, dict) else v for v in values]
            typer.echo(f"  {label}: {'; '.join(shown)}")
    # Every authority's standing, "no list loaded" where none of its lists is held (not "not listed").
    programs = {s["authority"]: s["programs"] for s in out["authority_status"]}
    for authority, value in out["standing"].items():
        typer.echo(
            f"  {authority}: {standing_label(value)} {', '.join(programs.get(authority, []))}".rstrip()
        )
    if out["rationale"]:
        typer.echo(f"  rationale: {out['rationale']}")
    for e in out["evidence"]:
        mark = " (RETRACTED)" if e["retracted"] else ""
        typer.echo(
            f"  evidence {e['id']}{mark}: {e['title']} — {e['publisher'] or ''} {e['published_on'] or ''}"
        )
        if e["url"]:
            typer.echo(f"      {e['url']}")


@evidence_app.command("add")
@handle_errors
def add_evidence(
    target_id: int = typer.Argument(..., help="The candidate's id"),
    title: str = typer.Option(..., "--title"),
    source_type: str = typer.Option(
        "news_article",
        "--source-type",
        help="news_article, ngo_report, government_statement, court_document, leak, other",
    ),
    allegation: str = typer.Option(
        ...,
        "--allegation",
        help="human_rights_abuse, corruption, terrorism, attack_on_diplomatic_facility, other",
    ),
    url: str | None = typer.Option(None, "--url"),
    publisher: str | None = typer.Option(None, "--publisher"),
    author: str | None = typer.Option(None, "--author"),
    published_on: str | None = typer.Option(None, "--published-on", help="YYYY-MM-DD"),
    accessed_on: str | None = typer.Option(None, "--accessed-on", help="YYYY-MM-DD"),
    excerpt: str = typer.Option("", "--excerpt", help="The quoted passage"),
    credibility: str | None = typer.Option(
        None, "--credibility", help="A (reliable) ... F (cannot be judged)"
    ),
    content_sha256: str | None = typer.Option(None, "--sha256", help="SHA-256 of the source document"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Attach an evidence record to a candidate.

    Example: sanctrack evidence add 1 --title "Policy brief" --source-type ngo_report --allegation human_rights_abuse
    --url https://example.org/brief --published-on 2020-01-02 --excerpt "The best way to open that campaign..."
    """
    data = schemas.EvidenceCreate(
        source_type=source_type,
        title=title,
        allegation=allegation,
        url=url,
        publisher=publisher,
        author=author,
        published_on=published_on,
        accessed_on=accessed_on,
        excerpt=excerpt,
        credibility=credibility,
        content_sha256=content_sha256,
    )
    with unit_of_work() as session:
        out = schemas.EvidenceOut.model_validate(
            service.add_evidence(session, target_id, data, CLI)
        ).model_dump(mode="json")
    if as_json:
        emit_json(out)
    else:
        typer.echo(f"Added evidence {out['id']} to candidate {target_id}: {out['title']}")


@targets_app.command("import")
@handle_errors
def import_(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="A CSV (kind,name,aliases,birth_dates,nationalities,programs,tags,rationale,"
        "owner; ';' between several values) or a JSON array of candidates",
    ),
    file_format: str | None = typer.Option(
        None, "--format", help="csv or json (default: from the file name)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row and report; create nothing"),
    allow_duplicates: bool = typer.Option(
        False, "--allow-duplicates", help="Also create rows whose kind and name are already a candidate's"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the per-row report as JSON"),
) -> None:
    """Import candidates from a CSV or JSON file; each row is validated and created on its own.

    Rejected rows change nothing and good rows are kept; the exit code is 2 when any row was rejected.

    Example: sanctrack targets import candidates.csv --dry-run
    """
    data = file.read_bytes()
    fmt = file_format or bulk.detect_format(data, file.name)
    with unit_of_work() as session:
        report = bulk.import_targets(
            session, data, fmt, CLI, dry_run=dry_run, allow_duplicates=allow_duplicates
        )
    if as_json:
        emit_json(report.to_json())
    else:
        for row in report.rows:
            detail = f" (candidate {row.id})" if row.id else ""
            typer.echo(f"row {row.row:>4}  {row.status:<9} {row.name or ''}{detail}")
            for error in row.errors:
                typer.echo(f"            {error}")
        verb = "would be created" if dry_run else "created"
        valid = report.count("valid") if dry_run else report.created
        typer.echo(f"{valid} {verb}, {report.rejected} rejected, {report.duplicates} duplicate(s) skipped")
    if report.rejected:
        raise typer.Exit(2)


@targets_app.command("export")
@handle_errors
def export(
    file_format: str = typer.Option(
        "csv", "--format", help="csv (the import's columns) or json (every field)"
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default: standard output)"
    ),
) -> None:
    """Export every candidate as CSV or JSON, in the formats that 'targets import' reads back.

    Example: sanctrack targets export --format json --output candidates.json
    """
    with unit_of_work() as session:
        text = bulk.export_targets(session, file_format)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output}")


@targets_app.command("dossier")
@handle_errors
def dossier_(
    target_id: int = typer.Argument(..., help="The candidate's id"),
    file_format: str = typer.Option("pdf", "--format", help="pdf or html"),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="File to write; '-' for standard output (default: "
        "candidate-ID-dossier.pdf, or standard output for html)",
    ),
) -> None:
    """Write a candidate's dossier: identity, rationale, evidence with citations, matches, status per authority.

    Example: sanctrack targets dossier 1 --format pdf --output fayyad-dossier.pdf
    """
    if file_format not in dossier.MEDIA_TYPES:
        raise fail(f"unknown format {file_format!r}; use pdf or html", 2)
    with unit_of_work() as session:
        body = dossier.render(session, target_id, file_format, generated_by=CLI.label)
    if output is None and file_format == "pdf":
        output = Path(dossier.filename(target_id, "pdf"))
    if output is None or str(output) == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        output.write_bytes(body)
        typer.echo(f"Wrote {output}")
