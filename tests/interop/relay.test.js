"use strict";
// The built-in relay service (join / leave / send) driven by socket.io-client 4.8.1.

const { describe, it } = require("node:test");
const assert = require("node:assert/strict");
const { startNode, collect, emitWithAck } = require("./lib/harness");

const node = startNode();

// `count` connected clients on `nsp`, each with a collector of its "message" events.
async function clients(count, nsp = "/") {
  const sockets = await Promise.all(Array.from({ length: count }, () => node.connected(nsp)));
  return sockets.map((socket) => ({ socket, id: socket.id, messages: collect(socket, "message") }));
}

async function join(client, rooms) {
  const [reply] = await emitWithAck(client.socket, "join", rooms);
  assert.equal(reply.ok, true, `join ${JSON.stringify(rooms)} failed: ${JSON.stringify(reply)}`);
  return reply;
}

async function send(client, request) {
  const reply = await emitWithAck(client.socket, "send", request);
  assert.deepEqual(reply, [{ ok: true }]);
}

let roomCounter = 0;
const freshRoom = (label) => `${label}-${++roomCounter}`;

describe("message shape", () => {
  it("is {from, to, data} with to as given (a room)", async () => {
    const [a, b] = await clients(2);
    const room = freshRoom("shape");
    await join(b, room);
    await send(a, { to: room, data: { text: "hi", n: 1, list: [true, null] } });
    assert.deepEqual(await b.messages.next(), [
      { from: a.id, to: room, data: { text: "hi", n: 1, list: [true, null] } },
    ]);
  });

  it("keeps to as given when it is an array", async () => {
    const [a, b] = await clients(2);
    const room = freshRoom("shape-array");
    await join(b, room);
    await send(a, { to: [room, b.id], data: "x" });
    assert.deepEqual(await b.messages.next(), [{ from: a.id, to: [room, b.id], data: "x" }]);
    await b.messages.none();
  });

  it("has to:null and data:null when both are omitted", async () => {
    const [a, b] = await clients(2);
    await send(a, {});
    assert.deepEqual(await b.messages.next(), [{ from: a.id, to: null, data: null }]);
  });

  it("uses the custom event name given in `event`", async () => {
    const [a, b] = await clients(2);
    const custom = collect(b.socket, "chat:line");
    await send(a, { to: b.id, event: "chat:line", data: "hello" });
    assert.deepEqual(await custom.next(), [{ from: a.id, to: b.id, data: "hello" }]);
    await b.messages.none();
  });
});

describe("binary", () => {
  const bytes = Buffer.from([0, 1, 2, 127, 128, 254, 255, 0x2d, 0x5b]);

  it("round-trips a Buffer sent to the sender's own id with self:true", async () => {
    const [a] = await clients(1);
    await send(a, { to: a.id, self: true, data: bytes });
    const [message] = await a.messages.next();
    assert.equal(message.from, a.id);
    assert.equal(message.to, a.id);
    assert.ok(Buffer.isBuffer(message.data), `data is not a Buffer: ${typeof message.data}`);
    assert.deepEqual(message.data, bytes);
  });

  it("round-trips nested Buffers through a room", async () => {
    const [a, b] = await clients(2);
    const room = freshRoom("binary");
    await join(a, room);
    await join(b, room);
    const big = Buffer.alloc(70000, 0xab);
    const data = {
      text: "mixed",
      first: Buffer.from("first"),
      list: [Buffer.from([1, 2, 3]), { deep: Buffer.from([]) }, 42, big],
    };
    await send(a, { to: room, self: true, data });
    for (const client of [a, b]) {
      const [message] = await client.messages.next();
      assert.equal(message.from, a.id);
      assert.equal(message.to, room);
      assert.equal(message.data.text, "mixed");
      assert.deepEqual(message.data.first, Buffer.from("first"));
      assert.deepEqual(message.data.list[0], Buffer.from([1, 2, 3]));
      assert.deepEqual(message.data.list[1].deep, Buffer.from([]));
      assert.equal(message.data.list[2], 42);
      assert.deepEqual(message.data.list[3], big);
      assert.ok(Buffer.isBuffer(message.data.first));
    }
  });
});

