// How the support widget shows the conversation: messages (bot text with links, everything
// people typed as text), quick replies, the handoff banner, the CSAT card, errors, the unread
// count and the typing indicator.

import { el, linkify } from "./widget-dom.js";
import { MAX_STORED_MESSAGES } from "./widget-store.js";
import { CSAT_RATINGS, MAX_CSAT_COMMENT_CHARS } from "./vocabulary.js";

const TYPING_TIMEOUT_MS = 30000;
const LOWEST_RATING = CSAT_RATINGS[0];
const HIGHEST_RATING = CSAT_RATINGS[CSAT_RATINGS.length - 1];

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

  // A toggle button per rating (1 to 5); onChoose(rating) when one is pressed.
  function buildRatings(onChoose) {
    var ratings = el("div", {
      className: "sw-csat-ratings",
      role: "group",
      "aria-label": "Rating from " + LOWEST_RATING + " (poor) to " + HIGHEST_RATING + " (great)",
    });
    CSAT_RATINGS.forEach(function (rating) {
      ratings.appendChild(
        el("button", {
          type: "button",
          className: "sw-csat-rating",
          "data-testid": "sw-csat-rating",
          "data-rating": String(rating),
          "aria-pressed": "false",
          "aria-label": rating + " out of " + HIGHEST_RATING,
          text: String(rating),
        })
      );
    });
    ratings.addEventListener("click", function (event) {
      var button = event.target.closest(".sw-csat-rating");
      if (!button) {
        return;
      }
      var buttons = ratings.querySelectorAll(".sw-csat-rating");
      for (var i = 0; i < buttons.length; i += 1) {
        buttons[i].setAttribute("aria-pressed", buttons[i] === button ? "true" : "false");
      }
      onChoose(Number(button.getAttribute("data-rating")));
    });
    return ratings;
  }

  Widget.prototype.buildCsatQuestion = function () {
    var widget = this;
    var chosen = null;
    var ratings = buildRatings(function (rating) {
      chosen = rating;
      widget.csatSubmit.disabled = false;
    });
    var comment = el("textarea", {
      className: "sw-csat-comment",
      "data-testid": "sw-csat-comment",
      "aria-label": "Anything you'd like to add? (optional)",
      placeholder: "Anything you'd like to add? (optional)",
      maxlength: String(MAX_CSAT_COMMENT_CHARS),
      rows: "2",
    });
    this.csatSubmit = el("button", {
      type: "submit",
      className: "sw-csat-submit",
      "data-testid": "sw-csat-submit",
      text: "Send rating",
      disabled: true,
    });
    this.csatError = el("p", {
      className: "sw-csat-error",
      "data-testid": "sw-csat-error",
      role: "alert",
    });
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
        widget.csatError.textContent =
          "Choose a rating from " + LOWEST_RATING + " to " + HIGHEST_RATING + ".";
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
