/*
 * The agent console (served by the gateway at /console; ES modules, no framework, no
 * third-party code). This module holds the state and wires the page: signing in and out,
 * presence and load, the live queues, the ticket lists, the open ticket's actions and the live
 * events. console-api.js talks to the gateway, console-ticket.js draws the open ticket (its
 * actions on orders: console-orders.js; a refund held for a supervisor: console-approval.js),
 * console-queues.js draws the queues and ticket lists, console-dom.js builds nodes (createElement/textContent only), console-sound.js beeps;
 * console-views.js switches views (#tickets, #dashboard, #review, #scorecards, #content): the
 * supervisor dashboard (console-dashboard.js) and the QA review (console-review.js).
 *
 * The token is kept in sessionStorage (this tab only) and sent only in the Authorization
 * header; signing out forgets it.
 *
 * Stable data-testid attributes for browser tests:
 *   sign-in, sign-in-form, sign-in-token, sign-in-submit, sign-in-error, app,
 *   agent-name, agent-load, presence-select, sound-toggle, live-status, sign-out, notice,
 *   announcer, queues, queue (data-team), queue-count, queue-ticket (data-ticket-id; its <li>
 *   has class is-new while new), list-mine, list-team, ticket-list, ticket-row (data-ticket-id),
 *   ticket-view, ticket-body, ticket-id, ticket-status, ticket-priority, ticket-team,
 *   ticket-owner, sla-first-response, sla-resolution, ticket-summary, escalation-reason,
 *   escalation-reasons, escalation-reason-item, escalation-type, decision-record,
 *   decision-explanation, routing-reasons, signals, signal, context, context-item, articles,
 *   article, transcript, turn (data-speaker: customer, bot, agent), notes, note, history,
 *   claim, reply-form, reply-text, reply-send, note-form, note-text, note-add, transfer-form,
 *   transfer-team, transfer-submit, escalate-form, escalate-reason, escalate-submit,
 *   resolve-form, resolve-code, resolve-not-needed, resolve-submit, hand-back;
 *   nav-tickets, nav-dashboard, nav-review, nav-scorecards, nav-content (aria-current on the open view),
 *   tickets-view; the dashboard's in console-dashboard.js, the review's in console-review.js,
 *   the orders' in console-orders.js and console-approval.js
 */

import { ApiError, api, explain, openEvents } from "./console-api.js";
import { createApproval } from "./console-approval.js";
import { $, clear, element, words } from "./console-dom.js";
import { beep, unlockAudio } from "./console-sound.js";
import { TITLE, renderQueues, renderTicketList } from "./console-queues.js";
import { hideTicket, renderTicket, summaryOf } from "./console-ticket.js";
import { startViews } from "./console-views.js";

const TOKEN_KEY = "agentConsoleToken";
const NEW_CUE_MS = 8000;
const REFRESH_DELAY_MS = 600;

const state = {
  token: null,
  me: null,
  listMode: "mine",
  openTicketId: null,
  knownWaiting: null, // ticket ids already seen waiting (null until the first load)
  newUntil: new Map(), // ticket id -> when its "new" highlight ends
  lastQueues: null,
  events: null,
  timers: {},
};

const call = (method, path, body) => api(state.token, method, path, body);
const views = startViews(call, () => state.token);
const approval = createApproval(call, changed);

function showNotice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

/* Run a call; a refusal becomes a notice (401: back to sign-in) and the result null. A notice
   stays until the agent's next action (background refreshes leave it). */
async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) signOut("Your token is not valid any more (it may have been replaced). Sign in again.");
    else showNotice(explain(error));
    return null;
  }
}

/* At most one pending refresh of each kind: a burst of events costs one call, not one each. */
function later(name, action, delay) {
  if (state.timers[name]) return;
  state.timers[name] = setTimeout(() => {
    state.timers[name] = null;
    if (state.token) action();
  }, delay === undefined ? REFRESH_DELAY_MS : delay);
}

