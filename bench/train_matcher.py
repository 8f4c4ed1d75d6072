"""Train the matcher's model (app/matching/data/model.json) on real labelled pairs.

Run: ``.venv/bin/python bench/train_matcher.py`` (about ten minutes on two cores; needs the ``train`` extra,
scikit-learn, and the sample data). ``--ablate`` prints the dev F1 of the model trained without each feature
(the table of bench/README.md) and writes nothing; ``--dry-run`` trains and reports without writing; ``--grid``
compares a few tree sizes on dev; ``--linear`` fits the former degree-2 logistic model instead of trees;
``--word-frequency`` writes the table of how many listed names bear each word (``data/word_frequency.json``, read
by the rarity features) from the newest publication of every list.

Data: ``bench.matching_pairs.load_eval`` (the frozen split by entry). The TEST split is never read here.

* Rows: for every train query of a headline set (names only, and again with the birth dates and nationalities the
  source gives), every entry :meth:`app.matching.index.MatchIndex.shortlist` brings from the query's corpus (the
  entries a search would score) is a row, labelled 1 when it is the query's answer; entries that bear the same
  name words as the answer (namesakes) are left out. Each row keeps the features of every (query name, entry
  name) pair; the model's score of a row is that of its best pair, as at run time, so pairs are re-chosen with
  each fitted model (two rounds).
* Model: gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, a few hundred trees of depth 4 at
  most) on train rows; the pair of names a row is scored by is chosen by a linear model's name weights (fitted
  first, three rounds). Each record feature (birth date, nationality, kind) gets trees of its own (interaction
  constraints), so a fact the query does not give adds nothing. The trees are written as nested lists and walked
  in plain Python by app/matching/model.py (checked to score as scikit-learn does before the file is written).
  ``--linear``: logistic regression on standardized features and their products (the model before).
* Calibration: Platt scaling of the model's log-odds on dev rows (a logistic fit of the label on the log-odds:
  linear, so each feature's share of the log-odds stays exact).
* Thresholds, on dev queries (names only): the match threshold at best F1; the review threshold the lowest score
  at which false suggestions stay at most 1 per 100 negative queries; the auto-link threshold just above the
  highest score any wrong answer reached on train or dev (rounded up to 0.005).

Query-level counting follows bench/matching.py: for a positive query the answer alerted is a true positive, another
entry of the same source alerted a false positive (namesakes aside; other sources are not counted); for a negative
query every alert is a false suggestion.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import pickle
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.matching.compare import compare_names  # noqa: E402
from app.matching.features import (  # noqa: E402
    FEATURES,
    NAME_FEATURES,
    WORD_FREQUENCY_FILE,
    name_features,
    profile_of,
)
from app.matching.index import MatchIndex  # noqa: E402
from app.matching.model import MODEL_FILE, model_from_json  # noqa: E402
from app.matching.score import (  # noqa: E402
    RECORD_FACTS_MAX,
    RECORD_FACTS_MIN,
    EntryNames,
    record_features,
)
from bench.matching_pairs import EvalData, EvalQuery, load_eval  # noqa: E402

TRAIN_SETS = ("same_entry", "gained", "linked_uk_un", "cross_script", "hard_negative", "pep_negative")
REGULARIZATION = 1.0  # scikit-learn's C
MAX_FALSE_SUGGESTIONS_PER_100 = 1.0
N_NAME = len(NAME_FEATURES)


@dataclass
class Row:
    """One (query, entry) candidate: every name pair's features, the record features, the label."""

    pairs: np.ndarray  # (name pairs, name features)
    record: np.ndarray  # (record features,)
    label: int
    same_source: bool  # the entry is of the answer's source (a wrong one counts as a false positive)


@dataclass
class QueryRows:
    query: EvalQuery
    with_attrs: bool
    rows: list[Row] = field(default_factory=list)
    retrieved: bool = False  # the answer among the shortlist

    @property
    def positive(self) -> bool:
        return self.query.expected is not None


