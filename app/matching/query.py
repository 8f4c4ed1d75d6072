"""What is screened against the lists: a candidate target, or any record with a name."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.lists.records import Entry
from app.matching.names import NameForm, name_variants, parse_name


@dataclass(kw_only=True)
class MatchQuery:
    """A record to screen. ``names[0]`` is the main name, the others are aliases.

    ``kind`` is an Entry kind (person, organization, vessel, aircraft, other) or None when unknown;
    ``birth_dates`` are ISO partial dates or ranges like Entry's ("1956-03-27", "1956-03", "1956", "1950/1955");
    ``nationalities`` are ISO 3166-1 alpha-2 codes; ``identifiers`` are (type or None, value) pairs.
    """

    names: list[str]
    kind: str | None = None
    birth_dates: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    identifiers: list[tuple[str | None, str]] = field(default_factory=list)

    def name_forms(self) -> list[NameForm]:
        """The parsed names, without empty ones and duplicates (parsing is cached per name and kind)."""
        forms: list[NameForm] = []
        seen: set[str] = set()
        for written in self.names:
            if not written or not written.strip():
                continue
            # A bracket in a query qualifies the name ("AIR FORCE, IRGC (PASDARAN)"): the name is also tried
            # without it, never reduced to it.
            for name in name_variants(written, parts=False):
                if name in seen:
                    continue
                seen.add(name)
                form = parse_name(name, self.kind)
                if form.tokens:
                    forms.append(form)
        return forms

    @classmethod
    def from_entry(cls, entry: Entry, include_weak: bool = True) -> MatchQuery:
        """Screen one listed entry against others (lists against lists, or a list against the targets)."""
        names = [n.full for n in entry.names if include_weak or n.quality != "weak"]
        return cls(
            names=names,
            kind=entry.kind,
            birth_dates=list(entry.birth_dates),
            nationalities=sorted({*entry.nationalities, *entry.citizenships}),
            identifiers=[(i.type, i.value) for i in entry.identifiers],
        )
