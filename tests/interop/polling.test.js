"use strict";
// socket.io-client 4.8.1 over Engine.IO HTTP long-polling: default options (polling, then the
// upgrade to WebSocket), `transports: ["polling"]` across two nodes on one redis-server,
// heartbeats and maxPayload over polling, and an upgrade in the middle of a stream.

const { after, describe, it, before } = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const {
  WebSocket, startNode, once, collect, delay, emitWithAck, EVENT_TIMEOUT_MS,
} = require("./lib/harness");
const { RedisServer } = require("./lib/redis-server");

const POLLING = { transports: ["polling"] };
// The client's defaults, spelled out: the harness connects over WebSocket unless told.
const DEFAULTS = { transports: ["polling", "websocket"] };

// One raw HTTP request; resolves with {status, headers, body}.
function request(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, agent: false }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (data += chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on("error", reject);
    req.setTimeout(EVENT_TIMEOUT_MS * 3, () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.end(body);
  });
}

describe("default client options", () => {
  const node = startNode();

  it("connect over polling and upgrade to websocket", async () => {
    const socket = node.connect("/", DEFAULTS);
    const upgraded = once(socket.io.engine, "upgrade");
    await once(socket, "connect");
    const [transport] = await upgraded;
    assert.equal(transport.name, "websocket");
    assert.equal(socket.io.engine.transport.name, "websocket");
    const [reply] = await emitWithAck(socket, "join", "after-upgrade");
    assert.deepEqual(reply, { ok: true, rooms: [socket.id, "after-upgrade"].sort() });
  });

  it("the open packet offers the upgrade, with text/plain", async () => {
    const reply = await request(node.port, "GET", "/socket.io/?EIO=4&transport=polling");
    assert.equal(reply.status, 200);
    assert.equal(reply.headers["content-type"], "text/plain; charset=UTF-8");
    const open = JSON.parse(reply.body.slice(1));
    assert.deepEqual(open.upgrades, ["websocket"]);
  });

  it("an upgrade during a stream of 1 000 events loses and duplicates none", async () => {
    // The probe's "2probe" is held back until the stream runs, so that the switch happens in
    // the middle of it: events come over polling first, then over the WebSocket.
    let release;
    const probeReleased = new Promise((resolve) => (release = resolve));
    const originalSend = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data, ...rest) {
      if (data === "2probe") {
        probeReleased.then(() => originalSend.call(this, data, ...rest));
        return;
      }
      return originalSend.call(this, data, ...rest);
    };
    try {
      const sender = await node.connected("/");
      const receiver = node.connect("/", DEFAULTS);
      await once(receiver, "connect");
      assert.equal(receiver.io.engine.transport.name, "polling");
      const received = [];
      const overPolling = [];
      receiver.on("message", (message) => {
        received.push(message.data);
        if (receiver.io.engine.transport.name === "polling") overPolling.push(message.data);
      });
      const upgraded = once(receiver.io.engine, "upgrade", EVENT_TIMEOUT_MS * 3);
      const TOTAL = 1000;
      const acks = [];
      for (let n = 0; n < TOTAL; ++n) {
        acks.push(emitWithAck(sender, "send", { to: receiver.id, data: n }));
        if (n % 20 === 19) await delay(2);
        if (n === 200) release();
      }
      await Promise.all(acks);
      await upgraded;
      const deadline = Date.now() + EVENT_TIMEOUT_MS * 3;
      while (received.length < TOTAL && Date.now() < deadline) await delay(20);
      await delay(200); // anything sent twice would arrive by now
      assert.equal(receiver.io.engine.transport.name, "websocket");
      assert.ok(overPolling.length > 0, "no event arrived over polling before the upgrade");
      assert.ok(overPolling.length < TOTAL, "the upgrade did not happen during the stream");
      assert.deepEqual(received, Array.from({ length: TOTAL }, (_, n) => n));
    } finally {
      WebSocket.prototype.send = originalSend;
      release();
    }
  });
});