def build_rows(data: EvalData, indexes: dict[str, MatchIndex]) -> list[QueryRows]:
    out: list[QueryRows] = []
    for n, q in enumerate(data.queries):
        if q.set not in TRAIN_SETS:
            continue
        if n % 1000 == 0:
            print(f"  {n}/{len(data.queries)} queries", file=sys.stderr, flush=True)
        index = indexes.get(q.corpus)
        if index is None:
            index = indexes[q.corpus] = MatchIndex(data.corpora[q.corpus])
        variants = [(q.query, False)]
        if q.with_attrs.birth_dates or q.with_attrs.nationalities:
            variants.append((q.with_attrs, True))
        for query, attrs in variants:
            qr = QueryRows(q, attrs)
            short = index.shortlist(query)
            q_profiles = [profile_of(f) for f in short.forms]
            expected_source = q.expected[0] if q.expected else None
            for _, key, entry, names in short.items:
                if key in q.namesakes:
                    continue
                pairs = []
                for q_form, q_profile in zip(short.forms, q_profiles, strict=True):
                    for ei, e_form in enumerate(names.forms):
                        alignment = compare_names(
                            q_form, e_form, short.cache, explain=False, rare=short.rare
                        ).similarity
                        pairs.append(
                            name_features(
                                q_profile,
                                names.profiles[ei],
                                alignment,
                                names.labels[ei] == "weak",
                                word_pairs=short.cache,
                            )
                        )
                if not pairs:
                    continue
                record = record_features(query, entry, [], [])
                label = int(key == q.expected)
                qr.retrieved = qr.retrieved or bool(label)
                qr.rows.append(
                    Row(
                        np.array(pairs),
                        np.array(record),
                        label,
                        expected_source is None or key[0] == expected_source,
                    )
                )
            out.append(qr)
    return out


