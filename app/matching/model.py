"""The learned score: a model over :mod:`app.matching.features`, calibrated to a probability. The shipped file
holds gradient-boosted trees (:class:`TreeModel`); the degree-2 logistic model (:class:`Model`) is the other kind
the trainer writes (``--linear``).

The weights, the calibration and the thresholds are data (``data/model.json`` beside this file), written by
``bench/train_matcher.py`` from the train split (weights) and the dev split (calibration, thresholds) of
``bench/matching_pairs.py``, with the date and the split hash they came from. Scoring is plain Python.

The model's terms are the features and the products of every two of them (degree-2 logistic regression: a word
that agrees badly weighs more when the rest of the name agrees well), each standardized with its training mean and
scale. Which of an entry's names meets the query is chosen by a plain linear score of the name features alone
(``selection``), as in training; the full model then scores that pair with the record's features.

Contributions are in calibrated log-odds, measured from a reference point (the training mean of each name feature;
"not known" for birth date, nationality and kind): a feature's own term, and its exact share of each product it is
in (Shapley values). The contributions and the baseline (the log-odds at the reference point) add up to the
score's log-odds, so an explanation says what each feature added or took away.

The trees (``"kind": "trees"``, :class:`TreeModel`, same interface; the pair of names is chosen by ``selection``
as above, its weights held at zero or more on the name similarities): its trees over the name features are walked
in plain Python, and each feature is credited with what the nodes splitting on it changed along the path taken
(Saabas attribution, exact in log-odds: the path of a tree goes from its root value to its leaf). The record
features (birth date, nationality, kind) are weighed linearly beside the trees, so what such a fact adds is
measured from "not known" (0), as above.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import mul
from pathlib import Path
from typing import Any

from app.matching.features import FEATURES, NAME_FEATURES

MODEL_FILE = Path(__file__).resolve().parent / "data" / "model.json"


class ModelFileError(RuntimeError):
    """The model file is missing or does not fit the features this code computes."""


class _Calibrated:
    """What both kinds of model do alike with their features' log-odds: explain and calibrate them."""

    __slots__ = ()
    features: tuple[str, ...]
    baseline: float
    selection: tuple[float, ...]

    def select(self, name_values: tuple[float, ...] | list[float]) -> float:
        """How good a pair of names looks, to choose an entry's name by (not a probability)."""
        # the same products added in the same order as a generator would, iterated in C (run for every pair of names)
        return sum(map(mul, self.selection, name_values))

    def contributions(self, values: tuple[float, ...] | list[float]) -> list[float]:
        raise NotImplementedError

    def explained(self, values: tuple[float, ...] | list[float]) -> dict[str, float]:
        return {name: round(v, 4) for name, v in zip(self.features, self.contributions(values), strict=True)}

    def probability(self, log_odds: float) -> float:
        """The calibrated probability for the features' log-odds (baseline included here)."""
        z = self.baseline + log_odds
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


