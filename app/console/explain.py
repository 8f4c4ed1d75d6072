"""Turn stored JSON (match explanations, listed entries, change diffs) into plain structures a template can show.

The JSON comes from other parts of the service and may gain or lose keys over time, so everything here reads it
defensively: an unknown shape is shown as text rather than breaking the page.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.matching.score import QUALITY_FACTOR


@dataclass(frozen=True)
class FeatureInfo:
    label: str
    group: str  # name: about the names, shown whenever it moved the score; record: a fact both sides may give
    mentions: tuple[str, ...]  # how a corroboration or contradiction about it begins ("born", "nationality")


def _load_features(path: Path) -> dict[str, FeatureInfo]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["feature"]: FeatureInfo(
                row["label"], row["group"], tuple(m for m in row["mentions"].split(";") if m)
            )
            for row in csv.DictReader(handle)
        }


FEATURES = _load_features(Path(__file__).with_name("explain_features.csv"))
FEATURE_LABELS = {name: info.label for name, info in FEATURES.items()}
# Below this a contribution rounds to +0.00 and tells the reviewer nothing.
NEGLIGIBLE = 0.005


@dataclass
class TokenPair:
    query: str
    entry: str
    similarity: float | None


@dataclass
class Feature:
    """What one feature added to the match score (negative: took away), and why where the explanation says."""

    name: str
    contribution: float
    verdict: str | None = None  # agrees, disagrees (a record fact both sides gave), or None (the names)
    detail: str | None = None  # the corroboration or contradiction it rests on
    share: float = 0.0  # its size against the largest contribution shown, 0..1, for the bar

    @property
    def signed(self) -> str:
        return f"{'+' if self.contribution >= 0 else '−'}{abs(self.contribution):.2f}"


@dataclass
class Explanation:
    query_name: str | None = None
    entry_name: str | None = None
    name_similarity: float | None = None
    entry_name_quality: str | None = None  # weak (a nickname or fragment) or former, when not strong
    entry_name_weight: float | None = None  # what an exact agreement with such a name counts for
    tokens: list[TokenPair] = field(default_factory=list)
    features: list[Feature] = field(default_factory=list)
    corroborations: list[str] = field(default_factory=list)
    contradictions: list[str] = field(default_factory=list)
    other: dict[str, Any] = field(default_factory=dict)
    units: str = "score points"  # what the contributions count in: a learned model's are log-odds

    @property
    def other_corroborations(self) -> list[str]:
        """Those not already shown beside the feature they are about."""
        shown = {f.detail for f in self.features}
        return [c for c in self.corroborations if c not in shown]

    @property
    def other_contradictions(self) -> list[str]:
        shown = {f.detail for f in self.features}
        return [c for c in self.contradictions if c not in shown]

    @property
    def empty(self) -> bool:
        return not (
            self.query_name or self.features or self.corroborations or self.contradictions or self.other
        )


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _sentence(item: Any) -> str:
    """One corroboration or contradiction as a readable phrase, whatever shape it was stored in."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        field_name = item.get("field") or item.get("feature") or item.get("kind") or item.get("type")
        ours = item.get("target", item.get("query", item.get("candidate")))
        theirs = item.get("entry", item.get("listed"))
        detail = item.get("detail") or item.get("reason") or item.get("message")
        parts = []
        if field_name:
            parts.append(FEATURE_LABELS.get(str(field_name), str(field_name).replace("_", " ")))
        if ours is not None or theirs is not None:
            parts.append(f"candidate {_show(ours)} vs. listed {_show(theirs)}")
        if detail:
            parts.append(str(detail))
        if parts:
            return ": ".join(parts[:1]) + (" — " + "; ".join(parts[1:]) if len(parts) > 1 else "")
    if isinstance(item, list | tuple):
        return " / ".join(_show(v) for v in item)
    return _show(item)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value) or "—"
    if isinstance(value, dict):
        if "full" in value:  # a name
            quality = value.get("quality")
            return str(value["full"]) + (f" ({quality})" if quality and quality != "strong" else "")
        if "value" in value and "type" in value:  # an identifier
            return f"{value['type']} {value['value']}" + (
                f" ({value['country']})" if value.get("country") else ""
            )
        if "list_id" in value:  # a link to another entry
            return f"{value.get('relation', 'linked to')} {value['list_id']}".replace("_", " ")
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def explain(raw: dict[str, Any] | None) -> Explanation:
    out = Explanation()
    if not isinstance(raw, dict):
        return out
    names = raw.get("names")
    if isinstance(names, dict):
        out.query_name = names.get("query")
        out.entry_name = names.get("entry")
        out.name_similarity = _number(names.get("similarity"))
        quality = names.get("quality")
        if quality in ("weak", "former"):
            out.entry_name_quality = quality
            out.entry_name_weight = QUALITY_FACTOR[quality]
        for token in names.get("tokens") or []:
            if isinstance(token, list | tuple) and len(token) >= 2:
                out.tokens.append(
                    TokenPair(str(token[0]), str(token[1]), _number(token[2]) if len(token) > 2 else None)
                )
            elif isinstance(token, dict):
                out.tokens.append(
                    TokenPair(
                        str(token.get("query", "")),
                        str(token.get("entry", "")),
                        _number(token.get("similarity")),
                    )
                )
    out.corroborations = [_sentence(c) for c in raw.get("corroborations") or []]
    out.contradictions = [_sentence(c) for c in raw.get("contradictions") or []]
    features = raw.get("features")
    if isinstance(features, dict):
        out.features = _features(features, out.corroborations, out.contradictions)
        if isinstance(raw.get("model"), dict):
            out.units = "log-odds"
    out.other = {
        k: v for k, v in raw.items() if k not in ("names", "features", "corroborations", "contradictions")
    }
    return out


