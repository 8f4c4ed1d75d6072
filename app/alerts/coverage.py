"""Coverage by theme: which authorities list a candidate under a regime of some theme, and which have not yet.

The Magnitsky view is coverage by the themes ``human_rights`` and ``corruption``: for a candidate proposed for
GLOMAG, which of the authorities with a human-rights or anti-corruption law (US GLOMAG, UK Global Human Rights and
Global Anti-Corruption, EU Global Human Rights, Canada JVCFOR, Australia's thematic regimes) have used it on them,
and which have not yet.

Which regime has which theme is data: ``app/targets/programs.csv`` (the programs table), and
``app/targets/program_aliases.csv`` for the names a list writes a regime under when they are not the program's
code (the FCDO list names the UK regulations in full). A country programme (theme ``country``) counts only when
``country`` is asked for: Canada's settler-violence regulations have a human-rights purpose, but they are not its
Magnitsky law.

For each authority a candidate's standing under the theme is one of ``THEME_STANDINGS``:

- ``listed``: listed under one of the authority's regimes of the theme;
- ``listed_other``: listed, but only under regimes known to be of other themes (a gap for this theme);
- ``listed_unclassified``: listed under a programme the tables do not classify (no claim either way);
- ``delisted``: was listed under a regime of the theme, no longer;
- ``not_listed``: its list is loaded and does not list the candidate (a gap);
- ``no_list``: no list of this authority is loaded: not known, never "not yet".

An authority without any regime of the theme (the UN has no Magnitsky regime) is left out and named in
``without_regime``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import TargetAuthorityStatus
from app.errors import InvalidInput
from app.targets.models import AUTHORITIES, MAGNITSKY_THEMES, PROGRAM_THEMES, Program, Target
from app.targets.standing import followed_authorities

ALIASES_CSV = Path(__file__).resolve().parent.parent / "targets" / "program_aliases.csv"
THEME_STANDINGS = ("listed", "listed_other", "listed_unclassified", "delisted", "not_listed", "no_list")
GAP_STANDINGS = ("not_listed", "listed_other")
THEME_STANDING_LABELS = {
    "listed": "listed",
    "listed_other": "not yet (listed under other programs)",
    "listed_unclassified": "listed (program not classified)",
    "delisted": "delisted",
    "not_listed": "not yet",
    "no_list": "no list loaded",
}


def parse_themes(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"human_rights,corruption"`` (or a list, or ``magnitsky``) → the themes, checked; empty → the Magnitsky ones."""
    parts = value.split(",") if isinstance(value, str) else list(value or [])
    themes: list[str] = []
    for part in (p.strip().lower() for p in parts):
        if not part:
            continue
        if part == "magnitsky":
            themes += MAGNITSKY_THEMES
        elif part in PROGRAM_THEMES:
            themes.append(part)
        else:
            raise InvalidInput(
                f"unknown theme {part!r}; themes are {', '.join(PROGRAM_THEMES)} (or 'magnitsky' for "
                f"{' and '.join(MAGNITSKY_THEMES)})"
            )
    return tuple(dict.fromkeys(themes)) or MAGNITSKY_THEMES


@cache
def _aliases() -> dict[tuple[str, str], str]:
    with ALIASES_CSV.open(newline="", encoding="utf-8") as handle:
        return {(r["authority"], r["listed_as"].lower()): r["code"].lower() for r in csv.DictReader(handle)}


def _canonical(authority: str, program: str) -> str:
    return _aliases().get((authority, program.lower()), program.lower())


@dataclass(frozen=True)
class Regime:
    authority: str
    code: str
    name: str
    legal_basis: str
    themes: tuple[str, ...]


@dataclass
class Regimes:
    """The programs table, read once per request: the regimes of the asked themes, and every known code."""

    themes: tuple[str, ...]
    of_theme: dict[str, list[Regime]]  # authority -> its regimes of the themes
    known: set[tuple[str, str]]  # (authority, lower-case code) of every program

    def matching(self, authority: str, programs: Collection[str]) -> list[str]:
        codes = {r.code.lower(): r.code for r in self.of_theme.get(authority, [])}
        return [codes[c] for c in dict.fromkeys(_canonical(authority, p) for p in programs) if c in codes]

    def unclassified(self, authority: str, programs: Collection[str]) -> list[str]:
        return [p for p in programs if (authority, _canonical(authority, p)) not in self.known]


def regimes(session: Session, themes: Sequence[str]) -> Regimes:
    wanted = set(themes)
    of_theme: dict[str, list[Regime]] = {}
    known: set[tuple[str, str]] = set()
    for program in session.scalars(select(Program).order_by(Program.authority, Program.code)):
        known.add((program.authority, program.code.lower()))
        program_themes = set(program.themes)
        if program_themes & wanted and ("country" in wanted or "country" not in program_themes):
            of_theme.setdefault(program.authority, []).append(
                Regime(
                    program.authority,
                    program.code,
                    program.name,
                    program.legal_basis,
                    tuple(program.themes),
                )
            )
    return Regimes(tuple(themes), of_theme, known)


