// The support widget's conversation kept in localStorage: session id, the last messages, the
// handoff state and the survey (the session it was asked for and what became of it), so a
// reload continues the same chat and never asks the same survey twice.

import { storedSurvey } from "./widget-survey.js";

export const MAX_STORED_MESSAGES = 100;
const SENDERS = ["customer", "bot", "agent", "system"];

export function Store(origin) {
  this.key = "support-widget:" + origin;
  this.data = { sessionId: null, messages: [], handoff: null, survey: null };
  try {
    var saved = JSON.parse(window.localStorage.getItem(this.key) || "null");
    if (saved && typeof saved === "object") {
      this.data.sessionId = typeof saved.sessionId === "string" ? saved.sessionId : null;
      this.data.messages = Array.isArray(saved.messages) ? saved.messages.filter(isMessage) : [];
      this.data.handoff = saved.handoff && typeof saved.handoff === "object" ? saved.handoff : null;
      this.data.survey = storedSurvey(saved.survey);
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
  this.data = { sessionId: sessionId, messages: [], handoff: null, survey: null };
  this.save();
};
