"""The help-desk sync's Redis keys, all under `helpdesk:`:

    helpdesk:events            stream  help-desk events of teams with targets (durable, trimmed
                                       only below what every target's consumer group still needs)
    helpdesk:teams             set     teams with at least one target (the service publishes it
                                       from routing.yml at start-up; a write enqueues only for them)
    helpdesk:dead:{target}     stream  events a target refused or missed after the last attempt
    helpdesk:remote:{target}   hash    our ticket id -> the help desk's ticket or conversation id

Each target reads `helpdesk:events` through a consumer group of its own, `target:{name}`.
"""

from __future__ import annotations

PREFIX = "helpdesk:"
EVENTS = PREFIX + "events"
TEAMS = PREFIX + "teams"
GROUP_PREFIX = "target:"


def group(target: str) -> str:
    return GROUP_PREFIX + target


def dead_letters(target: str) -> str:
    return f"{PREFIX}dead:{target}"


def remote_ids(target: str) -> str:
    return f"{PREFIX}remote:{target}"
