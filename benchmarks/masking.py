"""Masking cost: per message on adversarial and ordinary text, and per tracker save and read.

    python -m benchmarks.masking [--repeat 30] [--turns 40] [--json benchmarks/results/masking.json]

Run it with the bot env's Python (`make bench-masking`): masking runs inside Rasa, on its event
loop, in the redacting tracker store (rasa_extensions/redacting_tracker_store.py).

- adversarial: messages of up to 1,000 characters (the widget's limit) built to make a masking
  search slow - long runs of digit groups with every kind of separator, near-IBANs, IBAN-like
  heads, security-code and password labels followed by long runs of spaces, unclosed quotes.
  Each is masked `--repeat` times; every call is one sample. Bar: p99 <= 1 ms.
- ordinary: the customer questions of data/kb_questions.yml and typical messages with a card
  number, an IBAN or a password, same repeats.
- tracker: one conversation of `--turns` customer turns (four of them 999-character
  "1 1 1 ..." messages, as in issue 11), saved after every turn as Rasa does. Per turn: the
  store's masked copy for `save`, its masked read (`deserialise_tracker`, run by every
  `retrieve` and inside every `save`), next to Rasa's own read without masking; and the save of
  the whole conversation with an empty memo (the first turn after a restart).
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from benchmarks.bench_stack import write_result
from benchmarks.stats import percentile
from stack.config import ROOT

LIMIT = 1000  # characters in one widget message


def adversarial_messages() -> dict[str, str]:
    draw = random.Random(11)
    separators = [" ", "-", ".", " - ", "  ", "\u00a0", "\u202f", "\u200b", ". ", "\t"]
    random_groups = " ".join(
        "".join(draw.choices("0123456789", k=draw.randint(1, 4))) for _ in range(400)
    )
    mixed = "".join(
        "".join(draw.choices("0123456789", k=draw.randint(1, 3))) + draw.choice(separators)
        for _ in range(400)
    )
    alnum = "".join(
        draw.choice("ABDEGS")
        + draw.choice("BEGRK")
        + f"{draw.randint(10, 99)}"
        + "".join(draw.choices("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=draw.randint(0, 3)))
        + " "
        for _ in range(250)
    )
    cases = {
        "digits, single spaces ('1 1 1 ...')": "1 " * 500,
        "digits, dashes": "1-" * 500,
        "digits, dots": "1." * 500,
        "digits, double spaces": "1  " * 400,
        "digits, spaced dashes": "1 - " * 250,
        "digits, non-breaking spaces": "1\u00a0" * 500,
        "digits, zero-width spaces": "1\u200b" * 500,
        "digit pairs": "12 " * 400,
        "random digit groups, spaces": random_groups,
        "random digit groups, mixed separators": mixed,
        "one 1,000-digit number": "1" * 1000,
        "digits glued to letters": "1a" * 500,
        "card numbers back to back": "4111 1111 1111 1111 " * 60,
        "glued card numbers": "card4111111111111111 " * 50,
        "near-IBANs (one digit short)": "DE89 3704 0044 0532 0130 0 " * 40,
        "valid IBANs back to back": "DE89 3704 0044 0532 0130 00 " * 40,
        "IBAN heads ('ab12 ab12 ...')": "ab12 " * 200,
        "IBAN head then letters": "ab12 " + "a " * 500,
        "IBAN heads and digits": "ab12 1 " * 150,
        "IBAN-like groups": alnum,
        "'cvv' then spaces": "cvv" + " " * 997,
        "'password' then spaces": "password" + " " * 992,
        "'my' then spaces": "my" + " " * 998,
        "'my password' then spaces": "my password" + " " * 989,
        "labels back to back": "password: " * 100,
        "'pin' back to back": "pin " * 250,
        "security codes back to back": "cvv 123 " * 125,
        "passphrases back to back": "passphrase: a b c " * 60,
        "unclosed quote": 'password: "' + "a" * 989,
        "'my password x' back to back": "my password x " * 72,
    }
    return {name: text[:LIMIT] for name, text in cases.items()}


def ordinary_messages() -> list[str]:
    data = yaml.safe_load((ROOT / "data" / "kb_questions.yml").read_text())
    questions = [row["text"] for row in data["questions"]]
    return questions + [
        "my card is 4111 1111 1111 1111, cvv 123, why was I charged twice?",
        "card 4111.1111.1111.1111 exp 12/26",
        "please refund to IBAN DE89 3704 0044 0532 0130 00",
        "my password is hunter2 and it still says wrong password",
        "order HL-482913 for $1,299.99 arrived on 14.03.2026, call me on +44 20 7946 0958",
    ]


def summary(seconds: list[float]) -> dict[str, float]:
    milliseconds = [value * 1000 for value in seconds]
    return {
        "n": len(milliseconds),
        "p50_ms": round(statistics.median(milliseconds), 4),
        "p95_ms": round(percentile(milliseconds, 0.95), 4),
        "p99_ms": round(percentile(milliseconds, 0.99), 4),
        "max_ms": round(max(milliseconds), 4),
        "mean_ms": round(statistics.fmean(milliseconds), 4),
    }


def timed(function: Callable[[], Any]) -> tuple[float, float]:
    """The call's CPU time (this thread's: what it keeps the event loop busy for) and its
    wall-clock time (which adds whatever else the shared cores ran meanwhile)."""
    cpu, wall = time.thread_time(), time.perf_counter()
    function()
    return time.thread_time() - cpu, time.perf_counter() - wall


def figures(samples: list[tuple[float, float]]) -> dict[str, Any]:
    """Percentiles of the CPU time, with the wall-clock ones next to them."""
    return summary([cpu for cpu, _ in samples]) | {
        "wall_clock": summary([wall for _, wall in samples])
    }


def measure_messages(
    messages: list[str], repeat: int, mask: Callable[[str], str]
) -> tuple[list[tuple[float, float]], list[float]]:
    """Every call as one sample, interleaved (message after message, round after round) so
    machine noise spreads over all; and each message's median CPU time."""
    samples: list[list[tuple[float, float]]] = [[] for _ in messages]
    for _ in range(repeat):
        for index, message in enumerate(messages):
            samples[index].append(timed(partial(mask, message)))
    every = [sample for per_message in samples for sample in per_message]
    return every, [statistics.median(cpu for cpu, _ in per_message) for per_message in samples]


