#!/usr/bin/env node
"use strict";
// The socket.io side of `make bench`: Node.js socket.io 4.8 + @socket.io/redis-adapter 8.3,
// serving the same relay events as Switchboard's built-in relay service (join, leave, send;
// see server/switchboard/relayservice.cpp and README.md "Built-in relay events"), so that
// one load generator drives both servers the same way.
//
//   node server.js --port 0 --redis redis://127.0.0.1:6379
//
// Prints "listening on http://127.0.0.1:<port>/" once it accepts connections (the line
// switchboard-node prints), then runs until SIGTERM/SIGINT.
//
// Set up as socket.io's docs advise for memory: perMessageDeflate off, the initial HTTP
// request dropped once the connection is open, and `bufferutil` installed (ws uses it for
// masking). Both transports served (socket.io's default `transports`): the benchmark's
// polling rows use HTTP long-polling without upgrade. No HTTP compression of polling
// answers, as Switchboard does not compress them either.

const http = require("node:http");

// From tests/bench/node_modules (`npm ci` in tests/bench).
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const MAX_ROOMS_PER_CALL = 100;
const MAX_ROOM_LENGTH = 256;
const DEFAULT_ACK_TIMEOUT = 5000;
const MAX_ACK_TIMEOUT = 60000;
const RESERVED = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);
const ID_SHAPE = /^[A-Za-z0-9_-]{20}$/;

function parseArgs(argv) {
  const options = { host: "127.0.0.1", port: 0, redis: null };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in options)) throw new Error(`unknown option ${argv[i]}`);
    options[key] = key === "port" ? Number(argv[i + 1]) : argv[i + 1];
  }
  return options;
}

// A room or an array of rooms, each a non-empty string: [rooms, null] or [null, error].
function roomList(value, what) {
  let rooms;
  if (typeof value === "string") rooms = [value];
  else if (Array.isArray(value)) {
    if (value.some((item) => typeof item !== "string"))
      return [null, `${what}: every room must be a string`];
    rooms = value;
  } else return [null, `${what} must be a room name or an array of room names`];
  if (rooms.length === 0) return [null, `${what}: no room given`];
  if (rooms.length > MAX_ROOMS_PER_CALL)
    return [null, `${what}: more than ${MAX_ROOMS_PER_CALL} rooms`];
  if (rooms.some((room) => room.length === 0 || room.length > MAX_ROOM_LENGTH))
    return [null, `${what}: a room name must have 1 to ${MAX_ROOM_LENGTH} characters`];
  return [[...new Set(rooms)], null];
}

function reply(ack, body) {
  if (typeof ack === "function") ack(body);
}

function attachRelay(socket) {
  const fail = (ack, error) => reply(ack, { ok: false, error });
  const rooms = () => [...socket.rooms].sort();

  socket.on("join", (value, ack) => {
    const [list, error] = roomList(value, "join");
    if (error) return fail(ack, error);
    const taken = list.find((room) => room !== socket.id && ID_SHAPE.test(room));
    if (taken)
      return fail(ack, `room '${taken}' has the shape of a socket id: it is that socket's private room`);
    socket.join(list);
    reply(ack, { ok: true, rooms: rooms() });
  });

  socket.on("leave", (value, ack) => {
    const [list, error] = roomList(value, "leave");
    if (error) return fail(ack, error);
    if (list.includes(socket.id)) return fail(ack, "a socket cannot leave its own room");
    for (const room of list) socket.leave(room);
    reply(ack, { ok: true, rooms: rooms() });
  });

  socket.on("send", (request, ack) => {
    if (request === null || typeof request !== "object" || Array.isArray(request))
      return fail(ack, "send expects an object {to, event, data}");
    const to = request.to ?? null;
    let op = socket.nsp;
    if (to !== null) {
      const [list, error] = roomList(to, "to");
      if (error) return fail(ack, error);
      op = op.to(list);
    }
    if (request.except != null) {
      const [list, error] = roomList(request.except, "except");
      if (error) return fail(ack, error);
      op = op.except(list);
    }
    let event = "message";
    if (request.event != null) {
      if (typeof request.event !== "string" || request.event === "")
        return fail(ack, "event must be a non-empty string");
      if (RESERVED.has(request.event)) return fail(ack, `'${request.event}' is a reserved event name`);
      event = request.event;
    }
    if (request.self != null && typeof request.self !== "boolean")
      return fail(ack, "self must be a boolean");
    if (request.self !== true) op = op.except(socket.id);
    if (request.ack != null && typeof request.ack !== "boolean")
      return fail(ack, "ack must be a boolean");
    let timeout = DEFAULT_ACK_TIMEOUT;
    if (request.timeout != null) {
      if (typeof request.timeout !== "number" || request.timeout < 1 || request.timeout > MAX_ACK_TIMEOUT)
        return fail(ack, `timeout must be a number of ms in 1..${MAX_ACK_TIMEOUT}`);
      timeout = Math.trunc(request.timeout);
    }
    const message = { from: socket.id, to, data: request.data ?? null };
    if (request.ack !== true) {
      op.emit(event, message);
      return reply(ack, { ok: true });
    }
    op.timeout(timeout).emit(event, message, (err, replies) => {
      const body = { ok: !err, replies: replies ?? [] };
      if (err) body.error = "operation has timed out";
      reply(ack, body);
    });
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const httpServer = http.createServer();
  const io = new Server(httpServer, { perMessageDeflate: false, httpCompression: false });
  if (options.redis) {
    const pub = createClient({ url: options.redis });
    const sub = pub.duplicate();
    pub.on("error", (error) => console.error("redis:", error.message));
    sub.on("error", (error) => console.error("redis:", error.message));
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
  }
  // socket.io's memory tip: the handshake's HTTP request is not needed once it is open.
  io.engine.on("connection", (rawSocket) => {
    rawSocket.request = null;
  });
  io.of(/.*/).on("connection", attachRelay);
  io.on("connection", attachRelay);
  httpServer.listen(options.port, options.host, () => {
    console.log(`listening on http://${options.host}:${httpServer.address().port}/`);
  });
  const stop = () => {
    io.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
