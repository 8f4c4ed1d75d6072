"""Score one query against one listed entry: a calibrated probability that both name the same person or thing.

Every pair of names (the query's, the entry's) is described by :data:`app.matching.features.NAME_FEATURES`; the
pair the model likes best is the entry's name match. Birth dates, nationality and kind add their own features
(:data:`app.matching.features.RECORD_FEATURES`). The model (:mod:`app.matching.model`, weights learned on real
pairs) turns them into a probability. A shared identifier (passport, IMO number...) is near-certain on its own, a
conflicting unique one near-impossible: those two stay rules, as no labelled pair carries identifiers to learn
them from. Names that differ by their numbers (a vessel's hull number, a yard number, a military unit's number)
count as a conflicting unique identifier: a rule too, as a model trained with such a feature did no better on dev,
which holds five pairs of the kind (bench/README.md, "Ninth pass"). Every result explains itself in plain JSON for
the reviewer: which name met which, word by word, and what each feature added to the log-odds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.lists.records import Entry
from app.matching.compare import alignment, compare_names
from app.matching.features import NAME_FEATURES, NameProfile, measured_with, name_features, profile_of
from app.matching.model import Model, TreeModel, load_model
from app.matching.names import NameForm, name_variants, parse_name
from app.matching.query import MatchQuery
from app.matching.tokens import Token

# Name-quality factors: a weak alias (OFAC "weak a.k.a.", UN "low quality") is a nickname or a fragment, a former
# name is still the same entity. The model learns what a weak alias is worth (feature weak_alias); the console
# shows these as what an exact agreement with such a name counts for.
QUALITY_FACTOR = {"strong": 1.0, "former": 0.97, "weak": 0.9}

# Record features, in the units the model was trained on.
DOB_SAME_DAY = 1.0
DOB_SAME_MONTH = 0.7
DOB_SAME_YEAR = 0.5
DOB_IN_RANGE = 0.4
DOB_OTHER_DAY_SAME_YEAR = -0.5
DOB_NEAR_YEAR = -0.5  # one or two years apart: estimated ages are often that far off
DOB_FAR = -1.5  # three to five years apart
DOB_VERY_FAR = -2.0  # more than five years apart
NATIONALITY_SHARED = 1.0
NATIONALITY_DISJOINT = -1.0
KIND_MISMATCH = -1.0  # a person is not a company

# Rules beside the model (see the module docstring).
IDENTIFIER_MATCH_FLOOR = 0.96
IDENTIFIER_UNIQUE_MISMATCH = -4.0  # log-odds: an IMO number or SWIFT code names exactly one object
IDENTIFIER_PERSONAL_MISMATCH = -1.0  # log-odds: people hold several passports over time
# log-odds: the query's name is numbered, the entry's names are numbered, and no number is on both (FU YUAN YU 7876
# against FU YUAN YU 7877, sister vessels): a number in a name tells one thing from its like as an IMO number does
NAME_NUMBER_MISMATCH = -4.0

UNIQUE_IDENTIFIER_TYPES = frozenset({"imo", "swift_bic", "lei", "mmsi"})
PERSONAL_IDENTIFIER_TYPES = frozenset({"passport", "national_id", "tax_id"})


@dataclass(slots=True)
class MatchResult:
    score: float
    explanation: dict[str, Any]
    identifier_match: bool = (
        False  # an identifier of the query is on the entry: near-certain whatever the score
    )

    @property
    def name_similarity(self) -> float:
        return float(self.explanation.get("names", {}).get("similarity", 0.0))


_ACRONYM_RE = re.compile(r"^[A-Z0-9.&-]{2,8}$")


@dataclass(slots=True)
class EntryNames:
    """An entry's names parsed and profiled once (the index keeps these)."""

    forms: tuple[NameForm, ...]
    qualities: tuple[float, ...]
    labels: tuple[str, ...]
    profiles: tuple[NameProfile, ...] = ()

    @classmethod
    def of(cls, entry: Entry) -> EntryNames:
        forms, qualities, labels = [], [], []
        for name in entry.names:
            for text in name_variants(name.full):
                form = parse_name(text, entry.kind)
                if form.tokens:
                    # A bracketed word or acronym ("(IRGC)", "(PASDARAN)") as often names the parent of the entry
                    # or qualifies it: a weak alias.
                    label = name.quality
                    if text != name.full and (_ACRONYM_RE.match(text) or " " not in text.strip()):
                        label = "weak"
                    forms.append(form)
                    qualities.append(QUALITY_FACTOR.get(label, 1.0))
                    labels.append(label)
        shared = _shared_syllable_pairs(forms)
        return cls(shared, tuple(qualities), tuple(labels), tuple(profile_of(f) for f in shared))


