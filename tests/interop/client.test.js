"use strict";
// socket.io-client 4.8.1 against switchboard-node: namespaces, auth, acks.

const { describe, it } = require("node:test");
const assert = require("node:assert/strict");
const { startNode, once, collect, emitWithAck, within, EVENT_TIMEOUT_MS } = require("./lib/harness");

const SOCKET_ID = /^[A-Za-z0-9_-]{20}$/;

// Resolves with the connect_error of a client that must be refused.
async function refusal(socket) {
  const outcome = await within(
    new Promise((resolve) => {
      socket.once("connect_error", (error) => resolve({ error }));
      socket.once("connect", () => resolve({ connected: true }));
    }),
    EVENT_TIMEOUT_MS,
    { timedOut: true },
  );
  assert.ok(!outcome.timedOut, "neither connect nor connect_error arrived");
  assert.ok(!outcome.connected, "the connection was accepted, expected a connect_error");
  return outcome.error;
}

describe("connect (no authentication)", () => {
  const node = startNode();

  it("connects to / over websocket and gets a 20-char socket id", async () => {
    const socket = await node.connected("/", { auth: { token: "anything", user: "ann" } });
    assert.equal(socket.connected, true);
    assert.match(socket.id, SOCKET_ID);
    assert.equal(socket.io.engine.transport.name, "websocket");
    // The Socket.IO id is not the Engine.IO session id.
    assert.notEqual(socket.id, socket.io.engine.id);
  });

  it("connects to /chat with an auth object", async () => {
    const socket = await node.connected("/chat", { auth: { token: "x", user: { name: "bob" } } });
    assert.equal(socket.connected, true);
    assert.match(socket.id, SOCKET_ID);
    const [reply] = await emitWithAck(socket, "join", "lobby");
    assert.deepEqual(reply, { ok: true, rooms: [socket.id, "lobby"].sort() });
  });

  it("multiplexes / and /chat over one Engine.IO connection with distinct ids", async () => {
    const root = node.connect("/", { forceNew: true });
    const chat = root.io.socket("/chat");
    node.clients.add(chat);
    await Promise.all([once(root, "connect"), once(chat, "connect")]);
    assert.match(root.id, SOCKET_ID);
    assert.match(chat.id, SOCKET_ID);
    assert.notEqual(root.id, chat.id);
    assert.equal(root.io, chat.io);
    const [reply] = await emitWithAck(chat, "join", "room-in-chat");
    assert.deepEqual(reply, { ok: true, rooms: [chat.id, "room-in-chat"].sort() });
  });

  it("keeps namespaces apart: a send in / does not reach /chat", async () => {
    const sender = await node.connected("/");
    const inRoot = await node.connected("/");
    const inChat = await node.connected("/chat");
    const rootMessages = collect(inRoot, "message");
    const chatMessages = collect(inChat, "message");
    const [ack] = await emitWithAck(sender, "send", { data: "to everyone in /" });
    assert.deepEqual(ack, { ok: true });
    const [message] = await rootMessages.next();
    assert.deepEqual(message, { from: sender.id, to: null, data: "to everyone in /" });
    await chatMessages.none();
  });
});

describe("connect with --auth-token s3cret", () => {
  const node = startNode(["--auth-token", "s3cret"]);

  it("accepts the right token on /", async () => {
    const socket = await node.connected("/", { auth: { token: "s3cret" } });
    assert.match(socket.id, SOCKET_ID);
  });

  it("accepts the right token on /chat", async () => {
    const socket = await node.connected("/chat", { auth: { token: "s3cret" } });
    assert.match(socket.id, SOCKET_ID);
    const [reply] = await emitWithAck(socket, "join", "secure-room");
    assert.deepEqual(reply, { ok: true, rooms: [socket.id, "secure-room"].sort() });
  });

  it("refuses a wrong token with connect_error 'unauthorized'", async () => {
    const socket = node.connect("/", { auth: { token: "wrong" } });
    const error = await refusal(socket);
    assert.equal(error.message, "unauthorized");
    assert.equal(socket.connected, false);
  });

  it("refuses a token that is a prefix of the right one", async () => {
    const error = await refusal(node.connect("/chat", { auth: { token: "s3cre" } }));
    assert.equal(error.message, "unauthorized");
  });

  it("refuses a missing auth object with connect_error 'unauthorized'", async () => {
    const error = await refusal(node.connect("/"));
    assert.equal(error.message, "unauthorized");
  });
});