// ---- signing in and out -------------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  let me;
  try {
    me = await call("GET", "me");
  } catch (error) {
    state.token = null;
    if (!(error instanceof ApiError)) throw error;
    $("sign-in-error").textContent = error.status === 401
      ? "That token was not accepted. Check it, or ask for a new one."
      : explain(error);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $("sign-in-error").textContent = "";
  $("sign-in-token").value = "";
  $("sign-in").hidden = true;
  $("app").hidden = false;
  applyMe(me);
  fillChoices(me);
  views.signedIn(me);
  if (me.role === "content") return; // the content page only: no tickets, no live events
  await refreshAll();
  state.events = openEvents(token, {
    onEvent: (name, data) => { if (name === "ticket") onTicketChange(data); },
    onLive: setLive,
    onRefused: () => signOut("Your token is not valid any more. Sign in again."),
  });
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.events) state.events.stop();
  for (const timer of Object.values(state.timers)) clearTimeout(timer);
  Object.assign(state, {
    token: null, me: null, openTicketId: null, knownWaiting: null, lastQueues: null,
    events: null, timers: {},
  });
  state.newUntil.clear();
  showNotice("");
  views.signedOut();
  $("app").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message || "";
  hideTicket();
  document.title = TITLE;
  $("sign-in-token").focus();
}

// ---- who I am -----------------------------------------------------------------------------------

function applyMe(me) {
  state.me = me;
  $("agent-name").textContent = me.name;
  $("agent-load").textContent = me.load + " of " + me.capacity + " chats";
  $("presence").value = me.presence;
}

function fillChoices(me) {
  const codes = $("resolve-code");
  clear(codes);
  for (const code of me.resolution_codes) {
    codes.appendChild(element("option", { text: words(code), attrs: { value: code } }));
  }
  const teams = $("transfer-team");
  clear(teams);
  for (const team of me.all_teams) {
    teams.appendChild(element("option", { text: team.name, attrs: { value: team.id } }));
  }
}

function teamName(teamId) {
  const team = state.me && state.me.all_teams.find((each) => each.id === teamId);
  return team ? team.name : teamId;
}

async function refreshAll() {
  await Promise.all([refreshMe(), refreshQueues(), refreshList(), refreshTicket()]);
}

async function refreshMe() {
  const me = await attempt(() => call("GET", "me"));
  if (me) applyMe(me);
}

// ---- queues and lists ---------------------------------------------------------------------------

async function refreshQueues() {
  const answer = await attempt(() => call("GET", "queues"));
  if (!answer) return;
  const waitingIds = answer.queues.flatMap((queue) => queue.next.map((ticket) => ticket.ticket_id));
  if (state.knownWaiting !== null) {
    const arrived = waitingIds.filter((id) => !state.knownWaiting.has(id));
    for (const id of arrived) markNew(id);
  }
  state.knownWaiting = new Set([...(state.knownWaiting || []), ...waitingIds]);
  state.lastQueues = answer.queues;
  renderQueues(answer.queues, look());
}

function markNew(ticketId) {
  if ((state.newUntil.get(ticketId) || 0) > Date.now()) return;
  state.newUntil.set(ticketId, Date.now() + NEW_CUE_MS);
  setTimeout(() => {
    state.newUntil.delete(ticketId);
    if (state.lastQueues) renderQueues(state.lastQueues, look());
  }, NEW_CUE_MS + 50);
}

// How console-queues.js draws the queues and lists now.
function look() {
  return {
    teamName,
    isNew: (ticketId) => state.newUntil.has(ticketId),
    openId: state.openTicketId,
    onOpen: openTicket,
  };
}

async function refreshList() {
  const rows = state.listMode === "mine" ? await myTickets() : await teamTickets();
  if (rows !== null) renderTicketList(rows, state.listMode, look());
}

async function myTickets() {
  const me = await attempt(() => call("GET", "me"));
  if (!me) return null;
  applyMe(me);
  const path = (id) => "tickets/" + encodeURIComponent(id);
  const answers = await Promise.all(me.open_tickets.map((id) => attempt(() => call("GET", path(id)))));
  return answers.filter(Boolean).map(summaryOf);
}

async function teamTickets() {
  const answer = await attempt(() => call("GET", "tickets"));
  return answer ? answer.tickets : null;
}

// ---- the open ticket ----------------------------------------------------------------------------

async function openTicket(ticketId) {
  showNotice("");
  state.openTicketId = ticketId;
  await refreshTicket();
  $("ticket-title").focus();
  later("list", refreshList, 0);
  if (state.lastQueues) renderQueues(state.lastQueues, look());
}

async function refreshTicket() {
  const id = state.openTicketId;
  if (!id) return;
  let full;
  try {
    full = await call("GET", "tickets/" + encodeURIComponent(id));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) return signOut("Your token is not valid any more. Sign in again.");
    const gone = error.status === 403 || error.status === 404;
    if (gone && state.openTicketId === id) {
      state.openTicketId = null;
      hideTicket();
    }
    showNotice(gone ? "Ticket " + id + " is no longer yours to see: " + error.message + "." : explain(error));
    return;
  }
  if (state.openTicketId === id) showTicket(full);
}

