"""Per-request / per-task context: the correlation id and who is acting, for logs and the audit trail."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


@dataclass(frozen=True)
class Actor:
    """Who is acting: an API key, a console session (which also signs in with a key), or the system itself."""

    name: str
    api_key_id: int | None = None
    scope: str = "admin"

    @property
    def label(self) -> str:
        return f"key:{self.api_key_id}:{self.name}" if self.api_key_id is not None else self.name


SYSTEM = Actor(name="system")
CLI = Actor(name="cli")
