"""``sanctrack screen``: screening candidates against every current list entry (apart from ``sanctrack match``,
which only searches and so imports less)."""

from __future__ import annotations

import typer
from rich.console import Console

from app.cli_support import emit_json, handle_errors, unit_of_work
from app.matching import service

stderr = Console(stderr=True)


@handle_errors
def screen(
    target: list[int] = typer.Option([], "--target", help="Only this candidate id (repeatable)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Screen candidates against every current list entry and record links for review.

    Example: sanctrack screen --json
    """
    with stderr.status("screening") as status, unit_of_work() as session:
        result = service.screen(
            session,
            target_ids=target or None,
            progress=lambda n, total: status.update(f"screening {n}/{total} candidates"),
        )
    out = result.to_json()
    if as_json:
        emit_json(out)
        return
    typer.echo(
        f"screened {out['targets']} candidate(s) against {out['entries']:,} entries: "
        f"{out['links_new']} new link(s), {out['suggested']} to review, {out['auto']} automatic, "
        f"{out['reopened']} re-opened"
    )
