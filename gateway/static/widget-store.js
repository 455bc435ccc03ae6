// The support widget's conversation kept in localStorage: session id, the last messages, the
// handoff state and whether a rating is open, so a reload continues the same chat.

export const MAX_STORED_MESSAGES = 100;
const SENDERS = ["customer", "bot", "agent", "system"];

export function Store(origin) {
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
