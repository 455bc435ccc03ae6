/*
 * The content team's view (#content, role content or supervisor; docs/content.md): the gap
 * topics, the drafts (try one, publish it), agents' answers as suggestions and article
 * performance. Text goes in with textContent only (console-dom.js).
 *
 * Stable data-testid attributes: content-topic, content-topic-draft, content-recluster,
 * content-draft, content-edit,
 * content-draft-text, content-save, content-try, content-try-result, content-publish, content-suggestion, content-make-draft,
 * content-performance-row, content-notice, content-topic-choice.
 */

import { ApiError, explain } from "./console-api.js";
import { $, clear, element, number, share } from "./console-dom.js";

const PUBLISH_REFUSALS = {
  400: "The draft was not published: its file cannot be read (",
  404: "The draft was not published: the file is gone (",
  409: "The draft was not published: it changed or was published since you looked (",
};

const SAVE_REFUSALS = {
  404: "The draft was not saved: the file is gone (",
  409: "The draft was not saved: it changed or was published since you opened it (",
};

let call = null; // the console's api call, with the signed-in token
let topics = []; // the gap topics last listed (their questions feed a draft's try)

export function createContent(apiCall) {
  call = apiCall;
  $("content-recluster").addEventListener("click", recluster);
  return { open };
}

function notice(text) {
  $("content-notice").textContent = text;
  $("content-notice").hidden = !text;
}

async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    notice(explain(error));
    return null;
  }
}

async function open() {
  notice("");
  for (const id of ["content-topics", "content-drafts", "content-suggestions"]) {
    clear($(id));
    $(id).appendChild(element("li", { text: "Loading…", className: "empty" }));
  }
  await Promise.all([loadTopics(), loadDrafts(), loadSuggestions(), loadPerformance()]);
}

async function loadTopics() {
  const answer = await attempt(() => call("GET", "content/topics"));
  if (!answer) return;
  topics = answer.topics;
  $("content-topics-summary").textContent = answer.questions + " unanswered questions in the last "
    + answer.window_days + " days: " + count(answer.topic_count, "topic") + ", " + answer.unclustered + " alone.";
  const list = $("content-topics");
  clear(list);
  for (const topic of topics) list.appendChild(topicItem(topic));
  if (!topics.length) list.appendChild(element("li", { text: "No gap topics.", className: "empty" }));
  fillTopicChoice();
}

function topicItem(topic) {
  const article = topic.closest_article;
  let closest = "No closest article.";
  if (article && article.answers) {
    closest = "Answered now by “" + article.title + "” (score " + number(article.score) + "): customers asking this get it.";
  } else if (article) {
    closest = "Closest article: " + article.title + " (score " + number(article.score) + ")";
  }
  const examples = element("details", {}, [
    element("summary", { text: topic.examples.length + " other questions" }),
    element("ul", {}, topic.examples.map((text) => element("li", { text }))),
  ]);
  const draft = element("button", { text: "Make a draft", testid: "content-topic-draft", attrs: { type: "button" } });
  draft.addEventListener("click", () => draftForTopic(topic));
  return element("li", { className: "content-item", testid: "content-topic" }, [
    element("strong", { text: topic.representative }),
    element("p", { text: topic.size + " questions; " + topic.last_7_days + " in 7 days, "
      + topic.last_30_days + " in 30 days; " + topic.handoffs + " ended in a handoff." }),
    element("p", { text: closest }),
    examples,
    element("div", { className: "actions" }, [draft]),
  ]);
}

// A draft titled by the topic's question, its questions attached; its answer is written with
// Edit (publishing refuses it until then).
async function draftForTopic(topic) {
  notice("");
  const drafted = await attempt(() => call("POST", "content/topics/" + encodeURIComponent(topic.topic_id) + "/draft"));
  if (!drafted) return;
  notice("Draft " + drafted.article_id + " made with the topic's questions: write its answer with Edit, then try and publish it.");
  await loadDrafts();
}

