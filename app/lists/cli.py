from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console

from app.background import background
from app.cli_support import emit_json, fail, handle_errors, unit_of_work
from app.context import CLI
from app.lists import service
from app.lists.fetch import FetchError
from app.lists.records import SOURCES
from app.pipeline import (
    RetryLater,
    accept_held_snapshot,
    execute_refresh,
    list_runs,
    request_refresh,
    run_json,
)

lists_app = typer.Typer(
    help="Official lists: ingest publications, review held ones, see changes.", no_args_is_help=True
)
stderr = Console(stderr=True)


def _print_result(out: dict, as_json: bool) -> None:
    if as_json:
        emit_json(out)
        return
    line = (
        f"{out['source']}: {out['status']}  snapshot={out['snapshot_id']}  entries={out['entries']:,}  "
        f"added={out['added']:,} removed={out['removed']:,} amended={out['amended']:,}"
    )
    typer.echo(line)
    if out.get("unmapped"):
        typer.echo(
            "  kept aside (could not map): "
            + ", ".join(f"{k}={v}" for k, v in sorted(out["unmapped"].items()))
        )
    if out.get("reason"):
        typer.echo(f"  reason: {out['reason']}")


@lists_app.command("ingest")
@handle_errors
def ingest(
    source: str = typer.Argument(..., help=f"One of: {', '.join(SOURCES)}"),
    location: str = typer.Argument(..., help="A file, a folder (OFAC CSV set), a zip, or an http(s) URL"),
    published: str | None = typer.Option(
        None, "--published", help="Publication date YYYY-MM-DD, when the file does not say (the OFAC CSV set)"
    ),
    accept_removals: bool = typer.Option(
        False, "--accept-removals", help="Apply even if it removes more than the allowed share of entries"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Ingest one publication of a list: snapshot it, compare it with the current one, record the changes.

    Example: sanctrack lists ingest ofac_sdn ../shared/data/ofac_sdn/2023-12-28 --published 2023-12-28 --json

    Example: sanctrack lists ingest ca_sema ../shared/data/canada/sema_c2025-05.xml
    """
    published_on = dt.date.fromisoformat(published) if published else None
    with stderr.status(f"{source}: starting") as status, unit_of_work() as session:

        def progress(message: str) -> None:
            status.update(f"{source}: {message}")

        def on_bytes(done: int, total: int | None) -> None:
            size = f"{done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f} MB" if total else "")
            status.update(f"{source}: downloading {size}")

        try:
            if location.startswith(("http://", "https://")):
                result = service.ingest_url(
                    session,
                    source,
                    location,
                    published=published_on,
                    allow_mass_removal=accept_removals,
                    actor=CLI,
                    progress=progress,
                    on_bytes=on_bytes,
                )
            else:
                result = service.ingest_path(
                    session,
                    source,
                    Path(location),
                    published=published_on,
                    allow_mass_removal=accept_removals,
                    actor=CLI,
                    progress=progress,
                )
        except FetchError as exc:
            raise fail(str(exc)) from None
    _print_result(result.to_json(), as_json)
    if result.status == "rejected":
        raise typer.Exit(3)


@lists_app.command("accept")
@handle_errors
def accept(
    snapshot_id: int = typer.Argument(..., help="A held snapshot's id (see 'sanctrack lists status')"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Accept a held publication (one that removes many entries at once) after checking it is genuine.

    Example: sanctrack lists accept 2
    """
    with stderr.status(f"applying snapshot {snapshot_id}") as status, unit_of_work() as session:
        # Through the pipeline: what the publication changed is screened, so its designations are alerted too.
        result = accept_held_snapshot(session, snapshot_id, CLI, progress=lambda m: status.update(m))
    _print_result(result.to_json(), as_json)


@lists_app.command("status")
@handle_errors
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Show every followed list: current snapshot, freshness, held publications, last run.

    Example: sanctrack lists status
    """
    with unit_of_work() as session:
        sources = service.list_sources(session)
    if as_json:
        emit_json(sources)
        return
    for s in sources:
        snap = s["current_snapshot"]
        if snap is None:
            typer.echo(f"{s['source']:<10} no snapshot yet")
            continue
        age = dt.timedelta(seconds=s["freshness_seconds"] or 0)
        typer.echo(
            f"{s['source']:<10} snapshot {snap['id']} published {snap['published_on'] or '?'}  "
            f"{snap['entries']:,} entries  applied {str(age).split('.')[0]} ago"
            + (f"  HELD: {s['held_snapshots']}" if s["held_snapshots"] else "")
        )


@lists_app.command("changes")
@handle_errors
def changes(
    source: str = typer.Argument(...),
    snapshot_id: int | None = typer.Option(None, "--snapshot", help="Only this publication's changes"),
    kind: str | None = typer.Option(None, "--kind", help="added, removed or amended"),
    limit: int = typer.Option(100, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List the changes a publication made to a list, with field-level diffs.

    Example: sanctrack lists changes ofac_sdn --kind amended --limit 20
    """
    with unit_of_work() as session:
        rows = [
            {
                "id": c.id,
                "snapshot_id": c.snapshot_id,
                "list_id": c.list_id,
                "name": c.name,
                "kind": c.kind,
                "diff": c.diff,
            }
            for c in service.list_changes(session, source, kind=kind, snapshot_id=snapshot_id, limit=limit)
        ]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        fields = ", ".join(sorted(r["diff"])) if r["diff"] else ""
        typer.echo(f"{r['snapshot_id']:>4} {r['kind']:<8} {r['list_id']:<12} {r['name']}  {fields}")


@lists_app.command("refresh")
@handle_errors
def refresh(
    source: str = typer.Argument(..., help=f"One of: {', '.join(SOURCES)}"),
    url: str | None = typer.Option(None, "--url", help="Download from here instead of the configured URL"),
    queue: bool = typer.Option(
        False, "--queue", help="Hand it to the background workers instead of running here"
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Refresh a list now: download (conditional GET), ingest, screen what changed, alert subscribers.

    Example: sanctrack lists refresh ofac_sdn

    Example: sanctrack lists refresh au_dfat --queue
    """
    with unit_of_work() as session:
        run_id = request_refresh(session, source, trigger="cli", actor=CLI, url=url).id
    if queue:
        background().refresh_soon(run_id)
        typer.echo(f"queued run {run_id}; follow it with 'sanctrack lists runs'")
        return
    with stderr.status(f"{source}: refreshing") as status:
        try:
            out = execute_refresh(
                run_id, final_attempt=True, progress=lambda m: status.update(f"{source}: {m}")
            )
        except RetryLater as exc:
            raise fail(f"{exc}; try again in a minute") from None
    if as_json:
        emit_json(out)
    else:
        counts = out.get("counts") or {}
        typer.echo(
            f"run {out['id']}: {out['status']}  snapshot={out['snapshot_id']}  "
            f"added={counts.get('added', 0)} removed={counts.get('removed', 0)} "
            f"amended={counts.get('amended', 0)}" + (f"\n  {out['error']}" if out.get("error") else "")
        )
    if out["status"] == "failed":
        raise typer.Exit(1)
    if out["status"] == "rejected":
        raise typer.Exit(3)


@lists_app.command("runs")
@handle_errors
def runs(
    source: str | None = typer.Option(None, "--source"),
    limit: int = typer.Option(20, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show recent refresh and screening runs, newest first.

    Example: sanctrack lists runs --source ofac_sdn
    """
    with unit_of_work() as session:
        rows = [run_json(r) for r in list_runs(session, source=source, limit=limit)]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        typer.echo(
            f"{r['id']}  {r['kind']:<9} {r['source'] or '-':<10} {r['status']:<9} {r['created_at']:%Y-%m-%d %H:%M}"
            + (f"  {r['error']}" if r["error"] else "")
        )
