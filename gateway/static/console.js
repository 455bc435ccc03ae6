/*
 * The agent console (served by the gateway at /console; no framework, no third-party code).
 *
 * It talks to /console/api/*, which the gateway passes to the service's agent API with the
 * agent's own token, and reads /console/api/events (Server-Sent Events of the agent's tickets)
 * with fetch() streaming, so the token travels in a header and never in a URL. The token is
 * kept in sessionStorage (this tab only); signing out forgets it.
 *
 * Everything shown is built with createElement/textContent: nothing anyone typed is ever
 * parsed as HTML, and the page makes no links out of customer text.
 *
 * Stable data-testid attributes for browser tests:
 *   sign-in, sign-in-form, sign-in-token, sign-in-submit, sign-in-error, app,
 *   agent-name, agent-load, presence-select, sound-toggle, live-status, sign-out, notice,
 *   announcer, queues, queue (data-team), queue-count, queue-ticket (data-ticket-id, class
 *   is-new while new), list-mine, list-team, ticket-list, ticket-row (data-ticket-id),
 *   ticket-view, ticket-body, ticket-id, ticket-status, ticket-priority, ticket-team, ticket-owner,
 *   sla-first-response, sla-resolution, ticket-summary, escalation-reason, signals, signal,
 *   context, context-item, articles, article, transcript, turn (data-speaker), notes, note,
 *   history, claim, reply-form, reply-text, reply-send, note-form, note-text, note-add,
 *   transfer-form, transfer-team, transfer-submit, escalate-form, escalate-reason,
 *   escalate-submit, resolve-form, resolve-code, resolve-submit, hand-back
 */
"use strict";

