"use strict";
// Clients for the README screenshots: socket.io-client 4.8 sockets on the given node URLs,
// in a few rooms, sending relay messages until the given number of seconds has passed.
// Usage: node screenshot-traffic.js <seconds> <url> [<url>...]
const path = require("node:path");
const { io } = require(path.join(__dirname, "../tests/interop/node_modules/socket.io-client"));

const seconds = Number(process.argv[2] || 30);
const urls = process.argv.slice(3);
const rooms = ["lobby", "support", "sales", "ops"];
const sockets = [];
urls.forEach((url, n) => {
  for (let i = 0; i < 12; i++) {
    const nsp = i % 4 === 3 ? "/chat" : "/";
    const socket = io(url + nsp, { transports: ["websocket"], forceNew: true, auth: { token: "demo", user: `user-${n}-${i}` } });
    socket.on("connect", () => socket.emit("join", [rooms[i % rooms.length], rooms[(i + n) % rooms.length]]));
    sockets.push(socket);
  }
});
let sent = 0;
const timer = setInterval(() => {
  const socket = sockets[sent % sockets.length];
  if (socket.connected)
    socket.emit("send", { to: rooms[sent % rooms.length], event: "chat", data: { text: `message ${sent}`, at: Date.now() } });
  sent++;
}, 40);
setTimeout(() => {
  clearInterval(timer);
  sockets.forEach((s) => s.close());
  process.exit(0);
}, seconds * 1000);
