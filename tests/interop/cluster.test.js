"use strict";
// Mixed cluster: one real switchboard-node and one in-process Node.js socket.io 4.8 server with
// @socket.io/redis-adapter 8.3 share a private redis-server (key "socket.io"); official
// socket.io-client 4.8 clients connect to either side, and @socket.io/redis-emitter 5.1 and
// switchboard-emit publish into the same cluster. Every wait is bounded; a failing test prints the adapter
// traffic seen on Redis and the node's log (switchboard.cluster.debug) during the test.

const { describe, it, before, after, afterEach } = require("node:test");
const assert = require("node:assert/strict");
const { io: ioClient, startNode, collect, once, delay, emitWithAck, EVENT_TIMEOUT_MS } = require("./lib/harness");
const { Manager } = require("socket.io-client");
const { execFile } = require("node:child_process");
const path = require("node:path");
const { RedisServer } = require("./lib/redis-server");
const { track } = require("./lib/reaper");
const { startSocketIoServer, redisClient, quitRedis } = require("./lib/socketio-server");

const { requireDependency } = require("./lib/dependency");
const { Emitter } = requireDependency("@socket.io/redis-emitter");
// The adapter's own MessagePack flavour, only to print the Redis traffic of a failing test.
const msgpack = requireDependency("notepack.io");

const KEY = "socket.io";
const NODE_NAME = "sb-mixed";

// ---- fixtures: redis-server, switchboard-node, Node.js socket.io server, emitter -----------

const redis = new RedisServer();
redis.ready = redis.start();
redis.ready.catch(() => {}); // reported by the `before` hook below
before(() => redis.ready);

const sb = startNode(async () => {
  await redis.ready;
  return ["--redis", redis.url, "--name", NODE_NAME, "--log", "switchboard.cluster.debug=true"];
});

let ref; // the Node.js socket.io server
let probe; // plain Redis client for PUBSUB queries
let emitterClient;
let emitter;
let tap; // subscriber recording the adapter traffic
const wire = [];

function describeMessage(message) {
  if (message[0] === 0x7b) return message.toString("utf8");
  try {
    return JSON.stringify(msgpack.decode(message), (key, value) => {
      if (value && value.type === "Buffer" && Array.isArray(value.data)) return `<bin ${value.data.length}>`;
      return value;
    });
  } catch {
    return `<${message.length} bytes> ${message.toString("hex").slice(0, 200)}`;
  }
}

before(async () => {
  await sb.ready;
  track(sb.child); // killed with this process should the `after` hooks never run
  ref = await startSocketIoServer(redis.url, { requestsTimeout: 3000 });
  probe = await redisClient(redis.url);
  emitterClient = await redisClient(redis.url);
  emitter = new Emitter(emitterClient);
  tap = await redisClient(redis.url);
  await tap.pSubscribe(
    [`${KEY}#*`, `${KEY}-request#*`, `${KEY}-response#*`],
    (message, channel) => {
      const text = describeMessage(message);
      wire.push(`${String(channel)} ${text.length > 400 ? `${text.slice(0, 400)}...` : text}`);
    },
    true,
  );
  // Both servers subscribed to the request channel of "/": the cluster is formed.
  await waitForServers("/", 2);
});

// Registered after startNode's hook: the node stops first, then the Node.js side, then Redis.
after(async () => {
  for (const socket of opened) socket.disconnect();
  if (ref) await withTimeout(ref.close(), 5000, "closing the Node.js socket.io server");
  for (const client of [tap, emitterClient, probe]) await quitRedis(client);
  await redis.stop();
});

// ---- helpers --------------------------------------------------------------------------------

const opened = new Set();
afterEach(() => {
  for (const socket of opened) socket.disconnect();
  opened.clear();
});

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Waits until `count` servers subscribe to the request channel of `nsp` (PUBSUB NUMSUB, what
// serverCount() counts): a namespace created on a client's first CONNECT subscribes shortly after.
async function waitForServers(nsp, count, timeoutMs = 5000) {
  const channel = `${KEY}-request#${nsp}#`;
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  while (Date.now() < deadline) {
    const reply = await probe.sendCommand(["PUBSUB", "NUMSUB", channel]);
    seen = Number(reply[1]);
    if (seen >= count) return;
    await delay(25);
  }
  throw new Error(`${channel} has ${seen} subscribers after ${timeoutMs} ms, expected ${count}\nnode log:\n${sb.log}`);
}

// A test whose failure message carries the Redis adapter traffic and the node's log.
function test(name, fn) {
  it(name, async () => {
    const logFrom = sb.log.length;
    const wireFrom = wire.length;
    try {
      await fn();
    } catch (error) {
      await delay(100); // let late traffic land in the report
      const traffic = wire.slice(wireFrom).join("\n") || "(none)";
      const log = sb.log.slice(logFrom) || "(nothing)";
      const extra = `\n--- Redis adapter traffic during the test ---\n${traffic}\n--- switchboard-node log during the test ---\n${log}`;
      if (error instanceof Error) {
        // The reporter prints the stack, captured with the original message.
        error.message += extra;
        if (typeof error.stack === "string" && !error.stack.includes(extra)) error.stack += extra;
        throw error;
      }
      throw new Error(`${error}${extra}`);
    }
  });
}

// A connected socket.io-client on the Switchboard node.
async function sbClient(nsp = "/") {
  const socket = await sb.connected(nsp);
  opened.add(socket);
  return socket;
}

// A connected socket.io-client on the Node.js socket.io server.
async function nodeClient(nsp = "/", options = {}) {
  const socket = ioClient(`${ref.url}${nsp}`, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    timeout: EVENT_TIMEOUT_MS,
    ...options,
  });
  opened.add(socket);
  await withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", (error) => reject(new Error(`connect to the Node.js server failed: ${error.message}`)));
    }),
    EVENT_TIMEOUT_MS,
    "connecting to the Node.js server",
  );
  return socket;
}

// Relay `join` on Switchboard; returns the socket's rooms.
async function sbJoin(socket, rooms) {
  const [reply] = await emitWithAck(socket, "join", rooms);
  assert.equal(reply.ok, true, `relay join ${JSON.stringify(rooms)} failed: ${JSON.stringify(reply)}`);
  return reply.rooms;
}

// Relay `send` on Switchboard, acked {ok:true}.
async function sbSend(socket, request) {
  const reply = await emitWithAck(socket, "send", request);
  assert.deepEqual(reply, [{ ok: true }], `relay send ${JSON.stringify(request)}`);
}

