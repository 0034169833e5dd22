"use strict";
// Debian's haproxy (/usr/sbin/haproxy, or HAPROXY) running the shipped configuration,
// resources/haproxy/haproxy.cfg, unchanged: the test only sets the environment variables the
// file reads (its listening address, its stats port, the nodes' addresses). Startup, waits and
// shutdown are bounded; the process is tracked by the reaper.

const { execFile } = require("node:child_process");
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { freePort } = require("./redis-server");
const { spawnLogged, stopChild } = require("./child");

const CONFIG = path.resolve(__dirname, "../../../resources/haproxy/haproxy.cfg");
const STARTUP_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 3000;

function haproxyBinary() {
  for (const candidate of [process.env.HAPROXY, "/usr/sbin/haproxy", "/usr/bin/haproxy"]) {
    if (candidate && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    "haproxy not found (tried HAPROXY, /usr/sbin, /usr/bin): install Debian's haproxy package " +
      "(apt-get install haproxy)",
  );
}

// One HTTP request; resolves with {status, headers, body} (body as a string), never hangs.
function request(url, { method = "GET", headers = {}, body, timeoutMs = 3000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: timeoutMs }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body: text }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

// `haproxy -c`: resolves with {code, output} for the shipped file under `env`.
function checkConfig(env = {}) {
  return new Promise((resolve) => {
    execFile(haproxyBinary(), ["-c", "-f", CONFIG], { env: { ...cleanEnv(), ...env }, timeout: 10000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

// The caller's environment without the variables the file reads, so that nothing set outside
// the test (an SB_CHAT3, say) adds a server.
function cleanEnv() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (/^SB_/.test(name)) delete env[name];
  return env;
}

class HAProxy {
  // `groups`: {chat: [port, ...], notify: [port, ...]}, the nodes' ports on 127.0.0.1.
  constructor(groups) {
    this.groups = groups;
    this.child = null;
    this.port = 0;
    this.statsPort = 0;
    this.url = "";
  }

  env() {
    const env = {
      SB_LB_BIND: `127.0.0.1:${this.port}`,
      SB_STATS_PORT: String(this.statsPort),
    };
    for (const [group, ports] of Object.entries(this.groups)) {
      ports.forEach((port, index) => (env[`SB_${group.toUpperCase()}${index + 1}`] = `127.0.0.1:${port}`));
    }
    return env;
  }

  // Starts haproxy (on other ports if one was taken meanwhile) and waits until every node is UP.
  async start() {
    const binary = haproxyBinary();
    let lastError;
    for (let attempt = 0; attempt < 5; ++attempt) {
      try {
        this.port = await freePort();
        this.statsPort = await freePort();
        await this.launch(binary);
        return this;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  async launch(binary) {
    const child = spawnLogged(binary, ["-db", "-f", CONFIG], { env: { ...cleanEnv(), ...this.env() } });
    this.child = child;
    this.url = `http://127.0.0.1:${this.port}`;
    const servers = Object.entries(this.groups).flatMap(([group, ports]) => ports.map((_, i) => `${group}${i + 1}`));
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline && !child.exited) {
      const stats = await this.stats().catch(() => null);
      if (stats && servers.every((server) => stats.get(server) === "UP")) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const states = await this.stats().then((stats) => JSON.stringify(Object.fromEntries(stats)), (error) => error.message);
    await this.stop();
    throw new Error(`haproxy did not show every node UP within ${STARTUP_TIMEOUT_MS} ms (${states}):\n${this.log.slice(-2000)}`);
  }

  // The stats page's CSV: server name -> status ("UP", "DOWN", "UP 1/2", ...).
  async stats() {
    const { status, body } = await request(`http://127.0.0.1:${this.statsPort}/;csv`, { timeoutMs: 1000 });
    if (status !== 200) throw new Error(`stats page answered ${status}`);
    const [header, ...rows] = body.trim().split("\n");
    const columns = header.replace(/^# /, "").split(",");
    const [name, server, state] = ["pxname", "svname", "status"].map((c) => columns.indexOf(c));
    const result = new Map();
    for (const row of rows) {
      const cells = row.split(",");
      if (!["FRONTEND", "BACKEND"].includes(cells[server])) result.set(cells[server], cells[state]);
      result.set(`${cells[name]}/${cells[server]}`, cells[state]);
    }
    return result;
  }

  // Resolves once the stats page shows `server` in `state` (bounded).
  async waitForState(server, state, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = (await this.stats().catch(() => new Map())).get(server);
      if (last === state) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`haproxy did not show ${server} ${state} within ${timeoutMs} ms (last: ${last}):\n${this.log.slice(-2000)}`);
  }

  // A hard stop (SIGTERM): a soft one would wait for the WebSocket tunnels, up to an hour.
  stop() {
    return stopChild(this.child, STOP_TIMEOUT_MS);
  }

  // What haproxy wrote (its log and its warnings), for failure messages.
  get log() {
    return this.child ? this.child.log : "";
  }
}

module.exports = { HAProxy, CONFIG, checkConfig, request };