def _feature_of(sentence: str) -> str | None:
    """The feature a corroboration or contradiction is about, by how it begins (the longest known beginning)."""
    text = sentence.lower()
    found = [(len(m), name) for name, info in FEATURES.items() for m in info.mentions if text.startswith(m)]
    return max(found)[1] if found else None


def _features(raw: dict[str, Any], corroborations: list[str], contradictions: list[str]) -> list[Feature]:
    """Each feature's contribution, labelled. A fact (birth date, nationality...) is shown only where both sides
    gave it, as an agreement or a disagreement with the sentence that says so; a name feature whenever it moved
    the score. A feature that did not apply shows nothing."""
    said: dict[str, tuple[str, str]] = {}
    for verdict, sentences in (("agrees", corroborations), ("disagrees", contradictions)):
        for sentence in sentences:
            feature = _feature_of(sentence)
            if feature is not None:
                said.setdefault(FEATURES[feature].label, (verdict, sentence))
    shown: dict[str, Feature] = {}
    for key, value in raw.items():
        contribution = _number(value)
        if contribution is None:
            continue
        info = FEATURES.get(key)
        label = info.label if info else key.replace("_", " ").capitalize()
        verdict, detail = said.get(label, (None, None))
        if info is not None and info.group == "record" and verdict is None:
            continue  # a fact one side did not give: it neither agrees nor disagrees
        if abs(contribution) < NEGLIGIBLE and verdict is None:
            continue
        if label in shown:  # several features under one label (identifier, identifier_conflict): one line
            shown[label].contribution += contribution
            continue
        shown[label] = Feature(label, contribution, verdict, detail)
    out = sorted(shown.values(), key=lambda f: -abs(f.contribution))
    largest = max((abs(f.contribution) for f in out), default=0.0)
    for f in out:
        f.share = abs(f.contribution) / largest if largest else 0.0
    return out


@dataclass
class EntryView:
    """A listed entry's identifying facts, from ``ListEntry.data`` (the parsers' normalized record)."""

    name: str
    other_names: list[str]
    birth_dates: list[str]
    birth_places: list[str]
    nationalities: list[str]
    programs: list[str]
    identifiers: list[str]
    listed_on: str | None
    remarks: str | None


def entry_view(name: str, programs: list[Any], listed_on: Any, data: dict[str, Any] | None) -> EntryView:
    data = data or {}
    names = [n.get("full", "") if isinstance(n, dict) else str(n) for n in data.get("names") or []]
    others = [n for n in names if n and n != name]
    identifiers = []
    for ident in data.get("identifiers") or []:
        if isinstance(ident, dict):
            text = f"{ident.get('type', '')} {ident.get('value', '')}".strip()
            identifiers.append(text + (f" ({ident['country']})" if ident.get("country") else ""))
    nationalities = list(
        dict.fromkeys([*(data.get("nationalities") or []), *(data.get("citizenships") or [])])
    )
    return EntryView(
        name=name,
        other_names=others,
        birth_dates=list(data.get("birth_dates") or []),
        birth_places=list(data.get("birth_places") or []),
        nationalities=nationalities,
        programs=list(programs or data.get("programs") or []),
        identifiers=identifiers,
        listed_on=str(listed_on) if listed_on else data.get("listed_on"),
        remarks=data.get("remarks"),
    )


@dataclass
class FieldChange:
    field: str
    added: list[str]
    removed: list[str]


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [_show(v) for v in value]
    return [_show(value)]


def diff_view(diff: dict[str, Any] | None) -> list[FieldChange]:
    """A change's field diff as added/removed values per field.

    Accepts ``{field: {"added": [...], "removed": [...]}}``, ``{field: {"old"/"before": x, "new"/"after": y}}``
    and ``{field: [old, new]}``; anything else is shown whole as the field's new value.
    """
    out: list[FieldChange] = []
    if not isinstance(diff, dict):
        return out
    fields = diff.get("fields") if isinstance(diff.get("fields"), dict) else diff
    for name, change in fields.items():
        if (
            isinstance(change, dict)
            and change
            and not ({"added", "removed", "old", "new", "before", "after"} & change.keys())
            and all(isinstance(v, dict) for v in change.values())
        ):
            # A group of changes, such as the list-specific ``extra`` attributes: one row per attribute.
            out.extend(FieldChange(f"{name} {c.field}", c.added, c.removed) for c in diff_view(change))
        elif isinstance(change, dict) and ({"added", "removed"} & change.keys()):
            out.append(FieldChange(name, _values(change.get("added")), _values(change.get("removed"))))
        elif isinstance(change, dict) and ({"old", "new", "before", "after"} & change.keys()):
            out.append(
                _old_new(
                    name, change.get("old", change.get("before")), change.get("new", change.get("after"))
                )
            )
        elif isinstance(change, list) and len(change) == 2:
            out.append(_old_new(name, change[0], change[1]))
        else:
            out.append(FieldChange(name, _values(change), []))
    return out


def _old_new(name: str, old: Any, new: Any) -> FieldChange:
    """For list fields only what came and went matters (a list of twenty aliases with one new is one change)."""
    old_values, new_values = _values(old), _values(new)
    if isinstance(old, list) and isinstance(new, list):
        return FieldChange(
            name,
            [v for v in new_values if v not in old_values],
            [v for v in old_values if v not in new_values],
        )
    return FieldChange(name, new_values, old_values)
