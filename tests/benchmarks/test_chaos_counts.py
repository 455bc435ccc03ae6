"""The chaos drill's figures: what counts as lost, duplicated, silent and shown an error."""

from __future__ import annotations

import pytest

from benchmarks.chaos_counts import (
    CustomerRecord,
    SentMessage,
    StoredConversation,
    drill_figures,
    tag_for,
)


def stored(
    tracker: list[str], ticket: list[str] | None = None, tickets: list[str] | None = None
) -> StoredConversation:
    return StoredConversation(tracker, ticket or [], tickets or [])


def test_an_acknowledged_message_missing_from_redis_is_lost() -> None:
    customer = CustomerRecord([SentMessage("zqaaaab", acknowledged=True, replied=True)])
    figures = drill_figures([customer], [stored(["where is my order zqaaaac"])])
    assert figures["lost"] == 1 and figures["acknowledged"] == 1 and figures["sent"] == 1


def test_a_message_kept_in_the_ticket_is_not_lost() -> None:
    customer = CustomerRecord([SentMessage("zqaaaab", acknowledged=True)])
    figures = drill_figures([customer], [stored([], ["hello? zqaaaab"], ["t1"])])
    assert figures["lost"] == 0 and figures["silent"] == 0


def test_an_unacknowledged_message_missing_is_not_lost() -> None:
    """A message the gateway never said it kept (the customer saw a notice): not a loss."""
    customer = CustomerRecord([SentMessage("zqaaaab", notice=True)], saw_trouble=True)
    figures = drill_figures([customer], [stored([])])
    assert figures["lost"] == 0 and figures["errors_shown"] == 1 and figures["silent"] == 0


def test_a_message_stored_twice_and_a_second_ticket_are_duplicates() -> None:
    customer = CustomerRecord([SentMessage("zqaaaab", acknowledged=True)], told_ticket=True)
    twice = stored(["hi zqaaaab", "hi zqaaaab"], ["hi zqaaaab"], ["t1", "t2"])
    figures = drill_figures([customer], [twice])
    assert figures["duplicated"] == 2  # the message in the tracker twice, and ticket t2
    assert figures["tickets_told"] == 1 and figures["tickets_missing"] == 0


def test_a_message_in_the_tracker_and_the_ticket_once_each_is_no_duplicate() -> None:
    """A ticket packages the conversation so far: the same message in both stores is normal."""
    customer = CustomerRecord([SentMessage("zqaaaab", acknowledged=True)], told_ticket=True)
    figures = drill_figures([customer], [stored(["hi zqaaaab"], ["hi zqaaaab"], ["t1"])])
    assert figures["duplicated"] == 0


def test_a_ticket_the_customer_was_told_about_must_be_stored() -> None:
    customer = CustomerRecord([SentMessage("zqaaaab", acknowledged=True)], told_ticket=True)
    figures = drill_figures([customer], [stored(["a person please zqaaaab"])])
    assert figures["tickets_missing"] == 1


def test_silence_is_no_reply_no_ack_no_notice_on_a_socket_that_stayed() -> None:
    messages = [
        SentMessage("zqaaaab"),  # silent
        SentMessage("zqaaaac", dropped=True),  # the widget showed "reconnecting"
        SentMessage("zqaaaad", replied=True),
    ]
    customer = CustomerRecord(messages, saw_trouble=True)
    figures = drill_figures([customer], [stored(["zqaaaad"])])
    assert figures["silent"] == 1 and figures["errors_shown"] == 1 and figures["lost"] == 0


def test_a_customer_without_a_session_has_nothing_stored() -> None:
    customer = CustomerRecord([SentMessage("zqaaaab", dropped=True)], saw_trouble=True)
    assert drill_figures([customer], [None])["lost"] == 0


def test_tags_are_letters_of_one_width_so_none_is_part_of_another() -> None:
    tags = [tag_for(number) for number in (0, 1, 25, 26, 675, 500_000)]
    assert tags[0] == "zqaaaaa" and tags[1] == "zqaaaab" and tags[3] == "zqaaaba"
    assert all(tag.isalpha() and tag.islower() and len(tag) == 7 for tag in tags)
    assert len(set(tags)) == len(tags)
    with pytest.raises(ValueError):
        tag_for(26**5)
