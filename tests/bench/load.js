#!/usr/bin/env node
"use strict";
// Load generator for the benchmarks: raw Engine.IO v4 / Socket.IO v5 WebSocket clients of
// switchboard-node's built-in relay events, without socket.io-client (too heavy for
// thousands of sockets in one process).
//
//   node load.js --ports 3000,3001 --sockets 5000 --rooms 5000 --rate 1250 --duration 60
//
// 1. Ramp-up: opens --sockets connections spread round-robin over --ports, --batch at a
//    time, each one `40` (CONNECT to `/`) then `42["join","room-<k>"]`; socket j of this
//    process (global index --index-offset + j) joins room-<global % rooms>. Server pings
//    (`2`) are answered with `3` all along.
// 2. Waits for the signal to send: SIGUSR1, or at once with --start now; gives up after
//    --start-timeout seconds.
// 3. Sends `42["send",{"to":"room-<k>","data":{"n":i}}]` at --rate messages/s in total for
//    this process (paced every 10 ms from the elapsed time, so that a late tick catches up,
//    at most one second behind), for --duration seconds, from the connected sockets in
//    turn, each to a room it is not in.
// 4. Keeps the connections open until SIGTERM/SIGINT or --hold seconds, then closes them.
//
// Progress and results are JSON lines on stdout ({"event": "ready" | "sending" | "report" |
// "done" | "error", ...}); every wait is bounded, and the process always ends by itself.

const path = require("node:path");

const WebSocket = require(path.join(__dirname, "..", "interop", "node_modules", "ws"));

function parseArgs(argv) {
  const options = {
    host: "127.0.0.1",
    ports: [],
    sockets: 1000,
    indexOffset: 0,
    rooms: 1000,
    batch: 200,
    batchPauseMs: 100,
    connectTimeout: 20, // s, per batch
    rate: 100, // messages/s, this process
    duration: 10, // s
    start: "signal", // or "now"
    startTimeout: 600, // s
    hold: 600, // s after sending
    reportEvery: 5, // s
    label: `load-${process.pid}`,
  };
  const numeric = new Set([
    "sockets", "indexOffset", "rooms", "batch", "batchPauseMs", "connectTimeout", "rate",
    "duration", "startTimeout", "hold", "reportEvery",
  ]);
  for (let i = 2; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!flag.startsWith("--") || value === undefined) throw new Error(`bad argument ${flag}`);
    const name = flag.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(name in options)) throw new Error(`unknown option ${flag}`);
    if (name === "ports") options.ports = value.split(",").map(Number);
    else if (numeric.has(name)) {
      options[name] = Number(value);
      if (!Number.isFinite(options[name]) || options[name] < 0)
        throw new Error(`bad value for ${flag}: ${value}`);
    } else options[name] = value;
  }
  if (!options.ports.length || options.ports.some((p) => !Number.isInteger(p) || p <= 0))
    throw new Error("--ports p1,p2,... is required");
  if (options.rooms < 2) throw new Error("--rooms must be at least 2");
  return options;
}

