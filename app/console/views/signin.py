"""Signing in with an API key, and out again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from app.auth import service as auth_service
from app.auth.deps import SessionDep
from app.console import security
from app.console.web import ConsoleRoute, redirect, render, safe_next
from app.context import Actor
from app.errors import Unauthorized

router = APIRouter(route_class=ConsoleRoute)


@router.get("/login", summary="Console sign-in form")
def login_form(request: Request, db: SessionDep, next: str | None = None) -> Response:
    session = security.load_session(request)
    if session.key_id is not None:
        try:
            security.current_viewer(request, db)
            return redirect(safe_next(next))
        except security.SignInRequired:
            pass
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", summary="Sign in with an API key")
def login(
    request: Request,
    db: SessionDep,
    api_key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/console",
) -> Response:
    try:
        key = auth_service.authenticate(db, api_key.strip())
    except Unauthorized as exc:
        message = exc.detail if api_key.strip() else "Enter an API key."
        return render(request, "login.html", {"next": safe_next(next), "error": message}, status_code=401)
    security.sign_in(request, key)
    actor = Actor(name=key.name, api_key_id=key.id, scope=key.scope)
    auth_service.audit(db, actor, "sign_in", "console_session", key.id, None, {"scope": key.scope})
    security.flash(request, "success", f"Signed in as {key.name} ({key.scope}).")
    return redirect(safe_next(next))


@router.post("/logout", summary="Sign out of the console")
def logout(request: Request, db: SessionDep) -> Response:
    try:
        viewer = security.current_viewer(request, db)
        auth_service.audit(db, viewer.actor, "sign_out", "console_session", viewer.key_id, None, None)
    except security.SignInRequired:
        pass
    security.sign_out(request)
    security.flash(request, "success", "Signed out.")
    return redirect("/console/login")
