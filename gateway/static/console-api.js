/*
 * The agent console's connection to the gateway: JSON calls to /console/api/* (passed on to
 * the service's agent API with the agent's token) and the live events of
 * /console/api/events, read with fetch() streaming so the token stays in a header (EventSource
 * cannot send one) and never goes into a URL.
 */

const RECONNECT_MS = [1000, 2000, 5000, 10000];

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(token, method, path, body) {
  const headers = { Authorization: "Bearer " + token, Accept: "application/json" };
  const options = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch("/console/api/" + path, options);
  } catch (error) {
    throw new ApiError(0, "the console cannot reach the gateway");
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, (data && data.error) || response.statusText);
  return data;
}

/* A CSV export (GET): saved as the file the service names (Content-Disposition); the token
   stays in the header, so the browser gets the file from memory, not from a link. */
export async function download(token, path) {
  let response;
  try {
    response = await fetch("/console/api/" + path, {
      headers: { Authorization: "Bearer " + token, Accept: "text/csv" },
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "the console cannot reach the gateway");
  }
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    throw new ApiError(response.status, (data && data.error) || response.statusText);
  }
  const disposition = response.headers.get("Content-Disposition") || "";
  const named = /filename="([^"]+)"/.exec(disposition);
  const name = named ? named[1] : "export.csv";
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return name;
}

/* What to tell the agent about a failed call. */
export function explain(error) {
  const detail = error.message || "unknown error";
  switch (error.status) {
    case 0: return "Cannot reach the console's server. Check your connection and try again.";
    case 401: return "Your token is not valid any more. Sign in again.";
    case 403: return "Not allowed: " + detail + ".";
    case 409: return "Someone else got there first, or you are at capacity: " + detail + ".";
    case 413: return "That is too long to send.";
    case 429: return "Too many requests from this address; wait a moment and try again.";
    case 503: return "The agent service is not available right now; try again shortly.";
    default: return "That did not work: " + detail + ".";
  }
}

/*
 * Keep a live event stream open until stop() is called; reconnects with back-off.
 * handlers: onEvent(name, data), onLive(isLive, missedSome), onRefused() for a 401.
 */
export function openEvents(token, handlers) {
  let stopped = false;
  let controller = null;
  let failures = 0;

  async function connect() {
    controller = new AbortController();
    try {
      const response = await fetch("/console/api/events", {
        headers: { Authorization: "Bearer " + token, Accept: "text/event-stream" },
        cache: "no-store",
        signal: controller.signal,
      });
      if (response.status === 401) {
        handlers.onRefused();
        return;
      }
      if (response.ok && response.body) await read(response.body.getReader(), dispatch);
    } catch (error) {
      if (stopped) return;
    }
    if (stopped) return;
    handlers.onLive(false, false);
    const delay = RECONNECT_MS[Math.min(failures, RECONNECT_MS.length - 1)];
    failures += 1;
    setTimeout(() => {
      if (!stopped) connect();
    }, delay);
  }

  function dispatch(name, data) {
    if (name === "ready") {
      handlers.onLive(true, failures > 0);
      failures = 0;
    } else if (name === "unavailable") {
      handlers.onLive(false, false);
    } else {
      handlers.onEvent(name, data);
    }
  }

  connect();
  return {
    stop() {
      stopped = true;
      if (controller) controller.abort();
    },
  };
}

async function read(reader, dispatch) {
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const parsed = parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (parsed) dispatch(parsed.name, parsed.data);
    }
  }
}

/* One Server-Sent-Events block; null for a comment (the heartbeat). */
function parse(block) {
  let name = "message";
  let data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) name = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (!data) return null;
  try {
    return { name, data: JSON.parse(data) };
  } catch (error) {
    return null;
  }
}
