"""Incidents: several customers escalating the same problem at once become one incident; asking
for a person, in any words and however many customers do it, is no problem in common."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from handoff.routing.config import load_routing_config
from handoff.routing.incident_problem import escalation_for_incidents
from handoff.routing.incidents import (
    Escalation,
    Incident,
    detect_incident,
    has_problem,
    problem_words,
    word_overlap,
)
from handoff.store.incidents import (
    escalation_from_json,
    escalation_to_json,
    incident_from_json,
    incident_to_json,
)
from handoff.ticket.builder import build_ticket
from handoff.ticket.model import Ticket
from tests.support.rasa_tracker import TrackerBuilder

SETTINGS = load_routing_config().incidents  # 3 customers within 30 minutes, similarity 0.5
IGNORE = SETTINGS.ignore_words
START = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)
DIFFERENT_WORDS = [
    "nothing connects since yesterday",
    "lights stopped responding to the app",
    "why is my home unreachable",
    "the amber blinking never ends",
    "can't control anything remotely",
]
PERSON_REQUESTS = [
    "I want to talk to a person",
    "can I speak to a human",
    "agent please",
    "let me talk to a manager",
    "Hi! I need help",
    "help",
    "this is useless, get me a real person NOW!!!",
    "are you a bot? I want a live agent asap",
    "connect me with someone, my email is jane@example.com",
    "I'd like to speak with a customer service representative please",
    "transfer me to your supervisor, this is ridiculous",
    "my name is Jane Doe, call me at 555 010 4477",
    "this isn't working, I want a human",
]
WIFI = "my Hearthly hub won't connect to wifi since the update"


def hub(n: int, minutes: float, customer: str | None = None, text: str = "") -> Escalation:
    return Escalation(
        ticket_id=f"T-{n}",
        customer_id=customer or f"C-{n}",
        at=START + timedelta(minutes=minutes),
        failing_article_id="hub-offline",
        description=text or DIFFERENT_WORDS[n % len(DIFFERENT_WORDS)],
        topic="technical",
    )


def said(n: int, text: str, topic: str = "technical", minutes: float | None = None) -> Escalation:
    """Customer n described their problem in `text`; no article was shown."""
    at = START + timedelta(minutes=n * 2 if minutes is None else minutes)
    return Escalation(f"T-{n}", f"C-{n}", at, description=text, topic=topic)


def ticket(*turns: tuple[str, str]) -> Ticket:
    """A conversation of (text, intent) customer turns ending in a handoff."""
    builder = TrackerBuilder().session_start()
    for text, intent in turns:
        builder.user(text, intent).action("action_listen")
    builder.action("action_handoff").bot("Connecting you to a person.")
    return build_ticket(
        builder.tracker(),
        None,
        ticket_id="tk-1",
        conversation_id="conv-1",
        channel="rest",
        customer=None,
        now=START,
        nlp=None,
    )


def from_ticket(n: int, *turns: tuple[str, str], topic: str = "technical") -> Escalation:
    escalation = escalation_for_incidents(ticket(*turns), f"C-{n}", START, topic, SETTINGS)
    return replace(escalation, ticket_id=f"T-{n}", at=START + timedelta(minutes=n))


# --- a request for a person is no problem --------------------------------------------------


def test_a_request_for_a_person_in_any_words_describes_no_problem() -> None:
    for text in PERSON_REQUESTS:
        assert problem_words(text, IGNORE) == (), text
    assert problem_words(WIFI, IGNORE) == ("hearthly", "hub", "connect", "wifi", "update")


def test_300_identical_requests_for_a_person_make_no_incident() -> None:
    burst = [
        from_ticket(n, ("I want to talk to a person", "request_human"), topic="general")
        for n in range(300)
    ]
    assert not any(has_problem(escalation, SETTINGS) for escalation in burst)
    assert all(detect_incident(new, burst[:n], SETTINGS) is None for n, new in enumerate(burst))


def test_requests_for_a_person_in_other_words_make_no_incident_even_if_misread() -> None:
    # Read by the NLU as something else than a request for a person: the words still say nothing.
    for text in PERSON_REQUESTS:
        burst = [said(n, text, topic="general", minutes=n / 10) for n in range(30)]
        assert all(detect_incident(new, burst[:n], SETTINGS) is None for n, new in enumerate(burst))


def test_a_customer_who_only_asked_for_a_person_joins_no_open_incident() -> None:
    created = detect_incident(said(3, WIFI), [said(1, WIFI), said(2, WIFI)], SETTINGS)
    assert created is not None
    person = from_ticket(4, ("a person please", "request_human"))
    assert detect_incident(person, [], SETTINGS, open_incidents=[created.incident]) is None


# --- what the customer's problem is, read from the ticket ------------------------------------


def test_the_problem_is_what_the_customer_told_after_asking_for_a_person() -> None:
    turns = [("hi", "greet"), ("a person please", "request_human"), (WIFI, "inform")]
    escalation = from_ticket(1, *turns)
    assert escalation.description == "connect wifi update"
    assert escalation.products == {"Hearthly Hub"}  # the product on its own
    assert escalation.topic == "technical"


def test_a_request_for_a_person_that_names_a_product_says_what_is_wrong() -> None:
    escalation = from_ticket(1, ("I need a person, my thermostat screen is blank", "request_human"))
    assert escalation.description == "screen blank"
    assert has_problem(escalation, SETTINGS)


def test_the_description_stops_once_it_says_enough() -> None:
    escalation = from_ticket(
        1,
        ("my doorbell", "report_problem"),
        ("it rings twice for every press", "inform"),
        ("my email is jane@example.com", "inform"),
    )
    assert escalation.description == "rings twice press"


def test_the_failing_article_is_the_one_marked_not_helpful() -> None:
    builder = TrackerBuilder().session_start()
    builder.user("my hub is offline", "report_problem")
    builder.kb_answer("hub-offline", "Hearthly Hub offline or blinking", 0.72)
    builder.feedback(helpful=False)
    builder.user("a person please", "request_human").action("action_handoff")
    built = build_ticket(
        builder.tracker(),
        None,
        ticket_id="tk-1",
        conversation_id="conv-1",
        channel="rest",
        customer=None,
        now=START,
        nlp=None,
    )
    escalation = escalation_for_incidents(built, "C-1", START, "technical", SETTINGS)
    assert escalation.failing_article_id == "hub-offline"


# --- true incidents --------------------------------------------------------------------------


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


def test_five_customers_whose_hub_lost_wifi_after_the_update_are_one_incident() -> None:
    events = [from_ticket(n, (WIFI, "report_problem")) for n in range(1, 6)]
    created = detect_incident(events[2], events[:2], SETTINGS)
    assert created is not None and created.created
    assert created.matched_by == ("same_product", "similar_problem")
    assert "topic technical" in created.detail and "Hearthly Hub" in created.detail
    assert WIFI not in created.detail  # no customer text in the ticket's reasons
    incident = created.incident
    for event in events[3:]:
        joined = detect_incident(event, events, SETTINGS, open_incidents=[incident])
        assert joined is not None and not joined.created
        incident = joined.incident
    assert incident.ticket_ids == ("T-1", "T-2", "T-3", "T-4", "T-5")


def test_similar_descriptions_make_an_incident_without_a_shared_article() -> None:
    texts = [
        "my lights are blinking amber and everything is offline",
        "lights blinking amber, all my devices offline",
        "Lights blinking amber since this morning, devices offline",
    ]
    events = [said(n, text) for n, text in enumerate(texts, start=1)]
    match = detect_incident(events[2], events[:2], SETTINGS)
    assert match is not None
    assert match.matched_by == ("similar_problem",)
    assert match.incident.failing_article_id is None
    assert detect_incident(said(9, "how do I cancel plus"), events[:2], SETTINGS) is None


def test_the_same_words_on_another_topic_are_another_problem() -> None:
    text = "charged twice for the same order"
    earlier = [said(1, text), said(2, text)]  # technical
    assert detect_incident(said(3, text, "billing"), earlier, SETTINGS) is None
    match = detect_incident(said(3, text), earlier, SETTINGS)
    assert match is not None and match.matched_by == ("similar_problem",)


def test_the_same_product_with_a_symptom_in_common_is_the_same_problem() -> None:
    first = from_ticket(1, ("my hub keeps rebooting since the update", "report_problem"))
    second = from_ticket(2, ("hub offline after the update", "report_problem"))
    third = from_ticket(3, ("the update broke my hub, it shows a red light", "report_problem"))
    match = detect_incident(third, [first, second], SETTINGS)
    assert match is not None and match.matched_by == ("same_product",)
    assert "the same problem with Hearthly Hub, topic technical" in match.detail


def test_the_same_words_about_different_products_are_different_problems() -> None:
    devices = ["doorbell", "thermostat", "security camera"]
    events = [
        from_ticket(n, (f"my {device} stopped pairing with the app after the reset", "inform"))
        for n, device in enumerate(devices, start=1)
    ]
    assert len({event.description for event in events}) == 1
    assert detect_incident(events[2], events[:2], SETTINGS) is None


def test_the_same_product_alone_is_not_the_same_problem() -> None:
    questions = [
        "how do I reset my hub",
        "can the hub run on batteries",
        "hub offline after the update",
    ]
    events = [from_ticket(n, (text, "report_problem")) for n, text in enumerate(questions, 1)]
    assert all(event.products == {"Hearthly Hub"} for event in events)
    assert detect_incident(events[2], events[:2], SETTINGS) is None


def test_a_one_word_description_is_too_little_to_compare() -> None:
    events = [said(n, "connect") for n in range(1, 6)]
    assert detect_incident(events[4], events[:4], SETTINGS) is None


# --- the window, the customers, joining ------------------------------------------------------


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


def test_the_service_can_pass_its_own_similarity_function() -> None:
    def same_first_word(first: str, second: str) -> float:
        return float(first.split()[0] == second.split()[0])

    events = [said(n, f"doorbell {word}") for n, word in enumerate(["silent", "dead", "quiet"], 1)]
    assert detect_incident(events[2], events[:2], SETTINGS) is None
    match = detect_incident(events[2], events[:2], SETTINGS, similarity=same_first_word)
    assert match is not None and match.incident.ticket_ids == ("T-1", "T-2", "T-3")
    person = [said(n, "a person please") for n in range(4, 7)]  # nothing left to compare
    assert detect_incident(person[2], person[:2], SETTINGS, similarity=same_first_word) is None


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


# --- what the store keeps --------------------------------------------------------------------


def test_the_store_keeps_the_problem_and_not_the_request() -> None:
    escalation = from_ticket(1, ("a person pls", "request_human"), (WIFI, "report_problem"))
    data = escalation_to_json(escalation)
    assert "a person" not in str(data) and WIFI not in str(data)
    assert escalation_from_json(data) == escalation
    created = detect_incident(said(3, WIFI), [said(1, WIFI), said(2, WIFI)], SETTINGS)
    assert created is not None
    assert incident_from_json(incident_to_json(created.incident)) == created.incident


def test_an_incident_stored_before_problems_were_kept_is_joined_only_by_its_article() -> None:
    old = {
        "incident_id": "incident-T-1",
        "ticket_ids": ["T-1", "T-2", "T-3"],
        "customer_ids": ["C-1", "C-2", "C-3"],
        "failing_article_id": None,
        "first_requests": ["I want to talk to a person"] * 3,
        "opened_at": START.isoformat(),
        "last_seen_at": START.isoformat(),
    }
    incident: Incident = incident_from_json(old)
    assert len(incident.problems) == 3
    person = said(4, "I want to talk to a person", topic="general")
    assert detect_incident(person, [], SETTINGS, open_incidents=[incident]) is None
    old_escalation = {"ticket_id": "T-1", "customer_id": "C-1", "at": START.isoformat()}
    record = escalation_from_json({**old_escalation, "first_request": "a person please"})
    assert not has_problem(record, SETTINGS)
