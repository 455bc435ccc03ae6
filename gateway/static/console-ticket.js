/*
 * The open ticket in the agent console: its facts, SLA, summary, why it escalated (the
 * summary's reason and the signals that carried it as a list; the whole decision record folded
 * away), the actions on orders (console-orders.js), the extracted context, the articles
 * tried, the transcript, the notes and history, and which actions apply. Text only
 * (textContent): what customers and agents typed is never parsed as HTML.
 */

import { $, articleVersionText, clear, element, number, relative, when, words } from "./console-dom.js";
import { renderOrderActions } from "./console-orders.js";
import { OPEN_TICKET_STATUSES } from "/widget/vocabulary.js";

const SPEAKERS = { customer: "Customer", bot: "Assistant", agent: "Agent" };

/* full: GET /agent/tickets/{id}; me: GET /agent/me; teamName(id) -> display name */
export function renderTicket(full, me, teamName) {
  const ticket = full.ticket;
  const routing = ticket.routing || {};
  $("ticket-empty").hidden = true;
  $("ticket-body").hidden = false;
  $("ticket-id").textContent = full.ticket_id;
  $("ticket-status").textContent = ticket.status;
  $("ticket-priority").textContent = routing.priority || "";
  $("ticket-priority").className = "badge priority-" + (routing.priority || "none");
  $("ticket-team").textContent = teamName(routing.team);
  $("ticket-owner").textContent = ownerText(full);
  renderFollowUpEmail(full.follow_up_email);
  $("sla-first-response").textContent = full.first_response_at
    ? "answered " + when(full.first_response_at)
    : dueLine(routing.first_response_due);
  $("sla-resolution").textContent = dueLine(routing.resolution_due);
  const summary = summaryParts(ticket.summary);
  $("ticket-summary").textContent = summary.about.join("\n");
  renderWhy(summary, ticket.escalation_decision, routing);
  renderOrderActions(ticket);
  renderContext(ticket.context);
  renderArticles(ticket.articles_shown);
  renderTranscript(ticket.transcript, full.ticket_id, full.email_deliveries || {});
  renderNotes(full.notes);
  renderHistory(ticket.status_history);
  renderActions(full, me);
}

export function hideTicket() {
  $("ticket-body").hidden = true;
  $("ticket-empty").hidden = false;
}

/* The line under a ticket in a queue or list: its next SLA. */
export function dueText(ticket) {
  if (!OPEN_TICKET_STATUSES.includes(ticket.status)) return "";
  const due = ticket.first_response_due || ticket.resolution_due;
  if (!due) return "";
  return (ticket.first_response_due ? "first reply " : "resolution ") + relative(due);
}

/* A full ticket (GET tickets/{id}) in the shape of the API's ticket summaries. */
export function summaryOf(full) {
  const routing = full.ticket.routing || {};
  return {
    ticket_id: full.ticket_id,
    status: full.ticket.status,
    team: routing.team,
    priority: routing.priority,
    summary: full.ticket.summary,
    agent_id: full.agent_id,
    first_response_due: full.first_response_at ? null : routing.first_response_due,
    resolution_due: routing.resolution_due,
  };
}

function ownerText(full) {
  if (full.agent_id) return "with " + full.agent_id;
  if (!full.offline) return "nobody has it yet";
  const promise = full.follow_up_by ? "; promised a reply by " + when(full.follow_up_by) : "";
  return "nobody was online when it came in" + promise;
}

function dueLine(iso) {
  return iso ? when(iso) + " (" + relative(iso) + ")" : "none";
}

/*
 * The summary's text (handoff/ticket/summary.py): "Wants:" and "Tried:" lines, then a "Why:" line
 * followed by one "- " line per signal that carried the decision. Tickets stored before the
 * list have a single "Why:" line. Customer words inside a line never hold a line break.
 */
export function summaryParts(text) {
  const lines = String(text || "").split("\n");
  const at = lines.findIndex((line) => line.startsWith("Why:"));
  if (at < 0) return { about: lines, why: "", reasons: [] };
  const reasons = lines.slice(at + 1).filter((line) => line.startsWith("- ")).map((line) => line.slice(2));
  return { about: lines.slice(0, at), why: lines[at].slice("Why:".length).trim(), reasons };
}

function sentence(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "";
}

function renderWhy(summary, decision, routing) {
  $("escalation-reason").textContent = sentence(summary.why) || "No decision record.";
  const reasons = $("escalation-reasons");
  clear(reasons);
  for (const reason of summary.reasons) reasons.appendChild(element("li", { testid: "escalation-reason-item", text: reason }));
  reasons.hidden = !summary.reasons.length;
  $("escalation-type").textContent = routing.escalation_type ? sentence(routing.escalation_type) + " escalation" : "";
  $("decision-explanation").textContent = (decision && decision.explanation) || "No decision record.";
  const rules = $("routing-reasons");
  clear(rules);
  for (const rule of routing.reasons || []) rules.appendChild(element("li", { text: "Routing: " + rule }));
  const body = $("signals");
  clear(body);
  for (const signal of (decision && decision.signals) || []) {
    body.appendChild(element("tr", { testid: "signal" }, [
      element("td", { text: words(signal.name) }),
      element("td", { text: signal.turn }),
      element("td", { text: number(signal.strength) }),
      element("td", { text: number(signal.weight) }),
    ]));
  }
}

