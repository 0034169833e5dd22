"use strict";
// A private redis-server (Debian's /usr/bin/redis-server, or REDIS_SERVER) on a free loopback
// port, in a temporary directory, with persistence off. Startup and shutdown are bounded.

const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { spawnLogged, stopChild } = require("./child");

const STARTUP_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 5000;

function redisServerBinary() {
  const candidates = [process.env.REDIS_SERVER, "/usr/bin/redis-server", "/usr/local/bin/redis-server"];
  for (const candidate of candidates) {
    if (candidate && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    "redis-server not found (tried REDIS_SERVER, /usr/bin, /usr/local/bin): " +
      "install Debian's redis-server package (apt-get install redis-server)",
  );
}

// A loopback port that was free a moment ago.
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Resolves once something accepts TCP connections on 127.0.0.1:port and answers PING.
function answersPing(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk;
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

class RedisServer {
  constructor(extraArgs = []) {
    this.extraArgs = extraArgs;
    this.port = 0;
    this.url = "";
    this.child = null;
    this.dir = null;
  }

  // Picks a free port (again if another process took it first) and waits for PONG.
  async start() {
    const binary = redisServerBinary();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-interop-redis-"));
    let lastError;
    for (let attempt = 0; attempt < 5; ++attempt) {
      try {
        await this.launch(binary, await freePort());
        return this;
      } catch (error) {
        lastError = error;
      }
    }
    this.removeDir();
    throw lastError;
  }

  async launch(binary, port) {
    const args = [
      "--save", "",
      "--appendonly", "no",
      "--bind", "127.0.0.1",
      "--port", String(port),
      "--dir", this.dir,
      "--daemonize", "no",
      ...this.extraArgs,
    ];
    const child = spawnLogged(binary, args);
    this.child = child;
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline && !child.exited) {
      if (await answersPing(port)) {
        this.port = port;
        this.url = `redis://127.0.0.1:${port}`;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.kill(child);
    throw new Error(`redis-server on port ${port} did not answer PING:\n${this.log.slice(-2000)}`);
  }

  kill(child) {
    return stopChild(child, STOP_TIMEOUT_MS);
  }

  // What redis-server wrote, for failure messages.
  get log() {
    return this.child ? this.child.log : "";
  }

  removeDir() {
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  async stop() {
    if (this.child) await this.kill(this.child);
    this.child = null;
    this.removeDir();
  }
}

module.exports = { RedisServer, freePort };
