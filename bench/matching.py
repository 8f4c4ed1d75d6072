"""Benchmark of the matcher on real lists, side by side with nomenklatura's logic-v2 (the yente algorithm).

Run: ``.venv/bin/python bench/matching.py`` (a few minutes; ``--quick`` skips logic-v2, ``--dump PATH`` writes every
query's results). Data: ``SANCTRACK_SAMPLE_DATA`` (default
``../shared/data`` from the repository root). Needs ``app.lists.parsers.parse`` and, for the comparison, the
``bench`` extra (nomenklatura).

Labelled queries, none of them a name the index holds:

* A, alias additions: the SDN publication of 2019-01 is indexed; each alias that the 2023-12-28 publication added
  to an entry present in both is a query whose answer is that entry. "A-variant" keeps those that are spellings
  of a name the entry already had (rapidfuzz token_set_ratio >= 60 against one of its 2019 names, a criterion
  independent of both matchers); "A-all" keeps them all (new nicknames, new company names: no name matcher can
  find those).
* B, respellings: primary names of entries of every loaded source, rewritten by the transliteration rules of
  the field (article forms, vowel and consonant variants, abd/bin/abu forms, word order); answer: that entry.
* C, cross-script: UN original-script names (NAME_ORIGINAL_SCRIPT: Arabic, Cyrillic, Chinese) against an index
  from which all non-Latin names were withheld; answer: the UN entry that gave the name.
* N, negatives: members of the US Congress (OpenSanctions PEP records), who are on no list: any alert is wrong.

Alerts are results at or above the threshold (at most 10 per query). For a positive query, an alert on the
answer is a true positive, an alert on another entry of the same source a false positive, and an alert from
another source is not counted (the same person is often on several lists); nor is an alert on another entry of
the same source that bears one of the answer's names (the same words in any order, legal forms aside: lists hold
the same person twice, under two regimes, and different people with identical names; no name query can tell
those apart). Recall = positive
queries whose answer is alerted / positive queries.
"""

from __future__ import annotations

import gc
import json
import os
import random
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from pathlib import Path

from anyascii import anyascii
from rapidfuzz import fuzz

from app.lists.records import Entry
from app.matching import names as names_module
from app.matching.index import AUTO_LINK_THRESHOLD, DEFAULT_THRESHOLD, MatchIndex
from app.matching.query import MatchQuery

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 10
LOGIC_V2_CANDIDATES = 50
LOGIC_V2_DEFAULT_THRESHOLD = 0.7  # yente's default match threshold
SEED = 20240520

Key = tuple[str, str]


def data_dir() -> Path:
    path = Path(os.environ.get("SANCTRACK_SAMPLE_DATA", ROOT / ".." / "shared" / "data"))
    if not path.is_absolute():
        path = (ROOT / path).resolve()
    if not path.is_dir():
        raise SystemExit(f"sample data folder not found at {path}; set SANCTRACK_SAMPLE_DATA")
    return path


def parser():
    try:
        from app.lists.parsers import parse
    except ImportError as exc:
        raise SystemExit(
            f"app.lists.parsers.parse is not available yet ({exc}); the benchmark needs it"
        ) from exc
    return parse


# Newest first: the first publication of each source that parses is loaded.
PUBLICATIONS = {
    "ofac_sdn": ["ofac_sdn/2023-12-28"],
    "ofac_cons": ["ofac_cons/consolidated_2025-12-18.xml", "ofac_cons/consolidated_2025-10-22.xml"],
    "un_sc": ["un/consolidated_2026-02-27.xml", "un/consolidated_2025-11-29.xml"],
    "uk": [
        "uk/ofsi_conlist_2025-04-14.xlsx",
        "uk/ofsi_conlist_2025-04-10.xlsx",
        "uk/ofsi_conlist_2020-04-27.csv",
    ],
}
# The EU files are cuts of different exports: all of them, the newest version of each entity winning.
EU_GLOB = "eu/fsf_*.xml"


