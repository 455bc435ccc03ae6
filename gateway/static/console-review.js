/*
 * The QA review (#review, supervisors): the queue of sampled sessions
 * (GET /agent/review/queue), one session's masked transcript with the escalation policy's
 * decision record on every turn (GET /agent/review/conversations/{id}/{session}), the verdict
 * form (right / over / under at turn N / late at turn N, why, note; one per session: a second
 * is the service's 409) and the agent scorecard form for an agent-handled chat. And
 * #scorecards: anyone's own scorecards and trend (GET /agent/review/scorecards?agent_id=me).
 * The service's refusals are shown as it words them (403, 400, 404, 409). Text only.
 *
 * data-testid: review-view, review-refused, review-body, review-waiting, review-queue,
 *   review-entry, review-case, review-case-title, review-case-message, review-sample,
 *   review-verdict-now, review-turns, review-turn (data-turn, data-action), review-article,
 *   review-decision, review-signal, verdict-form, verdict-right|over|under|late, verdict-turn, verdict-reason,
 *   verdict-note, verdict-submit, verdict-message, scorecard-form, scorecard-ticket,
 *   scorecard-<criterion>, scorecard-note, scorecard-submit, scorecard-message;
 *   scorecards-view, scorecards-message, scorecards-summary, scorecards-overall,
 *   scorecards-list, scorecard
 */

import { ApiError, explain } from "./console-api.js";
import { $, articleVersionText, clear, element, number, when, words } from "./console-dom.js";

const CRITERIA = [
  ["resolved_need", "Resolved the need"],
  ["accurate", "Accurate"],
  ["no_reask", "Asked nothing the ticket already said"],
  ["empathy", "Empathy"],
  ["followed_policy", "Followed policy"],
];
const NEEDS_TURN = ["under", "late"];

function say(id, text, ok) {
  $(id).textContent = text || "";
  $(id).className = "form-message" + (ok ? " is-ok" : text ? " is-error" : "");
}

/* What a refused review call means, in words. */
export function refusal(error) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 409) return "Already done: " + error.message + ". Nothing was changed.";
  if (error.status === 400) return "Check the form: " + error.message + ".";
  if (error.status === 404) return "Not found: " + error.message + ".";
  return explain(error);
}

