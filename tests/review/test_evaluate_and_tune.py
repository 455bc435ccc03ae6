"""Replaying the policy over review cases, scoring it against verdicts, tuning it, proposing an
edit of the escalation file - on hand-made cases and on the seed verdict set."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from handoff.detection.frustration_config import DEFAULT_CONFIG_PATH
from handoff.escalation_file import load_decision_config
from review.case import RecordedDecision
from review.evaluate import evaluate, replay_all, story_regressions, summary
from review.proposal import ProposalError, proposed_text, unified_diff
from review.replay import decisions, first_escalation, load_decider, with_config
from review.seed import load_seed, verdict_for
from review.tuning import Parameter, changed_parameters, fit, get_value, set_value
from tests.review.support import answered, case, labelled, miss

DECIDER = load_decider(cached=True)
SEED = load_seed()
TWO_MISSES = case(
    miss(1, "do you sell garden furniture"),
    miss(2, "any patio chairs or outdoor tables", "utter_offer_human"),
    recorded=(RecordedDecision(1, "continue"), RecordedDecision(2, "offer", "unresolved", 1.5)),
)


def test_the_replay_takes_the_live_offer_out_before_asking_what_a_policy_would_do() -> None:
    declined = case(
        miss(1, "do you sell garden furniture"),
        miss(2, "any patio chairs or outdoor tables", "utter_offer_human"),
        dataclasses.replace(
            answered(3, "no thanks"), intent="deny", bot_actions=("utter_keep_helping",)
        ),
    )
    as_it_happened = decisions(declined, DECIDER)
    assert [d.action for d in as_it_happened] == ["continue", "offer", "continue"]
    assert "declined the offer" in as_it_happened[2].note
    first = first_escalation(declined, DECIDER)
    assert first is not None and (first.turn, first.action, first.reason) == (
        2,
        "offer",
        "unresolved",
    )
    stricter = dataclasses.replace(DECIDER.config, offer_at=2.0)
    assert first_escalation(declined, with_config(DECIDER, stricter)) is None


def test_each_result_kind_is_counted_and_precision_recall_f1_follow() -> None:
    calm = case(answered(1, "how long does delivery take"))
    cases = [
        labelled("hit", TWO_MISSES, {"turn": 2, "action": "offer", "reason": "unresolved"}),
        labelled("within one", TWO_MISSES, {"turn": 1, "action": "offer", "reason": "unresolved"}),
        labelled("over", TWO_MISSES, None),
        labelled("under", calm, {"turn": 1, "action": "offer", "reason": "frustration"}),
        labelled("right, no one", calm, None),
    ]
    results = {r.id: r.result for r in replay_all(cases, DECIDER)}
    assert results == {
        "hit": "hit",
        "within one": "hit",
        "over": "over",
        "under": "under",
        "right, no one": "right_no",
    }
    figures = summary(replay_all(cases, DECIDER))
    assert (figures["precision"], figures["recall"]) == (round(2 / 3, 4), round(2 / 3, 4))
    assert (figures["over"], figures["under"], figures["conversations"]) == (1, 1, 5)
    early = labelled(
        "early",
        case(*TWO_MISSES.turns, answered(3, "x"), answered(4, "y")),
        {"turn": 4, "action": "offer"},
    )
    assert replay_all([early], DECIDER)[0].result == "early"
    report = evaluate(cases, DECIDER)
    assert report["reasons"]["unresolved"]["needed"] == 2
    assert report["reasons"]["frustration"]["missed"] == 1
    assert summary([])["f1"] == 0.0


def test_verdicts_follow_from_what_was_needed_and_what_the_live_policy_did() -> None:
    assert verdict_for(TWO_MISSES, None)["verdict"] == "over"
    assert verdict_for(TWO_MISSES, {"turn": 2, "action": "offer"})["verdict"] == "right"
    assert verdict_for(TWO_MISSES, {"turn": 2, "action": "handoff"})["verdict"] == "late"
    assert verdict_for(TWO_MISSES, {"turn": 5, "action": "offer"})["verdict"] == "over"
    calm = case(answered(1, "hi"))
    assert verdict_for(calm, {"turn": 1, "action": "offer"})["verdict"] == "under"
    assert verdict_for(calm, {"turn": 1, "action": "handoff"})["verdict"] == "late"
    assert verdict_for(calm, None)["verdict"] == "right"


def test_the_seed_set_is_large_varied_split_and_holds_the_issues_cases() -> None:
    assert len(SEED) >= 80
    splits = Counter(c.split for c in SEED)
    assert 0.2 <= splits["held_out"] / len(SEED) <= 0.4
    assert len({c.story for c in SEED if c.story}) == 15
    ids = {c.id for c in SEED}
    for wanted in (
        "greeting-alternating-shipping",
        "calm-follow-ups-missed-shipping",
        "sarcastic-thanks-after-miss",
        "account-takeover-plain-words",
        "other-language-spanish",
        "same-question-three-times",
    ):
        assert wanted in ids
    greeting = next(c for c in SEED if c.id == "greeting-alternating-shipping")
    assert len(greeting.case.turns) == 10
    assert greeting.verdict.verdict == "right"  # recorded since the tuned policy shipped
    assert Counter(c.verdict.verdict for c in SEED).keys() == {"right", "over", "under", "late"}
    typed = [t for c in SEED for t in c.case.turns if not t.text.startswith("/")]
    assert sum(t.vector is not None for t in typed) >= 0.98 * len(typed)  # Rasa's own vectors


def test_the_shipped_policy_replayed_over_the_seed_is_what_the_live_stack_did() -> None:
    for labelled_case in SEED:
        live, replayed = (
            labelled_case.case.first_escalation,
            first_escalation(labelled_case.case, DECIDER),
        )
        assert (live and (live.turn, live.action)) == (
            replayed and (replayed.turn, replayed.action)
        ), labelled_case.id
    assert not any(story_regressions(SEED, DECIDER).values())


def test_the_fit_moves_only_what_the_verdicts_ask_for_and_never_breaks_a_story() -> None:
    """From the policy before its first tuning (bot_repeat 0.4), the fit finds the shipped 0.0:
    a repeated greeting stops adding up to an offer."""
    before = with_config(DECIDER, set_value(DECIDER.config, "weights.bot_repeat", 0.4))
    training = [c for c in SEED if c.split == "tuning"]
    parameters = (Parameter("weights.bot_repeat", (0.0, 0.2, 0.4)),)
    fitted = fit(training, before, parameters)
    assert get_value(fitted.config, "weights.bot_repeat") == 0.0
    assert changed_parameters(before.config, fitted.config) == {"weights.bot_repeat": [0.4, 0.0]}
    assert fitted.steps[0]["parameter"] == "weights.bot_repeat"
    tuned = with_config(DECIDER, fitted.config)
    assert not any(story_regressions(SEED, tuned).values())
    greetings = [c for c in SEED if c.id.startswith("greeting-alternating")]
    assert len(greetings) == 3
    assert all(first_escalation(c.case, before) is not None for c in greetings)
    assert all(first_escalation(c.case, tuned) is None for c in greetings)
    assert all(first_escalation(c.case, DECIDER) is None for c in greetings)  # as shipped


def test_set_value_keeps_handoff_at_above_offer_at_and_types() -> None:
    config = DECIDER.config
    assert set_value(config, "limits.unresolved_turns_min", 5).limits.unresolved_turns_min == 5
    assert isinstance(
        set_value(config, "limits.unresolved_turns_min", 5.0).limits.unresolved_turns_min, int
    )
    with pytest.raises(ValueError):
        set_value(config, "offer_at", 9.0)


def test_a_proposal_changes_only_the_fitted_numbers_and_reads_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    proposal = proposed_text(
        text, {"offer_at": 1.0, "weights.bot_repeat": 0.4, "limits.unresolved_turns_min": 5}
    )
    diff = unified_diff(text, proposal, "escalation.yml")
    assert [
        line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")
    ] == [
        "-  offer_at: 1.25",
        "-    bot_repeat: 0.0            # the bot said (nearly) the same thing again. Off: "
        "tuned on the",
        "-    unresolved_turns_min: 4",
    ]
    assert "+    bot_repeat: 0.4            # the bot said (nearly) the same thing" in diff
    path = tmp_path / "escalation.yml"
    path.write_text(proposal, encoding="utf-8")
    read = load_decision_config(path)
    assert (read.offer_at, read.weights.bot_repeat, read.limits.unresolved_turns_min) == (
        1.0,
        0.4,
        5,
    )
    assert read.weights.kb_miss == DECIDER.config.weights.kb_miss
    with pytest.raises(ProposalError, match="decision.weights.mood is not in"):
        proposed_text(text, {"weights.mood": 1.0})
