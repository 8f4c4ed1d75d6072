"""Reading documents and adopting the people and organizations they name. Services flush, never commit.

A document is read once per SHA-256 of its bytes: the bytes go to ``raw_blobs`` (content-addressed, like list
publications), the text is extracted, and each person or organization it names becomes a mention, with every
listed entry its names match (the matching index used as a gazetteer) and the candidate it already is, if any.
Adopting a mention makes it a candidate (through the targets service, so it is screened like any other) and cites
the document in an evidence record holding the sentences that name it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.service import audit
from app.config import get_settings
from app.context import Actor
from app.documents import extract as extraction
from app.documents import mentions as extractor
from app.documents.fetch import fetch_document
from app.documents.models import Document, Mention
from app.documents.schemas import AdoptedOut, AdoptRequest, AdoptResult, CitationFields
from app.errors import InvalidInput, NotFound, TooLarge
from app.lists.records import AUTHORITY_OF_SOURCE, Entry, Name
from app.lists.storage import RawPublication, store
from app.matching.index import MatchIndex
from app.matching.query import MatchQuery
from app.matching.search import current_index
from app.targets import service as targets
from app.targets.models import Evidence, Target
from app.targets.schemas import EvidenceCreate, TargetCreate

Progress = Callable[[str], None]
# Spans only the lists can vouch for (a run of words in Arabic script...) are asked about at most this many times
# per document: each question costs a search of the whole index.
MAX_SPAN_QUERIES = 2_000
MENTION_KINDS = ("person", "organization")
EXCERPT_LIMIT = 20_000


def _quiet(_message: str) -> None:
    pass


# ---- reading -----------------------------------------------------------------------------------------------------


def intake_url(
    session: Session,
    url: str,
    citation: CitationFields,
    actor: Actor,
    *,
    progress: Progress = _quiet,
    client: httpx.Client | None = None,
) -> Document:
    settings = get_settings()
    progress(f"fetching {url}")
    fetched = fetch_document(
        url,
        allow_private=settings.document_allow_private,
        max_bytes=settings.document_max_bytes,
        timeout=settings.document_fetch_timeout_seconds,
        client=client,
    )
    return intake_bytes(
        session,
        fetched.raw,
        filename=fetched.filename,
        content_type=fetched.content_type,
        url=fetched.url,
        citation=citation,
        actor=actor,
        progress=progress,
    )


def intake_bytes(
    session: Session,
    raw: bytes,
    *,
    filename: str | None,
    content_type: str | None,
    citation: CitationFields,
    actor: Actor,
    url: str | None = None,
    progress: Progress = _quiet,
) -> Document:
    """Read a document (or find it again: the same bytes are the same document) and record what it names."""
    max_bytes = get_settings().document_max_bytes
    if len(raw) > max_bytes:
        raise TooLarge(f"the document is {len(raw):,} bytes, more than {max_bytes:,}")
    sha256 = hashlib.sha256(raw).hexdigest()
    existing = session.scalar(select(Document).where(Document.sha256 == sha256))
    if existing is not None:
        progress(f"already read as document {existing.id}")
        return existing
    progress("extracting the text")
    extracted = extraction.extract(raw, filename, content_type)  # raises before anything is stored
    title = citation.title or extracted.title or filename or url or f"document {sha256[:12]}"
    store(session, RawPublication(raw=raw, sha256=sha256, filename=filename or "document"))
    document = Document(
        sha256=sha256,
        size=len(raw),
        media_type=extracted.media_type,
        filename=filename,
        url=url,
        title=title[:1000],
        author=(citation.author or extracted.author or None),
        publisher=(citation.publisher or extracted.publisher or None),
        published_on=citation.published_on or extracted.published_on,
        text=extracted.text,
        created_by=actor.label,
    )
    for column in ("author", "publisher"):
        value = getattr(document, column)
        if value:
            setattr(document, column, value[:300])
    session.add(document)
    session.flush()
    progress(f"finding the names in {len(extracted.text):,} characters")
    found = find_mentions(session, extracted.text, progress=progress)
    for position, item in enumerate(found):
        first = item["occurrences"][0]
        session.add(
            Mention(
                document_id=document.id,
                position=position,
                kind=item["kind"],
                text=first["text"][:500],
                sentence=first["sentence"],
                start_offset=first["start"],
                end_offset=first["end"],
                names=item["names"],
                occurrences=item["occurrences"],
                listed=item["listed"],
                candidate_id=item["candidate_id"],
            )
        )
    session.flush()
    session.refresh(document, ["mentions"])
    audit(
        session,
        actor,
        "create",
        "document",
        document.id,
        None,
        {"sha256": sha256, "title": document.title, "url": url, "mentions": len(found)},
    )
    return document


def find_mentions(session: Session, text: str, *, progress: Progress = _quiet) -> list[dict[str, Any]]:
    """The people and organizations ``text`` names, each with the listed entries and the candidate it matches."""
    # The index as this session sees the lists (the API's keeper may not have caught up with a commit yet).
    return locate(text, current_index(session).index, _candidates(session), progress=progress)


def locate(
    text: str, lists: MatchIndex, candidates: CandidateNames | None = None, *, progress: Progress = _quiet
) -> list[dict[str, Any]]:
    """What ``find_mentions`` does, given the lists' index and the candidates (the benchmark builds its own)."""
    settings = get_settings()
    found = extractor.find(text)
    sure = [f for f in found if f.sure]
    spans = sorted((f for f in found if not f.sure), key=lambda f: f.first.start - f.first.end)
    taken = [(o.start, o.end) for f in sure for o in f.occurrences]
    kept: list[tuple[extractor.Found, list[dict[str, Any]]]] = []
    for item in sure:
        kept.append((item, _listed(lists, item.names, item.kind, settings.match_threshold)))
    for number, span in enumerate(spans):
        if number >= MAX_SPAN_QUERIES:
            progress(
                f"{len(spans) - number} more spans not looked up (at most {MAX_SPAN_QUERIES} per document)"
            )
            break
        occurrence = span.first
        if any(start < occurrence.end and occurrence.start < end for start, end in taken):
            continue
        # A span is no name by its shape: only a close match makes it one, and a single word (an acronym) only an
        # organization's (one word is too little to tell a person).
        # Words in Arabic script are asked only in runs free of common words (data/arabic_common_words.txt), and
        # the lists' Latin spellings of them score lower: the match threshold is enough there.
        arabic = extractor.ARABIC_LETTER.search(span.names[0]) is not None
        threshold = (
            settings.match_threshold
            if arabic
            else (settings.match_threshold + settings.auto_link_threshold) / 2
        )
        allowed = ("organization",) if len(span.names[0].split()) == 1 else MENTION_KINDS
        listed = [h for h in _listed(lists, span.names, None, threshold) if h["kind"] in allowed]
        kind = next((hit["kind"] for hit in listed), None)
        if kind is None:
            continue
        span.kind = kind
        taken.append((occurrence.start, occurrence.end))
        kept.append((span, listed))
    kept.sort(key=lambda pair: pair[0].first.start)
    out = []
    for item, listed in kept:
        out.append(
            {
                "kind": item.kind,
                "names": item.names,
                "occurrences": [
                    {"start": o.start, "end": o.end, "text": o.text, "sentence": o.sentence}
                    for o in item.occurrences
                ],
                "listed": [{k: v for k, v in hit.items() if k != "kind"} for hit in listed],
                "candidate_id": candidates.find(item.names, item.kind) if candidates else None,
            }
        )
    progress(f"{len(out)} people and organizations named")
    return out


