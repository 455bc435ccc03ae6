// The support widget: state, the socket's events and what the customer does. Its elements are
// built by widget-panel.js and drawn by widget-render.js. Loaded by widget.js. The handoff's
// words (conversation states, ...) come from vocabulary.js, which the gateway makes from
// handoff/vocabulary.py.

import { installPanel } from "./widget-panel.js";
import { installRendering } from "./widget-render.js";
import { installResume } from "./widget-resume.js";
import { SocketClient } from "./widget-socket.js";
import { installSurvey } from "./widget-survey.js";
import { installTranscript } from "./widget-transcript.js";
import { Store } from "./widget-store.js";
import { CONVERSATION_STATES, WITH_PEOPLE } from "./vocabulary.js";

// A bot_uttered is shaped as Rasa's socket.io channel sends it ({text} or {text,
// quick_replies}); what the gateway adds for this widget is in its metadata (gateway/notices.py):
// sender ("agent", "system"; none or "bot": the assistant), event, agent_name, and also_sent_as,
// the event that brings the same news to widgets that know it: this one shows that event (the
// status banner, the error notice, the survey) and skips the text, which is there for stock
// Rasa widgets.
const EVENTS_SHOWN_ELSEWHERE = ["handoff_status", "gateway_error", "survey_request", "survey_saved"];

function Widget(config) {
  this.config = config;
  this.store = new Store(config.gateway);
  this.sessionReady = false;
  this.pending = [];
  this.unread = 0;
  this.greetOnOpen = false;
  this.typingTimer = null;
  this.build();
  this.renderAll();
  this.socket = new SocketClient(config.gateway, {
    state: this.setConnection.bind(this),
    connected: this.requestSession.bind(this),
    event: this.onEvent.bind(this),
  });
  this.setConnection("connecting");
  if (config.resumeToken) {
    this.resume(config.resumeToken); // the session request waits for it (widget-resume.js)
  }
  this.socket.open();
  if (config.open) {
    this.open();
  }
}

installPanel(Widget);
installRendering(Widget);
installSurvey(Widget);
installResume(Widget);
installTranscript(Widget);

// ---------------------------------------------------------------- opening and closing

Widget.prototype.toggle = function () {
  if (this.panel.hidden) {
    this.open();
  } else {
    this.close();
  }
};

Widget.prototype.open = function () {
  this.panel.hidden = false;
  this.launcher.setAttribute("aria-expanded", "true");
  this.root.classList.add("sw-open");
  this.unread = 0;
  this.renderUnread();
  this.scrollToEnd();
  this.input.focus();
  this.greetIfNew();
};

Widget.prototype.close = function () {
  this.panel.hidden = true;
  this.launcher.setAttribute("aria-expanded", "false");
  this.root.classList.remove("sw-open");
  this.launcher.focus();
};

// Escape closes the open panel when focus is in it (or was lost from a removed control).
Widget.prototype.onKey = function (event) {
  var focus = document.activeElement;
  var inside = !focus || focus === document.body || this.panel.contains(focus);
  if (event.key === "Escape" && !this.panel.hidden && inside) {
    event.preventDefault();
    this.close();
  }
};

// ---------------------------------------------------------------- connection and session

Widget.prototype.setConnection = function (state) {
  this.root.setAttribute("data-connection", state);
  if (state !== "connected") {
    this.sessionReady = false;
    this.hideTyping();
  }
  var notices = {
    connecting: "Connecting\u2026",
    offline: "Connection lost. Reconnecting\u2026",
    refused: "The chat is not available on this site.",
  };
  this.connectionNotice.textContent = notices[state] || "";
  this.connectionNotice.hidden = !notices[state];
};

Widget.prototype.requestSession = function () {
  if (this.resuming) {
    return; // a resume link is being read: its session is asked for then
  }
  this.socket.emit("session_request", { session_id: this.store.data.sessionId });
};

Widget.prototype.onSessionConfirm = function (sessionId) {
  if (typeof sessionId !== "string") {
    return;
  }
  if (sessionId !== this.store.data.sessionId) {
    // a new conversation: what was stored belongs to one the gateway no longer knows
    this.store.reset(sessionId);
    this.renderAll();
    this.greetOnOpen = true;
    if (this.resumeNotice) {
      this.addMessage(this.resumeNotice); // why the resume link did not reopen the chat
      this.resumeNotice = null;
    }
  }
  this.sessionReady = true;
  this.flushPending();
  if (!this.panel.hidden) {
    this.greetIfNew();
  }
};

Widget.prototype.greetIfNew = function () {
  if (this.greetOnOpen && this.sessionReady && this.config.initPayload) {
    this.greetOnOpen = false;
    this.emitMessage(this.config.initPayload);
  }
};

// ---------------------------------------------------------------- sending