export function createReview(call) {
  const state = { ready: false, current: null };

  function setup() {
    const criteria = $("scorecard-criteria");
    for (const [name, label] of CRITERIA) {
      const select = element("select", { testid: "scorecard-" + name, attrs: { name } },
        ["", "1", "2", "3", "4", "5"].map((value) => element("option", { text: value || "choose", attrs: { value } })));
      criteria.appendChild(element("label", {}, [element("span", { text: label }), select]));
    }
    $("verdict-form").addEventListener("submit", (event) => {
      event.preventDefault();
      giveVerdict();
    });
    $("scorecard-form").addEventListener("submit", (event) => {
      event.preventDefault();
      giveScorecard();
    });
    state.ready = true;
  }

  function refuse(error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status !== 403) return false;
    $("review-refused").textContent = "The QA review is for supervisors, and this token is not one: " + error.message + ".";
    $("review-refused").hidden = false;
    $("review-body").hidden = true;
    return true;
  }

  async function loadQueue() {
    let answer;
    try {
      answer = await call("GET", "review/queue");
    } catch (error) {
      if (!refuse(error)) $("review-waiting").textContent = explain(error);
      return;
    }
    $("review-refused").hidden = true;
    $("review-body").hidden = false;
    $("review-waiting").textContent = String(answer.waiting);
    const list = $("review-queue");
    clear(list);
    if (!answer.queue.length) list.appendChild(element("li", { className: "empty", text: "Nothing waiting for review." }));
    for (const entry of answer.queue) {
      const link = element("a", {
        testid: "review-entry",
        text: entry.conversation_id + " · " + words(entry.outcome) + " · " + when(entry.ended_at),
        attrs: { href: caseLink(entry.conversation_id, entry.session, entry.ticket_id) },
      });
      list.appendChild(element("li", {}, [
        link,
        element("span", { className: "meta", text: " sampled: " + entry.sampled_by.map(words).join(", ")
          + (entry.first_intent ? " · topic " + words(entry.first_intent) : "")
          + (entry.escalation_reason ? " · escalated (" + words(entry.escalation_reason) + ") at turn " + entry.escalation_turn : "") }),
      ]));
    }
  }

  async function openCase(conversationId, sessionAndQuery) {
    const [session, query] = String(sessionAndQuery).split("?");
    const ticket = new URLSearchParams(query || "").get("ticket");
    state.current = { conversationId, session };
    $("review-case").hidden = false;
    $("review-case-title").textContent = "Conversation " + conversationId + ", session of " + when(session);
    $("review-case-message").hidden = true;
    $("review-case-body").hidden = true;
    say("verdict-message", "");
    say("scorecard-message", "");
    let answer;
    try {
      answer = await call("GET", "review/conversations/" + encodeURIComponent(conversationId) + "/" + encodeURIComponent(session));
    } catch (error) {
      if (refuse(error)) return;
      $("review-case-message").textContent = refusal(error)
        + (error.status === 404 ? " Sessions are kept for review when they are sampled, or for 30 days." : "");
      $("review-case-message").hidden = false;
      $("review-case-title").focus();
      return;
    }
    renderCase(answer, ticket);
    $("review-case-body").hidden = false;
    $("review-case-title").focus();
  }

  function renderCase(answer, ticket) {
    const sample = answer.sample;
    $("review-sample").textContent = sample
      ? "Sampled for review: " + sample.sampled_by.map(words).join(", ") + "; ended " + when(sample.ended_at) + " as " + words(sample.outcome) + "."
      : "Not in the review queue (opened from the dashboard).";
    $("review-verdict-now").textContent = answer.verdict
      ? "Verdict: " + words(answer.verdict.verdict) + (answer.verdict.turn ? " at turn " + answer.verdict.turn : "")
        + " by " + answer.verdict.reviewer + (answer.verdict.note ? " - " + answer.verdict.note : "")
      : "No verdict yet.";
    const turns = $("review-turns");
    clear(turns);
    for (const turn of answer.turns) turns.appendChild(turnItem(turn, answer.recorded, answer.articles_shown));
    $("scorecard-ticket").value = ticket || (sample && sample.ticket_id) || "";
    $("verdict-turn").max = String(answer.turns.length || 1);
  }

  function turnItem(turn, recorded, articlesShown) {
    const decision = turn.decision || {};
    const live = (recorded || []).find((each) => each.turn === turn.number);
    const articles = (articlesShown || []).filter((article) => article.turn === turn.number && article.title)
      .map((article) => element("p", { className: "article", testid: "review-article",
        text: (article.answered ? "Article shown: " : "Article suggested: ") + article.title
          + (articleVersionText(article) ? " (" + articleVersionText(article) + ")" : "") }));
    const signals = (decision.signals || []).map((signal) => element("li", {
      testid: "review-signal",
      text: words(signal.name) + " " + number(signal.contribution) + " (turn " + signal.turn + ": " + signal.evidence + ")",
    }));
    return element("li", { className: "review-turn", testid: "review-turn", attrs: { "data-turn": String(turn.number), "data-action": decision.action || "" } }, [
      element("p", { className: "who", text: "Turn " + turn.number + " · customer" + (turn.intent ? " · " + words(turn.intent) + " " + number(turn.confidence) : "") }),
      element("p", { className: "text", text: turn.text }),
      element("p", { className: "bot", text: turn.bot_texts.length ? "Assistant: " + turn.bot_texts.join(" / ") : "Assistant: (" + (turn.bot_actions.join(", ") || "nothing") + ")" }),
      ...articles,
      element("p", { className: "decision", testid: "review-decision",
        text: "Decision: " + words(decision.action || "none") + (decision.reason ? " (" + words(decision.reason) + ")" : "")
          + ", score " + number(decision.score || 0) + " (offer at " + number(decision.offer_at || 0) + ", hand off at " + number(decision.handoff_at || 0) + ")"
          + (live ? "; live policy: " + words(live.action) : "") }),
      signals.length ? element("ul", { className: "signals" }, signals) : null,
    ]);
  }

  async function giveVerdict() {
    const current = state.current;
    const chosen = document.querySelector("input[name=verdict]:checked");
    if (!current || !chosen) return say("verdict-message", "Choose a verdict first.");
    const body = { verdict: chosen.value };
    const turn = $("verdict-turn").value.trim();
    if (NEEDS_TURN.includes(chosen.value) && !turn) return say("verdict-message", "Say at which turn (N) a person was needed.");
    if (turn) body.turn = Number(turn);
    if ($("verdict-reason").value) body.reason = $("verdict-reason").value;
    if ($("verdict-note").value.trim()) body.note = $("verdict-note").value.trim();
    const path = "review/conversations/" + encodeURIComponent(current.conversationId) + "/" + encodeURIComponent(current.session) + "/verdict";
    try {
      const saved = await call("POST", path, body);
      say("verdict-message", "Verdict saved: " + words(saved.verdict) + (saved.turn ? " at turn " + saved.turn : "") + ".", true);
      $("review-verdict-now").textContent = "Verdict: " + words(saved.verdict) + " by " + saved.reviewer + ".";
      loadQueue();
    } catch (error) {
      if (!refuse(error)) say("verdict-message", refusal(error));
    }
  }

  async function giveScorecard() {
    const ticket = $("scorecard-ticket").value.trim();
    if (!ticket) return say("scorecard-message", "Which ticket? Give its id.");
    const body = {};
    for (const [name] of CRITERIA) {
      const value = document.querySelector("[data-testid=scorecard-" + name + "]").value;
      if (value) body[name] = Number(value);
    }
    if ($("scorecard-note").value.trim()) body.note = $("scorecard-note").value.trim();
    try {
      const card = await call("POST", "review/tickets/" + encodeURIComponent(ticket) + "/scorecard", body);
      say("scorecard-message", "Scorecard saved for " + card.agent_id + ": overall " + number(card.overall) + ".", true);
    } catch (error) {
      if (!refuse(error)) say("scorecard-message", refusal(error));
    }
  }

  return {
    open(args) {
      if (!state.ready) setup();
      loadQueue();
      if (args.length >= 2) openCase(args[0], args.slice(1).join("/"));
      else {
        $("review-case").hidden = true;
        $("review-title").focus();
      }
    },
  };
}