def _listed(index: MatchIndex, names: list[str], kind: str | None, threshold: float) -> list[dict[str, Any]]:
    """The listed entries ``names`` match at ``threshold`` or above, with each entry's authority and programs."""
    hits = index.search(MatchQuery(names=names, kind=kind), limit=5, threshold=threshold)
    return [
        {
            "source": key[0],
            "list_id": key[1],
            "name": entry.name,
            "score": round(result.score, 4),
            "authority": AUTHORITY_OF_SOURCE.get(key[0]),
            "programs": list(entry.programs),
            "listed_on": entry.listed_on,
            "kind": entry.kind,
        }
        for key, entry, result in hits
        if result.score >= threshold
    ]


@dataclass
class CandidateNames:
    """Every live candidate's names: by their folded spelling (the same name written alike), and, for a name written
    otherwise, scored by the matcher against the few candidates that share one of its words (indexing every
    candidate for each document would cost more than reading it)."""

    by_name: dict[str, int] = field(default_factory=dict)
    by_word: dict[str, set[int]] = field(default_factory=dict)
    entries: dict[int, Entry] = field(default_factory=dict)

    def add(self, target_id: int, kind: str, names: Sequence[str]) -> None:
        names = [n for n in names if n and n.strip()]
        self.entries[target_id] = Entry(
            source="targets", list_id=str(target_id), kind=kind, names=_names(names)
        )
        for name in names:
            self.by_name.setdefault(f"{kind}:{extractor.fold(name)}", target_id)
            for word in _words(name):
                self.by_word.setdefault(word, set()).add(target_id)

    def find(self, names: list[str], kind: str | None) -> int | None:
        """The candidate these names are (the same spelling, or a match as sure as an automatic link), or None."""
        for name in names:
            found = self.by_name.get(f"{kind}:{extractor.fold(name)}")
            if found is not None:
                return found
        sharing = {
            target_id for name in names for word in _words(name) for target_id in self.by_word.get(word, ())
        }
        if not sharing:
            return None
        index = MatchIndex((target_id, self.entries[target_id]) for target_id in sorted(sharing))
        threshold = get_settings().auto_link_threshold
        hits = index.search(MatchQuery(names=names, kind=kind), limit=1, threshold=threshold)
        return int(hits[0][0]) if hits and hits[0][2].score >= threshold else None  # type: ignore[call-overload]


