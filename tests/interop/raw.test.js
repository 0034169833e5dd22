"use strict";
// Raw Engine.IO/Socket.IO frames over a plain WebSocket (the `ws` package), next to
// official socket.io-client peers.

const { it } = require("node:test");
const assert = require("node:assert/strict");
const { startNode, collect, emitWithAck, rawClient, within } = require("./lib/harness");

const node = startNode();

// Two socket.io-client peers exchanging one message each way.
async function exchange(a, b, data) {
  const atB = collect(b, "message");
  const atA = collect(a, "message");
  assert.deepEqual(await emitWithAck(a, "send", { to: b.id, data }), [{ ok: true }]);
  assert.deepEqual(await atB.next(), [{ from: a.id, to: b.id, data }]);
  assert.deepEqual(await emitWithAck(b, "send", { to: a.id, data }), [{ ok: true }]);
  assert.deepEqual(await atA.next(), [{ from: b.id, to: a.id, data }]);
  atA.stop();
  atB.stop();
}

it("a raw client can join, send and receive with text frames", async () => {
  const peer = await node.connected("/");
  const raw = await rawClient(node, { answerPings: true });
  raw.ws.send('421["join","raw-room"]');
  const joined = await raw.next();
  assert.equal(joined, `431${JSON.stringify([{ ok: true, rooms: [raw.sid, "raw-room"].sort() }])}`);
  const atPeer = collect(peer, "message");
  raw.ws.send(`422["send",{"to":"${peer.id}","data":{"n":1}}]`);
  assert.equal(await raw.next(), '432[{"ok":true}]');
  assert.deepEqual(await atPeer.next(), [{ from: raw.sid, to: peer.id, data: { n: 1 } }]);
  raw.ws.close();
});

it("a packet for a namespace not joined closes only that connection", async () => {
  const a = await node.connected("/");
  const b = await node.connected("/");
  const aDisconnects = collect(a, "disconnect");
  const bDisconnects = collect(b, "disconnect");
  await exchange(a, b, "before");

  const raw = await rawClient(node, { answerPings: true });
  raw.ws.send('42/other,["x"]');
  const closed = await within(raw.closed, 3000);
  assert.ok(closed, "the connection that sent a packet for /other was not closed");
  // The node logs which session it closed and why.
  await node.waitForLog(new RegExp(`closing ${raw.handshake.sid} .*namespace /other not joined`));

  await exchange(a, b, "after");
  await Promise.all([aDisconnects.none(0), bDisconnects.none(0)]);
  assert.equal(a.connected, true);
  assert.equal(b.connected, true);
});

it("a packet for a namespace not joined, sent before any CONNECT, closes the connection", async () => {
  const peer = await node.connected("/");
  const ws = node.rawWebSocket();
  const frames = collect(ws, "message");
  const closed = new Promise((resolve) => ws.once("close", resolve));
  await frames.next();
  assert.match(String(frames.received[0][0]), /^0\{/);
  ws.send('42["not connected"]');
  const result = await within(closed.then(() => "closed"), 3000, "still open");
  assert.equal(result, "closed");
  await node.waitForLog(/namespace \/ not joined/);
  const [reply] = await emitWithAck(peer, "join", "unaffected");
  assert.deepEqual(reply, { ok: true, rooms: [peer.id, "unaffected"].sort() });
});
