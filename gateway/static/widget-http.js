// The widget's own HTTP calls to the gateway (the resume link, widget-resume.js; the transcript
// by email, widget-transcript.js): a JSON POST without cookies, cache or referrer, and the
// gateway's refusals ({error, reason}) as a sentence the customer reads.

// POST `body` to the gateway's `path`; resolves {ok, answer} (answer {} when the body is not
// JSON), rejects only when the connection failed.
export function postJson(gateway, path, body) {
  return fetch(gateway + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  }).then(function (response) {
    return response.json().then(
      function (answer) {
        return { ok: response.ok, answer: answer || {} };
      },
      function () {
        return { ok: false, answer: {} };
      }
    );
  });
}

// The gateway's error text as a sentence (capital first, a full stop unless it ends with one);
// `otherwise` when there is none.
export function sentence(text, otherwise) {
  if (typeof text !== "string" || !text) {
    return otherwise;
  }
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : text + ".";
}
