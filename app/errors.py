"""Domain errors: services raise these.

The HTTP layer (:mod:`app.problems`) turns them into RFC 9457 ``application/problem+json`` and the CLI into a
message and a non-zero exit code, so both say the same thing. Nothing here imports the web framework: every CLI
command imports this module.
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://sanctrack.dev/problems/"


class ServiceError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(ServiceError):
    status, slug, title = 404, "not-found", "Not found"


class InvalidInput(ServiceError):
    status, slug, title = 422, "invalid-input", "Invalid input"


class Conflict(ServiceError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(ServiceError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class Unauthorized(ServiceError):
    status, slug, title = 401, "unauthorized", "Unauthorized"


class Forbidden(ServiceError):
    status, slug, title = 403, "forbidden", "Forbidden"


class TooLarge(ServiceError):
    status, slug, title = 413, "too-large", "Request body too large"


class RateLimited(ServiceError):
    status, slug, title = 429, "rate-limited", "Too many requests"