describe("rooms", () => {
  it("join / send to a room: members receive, the sender is excluded", async () => {
    const [a, b, c, outsider] = await clients(4);
    const room = freshRoom("room");
    for (const client of [a, b, c]) await join(client, room);
    await send(a, { to: room, data: 1 });
    assert.deepEqual(await b.messages.next(), [{ from: a.id, to: room, data: 1 }]);
    assert.deepEqual(await c.messages.next(), [{ from: a.id, to: room, data: 1 }]);
    await Promise.all([a.messages.none(), outsider.messages.none()]);
  });

  it("self:true includes the sender", async () => {
    const [a, b] = await clients(2);
    const room = freshRoom("self");
    await join(a, room);
    await join(b, room);
    await send(a, { to: room, self: true, data: "me too" });
    assert.deepEqual(await a.messages.next(), [{ from: a.id, to: room, data: "me too" }]);
    assert.deepEqual(await b.messages.next(), [{ from: a.id, to: room, data: "me too" }]);
    await Promise.all([a.messages.none(), b.messages.none()]);
  });

  it("self:false excludes the sender even when it is in the room", async () => {
    const [a, b] = await clients(2);
    const room = freshRoom("self-false");
    await join(a, room);
    await join(b, room);
    await send(a, { to: room, self: false, data: 2 });
    assert.deepEqual(await b.messages.next(), [{ from: a.id, to: room, data: 2 }]);
    await a.messages.none();
  });

  it("send to a socket id reaches only that socket", async () => {
    const [a, b, c] = await clients(3);
    await send(a, { to: b.id, data: "direct" });
    assert.deepEqual(await b.messages.next(), [{ from: a.id, to: b.id, data: "direct" }]);
    await Promise.all([a.messages.none(), c.messages.none()]);
  });

  it("send to two rooms reaches a member of both exactly once", async () => {
    const [a, both, onlyOne, onlyTwo] = await clients(4);
    const one = freshRoom("union-1");
    const two = freshRoom("union-2");
    await join(both, [one, two]);
    await join(onlyOne, one);
    await join(onlyTwo, two);
    await send(a, { to: [one, two], data: "union" });
    const expected = [{ from: a.id, to: [one, two], data: "union" }];
    assert.deepEqual(await both.messages.next(), expected);
    assert.deepEqual(await onlyOne.messages.next(), expected);
    assert.deepEqual(await onlyTwo.messages.next(), expected);
    await Promise.all([both.messages.none(), onlyOne.messages.none(), onlyTwo.messages.none(), a.messages.none()]);
  });

  it("except a socket id leaves that socket out", async () => {
    const [a, b, c] = await clients(3);
    const room = freshRoom("except-id");
    for (const client of [a, b, c]) await join(client, room);
    await send(a, { to: room, except: b.id, data: "not for b" });
    assert.deepEqual(await c.messages.next(), [{ from: a.id, to: room, data: "not for b" }]);
    await Promise.all([a.messages.none(), b.messages.none()]);
  });

  it("except a room leaves its members out", async () => {
    const [a, b, c, d] = await clients(4);
    const room = freshRoom("except-room");
    const muted = freshRoom("muted");
    for (const client of [a, b, c, d]) await join(client, room);
    await join(b, muted);
    await join(c, muted);
    await send(a, { to: room, except: [muted], data: "unmuted only" });
    assert.deepEqual(await d.messages.next(), [{ from: a.id, to: room, data: "unmuted only" }]);
    await Promise.all([a.messages.none(), b.messages.none(), c.messages.none()]);
  });

  it("leave: a socket that left no longer receives", async () => {
    const [a, b, c] = await clients(3);
    const room = freshRoom("leave");
    await join(b, room);
    await join(c, room);
    const [left] = await emitWithAck(b.socket, "leave", room);
    assert.deepEqual(left, { ok: true, rooms: [b.id] });
    await send(a, { to: room, data: "after leave" });
    assert.deepEqual(await c.messages.next(), [{ from: a.id, to: room, data: "after leave" }]);
    await b.messages.none();
  });

  it("leave of the socket's own room is refused", async () => {
    const [a] = await clients(1);
    const [reply] = await emitWithAck(a.socket, "leave", a.id);
    assert.equal(reply.ok, false);
    assert.equal(typeof reply.error, "string");
    assert.notEqual(reply.error, "");
  });

  it("join of another socket's id is refused with ok:false", async () => {
    const [a, b, c] = await clients(3);
    const [reply] = await emitWithAck(a.socket, "join", b.id);
    assert.equal(reply.ok, false);
    assert.equal(typeof reply.error, "string");
    assert.notEqual(reply.error, "");
    assert.deepEqual(Object.keys(reply).sort(), ["error", "ok"]);
    // a did not end up in b's room: a direct message to b does not reach a.
    await send(c, { to: b.id, data: "for b only" });
    assert.deepEqual(await b.messages.next(), [{ from: c.id, to: b.id, data: "for b only" }]);
    await a.messages.none();
    const [rooms] = await emitWithAck(a.socket, "join", freshRoom("after-refusal"));
    assert.equal(rooms.rooms.includes(b.id), false);
  });
});

describe("invalid send is acked with {ok:false, error}", () => {
  const cases = [
    ["not an object", "just a string"],
    ["`to` a number", { to: 42, data: 1 }],
    ["`to` an array containing a number", { to: ["fine", 7], data: 1 }],
    ["reserved `event` name 'disconnect'", { event: "disconnect", data: 1 }],
    ["`self` not a boolean", { to: "fine", self: "yes", data: 1 }],
  ];
  for (const [label, request] of cases) {
    it(label, async () => {
      const [a, b] = await clients(2);
      await join(b, "fine");
      const disconnects = collect(b.socket, "disconnect");
      const reply = await emitWithAck(a.socket, "send", request);
      assert.equal(reply.length, 1);
      assert.equal(reply[0].ok, false);
      assert.equal(typeof reply[0].error, "string");
      assert.notEqual(reply[0].error, "");
      assert.deepEqual(Object.keys(reply[0]).sort(), ["error", "ok"]);
      // Nothing was delivered, and both connections are still usable.
      await Promise.all([b.messages.none(), disconnects.none()]);
      assert.equal(a.socket.connected, true);
      await send(a, { to: b.id, data: "still works" });
      assert.deepEqual(await b.messages.next(), [{ from: a.id, to: b.id, data: "still works" }]);
    });
  }
});
