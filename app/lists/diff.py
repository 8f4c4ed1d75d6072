"""Field-level differences between two versions of an entry, and between two publications of a list.

Both sides are ``Entry.to_dict()`` forms, whose lists are already sorted and de-duplicated, so the order in which a
list writes names, addresses or identifiers never shows up as a change: only values that appear or disappear do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

LIST_FIELDS = (
    "names",
    "programs",
    "identifiers",
    "birth_dates",
    "birth_places",
    "nationalities",
    "citizenships",
    "addresses",
    "links",
)
SCALAR_FIELDS = ("kind", "listed_on", "remarks")
# The primary name is reported on its own: becoming or ceasing to be the primary name is a change even when the
# set of names is the same.
PRIMARY_NAME = "primary_name"


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _list_change(old: list[Any] | None, new: list[Any] | None) -> dict[str, list[Any]] | None:
    if (old or []) == (new or []):
        return None
    old_by_key = {_key(value): value for value in old or []}
    new_by_key = {_key(value): value for value in new or []}
    added = [new_by_key[key] for key in sorted(new_by_key.keys() - old_by_key.keys())]
    removed = [old_by_key[key] for key in sorted(old_by_key.keys() - new_by_key.keys())]
    if not added and not removed:
        return None
    return {"added": added, "removed": removed}


def _primary_name(entry: Mapping[str, Any]) -> str | None:
    names = entry.get("names") or []
    return names[0]["full"] if names else None


def _extra_change(old: Any, new: Any) -> dict[str, Any] | None:
    if _key(old) == _key(new):
        return None
    if isinstance(old, list) and isinstance(new, list):
        return _list_change(old, new)
    if isinstance(old, list) and new is None:
        return {"added": [], "removed": sorted(old, key=_key)}
    if old is None and isinstance(new, list):
        return {"added": sorted(new, key=_key), "removed": []}
    return {"old": old, "new": new}


def diff_entries(old: dict, new: dict) -> dict:
    """What changed from ``old`` to ``new`` (two ``Entry.to_dict()`` forms of the same entry); {} when nothing did.

    List fields give ``{"added": [...], "removed": [...]}``, scalar fields (kind, listed_on, remarks, the primary
    name) ``{"old": ..., "new": ...}``, and ``extra`` one such change per key that changed.
    """
    if old == new:  # most entries of two publications are unchanged; plain equality settles them quickly
        return {}
    changes: dict[str, Any] = {}
    old_primary, new_primary = _primary_name(old), _primary_name(new)
    if old_primary != new_primary:
        changes[PRIMARY_NAME] = {"old": old_primary, "new": new_primary}
    for field_name in SCALAR_FIELDS:
        if old.get(field_name) != new.get(field_name):
            changes[field_name] = {"old": old.get(field_name), "new": new.get(field_name)}
    for field_name in LIST_FIELDS:
        change = _list_change(old.get(field_name), new.get(field_name))
        if change:
            changes[field_name] = change
    old_extra, new_extra = old.get("extra") or {}, new.get("extra") or {}
    extra_changes = {}
    for key in sorted(set(old_extra) | set(new_extra)):
        change = _extra_change(old_extra.get(key), new_extra.get(key))
        if change:
            extra_changes[key] = change
    if extra_changes:
        changes["extra"] = extra_changes
    return changes


def diff_publications(
    old: Mapping[str, dict], new: Mapping[str, dict]
) -> tuple[list[str], list[str], dict[str, dict]]:
    """Compare two publications given as list_id -> ``Entry.to_dict()``.

    Returns (ids added, ids removed, id -> field-level diff of each entry present in both that changed), ids sorted.
    """
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    amended: dict[str, dict] = {}
    for list_id in sorted(old.keys() & new.keys()):
        change = diff_entries(old[list_id], new[list_id])
        if change:
            amended[list_id] = change
    return added, removed, amended


__all__ = ["LIST_FIELDS", "PRIMARY_NAME", "SCALAR_FIELDS", "diff_entries", "diff_publications"]