// The custom `join` event of the Node.js server; returns the socket's rooms.
async function nodeJoin(socket, rooms) {
  const [joined] = await emitWithAck(socket, "join", rooms);
  return joined;
}

// socket.to(to).except(except).emit(event, ...args) done by a Node.js-side socket.
async function nodeRelay(socket, request) {
  const reply = await emitWithAck(socket, "relay", request);
  assert.deepEqual(reply, [true]);
}

// Emits with an ack; resolves with the ack's arguments, or null after `ms`.
function emitWithAckWithin(socket, ms, event, ...args) {
  return new Promise((resolve) => {
    socket.timeout(ms).emit(event, ...args, (error, ...reply) => resolve(error ? null : reply));
  });
}

let roomCounter = 0;
const freshRoom = (label) => `${label}-${++roomCounter}`;

const sorted = (list) => [...list].sort();
const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

// io.fetchSockets() (or io.in(rooms)...) on the Node.js server, by id.
async function fetchById(operator = ref.io) {
  const sockets = await withTimeout(operator.fetchSockets(), 4000, "fetchSockets on the Node.js server");
  const map = new Map();
  for (const socket of sockets) {
    assert.equal(map.has(socket.id), false, `fetchSockets listed ${socket.id} twice`);
    map.set(socket.id, socket);
  }
  return map;
}

// A marker sent to `socket` by id through Redis after something else: once it arrived, Switchboard
// has handled everything published before it (one publisher connection, one subscriber).
async function flushThrough(socket, publish = (event) => ref.io.to(socket.id).emit(event)) {
  const event = `marker-${++roomCounter}`;
  const marker = once(socket, event);
  publish(event);
  await marker;
}

const bytes = Buffer.from([0, 1, 2, 127, 128, 254, 255, 0x2d, 0x5b, 0x7b]);

// ---- tests ----------------------------------------------------------------------------------

describe("room broadcasts across the mixed cluster", () => {
  test("io.to(room).emit on the Node.js server reaches the Switchboard client in the room only", async () => {
    const room = freshRoom("news");
    const [sbIn, sbOut, nodeIn] = await Promise.all([sbClient(), sbClient(), nodeClient()]);
    await sbJoin(sbIn, room);
    await nodeJoin(nodeIn, room);
    const [gotIn, gotOut, gotNode] = [sbIn, sbOut, nodeIn].map((socket) => collect(socket, "news"));
    ref.io.to(room).emit("news", { text: "hello", n: 1, list: [true, null] });
    assert.deepEqual(await gotIn.next(), [{ text: "hello", n: 1, list: [true, null] }]);
    assert.deepEqual(await gotNode.next(), [{ text: "hello", n: 1, list: [true, null] }]);
    await Promise.all([gotIn.none(), gotOut.none()]);
  });

  test("socket.to(room).emit by a Node.js-side socket reaches the Switchboard client in the room, not the sender", async () => {
    const room = freshRoom("chat");
    const [sender, sbIn, sbOut] = await Promise.all([nodeClient(), sbClient(), sbClient()]);
    await nodeJoin(sender, room);
    await sbJoin(sbIn, room);
    const [gotSender, gotIn, gotOut] = [sender, sbIn, sbOut].map((socket) => collect(socket, "chat"));
    await nodeRelay(sender, { to: room, event: "chat", args: ["hi", 2, { from: sender.id }] });
    assert.deepEqual(await gotIn.next(), ["hi", 2, { from: sender.id }]);
    await Promise.all([gotIn.none(), gotOut.none(), gotSender.none()]);
  });

  test("io.to([room1, room2]).emit on the Node.js server reaches a Switchboard member of both exactly once", async () => {
    const one = freshRoom("multi-a");
    const two = freshRoom("multi-b");
    const [both, onlyOne, neither] = await Promise.all([sbClient(), sbClient(), sbClient()]);
    await sbJoin(both, [one, two]);
    await sbJoin(onlyOne, one);
    const [gotBoth, gotOne, gotNeither] = [both, onlyOne, neither].map((socket) => collect(socket, "multi"));
    ref.io.to([one, two]).emit("multi", "once");
    assert.deepEqual(await gotBoth.next(), ["once"]);
    assert.deepEqual(await gotOne.next(), ["once"]);
    await Promise.all([gotBoth.none(), gotOne.none(), gotNeither.none()]);
  });

  test("socket.broadcast.emit by a Node.js-side socket reaches every Switchboard client", async () => {
    const [sender, sbA, sbB] = await Promise.all([nodeClient(), sbClient(), sbClient()]);
    const [gotSender, gotA, gotB] = [sender, sbA, sbB].map((socket) => collect(socket, "shout"));
    await nodeRelay(sender, { event: "shout", args: ["to all"] });
    assert.deepEqual(await gotA.next(), ["to all"]);
    assert.deepEqual(await gotB.next(), ["to all"]);
    await Promise.all([gotA.none(), gotB.none(), gotSender.none()]);
  });

  test("io.of('/chat').to(room).emit on the Node.js server reaches /chat Switchboard members, not / ones", async () => {
    const room = freshRoom("chat-nsp");
    ref.io.of("/chat");
    const [chatIn, rootIn] = await Promise.all([sbClient("/chat"), sbClient("/")]);
    await waitForServers("/chat", 2);
    await sbJoin(chatIn, room);
    await sbJoin(rootIn, room);
    const [gotChat, gotRoot] = [chatIn, rootIn].map((socket) => collect(socket, "nsp-news"));
    ref.io.of("/chat").to(room).emit("nsp-news", "for /chat");
    assert.deepEqual(await gotChat.next(), ["for /chat"]);
    await Promise.all([gotChat.none(), gotRoot.none()]);
  });

  test("room names with non-ASCII characters and '#' cross in both directions", async () => {
    const room = `salle é✓ #${++roomCounter}# 房间`;
    const [sbMember, nodeMember] = await Promise.all([sbClient(), nodeClient()]);
    await sbJoin(sbMember, room);
    await nodeJoin(nodeMember, room);
    const fromNode = collect(sbMember, "odd");
    ref.io.to(room).emit("odd", "from node");
    assert.deepEqual(await fromNode.next(), ["from node"]);
    const fromSb = collect(nodeMember, "message");
    await sbSend(sbMember, { to: room, data: "from switchboard" });
    assert.deepEqual(await fromSb.next(), [{ from: sbMember.id, to: room, data: "from switchboard" }]);
    await Promise.all([fromNode.none(), fromSb.none()]);
  });

  test("io.local.to(room).emit on the Node.js server stays there: Switchboard members do not get it", async () => {
    const room = freshRoom("local");
    const [sbIn, nodeIn] = await Promise.all([sbClient(), nodeClient()]);
    await sbJoin(sbIn, room);
    await nodeJoin(nodeIn, room);
    const [gotSb, gotNode] = [sbIn, nodeIn].map((socket) => collect(socket, "local"));
    ref.io.local.to(room).emit("local", 1);
    assert.deepEqual(await gotNode.next(), [1]);
    await flushThrough(sbIn);
    await gotSb.none(0);
  });

  test("a Switchboard relay send to a room reaches the Node.js-side client in the room only", async () => {
    const room = freshRoom("relay");
    const [sender, nodeIn, nodeOut] = await Promise.all([sbClient(), nodeClient(), nodeClient()]);
    await nodeJoin(nodeIn, room);
    const [gotSender, gotIn, gotOut] = [sender, nodeIn, nodeOut].map((socket) => collect(socket, "message"));
    await sbSend(sender, { to: room, data: { x: 1, s: "é✓" } });
    assert.deepEqual(await gotIn.next(), [{ from: sender.id, to: room, data: { x: 1, s: "é✓" } }]);
    await Promise.all([gotIn.none(), gotOut.none(), gotSender.none()]);
  });

  test("a Switchboard relay send to two rooms reaches a Node.js-side member of both exactly once", async () => {
    const one = freshRoom("union-a");
    const two = freshRoom("union-b");
    const [sender, both, onlyTwo, neither] = await Promise.all([sbClient(), nodeClient(), nodeClient(), nodeClient()]);
    await nodeJoin(both, [one, two]);
    await nodeJoin(onlyTwo, two);
    const [gotBoth, gotTwo, gotNeither] = [both, onlyTwo, neither].map((socket) => collect(socket, "message"));
    await sbSend(sender, { to: [one, two], data: "union" });
    const expected = [{ from: sender.id, to: [one, two], data: "union" }];
    assert.deepEqual(await gotBoth.next(), expected);
    assert.deepEqual(await gotTwo.next(), expected);
    await Promise.all([gotBoth.none(), gotTwo.none(), gotNeither.none()]);
  });

  test("a Switchboard relay send to the whole namespace reaches Node.js-side clients", async () => {
    const [sender, nodeA, nodeB] = await Promise.all([sbClient(), nodeClient(), nodeClient()]);
    const [gotA, gotB, gotSender] = [nodeA, nodeB, sender].map((socket) => collect(socket, "everyone"));
    await sbSend(sender, { event: "everyone", data: 7 });
    assert.deepEqual(await gotA.next(), [{ from: sender.id, to: null, data: 7 }]);
    assert.deepEqual(await gotB.next(), [{ from: sender.id, to: null, data: 7 }]);
    await Promise.all([gotA.none(), gotB.none(), gotSender.none()]);
  });
});

