/*
 * A refund the assistant held for a supervisor (above its limit in commerce/policy.yml), in the
 * open ticket: the order, the amount, the limit and the policy check (the routing reason
 * `commerce.needs_approval`), and for a supervisor two buttons, Approve and Decline, with an
 * optional note added to what the customer is told. One click decides
 * (POST /agent/tickets/{id}/approval, through the gateway's /console/api/ like every agent call):
 * approving refunds in the shop and the service tells the customer in the chat as the
 * supervisor (taking the chat if nobody had it). The buttons show only on a ticket that is
 * waiting or the supervisor's own: the service replies to the customer as the decider.
 *
 * The held refund is read when a ticket with an action that needs approval is opened
 * (GET /agent/tickets/{id}/approval) and again on each refresh until it is decided; `decided`
 * (approved | declined | refused) is final, so a decided refund never offers the buttons again.
 * Anyone else sees "Waiting for a supervisor's approval", or the decision. Text only.
 *
 * data-testid: approval, approval-facts, approval-order, approval-amount, approval-limit,
 *   approval-turn, approval-policy, approval-state (data-state: reading, waiting, deciding,
 *   approved, declined, refused, closed, gone, unavailable), approval-form, approval-note,
 *   approve-refund, decline-refund
 */

import { ApiError, explain } from "./console-api.js";
import { $, clear, element, when, words } from "./console-dom.js";
import { money, orderActions } from "./console-orders.js";
import { OPEN_TICKET_STATUSES } from "/widget/vocabulary.js";

const RULE = "[commerce.needs_approval]";
const SUPERVISOR = "supervisor";

/* call(method, path, body) -> answer (console-api.js); onDecided(full ticket) after a decision. */
export function createApproval(call, onDecided) {
  const state = { ticketId: null, held: null, problem: null, reads: 0, deciding: false, full: null, me: null };

  function path(ticketId) {
    return "tickets/" + encodeURIComponent(ticketId) + "/approval";
  }

  /* Draw the panel for the ticket just rendered (GET tickets/{id}); reads the held refund. */
  async function show(full, me) {
    const waiting = orderActions(full.ticket).filter((record) => record.result === "needs_approval");
    if (full.ticket_id !== state.ticketId) {
      Object.assign(state, { ticketId: full.ticket_id, held: null, problem: null, deciding: false });
      $("approval-note").value = "";
    }
    Object.assign(state, { full, me });
    if (!waiting.length) {
      $("approval").hidden = true;
      return;
    }
    $("approval").hidden = false;
    draw(waiting[waiting.length - 1]);
    if (state.held && state.held.decided) return; // final: nothing to read again
    const read = ++state.reads;
    try {
      const answer = await call("GET", path(full.ticket_id));
      if (read !== state.reads || state.ticketId !== full.ticket_id) return;
      Object.assign(state, { held: answer.approval, problem: null });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (read !== state.reads || state.ticketId !== full.ticket_id) return;
      state.problem = error;
    }
    draw(waiting[waiting.length - 1]);
  }

  function draw(record) {
    const held = state.held || record;
    const limit = typeof held.limit_cents === "number" ? money(held.limit_cents, held.currency) : "not known";
    const facts = [
      ["Order", held.order_number, "order"],
      ["Amount", money(held.amount_cents, held.currency), "amount"],
      ["The assistant's limit", limit, "limit"],
      ["Asked at", "turn " + held.turn, "turn"],
      ["Policy check", policyCheck(state.full.ticket, held), "policy"],
    ];
    const list = $("approval-facts");
    clear(list);
    for (const [term, value, name] of facts) {
      list.appendChild(element("dt", { text: term }));
      list.appendChild(element("dd", { text: value, testid: "approval-" + name }));
    }
    const [name, text] = situation(held);
    setState(name, text);
    const offer = name === "waiting" && mayDecide();
    $("approval-form").hidden = !offer;
    $("approve-refund").textContent = "Approve refund of " + money(held.amount_cents, held.currency);
  }

  /* (data-state, sentence) for the panel. */
  function situation(held) {
    if (state.deciding) return ["deciding", "Sending your decision…"];
    if (state.held && state.held.decided) return decidedText(state.held);
    if (state.problem && state.problem.status === 404) {
      return ["gone", "No refund is held for approval in this conversation any more (one is kept for 3 days): check the order in the shop."];
    }
    if (state.problem) return ["unavailable", "The held refund cannot be read. " + refusal(state.problem)];
    if (!state.held) return ["reading", "Reading the held refund…"];
    if (!OPEN_TICKET_STATUSES.includes(state.full.ticket.status)) {
      return ["closed", "Not decided, and the chat is " + state.full.ticket.status + ": nothing was refunded."];
    }
    if (state.me.role !== SUPERVISOR) return ["waiting", "Waiting for a supervisor's approval."];
    const owner = state.full.agent_id;
    if (owner && owner !== state.me.id) {
      return ["waiting", "Waiting for " + owner + ", who has this chat, to decide."];
    }
    const amount = money(state.held.amount_cents, state.held.currency);
    return ["waiting", "Waiting for your decision. Approving refunds " + amount + " to the original payment "
      + "method; either way the customer is told in the chat (with your note, if you write one)."];
  }

  function mayDecide() {
    const full = state.full;
    return Boolean(state.held) && state.me.role === SUPERVISOR
      && OPEN_TICKET_STATUSES.includes(full.ticket.status)
      && (!full.agent_id || full.agent_id === state.me.id);
  }

  function setState(name, text) {
    const line = $("approval-state");
    line.textContent = text;
    line.dataset.state = name;
  }

  async function decide(decision) {
    const ticketId = state.ticketId;
    if (!ticketId || state.deciding || !mayDecide()) return;
    const note = $("approval-note").value.trim();
    state.deciding = true;
    $("approval-form").hidden = true;
    setState("deciding", "Sending your decision…");
    let answer = null;
    try {
      answer = await call("POST", path(ticketId), note ? { decision, note } : { decision });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      state.deciding = false;
      if (state.ticketId !== ticketId) return;
      state.problem = null;
      await show(state.full, state.me); // decided meanwhile? the read says
      if (!(state.held && state.held.decided)) setState("unavailable", "Not decided. " + refusal(error));
      return;
    }
    state.deciding = false;
    if (state.ticketId !== ticketId) return;
    Object.assign(state, { held: answer.approval, problem: null });
    $("approval-note").value = "";
    onDecided(answer.ticket);
  }

  $("approve-refund").addEventListener("click", () => decide("approve"));
  $("decline-refund").addEventListener("click", () => decide("decline"));
  return { show };
}