def design(
    queries: list[QueryRows], coef: np.ndarray | None, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One feature vector per row: its best pair by ``coef`` (by alignment when None), then the record features."""
    xs, ys = [], []
    for qr in queries:
        for row in qr.rows:
            pairs = row.pairs
            if coef is None:
                best = pairs[int(np.argmax(pairs[:, 0]))]
            else:
                best = pairs[int(np.argmax((pairs * keep[:N_NAME]) @ coef[:N_NAME]))]
            xs.append(np.concatenate([best, row.record]) * keep)
            ys.append(row.label)
    return np.array(xs), np.array(ys)


# The model's terms: every feature, and the product of every two (squares included).
TERMS = [(i, -1) for i in range(len(FEATURES))] + [
    (i, j) for i in range(len(FEATURES)) for j in range(i, len(FEATURES))
]


def expand(x: np.ndarray) -> np.ndarray:
    return np.stack([x[:, i] if j < 0 else x[:, i] * x[:, j] for i, j in TERMS], axis=1)


@dataclass
class Fitted:
    selection: np.ndarray  # linear weights of the raw name features: which pair of names a row is scored by
    weights: np.ndarray  # per standardized term
    intercept: float  # on standardized terms: the log-odds at the training means
    means: np.ndarray  # per term
    scales: np.ndarray  # per term

    def full_selection(self) -> np.ndarray:
        return np.concatenate([self.selection, np.zeros(len(FEATURES) - N_NAME)])


def _standardized_fit(
    x: np.ndarray, y: np.ndarray, c: float
) -> tuple[LogisticRegression, np.ndarray, np.ndarray]:
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((x - means) / scales, y)
    return model, means, scales


def _monotone_fit(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """Logistic regression's weights (per raw feature, L2 penalty as scikit-learn's ``C``) with every feature of
    RISING held at a weight of zero or more: an unconstrained fit gives collinear similarities opposite signs
    (the mean word similarity -15.7 beside the weakest +9.7), and then prefers a respelled name of an entry to the
    one the query gives letter for letter."""
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    z = (x - means) / scales
    n = z.shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        t = z @ w[:n] + w[n]
        p = 1.0 / (1.0 + np.exp(-t))
        value = float(np.sum(np.logaddexp(0.0, t) - y * t) + 0.5 / c * (w[:n] @ w[:n]))
        grad = np.concatenate([z.T @ (p - y) + w[:n] / c, [np.sum(p - y)]])
        return value, grad

    bounds = [(0.0, None) if f in RISING else (None, None) for f in FEATURES] + [(None, None)]
    result = minimize(loss, np.zeros(n + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return result.x[:n] / scales


def _pair_selection(queries: list[QueryRows], keep: np.ndarray) -> np.ndarray:
    """A linear model's weights (monotone in the name similarities: :func:`_monotone_fit`), each query's pair of
    names re-chosen by them three times (its name weights then choose the pair the final model is fitted on)."""
    coef = None
    for _ in range(3):
        x, y = design(queries, coef, keep)
        coef = _monotone_fit(x, y, 1.0)
    return coef


def fit(queries: list[QueryRows], keep: np.ndarray) -> Fitted:
    """A linear model first, its pairs of names re-chosen by its own weights (three rounds): its name weights
    choose the pair; then the degree-2 model on those pairs."""
    coef = _pair_selection(queries, keep)
    x, y = design(queries, coef, keep)
    model, means, scales = _standardized_fit(expand(x), y, REGULARIZATION)
    return Fitted(coef[:N_NAME], model.coef_[0], float(model.intercept_[0]), means, scales)


@dataclass
class TreeSettings:
    """The boosted trees' size (chosen on dev: ``--grid``; every size gave the same dev F1 within 0.001, and this
    one the fewest false suggestions: bench/README.md)."""

    trees: int = 200
    depth: int = 4
    learning_rate: float = 0.05
    min_leaf: int = 40
    l2: float = 1.0
    monotonic: bool = True  # name similarities may only raise the score (as good on dev, fewer false alerts)


@dataclass
class FittedTrees:
    selection: np.ndarray  # as Fitted.selection
    booster: HistGradientBoostingClassifier  # over the name features (the record features held at 0)
    tree_scale: float  # raw log-odds = tree_scale * trees + record_weights . record features + intercept
    record_weights: np.ndarray
    intercept: float

    def raw(self, x: np.ndarray) -> np.ndarray:
        names = x.copy()
        names[:, N_NAME:] = 0.0
        trees = self.booster.decision_function(names)
        return self.tree_scale * trees + x[:, N_NAME:] @ self.record_weights + self.intercept

    def full_selection(self) -> np.ndarray:
        return np.concatenate([self.selection, np.zeros(len(FEATURES) - N_NAME)])


# Name features that can only make a match likelier as they grow (monotonic constraints, ``monotonic=True``): a
# closer spelling never lowers a score.
RISING = frozenset(
    {
        "name_alignment",
        "name_token_sort",
        "name_token_set",
        "name_jaro_winkler",
        "name_word_weakest",
        "name_word_mean",
        "name_phonetic_query",
        "name_phonetic_listed",
        "name_symbols_query",
        "name_symbols_listed",
        "matched_rarity",
    }
)


def _direction(feature: str) -> int:
    return 1 if feature in RISING else 0


def fit_trees(queries: list[QueryRows], keep: np.ndarray, settings: TreeSettings) -> FittedTrees:
    """The linear model's name weights choose the pair of names (as in ``fit``); gradient-boosted trees on that
    pair's features. The record features are then weighed linearly beside the trees' log-odds (a logistic fit of
    the label on both): a fact the query does not give (0) adds nothing, and a birth year one year off weighs a
    quarter of one ten years off, as the feature's units say (trees learned "any other year" from the labelled
    queries, which carry their own entry's dates)."""
    coef = _pair_selection(queries, keep)
    x, y = design(queries, coef, keep)
    names = x.copy()
    names[:, N_NAME:] = 0.0
    booster = HistGradientBoostingClassifier(
        max_iter=settings.trees,
        max_depth=settings.depth,
        learning_rate=settings.learning_rate,
        min_samples_leaf=settings.min_leaf,
        l2_regularization=settings.l2,
        max_leaf_nodes=2**settings.depth,
        monotonic_cst=[_direction(f) if settings.monotonic else 0 for f in FEATURES],
        early_stopping=False,
        random_state=0,
    )
    booster.fit(names, y)
    beside = LogisticRegression(C=1.0, max_iter=2000)
    beside.fit(np.column_stack([booster.decision_function(names), x[:, N_NAME:]]), y)
    weights = beside.coef_[0]
    return FittedTrees(coef[:N_NAME], booster, float(weights[0]), weights[1:], float(beside.intercept_[0]))


