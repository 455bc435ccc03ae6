// The support widget's socket.io v4 client over the browser WebSocket (no third-party code):
// engine.io open/ping/pong/message packets, socket.io CONNECT, DISCONNECT, EVENT and
// CONNECT_ERROR, reconnecting with exponential back-off and jitter.

const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30000;

// engine.io packet types: 0 open, 1 close, 2 ping, 3 pong, 4 message;
// socket.io packet types (inside an engine.io message): 0 CONNECT, 1 DISCONNECT, 2 EVENT,
// 4 CONNECT_ERROR.
export function SocketClient(origin, handlers) {
  this.url = origin.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket";
  this.handlers = handlers;
  this.ws = null;
  this.connected = false;
  this.attempts = 0;
  this.heartbeat = null;
  this.reconnectTimer = null;
}

SocketClient.prototype.open = function () {
  var client = this;
  client.reconnectTimer = null;
  var ws;
  try {
    ws = new WebSocket(client.url);
  } catch (error) {
    client.retry();
    return;
  }
  client.ws = ws;
  ws.onmessage = function (event) {
    if (typeof event.data === "string") {
      client.receive(event.data);
    }
  };
  ws.onclose = function () {
    if (client.ws !== ws) {
      return;
    }
    client.ws = null;
    client.connected = false;
    clearTimeout(client.heartbeat);
    client.handlers.state(client.refused ? "refused" : "offline");
    client.retry();
  };
  ws.onerror = function () {
    /* onclose follows and schedules the reconnect */
  };
};

SocketClient.prototype.retry = function () {
  if (this.reconnectTimer) {
    return;
  }
  var ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * Math.pow(2, this.attempts));
  this.attempts += 1;
  var delay = ceiling / 2 + Math.random() * (ceiling / 2);
  this.reconnectTimer = setTimeout(this.open.bind(this), delay);
};

SocketClient.prototype.armHeartbeat = function (timeoutMs) {
  var client = this;
  clearTimeout(client.heartbeat);
  client.heartbeat = setTimeout(function () {
    if (client.ws) {
      client.ws.close(); // the server stopped pinging: reconnect
    }
  }, timeoutMs);
};

SocketClient.prototype.receive = function (packet) {
  var kind = packet.charAt(0);
  if (kind === "0") {
    var handshake = JSON.parse(packet.slice(1));
    this.pingWindow = (handshake.pingInterval || 25000) + (handshake.pingTimeout || 20000);
    this.armHeartbeat(this.pingWindow);
    this.refused = false;
    this.ws.send("40");
  } else if (kind === "2") {
    this.ws.send("3");
    this.armHeartbeat(this.pingWindow);
  } else if (kind === "1") {
    this.ws.close();
  } else if (kind === "4") {
    this.receiveSocketIo(packet.slice(1));
  }
};

SocketClient.prototype.receiveSocketIo = function (packet) {
  var kind = packet.charAt(0);
  if (kind === "0") {
    this.connected = true;
    this.attempts = 0;
    this.handlers.state("connected");
    this.handlers.connected();
  } else if (kind === "1") {
    this.ws.close();
  } else if (kind === "4") {
    this.refused = true; // e.g. this site's origin is not allowed
    this.ws.close();
  } else if (kind === "2") {
    var body = packet.slice(1).replace(/^\d+/, ""); // an ack id, if any
    var event;
    try {
      event = JSON.parse(body);
    } catch (error) {
      return;
    }
    if (Array.isArray(event) && typeof event[0] === "string") {
      this.handlers.event(event[0], event[1]);
    }
  }
};

SocketClient.prototype.emit = function (name, data) {
  if (!this.connected || !this.ws) {
    return false;
  }
  this.ws.send("42" + JSON.stringify([name, data]));
  return true;
};