def _shared_syllable_pairs(forms: list[NameForm]) -> tuple[NameForm, ...]:
    """A given name one of an entry's names hyphenates ("Kim Yong-Chol") is one given name in the others that
    write it apart ("KIM YONG CHOL")."""
    pairs = {(f.tokens[i].text, f.tokens[j].text) for f in forms for i, j in f.syllable_pairs}
    if not pairs:
        return tuple(forms)
    out = []
    for form in forms:
        found = tuple(
            (k, k + 1)
            for k in range(len(form.tokens) - 1)
            if (form.tokens[k].text, form.tokens[k + 1].text) in pairs
        )
        out.append(replace(form, syllable_pairs=found) if found != form.syllable_pairs else form)
    return tuple(out)


def score(query: MatchQuery, entry: Entry) -> MatchResult:
    """Score ``query`` against ``entry`` in [0, 1], with an explanation a reviewer can read."""
    return evaluate(query, query.name_forms(), entry, EntryNames.of(entry), cache={}, explain=True)


@dataclass(slots=True)
class NamePair:
    """The best (query name, entry name) pair: its name features, how good it looked and both indexes."""

    values: tuple[float, ...]
    selection: float
    query_index: int
    entry_index: int


def best_name(
    query_forms: Sequence[NameForm],
    names: EntryNames,
    cache: dict | None,
    rare: Callable[[Token], bool] | None = None,
    model: Model | TreeModel | None = None,
    query_profiles: Sequence[NameProfile] | None = None,
) -> NamePair | None:
    """The pair of names whose features ``model`` (default: the shipped one) likes best. ``query_profiles``: the
    query names' profiles (:func:`profile_of`), for a caller that scores many entries against one query."""
    model = model or load_model()
    cache = {} if cache is None else cache
    if query_profiles is None:
        query_profiles = [profile_of(f) for f in query_forms]
    best = _chosen_pair(query_forms, names, cache, rare, model, query_profiles)
    return _measured_in_full(best, names, model, query_profiles, cache)


def _chosen_pair(
    query_forms: Sequence[NameForm],
    names: EntryNames,
    cache: dict,
    rare: Callable[[Token], bool] | None,
    model: Model | TreeModel,
    query_profiles: Sequence[NameProfile],
) -> NamePair | None:
    """:func:`best_name`'s pair, its values holding only the features the selection weighs (see measured_with):
    the others are measured for the chosen pair only (_measured_in_full). Left at 0.0 in the others, they add 0.0
    to every pair's selection, which stays the very number it would be."""
    best: NamePair | None = None
    select = model.select
    wanted = model.selected
    profiles, labels = names.profiles, names.labels
    for qi, q_form in enumerate(query_forms):
        q_profile = query_profiles[qi]
        for ei, e_form in enumerate(names.forms):
            aligned = alignment(q_form, e_form, cache, rare)
            values = name_features(q_profile, profiles[ei], aligned, labels[ei] == "weak", wanted, cache)
            z = select(values)
            if best is None or z > best.selection:
                best = NamePair(values, z, qi, ei)
    return best


def _measured_in_full(
    pair: NamePair | None,
    names: EntryNames,
    model: Model | TreeModel,
    query_profiles: Sequence[NameProfile],
    cache: dict,
) -> NamePair | None:
    """The chosen pair with every name feature measured (``cache``: the word-pair similarities it was aligned
    by)."""
    if pair is not None and len(model.selected) < len(NAME_FEATURES):
        qi, ei = pair.query_index, pair.entry_index
        weak = names.labels[ei] == "weak"
        pair.values = name_features(
            query_profiles[qi], names.profiles[ei], pair.values[0], weak, word_pairs=cache
        )
    return pair


# How far below the threshold the ceiling of an entry's probability must be for a search to leave the entry
# unscored: far more than the rounding of scores to 4 digits and than the float error of adding the same numbers
# in another order.
CEILING_MARGIN = 1e-4