describe("direct messages by socket id", () => {
  test("io.to(switchboardSocketId).emit on the Node.js server reaches only that Switchboard socket", async () => {
    const [target, other] = await Promise.all([sbClient(), sbClient()]);
    const [gotTarget, gotOther] = [target, other].map((socket) => collect(socket, "dm"));
    ref.io.to(target.id).emit("dm", "for you", 42);
    assert.deepEqual(await gotTarget.next(), ["for you", 42]);
    await Promise.all([gotTarget.none(), gotOther.none()]);
  });

  test("socket.to(switchboardSocketId).emit by a Node.js-side socket reaches that Switchboard socket", async () => {
    const [sender, target, other] = await Promise.all([nodeClient(), sbClient(), sbClient()]);
    const [gotTarget, gotOther] = [target, other].map((socket) => collect(socket, "dm"));
    await nodeRelay(sender, { to: target.id, event: "dm", args: [{ from: sender.id }] });
    assert.deepEqual(await gotTarget.next(), [{ from: sender.id }]);
    await Promise.all([gotTarget.none(), gotOther.none()]);
  });

  test("a Switchboard relay send {to: nodeSideSocketId} reaches only that Node.js-side socket", async () => {
    const [sender, target, other] = await Promise.all([sbClient(), nodeClient(), nodeClient()]);
    const [gotTarget, gotOther] = [target, other].map((socket) => collect(socket, "message"));
    await sbSend(sender, { to: target.id, data: "direct" });
    assert.deepEqual(await gotTarget.next(), [{ from: sender.id, to: target.id, data: "direct" }]);
    await Promise.all([gotTarget.none(), gotOther.none()]);
  });
});

describe("binary payloads", () => {
  const big = Buffer.alloc(70000, 0xab);

  function assertBinaryArgs(args) {
    assert.equal(args.length, 2, `expected 2 arguments, got ${args.length}`);
    const [first, nested] = args;
    assert.ok(Buffer.isBuffer(first), `first argument is not a Buffer: ${typeof first}`);
    assert.deepEqual(first, bytes);
    assert.equal(nested.text, "mixed");
    assert.ok(Buffer.isBuffer(nested.list[0]), "nested.list[0] is not a Buffer");
    assert.deepEqual(nested.list[0], Buffer.from([1, 2, 3]));
    assert.ok(Buffer.isBuffer(nested.list[1].deep), "nested.list[1].deep is not a Buffer");
    assert.equal(nested.list[1].deep.length, 0);
    assert.equal(nested.list[2], 42);
    assert.ok(Buffer.isBuffer(nested.big), "nested.big is not a Buffer");
    assert.equal(nested.big.length, big.length);
    assert.ok(nested.big.equals(big), "nested.big differs");
  }
  const binaryArgs = () => [bytes, { text: "mixed", list: [Buffer.from([1, 2, 3]), { deep: Buffer.alloc(0) }, 42], big }];

  test("Buffers broadcast by the Node.js server arrive intact on a Switchboard client", async () => {
    const room = freshRoom("bin");
    const target = await sbClient();
    await sbJoin(target, room);
    const got = collect(target, "bin");
    ref.io.to(room).emit("bin", ...binaryArgs());
    assertBinaryArgs(await got.next());
    await got.none();
  });

  test("Buffers sent by a Node.js-side socket to a Switchboard socket id arrive intact", async () => {
    const [sender, target] = await Promise.all([nodeClient(), sbClient()]);
    const got = collect(target, "bin");
    await nodeRelay(sender, { to: target.id, event: "bin", args: binaryArgs() });
    assertBinaryArgs(await got.next());
  });

  test("Buffers in a Switchboard relay send arrive intact on a Node.js-side client", async () => {
    const room = freshRoom("bin-back");
    const [sender, target] = await Promise.all([sbClient(), nodeClient()]);
    await nodeJoin(target, room);
    const got = collect(target, "message");
    const [first, nested] = binaryArgs();
    await sbSend(sender, { to: room, data: { first, nested } });
    const [message] = await got.next();
    assert.equal(message.from, sender.id);
    assert.equal(message.to, room);
    assertBinaryArgs([message.data.first, message.data.nested]);
    await got.none();
  });
});

