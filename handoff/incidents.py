"""Incident detection: many customers escalating the same problem at the same time.

Pure: the caller passes the recent escalations and open incidents it keeps (in Redis), the new
escalation, the settings from routing.yml and, optionally, a similarity function (the service
can pass embedding cosine similarity; the default is word overlap).

Two escalations are about the same problem when the same knowledge-base article failed them
both, or their first requests are at least `min_similarity` alike. A new escalation
- joins an open incident that it matches and that saw its last escalation within the window
  (an incident stays open while customers keep arriving), else
- creates one when, counting itself, at least `min_customers` different customers escalated a
  matching problem within the window before it. The same customer escalating twice counts once.
The incident id is derived from its earliest ticket, so a retried call yields the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from handoff.frustration import content_words
from handoff.frustration import similarity as word_set_similarity
from handoff.routing_config import IncidentSettings

Similarity = Callable[[str, str], float]
"""How alike two first requests are, from 0 (unrelated) to 1 (the same)."""


def word_overlap(first: str, second: str) -> float:
    """Jaccard overlap of the content words of two texts (stop words left out)."""
    return word_set_similarity(content_words(first), content_words(second))


@dataclass(frozen=True)
class Escalation:
    """One handoff, as incident detection sees it."""

    ticket_id: str
    customer_id: str
    at: datetime
    first_request: str
    failing_article_id: str | None = None


@dataclass(frozen=True)
class Incident:
    incident_id: str
    ticket_ids: tuple[str, ...]
    customer_ids: frozenset[str]
    failing_article_id: str | None
    first_requests: tuple[str, ...]
    opened_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class IncidentMatch:
    """The incident the new escalation belongs to, and why."""

    incident: Incident
    created: bool
    matched_by: tuple[str, ...]
    detail: str

    @property
    def incident_id(self) -> str:
        return self.incident.incident_id


def detect_incident(
    new: Escalation,
    recent: Sequence[Escalation],
    settings: IncidentSettings,
    similarity: Similarity = word_overlap,
    open_incidents: Sequence[Incident] = (),
) -> IncidentMatch | None:
    """Join an open incident, create one, or None when the problem is not (yet) widespread."""
    for incident in sorted(open_incidents, key=lambda i: i.last_seen_at, reverse=True):
        joined = _join(new, incident, settings, similarity)
        if joined is not None:
            return joined
    matched: dict[str, tuple[Escalation, set[str]]] = {}
    for earlier in recent:
        if earlier.ticket_id == new.ticket_id or abs(new.at - earlier.at) > settings.window:
            continue
        why = _why_same(
            new, earlier.failing_article_id, [earlier.first_request], settings, similarity
        )
        if why:
            matched.setdefault(earlier.ticket_id, (earlier, set()))[1].update(why)
    members = sorted((e for e, _ in matched.values()), key=lambda e: (e.at, e.ticket_id))
    customers = {e.customer_id for e in members} | {new.customer_id}
    if len(customers) < settings.min_customers:
        return None
    everyone = [*members, new]
    reasons = sorted(set().union(*(why for _, why in matched.values())))
    article = new.failing_article_id if "same_failing_article" in reasons else None
    incident = Incident(
        incident_id=f"incident-{members[0].ticket_id}",
        ticket_ids=tuple(e.ticket_id for e in everyone),
        customer_ids=frozenset(customers),
        failing_article_id=article,
        first_requests=tuple(e.first_request for e in everyone),
        opened_at=members[0].at,
        last_seen_at=max(e.at for e in everyone),
    )
    window = int(settings.window.total_seconds() // 60)
    detail = (
        f"{len(customers)} customers escalated the same problem within {window} minutes "
        f"({_describe(reasons, article)}): tickets {', '.join(incident.ticket_ids)}"
    )
    return IncidentMatch(incident, True, tuple(reasons), detail)


def _join(
    new: Escalation, incident: Incident, settings: IncidentSettings, similarity: Similarity
) -> IncidentMatch | None:
    if new.at - incident.last_seen_at > settings.window:
        return None
    why = _why_same(new, incident.failing_article_id, incident.first_requests, settings, similarity)
    if not why:
        return None
    already = new.ticket_id in incident.ticket_ids
    grown = replace(
        incident,
        ticket_ids=incident.ticket_ids if already else (*incident.ticket_ids, new.ticket_id),
        customer_ids=incident.customer_ids | {new.customer_id},
        first_requests=incident.first_requests
        if already
        else (*incident.first_requests, new.first_request),
        last_seen_at=max(incident.last_seen_at, new.at),
    )
    reasons = tuple(sorted(why))
    how = _describe(reasons, incident.failing_article_id)
    detail = (
        f"joins incident {incident.incident_id} ({how}),"
        f" now {len(grown.customer_ids)} customers: tickets {', '.join(grown.ticket_ids)}"
    )
    return IncidentMatch(grown, False, reasons, detail)


def _why_same(
    new: Escalation,
    article_id: str | None,
    requests: Sequence[str],
    settings: IncidentSettings,
    similarity: Similarity,
) -> set[str]:
    why = set()
    if new.failing_article_id and new.failing_article_id == article_id:
        why.add("same_failing_article")
    if any(similarity(new.first_request, text) >= settings.min_similarity for text in requests):
        why.add("similar_request")
    return why


def _describe(reasons: Sequence[str], article_id: str | None) -> str:
    parts = []
    if "same_failing_article" in reasons:
        parts.append(f"article {article_id} did not help")
    if "similar_request" in reasons:
        parts.append("similar first requests")
    return " and ".join(parts)