def load_sources(base: Path) -> tuple[dict[str, list[Entry]], list[str]]:
    parse = parser()
    loaded: dict[str, list[Entry]] = {}
    notes: list[str] = []
    for source, candidates in PUBLICATIONS.items():
        for rel in candidates:
            path = base / rel
            if not path.exists():
                continue
            try:
                publication = parse(source, path)
            except Exception as exc:  # noqa: BLE001 - a file the parser rejects: try the next one
                notes.append(f"{source}: {rel} not parsed ({type(exc).__name__}: {str(exc)[:80]})")
                continue
            loaded[source] = publication.entries
            notes.append(f"{source}: {rel} ({len(publication.entries)} entries)")
            break
    eu: dict[str, Entry] = {}
    for path in sorted(base.glob(EU_GLOB)):
        try:
            for entry in parse("eu_fsf", path).entries:
                eu[entry.list_id] = entry
        except Exception as exc:  # noqa: BLE001
            notes.append(f"eu_fsf: {path.name} not parsed ({type(exc).__name__})")
    if eu:
        loaded["eu_fsf"] = list(eu.values())
        notes.append(f"eu_fsf: {len(list(base.glob(EU_GLOB)))} excerpt files ({len(eu)} entries)")
    return loaded, notes


# ---------------------------------------------------------------------------------------------------------------
# Labelled queries


@dataclass
class Case:
    set: str
    query: MatchQuery
    expected: Key | None  # None for a negative
    attrs: MatchQuery | None = None  # the same query with birth dates and nationalities
    namesakes: frozenset[Key] = frozenset()  # other entries of the answer's source bearing one of its names


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", anyascii(text).lower().replace("'", "")))


_LEGAL_WORDS = frozenset(
    [
        "llc",
        "ltd",
        "limited",
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "jsc",
        "ojsc",
        "pjsc",
        "cjsc",
        "ooo",
        "oao",
        "zao",
        "pao",
        "ao",
        "plc",
        "sa",
        "gmbh",
        "the",
    ]
)


def _name_key(text: str) -> tuple[str, ...]:
    """A name as a list states it, for telling two entries apart: its words in any order, legal forms aside."""
    return tuple(sorted(w for w in _norm(text).split() if w not in _LEGAL_WORDS))


def alias_additions(old: list[Entry], new: list[Entry]) -> list[tuple[Case, float]]:
    old_by_id = {e.list_id: e for e in old}
    out = []
    for entry in new:
        before = old_by_id.get(entry.list_id)
        if before is None:
            continue
        known = {n.full for n in before.names}
        known_norm = [_norm(n) for n in known]
        for name in entry.names:
            if name.full in known or _norm(name.full) in known_norm:
                continue
            closeness = max(fuzz.token_set_ratio(_norm(name.full), k) for k in known_norm)
            query = MatchQuery(names=[name.full], kind=entry.kind)
            attrs = replace(
                query,
                birth_dates=list(entry.birth_dates),
                nationalities=sorted({*entry.nationalities, *entry.citizenships}),
            )
            out.append((Case("A", query, ("ofac_sdn", entry.list_id), attrs), closeness))
    return out


def _sub_token(pattern: str, repl: str | Callable, text: str, rng: random.Random) -> str | None:
    matches = list(re.finditer(pattern, text))
    if not matches:
        return None
    m = rng.choice(matches)
    value = repl(m) if callable(repl) else m.expand(repl)
    return text[: m.start()] + value + text[m.end() :]


def _swap_vowel(text: str, rng: random.Random) -> str | None:
    swaps = {
        "u": "o",
        "o": "u",
        "i": "e",
        "e": "i",
        "a": "e",
        "U": "O",
        "O": "U",
        "I": "E",
        "E": "I",
        "A": "E",
    }
    # a vowel inside a word (not the first letter): transliterations disagree on short vowels
    return _sub_token(r"(?<=[A-Za-z])[aeiouAEIOU](?=[A-Za-z])", lambda m: swaps[m.group(0)], text, rng)


