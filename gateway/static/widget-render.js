// How the support widget shows the conversation: messages (bot text with links, everything
// people typed as text), quick replies, the handoff banner, errors, the unread count and the
// typing indicator. The survey card is drawn by widget-survey.js.

import { el, linkify } from "./widget-dom.js";
import { MAX_STORED_MESSAGES } from "./widget-store.js";

const TYPING_TIMEOUT_MS = 30000;

export function installRendering(Widget) {

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
    this.renderSurvey();
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
    this.renderSurvey();
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
        el("span", {
          className: "sw-author",
          "data-testid": "sw-agent-name",
          text: message.agentName || "Agent",
        })
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
      var team = handoff.teamName ? " from " + handoff.teamName : "";
      var parts = ["Waiting for a person" + team + "."];
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

  Widget.prototype.showError = function (text) {
    var previous = this.log.querySelector("[data-testid='sw-error']");
    if (previous) {
      previous.remove();
    }
    this.log.appendChild(
      el("li", {
        className: "sw-message sw-error",
        "data-testid": "sw-error",
        "data-sender": "system",
        role: "alert",
      }, [
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
}
