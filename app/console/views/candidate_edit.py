"""Editing and deleting a candidate from its page, through the targets service (audited, version-checked)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.deps import SessionDep
from app.console import security
from app.console.views.candidates import TARGET_FIELDS, _form_errors, _split, candidate_form
from app.console.web import ConsoleRoute, FormDep, WriterDep, redirect
from app.errors import InvalidInput
from app.targets import service
from app.targets.models import Target
from app.targets.schemas import TargetUpdate

router = APIRouter(route_class=ConsoleRoute)


def _alias_name(alias: Any) -> str:
    return str(alias.get("name", "")) if isinstance(alias, dict) else str(alias)


def form_values(db: Session, target: Target) -> dict[str, str]:
    """The candidate as the form shows it: one alias a line, commas between other values, program codes (with
    their authority where several share the code, as the service wants them back)."""
    shared = Counter(p.code.lower() for p in service.list_programs(db))
    return {
        "kind": target.kind,
        "name": target.name,
        "aliases": "\n".join(_alias_name(a) for a in target.aliases),
        "birth_dates": ", ".join(target.birth_dates),
        "nationalities": ", ".join(target.nationalities),
        "programs": ", ".join(
            f"{p.authority}:{p.code}" if shared[p.code.lower()] > 1 else p.code for p in target.programs
        ),
        "tags": ", ".join(target.tags),
        "rationale": target.rationale,
        "owner": target.owner or "",
        "status": target.status,
        "version": str(target.version),
    }


@router.get("/candidates/{target_id:int}/edit", summary="Form: edit a candidate")
def edit_form(request: Request, target_id: int, db: SessionDep, viewer: WriterDep) -> Response:
    target = service.get_target(db, target_id)
    return candidate_form(request, db, form_values(db, target), {}, editing=target)


@router.post("/candidates/{target_id:int}/edit", summary="Save a candidate's changes")
def save(request: Request, target_id: int, db: SessionDep, viewer: WriterDep, form: FormDep) -> Response:
    target = service.get_target(db, target_id)
    values = {name: str(form.get(name, "")) for name in (*TARGET_FIELDS, "status", "version")}
    # An alias kept as it was keeps its script and language; a new or changed line is a plain name.
    kept = {_alias_name(a): a for a in target.aliases}
    payload: dict[str, Any] = {
        "kind": values["kind"],
        "name": values["name"],
        "status": values["status"] or None,
        "aliases": [kept.get(name, name) for name in _split(values["aliases"], lines=True)],
        "birth_dates": _split(values["birth_dates"]),
        "nationalities": _split(values["nationalities"]),
        "programs": _split(values["programs"]),
        "tags": _split(values["tags"]),
        "rationale": values["rationale"],
        "owner": values["owner"].strip() or None,
    }
    version = int(values["version"]) if values["version"].isdigit() else None
    try:
        data = TargetUpdate.model_validate(payload)
        service.update_target(db, target_id, data, viewer.actor, version)
    except ValidationError as exc:
        return candidate_form(request, db, values, _form_errors(exc), 422, editing=target)
    except InvalidInput as exc:
        return candidate_form(request, db, values, {"form": exc.detail}, 422, editing=target)
    security.flash(request, "success", f"Saved candidate {target_id}: {data.name or target.name}.")
    return redirect(f"/console/candidates/{target_id}", request)


@router.post("/candidates/{target_id:int}/delete", summary="Delete a candidate (kept in the audit trail)")
def delete(request: Request, target_id: int, db: SessionDep, viewer: WriterDep, form: FormDep) -> Response:
    target = service.get_target(db, target_id)
    version = str(form.get("version", ""))
    name = target.name
    service.delete_target(db, target_id, viewer.actor, int(version) if version.isdigit() else None)
    security.flash(
        request,
        "success",
        f"Deleted candidate {target_id}: {name}. Its evidence, matches and history stay in the audit trail.",
    )
    return redirect("/console/candidates", request)