export function caseLink(conversationId, session, ticketId) {
  return "#review/" + encodeURIComponent(conversationId) + "/" + encodeURIComponent(session)
    + (ticketId ? "?ticket=" + encodeURIComponent(ticketId) : "");
}

export async function openScorecards(call, me) {
  const message = $("scorecards-message");
  message.hidden = true;
  let answer;
  try {
    answer = await call("GET", "review/scorecards?agent_id=" + encodeURIComponent(me.id));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    message.textContent = refusal(error);
    message.hidden = false;
    return;
  }
  const trend = answer.trend;
  const summary = $("scorecards-summary");
  clear(summary);
  summary.appendChild(element("p", { testid: "scorecards-overall", text: trend.scorecards
    ? trend.scorecards + " scorecards, overall " + number(trend.overall) + " of 5."
    : "No scorecards yet." }));
  if (trend.coaching.length) summary.appendChild(element("p", { text: "To work on: " + trend.coaching.map(words).join(", ") + "." }));
  const list = $("scorecards-list");
  clear(list);
  for (const card of answer.scorecards) {
    const scores = CRITERIA.map(([name, label]) => label + " " + card[name]).join(" · ");
    list.appendChild(element("li", { testid: "scorecard" }, [
      element("p", { text: "Ticket " + card.ticket_id + " · overall " + number(card.overall) + " · " + when(card.scored_at || card.at || "") }),
      element("p", { className: "meta", text: scores }),
      card.note ? element("p", { text: card.note }) : null,
    ]));
  }
  $("scorecards-title").focus();
}