describe("except across servers", () => {
  test("io.to(room).except(switchboardSocketId).emit skips only that Switchboard socket", async () => {
    const room = freshRoom("except-id");
    const [skipped, kept, nodeMember] = await Promise.all([sbClient(), sbClient(), nodeClient()]);
    await sbJoin(skipped, room);
    await sbJoin(kept, room);
    await nodeJoin(nodeMember, room);
    const [gotSkipped, gotKept, gotNode] = [skipped, kept, nodeMember].map((socket) => collect(socket, "ex"));
    ref.io.to(room).except(skipped.id).emit("ex", 1);
    assert.deepEqual(await gotKept.next(), [1]);
    assert.deepEqual(await gotNode.next(), [1]);
    await Promise.all([gotSkipped.none(), gotKept.none()]);
  });

  test("io.to(room).except(otherRoom).emit skips the Switchboard members of the excepted room", async () => {
    const room = freshRoom("except-room");
    const muted = freshRoom("muted");
    const [mutedMember, kept] = await Promise.all([sbClient(), sbClient()]);
    await sbJoin(mutedMember, [room, muted]);
    await sbJoin(kept, room);
    const [gotMuted, gotKept] = [mutedMember, kept].map((socket) => collect(socket, "ex"));
    ref.io.to(room).except(muted).emit("ex", 2);
    assert.deepEqual(await gotKept.next(), [2]);
    await Promise.all([gotMuted.none(), gotKept.none()]);
  });

  test("a Switchboard relay send with except a Node.js-side socket id skips that socket", async () => {
    const room = freshRoom("except-back");
    const [sender, skipped, kept] = await Promise.all([sbClient(), nodeClient(), nodeClient()]);
    await nodeJoin(skipped, room);
    await nodeJoin(kept, room);
    const [gotSkipped, gotKept] = [skipped, kept].map((socket) => collect(socket, "message"));
    await sbSend(sender, { to: room, except: skipped.id, data: "not for skipped" });
    assert.deepEqual(await gotKept.next(), [{ from: sender.id, to: room, data: "not for skipped" }]);
    await Promise.all([gotSkipped.none(), gotKept.none()]);
  });
});

describe("fetchSockets on the Node.js server", () => {
  test("io.fetchSockets() lists Switchboard sockets with their rooms and handshake", async () => {
    const room = freshRoom("fetch");
    const [member, loner, nodeSide] = await Promise.all([sbClient(), sbClient(), nodeClient()]);
    await sbJoin(member, room);
    const sockets = await fetchById();
    for (const socket of [member, loner, nodeSide]) {
      assert.ok(sockets.has(socket.id), `${socket.id} missing from io.fetchSockets(): ${[...sockets.keys()]}`);
    }
    const remote = sockets.get(member.id);
    assert.ok(remote.rooms instanceof Set);
    assert.deepEqual(sorted(remote.rooms), sorted([member.id, room]));
    assert.deepEqual(sorted(sockets.get(loner.id).rooms), [loner.id]);
    const { handshake } = remote;
    assert.equal(typeof handshake, "object");
    assert.match(String(handshake.address), /^(::ffff:)?127\.0\.0\.1$/, `handshake.address: ${handshake.address}`);
    assert.equal(typeof handshake.headers, "object");
    assert.equal(typeof handshake.issued, "number");
    assert.equal(handshake.query.EIO, "4", `handshake.query: ${JSON.stringify(handshake.query)}`);
    assert.equal(typeof remote.data, "object");
  });

  test("io.in(room).fetchSockets() lists the room's members from both servers, and only them", async () => {
    const room = freshRoom("fetch-room");
    // One socket outside the room on each side: the listing must leave them out.
    const [sbIn, nodeIn] = await Promise.all([sbClient(), nodeClient(), sbClient(), nodeClient()]);
    await sbJoin(sbIn, room);
    await nodeJoin(nodeIn, room);
    const sockets = await fetchById(ref.io.in(room));
    assert.deepEqual(sorted(sockets.keys()), sorted([sbIn.id, nodeIn.id]));
    assert.deepEqual(sorted(sockets.get(sbIn.id).rooms), sorted([sbIn.id, room]));
  });

  test("io.in(emptyRoom).fetchSockets() resolves with no sockets (Switchboard answers empty requests)", async () => {
    // Switchboard is counted, so the Node.js server waits for its answer.
    assert.equal(await ref.io.of("/").adapter.serverCount(), 2);
    const started = Date.now();
    const sockets = await fetchById(ref.io.in(freshRoom("nobody")));
    assert.deepEqual([...sockets.keys()], []);
    // requestsTimeout is 3000 ms: an answer that never came would show here as a wait.
    assert.ok(Date.now() - started < 2000, `fetchSockets took ${Date.now() - started} ms`);
  });

  test("a Switchboard socket's handshake has the reference's shape: auth, query, url as path?query", async () => {
    const options = { auth: { token: "t-123", n: 7 }, query: { tag: "mixed" } };
    const sbSide = await sb.connected("/", options);
    opened.add(sbSide);
    const nodeSide = await nodeClient("/", options);
    const sockets = await fetchById(ref.io.in([sbSide.id, nodeSide.id]));
    const sbShake = sockets.get(sbSide.id).handshake;
    const reference = sockets.get(nodeSide.id).handshake; // what socket.io itself reports
    // The names and the shape stay; a credential's value never goes out on Redis.
    assert.deepEqual(sbShake.auth, { token: "[redacted]", n: 7 });
    assert.equal(sbShake.query.tag, "mixed");
    assert.equal(sbShake.query.EIO, "4");
    assert.deepEqual(Object.keys(sbShake).sort(), Object.keys(reference).sort());
    for (const key of Object.keys(reference)) {
      assert.equal(typeof sbShake[key], typeof reference[key], `typeof handshake.${key}`);
    }
    assert.ok(!Number.isNaN(Date.parse(sbShake.time)), `handshake.time is not a date: ${sbShake.time}`);
    // socket.io reports the request target (request.url), e.g. /socket.io/?EIO=4&transport=websocket&tag=mixed
    assert.match(reference.url, /^\/socket\.io\/\?/);
    assert.match(String(sbShake.url), /^\/socket\.io\/\?/, `handshake.url: ${sbShake.url} (socket.io reports ${reference.url})`);
  });

  test("io.of('/chat').fetchSockets() lists Switchboard's /chat sockets, not its / ones", async () => {
    ref.io.of("/chat");
    const room = freshRoom("fetch-chat");
    const [chatSocket, rootSocket] = await Promise.all([sbClient("/chat"), sbClient("/")]);
    await waitForServers("/chat", 2);
    await sbJoin(chatSocket, room);
    await sbJoin(rootSocket, room);
    const sockets = await fetchById(ref.io.of("/chat").in(room));
    assert.deepEqual([...sockets.keys()], [chatSocket.id]);
    assert.deepEqual(sorted(sockets.get(chatSocket.id).rooms), sorted([chatSocket.id, room]));
  });

  test("io.in(room).except(id).fetchSockets() leaves the excepted Switchboard socket out", async () => {
    const room = freshRoom("fetch-except");
    const [kept, skipped] = await Promise.all([sbClient(), sbClient()]);
    await sbJoin(kept, room);
    await sbJoin(skipped, room);
    const sockets = await fetchById(ref.io.in(room).except(skipped.id));
    assert.deepEqual([...sockets.keys()], [kept.id]);
  });

  test("a RemoteSocket from fetchSockets emits to, joins and leaves rooms for the Switchboard socket", async () => {
    const room = freshRoom("remote-join");
    const target = await sbClient();
    const sockets = await fetchById(ref.io.in(target.id));
    assert.deepEqual([...sockets.keys()], [target.id]);
    const remote = sockets.get(target.id);
    const poked = collect(target, "poke");
    remote.emit("poke", { n: 1 });
    assert.deepEqual(await poked.next(), [{ n: 1 }]);

    remote.join(room);
    const inRoom = collect(target, "in-room");
    ref.io.to(room).emit("in-room", "joined");
    assert.deepEqual(await inRoom.next(), ["joined"]);
    assert.deepEqual(sorted((await fetchById(ref.io.in(target.id))).get(target.id).rooms), sorted([target.id, room]));

    remote.leave(room);
    ref.io.to(room).emit("in-room", "after leave");
    await flushThrough(target);
    await inRoom.none(0);
    assert.deepEqual(sorted((await fetchById(ref.io.in(target.id))).get(target.id).rooms), [target.id]);
  });
});

