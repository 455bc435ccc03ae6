/*
 * The supervisor dashboard (#dashboard, #dashboard/30d): for a window (today, 7 days, 30 days, from-to) and
 * filters (team, intent, channel), the rates and the times and scores of
 * GET /agent/analytics/metrics as tiles (containment next to what the assistant resolved by
 * acting on an order), the escalation breakdowns and the assistant's actions on orders by kind
 * and result, charts over time
 * (console-charts.js), the live queues and SLA-at-risk tickets and the per-agent figures
 * (console-board.js). Choosing a rate, a figure or a breakdown's group lists the conversations
 * behind it (/analytics/conversations), each opening its QA review; every view exports as CSV
 * (/analytics/export.csv). An agent who opens it gets the service's 403, in words.
 *
 * When the tiles are drawn, the performance mark "dashboard-tiles-painted" is set and #tiles
 * gets data-painted (benchmarks/dashboard_paint.py measures the first paint with it).
 * Everything is rendered as text (console-dom.js).
 *
 * data-testid: dashboard-view, dashboard-refused, dashboard-body, scope-form, scope-window,
 *   scope-from, scope-to, scope-team, scope-intent, scope-channel, scope-apply, scope-summary
 *   (data-exported: the last CSV's name), dashboard-notice, tiles (data-painted), figures, tile
 *   (data-metric), tile-value, drill, drill-title, drill-summary, drill-rows, drill-row
 *   (data-key), drill-review, drill-more, drill-close, export-metrics, export-agents,
 *   export-conversations, charts, chart (data-drawn), charts-missing, breakdowns, breakdown
 *   (data-breakdown), breakdown-row, live-at, live-queues, live-queue (data-team),
 *   live-waiting, at-risk, at-risk-ticket, agents-rows, agent-row (data-agent-id)
 */

import { ApiError, download, explain } from "./console-api.js";
import { refreshAgents, refreshLive } from "./console-board.js";
import { drawCharts } from "./console-charts.js";
import { $, clear, element, when, words } from "./console-dom.js";

/* The tiles, in order: metric names of metrics/definitions.py (tests check they exist). */
export const RATE_TILES = [
  ["containment", "Containment", "answered without a person"],
  ["action_containment", "Resolved with an action", "contained, an order cancelled, returned or refunded"],
  ["escalation", "Escalation rate", "handed to people"],
  ["explicit_request", "Asked for a person", "of escalations"],
  ["abandonment", "Abandoned", "left after a miss, mid-flow or waiting"],
  ["withdrawal", "Withdrawn", "cancelled the request"],
  ["after_hours", "After hours", "handed off while closed"],
  ["sla_first_response", "First response SLA met", "of tickets"],
  ["sla_resolution", "Resolution SLA met", "of tickets"],
  ["fcr", "First-contact resolution", "no return on the topic in 7 days"],
  ["repeat_contact", "Repeat contacts", "back within 7 days"],
  ["agent_reask", "Agent re-asks", "asked again for a known fact"],
  ["csat_bot_satisfied", "CSAT 4-5, assistant", "of assistant surveys"],
  ["csat_agent_satisfied", "CSAT 4-5, agents", "of agent-chat surveys"],
  ["survey_answered", "Surveys answered", "not skipped"],
  ["over_escalation", "Over-escalation", "of reviewed sessions"],
  ["under_escalation", "Under-escalation", "of reviewed sessions"],
];
export const FIGURE_TILES = [
  ["first_response_seconds", "First response", "time"],
  ["agent_first_response_seconds", "Agent's first response", "time"],
  ["queue_wait_seconds", "Queue wait", "time"],
  ["resolution_seconds", "Resolution", "time"],
  ["handling_seconds", "Handling", "time"],
  ["csat_bot", "CSAT, assistant", "of 5"],
  ["csat_agent", "CSAT, agents", "of 5"],
  ["ces_bot", "Effort, assistant", "of 7"],
  ["ces_agent", "Effort, agents", "of 7"],
];
/* The breakdowns: [name, title, what an empty one says]. */
const BREAKDOWNS = [
  ["escalation_by_reason", "By reason", "No escalations."],
  ["escalation_by_type", "By type", "No escalations."],
  ["escalation_by_team", "By team", "No escalations."],
  ["escalation_by_intent", "By topic (escalated / sessions of the topic)", "No escalations."],
  ["outcomes", "Outcomes", "No sessions."],
  ["actions_by_result", "Assistant's actions on orders (of sessions with an action)", "No actions on orders."],
];
const PAGE = 50;
const LIVE_MS = 15000;

export function percent(rate) {
  return rate && typeof rate.value === "number" ? (rate.value * 100).toFixed(1) + " %" : "—";
}

