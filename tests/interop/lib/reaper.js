"use strict";
// Kills the child processes a test file started if the file ends without its `after` hooks
// having stopped them (a cancelled or timed-out file, an interrupt): no redis-server or
// switchboard-node outlives the test process. Only processes passed to track() are touched.

const children = new Set();
let installed = false;

function killAll() {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  children.clear();
}

function install() {
  if (installed) return;
  installed = true;
  process.on("exit", killAll);
  for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15]]) {
    process.once(signal, () => {
      killAll();
      process.exit(128 + number);
    });
  }
}

function track(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  install();
  children.add(child);
  child.once("exit", () => children.delete(child));
}

module.exports = { track };
