// "Email me this chat": a control in the widget's header opens a small form (an address, a note
// on what it is used for, Send) under the header; Send posts the session and the address to the
// gateway's /widget/transcript-email (gateway/transcript_email.py) and the outcome is shown as a
// system line in the chat (textContent): "The transcript is on its way to ..." or the gateway's
// reason in words ("there is nothing to send yet: ..."). An empty address asks the service to use
// the one the customer already left on their request. Escape closes the form, not the chat.

import { el } from "./widget-dom.js";
import { postJson, sentence } from "./widget-http.js";

const EVENT = "transcript_email";
const NO_ANSWER = "The transcript could not be sent: the connection failed. Please try again.";

export function installTranscript(Widget) {
  // The header's control (next to "Your requests"); the form comes from buildTranscriptForm.
  Widget.prototype.buildTranscriptToggle = function () {
    this.transcriptToggle = el("button", {
      type: "button",
      className: "sw-transcript",
      "data-testid": "sw-transcript",
      "aria-expanded": "false",
      "aria-controls": "sw-transcript-form",
      text: "Email me this chat",
    });
    this.transcriptToggle.addEventListener("click", this.toggleTranscriptForm.bind(this));
    return this.transcriptToggle;
  };

  Widget.prototype.buildTranscriptForm = function () {
    this.transcriptEmail = el("input", {
      type: "email",
      id: "sw-transcript-email",
      className: "sw-transcript-email",
      "data-testid": "sw-transcript-email",
      autocomplete: "email",
      maxlength: "320",
      "aria-describedby": "sw-transcript-note",
    });
    this.transcriptSend = el("button", {
      type: "submit",
      className: "sw-transcript-send",
      "data-testid": "sw-transcript-send",
      text: "Send",
    });
    var form = el(
      "form",
      {
        id: "sw-transcript-form",
        className: "sw-transcript-form",
        "data-testid": "sw-transcript-form",
        "aria-label": "Email me this chat",
        novalidate: true, // the gateway says what is wrong with an address, in the chat
        hidden: true,
      },
      [
        el("label", {
          className: "sw-transcript-label",
          for: "sw-transcript-email",
          text: "Your email",
        }),
        el("div", { className: "sw-transcript-row" }, [this.transcriptEmail, this.transcriptSend]),
        el("p", {
          id: "sw-transcript-note",
          className: "sw-transcript-note",
          text: "We use this address only to send this transcript",
        }),
      ]
    );
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      this.sendTranscript();
    }.bind(this));
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation(); // the form closes, the chat stays open
        this.closeTranscriptForm();
      }
    }.bind(this));
    this.transcriptForm = form;
    return form;
  };

  Widget.prototype.toggleTranscriptForm = function () {
    if (this.transcriptForm.hidden) {
      this.transcriptForm.hidden = false;
      this.transcriptToggle.setAttribute("aria-expanded", "true");
      this.transcriptEmail.focus();
    } else {
      this.closeTranscriptForm();
    }
  };

  Widget.prototype.closeTranscriptForm = function () {
    this.transcriptForm.hidden = true;
    this.transcriptToggle.setAttribute("aria-expanded", "false");
    this.transcriptToggle.focus();
  };

  Widget.prototype.sendTranscript = function () {
    var widget = this;
    var email = widget.transcriptEmail.value.trim();
    var body = { session_id: widget.store.data.sessionId || null };
    if (email) {
      body.email = email;
    }
    widget.transcriptSend.disabled = true;
    postJson(widget.config.gateway, "/widget/transcript-email", body)
      .then(function (result) {
        var sentTo = result.answer.sent_to;
        if (result.ok && typeof sentTo === "string") {
          // no full stop after the address: it would read as part of it
          widget.transcriptSent("The transcript is on its way to " + sentTo, "sent");
        } else {
          widget.transcriptSent(sentence(result.answer.error, NO_ANSWER), "refused");
        }
      })
      .catch(function () {
        widget.transcriptSent(NO_ANSWER, "refused");
      });
  };

  // The outcome as a line in the chat; sent: the form closes, refused: it stays to fix the address.
  Widget.prototype.transcriptSent = function (text, outcome) {
    this.transcriptSend.disabled = false;
    this.transcriptForm.setAttribute("data-outcome", outcome);
    this.addMessage({ sender: "system", text: text, event: EVENT });
    if (outcome === "sent") {
      this.transcriptEmail.value = "";
      this.closeTranscriptForm();
    }
  };
}
