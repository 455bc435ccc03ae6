/*
 * The open ticket's actions on orders, in words: what the assistant did or asked for in the
 * conversation (the `order_actions` slot the ticket carries, written by actions/orders.py:
 * {turn, action: cancel|return|refund, order_number, amount_cents, currency,
 * result: done|issued|needs_approval|refused|unavailable, reference, limit_cents?}).
 * "Refund of $89.99 issued at turn 5 (order HL-100152, ref RF-...)". Text only (textContent).
 *
 * data-testid: orders-section, order-actions, order-action (data-action, data-result)
 */

import { $, clear, element, words } from "./console-dom.js";

const NOUNS = { cancel: "Cancellation", return: "Return", refund: "Refund" };
const DONE = { cancel: "done", return: "started", refund: "issued" };

/* 8999, "USD" -> "$89.99"; an unknown currency code -> "89.99 XYZ". */
export function money(cents, currency) {
  const code = String(currency || "USD").toUpperCase();
  const value = Number(cents) / 100;
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency: code }).format(value);
  } catch (error) {
    return value.toFixed(2) + " " + code;
  }
}

/* The records of the ticket's conversation (malformed entries left out). */
export function orderActions(ticket) {
  const records = ((ticket && ticket.slots) || {}).order_actions;
  return Array.isArray(records) ? records.filter((record) => record && typeof record === "object") : [];
}

/* One record in a sentence. */
export function actionText(record) {
  const noun = NOUNS[record.action] || sentence(words(record.action || "action"));
  const hasAmount = typeof record.amount_cents === "number";
  const what = hasAmount && record.action === "refund"
    ? noun + " of " + money(record.amount_cents, record.currency)
    : noun;
  const at = " at turn " + record.turn;
  const order = "order " + record.order_number;
  switch (record.result) {
    case "done":
    case "issued":
      return what + " " + (DONE[record.action] || record.result) + at + details(order, record.reference);
    case "needs_approval": {
      const limit = typeof record.limit_cents === "number"
        ? " (above the " + money(record.limit_cents, record.currency) + " limit)"
        : "";
      return what + " needs approval" + limit + at + " (" + order + ")";
    }
    case "refused":
      return what + " refused: " + words(record.reference || "the policy says no") + at + " (" + order + ")";
    case "unavailable":
      return "Order service unavailable" + at + " (" + what.toLowerCase() + " for " + order + " not done)";
    default:
      return what + ": " + words(record.result) + at + " (" + order + ")";
  }
}

function details(order, reference) {
  return " (" + order + (reference ? ", ref " + reference : "") + ")";
}

function sentence(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/* The "Actions on orders" section: hidden when the assistant did nothing on an order. */
export function renderOrderActions(ticket) {
  const records = orderActions(ticket);
  const list = $("order-actions");
  clear(list);
  for (const record of records) {
    list.appendChild(element("li", {
      testid: "order-action",
      text: actionText(record),
      className: "order-action result-" + words(record.result).replace(/ /g, "-"),
      attrs: { "data-action": String(record.action), "data-result": String(record.result) },
    }));
  }
  $("orders-section").hidden = !records.length;
}