function fillTopicChoice() {
  const choice = $("content-topic-choice");
  clear(choice);
  choice.appendChild(element("option", { text: "No topic's questions", attrs: { value: "" } }));
  topics.forEach((topic, index) => choice.appendChild(
    element("option", { text: topic.representative, attrs: { value: String(index) } })));
}

async function recluster() {
  notice("");
  const answer = await attempt(() => call("POST", "content/topics/recluster"));
  if (answer) await loadTopics();
}

async function loadDrafts() {
  const answer = await attempt(() => call("GET", "content/drafts"));
  if (!answer) return;
  const list = $("content-drafts");
  clear(list);
  for (const draft of answer.drafts) list.appendChild(draftItem(draft));
  for (const problem of answer.problems) {
    list.appendChild(element("li", { text: problem.file + " cannot be read: " + problem.problem, className: "empty" }));
  }
  if (!answer.drafts.length) list.appendChild(element("li", { text: "No drafts.", className: "empty" }));
}

function draftItem(draft) {
  const result = element("div", { testid: "content-try-result", attrs: { hidden: "" } });
  const editor = element("div", { className: "content-editor", attrs: { hidden: "" } });
  const editButton = element("button", { text: "Edit", testid: "content-edit", attrs: { type: "button" } });
  const tryButton = element("button", { text: "Try", testid: "content-try", attrs: { type: "button" } });
  const publishButton = element("button", { text: "Publish", testid: "content-publish", attrs: { type: "button" } });
  editButton.addEventListener("click", () => editDraft(draft, editor));
  tryButton.addEventListener("click", () => tryDraft(draft, result));
  publishButton.addEventListener("click", () => publishDraft(draft, result));
  return element("li", { className: "content-item", testid: "content-draft", attrs: { "data-article-id": draft.article_id } }, [
    element("strong", { text: draft.title }),
    element("p", { text: draft.article_id + " (" + draft.file + "), version " + draft.article_version + ", updated " + draft.updated }),
    element("div", { className: "actions" }, [editButton, tryButton, publishButton]),
    editor,
    result,
  ]);
}

// The draft's markdown in a text box; Save writes it if the file is still the version opened
// (a 409 or 400 says why not, and the text stays in the box to copy or fix).
async function editDraft(draft, editor) {
  notice("");
  const opened = await attempt(() => call("GET", "content/drafts/" + encodeURIComponent(draft.article_id)));
  if (!opened) return;
  clear(editor);
  const text = element("textarea", { testid: "content-draft-text", attrs: { rows: "16", "aria-label": "The draft's markdown" } });
  text.value = opened.text;
  const save = element("button", { text: "Save", testid: "content-save", attrs: { type: "button" } });
  const cancel = element("button", { text: "Cancel", className: "secondary", attrs: { type: "button" } });
  save.addEventListener("click", () => saveDraft(opened, text.value));
  cancel.addEventListener("click", () => { editor.hidden = true; clear(editor); });
  editor.append(text, element("div", { className: "actions" }, [save, cancel]));
  editor.hidden = false;
  text.focus();
}

async function saveDraft(opened, text) {
  notice("");
  const path = "content/drafts/" + encodeURIComponent(opened.article_id);
  try {
    await call("PUT", path, { text, expected_file_version: opened.file_version });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const refusal = SAVE_REFUSALS[error.status];
    if (error.status === 400) notice(error.message.charAt(0).toUpperCase() + error.message.slice(1) + ".");
    else notice(refusal ? refusal + error.message + ")." : explain(error));
    return;
  }
  notice("Saved " + opened.title + ".");
  await loadDrafts();
}

async function tryDraft(draft, result) {
  notice("");
  const chosen = topics[Number($("content-topic-choice").value)];
  const body = $("content-topic-choice").value && chosen
    ? { questions: [chosen.representative, ...chosen.examples] } : {};
  const answer = await attempt(() => call("POST", "content/drafts/" + encodeURIComponent(draft.article_id) + "/try", body));
  if (!answer) return;
  clear(result);
  result.hidden = false;
  for (const node of tryNodes(answer)) result.appendChild(node);
}

