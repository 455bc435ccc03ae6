// The support widget's survey: CSAT (1-5) and customer effort (CES, 1-7), or Skip, after the
// customer pressed "Yes, that helped" and after an agent resolved the chat. The gateway sends
// `survey_request` {session, audience, questions, comment} with each question's scale and
// wording (gateway/protocol.py); the answers go back as `survey` {csat?, ces?, comment?} or
// {skipped: true}, and `survey_saved` {skipped, already_recorded} closes it. At most one survey
// per session: the store keeps the session it was asked for and what became of it, so a
// reload or a second request for the same session never asks again (and the service refuses a
// second survey anyway). The site may leave CSAT out of the assistant's survey (botCsat: false).

import { el } from "./widget-dom.js";

const STATES = ["open", "saved", "skipped", "already", "closed"];
const CLOSING_WORDS = {
  saved: "Thank you for your feedback!",
  already: "Your answers for this chat were already recorded. Thank you!",
  closed: "This chat can no longer be rated.",
};

// A stored survey as the store may keep it, or null (anything else is dropped).
export function storedSurvey(value) {
  if (!value || typeof value !== "object" || typeof value.session !== "string") {
    return null;
  }
  if (STATES.indexOf(value.state) < 0 || !Array.isArray(value.questions)) {
    return null;
  }
  return {
    session: value.session,
    audience: value.audience === "agent" ? "agent" : "bot",
    questions: value.questions.filter(isQuestion),
    comment: value.comment === true,
    state: value.state,
    shown: value.shown !== false,
  };
}

function isQuestion(question) {
  return (
    question &&
    typeof question.name === "string" &&
    typeof question.text === "string" &&
    Array.isArray(question.scale) &&
    question.scale.length === 2 &&
    question.scale.every(Number.isInteger) &&
    question.scale[0] < question.scale[1] &&
    question.scale[1] - question.scale[0] <= 10
  );
}

