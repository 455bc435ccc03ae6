"""The outcomes' Redis keys, named once for both environments: Rasa's tracker store (bot env,
Python 3.10) marks conversations active; the service's outcome watchdog reads and writes the
rest. Standard library only.

    outcomes:active                          zset    conversation id -> Unix time of its latest
                                                     tracker save (Rasa marks it on every save)
    outcomes:stream                          stream  outcome records and late surveys (capped)
    outcomes:written:{conversation}:{session} string  "1": this session's record is written
    outcomes:survey:{conversation}:{session}  string  the session's survey (JSON), once

Rasa keeps the conversations themselves under `tracker:{conversation}` (its default key
prefix), which the watchdog reads.
"""

from __future__ import annotations

from collections.abc import Mapping

PREFIX = "outcomes:"
ACTIVE = PREFIX + "active"
STREAM = PREFIX + "stream"
TRACKER_PREFIX = "tracker:"
"""Rasa's Redis tracker store's default key prefix (rasa.core.tracker_store)."""
RECORDING_SETTING = "OUTCOME_RECORDING"
"""Set to 0 in Rasa's environment to stop marking conversations active (benchmarks only: no
outcome is recorded then)."""


def written(conversation_id: str, session: str) -> str:
    return f"{PREFIX}written:{conversation_id}:{session}"


def survey(conversation_id: str, session: str) -> str:
    return f"{PREFIX}survey:{conversation_id}:{session}"


def tracker(conversation_id: str) -> str:
    return TRACKER_PREFIX + conversation_id


def recording_enabled(env: Mapping[str, str]) -> bool:
    """Whether Rasa's tracker store marks conversations active (on unless set to 0/false/no/off)."""
    return env.get(RECORDING_SETTING, "1").strip().lower() not in ("0", "false", "no", "off")
