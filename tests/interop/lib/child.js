"use strict";
// A helper process of a test (redis-server, haproxy): started with its output kept for failure
// messages (`child.log`, the last 32 to 64 KiB of stdout and stderr), tracked by the reaper,
// with `exited` and `exitPromise`; `stopChild` ends it within a bound.

const { spawn } = require("node:child_process");
const { track } = require("./reaper");

function spawnLogged(binary, args, options = {}) {
  const child = spawn(binary, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  track(child);
  child.log = "";
  const append = (chunk) => {
    child.log += chunk;
    if (child.log.length > 64 * 1024) child.log = child.log.slice(-32 * 1024);
  };
  child.stdout.setEncoding("utf8").on("data", append);
  child.stderr.setEncoding("utf8").on("data", append);
  child.exited = false;
  child.exitPromise = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      child.exited = true;
      resolve({ code, signal });
    }),
  );
  child.once("error", (error) => append(`spawn error: ${error.message}\n`));
  return child;
}

// Sends `signal`, then SIGKILL if the process is still there after `timeoutMs`.
async function stopChild(child, timeoutMs, signal = "SIGTERM") {
  if (!child || child.exited) return;
  child.kill(signal);
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  await child.exitPromise;
  clearTimeout(killer);
}

module.exports = { spawnLogged, stopChild };
