"""What every console page shares: templates, the signed-in viewer, HTML errors, redirects and security headers."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.auth.deps import SessionDep
from app.console import security
from app.console.security import SAFE_METHODS, SignInRequired, Viewer
from app.db import utcnow
from app.errors import ServiceError
from app.targets import dossier, standing

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

# Pages load only their own script and styles; inline SVG charts are markup, not resources.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
NAV = (
    ("home", "/console", "Overview"),
    ("candidates", "/console/candidates", "Candidates"),
    ("review", "/console/review", "Review queue"),
    ("lists", "/console/lists", "Lists"),
    ("alerts", "/console/alerts", "Alerts"),
    ("coverage", "/console/coverage", "Coverage"),
    ("documents", "/console/documents", "From a document"),
)


# ---- template filters -------------------------------------------------------------------------------------------


def when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def ago(value: dt.datetime | None) -> str:
    if value is None:
        return "never"
    return f"{duration((utcnow() - value).total_seconds())} ago"


def percent(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{round(float(value) * 100)}%"


def safe_href(url: str | None) -> str | None:
    """A URL fit for a link: http or https only (never javascript: or data:), else None."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in ("http", "https") else None


def citation_html(evidence: Any) -> Markup:
    """The evidence's citation, its URL a link that opens apart from the console and tells the site nothing."""
    text = escape(dossier.citation(evidence))
    href = safe_href(evidence.url)
    if not href:
        return text
    link = Markup('<a href="{0}" rel="noopener noreferrer" target="_blank">{0}</a>').format(href)
    return Markup(text.replace(escape(evidence.url), link, 1))


templates.env.globals["citation_html"] = citation_html
templates.env.filters.update(
    when=when, ago=ago, duration=duration, percent=percent, label=standing.label, standing_mark=standing.mark
)


# ---- rendering --------------------------------------------------------------------------------------------------


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    section: str | None = None,
) -> HTMLResponse:
    session = security.load_session(request)
    base = {
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": session.csrf,
        "csrf_field": security.CSRF_FIELD,
        "flashes": security.pop_flashes(request),
        "nav": NAV,
        "section": section,
        "now": utcnow(),
    }
    return templates.TemplateResponse(request, template, {**base, **(context or {})}, status_code=status_code)


def redirect(url: str, request: Request | None = None) -> Response:
    """After a POST: 303 to the page to show; htmx follows an ``HX-Redirect`` header instead."""
    if request is not None and is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(
        request, "error.html", {"status": status, "title": title, "detail": detail}, status_code=status
    )


def safe_next(value: str | None) -> str:
    """Only ever send a signed-in browser back into the console, never to another site."""
    if value and value.startswith("/console") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console"


def query_string(params: dict[str, Any], **changes: Any) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "", False)}
    return "?" + urlencode(merged) if merged else ""


class ConsoleRoute(APIRoute):
    """Console routes: CSRF checked before any state-changing handler runs, errors as HTML pages, the session cookie
    written back, and the headers that keep the pages out of frames and foreign scripts."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                if request.method not in SAFE_METHODS:
                    await security.check_csrf(request)
                response = await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = redirect("/console/login" + query_string({"next": target}), request)
            except ServiceError as exc:
                response = error_page(request, exc.status, exc.title, exc.detail)
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()
                )
                response = error_page(request, 422, "Invalid input", problems or "the request is not valid")
            except StaleDataError:
                response = error_page(
                    request,
                    412,
                    "Changed meanwhile",
                    "Someone else changed this record while you were editing it; reload and retry.",
                )
            except IntegrityError:
                response = error_page(
                    request,
                    409,
                    "Conflict",
                    "The change conflicts with existing data; reload the page and retry.",
                )
            security.save_session(request, response)
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return console_handler


# ---- dependencies -----------------------------------------------------------------------------------------------


def _viewer(request: Request, db: SessionDep) -> Viewer:
    return security.current_viewer(request, db)


def _scoped(scope: str) -> Callable[..., Viewer]:
    def dependency(viewer: Annotated[Viewer, Depends(_viewer)]) -> Viewer:
        security.require(viewer, scope)
        return viewer

    return dependency


ReaderDep = Annotated[Viewer, Depends(_viewer)]
WriterDep = Annotated[Viewer, Depends(_scoped("write"))]
AdminDep = Annotated[Viewer, Depends(_scoped("admin"))]


def lazy_service(module: str, name: str) -> Callable[..., Any]:
    """A function of a service that may not be deployed yet; a missing one is a clear 501, not a crash."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise NotAvailable(f"{module}.{name} is not available in this version of sanctrack") from None


class NotAvailable(ServiceError):
    status, slug, title = 501, "not-implemented", "Not available yet"


async def _form(request: Request) -> Any:
    # Read in the event loop so that the handlers, which talk to the database, can be plain functions that
    # FastAPI runs in its thread pool.
    return await request.form()


FormDep = Annotated[Any, Depends(_form)]
