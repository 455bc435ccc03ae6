"""Assignment: skills, presence and capacity decide who gets a chat; after hours is honest."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

from handoff.routing.assignment import (
    Agent,
    Presence,
    absent_too_long,
    choose_agent,
    plan_handoff,
    promise_time,
)
from handoff.routing.config import load_routing_config
from handoff.vocabulary import AGENT_PRESENCES

ET = ZoneInfo("America/New_York")
CONFIG = load_routing_config()
TUESDAY_10AM = datetime(2026, 3, 10, 10, 0, tzinfo=ET)
BILLING = frozenset({"billing"})


def agent(name: str, chats: int = 0, capacity: int = 3, **extra: object) -> Agent:
    fields: dict = {"teams": BILLING, "presence": "online", **extra}
    return Agent(name, max_concurrent=capacity, active_chats=chats, **fields)


def test_the_least_loaded_online_agent_with_the_skill_gets_the_chat() -> None:
    agents = [agent("ana", chats=2), agent("ben", chats=1), agent("cy", chats=2)]
    assert choose_agent(agents, "billing") == agents[1]


def test_away_offline_full_and_unskilled_agents_are_skipped() -> None:
    agents = [
        agent("away", presence="away"),
        agent("offline", presence="offline"),
        agent("full", chats=3, capacity=3),
        agent("tech", teams=frozenset({"technical"})),
        agent("busy", chats=2),
    ]
    assert choose_agent(agents, "billing") == agents[-1]
    assert choose_agent(agents[:-1], "billing") is None


def test_load_is_the_share_of_capacity_in_use() -> None:
    small, large = agent("small", chats=1, capacity=2), agent("large", chats=2, capacity=6)
    assert choose_agent([small, large], "billing") == large  # 1/3 busy beats 1/2 busy


def test_ties_go_to_the_agent_idle_longest_then_a_stable_order() -> None:
    earlier = agent("zed", chats=1, last_assigned_at=TUESDAY_10AM - timedelta(minutes=30))
    recent = agent("amy", chats=1, last_assigned_at=TUESDAY_10AM - timedelta(minutes=2))
    never = agent("bob", chats=1)
    assert choose_agent([recent, earlier], "billing") == earlier
    assert choose_agent([recent, earlier, never], "billing") == never
    twins = [agent("b", chats=1), agent("a", chats=1)]
    assert choose_agent(twins, "billing") == twins[1]
    assert choose_agent(list(reversed(twins)), "billing") == twins[1]


def test_an_open_team_with_a_free_agent_assigns_now() -> None:
    plan = plan_handoff("billing", "normal", [agent("ana", chats=1)], CONFIG, TUESDAY_10AM)
    assert plan.outcome == "assign"
    assert plan.agent is not None and plan.agent.id == "ana"
    assert plan.follow_up_by is None


def test_when_everyone_with_the_skill_is_busy_the_ticket_waits_in_the_queue() -> None:
    agents = [agent("ana", chats=3), agent("ben", chats=3), agent("away", presence="away")]
    plan = plan_handoff("billing", "normal", agents, CONFIG, TUESDAY_10AM)
    assert plan.outcome == "queue"
    assert plan.agent is None
    assert plan.skilled_online == 2
    assert "in the queue" in plan.message


def test_after_hours_the_customer_is_told_and_promised_a_reply_time() -> None:
    tuesday_night = datetime(2026, 3, 10, 22, 0, tzinfo=ET)
    plan = plan_handoff("billing", "normal", [agent("ana")], CONFIG, tuesday_night)
    assert plan.outcome == "offline"
    assert not plan.team_open
    assert plan.follow_up_by == datetime(2026, 3, 11, 8, 30, tzinfo=ET)  # opens 8:00 + 30 min
    assert plan.message == (
        "Billing and payments is not available right now (hours: Mon-Fri 08:00-20:00, "
        "Sat-Sun 09:00-17:00 ET). Your request is saved with the whole conversation, so you "
        "will not have to repeat anything; someone will reply by 8:30 AM ET tomorrow."
    )


def test_open_hours_with_nobody_online_is_offline_too() -> None:
    agents = [agent("ana", presence="away"), agent("tech", teams=frozenset({"technical"}))]
    plan = plan_handoff("billing", "high", agents, CONFIG, TUESDAY_10AM)
    assert plan.outcome == "offline"
    assert plan.team_open
    assert plan.message.startswith("Nobody from Billing and payments is online right now.")
    assert plan.follow_up_by == TUESDAY_10AM + timedelta(minutes=15)
    assert plan.message.endswith("by 10:15 AM ET today.")


def test_the_promise_names_the_day_when_it_is_not_today_or_tomorrow() -> None:
    schedule = CONFIG.teams["billing"].schedule
    friday_night = datetime(2026, 3, 13, 21, 0, tzinfo=ET)
    plan = plan_handoff("billing", "low", [], CONFIG, friday_night)
    assert plan.follow_up_by == datetime(2026, 3, 14, 11, 0, tzinfo=ET)  # Sat 9:00 + 2 h
    assert promise_time(plan.follow_up_by, schedule, friday_night) == "11:00 AM ET tomorrow"
    monday = datetime(2026, 3, 16, 8, 0, tzinfo=ET)
    assert promise_time(monday, schedule, friday_night) == "8:00 AM ET on Monday, March 16"
    assert promise_time(datetime(2026, 3, 13, 12, 5, tzinfo=ET), schedule, friday_night) == (
        "12:05 PM ET today"
    )


def test_an_agents_presence_is_one_of_the_vocabularys() -> None:
    assert get_args(Presence) == AGENT_PRESENCES


def test_an_absent_agent_keeps_a_chat_for_the_grace_period_and_not_longer() -> None:
    grace = timedelta(minutes=2)
    left = TUESDAY_10AM
    assigned = left - timedelta(hours=1)

    def absent(presence: Presence, after: timedelta, since: datetime | None = left) -> bool:
        return absent_too_long(presence, since, assigned, left + after, grace)

    assert not absent("away", timedelta(minutes=2))  # exactly the grace period: not yet
    assert absent("away", timedelta(minutes=2, seconds=1))
    assert absent("offline", timedelta(minutes=2, seconds=1))
    assert not absent("online", timedelta(hours=5))
    assert not absent_too_long("away", left, assigned, left + timedelta(hours=5), timedelta(0))


def test_the_absence_counts_from_the_later_of_leaving_and_taking_the_chat() -> None:
    grace = timedelta(minutes=2)
    left = TUESDAY_10AM
    taken = left + timedelta(minutes=10)  # claimed while marked away
    assert not absent_too_long("away", left, taken, taken + timedelta(minutes=1), grace)
    assert absent_too_long("away", left, taken, taken + timedelta(minutes=3), grace)
    # never said where they are (no absence recorded): the chat's own age counts
    assert absent_too_long("offline", None, taken, taken + timedelta(minutes=3), grace)
    assert not absent_too_long("offline", None, None, taken, grace)