def rows_log_odds(fitted: Fitted | FittedTrees, queries: list[QueryRows], keep: np.ndarray) -> np.ndarray:
    """The model's log-odds of every row, in the order of ``design``."""
    x, _ = design(queries, fitted.full_selection(), keep)
    if isinstance(fitted, FittedTrees):
        return fitted.raw(x)
    return ((expand(x) - fitted.means) / fitted.scales) @ fitted.weights + fitted.intercept


def rows_calibrated(
    fitted: Fitted | FittedTrees, calibration: tuple[float, float], queries: list[QueryRows], keep: np.ndarray
) -> np.ndarray:
    """Every row's calibrated log-odds as the service computes them: for trees, what the record features add
    together capped as app/matching/score.py caps it (RECORD_FACTS_MIN, RECORD_FACTS_MAX)."""
    slope, offset = calibration
    z = slope * rows_log_odds(fitted, queries, keep) + offset
    if isinstance(fitted, FittedTrees):
        x, _ = design(queries, fitted.full_selection(), keep)
        facts = slope * (x[:, N_NAME:] @ fitted.record_weights)
        z += np.clip(facts, RECORD_FACTS_MIN, RECORD_FACTS_MAX) - facts
    return z


def calibrate(fitted: Fitted, queries: list[QueryRows], keep: np.ndarray) -> tuple[float, float]:
    z = rows_log_odds(fitted, queries, keep)
    y = np.array([r.label for qr in queries for r in qr.rows])
    platt = LogisticRegression(C=1e6, max_iter=2000)
    platt.fit(z.reshape(-1, 1), y)
    return float(platt.coef_[0][0]), float(platt.intercept_[0])


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


@dataclass
class Scored:
    positive: bool
    answer: float  # probability of the answer (0 when not retrieved)
    wrong: list[float]  # probabilities of wrong entries that count as false positives
    set: str


def score_queries(
    fitted: Fitted, calibration: tuple[float, float], queries: list[QueryRows], keep: np.ndarray, attrs: bool
) -> list[Scored]:
    """One result per query: its names-only variant, or (``attrs``) its variant with attributes where it has one."""
    z = iter(rows_calibrated(fitted, calibration, queries, keep))
    log_odds = {id(row): float(next(z)) for qr in queries for row in qr.rows}
    chosen: dict[str, QueryRows] = {}
    for qr in queries:
        if not qr.with_attrs or attrs:
            chosen[qr.query.id] = qr
    out = []
    for qr in chosen.values():
        answer, wrong = 0.0, []
        for row in qr.rows:
            p = sigmoid(log_odds[id(row)])
            if row.label:
                answer = p
            elif row.same_source:
                wrong.append(p)
        out.append(Scored(qr.positive, answer, sorted(wrong, reverse=True)[:10], qr.query.set))
    return out


def counts(scored: list[Scored], t: float) -> dict[str, float]:
    tp = sum(1 for s in scored if s.positive and s.answer >= t)
    positives = sum(1 for s in scored if s.positive)
    fp = sum(sum(1 for p in s.wrong if p >= t) for s in scored)
    negatives = [s for s in scored if not s.positive]
    false_suggestions = sum(sum(1 for p in s.wrong if p >= t) for s in negatives)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_suggestions_per_100": 100.0 * false_suggestions / max(len(negatives), 1),
        "false_positives": fp,
    }


GRID = [round(0.01 * i, 3) for i in range(1, 100)] + [0.995]


