"""Coverage: which authorities list each candidate and which do not yet, the gap a nomination aims to close."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from app.auth.deps import SessionDep
from app.console.web import ConsoleRoute, ReaderDep, query_string, render
from app.targets import service
from app.targets.models import AUTHORITIES
from app.targets.router import present
from app.targets.standing import STANDINGS

router = APIRouter(route_class=ConsoleRoute)
MAX_ROWS = 5000


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

    def params(self) -> dict[str, str]:
        out = {"program": self.program, "authority": self.authority, "standing": self.standing}
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


def _filters(program: str, authority: str, standing: str, gaps: str) -> CoverageFilters:
    return CoverageFilters(
        program=program.strip()[:100],
        authority=authority if authority in AUTHORITIES else "",
        standing=standing if standing in STANDINGS else "",
        gaps_only=gaps in ("1", "on", "true"),
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
) -> Response:
    filters = _filters(program, authority, standing, gaps)
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
) -> Response:
    rows = coverage_rows(db, _filters(program, authority, standing, gaps))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
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
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="coverage.csv"'},
    )