describe("rooms of the cluster", () => {
  test("the Node.js adapter's allRooms() includes the rooms of Switchboard sockets", async () => {
    const room = freshRoom("all-rooms");
    const member = await sbClient();
    await sbJoin(member, room);
    const rooms = await withTimeout(ref.io.of("/").adapter.allRooms(), 4000, "allRooms on the Node.js server");
    assert.ok(rooms instanceof Set);
    assert.ok(rooms.has(room), `${room} missing from allRooms(): ${[...rooms]}`);
    // Like the reference adapter's answer, it has every socket's own room too.
    assert.ok(rooms.has(member.id), `${member.id} missing from allRooms(): ${[...rooms]}`);
    // Rooms of another namespace are not listed.
    const chatRoom = freshRoom("all-rooms-chat");
    const chatMember = await sbClient("/chat");
    await sbJoin(chatMember, chatRoom);
    const again = await withTimeout(ref.io.of("/").adapter.allRooms(), 4000, "allRooms on the Node.js server");
    assert.ok(again.has(room));
    assert.equal(again.has(chatRoom), false, `${chatRoom} of /chat listed by allRooms() of /`);
    assert.equal(again.has(chatMember.id), false, `${chatMember.id} of /chat listed by allRooms() of /`);
  });
});

describe("server-side emit and server count", () => {
  test("serverSideEmit('switchboard:whois') from the Node.js server is acked with {uid, name, pid}", async () => {
    const { err, responses } = await withTimeout(
      new Promise((resolve) => ref.io.serverSideEmit("switchboard:whois", (err, responses) => resolve({ err, responses }))),
      4000,
      "serverSideEmit('switchboard:whois')",
    );
    assert.equal(err, null, `serverSideEmit failed: ${err && err.message}`);
    assert.equal(responses.length, 1, `responses: ${JSON.stringify(responses)}`);
    const [whois] = responses;
    assert.deepEqual(Object.keys(whois).sort(), ["name", "pid", "uid"]);
    assert.equal(whois.name, NODE_NAME);
    assert.equal(whois.pid, sb.child.pid);
    const health = await (await fetch(`${sb.url}/healthz`)).json();
    assert.equal(whois.uid, health.cluster.uid);
    assert.match(whois.uid, /^[A-Za-z0-9]{6}$/);
  });

  test("serverSideEmitWithAck('switchboard:whois') on another namespace reaches Switchboard there too", async () => {
    await sbClient("/whois-ns"); // the namespace exists on Switchboard once a client joined it
    ref.io.of("/whois-ns");
    await waitForServers("/whois-ns", 2);
    const responses = await withTimeout(
      ref.io.of("/whois-ns").serverSideEmitWithAck("switchboard:whois"),
      4000,
      "serverSideEmitWithAck on /whois-ns",
    );
    assert.equal(responses.length, 1, `responses: ${JSON.stringify(responses)}`);
    assert.equal(responses[0].name, NODE_NAME);
    assert.equal(responses[0].pid, sb.child.pid);
  });

  test("the Node.js server's serverCount() counts both servers", async () => {
    // socket.io 4.8 has no io.serverCount(): the count is the adapter's.
    assert.equal(await ref.io.of("/").adapter.serverCount(), 2);
  });
});