RESPELLINGS: list[tuple[str, Callable[[str, random.Random], str | None]]] = [
    (
        "al- to el-",
        lambda t, r: _sub_token(
            r"\b([Aa])([Ll])-", lambda m: ("E" if m.group(1) == "A" else "e") + m.group(2) + "-", t, r
        ),
    ),
    ("al- to al ", lambda t, r: _sub_token(r"\b([Aa][Ll])-", r"\1 ", t, r)),
    ("al- attached", lambda t, r: _sub_token(r"\b([Aa][Ll])[- ](?=[A-Za-z]{3})", r"\1", t, r)),
    ("al- dropped", lambda t, r: _sub_token(r"\b[Aa][Ll][- ](?=[A-Za-z]{3})", "", t, r)),
    (
        "article added",
        lambda t, r: (
            _sub_token(r"^([A-Z][A-Za-z]{3,})(?=,)", r"AL-\1", t, r)
            if not re.match(r"^(AL|EL)[- ]", t, re.I)
            else None
        ),
    ),
    ("vowel swap", _swap_vowel),
    ("dh to d", lambda t, r: _sub_token(r"(?<=[A-Za-z])([Dd])[Hh]", r"\1", t, r)),
    (
        "final d to dh",
        lambda t, r: _sub_token(
            r"(?<=[AaIiEe])([Dd])\b", lambda m: m.group(1) + ("H" if m.group(1) == "D" else "h"), t, r
        ),
    ),
    (
        "q to k",
        lambda t, r: _sub_token(r"[Qq](?=[AaIiUu])", lambda m: "K" if m.group(0) == "Q" else "k", t, r),
    ),
    ("ou to u", lambda t, r: _sub_token(r"([Oo])([Uu])", lambda m: m.group(2), t, r)),
    (
        "u to ou",
        lambda t, r: _sub_token(
            r"(?<=[BCDFGHJKLMNPRSTVZbcdfghjklmnprstvz])([Uu])(?=[A-Za-z])",
            lambda m: ("O" if m.group(1) == "U" else "o") + m.group(1),
            t,
            r,
        ),
    ),
    (
        "i to ee",
        lambda t, r: _sub_token(
            r"(?<=[A-Za-z])([Ii])(?=[BCDFGHJKLMNPRSTVZbcdfghjklmnprstvz])",
            lambda m: "EE" if m.group(1) == "I" else "ee",
            t,
            r,
        ),
    ),
    ("undouble", lambda t, r: _sub_token(r"([BCDFGHJKLMNPRSTVZbcdfghjklmnprstvz])\1", r"\1", t, r)),
    (
        "double",
        lambda t, r: _sub_token(r"(?<=[AEIOUaeiou])([BDFLMNRSTZbdflmnrstz])(?=[AEIOUaeiou])", r"\1\1", t, r),
    ),
    (
        "abd al- to abdul",
        lambda t, r: _sub_token(
            r"\b([Aa][Bb][Dd])[- ]?[AaEe][Ll][- ]",
            lambda m: m.group(1) + ("UL " if m.group(1).isupper() else "ul "),
            t,
            r,
        ),
    ),
    (
        "abdul to abd al-",
        lambda t, r: _sub_token(
            r"\b([Aa][Bb][Dd])[UuEe][Ll][- ]?",
            lambda m: m.group(1) + (" AL-" if m.group(1).isupper() else " al-"),
            t,
            r,
        ),
    ),
    (
        "bin to ibn",
        lambda t, r: _sub_token(
            r"\b[Bb][Ii][Nn]\b", lambda m: "IBN" if m.group(0).isupper() else "ibn", t, r
        ),
    ),
    (
        "abu to abou",
        lambda t, r: _sub_token(
            r"\b([Aa][Bb])([Uu])\b", lambda m: m.group(1) + ("OU" if m.group(2) == "U" else "ou"), t, r
        ),
    ),
    ("apostrophe dropped", lambda t, r: _sub_token(r"'", "", t, r)),
    (
        "ay to ai",
        lambda t, r: _sub_token(
            r"(?<=[Aa])([Yy])(?=[BCDFGHJKLMNPRSTVZbcdfghjklmnprstvz]|\b)",
            lambda m: "I" if m.group(1) == "Y" else "i",
            t,
            r,
        ),
    ),
    (
        "muhammad family",
        lambda t, r: _sub_token(
            r"\b(MUHAMMAD|MOHAMMED|MOHAMED|MOHAMMAD|Muhammad|Mohammed|Mohamed"
            r"|Mohammad)\b",
            lambda m: r.choice(
                [
                    v
                    for v in ("Mohammed", "Muhammad", "Mohamed", "Mohammad")
                    if v.lower() != m.group(0).lower()
                ]
            ),
            t,
            r,
        ),
    ),
    (
        "hussein family",
        lambda t, r: _sub_token(
            r"\b(HUSSEIN|HUSAYN|HUSSAIN|HUSAIN|Hussein|Husayn|Hussain|Husain)\b",
            lambda m: r.choice(
                [v for v in ("Hussein", "Husayn", "Husain") if v.lower() != m.group(0).lower()]
            ),
            t,
            r,
        ),
    ),
]


def _reorder(text: str) -> str:
    if "," in text:
        surname, _, given = text.partition(",")
        return f"{given.strip()} {surname.strip()}".strip()
    return text


