"""Article performance as a content editor reads it: an article that answers often but is
followed by handoffs and low CSAT comes first, "not helpful" is counted, sections are counted
apart, a handoff before the answer does not count against it, only-offered titles are not
answers, and the version read last is the one shown. Records are hand-made outcome records
(tests/metrics/builders.py), and one comes from a real tracker through the outcome classifier."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from content.article_performance import ArticlePerformance, Csat, Sort, article_performance
from metrics.sessions import sessions_of
from outcomes.classify import classify
from outcomes.record import OutcomeRecord, ShownArticle
from tests.metrics.builders import T0, escalated, escalation, record, survey
from tests.outcomes.conversations import SECRET, at, greeted, stored_form

HUB = "hub-offline"
TRACK = "track-an-order"
START, END = (T0 - timedelta(days=30)).timestamp(), (T0 + timedelta(days=1)).timestamp()


def answer(article_id: str, turn: int = 1, **fields: Any) -> ShownArticle:
    return ShownArticle(article_id, True, turn=turn, **fields)


def performance(records: list[OutcomeRecord], sort: Sort = "handoffs") -> list[ArticlePerformance]:
    return article_performance(sessions_of(records), START, END, sort)


def by_id(rows: list[ArticlePerformance]) -> dict[str, ArticlePerformance]:
    return {row.article_id: row for row in rows}


def test_an_article_followed_by_handoffs_and_low_csat_comes_first() -> None:
    hub_then_person = [
        escalated(f"h{n}", n * 60, articles_shown=(answer(HUB),), survey=survey("agent", csat=n))
        for n in (1, 2)
    ]
    records = [
        *hub_then_person,
        record("h3", 180, articles_shown=(answer(HUB),), survey=survey(csat=4)),
        *(
            record(f"t{n}", n * 60, articles_shown=(answer(TRACK),), survey=survey(csat=5))
            for n in range(6)
        ),
    ]

    rows = performance(records)

    assert [row.article_id for row in rows] == [HUB, TRACK]
    hub = rows[0].figures
    assert (hub.shown, hub.conversations, hub.handoffs_after) == (3, 3, 2)
    assert hub.csat == Csat(2.33, 3)
    assert hub.csat_after_handoff == Csat(1.5, 2)
    track = rows[1].figures
    assert (track.shown, track.handoffs_after, track.csat) == (6, 0, Csat(5.0, 6))
    assert track.csat_after_handoff == Csat(None, 0)
    assert [row.article_id for row in performance(records, "csat")] == [HUB, TRACK]
    assert [row.article_id for row in performance(records, "shown")] == [TRACK, HUB]


def test_a_handoff_before_the_answer_does_not_count_against_it() -> None:
    asked_for_a_person_first = escalated(
        "c1", escalation=escalation(turn=1), articles_shown=(answer(HUB, turn=3),)
    )
    same_turn = escalated("c2", escalation=escalation(turn=2), articles_shown=(answer(HUB, 2),))

    hub = performance([asked_for_a_person_first, same_turn])[0].figures

    assert (hub.conversations, hub.handoffs_after) == (2, 1)


def test_not_helpful_answers_are_counted_and_sort_first() -> None:
    records = [
        record("c1", articles_shown=(answer(HUB, feedback="not_helpful"),)),
        record("c2", articles_shown=(answer(HUB, 1, feedback="not_helpful"), answer(HUB, 2))),
        record("c3", articles_shown=(answer(TRACK, feedback="helpful"),)),
        record("c4", articles_shown=(answer(TRACK, feedback="helpful"), answer(TRACK, 2))),
        record("c5", articles_shown=(answer(TRACK),)),
    ]

    rows = performance(records, "not_helpful")

    assert [row.article_id for row in rows] == [HUB, TRACK]
    hub, track = rows[0].figures, rows[1].figures
    assert (hub.shown, hub.helpful, hub.not_helpful, hub.conversations) == (3, 0, 2, 2)
    assert (track.shown, track.helpful, track.not_helpful) == (4, 2, 0)


def test_sections_are_counted_apart() -> None:
    phones, wifi = "Which phones does the app work on?", "Wi-Fi setups that cause problems"
    article = "app-and-wifi-requirements"
    records = [
        record("c1", articles_shown=(answer(article, section=phones, feedback="helpful"),)),
        escalated("c2", articles_shown=(answer(article, section=wifi, feedback="not_helpful"),)),
        escalated("c3", articles_shown=(answer(article, section=wifi),)),
        record("c4", articles_shown=(answer(article, section=""),)),
        record("c5", articles_shown=(answer(article),)),  # recorded without its section
    ]

    row = performance(records)[0]

    assert row.figures.shown == 5
    sections = {part.section: part.figures for part in row.sections}
    assert list(sections) == [wifi, "", phones]  # the one followed by handoffs first
    assert (sections[wifi].shown, sections[wifi].not_helpful, sections[wifi].handoffs_after) == (
        2,
        1,
        2,
    )
    assert (sections[phones].shown, sections[phones].helpful) == (1, 1)
    assert sections[phones].handoffs_after == 0
    assert sections[""].shown == 1


def test_a_title_only_offered_is_not_an_answer() -> None:
    offered = ShownArticle(HUB, answered=False, turn=1)
    records = [
        escalated("c1", articles_shown=(offered,), survey=survey(csat=1)),
        record("c2", articles_shown=(offered, answer(HUB, 2, feedback="helpful"))),
    ]

    hub = performance(records)[0]

    assert (hub.offered, hub.figures.shown, hub.figures.conversations) == (2, 1, 1)
    assert hub.figures.handoffs_after == 0 and hub.figures.csat.count == 0


def test_the_version_read_last_is_the_latest_and_versions_are_counted() -> None:
    old, new = ("a1b2c3d4e5f6", "2026-02-01"), ("0f9e8d7c6b5a", "2026-03-09")

    def read(version: tuple[str, str]) -> tuple[ShownArticle, ...]:
        return (answer(HUB, article_version=version[0], article_updated=version[1]),)

    records = [record("c2", 30, articles_shown=read(new)), record("c1", articles_shown=read(old))]

    hub = performance(records)[0]

    assert (hub.latest_version, hub.latest_updated, hub.versions) == (*new, 2)


def test_only_sessions_started_in_the_window_count() -> None:
    records = [
        record("old", -60 * 24 * 31, articles_shown=(answer(HUB),)),
        record("now", 0, articles_shown=(answer(HUB),)),
        record("later", 60 * 24 * 2, articles_shown=(answer(HUB),)),
    ]

    assert performance(records)[0].figures.shown == 1
    assert article_performance(sessions_of(records), END, END + 1) == []


def test_records_from_before_the_lookups_were_kept_count_their_answers() -> None:
    legacy = escalated("c1", articles=(TRACK, HUB), last_answer_helpful=False)

    rows = by_id(performance([legacy]))

    assert (rows[HUB].figures.shown, rows[HUB].figures.not_helpful) == (1, 1)
    assert rows[HUB].figures.handoffs_after == 1  # turn unknown: the session's handoff counts
    assert rows[TRACK].figures.not_helpful == 0 and rows[HUB].sections == ()


def test_a_real_conversation_records_the_section_feedback_and_version() -> None:
    builder = greeted()
    builder.user("my hub is blinking amber", "report_problem")
    builder.kb_answer(
        HUB, "Hearthly Hub offline", 0.83, ("a1b2c3d4e5f6", "2026-03-01"), "Blinking amber"
    )
    builder.feedback(helpful=False).listen()
    builder.user("what's my order status", "order_status")
    builder.kb_miss([(TRACK, "Track an order", 0.4)])
    decided = classify(
        stored_form(builder),
        [],
        conversation_id=builder.sender_id,
        now=at(builder) + timedelta(hours=1),
        customer_key_secret=SECRET,
    )
    assert decided is not None
    stored = OutcomeRecord.from_json(decided.to_json())  # what the stream gives back

    assert stored.articles_shown == (
        ShownArticle(HUB, True, "not_helpful", 2, "Blinking amber", "a1b2c3d4e5f6", "2026-03-01"),
        ShownArticle(TRACK, False, "none", 4),
    )  # turn 1 is the widget's init payload
    start = at(builder) - timedelta(days=1)
    rows = by_id(article_performance(sessions_of([stored]), start.timestamp(), END + 1e9))
    assert rows[HUB].figures.not_helpful == 1
    assert [part.section for part in rows[HUB].sections] == ["Blinking amber"]
    assert (rows[TRACK].offered, rows[TRACK].figures.shown) == (1, 0)