describe("socketsJoin / socketsLeave / disconnectSockets from the Node.js server", () => {
  test("io.in(room).socketsJoin(other) puts the Switchboard members of room in other", async () => {
    const room = freshRoom("sj");
    const other = freshRoom("sj-other");
    const third = freshRoom("sj-third");
    const [member, outsider, localSender] = await Promise.all([sbClient(), sbClient(), sbClient()]);
    await sbJoin(member, room);
    ref.io.in(room).socketsJoin([other, third]);
    const [gotMember, gotOutsider] = [member, outsider].map((socket) => collect(socket, "o"));
    ref.io.to(other).emit("o", "via other");
    assert.deepEqual(await gotMember.next(), ["via other"]);
    ref.io.to(third).emit("o", "via third");
    assert.deepEqual(await gotMember.next(), ["via third"]);
    await Promise.all([gotMember.none(), gotOutsider.none()]);
    // Switchboard's own room table has it too: a local relay send to `other` reaches member.
    const relayed = collect(member, "message");
    await sbSend(localSender, { to: other, data: "local" });
    assert.deepEqual(await relayed.next(), [{ from: localSender.id, to: other, data: "local" }]);
    const sockets = await fetchById(ref.io.in(member.id));
    assert.deepEqual(sorted(sockets.get(member.id).rooms), sorted([member.id, room, other, third]));
  });

  test("io.in(room).socketsLeave(other) takes the Switchboard members of room out of other", async () => {
    const room = freshRoom("sl");
    const other = freshRoom("sl-other");
    const [member, stays] = await Promise.all([sbClient(), sbClient()]);
    await sbJoin(member, [room, other]);
    await sbJoin(stays, other);
    ref.io.in(room).socketsLeave(other);
    const [gotMember, gotStays] = [member, stays].map((socket) => collect(socket, "o"));
    ref.io.to(other).emit("o", "after leave");
    assert.deepEqual(await gotStays.next(), ["after leave"]);
    await flushThrough(member);
    await Promise.all([gotMember.none(), gotStays.none()]);
    const sockets = await fetchById(ref.io.in(member.id));
    assert.deepEqual(sorted(sockets.get(member.id).rooms), sorted([member.id, room]));
  });

  test("io.in(room).disconnectSockets() disconnects the Switchboard members of room only", async () => {
    const room = freshRoom("dc");
    const [member, outsider] = await Promise.all([sbClient(), sbClient()]);
    await sbJoin(member, room);
    const [memberGone, outsiderGone] = [member, outsider].map((socket) => collect(socket, "disconnect"));
    ref.io.in(room).disconnectSockets();
    assert.equal((await memberGone.next())[0], "io server disconnect");
    await flushThrough(outsider);
    await outsiderGone.none(0);
    assert.equal(outsider.connected, true);
    const sockets = await fetchById();
    assert.equal(sockets.has(member.id), false, `${member.id} still listed by fetchSockets`);
    assert.equal(sockets.has(outsider.id), true);
  });

  test("disconnectSockets(false) leaves the connection's other namespaces up; disconnectSockets(true) closes it", async () => {
    const manager = new Manager(sb.url, { transports: ["websocket"], reconnection: false, timeout: EVENT_TIMEOUT_MS });
    const root = manager.socket("/");
    const chat = manager.socket("/chat");
    opened.add(root);
    opened.add(chat);
    await Promise.all([once(root, "connect"), once(chat, "connect")]);
    const room = freshRoom("dc-close");
    await sbJoin(root, room);
    const [rootGone, chatGone] = [root, chat].map((socket) => collect(socket, "disconnect"));
    ref.io.in(root.id).disconnectSockets(false);
    assert.equal((await rootGone.next())[0], "io server disconnect");
    await delay(300);
    assert.equal(chat.connected, true, "/chat on the same connection went down with close=false");
    await chatGone.none(0);

    // Again with close=true: every namespace of the connection goes.
    root.connect();
    await once(root, "connect");
    await sbJoin(root, room);
    ref.io.in(room).disconnectSockets(true);
    await rootGone.next();
    const [reason] = await chatGone.next();
    assert.ok(["transport close", "io server disconnect"].includes(reason), `/chat disconnect reason: ${reason}`);
  });
});

