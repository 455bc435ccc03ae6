/*
 * The console's live queues and ticket lists, drawn from the API's answers (console.js keeps
 * the state and fetches; this module only builds nodes, with console-dom.js).
 *
 * `look` says how to draw: teamName(id) -> the team's name, isNew(id) -> whether the ticket
 * arrived in the last seconds (its <li> gets class is-new), openId (the open ticket's row gets
 * class is-open) and onOpen(id), called when a ticket is clicked.
 */

import { $, clear, element } from "./console-dom.js";
import { dueText } from "./console-ticket.js";

export const TITLE = "Agent console"; // the tab's title; the waiting count goes in front
const LIST_LENGTH = 60;

// Each team's queue: its count and its next tickets; the tab's title counts the waiting ones.
export function renderQueues(queues, look) {
  const box = $("queues");
  clear(box);
  let waiting = 0;
  for (const queue of queues) {
    waiting += queue.waiting;
    const heading = element("h3", {}, [
      element("span", { text: queue.name }),
      element("span", { text: queue.waiting + " waiting", className: "count", testid: "queue-count" }),
    ]);
    const list = element("ul", { className: "queue-tickets" }, queue.next.map((ticket) =>
      element("li", { className: look.isNew(ticket.ticket_id) ? "is-new" : "" }, [
        ticketButton(ticket, "queue-ticket", look),
      ])));
    const empty = element("p", { text: "Nobody waiting.", className: "empty" });
    box.appendChild(element("section", {
      className: "queue", testid: "queue", attrs: { "data-team": queue.team },
    }, [heading, queue.next.length ? list : empty]));
  }
  document.title = waiting ? "(" + waiting + ") " + TITLE : TITLE;
}

// The "My chats" (mode "mine") or team list: at most LIST_LENGTH rows.
export function renderTicketList(rows, mode, look) {
  const list = $("ticket-list");
  clear(list);
  if (!rows.length) {
    const text = mode === "mine" ? "You have no open chats." : "No tickets yet.";
    list.appendChild(element("li", { text, className: "empty" }));
  }
  for (const ticket of rows.slice(0, LIST_LENGTH)) {
    list.appendChild(element("li", {}, [ticketButton(ticket, "ticket-row", look)]));
  }
}

function ticketButton(ticket, testid, look) {
  const line = String(ticket.summary || "").split("\n")[0];
  const label = [line, ticket.priority, look.teamName(ticket.team), ticket.status, "ticket " + ticket.ticket_id];
  const button = element("button", {
    className: "ticket-button" + (ticket.ticket_id === look.openId ? " is-open" : ""),
    testid,
    attrs: { type: "button", "data-ticket-id": ticket.ticket_id, "aria-label": label.join(", ") },
  }, [
    element("span", { text: ticket.priority, className: "badge priority-" + ticket.priority }),
    element("span", { text: ticket.status, className: "badge" }),
    element("span", { text: line, className: "line" }),
    element("span", { text: dueText(ticket), className: "due" }),
  ]);
  button.addEventListener("click", () => look.onOpen(ticket.ticket_id));
  return button;
}