/* The routing reason that sent the ticket to the supervisors, without its rule and team. */
export function policyCheck(ticket, held) {
  const reasons = ((ticket && ticket.routing) || {}).reasons || [];
  const checks = reasons.map(String).filter((text) => text.endsWith(RULE));
  const reason = checks.find((text) => text.includes(" " + held.order_number + " ")) || checks[0];
  if (reason) {
    return sentence(reason.slice(0, -RULE.length).replace(/^[a-z]+: /, "").replace(/: team [\w-]+\s*$/, ""));
  }
  const limit = typeof held.limit_cents === "number" ? money(held.limit_cents, held.currency) : "its";
  return "Above the assistant's " + limit + " limit (commerce/policy.yml)";
}

function decidedText(held) {
  const by = held.decided_by || "a supervisor";
  const at = held.decided_at ? " on " + when(held.decided_at) : "";
  const amount = money(held.amount_cents, held.currency);
  const told = " The customer was told in the chat.";
  if (held.decided === "approved") {
    const refund = held.refund || {};
    return ["approved", "Approved by " + by + at + ": refund of " + amount + " issued (ref " + refund.id + ")." + told];
  }
  if (held.decided === "declined") return ["declined", "Declined by " + by + at + ": nothing was refunded." + told];
  const why = held.refused ? " (" + words(held.refused) + ")" : "";
  return ["refused", "Approved by " + by + at + ", but the shop refused the refund" + why
    + ": the order cannot take it any more, nothing was refunded." + told];
}

/* The service's own words where it gave them (a decision already taken, the chat over, no shop
   configured, the shop down), else the console's usual explanation. */
function refusal(error) {
  if ([400, 403, 404, 409, 503].includes(error.status)) return sentence(error.message) + ".";
  return explain(error);
}

function sentence(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