# Legal forms and acronyms are not transliterated: the rules leave these words alone.
_PROTECTED = re.compile(
    r"(?i:\b(?:llc|ltd|ltda|ooo|oao|zao|pao|ao|jsc|ojsc|pjsc|cjsc|co|inc|corp|plc|sa|sal|sas|srl|spa|llp|lp|fze|"
    r"fzco|gmbh|kg|ag|bv|nv|oy|ab|as|pte|pvt|bhd|sdn|company|limited|corporation|incorporated|liability|joint|"
    r"stock)\b)|\([^)]*\)|\b(?:[A-Za-z]\.){2,}"
)


def _apply_protected(rule, text: str, rng: random.Random) -> str | None:
    """Apply a rule to the words of a name that are not legal forms or acronyms."""
    spans = [m.span() for m in _PROTECTED.finditer(text)]
    if not spans:
        return rule(text, rng)
    masked = list(text)
    for start, end in spans:
        for i in range(start, end):
            masked[i] = "\x00"
    result = rule("".join(masked), rng)
    if result is None or len(result) != len(text) and "\x00" not in result:
        return None
    # Put the protected words back (the rules never touch the placeholder characters).
    pieces = iter(text[start:end] for start, end in spans)
    return re.sub("\x00+", lambda _m: next(pieces), result)


def respellings(loaded: dict[str, list[Entry]], rng: random.Random, per_source: dict[str, int]) -> list[Case]:
    out = []
    for source, count in per_source.items():
        entries = [e for e in loaded.get(source, []) if e.names and e.kind in ("person", "organization")]
        rng.shuffle(entries)
        made = 0
        for entry in entries:
            if made >= count:
                break
            primary = entry.names[0].full
            if not primary.isascii():
                continue
            known = {_norm(n.full) for n in entry.names}
            applicable = [
                (label, rule)
                for label, rule in RESPELLINGS
                if _apply_protected(rule, primary, random.Random(0))
            ]
            if not applicable:
                continue
            rng.shuffle(applicable)
            text = primary
            for _label, rule in applicable[: rng.choice((1, 2, 2))]:
                text = _apply_protected(rule, text, rng) or text
            if rng.random() < 0.5:
                text = _reorder(text)
            if _norm(text) in known or sorted(_norm(text).split()) in [sorted(k.split()) for k in known]:
                continue
            query = MatchQuery(names=[text], kind=entry.kind)
            attrs = replace(
                query,
                birth_dates=list(entry.birth_dates),
                nationalities=sorted({*entry.nationalities, *entry.citizenships}),
            )
            out.append(Case("B", query, (source, entry.list_id), attrs))
            made += 1
    return out


def cross_script(loaded: dict[str, list[Entry]]) -> list[Case]:
    out = []
    for source in ("un_sc",):
        for entry in loaded.get(source, []):
            latin = [n for n in entry.names if n.full.isascii() or (n.script or "Latn") == "Latn"]
            if not latin:
                continue
            for name in entry.names:
                if name.full.isascii() or (name.script or "Latn") == "Latn":
                    continue
                query = MatchQuery(names=[name.full], kind=entry.kind)
                attrs = replace(
                    query,
                    birth_dates=list(entry.birth_dates),
                    nationalities=sorted({*entry.nationalities, *entry.citizenships}),
                )
                out.append(Case("C", query, (source, entry.list_id), attrs))
    return out


def latin_only(entry: Entry) -> Entry:
    kept = [n for n in entry.names if n.full.isascii() or (n.script or "Latn") == "Latn"]
    return replace(entry, names=kept or entry.names[:0])


def negatives(path: Path) -> list[Case]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        # Records are Senzing-style JSON (NAMES, DATES, COUNTRIES); FtM-style "properties" are read too.
        names = [n.get("NAME_FULL") for n in record.get("NAMES", []) if n.get("NAME_FULL")]
        props = record.get("properties", {})
        names += props.get("name", []) + props.get("alias", [])
        if not names:
            continue
        dates = [d.get("DATE_OF_BIRTH") for d in record.get("DATES", []) if d.get("DATE_OF_BIRTH")]
        dates += props.get("birthDate", [])
        countries = [c.get("NATIONALITY") for c in record.get("COUNTRIES", []) if c.get("NATIONALITY")]
        countries += props.get("nationality", []) + props.get("citizenship", [])
        query = MatchQuery(names=list(dict.fromkeys(names)), kind="person")
        attrs = replace(
            query, birth_dates=[d[:10] for d in dates], nationalities=sorted({c.upper() for c in countries})
        )
        out.append(Case("N", query, None, attrs))
    return out


