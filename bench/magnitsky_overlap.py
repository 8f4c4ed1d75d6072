"""Who else lists Canada's Magnitsky (JVCFOR) listings, and under which kind of law: a figure for the Magnitsky view.

Run from the repository root::

    .venv/bin/python bench/magnitsky_overlap.py

It reads the real files of ``SANCTRACK_SAMPLE_DATA`` with the service's parsers only (no database, no matcher): the
Canadian list (May 2025), OFAC SDN 2023-12-28, the UK OFSI ConList 2025-04-14 and Australia's DFAT list 2024-12-17.
A JVCFOR listing counts as listed by another authority when one of its names, as a set of words (case, accents and
commas aside), is a name of that authority's entry: exact, so a lower bound (a respelling is missed). Each such
entry is then classified by the themes of its programs (``app/targets/programs.csv``): a Magnitsky-type regime
(human rights or corruption, not a country programme), or another program only. This is the question the Magnitsky
view answers per candidate, asked here of every person Canada listed under its Magnitsky law.
"""

from __future__ import annotations

import csv
import os
import unicodedata
from pathlib import Path

from app.lists.parsers import parse
from app.lists.records import Entry
from app.targets.service import PROGRAMS_CSV

DATA = Path(os.environ.get("SANCTRACK_SAMPLE_DATA", "../shared/data"))
OTHERS = {
    "OFAC": ("ofac_sdn", DATA / "ofac_sdn" / "2023-12-28"),
    "UK": ("uk", DATA / "uk" / "ofsi_conlist_2025-04-14.xlsx"),
    "AU": ("au_dfat", DATA / "australia" / "dfat_consolidated_c2024-12-17.xlsx"),
}


def name_key(name: str) -> frozenset[str]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    return frozenset(folded.replace(",", " ").split())


def magnitsky_codes(authority: str) -> set[str]:
    with PROGRAMS_CSV.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["authority"] == authority]
    themes = {r["code"]: set(r["theme"].split(";")) for r in rows}
    return {code for code, t in themes.items() if t & {"human_rights", "corruption"} and "country" not in t}


def by_name(entries: list[Entry]) -> dict[frozenset[str], list[Entry]]:
    index: dict[frozenset[str], list[Entry]] = {}
    for entry in entries:
        for name in entry.names:
            index.setdefault(name_key(name.full), []).append(entry)
    return index


def main() -> None:
    canada = parse("ca_sema", DATA / "canada" / "sema_c2025-05.xml")
    jvcfor = [e for e in canada.entries if "JVCFOR" in e.programs]
    print(f"Canada JVCFOR listings: {len(jvcfor)} (of {len(canada.entries):,} Canadian entries)")
    print(f"{'authority':<10}{'listed':>8}{'under its Magnitsky law':>26}{'other programs only':>22}")
    for authority, (source, path) in OTHERS.items():
        index = by_name(parse(source, path).entries)
        codes = {c.lower() for c in magnitsky_codes(authority)}
        listed = thematic = 0
        for entry in jvcfor:
            found = {id(e): e for n in entry.names for e in index.get(name_key(n.full), [])}.values()
            if not found:
                continue
            listed += 1
            thematic += any(p.lower() in codes for e in found for p in e.programs)
        print(f"{authority:<10}{listed:>8}{thematic:>26}{listed - thematic:>22}")


if __name__ == "__main__":
    main()