function renderContext(items) {
  const list = $("context");
  clear(list);
  for (const item of items) {
    const currency = item.currency ? " " + item.currency : "";
    const text = words(item.kind) + ": " + item.value + currency + " (turn " + item.turn + ")";
    list.appendChild(element("li", { testid: "context-item", text }));
  }
  if (!items.length) list.appendChild(element("li", { text: "Nothing extracted.", className: "empty" }));
}

function renderArticles(shown) {
  const list = $("articles");
  clear(list);
  for (const article of shown) {
    const facts = [
      article.turn ? "turn " + article.turn : null,
      article.answered ? "answered" : "offered as a suggestion",
      article.score === null ? null : "score " + number(article.score),
      "feedback: " + words(article.feedback),
      articleVersionText(article) || null,
    ].filter(Boolean);
    list.appendChild(element("li", { testid: "article" }, [
      element("span", { text: article.title || "(nothing close enough to show)", className: "title" }),
      element("span", { text: " (" + facts.join(", ") + ")" }),
    ]));
  }
  if (!shown.length) list.appendChild(element("li", { text: "No articles shown.", className: "empty" }));
}

/* The address the customer gave for the reply by email (every reply goes there too). */
function renderFollowUpEmail(email) {
  const line = $("follow-up-email");
  line.hidden = !email;
  line.textContent = email
    ? "Replies are also emailed to " + email.address + " (the customer agreed " + when(email.consent_at) + ")"
    : "";
}

/* deliveries: each emailed reply's delivery state by mail id `{ticket}:reply:{index}`. */
function renderTranscript(turns, ticketId, deliveries) {
  const list = $("transcript");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  clear(list);
  turns.forEach((turn, index) => {
    const item = transcriptTurn(turn);
    const delivery = deliveries[ticketId + ":reply:" + index];
    if (delivery) item.appendChild(deliveryLine(delivery));
    list.appendChild(item);
  });
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function deliveryLine(delivery) {
  const text = {
    queued: "Email: waiting to be sent",
    sent: "Email: sent " + when(delivery.at),
    retrying: "Email: not sent yet, trying again (" + delivery.last_error + "; attempt " + delivery.attempts + ")",
    failed: "Email: could not be sent (" + delivery.last_error + ")",
  }[delivery.state] || "Email: " + delivery.state;
  return element("p", {
    text, className: "meta delivery delivery-" + delivery.state, testid: "email-delivery",
    attrs: { "data-state": delivery.state },
  });
}

function transcriptTurn(turn) {
  const who = turn.speaker === "agent" ? "Agent " + turn.agent_id : SPEAKERS[turn.speaker] || turn.speaker;
  // How the assistant read the turn is for the curious (a tooltip), not part of the chat.
  const meta = element("p", {
    className: "meta", attrs: turn.intent ? { title: "the assistant read this as: " + words(turn.intent) } : {},
  }, [
    element("span", { text: who, className: "speaker" }),
    element("span", { text: turn.at ? " · " + when(turn.at) : "" }),
    element("span", { text: turn.via === "email" ? " · by email" : "" }),
  ]);
  const offered = (turn.buttons || []).map((button) => element("span", { text: button.title, className: "chip" }));
  return element("li", {
    className: "turn turn-" + turn.speaker, testid: "turn", attrs: { "data-speaker": turn.speaker },
  }, [meta, said(turn), ...offered]);
}

// What the customer did, in words. A customer "message" starting with "/" is a payload the
// widget sent (typed text starting with "/" reaches Rasa behind an invisible guard): a pressed
// button by its title, or the widget's opening payload at turn 1; never the payload itself.
function said(turn) {
  const payload = turn.speaker === "customer" && turn.text.startsWith("/");
  if (payload && turn.button) return element("p", { text: "pressed: " + turn.button, className: "text action" });
  if (payload && turn.turn === 1) return element("p", { text: "opened the chat", className: "text action" });
  if (payload) return element("p", { text: "pressed a button", className: "text action" });
  return element("p", { text: turn.text, className: "text" });
}

function renderNotes(notes) {
  const list = $("notes");
  clear(list);
  for (const note of notes) {
    list.appendChild(element("li", { testid: "note" }, [
      element("p", { text: note.by + " · " + when(note.at), className: "meta" }),
      element("p", { text: note.text, className: "text" }),
    ]));
  }
  if (!notes.length) list.appendChild(element("li", { text: "No notes yet.", className: "empty" }));
}

function renderHistory(history) {
  const list = $("history");
  clear(list);
  for (const change of history) {
    const note = change.note ? " - " + change.note : "";
    list.appendChild(element("li", { text: when(change.at) + ": " + change.status + " by " + change.by + note }));
  }
}

function renderActions(full, me) {
  const status = full.ticket.status;
  const open = OPEN_TICKET_STATUSES.includes(status);
  const mine = full.agent_id === me.id;
  $("claim").hidden = status !== "waiting";
  for (const id of ["reply-form", "resolve-form", "hand-back"]) $(id).hidden = !(open && mine);
  for (const id of ["transfer-form", "escalate-form"]) $(id).hidden = !open;
  const teams = $("transfer-team");
  const team = (full.ticket.routing || {}).team;
  for (const option of teams.options) option.disabled = option.value === team;
  if (teams.value === team) {
    const other = [...teams.options].find((option) => !option.disabled);
    if (other) teams.value = other.value;
  }
}
