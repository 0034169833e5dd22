"use strict";
// The shipped HAProxy configuration (resources/haproxy/haproxy.cfg) run by Debian's haproxy in
// front of real switchboard-nodes on a private redis-server: two chat nodes and one notify node.
// The official socket.io-client connects through HAProxy only, never to a node directly.
//  - sticky sessions: HAProxy's cookie keeps a long-polling session on its node; without it the
//    session's requests are spread over both nodes and fail;
//  - default-option clients (polling, then the upgrade) and WebSocket-only clients on both chat
//    nodes exchange room and direct messages across the nodes;
//  - the host and path ACLs send each service to its group of nodes;
//  - a chat node stopped with SIGTERM drains: HAProxy marks it down (its /readyz says 503) while
//    its clients, long-polling ones included, are still served there; after --drain-ms they are
//    closed, reconnect through HAProxy to the other node and keep receiving; the node exits 0.
//
// Node.js's socket.io-client keeps cookies (HAProxy's stickiness) only with
// `withCredentials: true` (its cookie jar, since 4.7): every long-polling client here sets it,
// as a browser needs nothing for it (the browser test uses the page's plain `io()`).

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { io, startNode, collect, once, emitWithAck, EVENT_TIMEOUT_MS } = require("./lib/harness");
const { RedisServer } = require("./lib/redis-server");
const { HAProxy, checkConfig, request } = require("./lib/haproxy");
const { track } = require("./lib/reaper");

// Long enough for HAProxy to mark the node down (two failed checks, 250 ms apart once the first
// failed: about a second after the SIGTERM) and for the checks made while it drains, on a
// loaded machine too.
const DRAIN_MS = 4000;
// A socket.io-client retries after 100 to 200 ms here.
const RECONNECT = { reconnectionDelay: 100, reconnectionDelayMax: 200 };

const redis = new RedisServer();
redis.ready = redis.start();
redis.ready.catch(() => {});
before(() => redis.ready);
after(() => redis.stop());

const nodeArgs = (name, extra = []) => async () => {
  await redis.ready;
  return ["--redis", redis.url, "--name", name, ...extra];
};
const chat1 = startNode(nodeArgs("chat-1", ["--drain-ms", String(DRAIN_MS)]));
const chat2 = startNode(nodeArgs("chat-2"));
const notify1 = startNode(nodeArgs("notify-1"));

let lb;
const clients = new Set();
before(async () => {
  await Promise.all([chat1.ready, chat2.ready, notify1.ready]);
  for (const node of [chat1, chat2, notify1]) track(node.child);
  lb = await new HAProxy({ chat: [chat1.port, chat2.port], notify: [notify1.port] }).start();
});
after(async () => {
  for (const client of clients) client.disconnect();
  if (lb) await lb.stop();
});

// A socket.io-client through HAProxy: `default` (polling, then the upgrade), `websocket` or
// `polling`.
function lbClient(kind, options = {}) {
  const transports = { default: undefined, websocket: ["websocket"], polling: ["polling"] }[kind];
  const client = io(lb.url, {
    ...(transports ? { transports } : {}),
    withCredentials: kind !== "websocket",
    forceNew: true,
    reconnection: false,
    timeout: EVENT_TIMEOUT_MS,
    ...options,
  });
  clients.add(client);
  return client;
}

// The name of the node `socket` is on; `what` says which client failed to answer.
async function whois(socket, what = "") {
  try {
    const [reply] = await emitWithAck(socket, "switchboard:whois");
    return reply.name;
  } catch (error) {
    throw new Error(`${what ? `${what}: ` : ""}${error.message} (connected: ${socket.connected})`);
  }
}

async function connected(client, kind) {
  const upgraded = kind === "default" ? once(client.io.engine, "upgrade") : null;
  await once(client, "connect");
  if (upgraded) await upgraded;
  return client;
}

