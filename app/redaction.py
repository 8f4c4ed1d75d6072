"""Masking secrets (API keys, bearer tokens, webhook secrets, passwords in URLs) in anything about to be logged.

Its own module because both the logs (app.observability) and the rate limiter (app.ratelimit) use it.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"
# Mapping keys whose values are secrets whatever they look like.
_SECRET_KEY_NAMES = frozenset({"key", "raw_key", "api_key", "apikey", "x-api-key", "proxy-authorization"})
_SECRET_KEY_PARTS = ("secret", "password", "passwd", "token", "authorization", "cookie", "credential")
_SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # sanctrack API keys (app.auth.service.KEY_PREFIX) and Standard Webhooks signing secrets.
    (re.compile(r"\bstk_[A-Za-z0-9_\-]+"), "stk_" + REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_\-]+"), "whsec_" + REDACTED),
    # Authorization header values ("Bearer <token>"); sanctrack uses no other scheme.
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=\-]{6,}"), r"\1 " + REDACTED),
    # user:password@ in URLs (database and Redis URLs).
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^:/@\s]*):[^@/\s]*@"), r"\1:" + REDACTED + "@"),
    # name=value pairs in query strings, form bodies and log messages: api_key=, access_token=, secret=...
    (
        re.compile(r"(?i)\b([a-z_]*(?:key|token|secret|password|passwd|signature)=)[^&\s\"']+"),
        r"\1" + REDACTED,
    ),
]


# One scan that every pattern above needs to match: most strings (every access line) contain none of these, and
# then redaction costs one search instead of one substitution per pattern.
_MAYBE_SECRET = re.compile(r"(?i)stk_|whsec_|bearer|@|(?:key|token|secret|password|passwd|signature)=")


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_KEY_NAMES or any(part in lowered for part in _SECRET_KEY_PARTS)


def redact(value: Any) -> Any:
    """``value`` with secrets masked: strings by pattern, mappings also by key name, sequences item by item.

    Use it for anything that might carry a secret before it leaves the process (logs, error excerpts).
    """
    if isinstance(value, str):
        if not _MAYBE_SECRET.search(value):
            return value
        for pattern, replacement in _SECRET_PATTERNS:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", "replace"))
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and is_secret_name(k) and v else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    return value
