"""Write app/matching/data/person_name_symbols.zip: the name symbols rigour's person tagger attaches, as a table.

Why: rigour tags a person's name with Wikidata given-name items (Volodymyr and Vladimir are both Q-something) by
an Aho-Corasick automaton it builds from its whole person-names corpus on the first call in each process: 10 s of
CPU holding the GIL. The API and the workers pay it once; ``sanctrack match NAME`` paid it on every call. The same
phrase → symbols mapping, looked up word by word from a table (``app/matching/name_symbols.py``), gives the same
symbols in milliseconds.

The corpus is not in rigour's wheel (it is compiled into the extension), so this reads it from rigour's source
distribution, the one of the installed version, from PyPI:

    curl -sLO https://files.pythonhosted.org/packages/.../rigour-2.6.1.tar.gz   # the URL: pypi.org/simple/rigour/
    .venv/bin/python bench/name_symbols_table.py rigour-2.6.1.tar.gz

It keeps what rigour's person tagger keeps (``rust/src/names/tagger.rs``, ``build_person_tagger``): every form of a
corpus line with at least two distinct forms once normalized, and the NAME entries of ``symbols.json``'s
``person_name_parts``; each form normalized as the tagger normalizes (casefold, then rigour's name tokenization).
Run it again after upgrading rigour: ``tests/matching/test_name_symbols.py`` compares the table with the tagger on
real listed names and fails when they part.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import zipfile
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

from rigour.text.normalize import Cleanup, Normalize, normalize

from app.matching.name_symbols import MAX_PHRASE_WORDS, SHARDS, TABLE_PATH, shard_of

# The tagger's flags (rust/src/names/analyze.rs, TAGGER_FLAGS).
TAGGER_FLAGS = Normalize.CASEFOLD | Normalize.NAME


def _member(archive: tarfile.TarFile, suffix: str) -> bytes:
    for member in archive.getmembers():
        if member.name.endswith(suffix):
            handle = archive.extractfile(member)
            if handle is not None:
                return handle.read()
    raise SystemExit(
        f"{suffix} is not in this archive: is it rigour's source distribution (rigour-X.Y.Z.tar.gz)?"
    )


def _norm(text: str) -> str | None:
    return normalize(text, TAGGER_FLAGS, Cleanup.Noop) or None


def build_table(sdist: Path) -> dict[str, set[str]]:
    """phrase (normalized as the tagger normalizes) → the NAME symbol ids rigour's person tagger gives it."""
    with tarfile.open(sdist) as archive:
        corpus = _member(archive, "rust/data/names/person_names.txt").decode("utf-8")
        symbols = json.loads(_member(archive, "rust/data/names/symbols.json"))
    table: dict[str, set[str]] = defaultdict(set)
    for key, aliases in symbols.get("person_name_parts", {}).items():
        for alias in aliases:
            phrase = _norm(alias)
            if phrase:
                table[phrase].add(key.upper())
    for line in corpus.splitlines():
        forms, sep, group = line.strip().rpartition(" => ")
        if not sep:
            continue
        phrases = {p for p in (_norm(form) for form in forms.split(", ")) if p}
        if len(phrases) < 2:  # one form mapped to itself matches nothing new: the tagger skips it too
            continue
        for phrase in phrases:
            table[phrase].add(group)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sdist", type=Path, help="rigour's source distribution, e.g. rigour-2.6.1.tar.gz")
    parser.add_argument("--out", type=Path, default=TABLE_PATH)
    args = parser.parse_args(argv)
    installed = version("rigour")
    if installed not in args.sdist.name:
        print(
            f"warning: the installed rigour is {installed}; the archive is {args.sdist.name}", file=sys.stderr
        )
    table = build_table(args.sdist)
    longest = max(len(phrase.split(" ")) for phrase in table)
    if longest > MAX_PHRASE_WORDS:
        raise SystemExit(
            f"a phrase of {longest} words: raise MAX_PHRASE_WORDS in app/matching/name_symbols.py"
        )
    shards: dict[str, list[str]] = defaultdict(list)
    for phrase, ids in table.items():
        shards[shard_of(phrase)].append(f"{phrase}\t{' '.join(sorted(ids))}")
    with zipfile.ZipFile(args.out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        # A fixed date: the same corpus writes the same bytes.
        stamp = (2000, 1, 1, 0, 0, 0)
        about = f"rigour {installed}: person-name phrases and their NAME symbols, by bench/name_symbols_table.py\n"
        archive.writestr(zipfile.ZipInfo("ABOUT", stamp), about)
        for member in sorted(f"{n:02d}.tsv" for n in range(SHARDS)):
            info = zipfile.ZipInfo(member, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, "\n".join(sorted(shards[member])), compresslevel=9)
    size = args.out.stat().st_size / 1e6
    print(
        f"{len(table):,} phrases (the longest {longest} words) in {SHARDS} shards → {args.out} ({size:.1f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
