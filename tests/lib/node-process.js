"use strict";
// A switchboard-node child process on 127.0.0.1 and a port the OS picked, for the Node.js
// test suites (interop, browser). Startup and every wait are bounded.

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const DEFAULT_BINARY = path.resolve(__dirname, "../../build/server/switchboard-node");
const STARTUP_TIMEOUT_MS = 10000;
const EVENT_TIMEOUT_MS = 3000;

function nodeBinary() {
  const binary = process.env.SWITCHBOARD_NODE || DEFAULT_BINARY;
  if (!fs.existsSync(binary)) {
    throw new Error(
      `switchboard-node binary not found at ${binary}: build the switchboard-node target ` +
        "or set SWITCHBOARD_NODE to its path",
    );
  }
  return binary;
}

// A running switchboard-node process. `log` is everything it wrote to stderr so far.
class NodeProcess {
  constructor(args) {
    this.args = args;
    this.log = "";
    this.stdout = "";
    this.port = 0;
    this.url = "";
    this.exited = false;
    this.exitCode = null;
    this.exitSignal = null;
    this.stopping = false;
    this.logWaiters = [];
  }

  start() {
    const binary = nodeBinary();
    this.child = spawn(binary, ["--host", "127.0.0.1", "--port", "0", "--drain-ms", "0", ...this.args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stderr.setEncoding("utf8");
    this.child.stdout.setEncoding("utf8");
    this.child.stderr.on("data", (chunk) => {
      this.log += chunk;
      this.logWaiters = this.logWaiters.filter((waiter) => !waiter(this.log));
    });
    this.exitPromise = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exited = true;
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        fail(new Error(`switchboard-node did not report listening within ${STARTUP_TIMEOUT_MS} ms`));
      }, STARTUP_TIMEOUT_MS);
      const fail = (error) => {
        clearTimeout(timer);
        this.child.kill("SIGKILL");
        reject(new Error(`${error.message}\nargs: ${this.args.join(" ")}\nstderr:\n${this.log}`));
      };
      this.child.on("error", fail);
      this.child.on("exit", (code, signal) => {
        if (!this.port) fail(new Error(`switchboard-node exited early (code ${code}, signal ${signal})`));
      });
      this.child.stdout.on("data", (chunk) => {
        this.stdout += chunk;
        const match = /listening on (http:\/\/[^\s]+:(\d+)\/)/.exec(this.stdout);
        if (match && !this.port) {
          clearTimeout(timer);
          this.port = Number(match[2]);
          this.url = `http://127.0.0.1:${this.port}`;
          resolve(this);
        }
      });
    });
  }

  // Resolves with the log once `pattern` (RegExp or string) appears in stderr.
  waitForLog(pattern, timeoutMs = EVENT_TIMEOUT_MS) {
    const matches = (log) => (pattern instanceof RegExp ? pattern.test(log) : log.includes(pattern));
    if (matches(this.log)) return Promise.resolve(this.log);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.logWaiters = this.logWaiters.filter((waiter) => waiter !== check);
        reject(new Error(`node log did not show ${pattern} within ${timeoutMs} ms; log:\n${this.log}`));
      }, timeoutMs);
      const check = (log) => {
        if (!matches(log)) return false;
        clearTimeout(timer);
        resolve(log);
        return true;
      };
      this.logWaiters.push(check);
    });
  }

  // Stops the process; throws if it had died on its own before (a crash is a failure).
  async stop() {
    if (!this.child) return;
    const diedEarly = this.exited && !this.stopping;
    this.stopping = true;
    if (!this.exited) {
      this.child.kill("SIGTERM");
      const killer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
      await this.exitPromise;
      clearTimeout(killer);
    }
    if (diedEarly) {
      throw new Error(
        `switchboard-node died during the tests (code ${this.exitCode}, signal ${this.exitSignal})\n` +
          `stderr:\n${this.log}`,
      );
    }
  }
}

module.exports = { NodeProcess, nodeBinary, EVENT_TIMEOUT_MS };