@dataclass(frozen=True, slots=True)
class Model(_Calibrated):
    features: tuple[str, ...]
    terms: tuple[tuple[int, int], ...]  # feature indexes: (i, -1) the feature itself, (i, j) their product
    weights: tuple[float, ...]  # per term, divided by its scale and multiplied by the calibration slope
    means: tuple[float, ...]  # per term
    selection: tuple[float, ...]  # linear weights of the name features, to choose the pair of names
    selected: frozenset[int]  # the name features the selection weighs (see selected_features)
    baseline: float  # calibrated log-odds at the reference point (see reference)
    # The point contributions are measured from: the training mean of each name feature, 0 (not known) for the
    # record's features, so that a fact the query does not give adds nothing.
    reference: tuple[float, ...]
    review_threshold: float
    match_threshold: float
    auto_link_threshold: float
    meta: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...] = FEATURES) -> Model:
        features = tuple(data["features"])
        if features != expected:
            raise ModelFileError(f"model file features {features} differ from the code's {expected}")
        slope = float(data["calibration"]["slope"])
        offset = float(data["calibration"]["intercept"])
        terms = tuple((int(i), int(j)) for i, j in data["terms"])
        scales = [float(s) or 1.0 for s in data["scales"]]
        if not len(terms) == len(scales) == len(data["weights"]) == len(data["means"]):
            raise ModelFileError("model file: terms, weights, means and scales differ in length")
        selection = tuple(float(w) for w in data["selection"])
        if len(selection) != len(NAME_FEATURES):
            raise ModelFileError("model file: one selection weight per name feature")
        thresholds = data["thresholds"]
        weights = tuple(slope * float(w) / s for w, s in zip(data["weights"], scales, strict=True))
        means = tuple(float(m) for m in data["means"])
        feature_mean = {i: m for (i, j), m in zip(terms, means, strict=True) if j < 0}
        reference = tuple(
            feature_mean.get(i, 0.0) if i < len(NAME_FEATURES) else 0.0 for i in range(len(features))
        )
        at_reference = sum(
            w * ((reference[i] if j < 0 else reference[i] * reference[j]) - m)
            for (i, j), w, m in zip(terms, weights, means, strict=True)
        )
        return cls(
            features=features,
            terms=terms,
            weights=weights,
            means=means,
            selection=selection,
            selected=selected_features(selection),
            baseline=slope * float(data["intercept"]) + offset + at_reference,
            reference=reference,
            review_threshold=float(thresholds["review"]),
            match_threshold=float(thresholds["match"]),
            auto_link_threshold=float(thresholds["auto_link"]),
            meta={k: v for k, v in data.items() if k not in ("weights", "means", "scales", "terms")},
        )

    def contributions(self, values: tuple[float, ...] | list[float]) -> list[float]:
        """What each feature adds to the log-odds from the reference point: exactly, by Shapley values (a
        product x_i*x_j from r_i*r_j is (x_i-r_i)(x_j+r_j)/2 for feature i and (x_j-r_j)(x_i+r_i)/2 for j)."""
        r = self.reference
        d = [x - ri for x, ri in zip(values, r, strict=True)]  # from the reference
        s = [(x + ri) / 2 for x, ri in zip(values, r, strict=True)]
        out = [0.0] * len(self.features)
        for (i, j), w in zip(self.terms, self.weights, strict=True):
            if j < 0:
                out[i] += w * d[i]
            elif i == j:
                out[i] += w * d[i] * 2 * s[i]  # x² - r² = (x - r)(x + r)
            else:
                out[i] += w * d[i] * s[j]
                out[j] += w * d[j] * s[i]
        return out

    def log_odds(self, values: tuple[float, ...] | list[float]) -> float:
        """The features' log-odds from the reference point, without the baseline (the sum of the contributions,
        computed directly: no per-feature split)."""
        r = self.reference
        total = 0.0
        for (i, j), w in zip(self.terms, self.weights, strict=True):
            if j < 0:
                total += w * (values[i] - r[i])
            else:
                total += w * (values[i] * values[j] - r[i] * r[j])
        return total

    def at_reference(self, values: tuple[float, ...] | list[float], start: int) -> bool:
        """Whether the features from ``start`` on are all at the reference point (they then contribute nothing)."""
        r = self.reference
        return all(values[i] == r[i] for i in range(start, len(values)))

    def name_ceiling(self, known: frozenset[int]) -> Callable[[Sequence[float]], float] | None:
        """None: a search scores every entry it shortlists in full with this kind of model (see TreeModel)."""
        return None

    def record_log_odds(self, record: Sequence[float]) -> float:
        raise NotImplementedError  # never asked: no ceiling


# A tree is nested tuples: an inner node (feature, threshold, left, right, value), a leaf its value (a float); a
# row goes left when its feature is at most the threshold. A node's value is the mean of its leaves' values,
# weighted by the training rows that reached them.
Tree = tuple | float


def _tree_from_json(node: Any, n_features: int) -> Tree:
    if isinstance(node, int | float):
        return float(node)
    feature, threshold, left, right, value = node
    if not 0 <= int(feature) < n_features:
        raise ModelFileError(f"model file: a tree splits on feature {feature}, which does not exist")
    return (
        int(feature),
        float(threshold),
        _tree_from_json(left, n_features),
        _tree_from_json(right, n_features),
        float(value),
    )