export function duration(seconds) {
  if (typeof seconds !== "number") return "—";
  if (seconds < 90) return Math.round(seconds) + " s";
  if (seconds < 5400) return (seconds / 60).toFixed(1) + " min";
  if (seconds < 172800) return (seconds / 3600).toFixed(1) + " h";
  return (seconds / 86400).toFixed(1) + " d";
}

const LABELS = Object.fromEntries([...RATE_TILES, ...FIGURE_TILES].map(([name, label]) => [name, label]));

export function createDashboard(call, token) {
  const state = { ready: false, generation: 0, drill: null, timer: null, live: null };

  function scope() {
    const query = new URLSearchParams();
    const windowName = $("scope-window").value;
    query.set("window", windowName);
    if (windowName === "custom") {
      query.set("from", $("scope-from").value);
      query.set("to", $("scope-to").value);
    }
    for (const name of ["team", "intent", "channel"]) {
      const value = $("scope-" + name).value.trim();
      if (value) query.set(name, value);
    }
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) query.set("tz", zone);
    return query;
  }

  function notice(text) {
    $("dashboard-notice").textContent = text || "";
    $("dashboard-notice").hidden = !text;
  }

  /* A refusal: 403 closes the dashboard with the service's reason; anything else is a notice. */
  function refused(error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 403) {
      $("dashboard-refused").textContent =
        "The dashboard is for supervisors, and this token is not one: " + error.message + ".";
      $("dashboard-refused").hidden = false;
      $("dashboard-body").hidden = true;
      stopLive();
    } else {
      notice(explain(error));
    }
  }

  function setup(me) {
    const teams = $("scope-team");
    for (const team of me.all_teams) {
      teams.appendChild(element("option", { text: team.name, attrs: { value: team.id } }));
    }
    $("scope-window").addEventListener("change", () => {
      const custom = $("scope-window").value === "custom";
      for (const label of document.querySelectorAll(".custom-range")) label.hidden = !custom;
      if (!custom) load();
    });
    $("scope-form").addEventListener("submit", (event) => {
      event.preventDefault();
      load();
    });
    $("export-metrics").addEventListener("click", () => exportView("metrics"));
    $("export-agents").addEventListener("click", () => exportView("agents"));
    $("export-conversations").addEventListener("click", () => exportView("conversations"));
    $("drill-close").addEventListener("click", closeDrill);
    $("drill-more").addEventListener("click", () => drill(state.drill.metric, state.drill.offset + PAGE));
    state.ready = true;
  }

  async function load() {
    const generation = ++state.generation;
    notice("");
    closeDrill();
    const query = scope();
    let metrics;
    try {
      metrics = await call("GET", "analytics/metrics?" + query);
    } catch (error) {
      if (generation === state.generation) refused(error);
      return;
    }
    if (generation !== state.generation) return;
    $("dashboard-refused").hidden = true;
    $("dashboard-body").hidden = false;
    summarise(metrics);
    renderTiles(metrics);
    requestAnimationFrame(() => {
      performance.mark("dashboard-tiles-painted");
      $("tiles").dataset.painted = String(generation);
    });
    renderBreakdowns(metrics);
    const later = [
      drawCharts($("charts"), call, query),
      refreshAgents(call, query).catch(refused),
    ];
    startLive();
    await Promise.all(later);
  }

  function summarise(metrics) {
    const range = when(metrics.window.from) + " to " + when(metrics.window.to);
    const filters = Object.entries(metrics.filters).filter(([, value]) => value);
    const filtered = filters.length ? ", " + filters.map(([name, value]) => name + " " + value).join(", ") : "";
    $("scope-summary").textContent = metrics.sessions + " sessions, " + range + " (" + metrics.window.tz + ")" + filtered + ".";
  }

  function renderTiles(metrics) {
    const tiles = $("tiles");
    clear(tiles);
    for (const [name, label, detail] of RATE_TILES) {
      const rate = metrics.rates[name];
      if (!rate) continue;
      const counts = rate.numerator + " of " + rate.denominator + " · " + detail;
      tiles.appendChild(tile(name, label, percent(rate), counts));
    }
    const figures = $("figures");
    clear(figures);
    for (const [name, label, kind] of FIGURE_TILES) {
      const figure = metrics.times[name] || metrics.scores[name];
      if (!figure) continue;
      const value = kind === "time" ? duration(figure.p50) : figure.mean === null ? "—" : figure.mean.toFixed(2) + " " + kind;
      const detail = kind === "time"
        ? "median · p90 " + duration(figure.p90) + " · " + figure.count + " tickets"
        : "mean · " + figure.count + " answers";
      figures.appendChild(tile(name, label, value, detail));
    }
  }

  function tile(name, label, value, detail) {
    const button = element("button", {
      className: "tile", testid: "tile",
      attrs: { type: "button", "data-metric": name, "aria-label": label + ": " + value + " (" + detail + "). Show the conversations." },
    }, [
      element("span", { className: "tile-name", text: label }),
      element("span", { className: "tile-value", text: value, testid: "tile-value" }),
      element("span", { className: "tile-detail", text: detail }),
    ]);
    button.addEventListener("click", () => drill(name, 0));
    return button;
  }

  function renderBreakdowns(metrics) {
    const box = $("breakdowns");
    clear(box);
    for (const [name, title, empty] of BREAKDOWNS) {
      const groups = Object.entries(metrics.breakdowns[name] || {})
        .sort((a, b) => b[1].numerator - a[1].numerator).slice(0, 12);
      const rows = groups.map(([group, rate]) => {
        const open = element("button", { className: "link", text: words(group), attrs: { type: "button" } });
        open.addEventListener("click", () => drill(name + ":" + group, 0));
        return element("tr", { testid: "breakdown-row" }, [
          element("th", { attrs: { scope: "row" } }, [open]),
          element("td", { text: percent(rate) }),
          element("td", { text: rate.numerator + " of " + rate.denominator }),
        ]);
      });
      const body = rows.length ? rows : [element("tr", {}, [element("td", { text: empty, attrs: { colspan: "3" } })])];
      box.appendChild(element("table", { className: "data", testid: "breakdown", attrs: { "data-breakdown": name } }, [
        element("caption", { text: title }),
        element("tbody", {}, body),
      ]));
    }
  }

  async function drill(metric, offset) {
    state.drill = { metric, offset };
    const query = scope();
    query.set("metric", metric);
    query.set("part", "numerator");
    query.set("limit", String(PAGE));
    query.set("offset", String(offset));
    let answer;
    try {
      answer = await call("GET", "analytics/conversations?" + query);
    } catch (error) {
      refused(error);
      return;
    }
    const [base, group] = metric.split(":");
    $("drill").hidden = false;
    $("drill-title").textContent = "Conversations behind: " + (LABELS[base] || words(base)) + (group ? " - " + words(group) : "");
    const last = Math.min(answer.total, offset + answer.conversations.length);
    $("drill-summary").textContent = answer.total
      ? answer.total + " sessions; showing " + (answer.total ? offset + 1 : 0) + " to " + last + ", newest first."
      : "No sessions in this window.";
    const rows = $("drill-rows");
    if (offset === 0) clear(rows);
    for (const session of answer.conversations) rows.appendChild(drillRow(session));
    $("drill-more").hidden = last >= answer.total;
    if (offset === 0) $("drill-title").focus();
  }

  function drillRow(session) {
    const escalation = session.escalation || {};
    const survey = session.survey || {};
    const review = element("a", {
      text: "Open QA review",
      testid: "drill-review",
      attrs: { href: reviewLink(session) },
    });
    return element("tr", { testid: "drill-row", attrs: { "data-key": session.key } }, [
      element("td", { text: when(session.started_at) }),
      element("td", { text: session.conversation_id, className: "mono" }),
      element("td", { text: words(session.outcome) + (session.abandoned_at ? " (" + words(session.abandoned_at) + ")" : "") }),
      element("td", { text: session.first_intent ? words(session.first_intent) : "—" }),
      element("td", { text: escalation.team || "—" }),
      element("td", { text: escalation.reason ? words(escalation.reason) : "—" }),
      element("td", { text: survey.csat != null ? String(survey.csat) : survey.skipped ? "skipped" : "—" }),
      element("td", { text: survey.ces != null ? String(survey.ces) : "—" }),
      element("td", { text: session.value == null ? "—" : String(Math.round(session.value * 100) / 100) }),
      element("td", {}, [review]),
    ]);
  }

  function closeDrill() {
    state.drill = null;
    $("drill").hidden = true;
    clear($("drill-rows"));
  }

  async function exportView(view) {
    const query = scope();
    query.set("view", view);
    if (view === "conversations" && state.drill) {
      query.set("metric", state.drill.metric);
      query.set("part", "numerator");
    }
    try {
      const name = await download(token(), "analytics/export.csv?" + query);
      notice("");
      $("scope-summary").dataset.exported = name;
    } catch (error) {
      refused(error);
    }
  }

  function startLive() {
    stopLive();
    const tick = async () => {
      if ($("dashboard-view").hidden) return stopLive();
      try {
        await refreshLive(call);
      } catch (error) {
        refused(error);
      }
    };
    tick();
    state.timer = setInterval(tick, LIVE_MS);
  }

  function stopLive() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }

  return {
    open(args, me) {
      if (!state.ready) setup(me);
      if (["today", "7d", "30d"].includes(args[0])) $("scope-window").value = args[0]; // #dashboard/30d
      $("dashboard-title").focus();
      load();
    },
    close: stopLive,
  };
}

export function reviewLink(session) {
  const ticket = session.ticket && session.ticket.ticket_id;
  return "#review/" + encodeURIComponent(session.conversation_id) + "/" + encodeURIComponent(session.session)
    + (ticket ? "?ticket=" + encodeURIComponent(ticket) : "");
}
