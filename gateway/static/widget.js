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
 *   botCsat (data-bot-csat="false") leave CSAT out of the survey after "Yes, that helped"
 *                                   (the effort question stays); default: asked
 *   customer (JSON only)            {id, tier, signature}: claims the site's backend signed
 *
 * This file reads the options and imports the widget's modules from its own folder:
 * widget-chat.js (state and events), widget-panel.js (elements), widget-render.js (drawing),
 * widget-survey.js (the survey card), widget-socket.js (the socket.io client), widget-store.js
 * (localStorage), widget-resume.js (a resume link from a follow-up email), widget-transcript.js
 * ("Email me this chat": the transcript by email), widget-dom.js.
 *
 * A page opened from a resume link (`...#resume=<token>`) reopens that conversation: the token
 * leaves the address bar at once, the widget trades it for a session (POST /widget/resume),
 * shows the conversation so far and opens; a refused link says why in the chat.
 *
 * It talks socket.io v4 (engine.io 4 over WebSocket) to the gateway: session_request ->
 * session_confirm, user_uttered -> bot_uttered, plus handoff_status, cancel_handoff,
 * survey_request, survey -> survey_saved and gateway_error. Session id, the last 100 messages,
 * the handoff state and the survey (asked once per session) are kept in localStorage, so a
 * reload continues the same chat.
 * Everything a customer or agent typed is rendered with textContent; only bot messages get
 * links, and only to http(s) addresses.
 *
 * Stable hooks for tests (data-testid, all inside #support-widget):
 *   support-widget root: data-connection = connecting | connected | offline | refused,
 *                  data-handoff-state = bot | waiting | agent | closed,
 *                  data-resume = pending | resumed | refused (after a resume link)
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
 *   sw-transcript  "Email me this chat" in the header (aria-expanded), opening sw-transcript-form
 *                  (data-outcome sent | refused) with sw-transcript-email and sw-transcript-send;
 *                  the outcome is a sw-message from system with data-event="transcript_email"
 *   sw-survey      the survey card (data-audience bot | agent): sw-csat and sw-ces (the two
 *                  questions) with sw-csat-rating / sw-ces-rating (data-rating, aria-pressed),
 *                  sw-csat-comment (agent chats), sw-survey-submit, sw-survey-skip,
 *                  sw-survey-error, sw-survey-thanks (data-state saved | already | closed)
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

  function readConfig(tag) {
    var config = {
      title: "Help",
      subtitle: "We usually answer right away",
      welcome: "Hi! Ask me anything.",
      initPayload: "/greet",
      open: false,
      botCsat: true,
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
    if (data.botCsat !== undefined) {
      config.botCsat = data.botCsat !== "false";
    }
    config.botCsat = config.botCsat !== false;
    var gateway = new URL(String(config.gateway), document.baseURI);
    if (gateway.protocol !== "https:" && gateway.protocol !== "http:") {
      throw new Error("support widget: gateway must be an http(s) address");
    }
    config.gateway = gateway.origin;
    return config;
  }

  // A resume link (`#resume=<token>`, widget-resume.js): the token leaves the address bar
  // at once, before the modules load, and goes to the widget in its config.
  function takeResumeToken() {
    var hash = window.location.hash.replace(/^#/, "");
    var params = new URLSearchParams(hash);
    var token = hash ? params.get("resume") : null;
    if (!token) {
      return null;
    }
    params.delete("resume");
    var rest = params.toString();
    var address = window.location.pathname + window.location.search + (rest ? "#" + rest : "");
    try {
      window.history.replaceState(window.history.state, "", address);
    } catch (error) {
      window.location.hash = rest;
    }
    return token;
  }

  var config;
  try {
    config = readConfig(script);
  } catch (error) {
    console.error(error);
    return;
  }
  config.resumeToken = takeResumeToken();
  // the widget's modules come from the folder widget.js came from
  import(new URL("widget-chat.js", script.src).href)
    .then(function (chat) {
      chat.start(config);
    })
    .catch(function (error) {
      console.error("support widget: could not load", error);
    });
})();