function tryNodes(answer) {
  const nodes = [];
  if (answer.regression) {
    nodes.push(element("p", { className: "warning", text: "Warning: this draft makes the assistant less accurate on the labelled questions." }));
  }
  nodes.push(element("p", { text: answer.now_answered.length + " questions newly answered, "
    + answer.changed.length + " answers changed, of " + answer.questions_replayed + " replayed." }));
  nodes.push(element("ul", {}, answer.now_answered.map((entry) =>
    element("li", { text: "Now answered: " + entry.question + " (section " + (entry.section || "introduction") + ")" }))));
  nodes.push(element("ul", {}, answer.changed.map((entry) =>
    element("li", { text: "Changed: " + entry.question + ": " + answerText(entry.before) + " → " + answerText(entry.after) }))));
  const before = answer.accuracy.before;
  const after = answer.accuracy.after;
  nodes.push(element("p", { text: "On the labelled questions: top-1 accuracy " + share(before.top1_accuracy) + " → "
    + share(after.top1_accuracy) + "; answered correctly " + share(before.answered_correctly) + " → "
    + share(after.answered_correctly) + "." }));
  return nodes;
}

function answerText(shown) {
  if (!shown || !shown.article_id || shown.level !== "answer") return "no answer";
  return shown.article_id + (shown.section ? " / " + shown.section : "");
}

async function publishDraft(draft, result) {
  notice("");
  try {
    await call("POST", "content/articles/" + encodeURIComponent(draft.article_id) + "/publish",
      { expected_version: draft.article_version });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const refusal = PUBLISH_REFUSALS[error.status];
    notice(refusal ? refusal + error.message + ")." : explain(error));
    return;
  }
  notice("Published " + draft.title + ": customers get it within a second.");
  await loadDrafts();
}

async function loadSuggestions() {
  const answer = await attempt(() => call("GET", "content/suggestions"));
  if (!answer) return;
  const list = $("content-suggestions");
  clear(list);
  for (const suggestion of answer.suggestions) list.appendChild(suggestionItem(suggestion));
  if (!answer.suggestions.length) list.appendChild(element("li", { text: "No suggestions.", className: "empty" }));
}

function suggestionItem(suggestion) {
  const button = element("button", { text: "Make a draft", testid: "content-make-draft", attrs: { type: "button" } });
  if (suggestion.draft_article_id) button.disabled = true;
  button.addEventListener("click", async () => {
    notice("");
    const drafted = await attempt(() => call("POST", "content/suggestions/" + encodeURIComponent(suggestion.id) + "/draft"));
    if (!drafted) return;
    notice("Draft " + drafted.article_id + " made (" + drafted.file + ").");
    await Promise.all([loadDrafts(), loadSuggestions()]);
  });
  return element("li", { className: "content-item", testid: "content-suggestion" }, [
    element("strong", { text: suggestion.question }),
    element("p", { text: suggestion.answer }),
    element("p", { text: suggestion.draft_article_id ? "Drafted as " + suggestion.draft_article_id + "." : "" }),
    button,
  ]);
}

async function loadPerformance() {
  const answer = await attempt(() => call("GET", "content/articles/performance?days=30"));
  if (!answer) return;
  const rows = $("content-performance");
  clear(rows);
  for (const article of answer.articles) {
    const name = element("td", {}, [
      element("span", { text: article.title || article.article_id }),
      element("small", { className: "muted", text: article.title ? " " + article.article_id : " (no longer published)" }),
    ]);
    const cells = [article.shown, article.offered, article.helpful, article.not_helpful,
      article.handoffs_after, article.csat.mean === null ? "–" : number(article.csat.mean)];
    rows.appendChild(element("tr", { testid: "content-performance-row", attrs: { "data-article-id": article.article_id } },
      [name, ...cells.map((text) => element("td", { text }))]));
  }
}

function count(n, noun) {
  return n + " " + noun + (n === 1 ? "" : "s");
}