def choose_thresholds(dev: list[Scored], everything: list[Scored]) -> dict[str, float]:
    match = max(GRID, key=lambda t: (counts(dev, t)["f1"], -t))
    review = next(
        (t for t in GRID if counts(dev, t)["false_suggestions_per_100"] <= MAX_FALSE_SUGGESTIONS_PER_100),
        0.99,
    )
    review = min(review, match)
    highest_wrong = max((p for s in everything for p in s.wrong), default=0.0)
    # just above the highest wrong score (1.0: no score links without review; a shared identifier still does)
    auto = min(math.floor(highest_wrong * 1000 + 1) / 1000, 1.0)
    return {
        "review": review,
        "match": match,
        "auto_link": max(auto, match),
        "highest_wrong_score": round(highest_wrong, 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Train the matcher's model on the train split, calibrate and set thresholds on dev.",
        epilog="example: .venv/bin/python bench/train_matcher.py            # writes app/matching/data/model.json\n"
        "         .venv/bin/python bench/train_matcher.py --ablate   # dev F1 without each feature",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--ablate",
        nargs="?",
        const="",
        help="print the dev F1 without each feature (or each of those named, comma-separated)",
    )
    parser.add_argument("--dry-run", action="store_true", help="train and report, write nothing")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument(
        "--linear", action="store_true", help="the degree-2 logistic model instead of boosted trees"
    )
    defaults = TreeSettings()
    parser.add_argument("--trees", type=int, default=defaults.trees, help="boosting rounds")
    parser.add_argument("--depth", type=int, default=defaults.depth, help="depth of each tree")
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--min-leaf", type=int, default=defaults.min_leaf, help="training rows a leaf holds")
    parser.add_argument(
        "--not-monotonic", action="store_true", help="let a higher name similarity lower the score too"
    )
    parser.add_argument(
        "--thresholds",
        help="REVIEW,MATCH,AUTO_LINK to write instead of those chosen on dev (checked: no wrong answer on train or "
        "dev reaches AUTO_LINK)",
    )
    parser.add_argument(
        "--without", default="", help="features left out (comma-separated): how the model fares without them"
    )
    parser.add_argument(
        "--grid", action="store_true", help="print dev figures for a few tree sizes, write nothing"
    )
    parser.add_argument(
        "--rows-cache",
        type=Path,
        help="keep the built rows in this pickle (reused while it exists: delete it after a code change)",
    )
    parser.add_argument(
        "--word-frequency",
        action="store_true",
        help=f"write {WORD_FREQUENCY_FILE.name} (how many listed names bear each word) and stop",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    train_data, dev_data = load_eval("train"), load_eval("dev")
    if args.word_frequency:
        write_word_frequency(WORD_FREQUENCY_FILE, train_data.corpora["all"])
        print(f"wrote {WORD_FREQUENCY_FILE}")
        return 0
    if args.rows_cache and args.rows_cache.exists():
        train, dev = pickle.loads(args.rows_cache.read_bytes())
    else:
        indexes: dict[str, MatchIndex] = {}
        print("train rows...", file=sys.stderr)
        train = build_rows(train_data, indexes)
        print("dev rows...", file=sys.stderr)
        dev = build_rows(dev_data, indexes)
        if args.rows_cache:
            args.rows_cache.write_bytes(pickle.dumps((train, dev)))
    print(f"rows built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    for name, part in (("train", train), ("dev", dev)):
        pos = [qr for qr in part if qr.positive and not qr.with_attrs]
        kept = sum(1 for qr in pos if qr.retrieved)
        print(
            f"{name}: {len(part)} query variants, {sum(len(q.rows) for q in part)} rows; "
            f"shortlist keeps the answer of {kept}/{len(pos)} positive queries ({kept / max(len(pos), 1):.4f})"
        )

    everything = np.ones(len(FEATURES))
    for name in filter(None, args.without.split(",")):
        everything[FEATURES.index(name)] = 0.0
    settings = None
    if not args.linear:
        settings = TreeSettings(
            args.trees,
            args.depth,
            args.learning_rate,
            args.min_leaf,
            l2=defaults.l2,
            monotonic=not args.not_monotonic,
        )
    if args.grid:
        for trees, depth, rate, min_leaf in GRID_SETTINGS:
            grid_settings = TreeSettings(trees, depth, rate, min_leaf, monotonic=not args.not_monotonic)
            _, _, thresholds, report = train_and_report(train, dev, everything, grid_settings)
            print(f"\n{grid_settings}")
            print_report(report, thresholds)
        return 0
    fitted, calibration, thresholds, report = train_and_report(train, dev, everything, settings)
    print_report(report, thresholds)
    if args.thresholds:
        review, match, auto_link = (float(t) for t in args.thresholds.split(","))
        if auto_link <= thresholds["highest_wrong_score"]:
            raise SystemExit(f"a wrong answer scored {thresholds['highest_wrong_score']}: auto-link too low")
        thresholds = {
            **thresholds,
            "review": review,
            "match": match,
            "auto_link": auto_link,
            "dev_best_match": thresholds["match"],
        }
        report = dict(report)
        dev_names = score_queries(fitted, calibration, dev, everything, attrs=False)
        report["dev names"] = counts(dev_names, match)
        report["dev names at review"] = counts(dev_names, review)
        report["dev with attributes"] = counts(
            score_queries(fitted, calibration, dev, everything, attrs=True), match
        )
        print("\nat the given thresholds:")
        print_report(report, thresholds)
    if args.ablate is not None:
        base_f1 = report["dev names"]["f1"]
        print("\nablation (dev F1 at the dev-chosen match threshold, names only):")
        print(f"{'without':24} {'F1':>6} {'change':>7}  (at each model's own dev-chosen threshold)")
        print(f"{'(nothing)':24} {base_f1:6.3f}")
        for i, name in enumerate(FEATURES):
            if args.ablate and name not in args.ablate.split(","):
                continue
            keep = everything.copy()
            keep[i] = 0.0
            _, _, _, r = train_and_report(train, dev, keep, settings)
            c = r["dev names"]
            print(
                f"{name:24} {c['f1']:6.3f} {c['f1'] - base_f1:+7.3f}  P {c['precision']:.3f} R {c['recall']:.3f} "
                f"false suggestions/100 {c['false_suggestions_per_100']:.2f}"
            )
        return 0
    if args.dry_run:
        return 0
    if settings is None:
        write_model(args.out, fitted, calibration, thresholds, report, train_data)
    else:
        write_trees(args.out, fitted, settings, calibration, thresholds, report, train_data)
    print(f"wrote {args.out}")
    return 0


# (trees, depth, learning rate, rows a leaf) tried by --grid
GRID_SETTINGS = [
    (100, 3, 0.1, 40),
    (150, 4, 0.1, 40),
    (200, 4, 0.05, 40),
    (200, 4, 0.1, 100),
    (100, 4, 0.2, 40),
]


# A spelling family fewer listed names bear than this is rare enough: left out of the file (counted as none).
FREQUENCY_FLOOR = 3


def write_word_frequency(path: Path, corpus) -> None:
    """How many distinct listed names (the newest publication of every list) bear each spelling family. Names,
    not labels: the same statistics the index keeps of its own lists, whatever the split."""
    names_with_word: Counter[str] = Counter()
    seen: set[str] = set()
    for _, entry in corpus:
        for profile in EntryNames.of(entry).profiles:
            if profile.words not in seen:
                seen.add(profile.words)
                names_with_word.update(set(profile.folded))
    kept = {w: n for w, n in sorted(names_with_word.items()) if n >= FREQUENCY_FLOOR}
    out = {"names": len(seen), "floor": FREQUENCY_FLOOR, "names_with_word": kept}
    path.write_text(json.dumps(out, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")


def train_and_report(train, dev, keep, trees: TreeSettings | None = None):
    fitted = fit(train, keep) if trees is None else fit_trees(train, keep, trees)
    calibration = calibrate(fitted, dev, keep)
    dev_names = score_queries(fitted, calibration, dev, keep, attrs=False)
    everything = (
        dev_names
        + score_queries(fitted, calibration, dev, keep, attrs=True)
        + score_queries(fitted, calibration, train, keep, attrs=False)
        + score_queries(fitted, calibration, train, keep, attrs=True)
    )
    thresholds = choose_thresholds(dev_names, everything)
    report = {
        "dev names": counts(dev_names, thresholds["match"]),
        "dev names at review": counts(dev_names, thresholds["review"]),
        "dev with attributes": counts(
            score_queries(fitted, calibration, dev, keep, attrs=True), thresholds["match"]
        ),
        "train names": counts(
            score_queries(fitted, calibration, train, keep, attrs=False), thresholds["match"]
        ),
    }
    return fitted, calibration, thresholds, report


def print_report(report: dict, thresholds: dict) -> None:
    print(f"thresholds (dev): {thresholds}")
    for name, c in report.items():
        print(
            f"{name:22} P {c['precision']:.3f} R {c['recall']:.3f} F1 {c['f1']:.3f} "
            f"false suggestions/100 negative queries {c['false_suggestions_per_100']:.2f}"
        )


def tree_json(predictor, scale: float) -> list:
    """One fitted tree (scikit-learn's predictor) as the nested lists app/matching/model.py reads, its values
    multiplied by ``scale``: an inner node [feature, threshold, left, right, value], a leaf its value; a node's
    value is its leaves' mean by row count (what the path-based explanation measures from)."""
    nodes = predictor.nodes

    def build(i: int) -> tuple[object, int]:
        node = nodes[i]
        if node["is_leaf"]:
            return round(scale * float(node["value"]), 6), int(node["count"])
        left, n_left = build(int(node["left"]))
        right, n_right = build(int(node["right"]))
        value = (_value(left) * n_left + _value(right) * n_right) / max(n_left + n_right, 1)
        threshold = float(node["num_threshold"])
        return [int(node["feature_idx"]), threshold, left, right, round(value, 6)], n_left + n_right

    return build(0)[0]


def _value(node) -> float:
    return node[4] if isinstance(node, list) else node


def _calibration_and_provenance(calibration, thresholds, report, data: EvalData) -> dict:
    """The part of a model file both kinds share: calibration, thresholds, and how and on what it was trained."""
    return {
        "calibration": {
            "method": "platt, on dev rows",
            "slope": round(calibration[0], 6),
            "intercept": round(calibration[1], 6),
        },
        "thresholds": thresholds,
        "trained": {
            "date": dt.date.today().isoformat(),
            "by": "bench/train_matcher.py",
            "split_file_query_set_hash": data.frozen_query_set_hash,
            "train_sets": list(TRAIN_SETS),
            "dev": {k: {m: round(v, 4) for m, v in c.items()} for k, c in report.items()},
        },
    }


def write_trees(path: Path, fitted: FittedTrees, settings, calibration, thresholds, report, data) -> None:
    booster = fitted.booster
    init = fitted.tree_scale * float(np.ravel(booster._baseline_prediction)[0]) + fitted.intercept
    out = {
        "kind": "trees",
        "features": list(FEATURES),
        "selection": [round(float(w), 6) for w in fitted.selection],
        # raw log-odds = init + the sum of the trees' leaves + record_weights . record features; then calibrated
        "init": round(init, 6),
        "trees": [tree_json(p[0], fitted.tree_scale) for p in booster._predictors],
        "record_weights": [round(float(w), 6) for w in fitted.record_weights],
        "settings": settings.__dict__,
        **_calibration_and_provenance(calibration, thresholds, report, data),
    }
    model = model_from_json(out, FEATURES)  # the file must load, and score as scikit-learn does
    x = np.random.default_rng(0).uniform(-1, 1, size=(200, len(FEATURES)))
    x[:, :N_NAME] = np.abs(x[:, :N_NAME])
    ours = np.array([model.baseline + model.log_odds(list(row)) for row in x])
    theirs = calibration[0] * fitted.raw(x) + calibration[1]
    if not np.allclose(ours, theirs, atol=1e-3):
        raise SystemExit(f"the exported trees score differently: {np.abs(ours - theirs).max()}")
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")


def write_model(path: Path, fitted: Fitted, calibration, thresholds, report, data: EvalData) -> None:
    out = {
        "features": list(FEATURES),
        "selection": [round(float(w), 6) for w in fitted.selection],
        "terms": [list(t) for t in TERMS],
        # log-odds = intercept + sum over terms of weight * (term - mean) / scale; then calibrated
        "weights": [round(float(w), 6) for w in fitted.weights],
        "intercept": round(fitted.intercept, 6),
        "means": [round(float(m), 6) for m in fitted.means],
        "scales": [round(float(s), 6) for s in fitted.scales],
        **_calibration_and_provenance(calibration, thresholds, report, data),
    }
    model_from_json(out, FEATURES)  # the file must load
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
