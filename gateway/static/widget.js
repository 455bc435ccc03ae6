/*
 * The support chat widget: one script tag, no framework, no third-party code.
 *
 * Embed (see README "Widget"):
 *   <script type="application/json" id="support-widget-config">{"title": "Hearthly Help"}</script>
 *   <script src="https://chat.example.com/widget/widget.js" defer
 *           data-title="Hearthly Help"></script>
 * Options (data-* on the script tag, or keys of the JSON config; data-* wins):
 *   gateway (data-gateway)          gateway origin; default: where widget.js came from
 *   config (data-config)            id of the JSON config element (support-widget-config)
 *   title, subtitle, welcome        header texts and the first line shown in an empty chat
 *   initPayload (data-init-payload) sent once when a new chat is first opened ("/greet")
 *   open (data-open="true")         open the panel on page load
 *   customer (JSON only)            {id, tier, signature}: claims the site's backend signed
 *
 * It talks socket.io v4 (engine.io 4 over WebSocket) to the gateway: session_request ->
 * session_confirm, user_uttered -> bot_uttered, plus handoff_status, cancel_handoff, csat ->
 * csat_saved and gateway_error. Session id, the last 100 messages, the handoff state and an
 * open CSAT question are kept in localStorage, so a reload continues the same chat.
 * Everything a customer or agent typed is rendered with textContent; only bot messages get
 * links, and only to http(s) addresses.
 *
 * Stable hooks for tests (data-testid, all inside #support-widget):
 *   support-widget root: data-connection = connecting | connected | offline | refused,
 *                  data-handoff-state = bot | waiting | agent | closed
 *   sw-launcher    the launcher button (aria-expanded)      sw-unread  unread count badge
 *   sw-panel       the chat panel, role=dialog              sw-close   close button
 *   sw-log         the message list, role=log               sw-message one message, with
 *                  data-sender = customer | bot | agent | system (data-event for notices)
 *   sw-agent-name  the agent's name on an agent message     sw-link    a link in a bot message
 *   sw-quick-replies / sw-quick-reply   the buttons under the bot's last message
 *   sw-typing      typing indicator (hidden when idle)      sw-connection  connection notice
 *   sw-status      handoff banner (data-state), with sw-status-text and
 *   sw-cancel-handoff  the "cancel request" button while waiting
 *   sw-input, sw-send  the text box and the send button     sw-error   the last error notice
 *   sw-csat        the rating card: sw-csat-rating (data-rating 1-5, aria-pressed),
 *                  sw-csat-comment, sw-csat-submit, sw-csat-error, sw-csat-thanks
 * window.supportWidget is the running widget; window.supportWidget.store.data.sessionId the
 * session (tests read it to write into the conversation's outbox).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.supportWidgetLoaded) {
    return;
  }
  window.supportWidgetLoaded = true;

  var MAX_STORED_MESSAGES = 100;
  var MAX_MESSAGE_CHARS = 1000;
  var TYPING_TIMEOUT_MS = 30000;
  var RECONNECT_MIN_MS = 1000;
  var RECONNECT_MAX_MS = 30000;
  var SENDERS = ["customer", "bot", "agent", "system"];
  var HANDOFF_STATES = ["bot", "waiting", "agent", "closed"];

  // ---------------------------------------------------------------- configuration

  function readConfig(tag) {
    var config = {
      title: "Help",
      subtitle: "We usually answer right away",
      welcome: "Hi! Ask me anything.",
      initPayload: "/greet",
      open: false,
      customer: null,
      config: "support-widget-config",
      gateway: new URL(tag.src, document.baseURI).origin,
    };
    var data = tag.dataset;
    var jsonElement = document.getElementById(data.config || config.config);
    if (jsonElement && jsonElement.type === "application/json") {
      try {
        var parsed = JSON.parse(jsonElement.textContent || "{}");
        Object.keys(config).forEach(function (key) {
          if (Object.prototype.hasOwnProperty.call(parsed, key)) {
            config[key] = parsed[key];
          }
        });
      } catch (error) {
        console.error("support widget: the JSON config is not valid JSON", error);
      }
    }
    ["gateway", "title", "subtitle", "welcome", "initPayload"].forEach(function (key) {
      if (data[key] !== undefined) {
        config[key] = data[key];
      }
    });
    if (data.open !== undefined) {
      config.open = data.open === "true";
    }
    var gateway = new URL(String(config.gateway), document.baseURI);
    if (gateway.protocol !== "https:" && gateway.protocol !== "http:") {
      throw new Error("support widget: gateway must be an http(s) address");
    }
    config.gateway = gateway.origin;
    return config;
  }

  // ---------------------------------------------------------------- socket.io v4 client

  // engine.io packet types: 0 open, 1 close, 2 ping, 3 pong, 4 message;
  // socket.io packet types (inside an engine.io message): 0 CONNECT, 1 DISCONNECT, 2 EVENT,
  // 4 CONNECT_ERROR.
  function SocketClient(origin, handlers) {
    this.url = origin.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket";
    this.handlers = handlers;
    this.ws = null;
    this.connected = false;
    this.attempts = 0;
    this.heartbeat = null;
    this.reconnectTimer = null;
  }

  SocketClient.prototype.open = function () {
    var client = this;
    client.reconnectTimer = null;
    var ws;
    try {
      ws = new WebSocket(client.url);
    } catch (error) {
      client.retry();
      return;
    }
    client.ws = ws;
    ws.onmessage = function (event) {
      if (typeof event.data === "string") {
        client.receive(event.data);
      }
    };
    ws.onclose = function () {
      if (client.ws !== ws) {
        return;
      }
      client.ws = null;
      client.connected = false;
      clearTimeout(client.heartbeat);
      client.handlers.state(client.refused ? "refused" : "offline");
      client.retry();
    };
    ws.onerror = function () {
      /* onclose follows and schedules the reconnect */
    };
  };

  SocketClient.prototype.retry = function () {
    if (this.reconnectTimer) {
      return;
    }
    var ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * Math.pow(2, this.attempts));
    this.attempts += 1;
    var delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.reconnectTimer = setTimeout(this.open.bind(this), delay);
  };

  SocketClient.prototype.armHeartbeat = function (timeoutMs) {
    var client = this;
    clearTimeout(client.heartbeat);
    client.heartbeat = setTimeout(function () {
      if (client.ws) {
        client.ws.close(); // the server stopped pinging: reconnect
      }
    }, timeoutMs);
  };

  SocketClient.prototype.receive = function (packet) {
    var kind = packet.charAt(0);
    if (kind === "0") {
      var handshake = JSON.parse(packet.slice(1));
      this.pingWindow = (handshake.pingInterval || 25000) + (handshake.pingTimeout || 20000);
      this.armHeartbeat(this.pingWindow);
      this.refused = false;
      this.ws.send("40");
    } else if (kind === "2") {
      this.ws.send("3");
      this.armHeartbeat(this.pingWindow);
    } else if (kind === "1") {
      this.ws.close();
    } else if (kind === "4") {
      this.receiveSocketIo(packet.slice(1));
    }
  };

  SocketClient.prototype.receiveSocketIo = function (packet) {
    var kind = packet.charAt(0);
    if (kind === "0") {
      this.connected = true;
      this.attempts = 0;
      this.handlers.state("connected");
      this.handlers.connected();
    } else if (kind === "1") {
      this.ws.close();
    } else if (kind === "4") {
      this.refused = true; // e.g. this site's origin is not allowed
      this.ws.close();
    } else if (kind === "2") {
      var body = packet.slice(1).replace(/^\d+/, ""); // an ack id, if any
      var event;
      try {
        event = JSON.parse(body);
      } catch (error) {
        return;
      }
      if (Array.isArray(event) && typeof event[0] === "string") {
        this.handlers.event(event[0], event[1]);
      }
    }
  };

  SocketClient.prototype.emit = function (name, data) {
    if (!this.connected || !this.ws) {
      return false;
    }
    this.ws.send("42" + JSON.stringify([name, data]));
    return true;
  };

  // ---------------------------------------------------------------- stored conversation

  function Store(origin) {
    this.key = "support-widget:" + origin;
    this.data = { sessionId: null, messages: [], handoff: null, csat: "none" };
    try {
      var saved = JSON.parse(window.localStorage.getItem(this.key) || "null");
      if (saved && typeof saved === "object") {
        this.data.sessionId = typeof saved.sessionId === "string" ? saved.sessionId : null;
        this.data.messages = Array.isArray(saved.messages) ? saved.messages.filter(isMessage) : [];
        this.data.handoff = saved.handoff && typeof saved.handoff === "object" ? saved.handoff : null;
        this.data.csat = ["open", "saved"].indexOf(saved.csat) >= 0 ? saved.csat : "none";
      }
    } catch (error) {
      /* storage blocked or corrupt: start fresh */
    }
  }

  function isMessage(message) {
    return (
      message &&
      typeof message.text === "string" &&
      SENDERS.indexOf(message.sender) >= 0
    );
  }

  Store.prototype.save = function () {
    this.data.messages = this.data.messages.slice(-MAX_STORED_MESSAGES);
    try {
      window.localStorage.setItem(this.key, JSON.stringify(this.data));
    } catch (error) {
      /* private mode or full: the chat still works, it just won't survive a reload */
    }
  };

  Store.prototype.reset = function (sessionId) {
    this.data = { sessionId: sessionId, messages: [], handoff: null, csat: "none" };
    this.save();
  };

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (name === "text") {
        node.textContent = value;
      } else if (name === "className") {
        node.className = value;
      } else if (value !== null && value !== undefined && value !== false) {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(child);
    });
    return node;
  }

  // Markdown links [title](https://...) and bare http(s) addresses; everything else is text.
  var LINK_PATTERN = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"]+)/g;
  var TRAILING_PUNCTUATION = /[.,;:!?)\]'"\u201d]+$/;

  function safeHref(candidate) {
    try {
      var url = new URL(candidate);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function linkify(text) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    var match;
    LINK_PATTERN.lastIndex = 0;
    while ((match = LINK_PATTERN.exec(text)) !== null) {
      var title = match[1];
      var address = match[2] || match[3];
      var end = match.index + match[0].length;
      if (!title) {
        var trailing = address.match(TRAILING_PUNCTUATION);
        if (trailing) {
          address = address.slice(0, -trailing[0].length);
          end -= trailing[0].length;
        }
      }
      var href = safeHref(address);
      if (!href) {
        continue;
      }
      fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      fragment.appendChild(
        el("a", {
          href: href,
          target: "_blank",
          rel: "noopener noreferrer",
          "data-testid": "sw-link",
          text: title || address,
        })
      );
      last = end;
      LINK_PATTERN.lastIndex = end;
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute(
      "d",
      "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"
    );
    svg.appendChild(path);
    return svg;
  }

  // ---------------------------------------------------------------- the widget

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
    this.socket.open();
    if (config.open) {
      this.open();
    }
  }

  Widget.prototype.build = function () {
    var config = this.config;
    var stylesheet = el("link", { rel: "stylesheet", href: config.gateway + "/widget/widget.css" });
    document.head.appendChild(stylesheet);
    this.unreadBadge = el("span", {
      className: "sw-unread",
      "data-testid": "sw-unread",
      "aria-hidden": "true",
      hidden: true,
    });
    this.launcher = el(
      "button",
      {
        type: "button",
        className: "sw-launcher",
        "data-testid": "sw-launcher",
        "aria-label": "Open chat: " + config.title,
        "aria-expanded": "false",
        "aria-controls": "sw-panel",
      },
      [chatIcon(), this.unreadBadge]
    );
    this.closeButton = el("button", {
      type: "button",
      className: "sw-close",
      "data-testid": "sw-close",
      "aria-label": "Close chat",
      text: "\u00d7",
    });
    var header = el("div", { className: "sw-header" }, [
      el("div", { className: "sw-heading" }, [
        el("h2", { className: "sw-title", id: "sw-title", text: config.title }),
        el("p", { className: "sw-subtitle", text: config.subtitle }),
      ]),
      this.closeButton,
    ]);
    this.connectionNotice = el("p", {
      className: "sw-connection",
      "data-testid": "sw-connection",
      role: "status",
      hidden: true,
    });
    this.status = this.buildStatus();
    this.log = el("ol", {
      className: "sw-log",
      "data-testid": "sw-log",
      role: "log",
      "aria-live": "polite",
      "aria-label": "Conversation",
      tabindex: "0",
    });
    this.typing = el(
      "div",
      { className: "sw-typing", "data-testid": "sw-typing", hidden: true, role: "status" },
      [el("span", { className: "sw-dots", "aria-hidden": "true" }), el("span", { className: "sw-visually-hidden", text: "The assistant is typing" })]
    );
    this.form = this.buildComposer();
    this.panel = el(
      "section",
      {
        id: "sw-panel",
        className: "sw-panel",
        "data-testid": "sw-panel",
        role: "dialog",
        "aria-label": config.title + " chat",
        "aria-modal": "false",
        hidden: true,
      },
      [header, this.connectionNotice, this.status, this.log, this.typing, this.form]
    );
    this.root = el("div", { id: "support-widget", "data-testid": "support-widget" }, [this.panel, this.launcher]);
    document.body.appendChild(this.root);
    this.launcher.addEventListener("click", this.toggle.bind(this));
    this.closeButton.addEventListener("click", this.close.bind(this));
    document.addEventListener("keydown", this.onKey.bind(this));
  };

  Widget.prototype.buildStatus = function () {
    this.statusText = el("p", { className: "sw-status-text", "data-testid": "sw-status-text" });
    this.cancelButton = el("button", {
      type: "button",
      className: "sw-cancel",
      "data-testid": "sw-cancel-handoff",
      text: "Cancel request",
      hidden: true,
    });
    this.cancelButton.addEventListener("click", this.cancelHandoff.bind(this));
    return el(
      "div",
      { className: "sw-status", "data-testid": "sw-status", role: "status", hidden: true },
      [this.statusText, this.cancelButton]
    );
  };

  Widget.prototype.buildComposer = function () {
    this.input = el("input", {
      type: "text",
      className: "sw-input",
      "data-testid": "sw-input",
      "aria-label": "Type your message",
      placeholder: "Type your message\u2026",
      maxlength: String(MAX_MESSAGE_CHARS),
      autocomplete: "off",
    });
    this.sendButton = el("button", {
      type: "submit",
      className: "sw-send",
      "data-testid": "sw-send",
      text: "Send",
    });
    var form = el("form", { className: "sw-composer" }, [this.input, this.sendButton]);
    form.addEventListener(
      "submit",
      function (event) {
        event.preventDefault();
        var text = this.input.value.trim();
        if (text) {
          this.input.value = "";
          this.sendText(text, text);
        }
      }.bind(this)
    );
    return form;
  };

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
    if (this.store.data.csat === "saved") {
      this.store.data.csat = "none"; // the thank-you goes once the chat moves on
    }
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
      if (!handoff || handoff.state === "bot" || handoff.state === "closed") {
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
    } else if (name === "csat_saved") {
      this.store.data.csat = "saved";
      this.store.save();
      this.renderCsat();
      if (!this.panel.hidden) {
        this.csatCard.firstChild.focus(); // the form that had focus is gone
      }
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
    var sender = data.sender === "agent" || data.sender === "system" ? data.sender : "bot";
    var message = { sender: sender, text: text };
    if (typeof data.agent_name === "string") {
      message.agentName = data.agent_name;
    }
    if (typeof data.event === "string") {
      message.event = data.event;
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
    if (data.event === "resolved") {
      this.store.data.csat = "open";
      this.store.save();
      this.renderCsat();
    }
    if (this.panel.hidden) {
      this.unread += 1;
      this.renderUnread();
    }
  };

  Widget.prototype.onHandoffStatus = function (data) {
    var state = HANDOFF_STATES.indexOf(data.state) >= 0 ? data.state : "bot";
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
    this.renderStatus();
  };

  Widget.prototype.onError = function (error) {
    this.hideTyping();
    var text = typeof error.message === "string" ? error.message : "Something went wrong.";
    if (error.code === "invalid_csat" || error.code === "csat_not_open") {
      if (this.csatError) {
        this.csatError.textContent = error.code === "csat_not_open" ? "This chat can no longer be rated." : text;
        this.csatSubmit.disabled = false;
      }
      return;
    }
    if (error.code === "cancel_not_open") {
      this.cancelButton.disabled = false;
    }
    this.showError(text.charAt(0).toUpperCase() + text.slice(1) + ".");
  };

  // ---------------------------------------------------------------- rendering

  Widget.prototype.addMessage = function (message) {
    var welcome = this.log.querySelector(".sw-welcome");
    if (welcome) {
      welcome.remove();
    }
    this.store.data.messages.push(message);
    this.store.save();
    if (this.store.data.messages.length > MAX_STORED_MESSAGES) {
      this.renderAll();
    } else {
      this.log.appendChild(this.renderMessage(message));
    }
    this.renderCsat();
    this.scrollToEnd();
  };

  Widget.prototype.renderAll = function () {
    this.log.textContent = "";
    var messages = this.store.data.messages;
    if (!messages.length && this.config.welcome) {
      this.log.appendChild(
        el("li", { className: "sw-message sw-from-bot sw-welcome", "data-sender": "bot" }, [
          el("p", { className: "sw-text", text: this.config.welcome }),
        ])
      );
    }
    for (var i = 0; i < messages.length; i += 1) {
      this.log.appendChild(this.renderMessage(messages[i], i === messages.length - 1));
    }
    this.renderStatus();
    this.renderCsat();
    this.root.setAttribute("data-handoff-state", (this.store.data.handoff || {}).state || "bot");
  };

  Widget.prototype.renderMessage = function (message, isLast) {
    var item = el("li", {
      className: "sw-message sw-from-" + message.sender,
      "data-testid": "sw-message",
      "data-sender": message.sender,
      "data-event": message.event || null,
    });
    if (message.sender === "agent") {
      item.appendChild(
        el("span", { className: "sw-author", "data-testid": "sw-agent-name", text: message.agentName || "Agent" })
      );
    }
    var body = el("p", { className: "sw-text" });
    if (message.sender === "bot") {
      body.appendChild(linkify(message.text));
    } else {
      body.textContent = message.text;
    }
    item.appendChild(body);
    if (message.quickReplies && message.quickReplies.length && isLast !== false) {
      item.appendChild(this.renderQuickReplies(message.quickReplies));
    }
    return item;
  };

  Widget.prototype.renderQuickReplies = function (replies) {
    var widget = this;
    var group = el("div", {
      className: "sw-quick-replies",
      "data-testid": "sw-quick-replies",
      role: "group",
      "aria-label": "Suggested replies",
    });
    replies.forEach(function (reply) {
      var button = el("button", {
        type: "button",
        className: "sw-quick-reply",
        "data-testid": "sw-quick-reply",
        text: reply.title,
      });
      button.addEventListener("click", function () {
        widget.sendText(reply.payload, reply.title);
        widget.input.focus();
      });
      group.appendChild(button);
    });
    return group;
  };

  Widget.prototype.clearQuickReplies = function () {
    var messages = this.store.data.messages;
    messages.forEach(function (message) {
      delete message.quickReplies;
    });
    var groups = this.log.querySelectorAll(".sw-quick-replies");
    for (var i = 0; i < groups.length; i += 1) {
      groups[i].remove();
    }
  };

  Widget.prototype.renderStatus = function () {
    var handoff = this.store.data.handoff || { state: "bot" };
    this.root.setAttribute("data-handoff-state", handoff.state);
    this.status.setAttribute("data-state", handoff.state);
    var text = "";
    if (handoff.state === "waiting") {
      var parts = ["Waiting for a person" + (handoff.teamName ? " from " + handoff.teamName : "") + "."];
      if (handoff.position) {
        parts.push("You're number " + handoff.position + " in the queue.");
      }
      if (handoff.expectedWait) {
        parts.push("Expected wait: " + handoff.expectedWait + ".");
      }
      if (!handoff.position && !handoff.expectedWait && handoff.message) {
        parts.push(handoff.message);
      }
      text = parts.join(" ");
    } else if (handoff.state === "agent") {
      text = "You're chatting with " + (handoff.agentName || "a person from our team") + ".";
    }
    if (this.statusText.textContent !== text) {
      this.statusText.textContent = text; // unchanged refreshes are not announced again
    }
    this.status.hidden = !text;
    this.cancelButton.hidden = handoff.state !== "waiting";
    this.cancelButton.disabled = false;
  };

  Widget.prototype.renderCsat = function () {
    if (this.csatCard) {
      this.csatCard.remove();
      this.csatCard = null;
      this.csatError = null;
    }
    var csat = this.store.data.csat;
    if (csat === "saved") {
      var thanks = el("p", {
        className: "sw-csat-thanks",
        "data-testid": "sw-csat-thanks",
        tabindex: "-1",
        text: "Thank you for your feedback!",
      });
      this.csatCard = el("li", { className: "sw-csat", "data-testid": "sw-csat" }, [thanks]);
    } else if (csat === "open") {
      this.csatCard = this.buildCsatQuestion();
    }
    if (this.csatCard) {
      this.log.appendChild(this.csatCard);
    }
  };

  Widget.prototype.buildCsatQuestion = function () {
    var widget = this;
    var chosen = null;
    var ratings = el("div", { className: "sw-csat-ratings", role: "group", "aria-label": "Rating from 1 (poor) to 5 (great)" });
    for (var rating = 1; rating <= 5; rating += 1) {
      ratings.appendChild(
        el("button", {
          type: "button",
          className: "sw-csat-rating",
          "data-testid": "sw-csat-rating",
          "data-rating": String(rating),
          "aria-pressed": "false",
          "aria-label": rating + " out of 5",
          text: String(rating),
        })
      );
    }
    ratings.addEventListener("click", function (event) {
      var button = event.target.closest(".sw-csat-rating");
      if (!button) {
        return;
      }
      chosen = Number(button.getAttribute("data-rating"));
      var buttons = ratings.querySelectorAll(".sw-csat-rating");
      for (var i = 0; i < buttons.length; i += 1) {
        buttons[i].setAttribute("aria-pressed", buttons[i] === button ? "true" : "false");
      }
      widget.csatSubmit.disabled = false;
    });
    var comment = el("textarea", {
      className: "sw-csat-comment",
      "data-testid": "sw-csat-comment",
      "aria-label": "Anything you'd like to add? (optional)",
      placeholder: "Anything you'd like to add? (optional)",
      maxlength: "1000",
      rows: "2",
    });
    this.csatSubmit = el("button", { type: "submit", className: "sw-csat-submit", "data-testid": "sw-csat-submit", text: "Send rating", disabled: true });
    this.csatError = el("p", { className: "sw-csat-error", "data-testid": "sw-csat-error", role: "alert" });
    var form = el("form", { className: "sw-csat-form" }, [
      el("p", { className: "sw-csat-question", text: "How did we do?" }),
      ratings,
      comment,
      this.csatSubmit,
      this.csatError,
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!chosen) {
        widget.csatError.textContent = "Choose a rating from 1 to 5.";
        return;
      }
      var text = comment.value.trim();
      var payload = { rating: chosen };
      if (text) {
        payload.comment = text;
      }
      widget.csatError.textContent = "";
      widget.csatSubmit.disabled = true;
      if (!widget.socket.emit("csat", payload)) {
        widget.csatError.textContent = "Not connected; try again in a moment.";
        widget.csatSubmit.disabled = false;
      }
    });
    return el("li", { className: "sw-csat", "data-testid": "sw-csat" }, [form]);
  };

  Widget.prototype.showError = function (text) {
    var previous = this.log.querySelector("[data-testid='sw-error']");
    if (previous) {
      previous.remove();
    }
    this.log.appendChild(
      el("li", { className: "sw-message sw-error", "data-testid": "sw-error", "data-sender": "system", role: "alert" }, [
        el("p", { className: "sw-text", text: text }),
      ])
    );
    this.scrollToEnd();
  };

  Widget.prototype.renderUnread = function () {
    this.unreadBadge.textContent = this.unread > 9 ? "9+" : String(this.unread);
    this.unreadBadge.hidden = this.unread === 0;
    this.launcher.setAttribute(
      "aria-label",
      "Open chat: " + this.config.title + (this.unread ? " (" + this.unread + " unread)" : "")
    );
  };

  Widget.prototype.showTyping = function () {
    var widget = this;
    widget.typing.hidden = false;
    clearTimeout(widget.typingTimer);
    widget.typingTimer = setTimeout(function () {
      widget.hideTyping();
    }, TYPING_TIMEOUT_MS);
    widget.scrollToEnd();
  };

  Widget.prototype.hideTyping = function () {
    clearTimeout(this.typingTimer);
    this.typing.hidden = true;
  };

  Widget.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  function start() {
    try {
      window.supportWidget = new Widget(readConfig(script));
    } catch (error) {
      console.error(error);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