describe("broadcast with acknowledgements", () => {
  test("io.timeout(2000).to(room).emit with an ack collects the acks of Switchboard clients too", async () => {
    const room = freshRoom("ack");
    const [sbA, sbB, sbOut, nodeA] = await Promise.all([sbClient(), sbClient(), sbClient(), nodeClient()]);
    await sbJoin(sbA, room);
    await sbJoin(sbB, room);
    await nodeJoin(nodeA, room);
    const asked = [];
    for (const [socket, side] of [[sbA, "switchboard"], [sbB, "switchboard"], [sbOut, "switchboard"], [nodeA, "node"]]) {
      socket.on("q", (n, ack) => {
        asked.push(socket.id);
        ack({ side, id: socket.id, n: n + 1 });
      });
    }
    const started = Date.now();
    const { err, responses } = await new Promise((resolve) =>
      ref.io.timeout(2000).to(room).emit("q", 1, (err, responses) => resolve({ err, responses })),
    );
    assert.equal(err, null, `ack broadcast failed after ${Date.now() - started} ms (${err && err.message}); responses: ${JSON.stringify(responses)}`);
    assert.deepEqual([...responses].sort(byId), [
      { side: "switchboard", id: sbA.id, n: 2 },
      { side: "switchboard", id: sbB.id, n: 2 },
      { side: "node", id: nodeA.id, n: 2 },
    ].sort(byId));
    assert.equal(asked.includes(sbOut.id), false);
  });

  test("an ack broadcast to a room without Switchboard members completes without waiting for the timeout", async () => {
    const room = freshRoom("ack-node-only");
    const nodeA = await nodeClient();
    await nodeJoin(nodeA, room);
    nodeA.on("q", (n, ack) => ack(n * 10));
    // Switchboard is counted, so the Node.js server waits for its client count (0).
    assert.equal(await ref.io.of("/").adapter.serverCount(), 2);
    const started = Date.now();
    const { err, responses } = await new Promise((resolve) =>
      ref.io.timeout(2000).to(room).emit("q", 4, (err, responses) => resolve({ err, responses })),
    );
    assert.equal(err, null, `failed after ${Date.now() - started} ms (${err && err.message})`);
    assert.deepEqual(responses, [40]);
  });

  test("a Switchboard client that does not ack makes the ack broadcast time out with the others' responses", async () => {
    const room = freshRoom("ack-silent");
    const [silent, talker, nodeA] = await Promise.all([sbClient(), sbClient(), nodeClient()]);
    await sbJoin(silent, room);
    await sbJoin(talker, room);
    await nodeJoin(nodeA, room);
    const silentGot = collect(silent, "q");
    talker.on("q", (n, ack) => ack("talker"));
    nodeA.on("q", (n, ack) => ack("node"));
    const started = Date.now();
    const { err, responses } = await new Promise((resolve) =>
      ref.io.timeout(500).to(room).emit("q", 1, (err, responses) => resolve({ err, responses })),
    );
    assert.ok(err instanceof Error, "no timeout error although a Switchboard client never answered");
    assert.equal(err.message, "operation has timed out");
    assert.ok(Date.now() - started >= 450, `timed out after ${Date.now() - started} ms`);
    assert.deepEqual(sorted(responses), ["node", "talker"]);
    assert.equal(silentGot.received.length, 1, "the silent client did not get the event");
  });

  test("concurrent ack requests from both servers to one Switchboard client each get their own answers", async () => {
    const room = freshRoom("ack-both");
    const [target, sender] = await Promise.all([sbClient(), sbClient()]);
    await sbJoin(target, room);
    target.on("q", (n, ack) => setTimeout(() => ack(`q:${n}`), 20));
    target.on("message", (message, ack) => setTimeout(() => ack(`m:${message.data}`), 20));
    const rounds = [1, 2, 3, 4, 5];
    const fromNode = rounds.map(
      (n) =>
        new Promise((resolve) =>
          ref.io.timeout(2000).to(room).emit("q", n, (err, responses) => resolve({ err: err && err.message, responses })),
        ),
    );
    const fromSb = rounds.map((n) => emitWithAck(sender, "send", { to: room, data: n, ack: true, timeout: 2000 }));
    const nodeResults = await Promise.all(fromNode);
    const sbResults = await Promise.all(fromSb);
    assert.deepEqual(nodeResults, rounds.map((n) => ({ err: null, responses: [`q:${n}`] })));
    assert.deepEqual(sbResults, rounds.map((n) => [{ ok: true, replies: [`m:${n}`] }]));
  });

  test("Buffers in the acks of Switchboard clients come back intact to the Node.js server", async () => {
    const room = freshRoom("ack-bin");
    const member = await sbClient();
    await sbJoin(member, room);
    member.on("q", (n, ack) => ack({ n, raw: bytes, list: [Buffer.from("ok")] }));
    const { err, responses } = await new Promise((resolve) =>
      ref.io.timeout(2000).to(room).emit("q", 5, (err, responses) => resolve({ err, responses })),
    );
    assert.equal(err, null, `ack broadcast failed: ${err && err.message}`);
    assert.equal(responses.length, 1, `responses: ${JSON.stringify(responses)}`);
    const [answer] = responses;
    assert.equal(answer.n, 5);
    assert.ok(Buffer.isBuffer(answer.raw), `raw is not a Buffer: ${JSON.stringify(answer.raw)}`);
    assert.deepEqual(answer.raw, bytes);
    assert.ok(Buffer.isBuffer(answer.list[0]), `list[0] is not a Buffer: ${JSON.stringify(answer.list[0])}`);
    assert.deepEqual(answer.list[0], Buffer.from("ok"));
  });

  test("a Switchboard relay send with ack:true collects the acks of Node.js-side clients", async () => {
    const room = freshRoom("ack-back");
    const [sender, sbB, nodeA, nodeB] = await Promise.all([sbClient(), sbClient(), nodeClient(), nodeClient()]);
    await sbJoin(sbB, room);
    await nodeJoin(nodeA, room);
    await nodeJoin(nodeB, room);
    for (const socket of [sbB, nodeA, nodeB]) {
      socket.on("message", (message, ack) => ack({ id: socket.id, data: message.data }));
    }
    const [reply] = await emitWithAck(sender, "send", { to: room, data: "ack me", ack: true, timeout: 2000 });
    assert.equal(reply.ok, true, `relay send with ack: ${JSON.stringify(reply)}`);
    assert.deepEqual([...reply.replies].sort(byId), [
      { id: sbB.id, data: "ack me" },
      { id: nodeA.id, data: "ack me" },
      { id: nodeB.id, data: "ack me" },
    ].sort(byId));
  });

  test("a Switchboard relay send with ack:true reports a Node.js-side client that does not ack", async () => {
    const room = freshRoom("ack-back-silent");
    const [sender, nodeSilent, nodeTalker] = await Promise.all([sbClient(), nodeClient(), nodeClient()]);
    await nodeJoin(nodeSilent, room);
    await nodeJoin(nodeTalker, room);
    const silentGot = collect(nodeSilent, "message");
    nodeTalker.on("message", (message, ack) => ack("talker"));
    // A few rounds with different timeouts: the sender must get its timeout answer every time.
    const timeouts = [500, 570, 640, 710];
    for (const [index, timeout] of timeouts.entries()) {
      const round = `round ${index + 1} (timeout ${timeout} ms)`;
      const started = Date.now();
      const reply = await emitWithAckWithin(sender, timeout + 1500, "send", { to: room, data: index, ack: true, timeout });
      assert.notEqual(reply, null, `${round}: the sender got no ack at all within ${timeout + 1500} ms`);
      assert.deepEqual(reply, [{ ok: false, error: "operation has timed out", replies: ["talker"] }], round);
      assert.ok(Date.now() - started >= timeout - 50, `${round}: answered after ${Date.now() - started} ms`);
      assert.equal(silentGot.received.length, index + 1, `${round}: the silent client did not get the event`);
    }
  });
});

// switchboard-emit publishes what @socket.io/redis-emitter publishes: the official adapter of the
// Node.js server must deliver it as its own.
const EMIT_BINARY = process.env.SWITCHBOARD_EMIT || path.resolve(__dirname, "../../build/server/switchboard-emit");