@dataclass
class AuthorityThemeStanding:
    authority: str
    standing: str  # one of THEME_STANDINGS
    regimes: list[Regime]  # the authority's regimes of the themes
    listed_under: list[str]  # of those, the ones the candidate is (or was, when delisted) listed under
    other_programs: list[str]  # programs the candidate is listed under that are not of the themes
    listed_on: dt.date | None = None
    delisted_on: dt.date | None = None

    @property
    def label(self) -> str:
        return THEME_STANDING_LABELS[self.standing]

    @property
    def is_gap(self) -> bool:
        return self.standing in GAP_STANDINGS


@dataclass
class ThemeCoverage:
    target_id: int
    name: str
    kind: str
    proposed_programs: list[str]
    themes: tuple[str, ...]
    authorities: list[AuthorityThemeStanding]
    without_regime: list[str] = field(default_factory=list)

    def _with(self, *standings: str) -> list[str]:
        return [a.authority for a in self.authorities if a.standing in standings]

    @property
    def listed_by(self) -> list[str]:
        return self._with("listed")

    @property
    def not_yet_by(self) -> list[str]:
        return self._with(*GAP_STANDINGS)

    @property
    def no_list_for(self) -> list[str]:
        return self._with("no_list")

    @property
    def summary(self) -> str:
        """One sentence: "Listed under a human-rights or anti-corruption regime by: US (GLOMAG) — not yet by: UK"."""
        listed = [
            f"{a.authority} ({', '.join(a.listed_under)})" for a in self.authorities if a.standing == "listed"
        ]
        parts = [f"listed under a {_theme_words(self.themes)} regime by: {', '.join(listed) or 'no one'}"]
        if self.not_yet_by:
            parts.append(f"not yet by: {', '.join(self.not_yet_by)}")
        if self.no_list_for:
            parts.append(f"no list loaded for: {', '.join(self.no_list_for)}")
        text = " — ".join(parts)
        return text[0].upper() + text[1:]


def _theme_words(themes: Sequence[str]) -> str:
    words = {
        "human_rights": "human-rights",
        "corruption": "anti-corruption",
        "terrorism": "counter-terrorism",
    }
    return " or ".join(words.get(t, t.replace("_", " ")) for t in themes)


def _standing(
    row: TargetAuthorityStatus | None, authority: str, table: Regimes, followed: Collection[str]
) -> AuthorityThemeStanding:
    own = table.of_theme[authority]
    programs = list(row.programs) if row else []
    under = table.matching(authority, programs)
    others = [p for p in programs if _canonical(authority, p) not in {u.lower() for u in under}]
    status = row.status if row else "not_listed"
    if status == "listed":
        if under:
            standing = "listed"
        elif table.unclassified(authority, programs):
            standing = "listed_unclassified"
        else:
            standing = "listed_other"
    elif status == "delisted" and under:
        standing = "delisted"
    else:
        standing = "not_listed" if authority in followed else "no_list"
    return AuthorityThemeStanding(
        authority=authority,
        standing=standing,
        regimes=own,
        listed_under=under,
        other_programs=others if status == "listed" else [],
        listed_on=row.listed_on if row and standing in ("listed", "delisted") else None,
        delisted_on=row.delisted_on if row and standing == "delisted" else None,
    )


def theme_coverage(
    session: Session,
    targets: Sequence[Target],
    themes: Sequence[str] = MAGNITSKY_THEMES,
    *,
    followed: Collection[str] | None = None,
) -> list[ThemeCoverage]:
    """Each candidate's standing, per authority with a regime of ``themes``, under those regimes (one query each
    for the programs, the loaded lists and the candidates' statuses)."""
    table = regimes(session, themes)
    followed = followed_authorities(session) if followed is None else followed
    statuses: dict[int, dict[str, TargetAuthorityStatus]] = {t.id: {} for t in targets}
    if targets:
        for row in session.scalars(
            select(TargetAuthorityStatus).where(TargetAuthorityStatus.target_id.in_(list(statuses)))
        ):
            statuses[row.target_id][row.authority] = row
    with_regime = [a for a in AUTHORITIES if a in table.of_theme]
    return [
        ThemeCoverage(
            target_id=target.id,
            name=target.name,
            kind=target.kind,
            proposed_programs=[p.code for p in target.programs],
            themes=table.themes,
            authorities=[_standing(statuses[target.id].get(a), a, table, followed) for a in with_regime],
            without_regime=[a for a in AUTHORITIES if a not in table.of_theme],
        )
        for target in targets
    ]
