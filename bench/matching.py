"""The matching evaluation: the matcher on real labelled queries (bench/matching_pairs.py), next to nomenklatura's
logic-v2 (the yente algorithm) on the same queries and the same candidate entries.

Run from the repository root::

    .venv/bin/python -m bench.matching                  # the frozen TEST split, with logic-v2 (a few minutes)
    .venv/bin/python -m bench.matching --split dev      # the split to tune on (train: the one to train on)
    .venv/bin/python -m bench.matching --quick          # without logic-v2
    .venv/bin/python -m bench.matching --dump /tmp/q.jsonl   # also every query with each matcher's results

The queries, their sets and the split are described in bench/matching_pairs.py. Each query runs against its own
corpus (an index built from it). Headline figures use the headline sets only (``HEADLINE_SETS``): real pairs and
real negatives. The ``*_other`` sets (names sharing little with any name the answer still has) and the
rule-generated ``regression`` set are reported on their own lines.

Counting, per query, of the results at or above a threshold (at most 10):

* positive query: the answer among them is a true positive (recall = queries whose answer is among them / positive
  queries); each other entry of the answer's source is a false alert, except namesakes (entries bearing the same
  name words as the query or the answer: no name query can tell them apart); entries of another source are not
  counted (the ``all`` corpus holds the same person on several lists);
* negative query: every result is a false alert, a "false suggestion" at the review threshold.

Precision = true positives / (true positives + false alerts on positive and negative queries); F1 from precision
and recall. Thresholds come from the matcher: ``DEFAULT_THRESHOLD`` (match), ``REVIEW_THRESHOLD`` (or the
service's ``match_threshold`` setting where the matcher has none) and ``AUTO_LINK_THRESHOLD``. A false auto-link
is a false alert at or above the auto-link threshold, on any set. Retrieval recall: the answer among
``MatchIndex.candidates(query)`` (the index's candidate step, before scoring). The reliability table puts every
counted result at or above ``FLOOR`` in a score decile and gives the fraction that is the answer.

logic-v2 scores the ``LOGIC_V2_CANDIDATES`` entries ``MatchIndex.candidates(query, cap=50, broad=True)`` returns;
its latency is that of scoring them. ``f1_on(split)`` gives the headline F1 for an ablation line.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import random
import statistics
import sys
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import get_settings  # noqa: E402
from app.lists.records import Entry  # noqa: E402
from app.matching import index as index_module  # noqa: E402
from app.matching.index import MatchIndex  # noqa: E402
from app.matching.query import MatchQuery  # noqa: E402
from bench.matching_pairs import (  # noqa: E402
    HEADLINE_SETS,
    NEGATIVE_SETS,
    OTHER_SETS,
    REGRESSION_SETS,
    EvalData,
    EvalQuery,
    SampleDataMissing,
    load_eval,
)

try:  # the bench extra: .venv/bin/pip install -e ".[bench]"
    from followthemoney import model as ftm_model
    from nomenklatura.matching import get_algorithm
    from nomenklatura.matching.types import ScoringConfig
except ImportError:  # logic-v2 is then reported as not available
    ftm_model = None

LIMIT = 10  # results per query
FLOOR = 0.3  # results scored down to this, for the reliability table and threshold sweeps
LOGIC_V2_CANDIDATES = 50
LOGIC_V2_THRESHOLD = 0.7  # yente's default match threshold
MAX_PER_SET = 500  # queries per set at most in one run (a seeded sample), to keep a run within a few minutes
SAMPLE_SEED = 20261205
SCREENING_RECORDS = 1000

Key = tuple[str, str]


def thresholds() -> tuple[float, float, float]:
    """(match, review, auto-link) of the matcher being measured."""
    match = index_module.DEFAULT_THRESHOLD
    review = getattr(index_module, "REVIEW_THRESHOLD", get_settings().match_threshold)
    return match, review, index_module.AUTO_LINK_THRESHOLD


# ---------------------------------------------------------------------------------------------------------------
# logic-v2


class LogicV2:
    """nomenklatura's logic-v2 on sanctrack entries and queries (converted to followthemoney entities)."""

    SCHEMA = {"person": "Person", "organization": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
    NAME_PROP = {"strong": "alias", "weak": "weakAlias", "former": "previousName"}
    ID_PROP = {
        "passport": "passportNumber",
        "national_id": "idNumber",
        "tax_id": "taxNumber",
        "imo": "imoNumber",
        "swift_bic": "swiftBic",
        "registration": "registrationNumber",
    }

    def __init__(self) -> None:
        if ftm_model is None:
            raise RuntimeError("nomenklatura is not installed (the bench extra)")
        self.algorithm = get_algorithm("logic-v2")
        if self.algorithm is None:
            raise RuntimeError("nomenklatura has no logic-v2 algorithm")
        self.config = ScoringConfig.defaults()
        self.entities: dict[int, tuple[Entry, object]] = {}

    def _entity(
        self,
        ident: str,
        kind: str | None,
        names: list[tuple[str, str]],
        dates: list[str],
        countries: list[str],
        identifiers: list[tuple[str | None, str]],
    ):
        schema = ftm_model.get(self.SCHEMA.get(kind or "", "LegalEntity"))
        entity = ftm_model.make_entity(schema)
        entity.id = ident
        for i, (full, quality) in enumerate(names):
            prop = "name" if i == 0 else self.NAME_PROP.get(quality, "alias")
            entity.add(prop, full, quiet=True)
        for value in dates:
            for part in value.split("/"):
                entity.add("birthDate", part, quiet=True)
        for code in countries:
            entity.add("nationality" if schema.is_a("Person") else "country", code.lower(), quiet=True)
        for id_type, value in identifiers:
            default = "registrationNumber" if not schema.is_a("Person") else "idNumber"
            entity.add(self.ID_PROP.get(id_type or "", default), value, quiet=True)
        return entity

    def entry_entity(self, key: Hashable, entry: Entry):
        # Per entry object, not per key: corpora hold different versions of the same entries.
        cached = self.entities.get(id(entry))
        if cached is not None and cached[0] is entry:
            return cached[1]
        entity = self._entity(
            f"{key[0]}-{key[1]}",
            entry.kind,
            [(n.full, n.quality) for n in entry.names],
            entry.birth_dates,
            [*entry.nationalities, *entry.citizenships],
            [(i.type, i.value) for i in entry.identifiers],
        )
        self.entities[id(entry)] = (entry, entity)
        return entity

    def query_entity(self, query: MatchQuery, ident: str):
        return self._entity(
            ident,
            query.kind,
            [(n, "strong") for n in query.names],
            query.birth_dates,
            query.nationalities,
            query.identifiers,
        )

    def score(self, query_entity, candidates: list[tuple[Hashable, Entry]]) -> list[tuple[Hashable, float]]:
        return [
            (
                key,
                float(self.algorithm.compare(query_entity, self.entry_entity(key, entry), self.config).score),
            )
            for key, entry in candidates
        ]


# ---------------------------------------------------------------------------------------------------------------
# Running


@dataclass
class Outcome:
    query: EvalQuery
    results: list[tuple[Hashable, float]]  # (entry key, score), best first, scores >= the run's floor
    seconds: float = 0.0


def sample(queries: list[EvalQuery], max_per_set: int | None) -> list[EvalQuery]:
    """At most ``max_per_set`` queries of each set, the same ones every run (seeded, by id)."""
    by_set: dict[str, list[EvalQuery]] = {}
    for q in sorted(queries, key=lambda q: q.id):
        by_set.setdefault(q.set, []).append(q)
    out = []
    for name in sorted(by_set):
        chosen = by_set[name]
        if max_per_set is not None and len(chosen) > max_per_set:
            chosen = sorted(
                random.Random(f"{SAMPLE_SEED}|{name}").sample(chosen, max_per_set), key=lambda q: q.id
            )
        out += chosen
    return out


def build_indexes(data: EvalData, queries: Iterable[EvalQuery]) -> dict[str, MatchIndex]:
    needed = sorted({q.corpus for q in queries} | {"all"})
    return {name: MatchIndex(data.corpora[name]) for name in needed if name in data.corpora}


def run_ours(
    indexes: dict[str, MatchIndex], queries: list[EvalQuery], threshold: float, use_attrs: bool
) -> list[Outcome]:
    out = []
    for q in queries:
        query = q.with_attrs if use_attrs else q.query
        start = time.perf_counter()
        results = indexes[q.corpus].search(query, limit=LIMIT, threshold=threshold)
        elapsed = time.perf_counter() - start
        out.append(Outcome(q, [(key, result.score) for key, _, result in results], elapsed))
    return out


def lv2_candidates(index: MatchIndex, query: MatchQuery) -> list[tuple[Hashable, Entry]]:
    return index.candidates(query, cap=LOGIC_V2_CANDIDATES, broad=True)[:LOGIC_V2_CANDIDATES]


def run_logic_v2(
    lv2: LogicV2, indexes: dict[str, MatchIndex], queries: list[EvalQuery], use_attrs: bool
) -> list[Outcome]:
    out = []
    for n, q in enumerate(queries):
        query = q.with_attrs if use_attrs else q.query
        candidates = lv2_candidates(indexes[q.corpus], query)
        start = time.perf_counter()
        scored = lv2.score(lv2.query_entity(query, f"q{n}"), candidates)
        elapsed = time.perf_counter() - start
        scored.sort(key=lambda x: -x[1])
        out.append(Outcome(q, [(k, s) for k, s in scored if s >= FLOOR][:LIMIT], elapsed))
    return out


def retrieval(indexes: dict[str, MatchIndex], queries: list[EvalQuery]) -> dict[str, bool]:
    """Per positive query id: whether the index's candidate step brings its answer."""
    out = {}
    for q in queries:
        if q.expected is not None:
            out[q.id] = any(key == q.expected for key, _ in indexes[q.corpus].candidates(q.query))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Counting


def wrong(q: EvalQuery, key: Hashable) -> bool:
    """Whether a result is a false alert for this query (see the module docstring)."""
    if q.expected is None:
        return True
    return key != q.expected and key[0] == q.expected[0] and key not in q.namesakes


@dataclass
class Metrics:
    tp: int = 0
    fp: int = 0
    found: int = 0
    positives: int = 0
    negatives: int = 0
    negatives_alerted: int = 0
    negative_alerts: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_suggestions_per_100(self) -> float:
        return 100 * self.negative_alerts / self.negatives if self.negatives else 0.0


def measure(outcomes: Iterable[Outcome], threshold: float, sets: Iterable[str]) -> Metrics:
    sets = set(sets)
    m = Metrics()
    for o in outcomes:
        q = o.query
        if q.set not in sets:
            continue
        alerts = [k for k, s in o.results if s >= threshold][:LIMIT]
        false_alerts = sum(1 for k in alerts if wrong(q, k))
        m.fp += false_alerts
        if q.expected is None:
            m.negatives += 1
            m.negative_alerts += false_alerts
            m.negatives_alerted += bool(alerts)
        else:
            m.positives += 1
            hit = q.expected in alerts
            m.found += hit
            m.tp += hit
    return m


def false_auto_links(
    outcomes: Iterable[Outcome], auto_link: float
) -> list[tuple[float, EvalQuery, Hashable]]:
    out = [(s, o.query, k) for o in outcomes for k, s in o.results if s >= auto_link and wrong(o.query, k)]
    return sorted(out, key=lambda x: -x[0])


def reliability(outcomes: Iterable[Outcome], sets: Iterable[str]) -> list[tuple[float, int, int, float]]:
    """(decile floor, results, correct, mean score) for the counted results at or above FLOOR."""
    sets = set(sets)
    bins: dict[int, list[tuple[float, bool]]] = {}
    for o in outcomes:
        q = o.query
        if q.set not in sets:
            continue
        for key, score in o.results:
            correct = q.expected is not None and key == q.expected
            if not correct and not wrong(q, key):
                continue  # a namesake, or another source's entry: not counted
            bins.setdefault(min(int(score * 10), 9), []).append((score, correct))
    return [
        (d / 10, len(rows), sum(c for _, c in rows), statistics.fmean(s for s, _ in rows))
        for d, rows in sorted(bins.items())
    ]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


# ---------------------------------------------------------------------------------------------------------------
# Reporting


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def headline_row(
    label: str, outcomes: list[Outcome], match: float, review: float, auto_link: float
) -> list[str]:
    m = measure(outcomes, match, HEADLINE_SETS)
    r = measure(outcomes, review, HEADLINE_SETS)
    return [
        label,
        f"{m.precision:.3f}",
        f"{m.recall:.3f}",
        f"{m.f1:.3f}",
        f"{r.recall:.3f}",
        f"{r.false_suggestions_per_100:.1f}",
        str(len(false_auto_links(outcomes, auto_link))),
    ]


def set_rows(
    outcomes: list[Outcome], retrieved: dict[str, bool], match: float, review: float, sets: Iterable[str]
) -> list[list[str]]:
    rows = []
    for name in sets:
        mine = [o for o in outcomes if o.query.set == name]
        if not mine:
            continue
        m = measure(mine, match, {name})
        r = measure(mine, review, {name})
        if name in NEGATIVE_SETS:
            rows.append(
                [
                    name,
                    str(len(mine)),
                    "-",
                    "-",
                    "-",
                    str(m.fp),
                    f"{r.false_suggestions_per_100:.1f}",
                    f"{m.negatives_alerted}",
                ]
            )
            continue
        got = [retrieved[o.query.id] for o in mine if o.query.id in retrieved]
        rows.append(
            [
                name,
                str(len(mine)),
                f"{m.recall:.3f}",
                f"{r.recall:.3f}",
                f"{sum(got) / len(got):.3f}" if got else "-",
                str(m.fp),
                "-",
                "-",
            ]
        )
    return rows


# ---------------------------------------------------------------------------------------------------------------
# The run


@dataclass
class Run:
    split: str
    queries: list[EvalQuery]
    indexes: dict[str, MatchIndex]
    build_seconds: float
    timed: list[Outcome] = field(default_factory=list)  # names only, at the match threshold, timed
    ours: dict[str, list[Outcome]] = field(default_factory=dict)  # "names" / "attrs" -> outcomes at FLOOR
    lv2: dict[str, list[Outcome]] = field(default_factory=dict)
    retrieved: dict[str, bool] = field(default_factory=dict)


def prepare(split: str, max_per_set: int | None) -> tuple[EvalData, Run]:
    data = load_eval(split)
    queries = sample(data.queries, max_per_set)
    gc.collect()
    start = time.perf_counter()
    indexes = build_indexes(data, queries)
    return data, Run(split, queries, indexes, time.perf_counter() - start)


def run_ours_all(run: Run) -> None:
    match, _, _ = thresholds()
    for q in run.queries[:20]:  # warm-up: first-call costs (regular expressions, caches)
        run.indexes[q.corpus].search(q.query)
    run.timed = run_ours(run.indexes, run.queries, match, use_attrs=False)
    run.ours["names"] = run_ours(run.indexes, run.queries, FLOOR, use_attrs=False)
    run.ours["attrs"] = run_ours(run.indexes, run.queries, FLOOR, use_attrs=True)
    run.retrieved = retrieval(run.indexes, run.queries)


def f1_on(split: str = "dev", max_per_set: int | None = MAX_PER_SET, use_attrs: bool = False) -> float:
    """Headline F1 at the match threshold of the matcher as it is now (for an ablation line: switch a rule off,
    call this, switch it back on)."""
    _, run = prepare(split, max_per_set)
    match, _, _ = thresholds()
    outcomes = run_ours(run.indexes, run.queries, FLOOR, use_attrs=use_attrs)
    return measure(outcomes, match, HEADLINE_SETS).f1


def report(data: EvalData, run: Run) -> None:
    match, review, auto_link = thresholds()
    counts: dict[str, list[int]] = {}
    for q in data.queries:
        counts.setdefault(q.set, [0, 0])[0] += 1
    for q in run.queries:
        counts[q.set][1] += 1
    print(
        f"Split: {run.split}. Queries run per set (of the split's): "
        + ", ".join(f"{name} {counts[name][1]}/{counts[name][0]}" for name in sorted(counts))
    )
    if not data.frozen:
        print("  NOTE: the query set is not the one the split file was written for (a parser changed?)")
    for note in data.notes:
        print(f"  {note}")
    sizes = ", ".join(f"{name} {len(index)}" for name, index in run.indexes.items())
    print(f"Indexes (entries): {sizes}; built in {run.build_seconds:.1f} s")
    print(f"Thresholds: match {match:.3f}, review {review:.3f}, auto-link {auto_link:.3f}")

    header = [
        "matcher",
        "precision",
        "recall",
        "F1",
        "recall@review",
        "false sugg./100 neg",
        "false auto-links",
    ]
    for label, mode in (("names only", "names"), ("names + birth dates + nationalities", "attrs")):
        rows = [headline_row(f"ours @ {match:.2f}", run.ours[mode], match, review, auto_link)]
        if mode in run.lv2:
            rows.append(
                headline_row(
                    f"logic-v2 @ {LOGIC_V2_THRESHOLD:.2f}",
                    run.lv2[mode],
                    LOGIC_V2_THRESHOLD,
                    LOGIC_V2_THRESHOLD,
                    1.01,
                )
            )
        print_table(f"Headline ({', '.join(HEADLINE_SETS)}), {label}", header, rows)

    set_header = [
        "set",
        "queries",
        "recall",
        "recall@review",
        "retrieval",
        "false alerts",
        "sugg./100",
        "alerted",
    ]
    print_table(
        f"Per set, ours, names only (recall at {match:.2f}, at review {review:.2f}; retrieval: answer among the "
        "candidates)",
        set_header,
        set_rows(
            run.ours["names"], run.retrieved, match, review, [*HEADLINE_SETS, *OTHER_SETS, *REGRESSION_SETS]
        ),
    )
    if "names" in run.lv2:
        print_table(
            f"Per set, logic-v2 @ {LOGIC_V2_THRESHOLD:.2f}, names only (its {LOGIC_V2_CANDIDATES} candidates)",
            set_header,
            set_rows(
                run.lv2["names"],
                {},
                LOGIC_V2_THRESHOLD,
                LOGIC_V2_THRESHOLD,
                [*HEADLINE_SETS, *OTHER_SETS, *REGRESSION_SETS],
            ),
        )
    positives = [ok for q_id, ok in run.retrieved.items()]
    headline_ids = {q.id for q in run.queries if q.set in HEADLINE_SETS}
    headline_retrieved = [ok for q_id, ok in run.retrieved.items() if q_id in headline_ids]
    print(
        f"\nRetrieval recall (answer among MatchIndex.candidates): headline {sum(headline_retrieved)}/"
        f"{len(headline_retrieved)} = {sum(headline_retrieved) / max(len(headline_retrieved), 1):.3f}; every "
        f"positive query {sum(positives) / max(len(positives), 1):.3f}"
    )

    for mode in ("names", "attrs"):
        fal = false_auto_links(run.ours[mode], auto_link)
        print(f"False auto-links (>= {auto_link:.2f}, any set), {mode}: {len(fal)}")
        for score, q, key in fal[:5]:
            print(f"    {score:.3f}  {q.query.names[0]!r} ({q.set}) -> {key}")

    rows = [
        [f"{floor:.1f}-{floor + 0.1:.1f}", str(n), str(c), f"{c / n:.3f}", f"{mean:.3f}"]
        for floor, n, c, mean in reliability(run.ours["names"], HEADLINE_SETS)
    ]
    print_table(
        f"Reliability, ours, names only, headline sets (every counted result >= {FLOOR})",
        ["score", "results", "correct", "fraction correct", "mean score"],
        rows,
    )
    if "names" in run.lv2:
        rows = [
            [f"{floor:.1f}-{floor + 0.1:.1f}", str(n), str(c), f"{c / n:.3f}", f"{mean:.3f}"]
            for floor, n, c, mean in reliability(run.lv2["names"], HEADLINE_SETS)
        ]
        print_table(
            "Reliability, logic-v2, names only",
            ["score", "results", "correct", "fraction correct", "mean score"],
            rows,
        )

    ours_ms = [o.seconds * 1000 for o in run.timed]
    lat = [["ours: retrieval + scoring", f"{statistics.median(ours_ms):.2f}", f"{pct(ours_ms, 0.95):.2f}"]]
    if "names" in run.lv2:
        lv_ms = [o.seconds * 1000 for o in run.lv2["names"]]
        lat.append(
            [
                f"logic-v2: scoring {LOGIC_V2_CANDIDATES} candidates",
                f"{statistics.median(lv_ms):.2f}",
                f"{pct(lv_ms, 0.95):.2f}",
            ]
        )
    print_table(f"Latency per query, ms ({len(ours_ms)} queries, names only)", ["", "median", "p95"], lat)
    if "names" in run.lv2:
        print(
            f"  median ratio logic-v2 scoring / ours: {statistics.median(lv_ms) / statistics.median(ours_ms):.1f}x"
        )


def screening(run: Run) -> float:
    everything = run.indexes["all"]
    records = [q.query for q in run.queries]
    random.Random(SAMPLE_SEED).shuffle(records)
    batch = (records * (SCREENING_RECORDS // max(len(records), 1) + 1))[:SCREENING_RECORDS]
    start = time.perf_counter()
    alerts = sum(len(everything.search(q, limit=LIMIT)) for q in batch)
    seconds = time.perf_counter() - start
    print(
        f"\nScreening {len(batch)} records (the run's queries) against all loaded entries ({len(everything)}): "
        f"{seconds:.1f} s, {alerts} alerts"
    )
    return seconds


def targets(run: Run, screening_seconds: float) -> None:
    """Issue 12's targets, names only, on this run's split (they are stated for the test split)."""
    match, review, auto_link = thresholds()
    ours = measure(run.ours["names"], match, HEADLINE_SETS)
    at_review = measure(run.ours["names"], review, HEADLINE_SETS)
    auto_links = sum(len(false_auto_links(run.ours[mode], auto_link)) for mode in run.ours)
    headline_ids = {q.id for q in run.queries if q.set in HEADLINE_SETS}
    got = [ok for q_id, ok in run.retrieved.items() if q_id in headline_ids]
    retrieval_recall = sum(got) / max(len(got), 1)
    ours_ms = statistics.median(o.seconds for o in run.timed) * 1000
    rows = [
        ("F1 at the match threshold >= 0.90", f"{ours.f1:.3f}", ours.f1 >= 0.90),
        (
            "recall at review >= 0.95, <= 1 false suggestion / 100 negatives",
            f"{at_review.recall:.3f}, {at_review.false_suggestions_per_100:.1f}",
            at_review.recall >= 0.95 and at_review.false_suggestions_per_100 <= 1.0,
        ),
        ("no false auto-link (any set, with or without attributes)", str(auto_links), auto_links == 0),
        ("retrieval recall >= 0.99", f"{retrieval_recall:.3f}", retrieval_recall >= 0.99),
        ("screening 1,000 records < 60 s", f"{screening_seconds:.1f} s", screening_seconds < 60),
    ]
    if "names" in run.lv2:
        lv2 = measure(run.lv2["names"], LOGIC_V2_THRESHOLD, HEADLINE_SETS)
        lv2_ms = statistics.median(o.seconds for o in run.lv2["names"]) * 1000
        rows.append(("F1 above logic-v2's", f"{ours.f1:.3f} vs {lv2.f1:.3f}", ours.f1 > lv2.f1))
        rows.append(
            (
                "median query >= 10x faster than logic-v2 scoring 50 candidates",
                f"{lv2_ms / ours_ms:.1f}x",
                lv2_ms >= 10 * ours_ms,
            )
        )
    print_table(
        f"Issue 12 targets ({run.split} split, names only)",
        ["target", "measured", ""],
        [[label, value, "PASS" if ok else "FAIL"] for label, value, ok in rows],
    )


def dump(path: Path, run: Run) -> None:
    with path.open("w", encoding="utf-8") as out:
        for matcher, by_mode in (("ours", run.ours), ("logic_v2", run.lv2)):
            for mode, outcomes in by_mode.items():
                for o in outcomes:
                    q = o.query
                    row = {
                        "matcher": matcher,
                        "mode": mode,
                        "id": q.id,
                        "set": q.set,
                        "query": q.query.names,
                        "corpus": q.corpus,
                        "expected": q.expected,
                        "retrieved": run.retrieved.get(q.id),
                        "results": o.results,
                    }
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"details written to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Matching quality and speed on the real labelled queries, next to nomenklatura's logic-v2.",
        epilog="example: .venv/bin/python -m bench.matching --split dev --quick\n"
        "         .venv/bin/python -m bench.matching --ablate app.matching.somewhere:turn_rule_off",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--split", choices=("train", "dev", "test"), default="test")
    parser.add_argument("--quick", action="store_true", help="skip logic-v2")
    parser.add_argument("--max-per-set", type=int, default=MAX_PER_SET, help="0 for every query")
    parser.add_argument("--dump", type=Path, metavar="PATH", help="write every query's results (JSON lines)")
    parser.add_argument(
        "--ablate",
        metavar="MODULE:CALLABLE",
        help="call this (no arguments) first, to switch a rule off, and print the headline F1 only",
    )
    args = parser.parse_args(argv)
    max_per_set = args.max_per_set or None
    try:
        if args.ablate:
            module, _, name = args.ablate.partition(":")
            getattr(importlib.import_module(module), name)()
            f1 = f1_on(args.split, max_per_set)
            print(f"ablation {args.ablate}: headline F1 on {args.split}, names only: {f1:.3f}")
            return 0
        data, run = prepare(args.split, max_per_set)
    except SampleDataMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    run_ours_all(run)
    if not args.quick:
        try:
            lv2 = LogicV2()
        except RuntimeError as exc:
            print(f"logic-v2 not available: {exc}")
        else:
            for q in run.queries[:5]:  # warm-up, as a running yente would be
                lv2.score(
                    lv2.query_entity(q.query, "warm"), lv2_candidates(run.indexes[q.corpus], q.query)[:5]
                )
            run.lv2["names"] = run_logic_v2(lv2, run.indexes, run.queries, use_attrs=False)
            run.lv2["attrs"] = run_logic_v2(lv2, run.indexes, run.queries, use_attrs=True)
    report(data, run)
    targets(run, screening(run))
    if args.dump:
        dump(args.dump, run)
    return 0


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    raise SystemExit(main())
