"use strict";
// The demo chat page through the shipped HAProxy configuration (resources/haproxy/haproxy.cfg,
// run by Debian's haproxy), in Debian's chromium: two pages, each in its own browser context
// (its own cookies), opened at http://chat.localhost:<port>/ (the host ACL of the chat service;
// chromium resolves *.localhost to the loopback address) land on the two chat nodes. What the
// backends send to their room shows in both pages: a job POSTed to /api/emit through HAProxy,
// and a job pushed onto the nodes' --queue list with `redis-cli RPUSH`, both in the reference
// material's form {"room", "message"}.
// Prerequisites: see lib/chat-page.js; redis-server, redis-tools and haproxy from Debian.

const { execFile } = require("node:child_process");
const { after, before, describe, it } = require("node:test");
const assert = require("node:assert/strict");
const { NodeProcess } = require("../lib/node-process");
const { RedisServer } = require("../interop/lib/redis-server");
const { HAProxy } = require("../interop/lib/haproxy");
const { track } = require("../interop/lib/reaper");
const { describePage, expectOnce, join, launchChromium, openPage, tearDown, waitForText } = require("./lib/chat-page");

const TOKEN = "haproxy-browser-test-token";
const QUEUE = "browser-jobs";
const ROOM = "lobby";
const TEST_MS = 30000;

// `redis-cli` with `args`, as a producer would run it; resolves with its output.
function redisCli(port, args) {
  return new Promise((resolve, reject) => {
    execFile("redis-cli", ["-p", String(port), ...args], { timeout: 5000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(" ")}: ${error.message} ${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

describe("demo chat page behind HAProxy: backends' messages in both pages", { timeout: 4 * TEST_MS }, () => {
  const redis = new RedisServer();
  const nodes = [];
  let lb = null;
  let browser = null;
  const pages = [];

  before(
    async () => {
      await redis.start();
      for (const name of ["chat-1", "chat-2", "notify-1"]) {
        const node = new NodeProcess(["--redis", redis.url, "--name", name, "--api-token", TOKEN, "--queue", QUEUE]);
        nodes.push(node);
        await node.start();
        track(node.child);
      }
      lb = await new HAProxy({ chat: [nodes[0].port, nodes[1].port], notify: [nodes[2].port] }).start();
      browser = await launchChromium(); // fails saying what to install, never skips
    },
    { timeout: TEST_MS },
  );

  after(
    async () => {
      const errors = [];
      await tearDown(browser, nodes, redis).catch((error) => errors.push(error));
      if (lb) await lb.stop().catch((error) => errors.push(error));
      if (errors.length) throw errors[0];
    },
    { timeout: TEST_MS },
  );

  it("opens the page on both chat nodes through HAProxy, with default options", { timeout: TEST_MS }, async () => {
    const url = `http://chat.localhost:${lb.port}/`;
    const byNode = new Map();
    // HAProxy's leastconn sends each new session to the node with fewer: a second page lands on
    // the other node; a few more tries in case both land on one.
    for (let attempt = 0; attempt < 4 && byNode.size < 2; ++attempt) {
      const p = await openPage(browser, url, `page ${attempt + 1}`, { pollingServed: true });
      await waitForText(p, "#status", "connected", "connect through HAProxy");
      await waitForText(p, "#node", "chat-", "node name");
      const node = await p.page.locator("#node").textContent();
      if (byNode.has(node)) await p.context.close();
      else byNode.set(node, p);
    }
    assert.deepEqual([...byNode.keys()].sort(), ["chat-1", "chat-2"], "one page on each chat node");
    for (const [node, p] of [...byNode.entries()].sort()) {
      p.label = `page on ${node}`;
      pages.push(p);
      assert.equal(p.response.status(), 200);
      // Through HAProxy: its cookie names the page's node.
      const cookies = await p.context.cookies();
      const cookie = cookies.find((c) => c.name === "SERVERID_CHAT");
      assert.equal(cookie && cookie.value, node.replace("-", ""), `${p.label}: ${JSON.stringify(cookies)}`);
      await waitForText(p, "#transport", "websocket", "the upgrade to WebSocket through HAProxy");
      await join(p, ROOM);
    }
  });

  it("shows a message POSTed to /api/emit through HAProxy in both pages", { timeout: TEST_MS }, async () => {
    assert.equal(pages.length, 2, "the pages of the first test");
    const text = `from a backend over HTTP at ${Date.now()}`;
    const response = await fetch(`${lb.url}/api/emit`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ room: ROOM, message: text }),
    });
    assert.equal(response.status, 202, await response.text());
    for (const p of pages) await expectOnce(p, `[server] ${text}`);
  });

  it("shows a job pushed with redis-cli RPUSH onto the nodes' queue in both pages", { timeout: TEST_MS }, async () => {
    assert.equal(pages.length, 2, "the pages of the first test");
    const text = `from a producer through the queue at ${Date.now()}`;
    assert.match(await redisCli(redis.port, ["RPUSH", QUEUE, JSON.stringify({ room: ROOM, message: text })]), /^\d+$/);
    for (const p of pages) await expectOnce(p, `[server] ${text}`);
    // Consumed once: gone from the list, nothing dead-lettered.
    assert.equal(await redisCli(redis.port, ["LLEN", QUEUE]), "0");
    assert.equal(await redisCli(redis.port, ["LLEN", `${QUEUE}:dead`]), "0");
    for (const p of pages) assert.deepEqual(p.problems, [], `${p.label} reported errors\n${await describePage(p)}`);
  });
});
