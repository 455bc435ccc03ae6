// The support widget's elements: launcher, panel header, handoff banner, log and composer.

import { chatIcon, el } from "./widget-dom.js";

const MAX_MESSAGE_CHARS = 1000;

export function installPanel(Widget) {
  Widget.prototype.build = function () {
    var config = this.config;
    var stylesheet = el("link", { rel: "stylesheet", href: config.gateway + "/widget/widget.css" });
    document.head.appendChild(stylesheet);
    this.buildLauncher();
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
      [
        el("span", { className: "sw-dots", "aria-hidden": "true" }),
        el("span", { className: "sw-visually-hidden", text: "The assistant is typing" }),
      ]
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
      [
        this.buildHeader(),
        this.buildTranscriptForm(), // widget-transcript.js: "Email me this chat"
        this.connectionNotice,
        this.status,
        this.log,
        this.typing,
        this.form,
      ]
    );
    this.root = el("div", { id: "support-widget", "data-testid": "support-widget" }, [
      this.panel,
      this.launcher,
    ]);
    document.body.appendChild(this.root);
    this.launcher.addEventListener("click", this.toggle.bind(this));
    document.addEventListener("keydown", this.onKey.bind(this));
  };

  Widget.prototype.buildLauncher = function () {
    var config = this.config;
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
  };

  Widget.prototype.buildHeader = function () {
    var config = this.config;
    var closeButton = el("button", {
      type: "button",
      className: "sw-close",
      "data-testid": "sw-close",
      "aria-label": "Close chat",
      text: "\u00d7",
    });
    closeButton.addEventListener("click", this.close.bind(this));
    // the customer's own requests page (gateway/requests_page.py), this session in the fragment
    var requests = el("a", { className: "sw-requests", "data-testid": "sw-requests",
      href: config.gateway + "/requests", target: "_blank", rel: "noopener", text: "Your requests" });
    requests.addEventListener("click", function () {
      var id = this.store.data.sessionId;
      requests.href = config.gateway + "/requests" + (id ? "#session=" + encodeURIComponent(id) : "");
    }.bind(this));
    return el("div", { className: "sw-header" }, [
      el("div", { className: "sw-heading" }, [
        el("h2", { className: "sw-title", id: "sw-title", text: config.title }),
        el("p", { className: "sw-subtitle", text: config.subtitle }),
        el("div", { className: "sw-header-links" }, [requests, this.buildTranscriptToggle()]),
      ]),
      closeButton,
    ]);
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
}
