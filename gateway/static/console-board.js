/*
 * The supervisor dashboard's live part and its agents table: queue depth and agents online
 * per team and the open tickets whose SLA is due within 15 minutes or breached
 * (GET /agent/analytics/live, refreshed by console-dashboard.js), and per agent for the window
 * (GET /agent/analytics/agents): tickets, first response and handling medians, CSAT, re-ask
 * rate, QA score. Rendered as text (console-dom.js).
 */

import { $, clear, element, relative, when, words } from "./console-dom.js";

function seconds(value) {
  if (typeof value !== "number") return "—";
  return value < 90 ? Math.round(value) + " s" : (value / 60).toFixed(1) + " min";
}

export async function refreshLive(call) {
  const live = await call("GET", "analytics/live");
  $("live-at").textContent = "(as of " + when(live.at) + "; " + live.open_tickets + " open tickets)";
  const queues = $("live-queues");
  clear(queues);
  for (const queue of live.queues) {
    queues.appendChild(element("tr", { testid: "live-queue", attrs: { "data-team": queue.team } }, [
      element("th", { text: queue.name, attrs: { scope: "row" } }),
      element("td", { text: String(queue.waiting), testid: "live-waiting" }),
      element("td", { text: String(queue.agents_online) }),
    ]));
  }
  const risky = $("at-risk");
  clear(risky);
  if (!live.at_risk.length) risky.appendChild(element("li", { text: "Nothing at risk.", className: "empty" }));
  for (const ticket of live.at_risk) {
    const due = ticket.breached ? "breached (" + relative(ticket.due) + ")" : "due " + relative(ticket.due);
    risky.appendChild(element("li", {
      className: ticket.breached ? "breached" : "",
      testid: "at-risk-ticket",
      attrs: { "data-ticket-id": ticket.ticket_id },
    }, [
      element("span", { text: ticket.priority, className: "badge priority-" + ticket.priority }),
      element("span", { text: " " + ticket.ticket_id + " · " + ticket.team + " · " + words(ticket.status) }),
      element("span", { text: " · " + words(ticket.sla) + " " + due, className: "due" }),
      element("span", { text: ticket.agent_id ? " · " + ticket.agent_id : " · nobody yet" }),
    ]));
  }
}

export async function refreshAgents(call, query) {
  const answer = await call("GET", "analytics/agents?" + query);
  const rows = $("agents-rows");
  clear(rows);
  for (const agent of answer.agents) {
    const reask = agent.reask && typeof agent.reask.value === "number"
      ? (agent.reask.value * 100).toFixed(1) + " % (" + agent.reask.numerator + "/" + agent.reask.denominator + ")"
      : "—";
    const csat = agent.csat && agent.csat.mean !== null
      ? agent.csat.mean.toFixed(2) + " (" + agent.csat.count + ")"
      : "—";
    rows.appendChild(element("tr", { testid: "agent-row", attrs: { "data-agent-id": agent.agent_id } }, [
      element("th", { text: agent.name || agent.agent_id, attrs: { scope: "row" } }),
      element("td", { text: String(agent.tickets) }),
      element("td", { text: seconds(agent.first_response_seconds && agent.first_response_seconds.p50) }),
      element("td", { text: seconds(agent.handling_seconds && agent.handling_seconds.p50) }),
      element("td", { text: csat }),
      element("td", { text: reask }),
      element("td", { text: typeof agent.qa_score === "number" ? agent.qa_score.toFixed(2) : "—" }),
    ]));
  }
}
