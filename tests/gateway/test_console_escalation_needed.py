"""The console's resolve form says "a person was not needed" with a labelled checkbox (Debian's
chromium, the real gateway and service over one real Redis): ticked, the ticket keeps it; the
box is cleared for the next chat."""

from __future__ import annotations

from playwright.async_api import expect

from handoff.store.tickets import RedisTicketStore
from tests.gateway.test_console_browser import console_url, open_ticket, service, signed_in
from tests.support.handoff import agent_headers

__all__ = ["console_url", "service"]  # fixtures, used by name


async def test_an_agent_resolves_saying_no_person_was_needed(  # type: ignore[no-untyped-def]
    browser, console_url, service, redis_url, redis_client
) -> None:
    token = (await agent_headers(redis_url, "priya"))["Authorization"].removeprefix("Bearer ")
    ticket_id = await open_ticket(service)
    page = await signed_in(browser, console_url, token)
    await page.locator(f'[data-testid="queue-ticket"][data-ticket-id="{ticket_id}"]').click()
    await page.get_by_test_id("claim").click()
    await expect(page.get_by_test_id("ticket-status")).to_have_text("assigned")

    box = page.get_by_label("A person was not needed for this chat")
    await expect(box).not_to_be_checked()
    await box.check()  # found by its label: screen readers announce the same words
    await page.get_by_test_id("resolve-code").select_option("troubleshooting_fixed")
    await page.get_by_test_id("resolve-submit").click()
    await expect(page.get_by_test_id("ticket-status")).to_have_text("resolved")
    await expect(page.get_by_test_id("resolve-not-needed")).not_to_be_checked()

    record = await RedisTicketStore(redis_client).get(ticket_id)
    assert record is not None and record.status == "resolved"
    assert record.escalation_needed is False