def evaluate_at_least(
    query: MatchQuery,
    query_forms: Sequence[NameForm],
    entry: Entry,
    names: EntryNames,
    threshold: float,
    cache: dict,
    rare: Callable[[Token], bool] | None,
    query_profiles: Sequence[NameProfile],
) -> tuple[NamePair | None, MatchResult] | None:
    """:func:`best_name`'s pair and :func:`evaluate_pair`'s result (no explanation) for an entry, or None when the
    entry certainly scores below ``threshold``, which a search does not want: once the pair is chosen, the
    features it was chosen by and the model's ceiling over the others (see TreeModel.name_ceiling), with the
    record's facts, bound its score. An entry sharing an identifier with the query is always scored."""
    model = load_model()
    pair = _chosen_pair(query_forms, names, cache, rare, model, query_profiles)
    if pair is not None and threshold > 0.0 and not (query.identifiers and entry.identifiers):
        ceiling = model.name_ceiling(measured_with(model.selected))
        if ceiling is not None:
            facts = model.record_log_odds(record_features(query, entry, [], []))
            # as _cap_record_facts caps them
            facts = min(max(facts, RECORD_FACTS_MIN), RECORD_FACTS_MAX)
            if model.probability(ceiling(pair.values) + facts) < threshold - CEILING_MARGIN:
                return None
    pair = _measured_in_full(pair, names, model, query_profiles, cache)
    return pair, evaluate_pair(query, query_forms, entry, names, pair, cache, explain=False, rare=rare)


def evaluate(
    query: MatchQuery,
    query_forms: Sequence[NameForm],
    entry: Entry,
    names: EntryNames,
    cache: dict | None = None,
    explain: bool = True,
    rare: Callable[[Token], bool] | None = None,
) -> MatchResult:
    """Score an entry (its names parsed once, ``names``) against a query. ``rare`` tells the words few listed
    names share, which the index knows: a name contained whole in another on such a word stays a match."""
    pair = best_name(query_forms, names, cache, rare)
    return evaluate_pair(query, query_forms, entry, names, pair, cache, explain, rare)


def evaluate_pair(
    query: MatchQuery,
    query_forms: Sequence[NameForm],
    entry: Entry,
    names: EntryNames,
    pair: NamePair | None,
    cache: dict | None = None,
    explain: bool = True,
    rare: Callable[[Token], bool] | None = None,
) -> MatchResult:
    """:func:`evaluate` with the pair of names :func:`best_name` chose for the same arguments (a search scores an
    entry, then explains it if it is among the best: the pair is chosen once)."""
    model = load_model()
    contradictions: list[str] = []
    corroborations: list[str] = []
    record = record_features(query, entry, corroborations, contradictions)
    name_values = pair.values if pair is not None else _NO_NAME
    values = (*name_values, *record)
    contributions: list[float] | None = None
    if explain or not model.at_reference(values, len(NAME_FEATURES)):
        contributions = model.contributions(values)
        _cap_record_facts(contributions)
        log_odds = sum(contributions)
    else:
        # Names only, no explanation wanted: the record features add nothing, and the sum is all a ranking needs.
        log_odds = model.log_odds(values)

    id_match, id_penalty = _identifier_feature(query.identifiers, entry, corroborations, contradictions)
    numbers = _number_conflict(query_forms, names, pair, contradictions)
    # No name in common, no match (a shared identifier aside)
    probability = model.probability(log_odds + id_penalty + numbers) if pair is not None else 0.0
    identifier = id_penalty
    if id_match:
        # A shared identifier decides the match; a poor name agreement still shows in the last points.
        lifted = max(probability, IDENTIFIER_MATCH_FLOOR + (1.0 - IDENTIFIER_MATCH_FLOOR) * probability)
        identifier = _logit(lifted) - _logit(probability)
        probability = lifted

    explanation: dict[str, Any] = {
        "contradictions": contradictions,
        "corroborations": corroborations,
        "identifier_match": id_match,
        # features (identifier aside) add up to log_odds - baseline: what each added to the log-odds of a match
        "model": {"baseline": round(model.baseline, 4), "log_odds": round(model.baseline + log_odds, 4)},
    }
    if contributions is not None:
        features = {name: round(v, 4) for name, v in zip(model.features, contributions, strict=True)}
        features["identifier"] = round(identifier, 4)
        features["numbers"] = numbers
        explanation = {"features": features, **explanation}
    alignment = name_values[0]
    if explain and pair is not None:
        explanation["names"] = _names_explanation(query_forms, names, pair, alignment, cache, rare)
    else:
        explanation["names"] = {"similarity": round(alignment, 4)}
    return MatchResult(score=round(probability, 4), explanation=explanation, identifier_match=id_match)


# What birth dates, nationality and kind may add to or take from the log-odds together. The labelled queries
# carry their own entry's facts (a listed name's birth date is its entry's), so the learned weights of agreeing
# and disagreeing facts are overconfident: facts support or weaken a name, they do not replace one.
RECORD_FACTS_MAX = 1.5
RECORD_FACTS_MIN = -3.0


