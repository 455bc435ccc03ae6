"""Incident detection: many customers escalating the same problem at the same time.

Pure: the caller passes the recent escalations and open incidents it keeps (in Redis), the new
escalation, the settings from routing.yml and, optionally, a similarity function (the service
can pass embedding cosine similarity; the default is word overlap).

An escalation carries the customer's problem (`Problem`), never how they asked for help: the
knowledge-base article that failed them, the topic (the team routing chose from the evidence:
articles tried, intent), the products they named, and their description of the problem - the
words they wrote about it, without what says nothing about what is wrong: a request for a
person, greetings, thanks, "help", frustration, urgency (`incidents.ignore_words`), stop words,
numbers, addresses and masked secrets. "I want to talk to a person" describes no problem.

Two escalations are about the same problem when
- the same article failed them both (`same_failing_article`), or
- routing gave them the same topic and
  - they name the same product and their descriptions share a word (`same_product`: "my hub
    keeps rebooting since the update" / "hub offline after the update"), or
  - they do not name different products, and both descriptions have at least
    `min_problem_words` words and are at least `min_similarity` alike (`similar_problem`).
A new escalation
- joins an open incident one of whose escalations it matches and that saw its last escalation
  within the window (an incident stays open while customers keep arriving), else
- creates one when, counting itself, at least `min_customers` different customers escalated a
  matching problem within the window before it. The same customer escalating twice counts once.
The incident id is derived from its earliest ticket, so a retried call yields the same id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from handoff.detection.frustration import STOPWORDS, WORD, content_words
from handoff.detection.frustration import similarity as word_set_similarity
from handoff.privacy.redact import MASK
from handoff.routing.config import IncidentSettings

Similarity = Callable[[str, str], float]
"""How alike two problem descriptions are, from 0 (unrelated) to 1 (the same)."""

NOT_THE_PROBLEM = re.compile(
    r"\S+@\S+|\bhttps?://\S+|\bwww\.\S+"  # email and web addresses
    r"|\b(?i:connect|put|transfer|pass|forward)\s+(?i:me)\b"  # "connect me with someone"
    r"|\b(?i:my\s+name\s+is|my\s+name's|i'm|i\s+am|this\s+is)"  # "my name is Jane Doe"
    r"\s+[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?"
)
"""Shapes that are not the problem, whatever the words: addresses, "connect me", "my name is
Jane Doe" (a capitalised name after the introduction)."""
REASONS = ("same_failing_article", "same_product", "similar_problem")


def word_overlap(first: str, second: str) -> float:
    """Jaccard overlap of the content words of two texts (stop words left out)."""
    return word_set_similarity(content_words(first), content_words(second))


def problem_words(text: str, ignore: Collection[str]) -> tuple[str, ...]:
    """The words of `text` that can say what is wrong, in order, each once: no stop words, no
    `ignore` words, no numbers (order numbers, amounts, dates are the customer's own), no
    masked secrets, nothing of `NOT_THE_PROBLEM`."""
    text = MASK.sub(" ", text.replace("\u2019", "'").replace("\u2018", "'"))
    text = NOT_THE_PROBLEM.sub(" ", text)
    words: dict[str, None] = {}
    for found in WORD.findall(text.lower()):
        word = found.strip("'")
        if len(word) < 2 or word in STOPWORDS or word in ignore:
            continue
        if not any(character.isdigit() for character in word):
            words[word] = None
    return tuple(words)


@dataclass(frozen=True)
class Problem:
    """What a customer's problem is, as far as incident detection compares problems."""

    description: str = ""
    """Their words about what is wrong (`problem_words`, joined by spaces; the products they
    named are in `products`); empty when they only asked for a person."""
    topic: str | None = None
    """The team routing chose from the evidence (articles tried, intent), before any incident."""
    products: frozenset[str] = frozenset()
    """The shop's products they named (catalogue names, e.g. "Hearthly Hub")."""
    failing_article_id: str | None = None
    """The first knowledge-base article they said did not help."""


@dataclass(frozen=True)
class Escalation:
    """One handoff, as incident detection sees it."""

    ticket_id: str
    customer_id: str
    at: datetime
    failing_article_id: str | None = None
    description: str = ""
    topic: str | None = None
    products: frozenset[str] = frozenset()

    @property
    def problem(self) -> Problem:
        return Problem(self.description, self.topic, self.products, self.failing_article_id)


@dataclass(frozen=True)
class Incident:
    incident_id: str
    ticket_ids: tuple[str, ...]
    customer_ids: frozenset[str]
    failing_article_id: str | None
    problems: tuple[Problem, ...]
    """One per ticket, in the order of `ticket_ids`."""
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


def has_problem(escalation: Escalation, settings: IncidentSettings) -> bool:
    """Whether the escalation says anything a problem can be matched on (a customer who only
    asked for a person does not: they can be in no incident)."""
    problem = escalation.problem
    return bool(problem.failing_article_id) or bool(_words(problem, settings))