def _tree_features(tree: Tree) -> set[int]:
    if not isinstance(tree, tuple):
        return set()
    return {tree[0]} | _tree_features(tree[2]) | _tree_features(tree[3])


def _node_value(node: Tree) -> float:
    return node[4] if type(node) is tuple else node


def _expression(tree: Tree) -> str:
    if type(tree) is not tuple:
        return repr(float(tree))
    feature, threshold = int(tree[0]), float(tree[1])
    return f"({_expression(tree[2])} if v{feature} <= {threshold!r} else {_expression(tree[3])})"


def _split_features(trees: list[Tree]) -> list[int]:
    """The features these trees split on, in order: a compiled function reads each into a local of its own
    (``v3``) first, as the trees test each feature many times and a local is read faster than an item of the
    row."""
    return sorted(set().union(*map(_tree_features, trees)))


def _compiled_sum(trees: list[Tree]) -> Callable[[Sequence[float]], float]:
    """One function adding the leaves a row reaches in every tree: each tree written out as nested conditional
    expressions (about three times faster than walking the tuples; built from numbers only)."""
    body = " + ".join(_expression(t) for t in trees) or "0.0"
    lines = ["def leaves(v):", *(f"    v{i} = v[{i}]" for i in _split_features(trees)), f"    return {body}"]
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", "<model trees>", "exec"), namespace)  # noqa: S102
    return namespace["leaves"]


def _ceiling_of(node: Tree, known: frozenset[int]) -> Tree:
    """The tree reduced to its splits on ``known`` features (each inner node's value the highest leaf under it):
    a subtree splitting on no known feature becomes its highest leaf, a number."""
    if type(node) is not tuple:
        return float(node)
    left, right = _ceiling_of(node[2], known), _ceiling_of(node[3], known)
    high = max(_node_value(left), _node_value(right))
    if node[0] not in known and type(left) is not tuple and type(right) is not tuple:
        return high
    return (node[0], node[1], left, right, high)


def _ceiling_statements(
    node: Tree, known: frozenset[int], target: str, depth: int, count: list[int]
) -> list[str]:
    """Lines setting ``target`` to the highest leaf a row may reach in a reduced tree (see _ceiling_of): a known
    feature decides its split, both sides of another are reached and the higher is taken."""
    pad = "    " * depth
    if type(node) is not tuple:
        return [f"{pad}{target} = {node!r}"]
    feature, threshold, left, right = int(node[0]), float(node[1]), node[2], node[3]
    if feature in known:
        return [
            f"{pad}if v{feature} <= {threshold!r}:",
            *_ceiling_statements(left, known, target, depth + 1, count),
            f"{pad}else:",
            *_ceiling_statements(right, known, target, depth + 1, count),
        ]
    count[0] += 1
    other = f"c{count[0]}"
    return [
        *_ceiling_statements(left, known, target, depth, count),
        *_ceiling_statements(right, known, other, depth, count),
        f"{pad}if {other} > {target}:",
        f"{pad}    {target} = {other}",
    ]


def _compiled_ceiling(trees: tuple[Tree, ...], known: frozenset[int]) -> Callable[[Sequence[float]], float]:
    """One function giving, for a row whose ``known`` features are measured, a number at least ``leaves`` of
    every row agreeing with it on those: each tree's highest reachable leaf, added up (those of the trees no known
    feature decides beforehand, at once). Written out like ``leaves``."""
    reduced = [_ceiling_of(tree, known) for tree in trees]
    constant = sum(tree for tree in reduced if type(tree) is not tuple)
    features = sorted(set().union(*map(_tree_features, reduced)) & known)
    lines = ["def ceiling(v):", *(f"    v{i} = v[{i}]" for i in features), f"    total = {float(constant)!r}"]
    count = [0]
    for tree in reduced:
        if type(tree) is tuple:
            lines += _ceiling_statements(tree, known, "t", 1, count)
            lines.append("    total += t")
    lines.append("    return total")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", "<model tree ceiling>", "exec"), namespace)  # noqa: S102
    return namespace["ceiling"]