def _words(name: str) -> set[str]:
    """A rough key per word of a name, shared by its usual transliterations (Faleh/Falih, Fayyad/Fayyadh,
    Kataib/Kata'ib): the first letter and the consonants after it but h, w and y, each once in a row. It only picks
    which candidates the matcher scores."""
    keys = set()
    for part in name.replace("-", " ").split():
        word = extractor.fold(part)
        if len(word) < 3:
            continue
        rest = re.sub(r"[aeiouhwy\W\d_]", "", word[1:])
        keys.add(word[0] + re.sub(r"(.)\1+", r"\1", rest))
    return keys


def _candidates(session: Session) -> CandidateNames:
    candidates = CandidateNames()
    rows = session.execute(
        select(Target.id, Target.kind, Target.name, Target.aliases).where(Target.deleted_at.is_(None))
    )
    for target_id, kind, name, aliases in rows:
        others = [a["name"] if isinstance(a, dict) else str(a) for a in aliases or []]
        candidates.add(target_id, kind, [name, *others])
    return candidates


def _names(names: Sequence[str]) -> list[Name]:
    return [Name(full=name) for name in names]


# ---- looking ---------------------------------------------------------------------------------------------------


def get_document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id) if 0 < document_id < 2**31 else None  # PostgreSQL integer
    if document is None:
        raise NotFound(f"no document with id {document_id}")
    return document


def list_documents(
    session: Session, *, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[Document, int]], int]:
    """Documents, newest first, each with its number of mentions."""
    total = session.scalar(select(func.count()).select_from(Document)) or 0
    counts = (
        select(Mention.document_id, func.count().label("mentions")).group_by(Mention.document_id).subquery()
    )
    rows = session.execute(
        select(Document, func.coalesce(counts.c.mentions, 0))
        .outerjoin(counts, counts.c.document_id == Document.id)
        .order_by(Document.id.desc())
        .limit(limit)
        .offset(min(offset, 2**63 - 1))
    )
    return [(document, int(count)) for document, count in rows], total