function switchboardEmit(...args) {
  return new Promise((resolve, reject) => {
    execFile(EMIT_BINARY, ["--redis", redis.url, ...args], { timeout: 10000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`switchboard-emit ${args.join(" ")} failed (${error.code ?? error.signal}): ${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe("switchboard-emit", () => {
  test("--to room reaches the room's clients of the Node.js server and of Switchboard only", async () => {
    const room = freshRoom("cli-room");
    const [nodeIn, nodeOut, sbIn] = await Promise.all([nodeClient(), nodeClient(), sbClient()]);
    await nodeJoin(nodeIn, room);
    await sbJoin(sbIn, room);
    const [gotNode, gotOut, gotSb] = [nodeIn, nodeOut, sbIn].map((socket) => collect(socket, "cli"));
    const { stderr } = await switchboardEmit("--to", room, "cli", JSON.stringify({ from: "cli", list: [1, null, "é"] }));
    assert.equal(stderr, "");
    assert.deepEqual(await gotNode.next(), [{ from: "cli", list: [1, null, "é"] }]);
    assert.deepEqual(await gotSb.next(), [{ from: "cli", list: [1, null, "é"] }]);
    await Promise.all([gotOut.none(), gotNode.none(), gotSb.none()]);
  });

  test("--to two rooms --except an id: the Node.js server delivers once to each member but the excepted", async () => {
    const [one, two] = [freshRoom("cli-a"), freshRoom("cli-b")];
    const [both, skipped, onlyTwo] = await Promise.all([nodeClient(), nodeClient(), nodeClient()]);
    await nodeJoin(both, [one, two]);
    await nodeJoin(skipped, one);
    await nodeJoin(onlyTwo, two);
    const [gotBoth, gotSkipped, gotTwo] = [both, skipped, onlyTwo].map((socket) => collect(socket, "multi"));
    await switchboardEmit("--to", one, "--to", two, "--except", skipped.id, "multi");
    assert.deepEqual(await gotBoth.next(), []);
    assert.deepEqual(await gotTwo.next(), []);
    await Promise.all([gotBoth.none(), gotSkipped.none(), gotTwo.none()]);
  });

  test("--nsp /chat reaches the Node.js server's /chat clients, not those of /", async () => {
    ref.io.of("/chat");
    const [chat, root] = await Promise.all([nodeClient("/chat"), nodeClient("/")]);
    const [gotChat, gotRoot] = [chat, root].map((socket) => collect(socket, "chat-news"));
    await switchboardEmit("--nsp", "/chat", "chat-news", '"for /chat"');
    assert.deepEqual(await gotChat.next(), ["for /chat"]);
    await Promise.all([gotChat.none(), gotRoot.none()]);
  });
});

describe("@socket.io/redis-emitter", () => {
  test("emitter.to(room).emit reaches the Switchboard clients in the room only", async () => {
    const room = freshRoom("em-room");
    const [sbIn, sbOut, nodeIn] = await Promise.all([sbClient(), sbClient(), nodeClient()]);
    await sbJoin(sbIn, room);
    await nodeJoin(nodeIn, room);
    const [gotIn, gotOut, gotNode] = [sbIn, sbOut, nodeIn].map((socket) => collect(socket, "em"));
    emitter.to(room).emit("em", { from: "emitter" }, 3);
    assert.deepEqual(await gotIn.next(), [{ from: "emitter" }, 3]);
    assert.deepEqual(await gotNode.next(), [{ from: "emitter" }, 3]);
    await Promise.all([gotIn.none(), gotOut.none()]);
  });

  test("emitter.emit reaches every Switchboard client of the namespace, none of /chat", async () => {
    const [sbA, sbB, sbChat, nodeA] = await Promise.all([sbClient(), sbClient(), sbClient("/chat"), nodeClient()]);
    await waitForServers("/chat", 1);
    const [gotA, gotB, gotChat, gotNode] = [sbA, sbB, sbChat, nodeA].map((socket) => collect(socket, "all"));
    emitter.emit("all", "everyone");
    for (const got of [gotA, gotB, gotNode]) assert.deepEqual(await got.next(), ["everyone"]);
    await Promise.all([gotA.none(), gotB.none(), gotChat.none()]);
  });

  test("emitter.of('/chat').to(room).emit reaches /chat members of room, not / members of a same-named room", async () => {
    const room = freshRoom("em-chat");
    const [chatIn, chatOut, rootIn] = await Promise.all([sbClient("/chat"), sbClient("/chat"), sbClient("/")]);
    await waitForServers("/chat", 1);
    await sbJoin(chatIn, room);
    await sbJoin(rootIn, room);
    const [gotIn, gotOut, gotRoot] = [chatIn, chatOut, rootIn].map((socket) => collect(socket, "chat-news"));
    emitter.of("/chat").to(room).emit("chat-news", "for /chat");
    assert.deepEqual(await gotIn.next(), ["for /chat"]);
    await Promise.all([gotIn.none(), gotOut.none(), gotRoot.none()]);
  });

  test("emitter.to(room).except(id).emit skips the excepted Switchboard socket", async () => {
    const room = freshRoom("em-except");
    const [skipped, kept] = await Promise.all([sbClient(), sbClient()]);
    await sbJoin(skipped, room);
    await sbJoin(kept, room);
    const [gotSkipped, gotKept] = [skipped, kept].map((socket) => collect(socket, "em"));
    emitter.to(room).except(skipped.id).emit("em", "not for skipped");
    assert.deepEqual(await gotKept.next(), ["not for skipped"]);
    await Promise.all([gotSkipped.none(), gotKept.none()]);
  });

  test("emitter Buffers arrive intact on a Switchboard client", async () => {
    const target = await sbClient();
    const got = collect(target, "em-bin");
    emitter.to(target.id).emit("em-bin", bytes, { nested: Buffer.from("nested") });
    const [first, second] = await got.next();
    assert.ok(Buffer.isBuffer(first), `not a Buffer: ${typeof first}`);
    assert.deepEqual(first, bytes);
    assert.ok(Buffer.isBuffer(second.nested), `nested is not a Buffer: ${typeof second.nested}`);
    assert.deepEqual(second.nested, Buffer.from("nested"));
  });

  test("emitter.in(room).socketsJoin(x) puts the Switchboard members of room in x", async () => {
    const room = freshRoom("em-sj");
    const x = freshRoom("em-x");
    const [member, outsider] = await Promise.all([sbClient(), sbClient()]);
    await sbJoin(member, room);
    emitter.in(room).socketsJoin(x);
    const [gotMember, gotOutsider] = [member, outsider].map((socket) => collect(socket, "x"));
    emitter.to(x).emit("x", "in x");
    assert.deepEqual(await gotMember.next(), ["in x"]);
    await Promise.all([gotMember.none(), gotOutsider.none()]);
    const sockets = await fetchById(ref.io.in(member.id));
    assert.deepEqual(sorted(sockets.get(member.id).rooms), sorted([member.id, room, x]));
  });

  test("emitter.in(room).socketsLeave(x) and disconnectSockets() affect the Switchboard members of room", async () => {
    const room = freshRoom("em-sl");
    const x = freshRoom("em-sl-x");
    const [member, outsider] = await Promise.all([sbClient(), sbClient()]);
    await sbJoin(member, [room, x]);
    await sbJoin(outsider, x);
    emitter.in(room).socketsLeave(x);
    const [gotMember, gotOutsider] = [member, outsider].map((socket) => collect(socket, "x"));
    emitter.to(x).emit("x", "after leave");
    assert.deepEqual(await gotOutsider.next(), ["after leave"]);
    await flushThrough(member, (event) => emitter.to(member.id).emit(event));
    await gotMember.none(0);

    const [memberGone, outsiderGone] = [member, outsider].map((socket) => collect(socket, "disconnect"));
    emitter.in(room).disconnectSockets();
    assert.equal((await memberGone.next())[0], "io server disconnect");
    await flushThrough(outsider, (event) => emitter.to(outsider.id).emit(event));
    await outsiderGone.none(0);
  });
});