(function () {
  const TOKEN_KEY = "agentConsoleToken";
  const TITLE = "Agent console";
  const NEW_CUE_MS = 8000;
  const REFRESH_DELAY_MS = 600;
  const RECONNECT_MS = [1000, 2000, 5000, 10000];
  const SPEAKERS = { customer: "Customer", bot: "Assistant", agent: "Agent" };

  const state = {
    token: null,
    me: null,
    listMode: "mine",
    openTicketId: null,
    knownWaiting: null, // ticket ids already seen waiting (null until the first load)
    newUntil: new Map(), // ticket id -> time its "new" cue ends
    stream: null,
    reconnects: 0,
    timers: {},
  };

  const $ = (id) => document.getElementById(id);

  function element(tag, options, children) {
    const node = document.createElement(tag);
    const settings = options || {};
    if (settings.text !== undefined && settings.text !== null) node.textContent = String(settings.text);
    if (settings.className) node.className = settings.className;
    if (settings.testid) node.dataset.testid = settings.testid;
    for (const [name, value] of Object.entries(settings.attrs || {})) node.setAttribute(name, value);
    for (const child of children || []) if (child) node.appendChild(child);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // ---- talking to the gateway ------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: "Bearer " + state.token, Accept: "application/json" };
    const options = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch("/console/api/" + path, options);
    } catch (error) {
      throw new ApiError(0, "the console cannot reach the gateway");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (!response.ok) {
      throw new ApiError(response.status, (data && data.error) || response.statusText);
    }
    return data;
  }

  function explain(error) {
    const detail = error.message || "unknown error";
    switch (error.status) {
      case 0: return "Cannot reach the console's server. Check your connection and try again.";
      case 401: return "Your token is not valid any more. Sign in again.";
      case 403: return "Not allowed: " + detail + ".";
      case 409: return "Someone else got there first, or you are at capacity: " + detail + ".";
      case 413: return "That is too long to send.";
      case 429: return "Too many requests from this address; wait a moment and try again.";
      case 503: return "The agent service is not available right now; try again shortly.";
      default: return "That did not work: " + detail + ".";
    }
  }

  function showNotice(text) {
    const notice = $("notice");
    notice.textContent = text;
    notice.hidden = !text;
  }

  async function attempt(action) {
    showNotice("");
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 401) {
        signOut("Your token is not valid any more (it may have been replaced). Sign in again.");
        return null;
      }
      showNotice(explain(error));
      return null;
    }
  }

  // ---- signing in and out -----------------------------------------------------------------

  async function signIn(token) {
    state.token = token;
    let me;
    try {
      me = await api("GET", "me");
    } catch (error) {
      state.token = null;
      $("sign-in-error").textContent =
        error.status === 401
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
    await refreshAll();
    listen();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.stream) state.stream.abort();
    Object.assign(state, {
      token: null, me: null, openTicketId: null, knownWaiting: null, stream: null, reconnects: 0,
    });
    state.newUntil.clear();
    for (const name of Object.keys(state.timers)) clearTimeout(state.timers[name]);
    state.timers = {};
    $("app").hidden = true;
    $("sign-in").hidden = false;
    $("sign-in-error").textContent = message || "";
    $("ticket-body").hidden = true;
    $("ticket-empty").hidden = false;
    document.title = TITLE;
    $("sign-in-token").focus();
  }

  // ---- who I am ------------------------------------------------------------------------------

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
      codes.appendChild(element("option", { text: code.replace(/_/g, " "), attrs: { value: code } }));
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

  // ---- loading and refreshing ------------------------------------------------------------------

  async function refreshAll() {
    await Promise.all([refreshMe(), refreshQueues(), refreshList(), refreshTicket()]);
  }

  async function refreshMe() {
    const me = await attempt(() => api("GET", "me"));
    if (me) applyMe(me);
  }

  // At most one pending refresh of each kind: a burst of events costs one call, not one each.
  function later(name, action, delay) {
    if (state.timers[name]) return;
    state.timers[name] = setTimeout(() => {
      state.timers[name] = null;
      if (state.token) action();
    }, delay === undefined ? REFRESH_DELAY_MS : delay);
  }

  async function refreshQueues() {
    const answer = await attempt(() => api("GET", "queues"));
    if (!answer) return;
    const waitingIds = answer.queues.flatMap((queue) => queue.next.map((t) => t.ticket_id));
    if (state.knownWaiting !== null) {
      const arrived = waitingIds.filter((id) => !state.knownWaiting.has(id));
      for (const id of arrived) state.newUntil.set(id, Date.now() + NEW_CUE_MS);
      if (arrived.length) setTimeout(renderQueuesAgain, NEW_CUE_MS + 50);
    }
    state.knownWaiting = new Set([...(state.knownWaiting || []), ...waitingIds]);
    state.lastQueues = answer.queues;
    renderQueues(answer.queues);
  }

  function renderQueuesAgain() {
    if (state.lastQueues) renderQueues(state.lastQueues);
  }

  function renderQueues(queues) {
    const box = $("queues");
    clear(box);
    let waiting = 0;
    for (const queue of queues) {
      waiting += queue.waiting;
      const list = element("ul", { className: "queue-tickets" });
      for (const ticket of queue.next) list.appendChild(queueRow(ticket));
      const heading = element("h3", {}, [
        element("span", { text: queue.name }),
        element("span", {
          text: queue.waiting + " waiting", className: "count", testid: "queue-count",
        }),
      ]);
      box.appendChild(element("section", {
        className: "queue", testid: "queue", attrs: { "data-team": queue.team },
      }, [heading, queue.next.length ? list : element("p", { text: "Nobody waiting.", className: "empty" })]));
    }
    document.title = waiting ? "(" + waiting + ") " + TITLE : TITLE;
  }

  function queueRow(ticket) {
    const isNew = (state.newUntil.get(ticket.ticket_id) || 0) > Date.now();
    const button = ticketButton(ticket, "queue-ticket");
    return element("li", { className: isNew ? "is-new" : "" }, [button]);
  }

  function ticketButton(ticket, testid) {
    const label = [
      ticket.priority, teamName(ticket.team), ticket.status, "ticket " + ticket.ticket_id,
    ].join(", ");
    const button = element("button", {
      className: "ticket-button" + (ticket.ticket_id === state.openTicketId ? " is-open" : ""),
      testid,
      attrs: { type: "button", "data-ticket-id": ticket.ticket_id, "aria-label": label },
    }, [
      element("span", { text: ticket.priority, className: "badge priority-" + ticket.priority }),
      element("span", { text: ticket.status, className: "badge" }),
      element("span", { text: firstLine(ticket.summary), className: "line" }),
      element("span", { text: dueText(ticket), className: "due" }),
    ]);
    button.addEventListener("click", () => openTicket(ticket.ticket_id));
    return button;
  }

  function firstLine(text) {
    return String(text || "").split("\n")[0];
  }

  function dueText(ticket) {
    if (!["waiting", "assigned"].includes(ticket.status)) return "";
    const due = ticket.first_response_due || ticket.resolution_due;
    if (!due) return "";
    return (ticket.first_response_due ? "first reply " : "resolution ") + relative(due);
  }

  async function refreshList() {
    const rows = state.listMode === "mine" ? await myTickets() : await teamTickets();
    if (rows === null) return;
    const list = $("ticket-list");
    clear(list);
    if (!rows.length) {
      list.appendChild(element("li", {
        text: state.listMode === "mine" ? "You have no open chats." : "No tickets yet.",
        className: "empty",
      }));
    }
    for (const ticket of rows.slice(0, 60)) {
      list.appendChild(element("li", {}, [ticketButton(ticket, "ticket-row")]));
    }
  }

  async function myTickets() {
    const me = await attempt(() => api("GET", "me"));
    if (!me) return null;
    applyMe(me);
    const answers = await Promise.all(
      me.open_tickets.map((id) => attempt(() => api("GET", "tickets/" + encodeURIComponent(id)))),
    );
    return answers.filter(Boolean).map(summaryOf);
  }

  async function teamTickets() {
    const answer = await attempt(() => api("GET", "tickets"));
    return answer ? answer.tickets : null;
  }

  function summaryOf(full) {
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

  // ---- the open ticket ----------------------------------------------------------------------

  async function openTicket(ticketId) {
    state.openTicketId = ticketId;
    await refreshTicket();
    $("ticket-title").focus();
    later("list", refreshList, 0);
  }

  async function refreshTicket() {
    if (!state.openTicketId) return;
    const id = state.openTicketId;
    let full;
    try {
      full = await api("GET", "tickets/" + encodeURIComponent(id));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 403 || error.status === 404) closeTicket(id);
      if (error.status === 401) signOut("Your token is not valid any more. Sign in again.");
      else showNotice(explain(error));
      return;
    }
    if (state.openTicketId === id) renderTicket(full);
  }

  function closeTicket(id) {
    if (state.openTicketId !== id) return;
    state.openTicketId = null;
    $("ticket-body").hidden = true;
    $("ticket-empty").hidden = false;
  }

  function renderTicket(full) {
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
    $("sla-first-response").textContent = full.first_response_at
      ? "answered " + when(full.first_response_at)
      : dueLine(routing.first_response_due);
    $("sla-resolution").textContent = dueLine(routing.resolution_due);
    $("ticket-summary").textContent = ticket.summary;
    renderWhy(ticket, routing);
    renderContext(ticket.context);
    renderArticles(ticket.articles_shown);
    renderTranscript(ticket.transcript);
    renderNotes(full.notes);
    renderHistory(ticket.status_history);
    renderActions(full);
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

  function renderWhy(ticket, routing) {
    const decision = ticket.escalation_decision;
    const parts = [];
    if (routing.escalation_type) parts.push(routing.escalation_type + " escalation");
    if (decision && decision.reason) parts.push("reason: " + decision.reason.replace(/_/g, " "));
    if (routing.reasons && routing.reasons.length) parts.push("routing: " + routing.reasons.join("; "));
    if (decision && decision.explanation) parts.push(decision.explanation);
    $("escalation-reason").textContent = parts.join(". ") || "No decision record.";
    const body = $("signals");
    clear(body);
    for (const signal of (decision && decision.signals) || []) {
      body.appendChild(element("tr", { testid: "signal" }, [
        element("td", { text: String(signal.name).replace(/_/g, " ") }),
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
      list.appendChild(element("li", {
        testid: "context-item",
        text: item.kind.replace(/_/g, " ") + ": " + item.value + currency + " (turn " + item.turn + ")",
      }));
    }
    if (!items.length) list.appendChild(element("li", { text: "Nothing extracted.", className: "empty" }));
  }

  function renderArticles(shown) {
    const list = $("articles");
    clear(list);
    for (const article of shown) {
      const title = article.title || "(nothing close enough to show)";
      const how = article.answered ? "answered" : "offered as a suggestion";
      const score = article.score === null ? "" : ", score " + number(article.score);
      const turn = article.turn ? "turn " + article.turn + ", " : "";
      list.appendChild(element("li", { testid: "article" }, [
        element("span", { text: title, className: "title" }),
        element("span", { text: " (" + turn + how + score + ", feedback: " + article.feedback.replace(/_/g, " ") + ")" }),
      ]));
    }
    if (!shown.length) list.appendChild(element("li", { text: "No articles shown.", className: "empty" }));
  }

  function renderTranscript(turns) {
    const list = $("transcript");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    clear(list);
    for (const turn of turns) {
      const who = turn.speaker === "agent" ? "Agent " + turn.agent_id : SPEAKERS[turn.speaker] || turn.speaker;
      const meta = element("p", { className: "meta" }, [
        element("span", { text: who, className: "speaker" }),
        element("span", { text: turn.at ? " · " + when(turn.at) : "" }),
        element("span", { text: turn.intent ? " · " + turn.intent : "" }),
      ]);
      const text = element("p", { text: turn.text, className: "text" });
      const buttons = (turn.buttons || []).map((button) =>
        element("span", { text: button.title, className: "chip" }));
      const pressed = turn.button ? element("span", { text: "pressed: " + turn.button, className: "chip" }) : null;
      list.appendChild(element("li", {
        className: "turn turn-" + turn.speaker, testid: "turn", attrs: { "data-speaker": turn.speaker },
      }, [meta, text, pressed, ...buttons]));
    }
    if (atBottom) list.scrollTop = list.scrollHeight;
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

  function renderActions(full) {
    const status = full.ticket.status;
    const open = status === "waiting" || status === "assigned";
    const mine = full.agent_id === state.me.id;
    $("claim").hidden = status !== "waiting";
    for (const id of ["reply-form", "resolve-form", "hand-back"]) $(id).hidden = !(open && mine);
    for (const id of ["transfer-form", "escalate-form"]) $(id).hidden = !open;
    const team = (full.ticket.routing || {}).team;
    for (const option of $("transfer-team").options) option.disabled = option.value === team;
    if ($("transfer-team").value === team) {
      const other = [...$("transfer-team").options].find((option) => !option.disabled);
      if (other) $("transfer-team").value = other.value;
    }
  }

  // ---- acting on the open ticket ------------------------------------------------------------------

  async function act(action, body, done) {
    const id = state.openTicketId;
    if (!id) return;
    const full = await attempt(() => api("POST", "tickets/" + encodeURIComponent(id) + "/" + action, body));
    if (!full) {
      await refreshTicket();
      return;
    }
    if (done) done();
    if (state.openTicketId === id) renderTicket(full);
    later("me", refreshMe, 0);
    later("list", refreshList, 0);
    later("queues", refreshQueues, 0);
  }

  function bindActions() {
    $("claim").addEventListener("click", () => act("claim"));
    $("hand-back").addEventListener("click", () => act("handback"));
    $("reply-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sendText("reply", $("reply-text"));
    });
    $("reply-text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        sendText("reply", $("reply-text"));
      }
    });
    $("note-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sendText("note", $("note-text"));
    });
    $("transfer-form").addEventListener("submit", (event) => {
      event.preventDefault();
      act("transfer", { team: $("transfer-team").value });
    });
    $("escalate-form").addEventListener("submit", (event) => {
      event.preventDefault();
      act("escalate", { reason: $("escalate-reason").value.trim() }, () => { $("escalate-reason").value = ""; });
    });
    $("resolve-form").addEventListener("submit", (event) => {
      event.preventDefault();
      act("resolve", { resolution_code: $("resolve-code").value });
    });
  }

  function sendText(action, field) {
    const text = field.value.trim();
    if (!text) return;
    act(action, { text }, () => { field.value = ""; });
  }

  // ---- live events ----------------------------------------------------------------------------

  async function listen() {
    const controller = new AbortController();
    state.stream = controller;
    try {
      const response = await fetch("/console/api/events", {
        headers: { Authorization: "Bearer " + state.token, Accept: "text/event-stream" },
        cache: "no-store",
        signal: controller.signal,
      });
      if (response.status === 401) {
        signOut("Your token is not valid any more. Sign in again.");
        return;
      }
      if (!response.ok || !response.body) throw new Error("events answered " + response.status);
      await readEvents(response.body.getReader());
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    if (controller.signal.aborted || state.stream !== controller) return;
    setLive(false);
    const delay = RECONNECT_MS[Math.min(state.reconnects, RECONNECT_MS.length - 1)];
    state.reconnects += 1;
    setTimeout(() => {
      if (state.token && state.stream === controller) listen();
    }, delay);
  }

  async function readEvents(reader) {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        handleEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  function handleEvent(block) {
    let name = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (name === "ready") {
      const missedSome = state.reconnects > 0;
      state.reconnects = 0;
      setLive(true);
      if (missedSome) refreshAll();
    } else if (name === "ticket" && data) {
      onTicketChange(JSON.parse(data));
    } else if (name === "unavailable") {
      setLive(false);
    }
  }

  function onTicketChange(change) {
    const myTeams = state.me ? state.me.teams : [];
    const arrived = change.status === "waiting" && myTeams.includes(change.team) &&
      (change.kind === "created" || (change.previous_team && change.previous_team !== change.team));
    if (arrived) cueNewHandoff(change);
    later("queues", refreshQueues);
    later("list", refreshList);
    if (state.me && [change.agent_id, change.previous_agent_id].includes(state.me.id)) later("me", refreshMe);
    if (change.ticket_id === state.openTicketId) later("ticket", refreshTicket, 100);
  }

  function cueNewHandoff(change) {
    state.newUntil.set(change.ticket_id, Date.now() + NEW_CUE_MS);
    $("announcer").textContent = "New " + change.priority + " handoff for " + teamName(change.team) + ".";
    if ($("sound").checked) beep();
  }

  function setLive(live) {
    const status = $("live-status");
    status.textContent = live ? "Live" : "Reconnecting…";
    status.className = live ? "live is-live" : "live";
  }

  // ---- a short sound ---------------------------------------------------------------------------

  let audio = null;

  function unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume();
  }

  function beep() {
    if (!audio) return;
    const start = audio.currentTime;
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.3);
    oscillator.connect(gain);
    gain.connect(audio.destination);
    oscillator.start(start);
    oscillator.stop(start + 0.32);
  }

  // ---- times and numbers -----------------------------------------------------------------------

  function when(iso) {
    const date = new Date(iso);
    return isNaN(date) ? String(iso) : date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  }

  function relative(iso) {
    const minutes = Math.round((new Date(iso) - Date.now()) / 60000);
    if (isNaN(minutes)) return "";
    const span = Math.abs(minutes) >= 120 ? Math.round(Math.abs(minutes) / 60) + " h" : Math.abs(minutes) + " min";
    return minutes >= 0 ? "in " + span : "overdue by " + span;
  }

  function number(value) {
    return typeof value === "number" ? String(Math.round(value * 100) / 100) : String(value);
  }

  // ---- start -------------------------------------------------------------------------------------

  function start() {
    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      unlockAudio();
      const token = $("sign-in-token").value.trim();
      if (!token) {
        $("sign-in-error").textContent = "Paste your agent token first.";
        return;
      }
      signIn(token);
    });
    $("sign-out").addEventListener("click", () => signOut("You have signed out."));
    $("presence").addEventListener("change", async () => {
      const presence = $("presence").value;
      const answer = await attempt(() => api("PUT", "presence", { presence }));
      await refreshMe();
      if (answer) $("announcer").textContent = "You are " + presence + ".";
    });
    $("sound").addEventListener("change", unlockAudio);
    document.addEventListener("click", unlockAudio, { once: true });
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

  document.addEventListener("DOMContentLoaded", start);
})();
