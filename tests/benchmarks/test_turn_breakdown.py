"""The pure parts of the per-turn breakdown: reading py-spy's raw stacks, putting each in a
category, adding them up, and the load's conversation script (no stack, no timing)."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.turn_breakdown_load import (
    RULE_MESSAGES,
    VARIANTS,
    LoadResult,
    conversation_script,
    distinct_text,
)
from benchmarks.turn_breakdown_profile import (
    IDLE,
    RASA_RULES,
    SERVICE_RULES,
    breakdown,
    categorize,
    classify,
    is_idle,
    main_thread_samples,
    package_of,
    parse_raw,
)

SP = "/work/.venv/bot/lib/python3.10/site-packages"
LOOP = f"run (/usr/lib/python3.11/asyncio/base_events.py:1);_run_once ({SP}/x.py:2)"


def frame(function: str, file: str) -> str:
    return f"{function} ({file}:1)"


def test_parse_raw_reads_thread_frames_and_count():
    text = (
        "thread (0x7F): MainThread;<module> (/work/main/service/__main__.py:17);"
        "EpollSelector.select (/usr/lib/python3.11/selectors.py:468) 2080\n"
        "\n"
        "<module> (a.py:1);f (b.py:2) 3\n"
    )
    first, second = parse_raw(text)
    assert first.thread == "thread (0x7F): MainThread"
    assert first.frames[-1].startswith("EpollSelector.select")
    assert first.count == 2080
    assert second.thread == "" and second.frames == ("<module> (a.py:1)", "f (b.py:2)")
    assert main_thread_samples([first, second]) == 2080


def test_waits_for_work_are_idle():
    assert is_idle((frame("EpollSelector.select", "/usr/lib/python3.11/selectors.py"),))
    assert is_idle((frame("Condition.wait", "/usr/lib/python3.11/threading.py"),))
    assert is_idle((frame("_worker", "/usr/lib/python3.11/concurrent/futures/thread.py"),))
    assert is_idle((frame("serve", f"{SP}/sanic/server/runners.py"),))  # uvloop underneath
    assert not is_idle((frame("serve", f"{SP}/sanic/server/runners.py"), frame("f", "/x/y.py")))
    assert classify((), RASA_RULES) == IDLE


def test_redis_under_the_tracker_store_counts_as_redis():
    stack = (
        frame("save", "/work/main/rasa_extensions/redacting_tracker_store.py"),
        frame("execute_command", f"{SP}/redis/client.py"),
        frame("recv_into", "/usr/lib/python3.10/socket.py"),
    )
    assert classify(stack, RASA_RULES).startswith("Redis")
    assert classify(stack[:1], RASA_RULES) == "tracker store: masking and the rest"


def test_event_deserialisation_counts_for_the_tracker_store_only_when_it_called():
    events = frame("deserialise_events", f"{SP}/rasa/shared/core/events.py")
    retrieve = frame("retrieve", f"{SP}/rasa/core/tracker_store.py")
    processor = frame("_run_action", f"{SP}/rasa/core/processor.py")
    assert classify((retrieve, events), RASA_RULES).startswith("tracker store: Rasa's event")
    assert classify((processor, events), RASA_RULES) == "Rasa processor, graph runner (other)"


def test_tensorflow_counts_for_whoever_called_it():
    tf = frame("quick_execute", f"{SP}/tensorflow/python/eager/execute.py")
    ted = frame("predict_action_probabilities", f"{SP}/rasa/core/policies/ted_policy.py")
    diet = frame("process", f"{SP}/rasa/nlu/classifiers/diet_classifier.py")
    assert classify((ted, tf), RASA_RULES).startswith("Rasa policies")
    assert classify((diet, tf), RASA_RULES).startswith("intent classifier")


def test_the_escalation_policy_wins_over_rasas_policies():
    stack = (
        frame("predict", f"{SP}/rasa/core/policies/policy.py"),
        frame("_decide", "/work/main/rasa_extensions/escalation_policy.py"),
        frame("detect", "/work/main/handoff/detection/frustration.py"),
    )
    assert classify(stack, RASA_RULES) == "escalation decision (ours)"


def test_the_blocking_vector_call_counts_for_the_featurizer():
    stack = (
        frame("process", "/work/main/rasa_extensions/service_featurizer.py"),
        frame("getresponse", f"{SP}/urllib3/connection.py"),
        frame("readinto", "/usr/lib/python3.10/socket.py"),
    )
    assert classify(stack, RASA_RULES).startswith("NLU vector call")


def test_service_embedding_is_split_by_who_asked():
    torch = frame("forward", f"{SP}/torch/nn/modules/linear.py")
    embed = frame("embed", "/work/main/knowledge_base/embeddings.py")
    nlu = frame("one_at_a_time", "/work/main/service/nlu_views.py")
    search = frame("search_in_context", "/work/main/knowledge_base/follow_up.py")
    assert classify((nlu, embed, torch), SERVICE_RULES) == "embedding for /nlu/embed"
    assert classify((search, embed, torch), SERVICE_RULES) == "embedding for KB search"
    assert classify((search,), SERVICE_RULES) == "KB search (index, answers)"


def test_an_unknown_stack_names_its_innermost_package():
    stack = (frame("f", "/work/main/x.py"), frame("g", f"{SP}/numpy/core/fromnumeric.py"))
    assert classify(stack, SERVICE_RULES) == "other (numpy)"
    assert package_of("/work/main/knowledge_base/index.py") == "knowledge_base"


def test_categorize_adds_counts_and_breakdown_gives_shares_and_ms_per_turn():
    featurizer = frame("process", "/w/rasa_extensions/service_featurizer.py")
    text = (
        f"thread (1): MainThread;{frame('select', '/usr/lib/selectors.py')} 50\n"
        f"thread (1): MainThread;{featurizer} 30\n"
        f"thread (1): MainThread;{frame('x', f'{SP}/redis/client.py')} 10\n"
    )
    counts = categorize(parse_raw(text), RASA_RULES)
    assert counts[IDLE] == 50
    figures = breakdown(counts, interval_ms=10.0, turns=4)
    assert figures["busy_samples"] == 40
    assert figures["busy_ms_per_turn"] == 100.0  # 40 samples x 10 ms / 4 turns
    assert figures["idle_samples"] == 50
    categories = figures["categories"]
    assert list(categories)[0].startswith("NLU vector call")  # largest first
    first = categories["NLU vector call (blocking HTTP to the service)"]
    assert first == {"samples": 30, "busy_share": 0.75, "ms_per_turn": 75.0}
    assert IDLE not in categories


def test_breakdown_of_nothing_is_zero():
    figures = breakdown(Counter(), interval_ms=10.0, turns=0)
    assert figures["busy_ms_per_turn"] == 0.0 and figures["categories"] == {}


def test_conversation_script_alternates_questions_and_rule_messages():
    script = conversation_script(["q0", "q1", "q2"], start=1, turns=5)
    assert [kind for kind, _ in script] == ["kb", "rule", "kb", "rule", "kb"]
    assert [text for kind, text in script if kind == "kb"] == ["q1", "q2", "Q0"]
    assert [text for kind, text in script if kind == "rule"] == RULE_MESSAGES[1:3]


def test_no_text_comes_twice_in_a_run():
    questions = ["where is my order", "Can I pay by card?", "refund please"]
    texts = [distinct_text(questions, number) for number in range(VARIANTS * len(questions))]
    assert len(set(texts)) == len(texts)
    assert distinct_text(questions, 4) == "can I pay by card?"  # a capital is swapped too
    with pytest.raises(ValueError, match="would repeat"):
        distinct_text(questions, VARIANTS * len(questions))


def test_load_result_means_by_kind():
    result = LoadResult(turns=[("kb", 30.0), ("rule", 10.0), ("kb", 50.0)], seconds=2.0)
    summary = result.summary()
    assert summary["turns"] == 3 and summary["kb_turns"] == 2
    assert summary["kb_mean_ms"] == 40.0 and summary["rule_mean_ms"] == 10.0
    assert summary["turns_per_second"] == 1.5
