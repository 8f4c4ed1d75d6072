from __future__ import annotations

import typer
from rich.console import Console

from app.cli_support import emit_json, handle_errors, unit_of_work
from app.config import get_settings
from app.matching import search
from app.matching.query import MatchQuery
from app.matching.schemas import MatchQueryIn

stderr = Console(stderr=True)


@handle_errors
def match(
    name: str = typer.Argument(..., help="The name to look for, in any spelling or script"),
    alias: list[str] = typer.Option([], "--alias", help="Another name of the same person (repeatable)"),
    dob: list[str] = typer.Option([], "--dob", help="Date of birth: YYYY-MM-DD, YYYY-MM or YYYY"),
    country: list[str] = typer.Option([], "--country", help="Nationality, ISO code (repeatable)"),
    kind: str | None = typer.Option(None, "--kind", help="person, organization, vessel, aircraft"),
    threshold: float | None = typer.Option(
        None, "--threshold", help="Score needed for a match (default: setting)"
    ),
    limit: int = typer.Option(5, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Match one name against every current list entry, best first, and explain each score.

    Example: sanctrack match "Faleh al-Fayyad" --dob 1956 --country IQ
    """
    checked = MatchQueryIn(name=name, aliases=alias, birth_dates=dob, nationalities=country, kind=kind)
    query = MatchQuery(
        kind=checked.kind,
        names=[checked.name, *checked.aliases],
        birth_dates=checked.birth_dates,
        nationalities=checked.nationalities,
        identifiers=[],
    )
    threshold = get_settings().match_threshold if threshold is None else threshold
    with stderr.status("loading the match index"), unit_of_work() as session:
        loaded = search.index_for_search(
            session
        )  # opened from its lookup file: reads only what the search needs
    hits = search.match(query, threshold=threshold, limit=limit, loaded=loaded)
    rows = [
        {
            "source": h.source,
            "list_id": h.list_id,
            "name": h.name,
            "score": h.score,
            "match": h.match,
            "explanation": h.explanation,
        }
        for h in hits
    ]
    if as_json:
        emit_json(
            {
                "query": name,
                "threshold": threshold,
                "snapshots": loaded.snapshots,
                "index": loaded.origin,
                "results": rows,
            }
        )
        return
    if not rows:
        typer.echo("no candidates found (are lists loaded? see 'sanctrack lists status')")
    for r in rows:
        names = r["explanation"].get("names", {})
        typer.echo(
            f"{r['score']:.3f} {'MATCH' if r['match'] else '     '} {r['source']}:{r['list_id']:<10} "
            f"{r['name']}   (met '{names.get('entry', '?')}')"
        )
