"use strict";
// Test harness for the interop suite: starts real switchboard-node processes and
// connects the official socket.io-client (and raw WebSocket peers) to them.
//
// Everything that waits is bounded: a missing event fails the test with a message
// instead of hanging until the CTest timeout.

const { after, before } = require("node:test");
const { NodeProcess, EVENT_TIMEOUT_MS } = require("../../lib/node-process");

const { requireDependency } = require("./dependency");

const { io } = requireDependency("socket.io-client");
// `ws` is a dependency of engine.io-client, hoisted into node_modules by npm ci.
const WebSocket = requireDependency("ws");

// How long "this must not happen" is watched for.
const GRACE_MS = 300;

// Starts a node for the current test file (or describe block) and stops it, and every
// client made through it, in an `after` hook. Call at module or describe level.
// `args` is an array of extra command-line arguments, or a function returning one (or a
// promise of one) for arguments known only later, such as the URL of a Redis started by
// the test file: the node then starts once they are known.
function startNode(args = []) {
  const deferred = typeof args === "function";
  const node = new NodeProcess(deferred ? [] : args);
  const clients = new Set();
  node.clients = clients;
  node.ready = deferred
    ? Promise.resolve()
        .then(args)
        .then((resolved) => {
          node.args = resolved;
          return node.start();
        })
    : node.start();
  node.ready.catch(() => {}); // reported by the `before` hook below, not as unhandled
  before(() => node.ready);
  node.connect = (nsp = "/", options = {}) => {
    const socket = io(`${node.url}${nsp}`, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      timeout: EVENT_TIMEOUT_MS,
      ...options,
    });
    clients.add(socket);
    return socket;
  };
  // A socket.io-client that is connected (or a failure with the connect_error).
  node.connected = async (nsp = "/", options = {}) => {
    const socket = node.connect(nsp, options);
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", (error) =>
        reject(new Error(`connect to ${nsp} failed: ${error.message}\nnode log:\n${node.log}`)),
      );
    }).finally(() => socket.off("connect").off("connect_error"));
    return socket;
  };
  node.rawWebSocket = () => {
    const ws = new WebSocket(`ws://127.0.0.1:${node.port}/socket.io/?EIO=4&transport=websocket`);
    clients.add(ws);
    return ws;
  };
  after(async () => {
    for (const client of clients) {
      if (client instanceof WebSocket) client.terminate();
      else client.disconnect();
    }
    await node.ready.catch(() => {});
    await node.stop();
  });
  return node;
}

// Resolves with the arguments array of the next `event` on `emitter`.
function once(emitter, event, timeoutMs = EVENT_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const handler = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, handler);
  });
}

// Collects every `event` on `emitter`; `next()` awaits the next one (bounded), and
// `none(ms)` asserts nothing (more) arrives within a grace period.
function collect(emitter, event) {
  const received = [];
  const waiters = [];
  const handler = (...args) => {
    received.push(args);
    while (waiters.length && waiters[0].count <= received.length) waiters.shift().resolve();
  };
  emitter.on(event, handler);
  let consumed = 0;
  return {
    received,
    stop: () => emitter.off(event, handler),
    // The arguments of the next not-yet-consumed event.
    async next(timeoutMs = EVENT_TIMEOUT_MS) {
      const index = consumed++;
      if (received.length <= index) {
        await new Promise((resolve, reject) => {
          const waiter = { count: index + 1, resolve: () => (clearTimeout(timer), resolve()) };
          const timer = setTimeout(() => {
            waiters.splice(waiters.indexOf(waiter), 1);
            reject(new Error(`no '${event}' event #${index + 1} within ${timeoutMs} ms`));
          }, timeoutMs);
          waiters.push(waiter);
          waiters.sort((a, b) => a.count - b.count);
        });
      }
      return received[index];
    },
    // Waits `ms` and then checks that no event beyond the consumed ones arrived.
    async none(ms = GRACE_MS) {
      await delay(ms);
      if (received.length > consumed) {
        throw new Error(
          `unexpected '${event}' event(s): ${JSON.stringify(received.slice(consumed), bufferReplacer)}`,
        );
      }
    },
  };
}

// Resolves with the value of `promise`, or with `fallback` if it takes longer than `ms`.
function within(promise, ms, fallback = null) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Emits with an ack and resolves with the array of the ack's arguments.
function emitWithAck(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(EVENT_TIMEOUT_MS).emit(event, ...args, (error, ...reply) => {
      if (error) reject(new Error(`no ack for '${event}' within ${EVENT_TIMEOUT_MS} ms`));
      else resolve(reply);
    });
  });
}

function bufferReplacer(key, value) {
  if (value && value.type === "Buffer" && Array.isArray(value.data)) return `<Buffer ${value.data.length}>`;
  return value;
}

// Raw Engine.IO/Socket.IO peer: opens the WebSocket, reads the open packet, CONNECTs to
// `/`, and records every text frame. It never answers pings unless told to.
async function rawClient(node, { answerPings = false } = {}) {
  const ws = node.rawWebSocket();
  const frames = collect(ws, "message");
  const closed = new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: String(reason), at: Date.now() })));
  ws.on("message", (data, isBinary) => {
    if (answerPings && !isBinary && String(data) === "2") ws.send("3");
  });
  await once(ws, "open");
  const [open] = await frames.next();
  const openText = String(open);
  if (!openText.startsWith("0")) throw new Error(`expected an Engine.IO open packet, got ${openText}`);
  const handshake = JSON.parse(openText.slice(1));
  const openedAt = Date.now();
  ws.send("40");
  let connectText;
  do {
    const [frame] = await frames.next();
    connectText = String(frame);
  } while (connectText === "2");
  const match = /^40(\{.*\})$/.exec(connectText);
  if (!match) throw new Error(`expected a Socket.IO CONNECT reply, got ${connectText}`);
  // The next text frame that is not a ping.
  const next = async (timeoutMs) => {
    for (;;) {
      const [frame] = await frames.next(timeoutMs);
      if (String(frame) !== "2") return String(frame);
    }
  };
  return { ws, frames, next, closed, handshake, openedAt, sid: JSON.parse(match[1]).sid };
}

module.exports = {
  io,
  WebSocket,
  startNode,
  once,
  collect,
  delay,
  within,
  emitWithAck,
  rawClient,
  GRACE_MS,
  EVENT_TIMEOUT_MS,
};