function showTicket(full) {
  renderTicket(full, state.me, teamName);
  approval.show(full, state.me);
}

/* A ticket an action changed (GET tickets/{id}'s shape): drawn again, the lists refreshed. */
function changed(full) {
  if (state.openTicketId === full.ticket_id) showTicket(full);
  later("me", refreshMe, 0);
  later("list", refreshList, 0);
  later("queues", refreshQueues, 0);
}

async function act(action, body, done) {
  const id = state.openTicketId;
  if (!id) return;
  const path = "tickets/" + encodeURIComponent(id) + "/" + action;
  showNotice("");
  const full = await attempt(() => call("POST", path, body));
  if (!full) {
    await refreshTicket();
    return;
  }
  if (done) done();
  changed(full);
}

function onSubmit(formId, handler) {
  $(formId).addEventListener("submit", (event) => {
    event.preventDefault();
    handler();
  });
}

function sendText(action, field) {
  const text = field.value.trim();
  if (text) act(action, { text }, () => { field.value = ""; });
}

function bindActions() {
  $("claim").addEventListener("click", () => act("claim"));
  $("hand-back").addEventListener("click", () => act("hand_back"));
  onSubmit("reply-form", () => sendText("reply", $("reply-text")));
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText("reply", $("reply-text"));
    }
  });
  onSubmit("note-form", () => sendText("note", $("note-text")));
  onSubmit("transfer-form", () => act("transfer", { team: $("transfer-team").value }));
  onSubmit("escalate-form", () => act(
    "escalate", { reason: $("escalate-reason").value.trim() }, () => { $("escalate-reason").value = ""; },
  ));
  onSubmit("resolve-form", () => act(
    "resolve",
    { resolution_code: $("resolve-code").value, escalation_needed: !$("resolve-not-needed").checked },
    () => { $("resolve-not-needed").checked = false; },
  ));
}

// ---- live events ----------------------------------------------------------------------------------

function onTicketChange(change) {
  const myTeams = state.me ? state.me.teams : [];
  const movedIn = change.previous_team && change.previous_team !== change.team;
  if (change.status === "waiting" && myTeams.includes(change.team) && (change.kind === "created" || movedIn)) {
    markNew(change.ticket_id);
    $("announcer").textContent = "New " + change.priority + " handoff for " + teamName(change.team) + ".";
    if ($("sound").checked) beep();
  }
  later("queues", refreshQueues);
  later("list", refreshList);
  if (state.me && [change.agent_id, change.previous_agent_id].includes(state.me.id)) later("me", refreshMe);
  if (change.ticket_id === state.openTicketId) later("ticket", refreshTicket, 100);
}

function setLive(live, missedSome) {
  $("live-status").textContent = live ? "Live" : "Reconnecting…";
  $("live-status").classList.toggle("is-live", live);
  if (live && missedSome) refreshAll(); // events may have been missed while disconnected
}

// ---- start ----------------------------------------------------------------------------------------

function start() {
  onSubmit("sign-in-form", () => {
    unlockAudio();
    const token = $("sign-in-token").value.trim();
    if (!token) $("sign-in-error").textContent = "Paste your agent token first.";
    else if (/[^\x21-\x7e]/.test(token)) $("sign-in-error").textContent = "That does not look like an agent token.";
    else signIn(token);
  });
  $("sign-out").addEventListener("click", () => signOut("You have signed out."));
  $("presence").addEventListener("change", async () => {
    const presence = $("presence").value;
    showNotice("");
    const answer = await attempt(() => call("PUT", "presence", { presence }));
    await refreshMe();
    if (answer) $("announcer").textContent = "You are " + presence + ".";
  });
  $("sound").addEventListener("change", unlockAudio);
  document.addEventListener("click", unlockAudio);
  document.addEventListener("keydown", unlockAudio, { once: true });
  for (const mode of ["mine", "team"]) {
    $("list-" + mode).addEventListener("click", () => {
      state.listMode = mode;
      $("list-mine").setAttribute("aria-pressed", String(mode === "mine"));
      $("list-team").setAttribute("aria-pressed", String(mode === "team"));
      refreshList();
    });
  }
  bindActions();
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved);
  else $("sign-in-token").focus();
}

start(); // module scripts run after the document is parsed
