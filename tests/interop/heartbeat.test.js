"use strict";
// Engine.IO v4 heartbeats with short intervals: the server pings, the client pongs.

const { it } = require("node:test");
const assert = require("node:assert/strict");
const { startNode, collect, emitWithAck, rawClient, within, EVENT_TIMEOUT_MS } = require("./lib/harness");

const PING_INTERVAL = 200;
const PING_TIMEOUT = 200;
const node = startNode([
  "--ping-interval", String(PING_INTERVAL),
  "--ping-timeout", String(PING_TIMEOUT),
  "--log", "switchboard.engineio.debug=true",
]);

it("announces the configured heartbeat in the open packet", async () => {
  const raw = await rawClient(node, { answerPings: true });
  assert.equal(raw.handshake.pingInterval, PING_INTERVAL);
  assert.equal(raw.handshake.pingTimeout, PING_TIMEOUT);
  assert.deepEqual(raw.handshake.upgrades, []);
  assert.equal(raw.handshake.maxPayload, 1000000);
  assert.match(raw.handshake.sid, /^[A-Za-z0-9_-]{20}$/);
  assert.match(raw.sid, /^[A-Za-z0-9_-]{20}$/);
  assert.notEqual(raw.sid, raw.handshake.sid);
  raw.ws.close();
});

it("keeps an idle socket.io-client alive past 3 ping intervals", async () => {
  const idle = await node.connected("/");
  const peer = await node.connected("/");
  const disconnects = collect(idle, "disconnect");
  const pings = collect(idle.io, "ping");
  // The server sends its next ping only after the previous one was answered, and closes the
  // connection instead when a pong is missing: four pings in a row are three heartbeats the
  // server accepted, more than 3 ping intervals of an idle connection.
  for (let ping = 1; ping <= 4; ++ping) await pings.next(PING_INTERVAL + PING_TIMEOUT + 2000);
  assert.deepEqual(disconnects.received, []);
  assert.equal(idle.connected, true);
  // Still a working connection in both directions.
  const messages = collect(idle, "message");
  const [ack] = await emitWithAck(peer, "send", { to: idle.id, data: "still there?" });
  assert.deepEqual(ack, { ok: true });
  assert.deepEqual(await messages.next(), [{ from: peer.id, to: idle.id, data: "still there?" }]);
  const back = collect(peer, "message");
  await emitWithAck(idle, "send", { to: peer.id, data: "yes" });
  assert.deepEqual(await back.next(), [{ from: idle.id, to: peer.id, data: "yes" }]);
  await disconnects.none();
});

it("drops a client that never answers pings, without disturbing its room peers", async () => {
  const peer = await node.connected("/");
  const peerEvents = ["disconnect", "connect_error", "error"].map((event) => collect(peer, event));
  const managerErrors = ["error", "close", "reconnect_attempt"].map((event) => collect(peer.io, event));
  const [joinedPeer] = await emitWithAck(peer, "join", "heartbeat-room");
  assert.equal(joinedPeer.ok, true);

  const raw = await rawClient(node, { answerPings: false });
  raw.ws.send('420["join","heartbeat-room"]');
  const joined = await raw.next();
  assert.match(joined, /^430\[/);
  assert.deepEqual(JSON.parse(joined.slice(3)), [
    { ok: true, rooms: [raw.sid, "heartbeat-room"].sort() },
  ]);

  // The raw client is in the room: it receives what the peer sends there.
  await emitWithAck(peer, "send", { to: "heartbeat-room", data: "before drop" });
  const relayed = await raw.next();
  assert.match(relayed, /^42\[/);
  assert.deepEqual(JSON.parse(relayed.slice(2)), [
    "message",
    { from: peer.id, to: "heartbeat-room", data: "before drop" },
  ]);

  // The server pings once, waits in vain for the pong and closes: no second ping, a normal
  // close that says why.
  const closed = await within(raw.closed, PING_INTERVAL + PING_TIMEOUT + EVENT_TIMEOUT_MS);
  assert.ok(closed, "the server did not close a client that never answers pings");
  const pings = raw.frames.received.filter(([data, isBinary]) => !isBinary && String(data) === "2");
  assert.equal(pings.length, 1, "the server must close after one unanswered ping, not ping again");
  assert.deepEqual({ code: closed.code, reason: closed.reason }, { code: 1000, reason: "ping timeout" });
  await node.waitForLog(new RegExp(`closing ${raw.handshake.sid} .*ping timeout`));

  // The peer saw no error and keeps working; the dropped socket left the room.
  const messages = collect(peer, "message");
  const [ack] = await emitWithAck(peer, "send", { to: "heartbeat-room", self: true, data: "after drop" });
  assert.deepEqual(ack, { ok: true });
  assert.deepEqual(await messages.next(), [{ from: peer.id, to: "heartbeat-room", data: "after drop" }]);
  await messages.none();
  for (const events of [...peerEvents, ...managerErrors]) await events.none(0);
  assert.equal(peer.connected, true);
});
