"""The staff console: server-rendered pages under /console."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from app.console.web import HERE


def install_console(app: FastAPI) -> None:
    """Mount the console's pages at /console and its static files (styles, scripts) at /console/static."""
    from app.console.views import (
        alerts,
        candidate_edit,
        candidates,
        coverage,
        documents,
        home,
        lists,
        review,
        signin,
    )

    console = APIRouter(include_in_schema=False)
    for module in (signin, home, candidates, candidate_edit, review, lists, alerts, coverage, documents):
        console.include_router(module.router, prefix="/console")
    app.include_router(console)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        # Browsers ask for it on every site, the API docs pages name it: the service's own icon, not a 404.
        return FileResponse(
            HERE / "static" / "favicon.ico",
            media_type="image/x-icon",
            headers={"Cache-Control": "public, max-age=86400"},
        )