export function installSurvey(Widget) {
  Widget.prototype.onSurveyRequest = function (data) {
    var request = storedSurvey({
      session: data && data.session,
      audience: data && data.audience,
      questions: data && data.questions,
      comment: data && data.comment,
      state: "open",
    });
    var current = this.store.data.survey;
    if (!request || (current && current.session === request.session)) {
      return; // never asked twice for one session
    }
    if (request.audience === "bot" && this.config.botCsat === false) {
      request.questions = request.questions.filter(function (question) {
        return question.name !== "csat";
      });
    }
    if (!request.questions.length) {
      return;
    }
    this.store.data.survey = request;
    this.store.save();
    this.renderSurvey();
    this.scrollToEnd();
  };

  Widget.prototype.onSurveySaved = function (data) {
    var survey = this.store.data.survey;
    if (!survey) {
      return;
    }
    survey.state = data && data.already_recorded ? "already" : data && data.skipped ? "skipped" : "saved";
    survey.shown = survey.state !== "skipped";
    this.store.save();
    this.renderSurvey();
    if (this.surveyCard && !this.panel.hidden) {
      this.surveyCard.firstChild.focus(); // the form that had focus is gone
    }
  };

  // What a gateway_error means for an open survey; true when it was about the survey.
  Widget.prototype.onSurveyError = function (code, text) {
    var survey = this.store.data.survey;
    this.enableSurvey(true); // whatever failed can be tried again
    if (code !== "invalid_survey" && code !== "survey_not_open") {
      return false;
    }
    if (code === "survey_not_open" && survey) {
      survey.state = "closed";
      this.store.save();
      this.renderSurvey();
    } else if (this.surveyError) {
      this.surveyError.textContent = text.charAt(0).toUpperCase() + text.slice(1) + ".";
    }
    return true;
  };

  // The customer moved on: a closing word goes, an open question stays.
  Widget.prototype.surveyMovedOn = function () {
    var survey = this.store.data.survey;
    if (survey && survey.state !== "open" && survey.shown) {
      survey.shown = false;
      this.store.save();
    }
  };

  Widget.prototype.renderSurvey = function () {
    if (this.surveyCard) {
      this.surveyCard.remove();
      this.surveyCard = null;
      this.surveyError = null;
    }
    var survey = this.store.data.survey;
    if (!survey || !survey.shown) {
      return;
    }
    if (survey.state === "open") {
      this.surveyCard = this.buildSurveyForm(survey);
    } else if (CLOSING_WORDS[survey.state]) {
      this.surveyCard = el("li", { className: "sw-survey", "data-testid": "sw-survey" }, [
        el("p", {
          className: "sw-survey-thanks",
          "data-testid": "sw-survey-thanks",
          "data-state": survey.state,
          tabindex: "-1",
          text: CLOSING_WORDS[survey.state],
        }),
      ]);
    }
    if (this.surveyCard) {
      this.log.appendChild(this.surveyCard);
    }
  };

  Widget.prototype.enableSurvey = function (enabled) {
    if (this.surveySubmit) {
      this.surveySubmit.disabled = !enabled || !Object.keys(this.surveyAnswers || {}).length;
    }
    if (this.surveySkip) {
      this.surveySkip.disabled = !enabled;
    }
  };

  Widget.prototype.sendSurvey = function (payload) {
    this.surveyError.textContent = "";
    this.enableSurvey(false);
    if (!this.socket.emit("survey", payload)) {
      this.surveyError.textContent = "Not connected; try again in a moment.";
      this.enableSurvey(true);
    }
  };

  Widget.prototype.buildSurveyForm = function (survey) {
    var widget = this;
    widget.surveyAnswers = {};
    var parts = survey.questions.map(function (question) {
      return buildQuestion(question, function (value) {
        widget.surveyAnswers[question.name] = value;
        widget.enableSurvey(true);
      });
    });
    var comment = null;
    if (survey.comment) {
      comment = el("textarea", {
        className: "sw-survey-comment",
        "data-testid": "sw-csat-comment",
        "aria-label": "Anything you'd like to add? (optional)",
        placeholder: "Anything you'd like to add? (optional)",
        maxlength: "1000",
        rows: "2",
      });
      parts.push(comment);
    }
    widget.surveySubmit = el("button", {
      type: "submit",
      className: "sw-survey-submit",
      "data-testid": "sw-survey-submit",
      text: "Send",
      disabled: true,
    });
    widget.surveySkip = el("button", {
      type: "button",
      className: "sw-survey-skip",
      "data-testid": "sw-survey-skip",
      text: "Skip",
    });
    widget.surveySkip.addEventListener("click", function () {
      widget.sendSurvey({ skipped: true });
    });
    widget.surveyError = el("p", {
      className: "sw-survey-error",
      "data-testid": "sw-survey-error",
      role: "alert",
    });
    parts.push(
      el("div", { className: "sw-survey-actions" }, [widget.surveySubmit, widget.surveySkip]),
      widget.surveyError
    );
    var form = el("form", { className: "sw-survey-form", "aria-label": "Survey" }, parts);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var payload = Object.assign({}, widget.surveyAnswers);
      if (!Object.keys(payload).length) {
        widget.surveyError.textContent = "Choose an answer first, or skip.";
        return;
      }
      if (comment && comment.value.trim()) {
        payload.comment = comment.value.trim();
      }
      widget.sendSurvey(payload);
    });
    return el(
      "li",
      { className: "sw-survey", "data-testid": "sw-survey", "data-audience": survey.audience },
      [form]
    );
  };
}

// One question: its text, a toggle button per point of the scale and the scale's two ends.
function buildQuestion(question, onChoose) {
  var low = question.scale[0];
  var high = question.scale[1];
  var id = "sw-q-" + question.name;
  var ratings = el("div", {
    className: "sw-survey-ratings",
    role: "group",
    "aria-labelledby": id,
  });
  for (var value = low; value <= high; value += 1) {
    var words = value === low ? question.low : value === high ? question.high : null;
    ratings.appendChild(
      el("button", {
        type: "button",
        className: "sw-survey-rating",
        "data-testid": "sw-" + question.name + "-rating",
        "data-rating": String(value),
        "aria-pressed": "false",
        "aria-label": value + " of " + high + (words ? " (" + words + ")" : ""),
        text: String(value),
      })
    );
  }
  ratings.addEventListener("click", function (event) {
    var button = event.target.closest(".sw-survey-rating");
    if (!button) {
      return;
    }
    var buttons = ratings.querySelectorAll(".sw-survey-rating");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].setAttribute("aria-pressed", buttons[i] === button ? "true" : "false");
    }
    onChoose(Number(button.getAttribute("data-rating")));
  });
  var ends = el("p", { className: "sw-survey-ends", "aria-hidden": "true" }, [
    el("span", { text: question.low || String(low) }),
    el("span", { text: question.high || String(high) }),
  ]);
  return el("div", { className: "sw-survey-question", "data-testid": "sw-" + question.name }, [
    el("p", { className: "sw-survey-text", id: id, text: question.text }),
    ratings,
    ends,
  ]);
}