def detect_incident(
    new: Escalation,
    recent: Sequence[Escalation],
    settings: IncidentSettings,
    similarity: Similarity = word_overlap,
    open_incidents: Sequence[Incident] = (),
) -> IncidentMatch | None:
    """Join an open incident, create one, or None when the problem is not (yet) widespread."""
    if not has_problem(new, settings):
        return None
    for incident in sorted(open_incidents, key=lambda i: i.last_seen_at, reverse=True):
        joined = _join(new, incident, settings, similarity)
        if joined is not None:
            return joined
    matched: dict[str, tuple[Escalation, set[str]]] = {}
    for earlier in recent:
        if earlier.ticket_id == new.ticket_id or abs(new.at - earlier.at) > settings.window:
            continue
        why = same_problem(new.problem, earlier.problem, settings, similarity)
        if why:
            matched.setdefault(earlier.ticket_id, (earlier, set()))[1].update(why)
    members = sorted((e for e, _ in matched.values()), key=lambda e: (e.at, e.ticket_id))
    customers = {e.customer_id for e in members} | {new.customer_id}
    if len(customers) < settings.min_customers:
        return None
    everyone = [*members, new]
    reasons = _ordered(set().union(*(why for _, why in matched.values())))
    article = new.failing_article_id if "same_failing_article" in reasons else None
    incident = Incident(
        incident_id=f"incident-{members[0].ticket_id}",
        ticket_ids=tuple(e.ticket_id for e in everyone),
        customer_ids=frozenset(customers),
        failing_article_id=article,
        problems=tuple(e.problem for e in everyone),
        opened_at=members[0].at,
        last_seen_at=max(e.at for e in everyone),
    )
    window = int(settings.window.total_seconds() // 60)
    how = _describe(reasons, article, new.problem, [e.problem for e in members])
    detail = (
        f"{len(customers)} customers escalated the same problem within {window} minutes "
        f"({how}): tickets {', '.join(incident.ticket_ids)}"
    )
    return IncidentMatch(incident, True, reasons, detail)


def same_problem(
    first: Problem, second: Problem, settings: IncidentSettings, similarity: Similarity
) -> set[str]:
    """Why two problems are the same (the names in `REASONS`); empty when they are not."""
    why = set()
    if first.failing_article_id and first.failing_article_id == second.failing_article_id:
        why.add("same_failing_article")
    if first.topic != second.topic:
        return why
    mine, theirs = _words(first, settings), _words(second, settings)
    shared = first.products & second.products
    if shared and set(mine) & set(theirs):
        why.add("same_product")
    if first.products and second.products and not shared:
        return why  # the same words about different products: different problems
    enough = min(len(mine), len(theirs)) >= settings.min_problem_words
    if enough and similarity(" ".join(mine), " ".join(theirs)) >= settings.min_similarity:
        why.add("similar_problem")
    return why


def _join(
    new: Escalation, incident: Incident, settings: IncidentSettings, similarity: Similarity
) -> IncidentMatch | None:
    if new.at - incident.last_seen_at > settings.window:
        return None
    why: set[str] = set()
    if new.failing_article_id and new.failing_article_id == incident.failing_article_id:
        why.add("same_failing_article")
    for problem in incident.problems:
        why |= same_problem(new.problem, problem, settings, similarity)
    if not why:
        return None
    already = new.ticket_id in incident.ticket_ids
    grown = replace(
        incident,
        ticket_ids=incident.ticket_ids if already else (*incident.ticket_ids, new.ticket_id),
        customer_ids=incident.customer_ids | {new.customer_id},
        problems=incident.problems if already else (*incident.problems, new.problem),
        last_seen_at=max(incident.last_seen_at, new.at),
    )
    reasons = _ordered(why)
    how = _describe(reasons, incident.failing_article_id, new.problem, incident.problems)
    detail = (
        f"joins incident {incident.incident_id} ({how}),"
        f" now {len(grown.customer_ids)} customers: tickets {', '.join(grown.ticket_ids)}"
    )
    return IncidentMatch(grown, False, reasons, detail)


def _words(problem: Problem, settings: IncidentSettings) -> tuple[str, ...]:
    return problem_words(problem.description, settings.ignore_words)


def _ordered(reasons: Collection[str]) -> tuple[str, ...]:
    return tuple(reason for reason in REASONS if reason in reasons)


def _describe(
    reasons: Sequence[str], article_id: str | None, new: Problem, others: Sequence[Problem]
) -> str:
    """Ids, team and catalogue names only: no customer text goes into a ticket's reasons."""
    parts = []
    if "same_failing_article" in reasons:
        parts.append(f"article {article_id} did not help")
    if "similar_problem" in reasons:
        parts.append(f"similar descriptions of the problem, topic {new.topic or 'unknown'}")
    if "same_product" in reasons:
        named = new.products & frozenset().union(*(other.products for other in others))
        parts.append(f"the same problem with {', '.join(sorted(named))}, topic {new.topic}")
    return " and ".join(parts)
