"""Coverage: which authorities list each candidate and which do not yet, the gap a nomination aims to close."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from app.alerts import coverage as theme_coverage
from app.auth.deps import SessionDep
from app.console.web import ConsoleRoute, ReaderDep, query_string, render
from app.targets import service
from app.targets.models import AUTHORITIES, PROGRAM_THEMES
from app.targets.router import present
from app.targets.standing import STANDINGS

router = APIRouter(route_class=ConsoleRoute)
MAX_ROWS = 5000
# The theme filter: "magnitsky" is human rights or corruption, the question this page is mostly asked.
THEME_CHOICES = [("magnitsky", "Magnitsky: human rights or corruption")] + [
    (theme, theme.replace("_", " ").capitalize()) for theme in PROGRAM_THEMES
]


@dataclass
class CoverageRow:
    id: int
    name: str
    kind: str
    programs: list[str]
    standing: dict[str, str]

    @property
    def listed_by(self) -> list[str]:
        return [a for a in AUTHORITIES if self.standing[a] == "listed"]

    @property
    def gaps(self) -> list[str]:
        """Authorities that have not listed a candidate another authority lists (as far as their loaded lists
        tell: an authority whose lists the service does not hold yet is no known gap)."""
        if not self.listed_by:
            return []
        return [a for a in AUTHORITIES if self.standing[a] == "not_listed"]


@dataclass
class CoverageFilters:
    program: str = ""
    authority: str = ""
    standing: str = ""
    gaps_only: bool = False
    theme: str = ""

    def params(self) -> dict[str, str]:
        out = {
            "program": self.program,
            "authority": self.authority,
            "standing": self.standing,
            "theme": self.theme,
        }
        if self.gaps_only:
            out["gaps"] = "1"
        return {k: v for k, v in out.items() if v}


def coverage_rows(db: Session, filters: CoverageFilters) -> list[CoverageRow]:
    items, _ = service.list_targets(db, program=filters.program or None, limit=MAX_ROWS)
    rows = [
        CoverageRow(id=t.id, name=t.name, kind=t.kind, programs=t.programs, standing=t.standing)
        for t in present(db, items)
    ]
    if filters.authority:
        wanted = filters.standing or "not_listed"
        rows = [r for r in rows if r.standing[filters.authority] == wanted]
    elif filters.standing:
        rows = [r for r in rows if filters.standing in r.standing.values()]
    if filters.gaps_only:
        rows = [r for r in rows if r.gaps and (not filters.authority or filters.authority in r.gaps)]
    return rows


def theme_rows(db: Session, filters: CoverageFilters) -> list[theme_coverage.ThemeCoverage]:
    """Each candidate's standing under the regimes of the chosen theme; the authority filter keeps the candidates
    that authority has not (yet) listed under such a regime."""
    items, _ = service.list_targets(db, program=filters.program or None, limit=MAX_ROWS)
    rows = theme_coverage.theme_coverage(db, items, theme_coverage.parse_themes(filters.theme))
    if filters.authority:
        rows = [r for r in rows if filters.authority in r.not_yet_by]
    if filters.gaps_only:
        rows = [r for r in rows if r.listed_by and r.not_yet_by]
    return rows


def _filters(program: str, authority: str, standing: str, gaps: str, theme: str = "") -> CoverageFilters:
    return CoverageFilters(
        program=program.strip()[:100],
        authority=authority if authority in AUTHORITIES else "",
        standing=standing if standing in STANDINGS else "",
        gaps_only=gaps in ("1", "on", "true"),
        theme=theme if theme in dict(THEME_CHOICES) else "",
    )


def _theme_page(request: Request, db: Session, filters: CoverageFilters) -> Response:
    rows = theme_rows(db, filters)
    themes = theme_coverage.parse_themes(filters.theme)
    table = theme_coverage.regimes(db, themes)
    authorities = [a for a in AUTHORITIES if a in table.of_theme]
    return render(
        request,
        "coverage.html",
        {
            "theme_rows": rows,
            "filters": filters,
            "theme_choices": THEME_CHOICES,
            "theme_authorities": authorities,
            "regimes": {a: table.of_theme[a] for a in authorities},
            "without_regime": [a for a in AUTHORITIES if a not in table.of_theme],
            "theme_totals": {a: sum(1 for r in rows if a in r.listed_by) for a in authorities},
            "authorities": AUTHORITIES,
            "standings": STANDINGS,
            "programs": service.list_programs(db),
            "csv_url": "/console/coverage.csv" + query_string(filters.params()),
        },
        section="coverage",
    )


@router.get("/coverage", summary="Which authorities list each candidate")
def coverage(
    request: Request,
    db: SessionDep,
    viewer: ReaderDep,
    program: str = "",
    authority: str = "",
    standing: str = "",
    gaps: str = "",
    theme: str = "",
) -> Response:
    filters = _filters(program, authority, standing, gaps, theme)
    if filters.theme:
        return _theme_page(request, db, filters)
    rows = coverage_rows(db, filters)
    totals = {a: sum(1 for r in rows if r.standing[a] == "listed") for a in AUTHORITIES}
    return render(
        request,
        "coverage.html",
        {
            "rows": rows,
            "filters": filters,
            "authorities": AUTHORITIES,
            "standings": STANDINGS,
            "totals": totals,
            "theme_choices": THEME_CHOICES,
            "programs": service.list_programs(db),
            "csv_url": "/console/coverage.csv" + query_string(filters.params()),
        },
        section="coverage",
    )


@router.get("/coverage.csv", summary="The coverage table as CSV")
def coverage_csv(
    db: SessionDep,
    viewer: ReaderDep,
    program: str = "",
    authority: str = "",
    standing: str = "",
    gaps: str = "",
    theme: str = "",
) -> Response:
    filters = _filters(program, authority, standing, gaps, theme)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    if filters.theme:
        _theme_csv(writer, theme_rows(db, filters))
        return _csv_response(out.getvalue())
    rows = coverage_rows(db, filters)
    writer.writerow(["id", "name", "kind", "programs", *AUTHORITIES, "listed_by", "not_yet_listed_by"])
    for r in rows:
        # A leading apostrophe stops a spreadsheet from running a name that starts like a formula.
        name = "'" + r.name if r.name.startswith(("=", "+", "-", "@")) else r.name
        writer.writerow(
            [
                r.id,
                name,
                r.kind,
                ";".join(r.programs),
                *(r.standing[a] for a in AUTHORITIES),
                ";".join(r.listed_by),
                ";".join(r.gaps),
            ]
        )
    return _csv_response(out.getvalue())


def _spreadsheet_safe(name: str) -> str:
    # A leading apostrophe stops a spreadsheet from running a name that starts like a formula.
    return "'" + name if name.startswith(("=", "+", "-", "@")) else name


def _theme_csv(writer: Any, rows: list[theme_coverage.ThemeCoverage]) -> None:
    authorities = [a.authority for a in rows[0].authorities] if rows else []
    writer.writerow(
        ["id", "name", "kind", "programs", "themes", *authorities, "listed_by", "not_yet_listed_by"]
    )
    for r in rows:
        writer.writerow(
            [
                r.target_id,
                _spreadsheet_safe(r.name),
                r.kind,
                ";".join(r.proposed_programs),
                ";".join(r.themes),
                *(a.standing for a in r.authorities),
                ";".join(r.listed_by),
                ";".join(r.not_yet_by),
            ]
        )


def _csv_response(text: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="coverage.csv"'},
    )
