"""Precision and recall of the people and organizations found in documents, against labels made by hand.

Each ``bench/documents/*.json`` names a document and the mentions a reader finds in it (see bench/README.md for how
they were labelled). A found mention is right when one of its names is one of a labelled mention's names, spelling
aside (case, particles such as al-, a final s, punctuation); each labelled mention counts once. Its kind (person,
organization) is scored apart. Two runs per document:

* ``text alone``: the proper-name extractor with no list loaded;
* ``with lists``: the same, plus the matching index of the real 2023-12-28 OFAC SDN and 2026-02-27 UN lists from
  ``SANCTRACK_SAMPLE_DATA`` used as a gazetteer (names the lists hold, however written), as the service does.

    .venv/bin/python bench/mentions.py            # both runs (about a minute: the lists are parsed first)
    .venv/bin/python bench/mentions.py --no-lists # the extractor alone, in a second
    .venv/bin/python bench/mentions.py --show     # also every miss and every wrong mention
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.documents.extract import extract  # noqa: E402
from app.documents.mentions import fold  # noqa: E402
from app.documents.service import locate  # noqa: E402
from app.lists.parsers import parse  # noqa: E402
from app.matching.index import MatchIndex  # noqa: E402

DOCUMENTS = ROOT / "bench" / "documents"
LISTS = (("ofac_sdn", "ofac_sdn/2023-12-28"), ("un_sc", "un/consolidated_2026-02-27.xml"))


@dataclass
class Score:
    found: int = 0
    right: int = 0
    labelled: int = 0
    recalled: int = 0
    kind_right: int = 0
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.labelled if self.labelled else 1.0

    def add(self, other: Score) -> None:
        for name in ("found", "right", "labelled", "recalled", "kind_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def score(found: list[dict], labelled: list[dict]) -> Score:
    keys = [{fold(n) for n in [m["name"], *m.get("also", [])]} for m in labelled]
    result = Score(found=len(found), labelled=len(labelled))
    hit: set[int] = set()
    for mention in found:
        names = {fold(n) for n in mention["names"]}
        match = next((i for i, k in enumerate(keys) if k & names), None)
        if match is None:
            result.wrong.append(f"{mention['names'][0]} ({mention['kind']})")
            continue
        result.right += 1
        if match not in hit:
            hit.add(match)
            result.kind_right += labelled[match]["kind"] == mention["kind"]
    result.recalled = len(hit)
    result.missed = [labelled[i]["name"] for i in range(len(labelled)) if i not in hit]
    return result


def lists_index(sample: Path) -> MatchIndex:
    index = MatchIndex()
    for source, relative in LISTS:
        publication = parse(source, sample / relative)
        for entry in publication.entries:
            index.add((source, entry.list_id), entry)
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-lists", action="store_true", help="only the extractor, no list loaded")
    parser.add_argument("--show", action="store_true", help="print every miss and every wrong mention")
    args = parser.parse_args(argv)
    sample = Path(os.environ.get("SANCTRACK_SAMPLE_DATA", ROOT.parent / "shared" / "data")).resolve()
    runs: list[tuple[str, MatchIndex]] = [("text alone", MatchIndex())]
    if not args.no_lists:
        started = time.perf_counter()
        runs.append(("with lists", lists_index(sample)))
        print(
            f"lists parsed and indexed: {len(runs[1][1]):,} entries in {time.perf_counter() - started:.0f}s"
        )
    for run, index in runs:
        total = {"tuning": Score(), "held out": Score()}
        print(f"\n{run}:")
        print(f"  {'document':<40} {'role':<9} {'found':>5} {'right':>5} {'labelled':>8} {'precision':>9} "
              f"{'recall':>6} {'kind':>5}")  # fmt: skip
        for label_file in sorted(DOCUMENTS.glob("*.json")):
            labels = json.loads(label_file.read_text(encoding="utf-8"))
            path = (label_file.parent / labels["document"]).resolve()
            if not path.exists():
                print(f"  {label_file.stem:<40} skipped: {path} is not there")
                continue
            text = extract(path.read_bytes(), path.name).text
            started = time.perf_counter()
            found = locate(text, index)
            elapsed = time.perf_counter() - started
            result = score(found, labels["mentions"])
            total[labels["role"]].add(result)
            print(
                f"  {label_file.stem:<40} {labels['role']:<9} {result.found:>5} {result.right:>5} "
                f"{result.labelled:>8} {result.precision:>9.2f} {result.recall:>6.2f} "
                f"{result.kind_right}/{result.recalled}  ({elapsed * 1000:.0f} ms)"
            )
            if args.show:
                for name in result.missed:
                    print(f"      missed: {name}")
                for name in result.wrong:
                    print(f"      not a labelled mention: {name}")
        for role, result in total.items():
            print(
                f"  {'all ' + role:<40} {'':<9} {result.found:>5} {result.right:>5} {result.labelled:>8} "
                f"{result.precision:>9.2f} {result.recall:>6.2f} {result.kind_right}/{result.recalled}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