def measure_tracker(turns: int, messages: list[str]) -> dict[str, Any]:
    """A conversation saved after every turn, as Rasa does; see the module docstring."""
    from rasa.core.tracker_store import RedisTrackerStore, SerializedTrackerAsText
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_extensions.redacting_tracker_store import RedactingRedisTrackerStore

    domain = Domain.load(str(ROOT / "bot" / "domain"))
    # No Redis needed: building a store opens no connection, and only the masking and the
    # tracker (de)serialisation are timed here.
    store = RedactingRedisTrackerStore(domain, host="127.0.0.1", port=1, db=0)
    plain = RedisTrackerStore(domain, host="127.0.0.1", port=1, db=0)
    attack = {turns // 5, 2 * turns // 5, 3 * turns // 5, 4 * turns // 5}
    tracker = DialogueStateTracker.from_events(
        "bench", [ActionExecuted("action_session_start"), SessionStarted()], domain.slots
    )
    save, read, rasa_read = [], [], []
    for turn in range(turns):
        text = ("1 " * 500)[:999] if turn in attack else messages[turn % len(messages)]
        tracker.update_with_events(
            [
                *customer_turn(text, turn),
                ActionExecuted("action_answer_from_kb", policy="RulePolicy", confidence=1.0),
                BotUttered(
                    "Here is what I found: Where is my order?",
                    data={"buttons": [{"title": "Track", "payload": "/track"}]},
                ),
            ],
            domain,
        )
        save.append(timed(lambda: store.redacted(tracker)))
        stored = SerializedTrackerAsText.serialise_tracker(store.redacted(tracker))
        read.append(timed(partial(store.deserialise_tracker, "bench", stored)))
        rasa_read.append(timed(partial(plain.deserialise_tracker, "bench", stored)))
    restarted = RedactingRedisTrackerStore(domain, host="127.0.0.1", port=1, db=0)
    after_restart, _ = timed(lambda: restarted.redacted(tracker))
    return {
        "turns": turns,
        "events": len(tracker.events),
        "save_masked_copy": per_turn(save),
        "read_masked": per_turn(read),
        "read_by_rasa_without_masking": per_turn(rasa_read),
        "save_after_restart_ms": round(after_restart * 1000, 3),
    }


def per_turn(samples: list[tuple[float, float]]) -> dict[str, Any]:
    return summary([cpu for cpu, _ in samples]) | {"last_turn_ms": round(samples[-1][0] * 1000, 3)}


def customer_turn(text: str, turn: int) -> list[Any]:
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

    ranking = [
        {"name": name, "confidence": round(0.9 / (rank + 1), 3)}
        for rank, name in enumerate(
            ["ask_question", "order_status", "report_problem", "refund_request", "greet"]
        )
    ]
    parse_data = {
        "text": text,
        "intent": ranking[0],
        "entities": [],
        "intent_ranking": ranking,
        "message_id": f"{turn:032x}",
        "metadata": {},
    }
    return [
        ActionExecuted("action_listen"),
        UserUttered(text, ranking[0], [], parse_data, message_id=f"{turn:032x}"),
        SlotSet("kb_history", [{"query": text, "article_id": "track-your-order", "score": 0.7}]),
    ]


def python_used() -> str:
    """The interpreter, relative to the checkout when it is one of the project's envs."""
    executable = Path(sys.executable)
    return str(executable.relative_to(ROOT)) if executable.is_relative_to(ROOT) else "python"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument(
        "--json", type=Path, default=ROOT / "benchmarks" / "results" / "masking.json"
    )
    args = parser.parse_args()
    from handoff.privacy.redact import redact_text

    adversarial = adversarial_messages()
    ordinary = ordinary_messages()
    every, per_case = measure_messages(list(adversarial.values()), args.repeat, redact_text)
    slowest = sorted(zip(per_case, adversarial, strict=True), reverse=True)[:5]
    ordinary_every, _ = measure_messages(ordinary, args.repeat, redact_text)
    result = {
        "command": " ".join([python_used(), "-m", "benchmarks.masking", *sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "figures": {
            "adversarial": figures(every)
            | {
                "messages": len(adversarial),
                "slowest_p50_ms": {name: round(median * 1000, 4) for median, name in slowest},
            },
            "ordinary": figures(ordinary_every) | {"messages": len(ordinary)},
            "tracker": measure_tracker(args.turns, ordinary),
        },
        "bar": {"adversarial_p99_ms": 1.0},
        "clock": "figures are CPU time of the masking thread (time.thread_time); wall_clock "
        "adds what the shared cores ran meanwhile",
    }
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
