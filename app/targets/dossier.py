"""A candidate's dossier: the printable document an analyst attaches to a nomination (HTML, and PDF).

It gathers identity, rationale, every evidence record with its quote and full citation, the links to listed entries
and the standing with each authority. The same HTML is the PDF's source, so both always say the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.coverage import theme_coverage
from app.db import utcnow
from app.errors import ServiceError
from app.lists.models import ListEntry
from app.matching.models import Link
from app.targets import service
from app.targets.models import Evidence, Target
from app.targets.standing import AuthorityStanding, authority_standings
from app.targets.standing import label as standing_label

SOURCE_TYPE_LABELS = {
    "news_article": "News article",
    "ngo_report": "NGO or think-tank report",
    "government_statement": "Government statement",
    "court_document": "Court document",
    "leak": "Leaked document",
    "other": "Other source",
}
ALLEGATION_LABELS = {
    "human_rights_abuse": "Human rights abuse",
    "corruption": "Corruption",
    "terrorism": "Terrorism",
    "attack_on_diplomatic_facility": "Attack on a diplomatic facility",
    "other": "Other",
}
CREDIBILITY_LABELS = {
    "A": "A: completely reliable",
    "B": "B: usually reliable",
    "C": "C: fairly reliable",
    "D": "D: not usually reliable",
    "E": "E: unreliable",
    "F": "F: reliability cannot be judged",
}
LINK_STATE_LABELS = {
    "confirmed": "Confirmed by an analyst",
    "auto": "Matched automatically",
    "suggested": "Suggested, not yet reviewed",
}
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


class PdfUnavailable(ServiceError):
    status, slug, title = 503, "pdf-unavailable", "PDF rendering unavailable"


@dataclass(frozen=True)
class LinkedEntry:
    source: str
    list_id: str
    name: str
    programs: list[str]
    listed_on: dt.date | None
    is_listed: bool
    state: str
    score: float
    reviewed_by: str | None
    review_reason: str | None


def linked_entries(session: Session, target_id: int) -> list[LinkedEntry]:
    """Links worth citing: confirmed, automatic and still-open suggestions (a rejected match says nothing)."""
    rows = session.execute(
        select(Link, ListEntry)
        .join(ListEntry, ListEntry.id == Link.entry_id)
        .where(Link.target_id == target_id, Link.state != "rejected")
        .order_by(Link.state != "confirmed", Link.score.desc())
    )
    return [
        LinkedEntry(
            source=entry.source,
            list_id=entry.list_id,
            name=entry.name,
            programs=list(entry.programs),
            listed_on=entry.listed_on,
            is_listed=entry.is_listed,
            state=link.state,
            score=link.score,
            reviewed_by=link.reviewed_by,
            review_reason=link.review_reason,
        )
        for link, entry in rows
    ]


def authority_standing(session: Session, target_id: int) -> list[AuthorityStanding]:
    """One line per authority, in a fixed order: listed, delisted, not listed, or no list loaded (unknown)."""
    return authority_standings(session, [target_id])[target_id]


def citation(evidence: Evidence) -> str:
    """Author, "Title", Publisher, date, URL (accessed date): the order a nomination file cites a source in."""
    parts = []
    if evidence.author:
        parts.append(evidence.author)
    parts.append(f"“{evidence.title}”")
    if evidence.publisher:
        parts.append(evidence.publisher)
    if evidence.published_on:
        parts.append(_long_date(evidence.published_on))
    text = ", ".join(parts)
    if evidence.url:
        text += f", {evidence.url}"
    if evidence.accessed_on:
        text += f" (accessed {_long_date(evidence.accessed_on)})"
    return text + "."


def _long_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def dossier_context(session: Session, target_id: int, generated_by: str | None = None) -> dict[str, Any]:
    target: Target = service.get_target(session, target_id)
    evidence = service.list_evidence(session, target_id)
    return {
        "target": target,
        "active_evidence": [e for e in evidence if e.retracted_at is None],
        "retracted_evidence": [e for e in evidence if e.retracted_at is not None],
        "links": linked_entries(session, target_id),
        "standing": authority_standing(session, target_id),
        # Which governments have used their human-rights or anti-corruption (Magnitsky) law on the candidate.
        "magnitsky": theme_coverage(session, [target])[0],
        "generated_at": utcnow(),
        "generated_by": generated_by,
        "source_type_labels": SOURCE_TYPE_LABELS,
        "allegation_labels": ALLEGATION_LABELS,
        "credibility_labels": CREDIBILITY_LABELS,
        "link_state_labels": LINK_STATE_LABELS,
        "citation": citation,
    }


_environment = jinja2.Environment(
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
)
_environment.filters["long_date"] = _long_date
_environment.filters["label"] = lambda value: str(value).replace("_", " ")
_environment.filters["standing_label"] = standing_label


def render_html(session: Session, target_id: int, generated_by: str | None = None) -> str:
    return _environment.from_string(DOSSIER_TEMPLATE).render(
        dossier_context(session, target_id, generated_by)
    )


def html_to_pdf(html: str) -> bytes:
    try:
        # Imported here: it loads Pango through cffi, which the HTML dossier and the rest of the service never need.
        import weasyprint
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            f"PDF rendering needs WeasyPrint and the Pango library ({exc}); the HTML dossier "
            "(format=html) works without them and prints to PDF from a browser"
        ) from None
    return weasyprint.HTML(string=html).write_pdf()


def render_pdf(session: Session, target_id: int, generated_by: str | None = None) -> bytes:
    return html_to_pdf(render_html(session, target_id, generated_by))


def render(session: Session, target_id: int, fmt: str, generated_by: str | None = None) -> bytes:
    if fmt == "pdf":
        return render_pdf(session, target_id, generated_by)
    return render_html(session, target_id, generated_by).encode()


def choose_format(requested: str | None, accept: str | None) -> str:
    """``?format=`` wins; else ``Accept: application/pdf`` asks for the PDF; HTML otherwise."""
    if requested:
        return requested
    if accept and "application/pdf" in accept and "text/html" not in accept:
        return "pdf"
    return "html"


def filename(target: Target | int, fmt: str) -> str:
    target_id = target.id if isinstance(target, Target) else target
    return f"candidate-{target_id}-dossier.{fmt}"


# Fonts: DejaVu (Debian's fonts-dejavu-core) covers Latin and Arabic script; Noto is used where present.
DOSSIER_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dossier: {{ target.name }} (candidate {{ target.id }})</title>
<meta name="author" content="sanctrack{% if generated_by %} ({{ generated_by }}){% endif %}">
<meta name="description" content="Sanctions nomination dossier for {{ target.name }}">
<style>
  @page { size: A4; margin: 20mm 18mm 22mm;
          @bottom-left { content: "Candidate {{ target.id }}: " string(candidate-name);
                         font: 8pt "DejaVu Sans", sans-serif; color: #555; }
          @bottom-right { content: "Page " counter(page) " of " counter(pages);
                          font: 8pt "DejaVu Sans", sans-serif; color: #555; } }
  html { font: 10.5pt/1.45 "DejaVu Sans", "Noto Sans", "Noto Naskh Arabic", Arial, sans-serif; color: #111; }
  body { max-width: 50rem; margin: 1.5rem auto; padding: 0 1rem; }
  @media print { body { margin: 0; padding: 0; max-width: none; } a { color: inherit; } }
  h1 { font-size: 1.6em; margin: 0 0 .2em; string-set: candidate-name content(); }
  h2 { font-size: 1.15em; border-bottom: 1.5px solid #333; padding-bottom: .15em; margin: 1.6em 0 .6em;
       break-after: avoid; }
  h3 { font-size: 1em; margin: 0 0 .3em; break-after: avoid; }
  .meta { color: #444; font-size: .9em; margin: 0 0 1em; }
  dl.facts { display: grid; grid-template-columns: 11em 1fr; gap: .25em 1em; margin: 0; }
  dl.facts dt { font-weight: bold; }
  dl.facts dd { margin: 0; }
  table { width: 100%; border-collapse: collapse; font-size: .92em; }
  th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #bbb; padding: .3em .4em; }
  th { background: #eee; }
  /* Content flows from page to page: a record may continue on the next page between its parts (never inside
     one, and never right after its heading), so page 1 is not left half empty before a long record. */
  p, blockquote, li { orphans: 3; widows: 3; }
  .evidence { border: 1px solid #999; border-radius: 3px; padding: .6em .8em; margin: 0 0 .9em; }
  .evidence > p, .evidence > blockquote, dl.facts, tr { break-inside: avoid; }
  .evidence > h3 { break-after: avoid; }
  blockquote { margin: .5em 0; padding: .3em .8em; border-left: 3px solid #333; background: #f4f4f4;
               white-space: pre-wrap; }
  .citation { font-size: .92em; overflow-wrap: anywhere; }
  .sha { font-family: "DejaVu Sans Mono", monospace; font-size: .85em; overflow-wrap: anywhere; }
  .retracted { color: #444; border-style: dashed; }
  .status-listed { font-weight: bold; }
  .status-no_list { color: #555; font-style: italic; }
  .rationale { white-space: pre-wrap; }
  .none { color: #555; font-style: italic; }
  .note { color: #444; font-size: .9em; }
</style>
</head>
<body>
<header>
  <p class="meta">Sanctions nomination dossier · candidate {{ target.id }} · version {{ target.version }}</p>
  <h1 dir="auto">{{ target.name }}</h1>
  <p class="meta">Generated {{ generated_at.strftime('%Y-%m-%d %H:%M') }} UTC
    {%- if generated_by %} by {{ generated_by }}{% endif %}.</p>
</header>
<main>
<section aria-labelledby="identity">
  <h2 id="identity">1. Identity</h2>
  <dl class="facts">
    <dt>Kind</dt><dd>{{ target.kind | label }}</dd>
    <dt>Primary name</dt><dd dir="auto">{{ target.name }}</dd>
    <dt>Other names</dt><dd>
      {% for alias in target.aliases %}<span dir="auto">{{ alias.name if alias is mapping else alias }}</span>
      {%- if alias is mapping and alias.get('script') %} ({{ alias.script }}{% if alias.get('lang') %}, {{ alias.lang }}{% endif %})
      {%- endif %}{% if not loop.last %}; {% endif %}{% else %}<span class="none">none recorded</span>{% endfor %}</dd>
    <dt>Date of birth</dt><dd>{{ target.birth_dates | join('; ') or '—' }}</dd>
    <dt>Place of birth</dt><dd dir="auto">{{ target.birth_places | join('; ') or '—' }}</dd>
    <dt>Nationality</dt><dd>{{ target.nationalities | join(', ') or '—' }}</dd>
    {% if target.identifiers %}<dt>Identifiers</dt><dd>
      {% for i in target.identifiers %}{{ i.type }} {{ i.value }}{% if i.get('country') %} ({{ i.country }}){% endif %}
      {%- if not loop.last %}; {% endif %}{% endfor %}</dd>{% endif %}
    {% if target.addresses %}<dt>Addresses</dt><dd>
      {% for a in target.addresses %}<span dir="auto">{{ a.full }}</span>{% if a.get('country') %} ({{ a.country }}){% endif %}
      {%- if not loop.last %}; {% endif %}{% endfor %}</dd>{% endif %}
    <dt>Tags</dt><dd>{{ target.tags | join(', ') or '—' }}</dd>
    <dt>Owner</dt><dd>{{ target.owner or '—' }}</dd>
    <dt>Case status</dt><dd>{{ target.status }}</dd>
  </dl>
</section>

<section aria-labelledby="programs">
  <h2 id="programs">2. Proposed programs</h2>
  {% if target.programs %}
  <table>
    <thead><tr><th scope="col">Authority</th><th scope="col">Program</th><th scope="col">Legal basis</th></tr></thead>
    <tbody>{% for p in target.programs %}
      <tr><td>{{ p.authority }}</td><td>{{ p.code }}: {{ p.name }}</td><td>{{ p.legal_basis }}</td></tr>
    {% endfor %}</tbody>
  </table>
  {% else %}<p class="none">No program proposed yet.</p>{% endif %}
</section>

<section aria-labelledby="rationale">
  <h2 id="rationale">3. Rationale</h2>
  {% if target.rationale %}<p class="rationale">{{ target.rationale }}</p>
  {% else %}<p class="none">No rationale written yet.</p>{% endif %}
</section>

<section aria-labelledby="evidence">
  <h2 id="evidence">4. Evidence ({{ active_evidence | length }})</h2>
  {% for e in active_evidence %}
  <article class="evidence">
    <h3>E{{ loop.index }}. {{ e.title }}</h3>
    <p>{{ source_type_labels.get(e.source_type, e.source_type) }} · alleges
       {{ allegation_labels.get(e.allegation, e.allegation) | lower }}
       {%- if e.credibility %} · source reliability {{ credibility_labels[e.credibility] }}{% endif %}</p>
    {% if e.excerpt %}<blockquote dir="auto">{{ e.excerpt }}</blockquote>{% endif %}
    <p class="citation"><strong>Citation:</strong> {{ citation(e) }}</p>
    <dl class="facts">
      <dt>Author</dt><dd>{{ e.author or '—' }}</dd>
      <dt>Publisher</dt><dd>{{ e.publisher or '—' }}</dd>
      <dt>Published</dt><dd>{{ e.published_on.isoformat() if e.published_on else '—' }}</dd>
      <dt>URL</dt><dd class="citation">{% if e.url %}<a href="{{ e.url }}">{{ e.url }}</a>{% else %}—{% endif %}</dd>
      <dt>Accessed</dt><dd>{{ e.accessed_on.isoformat() if e.accessed_on else '—' }}</dd>
      <dt>SHA-256</dt><dd class="sha">{{ e.content_sha256 or 'not recorded' }}</dd>
      <dt>Recorded</dt><dd>{{ e.created_at.strftime('%Y-%m-%d') }}{% if e.created_by %} by {{ e.created_by }}{% endif %}</dd>
    </dl>
  </article>
  {% else %}<p class="none">No evidence recorded.</p>{% endfor %}
  {% if retracted_evidence %}
  <h3>Retracted evidence (not relied on)</h3>
  {% for e in retracted_evidence %}
  <article class="evidence retracted">
    <p><strong>{{ e.title }}</strong>: retracted {{ e.retracted_at.strftime('%Y-%m-%d') }}
       {%- if e.retracted_by %} by {{ e.retracted_by }}{% endif %}. Reason: {{ e.retraction_reason }}</p>
    <p class="citation">{{ citation(e) }}</p>
  </article>
  {% endfor %}
  {% endif %}
</section>

<section aria-labelledby="listed">
  <h2 id="listed">5. Matching entries on official lists</h2>
  {% if links %}
  <table>
    <thead><tr><th scope="col">List</th><th scope="col">Listed name</th><th scope="col">Programs</th>
      <th scope="col">Listed on</th><th scope="col">Match</th></tr></thead>
    <tbody>{% for l in links %}
      <tr><td>{{ l.source }} {{ l.list_id }}{% if not l.is_listed %} (removed){% endif %}</td>
        <td dir="auto">{{ l.name }}</td><td>{{ l.programs | join(', ') or '—' }}</td>
        <td>{{ l.listed_on.isoformat() if l.listed_on else '—' }}</td>
        <td>{{ link_state_labels.get(l.state, l.state) }}, score {{ '%.2f' | format(l.score) }}
          {%- if l.reviewed_by %}; {{ l.reviewed_by }}{% endif %}{% if l.review_reason %}: {{ l.review_reason }}{% endif %}</td></tr>
    {% endfor %}</tbody>
  </table>
  {% else %}<p class="none">No entry on the followed lists matches this candidate.</p>{% endif %}
</section>

<section aria-labelledby="standing">
  <h2 id="standing">6. Status per authority</h2>
  <table>
    <thead><tr><th scope="col">Authority</th><th scope="col">Status</th><th scope="col">Programs</th>
      <th scope="col">Listed on</th><th scope="col">Delisted on</th></tr></thead>
    <tbody>{% for s in standing %}
      <tr><td>{{ s.authority }}</td><td class="status-{{ s.standing }}">{{ s.standing | standing_label }}</td>
        <td>{{ s.programs | join(', ') or '—' }}</td>
        <td>{{ s.listed_on.isoformat() if s.listed_on else '—' }}</td>
        <td>{{ s.delisted_on.isoformat() if s.delisted_on else '—' }}</td></tr>
    {% endfor %}</tbody>
  </table>
  {% if standing | selectattr('standing', 'equalto', 'no_list') | list %}
  <p class="note">“No list loaded”: the service holds no published list of that authority, so whether it lists
    the candidate is not known.</p>
  {% endif %}
  <p id="magnitsky-summary"><strong>Magnitsky laws.</strong> {{ magnitsky.summary }}.</p>
</section>
</main>
</body>
</html>
"""