const options = parseArgs(process.argv);
const log = (event, fields = {}) =>
  process.stdout.write(JSON.stringify({ event, label: options.label, t: Date.now(), ...fields }) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const stats = {
  opened: 0,
  connected: 0, // Socket.IO CONNECT acknowledged
  failed: 0,
  closedUnexpectedly: 0,
  pings: 0,
  sent: 0,
  received: 0, // relayed "message" events
  receivedBytes: 0,
  connectErrors: {},
};
const clients = []; // connected clients, in order
let stopping = false;
// Resolves on SIGTERM/SIGINT (installed in main), which also sets `stopping`.
let signalled;
const stopSignal = new Promise((resolve) => {
  signalled = resolve;
});


// One client; resolves when connected to `/` and the join was sent, rejects on failure.
function openClient(index) {
  const port = options.ports[index % options.ports.length];
  const room = `room-${(options.indexOffset + index) % options.rooms}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${options.host}:${port}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
      handshakeTimeout: options.connectTimeout * 1000,
    });
    const client = { ws, index, room, port, connected: false };
    let settled = false;
    const fail = (why) => {
      if (settled) return;
      settled = true;
      stats.failed += 1;
      stats.connectErrors[why] = (stats.connectErrors[why] || 0) + 1;
      try {
        ws.terminate();
      } catch {}
      reject(new Error(why));
    };
    ws.on("open", () => {
      stats.opened += 1;
    });
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (text === "2") {
        stats.pings += 1;
        ws.send("3");
      } else if (text.startsWith("0{")) {
        ws.send("40");
      } else if (text.startsWith("40")) {
        if (client.connected) return;
        client.connected = true;
        stats.connected += 1;
        ws.send(`42${JSON.stringify(["join", room])}`);
        settled = true;
        resolve(client);
      } else if (text.startsWith("42")) {
        stats.received += 1;
        stats.receivedBytes += text.length;
      } else if (text.startsWith("44")) {
        fail(`connect_error ${text.slice(0, 80)}`);
      }
    });
    ws.on("error", (error) => fail(error.code || error.message));
    ws.on("close", (code) => {
      if (!settled) fail(`closed ${code} during connect`);
      else if (!stopping) stats.closedUnexpectedly += 1;
      client.connected = false;
    });
  });
}

async function rampUp() {
  const started = Date.now();
  for (let first = 0; first < options.sockets && !stopping; first += options.batch) {
    const last = Math.min(options.sockets, first + options.batch);
    const batch = [];
    for (let i = first; i < last; i += 1) batch.push(openClient(i));
    const timeout = sleep(options.connectTimeout * 1000).then(() => "timeout");
    const results = await Promise.race([Promise.allSettled(batch), timeout]);
    if (results === "timeout") {
      log("error", { stage: "ramp", message: `batch at ${first} not connected after ${options.connectTimeout} s` });
      break;
    }
    for (const r of results) if (r.status === "fulfilled") clients.push(r.value);
    if (options.batchPauseMs) await sleep(options.batchPauseMs);
  }
  log("ready", {
    connected: stats.connected,
    failed: stats.failed,
    errors: stats.connectErrors,
    rampSeconds: (Date.now() - started) / 1000,
    memoryMiB: Math.round(process.memoryUsage().rss / 1048576),
  });
}

// Resolves on SIGUSR1 (its listener is installed at start, so that an early signal is kept
// and never starts Node's inspector, SIGUSR1's default meaning in Node).
let goSignalled;
const goSignal = new Promise((resolve) => {
  goSignalled = resolve;
});

function waitForStart() {
  if (options.start === "now") return Promise.resolve(true);
  let timer;
  return Promise.race([
    goSignal.then(() => true),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), options.startTimeout * 1000);
    }),
    stopSignal.then(() => false),
  ]).finally(() => clearTimeout(timer));
}

async function send() {
  const live = () => clients.filter((c) => c.connected);
  let senders = live();
  if (!senders.length || options.rate <= 0 || options.duration <= 0) {
    log("report", { final: true, sent: 0, note: "nothing to send" });
    return;
  }
  log("sending", { rate: options.rate, duration: options.duration, senders: senders.length });
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  let sent = 0;
  let next = 0; // next sender
  let lastReport = { t: 0, sent: 0, received: stats.received };
  let maxLagMs = 0;
  let behindMax = 0;
  const receivedAtStart = stats.received;
  let lastTick = seconds();
  while (!stopping) {
    const now = seconds();
    if (now >= options.duration) break;
    maxLagMs = Math.max(maxLagMs, (now - lastTick) * 1000);
    lastTick = now;
    let due = Math.floor(now * options.rate) - sent;
    behindMax = Math.max(behindMax, due);
    due = Math.min(due, options.rate); // never more than one second's worth at once
    if (due > 0 && next >= senders.length) {
      senders = live();
      next = 0;
    }
    for (let k = 0; k < due && senders.length; k += 1) {
      const client = senders[next];
      next = (next + 1) % senders.length;
      if (!client.connected) continue;
      // A room this client is not in: its own room index plus 1 + (n mod rooms-1).
      const own = (options.indexOffset + client.index) % options.rooms;
      const target = (own + 1 + ((options.indexOffset + sent) % (options.rooms - 1))) % options.rooms;
      client.ws.send(`42${JSON.stringify(["send", { to: `room-${target}`, data: { n: sent } }])}`);
      sent += 1;
    }
    stats.sent = sent;
    if (now - lastReport.t >= options.reportEvery) {
      const dt = now - lastReport.t;
      log("report", {
        seconds: Math.round(now),
        sendRate: Math.round((sent - lastReport.sent) / dt),
        receiveRate: Math.round((stats.received - lastReport.received) / dt),
        connected: live().length,
        maxLoopLagMs: Math.round(maxLagMs),
      });
      lastReport = { t: now, sent, received: stats.received };
      maxLagMs = 0;
    }
    await sleep(10);
  }
  const elapsed = seconds();
  log("report", {
    final: true,
    seconds: Number(elapsed.toFixed(2)),
    sent,
    sendRate: Math.round(sent / elapsed),
    targetRate: options.rate,
    received: stats.received - receivedAtStart,
    receiveRate: Math.round((stats.received - receivedAtStart) / elapsed),
    maxBehind: behindMax,
    connected: live().length,
    closedUnexpectedly: stats.closedUnexpectedly,
    memoryMiB: Math.round(process.memoryUsage().rss / 1048576),
  });
}

function hold() {
  return Promise.race([sleep(options.hold * 1000), stopSignal]);
}

async function closeAll() {
  stopping = true;
  for (const c of clients) {
    try {
      c.ws.close(1000);
    } catch {}
  }
  await sleep(500);
  for (const c of clients) {
    try {
      c.ws.terminate();
    } catch {}
  }
}

async function main() {
  const onSignal = (name) => {
    if (!stopping) log("stopping", { signal: name });
    stopping = true;
    signalled();
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGUSR1", () => goSignalled());
  // Whatever happens, the process ends: the longest possible life plus a margin.
  const limit = options.sockets / Math.max(1, options.batch) * (options.connectTimeout + 1) +
    options.startTimeout + options.duration + options.hold + 60;
  setTimeout(() => {
    log("error", { stage: "watchdog", message: `still running after ${Math.round(limit)} s` });
    process.exit(3);
  }, limit * 1000).unref();

  await rampUp();
  if (!stopping) {
    const go = await waitForStart();
    if (go) await send();
    else if (!stopping) log("error", { stage: "start", message: `no SIGUSR1 within ${options.startTimeout} s` });
  }
  if (!stopping) await hold();
  const receivedTotal = stats.received;
  await closeAll();
  log("done", { sent: stats.sent, received: receivedTotal, pings: stats.pings, closedUnexpectedly: stats.closedUnexpectedly });
  process.exit(0);
}

main().catch((error) => {
  log("error", { stage: "main", message: String(error && error.stack || error) });
  process.exit(1);
});
