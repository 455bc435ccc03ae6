"""The pure parts of `make bench-vs-rasa`: the conversation script and the ratios."""

from __future__ import annotations

from benchmarks.vs_rasa import ALONE, STACK, ratios
from benchmarks.vs_rasa_clients import TurnTiming
from benchmarks.vs_rasa_runs import GREETING, by_kind, growth, median_of_rounds, script


def test_every_conversation_greets_then_alternates_questions_and_thanks() -> None:
    lines = script(["q1", "q2", "q3"], turns=20, offset=0)

    assert lines[0] == ("greeting", GREETING)
    assert [kind for kind, _ in lines[1:4]] == ["kb", "rule", "kb"]
    assert lines[1][0] == lines[19][0] == "kb"  # turn 2 and turn 20 are the same kind
    assert len(lines) == 20


def test_conversations_ask_different_questions() -> None:
    first = script(["q1", "q2", "q3"], turns=4, offset=0)
    second = script(["q1", "q2", "q3"], turns=4, offset=1)

    assert first[1] != second[1]


def test_growth_compares_the_last_question_turn_with_the_first() -> None:
    timings = [TurnTiming("s", turn, "kb", ms) for turn, ms in ((2, 100.0), (4, 105.0), (6, 120.0))]

    result = growth(timings, "s", turns=6)

    assert result["kb_turn_p50_ms"] == {"2": 100.0, "4": 105.0, "6": 120.0}
    assert result["last_over_turn2"] == 1.2


def _figures(rule: float, kb: float, throughput: float, p95: float, growth: float) -> dict:
    calm = {kind: {"p50_ms": ms} for kind, ms in (("greeting", rule), ("rule", rule), ("kb", kb))}
    return {
        "concurrency_1": calm,
        "concurrency_50": {"throughput_msg_s": throughput, "p95_ms": p95},
        "growth": {"last_over_turn2": growth},
    }


def test_ratios_are_ours_over_rasa_alone_with_its_own_growth_divided_out() -> None:
    figures = {
        STACK: _figures(rule=39.0, kb=60.0, throughput=35.0, p95=3000.0, growth=1.32),
        ALONE: _figures(rule=30.0, kb=30.0, throughput=50.0, p95=1500.0, growth=1.2),
    }

    result = ratios(figures, ALONE, concurrency=50)

    assert result == {
        "rule_p50": 1.3,
        "greeting_p50": 1.3,
        "kb_p50": 2.0,
        "throughput_50": 0.7,
        "p95_50": 2.0,
        "turn20_over_turn2": 1.1,
    }


def test_rounds_are_summarised_by_their_medians_and_refusals_add_up() -> None:
    rounds = [
        {"throughput_msg_s": t, "p50_ms": 1.0, "p95_ms": p, "refused": r}
        for t, p, r in ((10.0, 300.0, 0), (12.0, 200.0, 1), (11.0, 250.0, 0))
    ]

    summary = median_of_rounds(rounds)

    assert (summary["throughput_msg_s"], summary["p95_ms"], summary["refused"]) == (11.0, 250.0, 1)


def test_refused_turns_are_counted_not_timed() -> None:
    timings = [
        TurnTiming("s", 2, "kb", 100.0),
        TurnTiming("s", 4, "kb", 3.0, refused=True),  # a gateway_error comes back at once
        TurnTiming("s", 3, "rule", 50.0),
    ]

    assert growth(timings, "s", turns=4)["last_over_turn2"] is None
    assert growth(timings, "s", turns=4)["refused"] == 1
    summary = by_kind(timings, "s")
    assert summary["kb"]["n"] == 1 and summary["refused"] == 1


def test_a_plain_bots_silence_is_counted_and_timed_only_when_its_end_is_known() -> None:
    timings = [
        TurnTiming("alone", 2, "kb", 30.0),
        TurnTiming("alone", 4, "kb", 20.0, silent=True),  # REST: the empty answer ends the turn
        TurnTiming("alone", 6, "kb", None, silent=True),  # socket.io: nothing came back
    ]

    summary = by_kind(timings, "alone")
    assert summary["kb"]["n"] == 2 and summary["kb"]["p50_ms"] == 25.0
    assert summary["silent"] == 2
    assert growth(timings, "alone", turns=6)["last_over_turn2"] is None
