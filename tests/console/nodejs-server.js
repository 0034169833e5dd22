"use strict";
// The Node.js member of the console GUI test's mixed cluster: the reference socket.io 4.8 server
// with @socket.io/redis-adapter 8.3 (tests/interop/lib/socketio-server.js) on the Redis server
// given as the first argument, and socket.io-client sockets connected to it. It talks JSON
// lines:
//
//   stdout  {"ready":true,"port":N,"uid":"...","clients":["id0","id1",...]}
//           {"client":i,"id":"...","event":"name","args":[...],"ack":true|false}   (every event)
//           {"client":i,"id":"...","disconnect":"reason"}
//           {"reply":seq,"ok":true,...}                                             (commands)
//           {"error":"..."}
//   stdin   {"seq":n,"cmd":"join","client":i,"rooms":[...]}       -> {"reply":n,"rooms":[...]}
//           {"seq":n,"cmd":"relay","client":i,"to":"room","event":"e","args":[...]} -> {"reply":n}
//           {"seq":n,"cmd":"rooms","client":i}                    -> {"reply":n,"rooms":[...]}
//           {"cmd":"quit"}
//
// An event that asks for an ack is answered with {"client":i,"got":event}. The process ends
// when stdin closes (the test went away) or after a hard limit, so it never outlives the test.
//
// The clients send credentials as browsers and apps do, `auth: {token}` and Authorization and
// Cookie headers, all with the value Secret below: the console must show their names, never it.
//
// Usage: node nodejs-server.js <redis-url> <clients> [interop-dir]

const path = require("node:path");
const readline = require("node:readline");
const { createRequire } = require("node:module");

const redisUrl = process.argv[2];
const clientCount = Number(process.argv[3] || 2);
const interopDir =
  process.argv[4] || process.env.SWITCHBOARD_INTEROP_DIR || path.join(__dirname, "../interop");
const HARD_LIMIT_MS = 120000;
const Secret = "s3cret-of-the-nodejs-clients";

const fromInterop = createRequire(path.join(interopDir, "package.json"));
const { startSocketIoServer } = fromInterop("./lib/socketio-server.js");
const { io: connectClient } = fromInterop("socket.io-client");

function print(object) {
  process.stdout.write(`${JSON.stringify(object)}\n`);
}

// Acks of the custom events, bounded.
function call(socket, event, ...args) {
  return socket.timeout(5000).emitWithAck(event, ...args);
}

async function main() {
  if (!redisUrl) throw new Error("usage: nodejs-server.js <redis-url> <clients> [interop-dir]");
  const server = await startSocketIoServer(redisUrl, { requestsTimeout: 3000 });
  const serverSockets = new Map(); // socket id -> server-side socket
  server.io.on("connection", (socket) => {
    serverSockets.set(socket.id, socket);
    socket.on("disconnect", () => serverSockets.delete(socket.id));
  });

  const clients = [];
  for (let i = 0; i < clientCount; ++i) {
    const socket = connectClient(server.url, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      auth: { token: Secret },
      extraHeaders: { authorization: `Bearer ${Secret}`, cookie: `sid=${Secret}` },
    });
    socket.onAny((event, ...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      print({ client: i, id: socket.id, event, args, ack: ack !== null });
      if (ack) ack({ client: i, got: event });
    });
    socket.on("disconnect", (reason) =>
      print({ client: i, id: clients[i].lastId, disconnect: reason }),
    );
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    clients.push({ socket, lastId: socket.id });
  }

  let closing = false;
  async function quit(code) {
    if (closing) return;
    closing = true;
    for (const { socket } of clients) socket.disconnect();
    await Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    process.exit(code);
  }
  setTimeout(() => {
    print({ error: "hard time limit reached" });
    quit(3);
  }, HARD_LIMIT_MS).unref();

  const lines = readline.createInterface({ input: process.stdin });
  lines.on("close", () => quit(0));
  lines.on("line", async (line) => {
    let command;
    try {
      command = JSON.parse(line);
    } catch {
      print({ error: `not JSON: ${line}` });
      return;
    }
    const { seq, cmd } = command;
    try {
      const client = clients[command.client ?? 0];
      if (cmd === "quit") {
        await quit(0);
      } else if (cmd === "join") {
        print({ reply: seq, ok: true, rooms: await call(client.socket, "join", command.rooms) });
      } else if (cmd === "relay") {
        const { to, event, args = [] } = command;
        await call(client.socket, "relay", { to, event, args });
        print({ reply: seq, ok: true });
      } else if (cmd === "rooms") {
        const socket = serverSockets.get(client.socket.id);
        print({ reply: seq, ok: true, rooms: socket ? [...socket.rooms] : null });
      } else {
        print({ reply: seq, ok: false, error: `unknown command ${cmd}` });
      }
    } catch (error) {
      const message = String(error && error.message ? error.message : error);
      print({ reply: seq, ok: false, error: message });
    }
  });

  const uid = server.io.of("/").adapter.uid;
  print({ ready: true, port: server.port, uid, clients: clients.map(({ socket }) => socket.id) });
}

main().catch((error) => {
  print({ error: String(error && error.stack ? error.stack : error) });
  process.exit(2);
});