// A client of `kind` that HAProxy put on the node named `name`: clients are opened (and kept
// open while looking, so that leastconn prefers the other node next) until one lands there.
async function clientOn(name, kind, options = {}) {
  const misses = [];
  try {
    for (let attempt = 0; attempt < 6; ++attempt) {
      const client = await connected(lbClient(kind, options), kind);
      if ((await whois(client)) === name) return client;
      misses.push(client);
    }
    throw new Error(`HAProxy never put a ${kind} client on ${name} in 6 tries`);
  } finally {
    for (const miss of misses) miss.disconnect();
  }
}

async function nameBehind(url, headers = {}) {
  const { status, body } = await request(url, { headers });
  assert.equal(status, 200, `${url} ${JSON.stringify(headers)}: ${body}`);
  return JSON.parse(body).name;
}

describe("the shipped HAProxy configuration", () => {
  it("passes haproxy -c, as shipped and with more nodes", async () => {
    for (const env of [{}, { SB_CHAT3: "127.0.0.1:1", SB_NOTIFY2: "127.0.0.1:2" }]) {
      const { code, output } = await checkConfig(env);
      assert.equal(code, 0, output);
      assert.match(output, /Configuration file is valid/);
    }
  });

  it("serves its monitor URI and, on loopback, a stats page listing every node UP", async () => {
    const health = await request(`${lb.url}/haproxy-health`);
    assert.equal(health.status, 200);
    const stats = await lb.stats();
    for (const server of ["chat/chat1", "chat/chat2", "notify/notify1"]) assert.equal(stats.get(server), "UP", server);
    assert.equal(stats.has("chat/chat3"), false, "no server for an unset SB_CHAT3");
  });

  it("keeps a long-polling session on its node by cookie, which it needs", async () => {
    const handshake = async () => {
      const { status, headers, body } = await request(`${lb.url}/socket.io/?EIO=4&transport=polling`);
      assert.equal(status, 200, body);
      const cookie = (headers["set-cookie"] || []).find((c) => c.startsWith("SERVERID_CHAT="));
      assert.ok(cookie, `HAProxy sets its cookie: ${JSON.stringify(headers)}`);
      assert.match(cookie, /^SERVERID_CHAT=chat[12]; path=\/; HttpOnly$/);
      assert.match(headers["cache-control"], /no-store|private/, "a shared cache must not keep the cookie");
      return { sid: JSON.parse(body.slice(1)).sid, cookie: cookie.split(";")[0] };
    };
    // POST a close packet: "ok" from the session's node, 400 "Session ID unknown" elsewhere.
    const close = ({ sid }, headers) =>
      request(`${lb.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: "POST",
        headers: { "content-type": "text/plain;charset=UTF-8", ...headers },
        body: "1",
      });
    const nodes = new Set();
    for (let i = 0; i < 6; ++i) {
      const session = await handshake();
      nodes.add(session.cookie);
      const { status, body } = await close(session, { cookie: session.cookie });
      assert.equal(status, 200, `with its cookie: ${body}`);
      assert.equal(body, "ok");
    }
    assert.equal(nodes.size, 2, `new sessions go to both nodes: ${[...nodes]}`);
    const statuses = [];
    for (let i = 0; i < 6; ++i) statuses.push((await close(await handshake(), {})).status);
    assert.ok(statuses.includes(400), `without the cookie some requests reach the other node: ${statuses}`);
  });

  it("carries room and direct messages between default and WebSocket-only clients on both nodes", async () => {
    const peers = {
      d1: await clientOn("chat-1", "default"),
      d2: await clientOn("chat-2", "default"),
      w1: await clientOn("chat-1", "websocket"),
      w2: await clientOn("chat-2", "websocket"),
    };
    for (const name of ["d1", "d2"]) assert.equal(peers[name].io.engine.transport.name, "websocket", `${name} upgraded`);
    const inbox = {};
    for (const [name, socket] of Object.entries(peers)) {
      inbox[name] = collect(socket, "message");
      assert.equal((await emitWithAck(socket, "join", "lobby"))[0].ok, true);
    }
    for (const [name, socket] of Object.entries(peers)) {
      assert.deepEqual(await emitWithAck(socket, "send", { to: "lobby", data: `${name} to all` }), [{ ok: true }]);
    }
    for (const [name, socket] of Object.entries(peers)) {
      const got = [];
      for (let i = 0; i < 3; ++i) got.push((await inbox[name].next())[0]);
      const expected = Object.entries(peers)
        .filter(([other]) => other !== name)
        .map(([other, s]) => ({ from: s.id, to: "lobby", data: `${other} to all` }));
      assert.deepEqual(got.sort((a, b) => a.data.localeCompare(b.data)), expected, `${name} (${socket.id})`);
    }
    // Direct messages, each to a client of the other kind on the other node.
    const pairs = [["d1", "w2"], ["w2", "d1"], ["w1", "d2"], ["d2", "w1"]];
    for (const [from, to] of pairs) {
      const data = `${from} to ${to}`;
      assert.deepEqual(await emitWithAck(peers[from], "send", { to: peers[to].id, data }), [{ ok: true }]);
      assert.deepEqual(await inbox[to].next(), [{ from: peers[from].id, to: peers[to].id, data }]);
    }
    await Promise.all(Object.values(inbox).map((box) => box.none()));
    for (const socket of Object.values(peers)) socket.disconnect();
  });

  it("routes each service to its group of nodes by host name and by path prefix", async () => {
    const chatNames = ["chat-1", "chat-2"];
    assert.equal(await nameBehind(`${lb.url}/healthz`, { host: "notify.example.com" }), "notify-1");
    assert.equal(await nameBehind(`${lb.url}/notify/healthz`), "notify-1");
    for (const [url, headers] of [
      [`${lb.url}/healthz`, { host: "chat.example.com" }],
      [`${lb.url}/chat/healthz`, {}],
      [`${lb.url}/healthz`, {}], // the default service
    ]) {
      assert.ok(chatNames.includes(await nameBehind(url, headers)), `${url} ${JSON.stringify(headers)}`);
    }
    // socket.io-clients of the notify service, by path (long-polling and its cookie
    // SERVERID_NOTIFY included) and by host name.
    const byPath = await connected(lbClient("default", { path: "/notify/socket.io/" }), "default");
    assert.equal(await whois(byPath), "notify-1");
    const byHost = await connected(lbClient("websocket", { extraHeaders: { host: "notify.example.com" } }), "websocket");
    assert.equal(await whois(byHost), "notify-1");
    const chat = await connected(lbClient("websocket", { extraHeaders: { host: "chat.example.com" } }), "websocket");
    assert.ok(chatNames.includes(await whois(chat)));
    // One cluster: a chat client reaches a notify client by its socket id.
    const inbox = collect(byHost, "message");
    assert.deepEqual(await emitWithAck(chat, "send", { to: byHost.id, data: "across services" }), [{ ok: true }]);
    assert.deepEqual(await inbox.next(), [{ from: chat.id, to: byHost.id, data: "across services" }]);
    for (const socket of [byPath, byHost, chat]) socket.disconnect();
  });

  // Guaranteed: a message that reaches the draining node before it closes its clients (the
  // end of --drain-ms) reaches them there, so what is published during the drain up to Redis's
  // delivery delay (milliseconds) before its end arrives; the test sends its messages a good
  // second before. What is published once a client is back (connected to the other node, its
  // rooms joined again) reaches it there. Between the two it has no socket: what is published
  // in that gap is not delivered to it (Redis pub/sub keeps nothing, and the node has no
  // connection state recovery yet).
  it("drains a node on SIGTERM: marked down, its clients served, then moved to the other node", { timeout: 4 * DRAIN_MS + 10000 }, async () => {
    const sender = await clientOn("chat-2", "websocket");
    const movers = {};
    for (const kind of ["websocket", "polling", "default"]) {
      movers[kind] = await clientOn("chat-1", kind, { reconnection: true, ...RECONNECT });
    }
    const inbox = {};
    const rejoined = {};
    for (const [kind, socket] of Object.entries(movers)) {
      inbox[kind] = collect(socket, "message");
      assert.equal((await emitWithAck(socket, "join", "news"))[0].ok, true);
      // Back on a node, the client joins its room again (a new socket has none).
      rejoined[kind] = new Promise((resolve) =>
        socket.once("disconnect", () =>
          socket.once("connect", () => socket.emit("join", "news", (reply) => resolve(reply))),
        ),
      );
    }
    const disconnects = Object.fromEntries(
      Object.entries(movers).map(([kind, socket]) => [
        kind,
        once(socket, "disconnect", DRAIN_MS + EVENT_TIMEOUT_MS).then(([reason]) => ({ reason, at: Date.now() })),
      ]),
    );
    const signalledAt = Date.now();
    const exited = chat1.exitPromise;
    chat1.stopping = true; // the harness's `after` must not count this exit as a crash
    chat1.child.kill("SIGTERM");
    await chat1.waitForLog(/draining: \d+ clients/);

    // Sent to the draining node by its cookie before HAProxy noticed: the node refuses the new
    // session with 503 and HAProxy tries it again on the other node (retry-on 503).
    const early = await request(`${lb.url}/socket.io/?EIO=4&transport=polling`, { headers: { cookie: "SERVERID_CHAT=chat1" } });
    assert.equal(early.status, 200, `a new session during the drain: ${early.body}\n${lb.log}`);
    assert.match(early.headers["set-cookie"]?.[0] ?? "", /^SERVERID_CHAT=chat2;/);

    await lb.waitForState("chat/chat1", "DOWN", DRAIN_MS / 2);
    assert.equal((await request(`${chat1.url}/readyz`)).status, 503);
    // Still served on chat-1 (the long-polling one by force-persist), and reached from chat-2.
    for (const [kind, socket] of Object.entries(movers)) {
      assert.equal(socket.connected, true, kind);
      assert.equal(await whois(socket, `${kind} during the drain`), "chat-1", `${kind} stays on the draining node`);
    }
    for (let i = 1; i <= 3; ++i) {
      assert.deepEqual(await emitWithAck(sender, "send", { to: "news", data: `during the drain ${i}` }), [{ ok: true }]);
    }
    for (const [kind] of Object.entries(movers)) {
      for (let i = 1; i <= 3; ++i) assert.equal((await inbox[kind].next())[0].data, `during the drain ${i}`, kind);
    }
    // New sessions go to chat-2 now.
    assert.equal(await whois(await connected(lbClient("polling"), "polling")), "chat-2");

    for (const [kind, disconnected] of Object.entries(disconnects)) {
      const { reason, at } = await disconnected;
      assert.equal(reason, "transport close", `${kind}: the node closed it at the Engine.IO level\n${chat1.log}`);
      assert.ok(at - signalledAt >= DRAIN_MS - 100, `${kind} closed ${at - signalledAt} ms after the SIGTERM, before the drain's end`);
    }
    for (const [kind, socket] of Object.entries(movers)) {
      const reply = await Promise.race([rejoined[kind], once(socket, "never", EVENT_TIMEOUT_MS)]);
      assert.equal(reply.ok, true, `${kind} joined again: ${JSON.stringify(reply)}`);
      assert.equal(await whois(socket), "chat-2", `${kind} reconnected through HAProxy to the other node`);
    }
    assert.deepEqual(await emitWithAck(sender, "send", { to: "news", data: "after the move" }), [{ ok: true }]);
    for (const kind of Object.keys(movers)) {
      assert.equal((await inbox[kind].next())[0].data, "after the move", kind);
      await inbox[kind].none();
    }
    await Promise.race([exited, once(chat1.child, "never", EVENT_TIMEOUT_MS)]);
    assert.equal(chat1.exitCode, 0, chat1.log);
    assert.equal(chat1.exitSignal, null);
    for (const socket of [sender, ...Object.values(movers)]) socket.disconnect();
  });
});