describe("connect with --namespaces /,/chat", () => {
  const node = startNode(["--namespaces", "/,/chat"]);

  it("accepts / and /chat", async () => {
    const root = await node.connected("/");
    const chat = await node.connected("/chat");
    assert.match(root.id, SOCKET_ID);
    assert.match(chat.id, SOCKET_ID);
  });

  it("refuses /other with connect_error 'Invalid namespace'", async () => {
    const socket = node.connect("/other");
    const error = await refusal(socket);
    assert.equal(error.message, "Invalid namespace");
    assert.equal(socket.connected, false);
  });

  it("refuses /other but keeps / on the same connection working", async () => {
    const root = await node.connected("/");
    const other = root.io.socket("/other");
    node.clients.add(other);
    other.connect();
    const error = await refusal(other);
    assert.equal(error.message, "Invalid namespace");
    assert.equal(root.connected, true);
    const [reply] = await emitWithAck(root, "join", "still-here");
    assert.deepEqual(reply, { ok: true, rooms: [root.id, "still-here"].sort() });
  });
});

describe("acknowledgements", () => {
  const node = startNode();

  it("client -> server: join is acknowledged with all rooms of the socket", async () => {
    const socket = await node.connected("/");
    const [first] = await emitWithAck(socket, "join", "b-room");
    assert.deepEqual(first, { ok: true, rooms: [socket.id, "b-room"].sort() });
    const [second] = await emitWithAck(socket, "join", ["a-room", "b-room"]);
    assert.deepEqual(second, { ok: true, rooms: [socket.id, "a-room", "b-room"].sort() });
  });

  it("client -> server: acks arrive in order for several pending emits", async () => {
    const socket = await node.connected("/");
    const replies = await Promise.all(
      ["r1", "r2", "r3"].map((room) => emitWithAck(socket, "join", room).then(([reply]) => reply)),
    );
    assert.deepEqual(replies[0], { ok: true, rooms: [socket.id, "r1"].sort() });
    assert.deepEqual(replies[1], { ok: true, rooms: [socket.id, "r1", "r2"].sort() });
    assert.deepEqual(replies[2], { ok: true, rooms: [socket.id, "r1", "r2", "r3"].sort() });
  });

  // The relay service never emits with an ack of its own, so a server -> client ack cannot
  // be exercised through the switchboard-node binary. What can be checked: a relayed event
  // carries exactly one argument and no ack callback.
  it("server -> client: relayed events carry no ack request unless asked", async () => {
    const sender = await node.connected("/");
    const receiver = await node.connected("/");
    const args = once(receiver, "relayed");
    const [ack] = await emitWithAck(sender, "send", { to: receiver.id, event: "relayed", data: 1 });
    assert.deepEqual(ack, { ok: true });
    const received = await args;
    assert.equal(received.length, 1);
    assert.deepEqual(received[0], { from: sender.id, to: receiver.id, data: 1 });
  });

  it("server -> client: send with ack:true asks each recipient and returns their acks", async () => {
    const sender = await node.connected("/");
    const first = await node.connected("/");
    const second = await node.connected("/");
    for (const s of [first, second]) await emitWithAck(s, "join", "askers");
    first.on("question", (msg, answer) => answer({ by: "first", got: msg.data }));
    second.on("question", (msg, answer) => answer("second"));
    const [reply] = await emitWithAck(sender, "send", {
      to: "askers", event: "question", data: 7, ack: true, timeout: 2000,
    });
    assert.equal(reply.ok, true);
    assert.equal(reply.replies.length, 2);
    assert.deepEqual(
      reply.replies.map((r) => JSON.stringify(r)).sort(),
      [JSON.stringify({ by: "first", got: 7 }), JSON.stringify("second")].sort(),
    );
  });

  it("server -> client: an unanswered ack times out with the answers that did come", async () => {
    const sender = await node.connected("/");
    const answering = await node.connected("/");
    const silent = await node.connected("/");
    for (const s of [answering, silent]) await emitWithAck(s, "join", "half");
    answering.on("question", (msg, answer) => answer("here"));
    silent.on("question", () => {});
    const started = Date.now();
    const [reply] = await emitWithAck(sender, "send", {
      to: "half", event: "question", ack: true, timeout: 300,
    });
    assert.deepEqual(reply, { ok: false, error: "operation has timed out", replies: ["here"] });
    assert.ok(Date.now() - started >= 250, "the timeout fired early");
  });
});
