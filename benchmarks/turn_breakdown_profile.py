"""Reading py-spy's collapsed stacks (`py-spy record --format raw --threads --idle
--full-filenames`) into categories of a turn's time. Pure: text in, figures out.

A raw line is `thread (TID): NAME;outer (file:line);...;inner (file:line) COUNT`.

How a sample is classified:
1. **idle**: the innermost frame is a wait of an event loop or of a thread with nothing to do
   (selectors' select, a thread-pool worker or timer waiting on its queue or condition).
2. Otherwise the first rule of the process's list with a frame anywhere in the stack decides,
   so the order is the precedence: Redis before the tracker store that calls it, the escalation
   policy before Rasa's policies that run it, TensorFlow counted for whoever called it (DIET in
   the NLU, TED in the policies).
3. A stack no rule knows is "other (<package of its innermost frame>)".

What a sampler cannot see: a coroutine awaiting another process (Rasa awaiting the action
server over aiohttp) is not on any stack, so that wait counts as idle in the caller; a
*blocking* call (requests, redis-py) keeps its frames on the stack and is counted under
whoever made it. Native threads (TensorFlow's and torch's own pools) are not Python threads
and are not sampled: their work shows as the Python frame that waits for it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

IDLE = "event loop / idle"

# innermost frames that mean "waiting for work": (file suffix, function)
# innermost frames that mean "waiting for work": (file suffix, function without its class).
# Sanic runs on uvloop, whose loop is native code: an idle Sanic process's innermost Python frame
# is Sanic's `serve`, which called the loop.
IDLE_FRAMES = (
    ("/selectors.py", "select"),
    ("/threading.py", "wait"),
    ("/queue.py", "get"),
    ("/concurrent/futures/thread.py", "_worker"),
    ("/sanic/server/runners.py", "serve"),
)


@dataclass(frozen=True)
class Rule:
    """A category: a stack belongs to it when a frame's file contains one of `fragments` and,
    if `within` is given, another frame's file contains one of those."""

    category: str
    fragments: tuple[str, ...]
    within: tuple[str, ...] = ()

    def matches(self, files: list[str]) -> bool:
        def has(fragments: tuple[str, ...]) -> bool:
            return any(fragment in file for file in files for fragment in fragments)

        return has(self.fragments) and (not self.within or has(self.within))


TRACKER_STORE = (
    "/rasa_extensions/redacting_tracker_store.py",
    "/rasa/core/tracker_store.py",
    "/rasa/core/lock_store.py",
)

RASA_RULES = (
    Rule("Redis (redis-py, blocking)", ("/site-packages/redis/",)),
    Rule(
        "tracker store: Rasa's event (de)serialisation",
        ("/rasa/shared/core/events.py", "/rasa/shared/utils/common.py"),
        within=TRACKER_STORE,
    ),
    Rule("tracker store: masking and the rest", TRACKER_STORE),
    Rule(
        "NLU vector call (blocking HTTP to the service)",
        ("/rasa_extensions/service_featurizer.py",),
    ),
    Rule(
        "escalation decision (ours)",
        ("/rasa_extensions/escalation_policy.py", "/handoff/detection/", "/handoff/sentiment"),
    ),
    Rule("Rasa policies (TED, rules, memoization)", ("/rasa/core/policies/",)),
    Rule(
        "intent classifier (DIET, ours, fallbacks)",
        (
            "/rasa/nlu/classifiers/",
            "/rasa/nlu/extractors/",
            "/rasa_extensions/vector_intent_classifier.py",
            "/rasa_extensions/vector_model.py",
            "/rasa_extensions/coverage_fallback.py",
        ),
    ),
    Rule("other NLU (tokenizer, sparse featurizers)", ("/rasa/nlu/",)),
    # Rasa checks every action server reply against a JSON schema (RemoteAction); a stack cut
    # short by non-blocking sampling may keep only the jsonschema frames
    Rule(
        "checking the action server's reply (jsonschema)",
        ("/site-packages/jsonschema/", "/site-packages/pyrsistent/"),
    ),
    Rule("action server call (client side, not the wait)", ("/rasa/core/actions/",)),
    Rule("Rasa processor, graph runner (other)", ("/rasa/", "/site-packages/dask/")),
    Rule("HTTP server / client", ("/site-packages/sanic", "/site-packages/aiohttp/")),
)

