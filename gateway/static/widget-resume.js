// The resume link: a follow-up email links to the company's page as `...#resume=<token>`
// (gateway/resume.py). widget.js takes the token out of the address bar before anything else
// runs (it must not stay in the history, a bookmark or a shared screenshot) and passes it as
// config.resumeToken; the widget posts it to the gateway's /widget/resume (in the body, never
// in a URL), and on success keeps the new session and the conversation so far in its store,
// opens the chat and connects with that session. A refusal ("this link has expired - ...") is
// shown as chat text (textContent). data-resume on the root: pending | resumed | refused.

import { postJson, sentence } from "./widget-http.js";

const SENDERS = { customer: "customer", bot: "bot", agent: "agent" };
const NO_ANSWER =
  "The chat could not be reopened: the connection failed. Please open the link in the email again.";

// The gateway's turns ({from, text, agent_name?}) as the store keeps messages.
function storedMessages(turns) {
  if (!Array.isArray(turns)) {
    return [];
  }
  return turns
    .filter(function (turn) {
      return turn && SENDERS[turn.from] && typeof turn.text === "string";
    })
    .map(function (turn) {
      var message = { sender: SENDERS[turn.from], text: turn.text };
      if (turn.from === "agent" && typeof turn.agent_name === "string") {
        message.agentName = turn.agent_name;
      }
      return message;
    });
}

export function installResume(Widget) {
  // Called by the constructor with the token widget.js took; the session request waits for it.
  Widget.prototype.resume = function (token) {
    var widget = this;
    widget.resuming = true;
    widget.root.setAttribute("data-resume", "pending");
    postJson(widget.config.gateway, "/widget/resume", { token: token })
      .then(function (result) {
        if (result.ok && typeof result.answer.session_id === "string") {
          widget.resumed(result.answer);
        } else {
          widget.resumeRefused(result.answer.error);
        }
      })
      .catch(function () {
        widget.resumeRefused(null);
      });
  };

  Widget.prototype.resumed = function (answer) {
    this.resuming = false;
    this.store.reset(answer.session_id);
    this.store.data.messages = storedMessages(answer.messages);
    this.store.save();
    this.greetOnOpen = false; // the conversation is under way: no greeting
    this.root.setAttribute("data-resume", "resumed");
    this.renderAll();
    this.open();
    if (this.socket.connected) {
      this.requestSession();
    }
  };

  Widget.prototype.resumeRefused = function (reason) {
    this.resuming = false;
    this.root.setAttribute("data-resume", "refused");
    var notice = { sender: "system", text: sentence(reason, NO_ANSWER), event: "resume_refused" };
    this.addMessage(notice);
    // a browser without a chat gets a new one at its session request, which starts an empty
    // log: the notice is shown again there (widget-chat.js onSessionConfirm)
    this.resumeNotice = this.store.data.sessionId ? null : notice;
    this.open();
    if (this.socket.connected) {
      this.requestSession(); // the chat this browser had, if any, goes on
    }
  };
}