# ---------------------------------------------------------------------------------------------------------------
# logic-v2


class LogicV2:
    def __init__(self) -> None:
        from followthemoney import model
        from nomenklatura.matching import get_algorithm
        from nomenklatura.matching.types import ScoringConfig

        self.model = model
        self.algorithm = get_algorithm("logic-v2")
        if self.algorithm is None:
            raise RuntimeError("nomenklatura has no logic-v2 algorithm")
        self.config = ScoringConfig.defaults()
        self.entities: dict[Hashable, object] = {}

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

    def _entity(
        self,
        ident: str,
        kind: str | None,
        names: list[tuple[str, str]],
        dates: list[str],
        countries: list[str],
        identifiers: list[tuple[str | None, str]],
    ):
        schema = self.model.get(self.SCHEMA.get(kind or "", "LegalEntity"))
        entity = self.model.make_entity(schema)
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
            entity.add(
                self.ID_PROP.get(
                    id_type or "", "registrationNumber" if not schema.is_a("Person") else "idNumber"
                ),
                value,
                quiet=True,
            )
        return entity

    def entry_entity(self, key: Hashable, entry: Entry):
        # Per entry object, not per key: the cross-script index holds other versions of the same entries.
        cached = self.entities.get(id(entry))
        entity = cached[1] if cached is not None and cached[0] is entry else None
        if entity is None:
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
        out = []
        for key, entry in candidates:
            result = self.algorithm.compare(query_entity, self.entry_entity(key, entry), self.config)
            out.append((key, float(result.score)))
        return out


# ---------------------------------------------------------------------------------------------------------------
# Evaluation


@dataclass
class Outcome:
    case: Case
    alerts: list[tuple[Hashable, float]]  # (entry key, score), all results returned (scores >= floor)
    seconds: float
    scoring_seconds: float = 0.0


@dataclass
class Metrics:
    tp: int = 0
    fp: int = 0
    found: int = 0
    positives: int = 0
    negatives_alerted: int = 0
    negatives: int = 0
    per_set: dict[str, list[int]] = field(default_factory=dict)

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


def measure(outcomes: list[Outcome], threshold: float, sets: set[str]) -> Metrics:
    m = Metrics()
    for outcome in outcomes:
        case = outcome.case
        if case.set not in sets:
            continue
        alerts = [(k, s) for k, s in outcome.alerts if s >= threshold][:LIMIT]
        stats = m.per_set.setdefault(case.set, [0, 0, 0])  # queries, found / alerted, false alerts
        stats[0] += 1
        if case.expected is None:
            m.negatives += 1
            m.fp += len(alerts)
            stats[2] += len(alerts)
            if alerts:
                m.negatives_alerted += 1
                stats[1] += 1
            continue
        m.positives += 1
        source = case.expected[0]
        hit = any(k == case.expected for k, _ in alerts)
        wrong = sum(1 for k, _ in alerts if k != case.expected and k[0] == source and k not in case.namesakes)
        m.found += hit
        m.tp += hit
        m.fp += wrong
        stats[1] += hit
        stats[2] += wrong
    return m


def false_positive_scores(outcomes: list[Outcome], sets: set[str]) -> list[tuple[float, str, Hashable]]:
    out = []
    for outcome in outcomes:
        case = outcome.case
        if case.set not in sets:
            continue
        for key, score in outcome.alerts[:LIMIT]:
            if case.expected is None or (
                key != case.expected and key[0] == case.expected[0] and key not in case.namesakes
            ):
                out.append((score, case.query.names[0], key))
    return sorted(out, reverse=True)


def best_threshold(outcomes: list[Outcome], sets: set[str], grid: list[float]) -> tuple[float, Metrics]:
    best = max(grid, key=lambda t: (measure(outcomes, t, sets).f1, -abs(t - 0.7)))
    return best, measure(outcomes, best, sets)


def run_ours(index: MatchIndex, cases: list[Case], threshold: float, use_attrs: bool) -> list[Outcome]:
    out = []
    for case in cases:
        query = case.attrs if use_attrs and case.attrs else case.query
        start = time.perf_counter()
        results = index.search(query, limit=LIMIT, threshold=threshold)
        elapsed = time.perf_counter() - start
        out.append(Outcome(case, [(k, r.score) for k, _, r in results], elapsed))
    return out


