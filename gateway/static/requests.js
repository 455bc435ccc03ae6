// The customer's own requests page (gateway/requests_page.py): their open and past requests,
// a message added to an open one, a waiting one withdrawn.
//
// Who the customer is comes from the address's fragment, which never reaches a server:
// `#token=<requests link token>` (the link in our follow-up email) or `#session=<session id>`
// (the widget's "Your requests" link); it is kept in this tab only (sessionStorage) and taken
// out of the address bar. Opened on the widget's own site without either, the widget's stored
// session is used (gateway/static/widget-store.js). Everything a customer or an agent wrote is
// put on the page with textContent only, never as HTML.

const ACCESS_KEY = "support-requests:access";
const WIDGET_KEY = "support-widget:" + window.location.origin;
const MAX_MESSAGE_CHARS = 1000;
const NO_ACCESS =
  "Open this page from the link in our email, or from the chat's \"Your requests\" link.";
const SPEAKERS = { customer: "You", bot: "Assistant" };

function readAccess() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  let access = null;
  if (fragment.get("token")) {
    access = { token: fragment.get("token") };
  } else if (fragment.get("session")) {
    access = { session_id: fragment.get("session") };
  }
  if (access) {
    try {
      window.sessionStorage.setItem(ACCESS_KEY, JSON.stringify(access));
    } catch (error) {
      /* storage blocked: this visit still works */
    }
    window.history.replaceState(null, "", window.location.pathname);
    return access;
  }
  return storedAccess() || widgetSession();
}

function storedAccess() {
  try {
    const saved = JSON.parse(window.sessionStorage.getItem(ACCESS_KEY) || "null");
    if (saved && typeof saved.token === "string") return { token: saved.token };
    if (saved && typeof saved.session_id === "string") return { session_id: saved.session_id };
  } catch (error) {
    /* storage blocked or corrupt */
  }
  return null;
}

function widgetSession() {
  try {
    const widget = JSON.parse(window.localStorage.getItem(WIDGET_KEY) || "null");
    if (widget && typeof widget.sessionId === "string") return { session_id: widget.sessionId };
  } catch (error) {
    /* storage blocked or corrupt */
  }
  return null;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function sentence(text) {
  const words = String(text || "something went wrong - try again in a few minutes");
  const capital = words.charAt(0).toUpperCase() + words.slice(1);
  return /[.!?]$/.test(capital) ? capital : capital + ".";
}

function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function Page(access) {
  this.access = access;
  this.notice = document.getElementById("notice");
  this.list = document.getElementById("requests");
  this.loading = document.getElementById("loading");
  this.empty = document.getElementById("empty");
}

Page.prototype.call = async function (path, extra) {
  const body = Object.assign({}, this.access, extra || {});
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch (error) {
    throw { message: "we can't be reached right now - check your connection and try again" };
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch (error) {
    answer = null;
  }
  if (!response.ok || !answer) {
    const message = answer && typeof answer.error === "string" ? answer.error : null;
    throw { message: message, reason: answer && answer.reason };
  }
  return answer;
};

Page.prototype.say = function (text, isError) {
  this.notice.textContent = sentence(text);
  this.notice.classList.toggle("error", Boolean(isError));
  this.notice.hidden = false;
};

Page.prototype.load = async function () {
  if (!this.access) {
    this.loading.hidden = true;
    this.say(NO_ACCESS, true);
    return;
  }
  try {
    const answer = await this.call("/requests/api/list");
    this.loading.hidden = true;
    const requests = Array.isArray(answer.requests) ? answer.requests : [];
    this.list.replaceChildren(...requests.map((request) => this.card(request)));
    this.empty.hidden = requests.length > 0;
  } catch (error) {
    this.loading.hidden = true;
    this.say(error.message, true);
  }
};

Page.prototype.card = function (request) {
  const card = el("li", "request" + (request.open ? "" : " closed"));
  card.dataset.testid = "request";
  card.dataset.ticketId = request.ticket_id;
  card.append(el("h2", null, "Your request to " + (request.team_name || "our team")));
  const status = el("span", "status", request.status_text);
  status.dataset.testid = "status";
  card.append(status);
  card.append(el("p", "meta", "Opened " + when(request.created_at) + " · reference " +
    request.ticket_id));
  if (request.promised_reply_by) {
    const promise = el("p", "promise", "We promised to reply by " + request.promised_reply_by + ".");
    promise.dataset.testid = "promise";
    card.append(promise);
  }
  if (request.outlook) card.append(el("p", "outlook", request.outlook));
  card.append(this.transcript(request.transcript));
  if (request.can_add_message) card.append(this.messageForm(request));
  if (request.can_close) card.append(this.withdrawButton(request));
  return card;
};

Page.prototype.transcript = function (turns) {
  const list = el("ol", "transcript");
  list.dataset.testid = "transcript";
  list.setAttribute("aria-label", "The conversation");
  for (const turn of Array.isArray(turns) ? turns : []) {
    const item = el("li", turn.from);
    const speaker = turn.from === "agent" ? turn.agent_name || "Our team" : SPEAKERS[turn.from];
    item.append(el("span", "speaker", speaker || "Our team"));
    item.append(document.createTextNode(String(turn.text)));
    list.append(item);
  }
  return list;
};

Page.prototype.messageForm = function (request) {
  const form = el("form", "add-message");
  const id = "message-" + request.ticket_id;
  const label = el("label", null, "Add a message for our team");
  label.htmlFor = id;
  const input = el("textarea");
  input.id = id;
  input.maxLength = MAX_MESSAGE_CHARS;
  input.required = true;
  input.dataset.testid = "message-input";
  const send = el("button", null, "Send");
  send.type = "submit";
  send.dataset.testid = "send";
  const actions = el("div", "actions");
  actions.append(send);
  form.append(label, input, actions);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      this.say("write your message first", true);
      return;
    }
    this.act(request, "messages", { text: text }, send, "Your message was sent to our team.");
  });
  return form;
};

Page.prototype.withdrawButton = function (request) {
  const button = el("button", "secondary", "Withdraw this request");
  button.type = "button";
  button.dataset.testid = "withdraw";
  button.addEventListener("click", () => {
    if (button.dataset.armed !== "yes") {  // a second click confirms: no dialog to dismiss
      button.dataset.armed = "yes";
      button.textContent = "Click again to withdraw it";
      return;
    }
    this.act(request, "close", {}, button, "Your request is withdrawn.");
  });
  return button;
};

Page.prototype.act = async function (request, action, extra, button, done) {
  button.disabled = true;
  try {
    const path = "/requests/api/" + encodeURIComponent(request.ticket_id) + "/" + action;
    const answer = await this.call(path, extra);
    const card = this.list.querySelector('[data-ticket-id="' + CSS.escape(request.ticket_id) + '"]');
    if (card && answer.request) card.replaceWith(this.card(answer.request));
    this.say(done, false);
  } catch (error) {
    button.disabled = false;
    this.say(error.message, true);
  }
};

new Page(readAccess()).load();
