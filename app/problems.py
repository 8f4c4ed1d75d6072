"""Errors as RFC 9457 problem details: the HTTP layer's rendering of :mod:`app.errors` and of FastAPI's own."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import PROBLEM_BASE, ServiceError


def problem_response(
    status: int,
    title: str,
    detail: str,
    slug: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


_HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Precondition failed"),
    413: ("too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


def _json_safe(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        item = {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type", "")}
        out.append(item)
    return out


def _json_position(document: Any, position: Any) -> str:
    """'line L, column C' of a character offset in the body that failed to parse."""
    if not isinstance(document, str | bytes) or not isinstance(position, int):
        return f"character {position}"
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line}, column {column}"


def _field(loc: Any) -> str:
    return ".".join(str(p) for p in loc if p != "body")


def validation_detail(errors: list[Any], body: Any, content_type: str | None) -> str:
    """One sentence that says what is wrong with the request and what to do: where a JSON body stops being JSON,
    a JSON body sent without its content type, and every failing field by name (not only the first)."""
    if not errors:
        return "invalid request"
    first = errors[0]
    if first.get("type") == "json_invalid":
        loc = list(first.get("loc", ()))
        reason = (first.get("ctx") or {}).get("error", "not JSON")
        return (
            f"the body is not valid JSON: {reason} at {_json_position(body, loc[-1] if loc else None)}; "
            "check for a trailing comma, single quotes or a name without double quotes there"
        )
    media = (content_type or "").split(";")[0].strip().lower()
    if (
        list(first.get("loc", ())) == ["body"]
        and first.get("type") in ("model_attributes_type", "dict_type", "list_type", "model_type")
        and not media.endswith("json")
    ):
        return (
            "the body was not read as JSON: send it with the header 'Content-Type: application/json' "
            "(curl: -H 'content-type: application/json')" + (f", not {media!r}" if media else "")
        )
    parts = []
    for error in errors:
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        where = _field(error.get("loc", ()))
        parts.append(f"{where}: {message}" if where else message)
    if len(parts) == 1:
        return parts[0]
    return f"{len(parts)} fields are wrong; fix them all: " + "; ".join(parts)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 429 and "retry_after" in exc.extra:
            headers = {"Retry-After": str(exc.extra["retry_after"])}
        return problem_response(
            exc.status, exc.title, exc.detail, exc.slug, request.url.path, headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        raw = list(exc.errors())
        errors = _json_safe(raw)
        detail = validation_detail(raw, exc.body, request.headers.get("content-type"))
        return problem_response(
            422, "Invalid input", detail, "invalid-input", request.url.path, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug, title = _HTTP_TITLES.get(exc.status_code, ("error", "Error"))
        return problem_response(
            exc.status_code,
            title,
            str(exc.detail),
            slug,
            request.url.path,
            dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return problem_response(
            412,
            "Precondition failed",
            "the record was changed by someone else; fetch it again and retry with its new ETag",
            "precondition-failed",
            request.url.path,
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the schema let through: an id beyond its integer range, a NUL character.
        return problem_response(
            422,
            "Invalid input",
            "a value is out of range or holds a character that cannot "
            "be stored (such as NUL); check ids and text fields",
            "invalid-input",
            request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette's outermost middleware calls this (and then re-raises, so the traceback is logged): the
        # response skips the request-id middleware, hence the id is set here, for the caller to quote.
        request_id = getattr(request.state, "request_id", None)
        return problem_response(
            500,
            "Internal server error",
            "the service failed on this request; nothing it did was kept. Try again, and if it fails again report "
            "the request id" + (f" {request_id}" if request_id else ""),
            "internal-error",
            request.url.path,
            {"X-Request-ID": request_id} if request_id else None,
            **({"request_id": request_id} if request_id else {}),
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        return problem_response(
            409,
            "Conflict",
            "the change conflicts with existing data (a unique or reference constraint); reload and retry",
            "conflict",
            request.url.path,
        )
