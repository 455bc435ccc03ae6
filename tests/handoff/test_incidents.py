"""Incidents: several customers escalating the same problem at once become one incident."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from handoff.incidents import Escalation, detect_incident, word_overlap
from handoff.routing_config import load_routing_config

SETTINGS = load_routing_config().incidents  # 3 customers within 30 minutes, similarity 0.5
START = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)
DIFFERENT_WORDS = [
    "nothing connects since yesterday",
    "lights stopped responding to the app",
    "why is my home unreachable",
    "the amber blinking never ends",
    "can't control anything remotely",
]


def hub(n: int, minutes: float, customer: str | None = None, text: str = "") -> Escalation:
    return Escalation(
        ticket_id=f"T-{n}",
        customer_id=customer or f"C-{n}",
        at=START + timedelta(minutes=minutes),
        first_request=text or DIFFERENT_WORDS[n % len(DIFFERENT_WORDS)],
        failing_article_id="hub-offline",
    )


def test_three_customers_with_the_same_failing_article_within_30_minutes_make_an_incident() -> None:
    match = detect_incident(hub(3, 25), [hub(1, 0), hub(2, 12)], SETTINGS)
    assert match is not None
    assert match.created
    assert match.incident_id == "incident-T-1"
    assert match.incident.ticket_ids == ("T-1", "T-2", "T-3")
    assert match.incident.customer_ids == {"C-1", "C-2", "C-3"}
    assert match.incident.failing_article_id == "hub-offline"
    assert match.matched_by == ("same_failing_article",)
    assert "3 customers escalated the same problem within 30 minutes" in match.detail
    assert "article hub-offline did not help" in match.detail


def test_the_default_texts_do_not_match_on_their_own() -> None:
    for first in DIFFERENT_WORDS:
        for second in DIFFERENT_WORDS:
            if first != second:
                assert word_overlap(first, second) < SETTINGS.min_similarity


def test_two_customers_are_not_an_incident() -> None:
    assert detect_incident(hub(2, 5), [hub(1, 0)], SETTINGS) is None


def test_escalations_outside_the_window_do_not_count() -> None:
    assert detect_incident(hub(3, 45), [hub(1, 0), hub(2, 20)], SETTINGS) is None
    assert detect_incident(hub(3, 50), [hub(1, 0), hub(2, 20)], SETTINGS) is None


def test_one_customer_escalating_three_times_is_one_customer() -> None:
    recent = [hub(1, 0, customer="C-1"), hub(2, 5, customer="C-1")]
    assert detect_incident(hub(3, 10, customer="C-1"), recent, SETTINGS) is None
    assert detect_incident(hub(3, 10, customer="C-9"), recent, SETTINGS) is None


def test_a_different_failing_article_is_a_different_problem() -> None:
    other = replace(hub(3, 10), failing_article_id="camera-offline")
    assert detect_incident(other, [hub(1, 0), hub(2, 5)], SETTINGS) is None


def test_similar_first_requests_make_an_incident_without_a_shared_article() -> None:
    texts = [
        "my hub light is blinking amber and everything is offline",
        "hub blinking amber, all my devices offline",
        "Hub light blinking amber since this morning, devices offline",
    ]
    events = [
        Escalation(f"T-{n}", f"C-{n}", START + timedelta(minutes=n * 4), text)
        for n, text in enumerate(texts, start=1)
    ]
    assert word_overlap(texts[2], texts[0]) >= SETTINGS.min_similarity
    match = detect_incident(events[2], events[:2], SETTINGS)
    assert match is not None
    assert match.matched_by == ("similar_request",)
    assert match.incident.failing_article_id is None
    unrelated = Escalation("T-9", "C-9", START + timedelta(minutes=9), "how do I cancel plus")
    assert detect_incident(unrelated, events[:2], SETTINGS) is None


def test_the_service_can_pass_its_own_similarity_function() -> None:
    def same_first_word(first: str, second: str) -> float:
        return float(first.split()[0] == second.split()[0])

    events = [
        Escalation(f"T-{n}", f"C-{n}", START + timedelta(minutes=n), f"Doorbell {word}")
        for n, word in enumerate(["silent", "dead", "quiet"], start=1)
    ]
    assert detect_incident(events[2], events[:2], SETTINGS) is None
    match = detect_incident(events[2], events[:2], SETTINGS, similarity=same_first_word)
    assert match is not None and match.incident.ticket_ids == ("T-1", "T-2", "T-3")


def test_later_escalations_join_the_open_incident() -> None:
    created = detect_incident(hub(3, 20), [hub(1, 0), hub(2, 10)], SETTINGS)
    assert created is not None
    joined = detect_incident(hub(4, 45), [], SETTINGS, open_incidents=[created.incident])
    assert joined is not None
    assert not joined.created
    assert joined.incident_id == "incident-T-1"
    assert joined.incident.ticket_ids == ("T-1", "T-2", "T-3", "T-4")
    assert joined.incident.last_seen_at == START + timedelta(minutes=45)
    assert "now 4 customers" in joined.detail


def test_a_quiet_incident_is_not_joined_and_a_retry_does_not_duplicate() -> None:
    created = detect_incident(hub(3, 20), [hub(1, 0), hub(2, 10)], SETTINGS)
    assert created is not None
    stale = detect_incident(hub(4, 51), [], SETTINGS, open_incidents=[created.incident])
    assert stale is None
    retried = detect_incident(hub(3, 20), [], SETTINGS, open_incidents=[created.incident])
    assert retried is not None
    assert retried.incident.ticket_ids == ("T-1", "T-2", "T-3")


def test_the_incident_id_is_stable_whatever_order_the_store_returns() -> None:
    recent = [hub(2, 10), hub(1, 0)]
    first = detect_incident(hub(3, 20), recent, SETTINGS)
    second = detect_incident(hub(3, 20), list(reversed(recent)), SETTINGS)
    assert first is not None and second is not None
    assert first.incident == second.incident