def run_logic_v2(
    lv2: LogicV2, index: MatchIndex, cases: list[Case], use_attrs: bool, floor: float
) -> list[Outcome]:
    out = []
    for n, case in enumerate(cases):
        query = case.attrs if use_attrs and case.attrs else case.query
        start = time.perf_counter()
        candidates = index.candidates(query, cap=LOGIC_V2_CANDIDATES, broad=True)
        scoring_start = time.perf_counter()
        entity = lv2.query_entity(query, f"q{n}")
        scored = lv2.score(entity, candidates)
        end = time.perf_counter()
        scored.sort(key=lambda x: -x[1])
        alerts = [(k, s) for k, s in scored if s >= floor][:LIMIT]
        out.append(Outcome(case, alerts, end - start, end - scoring_start))
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def main() -> None:
    rng = random.Random(SEED)
    base = data_dir()
    parse = parser()
    t0 = time.perf_counter()
    loaded, notes = load_sources(base)
    sdn_2019 = parse("ofac_sdn", base / "ofac_sdn" / "2019-01").entries
    sdn_2023 = loaded.get("ofac_sdn") or parse("ofac_sdn", base / "ofac_sdn" / "2023-12-28").entries
    print(f"Parsed in {time.perf_counter() - t0:.1f} s:")
    for note in notes:
        print(f"  {note}")
    print(f"  ofac_sdn 2019-01 for set A: {len(sdn_2019)} entries")

    # Indexes
    all_items = [((source, e.list_id), e) for source, entries in loaded.items() for e in entries]
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    main_index = MatchIndex(all_items)
    build_traced = time.perf_counter() - t0
    index_memory, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stats = main_index.stats()
    latin_index = MatchIndex((key, latin_only(e)) for key, e in all_items)
    index_2019 = MatchIndex((("ofac_sdn", e.list_id), e) for e in sdn_2019)
    t0 = time.perf_counter()
    MatchIndex(all_items)
    build_plain = time.perf_counter() - t0

    # Queries
    additions = alias_additions(sdn_2019, sdn_2023)
    set_a_all = [c for c, _ in additions]
    set_a = []
    for case, closeness in additions:
        if closeness >= 60:
            set_a.append(case)
    for case in set_a_all:
        if case not in set_a:
            case.set = "A-other"
    set_b = respellings(loaded, rng, {"ofac_sdn": 300, "un_sc": 150, "uk": 150, "ofac_cons": 50, "eu_fsf": 5})
    set_c = cross_script(loaded)
    by_name: dict[tuple[str, str], set[Key]] = {}
    for source, entries in [*loaded.items(), ("ofac_sdn", sdn_2019)]:
        for entry in entries:
            for name in entry.names:
                by_name.setdefault((source, _name_key(name.full)), set()).add((source, entry.list_id))
    entry_of = {(s, e.list_id): e for s, entries in loaded.items() for e in entries}
    entry_of.update({("ofac_sdn", e.list_id): e for e in sdn_2019 if ("ofac_sdn", e.list_id) not in entry_of})
    for case in set_a_all + set_b + set_c:
        entry = entry_of.get(case.expected)
        if entry is not None:
            case.namesakes = frozenset(
                k
                for n in entry.names
                for k in by_name.get((case.expected[0], _name_key(n.full)), ())
                if k != case.expected
            )
    neg_path = base / "negatives" / "us_congress_pep_part1.jsonl"
    set_n = negatives(neg_path) if neg_path.exists() else []
    print(
        f"\nQueries: A-variant {len(set_a)}, A-other {len(set_a_all) - len(set_a)} (A-all {len(set_a_all)}), "
        f"B {len(set_b)}, C {len(set_c)}, N {len(set_n)}"
    )

    groups = [(index_2019, set_a_all), (main_index, set_b + set_n), (latin_index, set_c)]
    main_sets = {"A", "B", "C", "N"}
    all_sets = main_sets | {"A-other"}
    grid = [round(0.5 + 0.01 * i, 2) for i in range(50)]

    # Warm up (first-call costs: regex compilation, imports)
    for index, cases in groups:
        for case in cases[:5]:
            index.search(case.query)
    names_module.parse_name.cache_clear()  # the timed runs parse every query afresh

    results: dict[str, dict[str, list[Outcome]]] = {}
    for label, use_attrs in (("names", False), ("names+dob+nat", True)):
        ours_at_default: list[Outcome] = []
        ours_sweep: list[Outcome] = []
        for index, cases in groups:
            ours_at_default += run_ours(index, cases, DEFAULT_THRESHOLD, use_attrs)
        for index, cases in groups:
            ours_sweep += run_ours(index, cases, 0.5, use_attrs)
        results.setdefault(label, {})["ours"] = ours_at_default
        results[label]["ours_sweep"] = ours_sweep
        names_module.parse_name.cache_clear()

    lv2 = None
    try:
        if "--quick" in sys.argv:
            raise RuntimeError("skipped by --quick")
        lv2 = LogicV2()
    except Exception as exc:  # noqa: BLE001 - the comparison is optional without the bench extra
        print(f"\nlogic-v2 not available ({exc}); install the bench extra")
    if lv2 is not None:
        # Warm up its caches on a few unrelated pairs, as a running yente would be.
        for index, cases in groups:
            for n, case in enumerate(cases[:5]):
                lv2.score(lv2.query_entity(case.query, f"w{n}"), index.candidates(case.query)[:5])
        for label, use_attrs in (("names", False), ("names+dob+nat", True)):
            outcomes: list[Outcome] = []
            for index, cases in groups:
                outcomes += run_logic_v2(lv2, index, cases, use_attrs, floor=0.5)
            results[label]["logic_v2"] = outcomes

    # Report
    print(
        f"\nIndex (all sources): {stats['entries']} entries, {stats['names']} names, {stats['keys']} keys, "
        f"{stats['postings']} postings; memory {index_memory / 2**20:.1f} MiB (tracemalloc, incl. parse caches); "
        f"build {build_plain:.1f} s ({build_traced:.1f} s under tracemalloc)"
    )
    for label in results:
        ours = results[label]["ours"]
        sweep = results[label]["ours_sweep"]
        rows = []
        m = measure(ours, DEFAULT_THRESHOLD, main_sets)
        rows.append(_row(f"ours @ {DEFAULT_THRESHOLD:.2f} (default)", m))
        t_best, m_best = best_threshold(sweep, main_sets, grid)
        rows.append(_row(f"ours @ {t_best:.2f} (best F1)", m_best))
        rows.append(
            _row(
                f"ours @ {AUTO_LINK_THRESHOLD:.2f} (auto-link)",
                measure(sweep, AUTO_LINK_THRESHOLD, main_sets),
            )
        )
        if "logic_v2" in results[label]:
            lv = results[label]["logic_v2"]
            rows.append(
                _row(
                    f"logic-v2 @ {LOGIC_V2_DEFAULT_THRESHOLD:.2f} (yente default)",
                    measure(lv, LOGIC_V2_DEFAULT_THRESHOLD, main_sets),
                )
            )
            t_lv, m_lv = best_threshold(lv, main_sets, grid)
            rows.append(_row(f"logic-v2 @ {t_lv:.2f} (best F1)", m_lv))
        print_table(
            f"Quality, queries with {label} (sets A-variant, B, C, N)",
            ["matcher", "precision", "recall", "F1", "TP", "FP", "A-var", "B", "C", "N alerted"],
            rows,
        )
        rows = [_row(f"ours @ {DEFAULT_THRESHOLD:.2f}", measure(ours, DEFAULT_THRESHOLD, all_sets))]
        if "logic_v2" in results[label]:
            rows.append(
                _row(
                    f"logic-v2 @ {LOGIC_V2_DEFAULT_THRESHOLD:.2f}",
                    measure(results[label]["logic_v2"], LOGIC_V2_DEFAULT_THRESHOLD, all_sets),
                )
            )
        a_all = measure(ours, DEFAULT_THRESHOLD, {"A", "A-other"})
        print_table(
            f"Including A-other (alias additions that are not spellings of a known name), {label}",
            ["matcher", "precision", "recall", "F1", "TP", "FP", "A-var", "B", "C", "N alerted"],
            rows,
        )
        print(f"  ours recall on A-all: {a_all.recall:.3f} ({a_all.found}/{a_all.positives})")

        fps = false_positive_scores(sweep, main_sets)
        top_fp = fps[0][0] if fps else 0.0
        print(
            f"  ours: highest-scoring false alert {top_fp:.3f}"
            + (f" ({fps[0][1]!r} -> {fps[0][2]})" if fps else "")
        )
        safe = round(top_fp + 0.005, 3)
        m_safe = measure(sweep, max(safe, 0.5), main_sets)
        print(
            f"  ours: lowest threshold with zero false alerts {safe:.3f}: recall {m_safe.recall:.3f}; at "
            f"AUTO_LINK_THRESHOLD {AUTO_LINK_THRESHOLD:.2f}: false alerts "
            f"{measure(sweep, AUTO_LINK_THRESHOLD, main_sets).fp}, recall "
            f"{measure(sweep, AUTO_LINK_THRESHOLD, main_sets).recall:.3f}"
        )
        for score, name, key in fps[:8]:
            print(f"    false alert {score:.3f}  {name!r} -> {key}")
        if "logic_v2" in results[label]:
            lv_fps = false_positive_scores(results[label]["logic_v2"], main_sets)
            if lv_fps:
                print(
                    f"  logic-v2: highest-scoring false alert {lv_fps[0][0]:.3f} ({lv_fps[0][1]!r} -> "
                    f"{lv_fps[0][2]})"
                )

    # Latency (names-only run, every query, cold query parsing)
    ours = results["names"]["ours"]
    ours_lat = [o.seconds * 1000 for o in ours]
    lat_rows = [
        [
            "ours: retrieval + scoring",
            f"{statistics.median(ours_lat):.3f}",
            f"{pct(ours_lat, 0.95):.3f}",
            f"{max(ours_lat):.1f}",
        ]
    ]
    if "logic_v2" in results["names"]:
        lv = results["names"]["logic_v2"]
        lv_total = [o.seconds * 1000 for o in lv]
        lv_scoring = [o.scoring_seconds * 1000 for o in lv]
        lat_rows.append(
            [
                f"logic-v2: scoring {LOGIC_V2_CANDIDATES} candidates",
                f"{statistics.median(lv_scoring):.3f}",
                f"{pct(lv_scoring, 0.95):.3f}",
                f"{max(lv_scoring):.1f}",
            ]
        )
        lat_rows.append(
            [
                "logic-v2: retrieval + scoring",
                f"{statistics.median(lv_total):.3f}",
                f"{pct(lv_total, 0.95):.3f}",
                f"{max(lv_total):.1f}",
            ]
        )
    print_table(
        f"Latency per query, ms ({len(ours_lat)} queries, all sources loaded)",
        ["", "median", "p95", "max"],
        lat_rows,
    )
    if "logic_v2" in results["names"]:
        ratio = statistics.median(lv_scoring) / statistics.median(ours_lat)
        print(
            f"  median speed-up over logic-v2 scoring its {LOGIC_V2_CANDIDATES} best candidates: {ratio:.1f}x"
        )

    # Screening 1,000 query records in one process
    pool = [c.query for c in set_b + set_n + set_a]
    rng.shuffle(pool)
    batch = (pool * (1000 // max(len(pool), 1) + 1))[:1000]
    names_module.parse_name.cache_clear()
    t0 = time.perf_counter()
    alerts = sum(len(main_index.search(q, limit=LIMIT)) for q in batch)
    screening = time.perf_counter() - t0
    print(
        f"\nScreening 1,000 query records against all loaded lists ({stats['entries']} entries): "
        f"{screening:.2f} s, {alerts} alerts"
    )
    print(f"\nDEFAULT_THRESHOLD = {DEFAULT_THRESHOLD}, AUTO_LINK_THRESHOLD = {AUTO_LINK_THRESHOLD}")
    if "--dump" in sys.argv:
        # Every query with both matchers' results, to study misses and false alerts.
        path = Path(sys.argv[sys.argv.index("--dump") + 1])
        with path.open("w", encoding="utf-8") as out:
            for label, by_matcher in results.items():
                for matcher in ("ours_sweep", "logic_v2"):
                    for o in by_matcher.get(matcher, []):
                        out.write(
                            json.dumps(
                                {
                                    "run": label,
                                    "matcher": matcher,
                                    "set": o.case.set,
                                    "query": o.case.query.names,
                                    "kind": o.case.query.kind,
                                    "expected": o.case.expected,
                                    "namesakes": sorted(o.case.namesakes),
                                    "alerts": o.alerts,
                                    "ms": o.seconds * 1000,
                                },
                                ensure_ascii=False,
                            )
                            + "\n"
                        )
        print(f"details written to {path}")


def _row(label: str, m: Metrics) -> list[str]:
    def found(s: str) -> str:
        q, f, _ = m.per_set.get(s, [0, 0, 0])
        return f"{f}/{q}"

    return [
        label,
        f"{m.precision:.3f}",
        f"{m.recall:.3f}",
        f"{m.f1:.3f}",
        str(m.tp),
        str(m.fp),
        found("A"),
        found("B"),
        found("C"),
        found("N"),
    ]


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    main()
