"use strict";
// An in-process Node.js socket.io 4.8 server with @socket.io/redis-adapter 8.3 (node-redis 4
// clients), listening on 127.0.0.1 and a port the OS picked: the "reference" member of a
// mixed cluster. Its sockets understand a few custom events so that tests can drive them:
//
//   join  (room | rooms, ack)            → socket.join(...); ack([...socket.rooms])
//   leave (room, ack)                    → socket.leave(room); ack([...socket.rooms])
//   relay ({to, except, event, args}, ack) → socket.to(to).except(except).emit(event, ...args); ack(true)

const http = require("node:http");

const { requireDependency } = require("./dependency");

const { Server } = requireDependency("socket.io");
const { createAdapter } = requireDependency("@socket.io/redis-adapter");
const { createClient } = requireDependency("redis");

// A connected node-redis 4 client; errors are recorded (and never unhandled).
async function redisClient(url, errors = []) {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on("error", (error) => errors.push(error));
  await client.connect();
  return client;
}

async function quitRedis(client) {
  if (!client || !client.isOpen) return;
  try {
    await client.quit();
  } catch {
    await client.disconnect().catch(() => {});
  }
}

// Starts the server; `requestsTimeout` bounds fetchSockets / serverSideEmit with acks.
async function startSocketIoServer(redisUrl, { requestsTimeout = 3000 } = {}) {
  const errors = [];
  const pubClient = await redisClient(redisUrl, errors);
  const subClient = pubClient.duplicate();
  subClient.on("error", (error) => errors.push(error));
  await subClient.connect();

  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    adapter: createAdapter(pubClient, subClient, { requestsTimeout }),
    transports: ["websocket"],
  });
  io.on("connection", (socket) => {
    socket.on("join", (rooms, ack) => {
      socket.join(rooms);
      if (typeof ack === "function") ack([...socket.rooms]);
    });
    socket.on("leave", (room, ack) => {
      socket.leave(room);
      if (typeof ack === "function") ack([...socket.rooms]);
    });
    socket.on("relay", ({ to, except, event, args = [] }, ack) => {
      let operator = to === undefined ? socket.broadcast : socket.to(to);
      if (except !== undefined) operator = operator.except(except);
      operator.emit(event, ...args);
      if (typeof ack === "function") ack(true);
    });
  });
  await new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(0, "127.0.0.1", resolve);
  });
  const port = httpServer.address().port;

  return {
    io,
    httpServer,
    pubClient,
    subClient,
    errors,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      // io.close() closes the adapters (unsubscribing) and the HTTP server.
      await new Promise((resolve) => io.close(() => resolve()));
      await quitRedis(subClient);
      await quitRedis(pubClient);
    },
  };
}

module.exports = { startSocketIoServer, redisClient, quitRedis };
