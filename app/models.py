"""Every model, imported in one place so that Alembic and ``create_all`` see the whole schema."""

from app.alerts.models import Delivery, DeliveryAttempt, Event, TargetAuthorityStatus, Webhook
from app.auth.models import ApiKey, AuditRecord
from app.db import Base
from app.documents.models import Document, Mention
from app.lists.models import Change, EntryVersion, ListEntry, RawBlob, Run, Snapshot
from app.matching.models import Link
from app.targets.models import (
    Evidence,
    Program,
    ScreeningRequest,
    Target,
    TargetTag,
    target_programs,
)

__all__ = [
    "ApiKey",
    "AuditRecord",
    "Base",
    "Change",
    "Delivery",
    "DeliveryAttempt",
    "Document",
    "EntryVersion",
    "Event",
    "Evidence",
    "Link",
    "ListEntry",
    "Mention",
    "Program",
    "RawBlob",
    "Run",
    "ScreeningRequest",
    "Snapshot",
    "Target",
    "TargetAuthorityStatus",
    "TargetTag",
    "Webhook",
    "target_programs",
]