def _cap_record_facts(contributions: list[float]) -> None:
    """Scale the record features' contributions (in place) so that together they stay within the caps."""
    start = len(NAME_FEATURES)
    total = sum(contributions[start:])
    bound = RECORD_FACTS_MAX if total > 0 else RECORD_FACTS_MIN
    if abs(total) > abs(bound):
        factor = bound / total
        for i in range(start, len(contributions)):
            contributions[i] *= factor


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def record_features(
    query: MatchQuery, entry: Entry, corroborations: list[str], contradictions: list[str]
) -> tuple[float, float, float]:
    """The values of :data:`app.matching.features.RECORD_FEATURES`, noting what agrees and what does not."""
    dob = _birth_date_feature(query.birth_dates, entry.birth_dates, corroborations, contradictions)
    nationality = _nationality_feature(query.nationalities, entry, corroborations, contradictions)
    kind = _kind_feature(query.kind, entry.kind, contradictions)
    return dob, nationality, kind


_NO_NAME = (0.0,) * len(NAME_FEATURES)


def _names_explanation(query_forms, names: EntryNames, pair: NamePair, alignment: float, cache, rare) -> dict:
    q_form, e_form = query_forms[pair.query_index], names.forms[pair.entry_index]
    match = compare_names(q_form, e_form, cache, explain=True, rare=rare)
    return {
        "query": q_form.original,
        "entry": e_form.original,
        "quality": names.labels[pair.entry_index],
        "similarity": round(alignment, 4),
        "tokens": [[q, e, sim] for q, e, sim in match.pairs],
        "unmatched_query": match.unmatched_query,
        "unmatched_entry": match.unmatched_entry,
    }


# ---------------------------------------------------------------------------------------------------------------
# Birth dates

_DATE_RE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*$")


@dataclass(frozen=True, slots=True)
class _Span:
    text: str
    lo: tuple[int, int, int]
    hi: tuple[int, int, int]
    precision: str  # day, month, year, range

    @property
    def years(self) -> tuple[int, int]:
        return self.lo[0], self.hi[0]


def parse_birth_date(value: str) -> _Span | None:
    """An ISO partial date ("1956-03-27", "1956-03", "1956") or a range of them ("1950/1955")."""
    if not value:
        return None
    if "/" in value:
        start, _, end = value.partition("/")
        a, b = parse_birth_date(start), parse_birth_date(end)
        if a is None or b is None:
            return None
        return _Span(value, min(a.lo, b.lo), max(a.hi, b.hi), "range")
    m = _DATE_RE.match(value)
    if not m:
        return None
    year = int(m.group(1))
    if m.group(3):
        day = (year, int(m.group(2)), int(m.group(3)))
        return _Span(value, day, day, "day")
    if m.group(2):
        month = int(m.group(2))
        return _Span(value, (year, month, 1), (year, month, 31), "month")
    return _Span(value, (year, 1, 1), (year, 12, 31), "year")


def _compare_dates(q: _Span, e: _Span) -> tuple[float, str]:
    if q.precision == "day" and e.precision == "day":
        if q.lo == e.lo:
            return DOB_SAME_DAY, "same day"
        if q.lo[0] == e.lo[0]:
            return DOB_OTHER_DAY_SAME_YEAR, "same year, other day"
    overlap = q.lo <= e.hi and e.lo <= q.hi
    if overlap:
        if q.precision == "range" or e.precision == "range":
            return DOB_IN_RANGE, "within range"
        if q.precision != "year" and e.precision != "year" and q.lo[:2] == e.lo[:2]:
            return DOB_SAME_MONTH, "same month"
        return DOB_SAME_YEAR, "same year"
    gap = max(q.lo[0] - e.hi[0], e.lo[0] - q.hi[0])
    if gap <= 2:
        return DOB_NEAR_YEAR, f"{gap} year{'s' if gap > 1 else ''} apart"
    if gap <= 5:
        return DOB_FAR, f"{gap} years apart"
    return DOB_VERY_FAR, f"{gap} years apart"


