"""Write app/matching/data/territory_words.json: the one-word names of countries and regions rigour knows.

Why: the comparison takes two words naming one territory in two languages (SCHWEIZ, SWITZERLAND; MISR, EGYPT;
URDUN, JORDAN) as one word, by ``rigour.territories``. But rigour reads and indexes its whole territory data on
the first look-up in each process, 1.4 s of CPU that every CLI call, API process and worker would pay on its first
name. The table holds the same mapping for the names of one word, read in milliseconds.

Run it after upgrading rigour: ``.venv/bin/python bench/territory_words_table.py``.
``tests/matching/test_names.py`` checks the table against ``rigour.territories.lookup_territory``.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rigour.territories import lookup_territory  # noqa: E402

# rigour's territory data, name by name (it has no public listing of names): each territory's own names, strong
# and weak, and the places it lists in it (cities), which lookup_territory also gives the territory's code.
from rigour.territories.lookup import _load_territory_names  # noqa: E402
from rigour.territories.util import normalize_territory_name  # noqa: E402

from app.matching.tokens import TERRITORY_WORDS_FILE  # noqa: E402

# Shorter words are more often something else (AL, the Arabic article, is Albania's code).
MIN_LENGTH = 4
UNKNOWN = "zz"  # rigour's code of "no territory" (GLOBAL names it)


def territory_words() -> dict[str, str]:
    """Each territory's own one-word names, never its places: TEHRAN is no other name of IRAN, nor EDINBURGH of
    GLASGOW, though rigour's look-up gives each city its country or region."""
    names = set()
    for _, strong, weak, _places in _load_territory_names():
        names.update(normalize_territory_name(name) for name in (*strong, *weak))
    words = {}
    for name in sorted(names):
        if " " in name or not name.isalpha() or len(name) < MIN_LENGTH:
            continue
        found = lookup_territory(name)
        if found is not None and found.code != UNKNOWN:
            words[name] = found.code
    return words


def main() -> int:
    words = territory_words()
    data = {"rigour": version("rigour"), "min_length": MIN_LENGTH, "words": words}
    TERRITORY_WORDS_FILE.write_text(
        json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"wrote {TERRITORY_WORDS_FILE}: {len(words)} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
