"use strict";
// Two real switchboard-node processes on one private redis-server, driven by the official
// socket.io-client 4.8 as an attacker would: a socket id is a private room cluster-wide, and
// the credentials a client presented never reach Redis (REMOTE_FETCH replies go out on a
// channel every server, and anything else on Redis, can read).

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const { startNode, collect, emitWithAck } = require("./lib/harness");
const { RedisServer } = require("./lib/redis-server");
const { track } = require("./lib/reaper");
const { redisClient, quitRedis } = require("./lib/socketio-server");

const TOKEN = "s3cret-token-value";
const PASSWORD = "hunter2-password-value";
const BEARER = "Bearer bearer-header-value";
const COOKIE = "session=cookie-header-value";
const SECRETS = [TOKEN, PASSWORD, "bearer-header-value", "cookie-header-value"];

const redis = new RedisServer();
redis.ready = redis.start();
redis.ready.catch(() => {});
before(() => redis.ready);

const nodeArgs = (name) => async () => {
  await redis.ready;
  return ["--redis", redis.url, "--name", name, "--auth-token", TOKEN];
};
const a = startNode(nodeArgs("sec-a"));
const b = startNode(nodeArgs("sec-b"));

// Every command Redis executes, as `redis-cli MONITOR` prints it.
let monitor;
let monitorLog = "";
let probe;

before(async () => {
  await Promise.all([a.ready, b.ready]);
  track(a.child);
  track(b.child);
  monitor = spawn("redis-cli", ["-p", String(redis.port), "MONITOR"], { stdio: ["ignore", "pipe", "inherit"] });
  monitor.stdout.setEncoding("utf8");
  monitor.stdout.on("data", (chunk) => (monitorLog += chunk));
  await new Promise((resolve) => monitor.stdout.once("data", resolve)); // "OK"
  probe = await redisClient(redis.url);
  // Both nodes serve "/": PUBSUB NUMSUB of its request channel counts them.
  for (let i = 0; i < 100; i++) {
    const counts = await probe.pubSubNumSub("socket.io-request#/#");
    if (counts["socket.io-request#/#"] === 2) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the two nodes did not both subscribe to socket.io-request#/#");
});

after(async () => {
  if (monitor) monitor.kill();
  await quitRedis(probe);
  await redis.stop();
});

const options = {
  auth: { token: TOKEN, password: PASSWORD, nickname: "mallory" },
  extraHeaders: { authorization: BEARER, cookie: COOKIE },
  query: { token: TOKEN, room: "lobby" },
};

describe("a socket id is a private room cluster-wide", () => {
  it("refuses join of a socket id that lives on the other node", async () => {
    const victim = await a.connected("/", options);
    const attacker = await b.connected("/", options);
    const [reply] = await emitWithAck(attacker, "join", victim.id);
    assert.equal(reply.ok, false, `join of ${victim.id} from the other node: ${JSON.stringify(reply)}`);
    assert.match(reply.error, /socket id/);
    // The id of a socket that does not exist (yet) anywhere: refused by its shape as well.
    const [shaped] = await emitWithAck(attacker, "join", "AAAAAAAAAAAAAAAAAAAA");
    assert.equal(shaped.ok, false);
    // Its own id stays allowed, and so does a room of another shape.
    const [own] = await emitWithAck(attacker, "join", [attacker.id, "lobby-room"]);
    assert.equal(own.ok, true);
  });

  it("delivers the victim's direct messages to the victim only", async () => {
    const victim = await a.connected("/", options);
    const attacker = await b.connected("/", options);
    const sender = await b.connected("/", options);
    await emitWithAck(attacker, "join", victim.id); // refused, as above
    const toVictim = collect(victim, "message");
    const toAttacker = collect(attacker, "message");
    const [sent] = await emitWithAck(sender, "send", { to: victim.id, data: "for the victim" });
    assert.deepEqual(sent, { ok: true });
    assert.deepEqual(await toVictim.next(), [{ from: sender.id, to: victim.id, data: "for the victim" }]);
    // And the victim's own sends to the attacker still arrive (it is not in the except room).
    const [back] = await emitWithAck(victim, "send", { to: attacker.id, data: "reply" });
    assert.deepEqual(back, { ok: true });
    assert.deepEqual(await toAttacker.next(), [{ from: victim.id, to: attacker.id, data: "reply" }]);
    await toAttacker.none();
  });

  it("refuses leaving one's own id room", async () => {
    const socket = await a.connected("/", options);
    const [reply] = await emitWithAck(socket, "leave", socket.id);
    assert.equal(reply.ok, false);
  });
});

describe("credentials never reach Redis", () => {
  it("REMOTE_FETCH replies name the credentials without their values", async () => {
    const socket = await a.connected("/", options);
    const responses = await redisClient(redis.url);
    const replies = [];
    await responses.subscribe("socket.io-response#/#", (message) => replies.push(JSON.parse(message)));
    try {
      const requestId = "sec123";
      await probe.publish(
        "socket.io-request#/#",
        JSON.stringify({ uid: "tester", requestId, type: 5, opts: { rooms: [], except: [] } }),
      );
      for (let i = 0; i < 100 && replies.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(replies.length, 2, `replies: ${JSON.stringify(replies)}`);
      const listed = replies.flatMap((reply) => reply.sockets).find((s) => s.id === socket.id);
      assert.ok(listed, `socket ${socket.id} not in ${JSON.stringify(replies)}`);
      const { handshake } = listed;
      assert.deepEqual(Object.keys(handshake.auth).sort(), ["nickname", "password", "token"]);
      assert.equal(handshake.auth.nickname, "mallory");
      assert.equal(handshake.auth.token, "[redacted]");
      assert.equal(handshake.auth.password, "[redacted]");
      assert.equal(handshake.headers.authorization, "[redacted]");
      assert.equal(handshake.headers.cookie, "[redacted]");
      assert.equal(handshake.query.token, "[redacted]");
      assert.equal(handshake.query.room, "lobby");
      assert.ok(handshake.headers["user-agent"] !== undefined || handshake.headers.host, "other headers stay");
      const text = JSON.stringify(replies);
      for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    } finally {
      await quitRedis(responses);
    }
  });

  it("nothing Redis executed during the suite holds a secret", async () => {
    // A fetchSockets from the other node, through the adapter, as a Node.js server would ask.
    const socket = await a.connected("/", options);
    const [reply] = await emitWithAck(socket, "send", { to: socket.id, self: true, data: "ping" });
    assert.deepEqual(reply, { ok: true });
    // MONITOR prints asynchronously: wait (bounded) until it printed this very publish.
    for (let i = 0; i < 100 && !monitorLog.includes(socket.id); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(monitorLog.includes(socket.id), "MONITOR did not show the self-send");
    assert.ok(monitorLog.includes("socket.io-response#/#"), "MONITOR saw no REMOTE_FETCH reply");
    for (const secret of SECRETS) {
      assert.ok(!monitorLog.includes(secret), `Redis saw ${secret}:\n${monitorLog.slice(0, 4000)}`);
    }
  });
});