Widget.prototype.sendText = function (text, shown) {
  this.surveyMovedOn(); // the thank-you goes once the chat moves on
  this.addMessage({ sender: "customer", text: shown });
  this.clearQuickReplies();
  if (this.sessionReady) {
    this.emitMessage(text);
  } else {
    this.pending.push(text);
  }
};

Widget.prototype.flushPending = function () {
  var queued = this.pending;
  this.pending = [];
  queued.forEach(this.emitMessage.bind(this));
};

Widget.prototype.emitMessage = function (text) {
  var message = { message: text, session_id: this.store.data.sessionId };
  if (this.config.customer && typeof this.config.customer === "object") {
    message.metadata = { customer: this.config.customer };
  }
  if (this.socket.emit("user_uttered", message)) {
    var handoff = this.store.data.handoff;
    if (!handoff || WITH_PEOPLE.indexOf(handoff.state) < 0) {
      this.showTyping();
    }
  } else {
    this.pending.push(text);
  }
};

Widget.prototype.cancelHandoff = function () {
  this.cancelButton.disabled = true;
  this.socket.emit("cancel_handoff", {});
};

// ---------------------------------------------------------------- receiving

Widget.prototype.onEvent = function (name, data) {
  if (name === "session_confirm") {
    this.onSessionConfirm(data);
  } else if (name === "bot_uttered") {
    this.onBotUttered(data || {});
  } else if (name === "handoff_status") {
    this.onHandoffStatus(data || {});
  } else if (name === "survey_request") {
    this.onSurveyRequest(data || {});
  } else if (name === "survey_saved") {
    this.onSurveySaved(data || {});
  } else if (name === "gateway_error") {
    this.onError(data || {});
  }
};

Widget.prototype.onBotUttered = function (data) {
  this.hideTyping();
  var text = typeof data.text === "string" ? data.text : "";
  if (!text) {
    return; // images, attachments and custom payloads are not shown by this widget
  }
  var about = data.metadata && typeof data.metadata === "object" ? data.metadata : {};
  if (EVENTS_SHOWN_ELSEWHERE.indexOf(about.also_sent_as) >= 0) {
    return; // for stock widgets: the status banner or the error notice says it here
  }
  var sender = about.sender === "agent" || about.sender === "system" ? about.sender : "bot";
  var message = { sender: sender, text: text };
  if (typeof about.agent_name === "string") {
    message.agentName = about.agent_name;
  }
  if (typeof about.event === "string") {
    message.event = about.event;
  }
  if (sender === "bot" && Array.isArray(data.quick_replies)) {
    message.quickReplies = data.quick_replies
      .filter(function (reply) {
        return reply && typeof reply.title === "string" && typeof reply.payload === "string";
      })
      .map(function (reply) {
        return { title: reply.title, payload: reply.payload };
      });
  }
  this.clearQuickReplies();
  this.addMessage(message);
  if (this.panel.hidden) {
    this.unread += 1;
    this.renderUnread();
  }
};

Widget.prototype.onHandoffStatus = function (data) {
  var state = CONVERSATION_STATES.indexOf(data.state) >= 0 ? data.state : "bot";
  this.store.data.handoff = {
    state: state,
    position: typeof data.position === "number" ? data.position : null,
    expectedWait: typeof data.expected_wait === "string" ? data.expected_wait : null,
    teamName: typeof data.team_name === "string" ? data.team_name : null,
    agentName: typeof data.agent_name === "string" ? data.agent_name : null,
    message: typeof data.message === "string" ? data.message : null,
  };
  this.store.save();
  if (state !== "bot") {
    this.hideTyping();
  }
  var log = this.log;
  var atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 8;
  this.renderStatus();
  if (atEnd) {
    this.scrollToEnd(); // a banner that appears must not hide the latest message
  }
};

Widget.prototype.onError = function (error) {
  this.hideTyping();
  var text = typeof error.message === "string" ? error.message : "Something went wrong.";
  this.cancelButton.disabled = false; // whatever failed can be tried again
  if (this.onSurveyError(error.code, text)) {
    return;
  }
  if (error.code === "rate_limited" && !this.sessionReady && typeof error.retry_after === "number") {
    this.retrySession(error.retry_after);
  }
  this.showError(text.charAt(0).toUpperCase() + text.slice(1) + ".");
};

// A session request the gateway refused for now (too many new chats from one address): ask
// again when it says one may be granted, so the customer need not reload.
Widget.prototype.retrySession = function (seconds) {
  var widget = this;
  clearTimeout(this.sessionRetry);
  this.sessionRetry = setTimeout(function () {
    if (!widget.sessionReady) {
      widget.requestSession();
    }
  }, Math.ceil(Math.max(seconds, 0.1) * 1000) + 100);
};

export function start(config) {
  function run() {
    window.supportWidget = new Widget(config);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
}