def mention_to_dict(mention: Mention) -> dict[str, Any]:
    return {
        "id": mention.id,
        "text": mention.text,
        "kind": mention.kind,
        "sentence": mention.sentence,
        "start": mention.start_offset,
        "end": mention.end_offset,
        "names": mention.names,
        "listed": mention.listed,
        "candidate_id": mention.candidate_id,
        "occurrences": mention.occurrences,
    }


def document_to_dict(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "sha256": document.sha256,
        "title": document.title,
        "author": document.author,
        "publisher": document.publisher,
        "published_on": document.published_on,
        "url": document.url,
        "filename": document.filename,
        "media_type": document.media_type,
        "size": document.size,
        "created_at": document.created_at,
        "mentions": [mention_to_dict(m) for m in document.mentions],
    }


# ---- adopting ----------------------------------------------------------------------------------------------------


def adopt(session: Session, document_id: int, request: AdoptRequest, actor: Actor) -> AdoptResult:
    """Make each chosen mention a candidate (or find the one it is) and cite the document for it, once."""
    document = get_document(session, document_id)
    by_id = {m.id: m for m in document.mentions}
    unknown = [i for i in request.mentions if i not in by_id]
    if unknown:
        raise InvalidInput(
            f"mention(s) {', '.join(map(str, unknown))} are not mentions of document {document.id}; "
            f"GET /v1/documents/{document.id} lists them"
        )
    targets.resolve_programs(session, request.programs)  # an unknown program is a 422 before anything is made
    candidates: CandidateNames | None = None
    adopted: list[AdoptedOut] = []
    for mention_id in dict.fromkeys(request.mentions):
        mention = by_id[mention_id]
        target = _live_target(session, mention.candidate_id)
        if target is None:
            candidates = candidates or _candidates(session)
            target = _live_target(session, candidates.find(mention.names, mention.kind))
        created = target is None
        if target is None:
            target = targets.create_target(
                session,
                TargetCreate(
                    kind=mention.kind,
                    name=mention.names[0],
                    aliases=mention.names[1:],
                    programs=request.programs,
                    tags=request.tags,
                    rationale=f"Named in “{document.title}”.",
                ),
                actor,
            )
            if candidates is not None:
                candidates.add(target.id, target.kind, mention.names)
        mention.candidate_id = target.id
        evidence_id = _cite(session, document, mention, target, request, actor)
        adopted.append(
            AdoptedOut(
                mention_id=mention.id,
                candidate_id=target.id,
                name=target.name,
                created=created,
                evidence_id=evidence_id,
            )
        )
    session.flush()
    return AdoptResult(
        adopted=adopted,
        created=sum(a.created for a in adopted),
        evidence_added=sum(a.evidence_id is not None for a in adopted),
    )


def _live_target(session: Session, target_id: int | None) -> Target | None:
    target = session.get(Target, target_id) if target_id else None
    return target if target is not None and target.deleted_at is None else None


def excerpt_for(mention: Mention) -> str:
    """The sentences that name the mention, each once, in the document's order."""
    sentences = list(dict.fromkeys(o["sentence"] for o in mention.occurrences)) or [mention.sentence]
    excerpt = " […] ".join(sentences)
    return excerpt if len(excerpt) <= EXCERPT_LIMIT else excerpt[: EXCERPT_LIMIT - 1] + "…"


def _cite(
    session: Session,
    document: Document,
    mention: Mention,
    target: Target,
    request: AdoptRequest,
    actor: Actor,
) -> int | None:
    """Add the evidence record citing the document to ``target``, unless it already has one."""
    already = session.scalar(
        select(Evidence.id).where(
            Evidence.target_id == target.id,
            Evidence.content_sha256 == document.sha256,
            Evidence.retracted_at.is_(None),
        )
    )
    if already is not None:
        return None
    evidence = targets.add_evidence(
        session,
        target.id,
        EvidenceCreate(
            source_type=request.source_type,
            title=document.title,
            publisher=document.publisher,
            author=document.author,
            url=document.url,
            published_on=document.published_on,
            accessed_on=document.created_at.date(),
            excerpt=excerpt_for(mention),
            allegation=request.allegation,
            credibility=request.credibility,
            content_sha256=document.sha256,
        ),
        actor,
    )
    return evidence.id