def _credit_statements(node: Tree, depth: int) -> list[str]:
    if type(node) is not tuple:
        return []
    pad = "    " * depth
    feature, threshold = int(node[0]), float(node[1])
    lines = [f"{pad}if v{feature} <= {threshold!r}:"]
    for branch, child in (("", node[2]), ("else:", node[3])):
        if branch:
            lines.append(f"{pad}else:")
        # the same difference the walk computes, written as its (exactly repr'd) value
        lines.append(f"{pad}    o{feature} += {(_node_value(child) - node[4])!r}")
        lines.extend(_credit_statements(child, depth + 1))
    return lines


def _compiled_credits(trees: list[Tree]) -> Callable[[Sequence[float], list[float]], None]:
    """One function adding to ``o`` what each node along the path a row takes changes, per feature, tree after
    tree in the order of the walk (so the sums are the walk's to the last bit); written out like ``leaves``. Each
    feature's credit is summed in a local (``o3``), read from ``o`` first and written back last: the same
    additions in the same order, without indexing the list at every node."""
    features = _split_features(trees)
    lines = ["def credits(v, o):", *(f"    v{i} = v[{i}]" for i in features)]
    lines += [f"    o{i} = o[{i}]" for i in features]
    for tree in trees:
        lines.extend(_credit_statements(tree, 1))
    lines += [f"    o[{i}] = o{i}" for i in features]
    lines.append("    return None")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", "<model tree credits>", "exec"), namespace)  # noqa: S102
    return namespace["credits"]