describe('transports: ["polling"] across two nodes on one redis-server', () => {
  const redis = new RedisServer();
  redis.ready = redis.start();
  redis.ready.catch(() => {});
  before(() => redis.ready);
  const args = async () => {
    await redis.ready;
    return ["--redis", redis.url];
  };
  const one = startNode(args);
  const two = startNode(args);
  // The redis-server goes with the suite (a node that outlives it for a moment only logs).
  after(() => redis.stop());

  it("connects to two namespaces over one session", async () => {
    const root = one.connect("/", POLLING);
    const chat = root.io.socket("/chat");
    one.clients.add(chat);
    await Promise.all([once(root, "connect"), once(chat, "connect")]);
    assert.equal(root.io.engine.transport.name, "polling");
    assert.notEqual(root.id, chat.id);
    const [reply] = await emitWithAck(chat, "join", "polled-chat");
    assert.deepEqual(reply, { ok: true, rooms: [chat.id, "polled-chat"].sort() });
  });

  it("events and acks both ways", async () => {
    const a = await one.connected("/", POLLING);
    const b = await two.connected("/", POLLING);
    // b acks what the server asks it for; a's ack is the server's answer.
    b.on("question", (message, ack) => ack({ answer: message.data * 2, by: b.id }));
    const [reply] = await emitWithAck(a, "send", {
      to: b.id, event: "question", data: 21, ack: true, timeout: 2000,
    });
    assert.deepEqual(reply, { ok: true, replies: [{ answer: 42, by: b.id }] });
  });

  it("binary both ways", async () => {
    const a = await one.connected("/", POLLING);
    const b = await two.connected("/", POLLING);
    const atB = collect(b, "message");
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    assert.deepEqual(await emitWithAck(a, "send", { to: b.id, data: { raw: bytes, list: [bytes] } }), [{ ok: true }]);
    const [message] = await atB.next();
    assert.ok(Buffer.isBuffer(message.data.raw), `not a Buffer: ${JSON.stringify(message.data.raw)}`);
    assert.deepEqual(message.data.raw, bytes);
    assert.deepEqual(message.data.list[0], bytes);
    const atA = collect(a, "message");
    await emitWithAck(b, "send", { to: a.id, data: Buffer.from("back") });
    const [back] = await atA.next();
    assert.deepEqual(back.data, Buffer.from("back"));
  });

  it("rooms and direct messages across the nodes", async () => {
    const a = await one.connected("/", POLLING);
    const b = await two.connected("/", POLLING);
    const c = await two.connected("/", POLLING);
    for (const socket of [a, b]) {
      const [joined] = await emitWithAck(socket, "join", "polled-room");
      assert.equal(joined.ok, true);
    }
    const atB = collect(b, "message");
    const atC = collect(c, "message");
    const atA = collect(a, "message");
    assert.deepEqual(await emitWithAck(a, "send", { to: "polled-room", data: "room" }), [{ ok: true }]);
    assert.deepEqual(await atB.next(), [{ from: a.id, to: "polled-room", data: "room" }]);
    assert.deepEqual(await emitWithAck(c, "send", { to: a.id, data: "direct" }), [{ ok: true }]);
    assert.deepEqual(await atA.next(), [{ from: c.id, to: a.id, data: "direct" }]);
    await Promise.all([atC.none(), atA.none(0), atB.none(0)]);
  });
});

describe("heartbeat over polling", () => {
  const node = startNode(["--ping-interval", "200", "--ping-timeout", "200", "--log", "switchboard.engineio.debug=true"]);

  it("keeps a polling client alive past 3 ping intervals", async () => {
    const socket = await node.connected("/", POLLING);
    const pings = collect(socket.io, "ping");
    for (let ping = 1; ping <= 4; ++ping) await pings.next(2000);
    assert.equal(socket.connected, true);
    const [reply] = await emitWithAck(socket, "join", "alive");
    assert.equal(reply.ok, true);
  });

  it("closes a polling session that does not answer the ping", async () => {
    const open = await request(node.port, "GET", "/socket.io/?EIO=4&transport=polling");
    const { sid } = JSON.parse(open.body.slice(1));
    const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    assert.equal((await request(node.port, "POST", path, "40")).body, "ok");
    // GETs until the ping, which is never answered.
    let packets = [];
    while (!packets.includes("2")) packets = (await request(node.port, "GET", path)).body.split("\x1e");
    await node.waitForLog(new RegExp(`closing ${sid} .*ping timeout`));
    // The next GET takes the close packet; then the sid is gone.
    assert.equal((await request(node.port, "GET", path)).body, "1");
    const gone = await request(node.port, "GET", path);
    assert.equal(gone.status, 400);
    assert.deepEqual(JSON.parse(gone.body), { code: 1, message: "Session ID unknown" });
  });
});

describe("maxPayload over polling", () => {
  const node = startNode(["--max-payload", "1000"]);

  it("a POST over maxPayload gets 413 and closes only that session", async () => {
    const bystander = await node.connected("/", POLLING);
    const offender = await node.connected("/", POLLING);
    const gone = collect(offender, "disconnect");
    offender.emit("send", { data: "x".repeat(5000) });
    // The 413, or the close packet the parked GET takes as the session ends: whichever the
    // client reads first.
    const [reason] = await gone.next(EVENT_TIMEOUT_MS * 2);
    assert.ok(["transport error", "transport close"].includes(reason), reason);
    await node.waitForLog(/payload larger than maxPayload \(1000 bytes\)/);
    const [reply] = await emitWithAck(bystander, "join", "still-here");
    assert.equal(reply.ok, true);
    assert.equal(bystander.connected, true);
  });

  it("a POST at the edge of maxPayload is accepted", async () => {
    const socket = await node.connected("/", POLLING);
    const echoed = collect(socket, "message");
    const [reply] = await emitWithAck(socket, "send", { to: socket.id, self: true, data: "y".repeat(900) });
    assert.deepEqual(reply, { ok: true });
    const [message] = await echoed.next();
    assert.equal(message.data.length, 900);
  });
});

describe("--transports", () => {
  const pollingOnly = startNode(["--transports", "polling"]);
  const websocketOnly = startNode(["--transports", "websocket"]);

  it("polling only: no upgrade offered, a WebSocket refused", async () => {
    const socket = await pollingOnly.connected("/", DEFAULTS);
    await delay(300);
    assert.equal(socket.io.engine.transport.name, "polling");
    const refused = await request(pollingOnly.port, "GET", "/socket.io/?EIO=4&transport=websocket");
    assert.deepEqual(JSON.parse(refused.body), { code: 0, message: "Transport unknown" });
  });

  it("websocket only: polling refused with code 0", async () => {
    const refused = await request(websocketOnly.port, "GET", "/socket.io/?EIO=4&transport=polling");
    assert.equal(refused.status, 400);
    assert.deepEqual(JSON.parse(refused.body), { code: 0, message: "Transport unknown" });
    const socket = await websocketOnly.connected("/");
    assert.equal(socket.io.engine.transport.name, "websocket");
  });
});