ACTIONS_RULES = (
    Rule("call to the service (client side, not the wait)", ("/actions/service_client.py",)),
    Rule("our actions", ("/actions/",)),
    Rule("rasa-sdk dispatch", ("/site-packages/rasa_sdk/",)),
    Rule("HTTP server / client", ("/site-packages/sanic", "/site-packages/aiohttp/")),
)

SERVICE_RULES = (
    Rule("Redis", ("/site-packages/redis/",)),
    Rule("embedding for /nlu/embed", ("/service/nlu_views.py",)),
    Rule(
        "embedding for KB search",
        ("/knowledge_base/embeddings.py", "/site-packages/sentence_transformers/"),
    ),
    Rule("KB search (index, answers)", ("/knowledge_base/",)),
    Rule("torch (caller not on the stack)", ("/site-packages/torch/",)),
    Rule("service views and desk", ("/service/", "/infra/")),
    Rule("HTTP server", ("/site-packages/aiohttp/",)),
    Rule("event loop and thread-pool hand-off", ("/asyncio/", "/concurrent/futures/")),
)

RULES = {"rasa": RASA_RULES, "actions": ACTIONS_RULES, "service": SERVICE_RULES}

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*):(?P<line>\d+)\)$")


@dataclass(frozen=True)
class Sample:
    """One distinct stack and how many times it was seen."""

    thread: str
    frames: tuple[str, ...]  # outermost first, as py-spy writes them
    count: int


def parse_raw(text: str) -> list[Sample]:
    samples = []
    for line in text.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        thread = frames[0] if frames[0].startswith("thread (") else ""
        samples.append(Sample(thread, tuple(frames[1:] if thread else frames), int(count)))
    return samples


def frame_parts(frame: str) -> tuple[str, str]:
    """(function, file) of `function (file:line)`; a frame without a file gives (frame, "")."""
    match = FRAME.match(frame)
    return (match["function"], match["file"]) if match else (frame, "")


def is_idle(frames: tuple[str, ...]) -> bool:
    if not frames:
        return True
    function, file = frame_parts(frames[-1])
    function = function.rpartition(".")[2]  # py-spy 0.4 writes Class.method
    return any(file.endswith(suffix) and function == name for suffix, name in IDLE_FRAMES)


def package_of(file: str) -> str:
    """The top-level package of a file path: after site-packages, else the file's folder."""
    if "/site-packages/" in file:
        return file.split("/site-packages/", 1)[1].split("/", 1)[0]
    parts = file.rsplit("/", 2)
    return parts[-2] if len(parts) >= 2 else file


def classify(frames: tuple[str, ...], rules: tuple[Rule, ...]) -> str:
    if is_idle(frames):
        return IDLE
    files = [frame_parts(frame)[1] for frame in frames]
    for rule in rules:
        if rule.matches(files):
            return rule.category
    return f"other ({package_of(files[-1])})"


def main_thread_samples(samples: list[Sample]) -> int:
    """Samples of the main thread: py-spy's ticks, whatever the thread was doing (with --idle)."""
    return sum(sample.count for sample in samples if sample.thread.endswith(": MainThread"))


def categorize(samples: list[Sample], rules: tuple[Rule, ...]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for sample in samples:
        counts[classify(sample.frames, rules)] += sample.count
    return counts


def breakdown(counts: Counter[str], interval_ms: float, turns: int) -> dict[str, object]:
    """Per category: samples, share of the busy (non-idle) samples and ms per turn, largest
    first; the idle samples and the busy total on their own lines."""
    busy = sum(count for category, count in counts.items() if category != IDLE)
    categories = {
        category: {
            "samples": count,
            "busy_share": round(count / busy, 3) if busy else 0.0,
            "ms_per_turn": round(count * interval_ms / turns, 1) if turns else 0.0,
        }
        for category, count in counts.most_common()
        if category != IDLE
    }
    return {
        "busy_samples": busy,
        "busy_ms_per_turn": round(busy * interval_ms / turns, 1) if turns else 0.0,
        "idle_samples": counts.get(IDLE, 0),
        "categories": categories,
    }