def _birth_date_feature(
    query_dates, entry_dates, corroborations: list[str], contradictions: list[str]
) -> float:
    q_spans = [s for s in (parse_birth_date(d) for d in query_dates) if s]
    if not q_spans:
        return 0.0
    e_spans = [s for s in (parse_birth_date(d) for d in entry_dates) if s]
    if not e_spans:
        return 0.0
    # The list's dates are alternatives: the most favourable pair decides.
    best = max(((_compare_dates(q, e), q, e) for q in q_spans for e in e_spans), key=lambda x: x[0][0])
    (value, why), q, e = best
    text = f"born {q.text}, listed {e.text}" + (f" ({why})" if why else "")
    if value > 0:
        corroborations.append(text)
    elif value < 0:
        listed = ", ".join(s.text for s in e_spans)
        contradictions.append(f"born {q.text}, listed {listed} ({why})")
    return value


# ---------------------------------------------------------------------------------------------------------------
# Countries, kind, identifiers


def _nationality_feature(query_countries, entry: Entry, corroborations, contradictions) -> float:
    q = {c.strip().upper() for c in query_countries if c and c.strip()}
    if not q:  # most queries give none: the entry's countries are not even read
        return 0.0
    e = {c.strip().upper() for c in (*entry.nationalities, *entry.citizenships) if c and c.strip()}
    if not e:
        return 0.0
    shared = q & e
    if shared:
        corroborations.append(f"nationality {', '.join(sorted(shared))} on both")
        return NATIONALITY_SHARED
    contradictions.append(f"nationality {', '.join(sorted(q))}, listed {', '.join(sorted(e))}")
    return NATIONALITY_DISJOINT


def _kind_feature(query_kind: str | None, entry_kind: str, contradictions: list[str]) -> float:
    if not query_kind or not entry_kind or query_kind == entry_kind:
        return 0.0
    if "person" in (query_kind, entry_kind):
        contradictions.append(f"a {query_kind} queried, a {entry_kind} listed")
        return KIND_MISMATCH
    return 0.0  # organization / vessel / other: lists disagree among themselves on these


def normalize_identifier(value: str) -> str:
    """Upper-case letters and digits only; an "IMO" prefix before an IMO number is dropped."""
    normalized = re.sub(r"[^0-9A-Z]", "", value.upper())
    if normalized.startswith("IMO") and normalized[3:].isdigit() and len(normalized) == 10:
        return normalized[3:]
    return normalized


def _number_conflict(
    query_forms: Sequence[NameForm], names: EntryNames, pair: NamePair | None, contradictions: list[str]
) -> float:
    """NAME_NUMBER_MISMATCH when the chosen query name is numbered and none of its numbers is on any of the
    entry's numbered names, else 0 (numbers in brackets are not counted: see numbers_outside_brackets). The chosen
    name, not every query name: an alias without a number may be the one that meets the entry."""
    if pair is None:
        return 0.0
    mine = profile_of(query_forms[pair.query_index]).numbers
    if not mine:
        return 0.0
    listed = [p.numbers for p in names.profiles if p.numbers]
    if not listed or any(not mine.isdisjoint(n) for n in listed):
        return 0.0
    mine_text, theirs_text = (", ".join(sorted(ns, key=int)) for ns in (mine, frozenset().union(*listed)))
    contradictions.append(f"name numbered {mine_text}, listed names numbered {theirs_text}")
    return NAME_NUMBER_MISMATCH


def _identifier_feature(query_ids, entry: Entry, corroborations, contradictions) -> tuple[bool, float]:
    if not query_ids or not entry.identifiers:
        return False, 0.0
    entry_ids = [(i.type, normalize_identifier(i.value), i.value) for i in entry.identifiers]
    for q_type, q_value in query_ids:
        q_norm = normalize_identifier(q_value or "")
        if len(q_norm) < 4:
            continue
        for e_type, e_norm, e_raw in entry_ids:
            if e_norm == q_norm and (
                not q_type or not e_type or q_type == e_type or "other" in (q_type, e_type)
            ):
                corroborations.append(f"identifier {e_type or 'id'} {e_raw} on both")
                return True, 0.0
    penalty = 0.0
    for q_type, q_value in query_ids:
        if not q_type:
            continue
        same_type = [e for e in entry_ids if e[0] == q_type]
        if not same_type:
            continue
        listed = ", ".join(e[2] for e in same_type)
        if q_type in UNIQUE_IDENTIFIER_TYPES:
            contradictions.append(f"{q_type} {q_value}, listed {listed}")
            penalty = min(penalty, IDENTIFIER_UNIQUE_MISMATCH)
        elif q_type in PERSONAL_IDENTIFIER_TYPES:
            contradictions.append(f"{q_type} {q_value}, listed {listed}")
            penalty = min(penalty, IDENTIFIER_PERSONAL_MISMATCH)
    return False, penalty