@dataclass(frozen=True, slots=True)
class TreeModel(_Calibrated):
    """Gradient-boosted trees, Platt-calibrated: the same interface as :class:`Model`."""

    features: tuple[str, ...]
    name_trees: tuple[Tree, ...]  # trees over the name features only
    record_weights: tuple[float, ...]  # raw log-odds per unit of each record feature
    slope: float  # Platt calibration: calibrated log-odds = slope * raw + offset
    selection: tuple[float, ...]  # linear weights of the name features, to choose the pair of names
    selected: frozenset[int]  # the name features the selection weighs (see selected_features)
    baseline: float  # calibrated log-odds with every record feature "not known" and no name feature credited
    raw_reference: float  # the raw log-odds the baseline stands for, init aside: the trees' root values
    review_threshold: float
    match_threshold: float
    auto_link_threshold: float
    meta: dict[str, Any]
    leaves: Callable[[Sequence[float]], float]  # the sum of every tree's leaf for a row (compiled)
    credits: Callable[
        [Sequence[float], list[float]], None
    ]  # what contributions credits each feature (compiled)

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...] = FEATURES) -> TreeModel:
        features = tuple(data["features"])
        if features != expected:
            raise ModelFileError(f"model file features {features} differ from the code's {expected}")
        n_name = len(NAME_FEATURES)
        name_trees = []
        for raw in data["trees"]:
            tree = _tree_from_json(raw, len(features))
            if any(i >= n_name for i in _tree_features(tree)):
                raise ModelFileError(
                    "model file: a tree splits on a record feature (they are weighed linearly)"
                )
            name_trees.append(tree)
        record_weights = tuple(float(w) for w in data["record_weights"])
        if len(record_weights) != len(features) - n_name:
            raise ModelFileError("model file: one weight per record feature")
        selection = tuple(float(w) for w in data["selection"])
        if len(selection) != n_name:
            raise ModelFileError("model file: one selection weight per name feature")
        slope = float(data["calibration"]["slope"])
        offset = float(data["calibration"]["intercept"])
        raw_reference = float(data["init"]) + sum(_node_value(t) for t in name_trees)
        thresholds = data["thresholds"]
        return cls(
            features=features,
            name_trees=tuple(name_trees),
            record_weights=record_weights,
            slope=slope,
            selection=selection,
            selected=selected_features(selection),
            baseline=slope * raw_reference + offset,
            raw_reference=raw_reference - float(data["init"]),
            review_threshold=float(thresholds["review"]),
            match_threshold=float(thresholds["match"]),
            auto_link_threshold=float(thresholds["auto_link"]),
            meta={k: v for k, v in data.items() if k != "trees"},
            leaves=_compiled_sum(name_trees),
            credits=_compiled_credits(name_trees),
        )

    def contributions(self, values: tuple[float, ...] | list[float]) -> list[float]:
        """What each feature adds to the calibrated log-odds: along each tree's path, the change of value at every
        node is credited to the feature it splits on; a record feature adds its weight times its value."""
        out = [0.0] * len(self.features)
        self.credits(values, out)
        start = len(NAME_FEATURES)
        for i, w in enumerate(self.record_weights):
            out[start + i] += w * values[start + i]
        return [self.slope * v for v in out]

    def log_odds(self, values: tuple[float, ...] | list[float]) -> float:
        """The features' calibrated log-odds without the baseline (the sum of the contributions, computed from
        the leaves alone)."""
        start = len(NAME_FEATURES)
        record = sum(w * values[start + i] for i, w in enumerate(self.record_weights))
        return self.slope * (self.leaves(values) + record - self.raw_reference)

    def at_reference(self, values: tuple[float, ...] | list[float], start: int) -> bool:
        """Whether the features from ``start`` on (the record's) are all "not known" (they then add nothing)."""
        return all(values[i] == 0.0 for i in range(start, len(values)))

    def name_ceiling(self, known: frozenset[int]) -> Callable[[Sequence[float]], float] | None:
        """A function of a row of name features, of which it reads only those ``known``, giving a number at least
        the calibrated log-odds the name features add (``log_odds`` less the record's part) whatever the others.
        Compiled once per set of features."""
        found = _CEILINGS.get((id(self), known))
        if found is None or found[0] is not self:
            leaves = _compiled_ceiling(self.name_trees, known)
            slope, reference = self.slope, self.raw_reference

            def ceiling(values: Sequence[float]) -> float:
                return slope * (leaves(values) - reference)

            found = _CEILINGS[(id(self), known)] = (self, ceiling)
        return found[1]

    def record_log_odds(self, record: Sequence[float]) -> float:
        """What the record features add to the calibrated log-odds (as ``contributions`` credits them), before
        app.matching.score caps them."""
        return sum(self.slope * (w * v) for w, v in zip(self.record_weights, record, strict=True))


# Compiled ceilings by (model, known features); the model is kept beside its function, so that its id stays its own.
_CEILINGS: dict[tuple[int, frozenset[int]], tuple[TreeModel, Callable[[Sequence[float]], float]]] = {}


def selected_features(selection: tuple[float, ...]) -> frozenset[int]:
    """The indexes of the name features a selection weighs (weight not zero): a search choosing an entry's name
    computes the others for the chosen pair only (see app.matching.score.best_name)."""
    return frozenset(i for i, w in enumerate(selection) if w != 0.0)


def model_from_json(data: dict[str, Any], expected: tuple[str, ...] = FEATURES) -> Model | TreeModel:
    """The model a file holds: trees (``"kind": "trees"``) or the degree-2 logistic model."""
    if data.get("kind") == "trees":
        return TreeModel.from_json(data, expected)
    return Model.from_json(data, expected)


@cache
def model_thresholds(path: Path = MODEL_FILE) -> tuple[float, float, float]:
    """The review, match and auto-link thresholds stored with the model, read without checking its features
    against the code's (a trainer changing the features still imports the index)."""
    try:
        thresholds = json.loads(path.read_text(encoding="utf-8"))["thresholds"]
        return float(thresholds["review"]), float(thresholds["match"]), float(thresholds["auto_link"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"cannot read the thresholds of the model file {path}: {exc}") from exc


@cache
def load_model(path: Path = MODEL_FILE) -> Model | TreeModel:
    """The shipped model (read once)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"cannot read the model file {path}: {exc}") from exc
    return model_from_json(data)
