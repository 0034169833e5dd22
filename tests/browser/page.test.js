"use strict";
// Real-browser test of the demo chat page switchboard-node serves at GET /
// (resources/public/index.html), with the official client bundle the node serves at
// /socket.io/socket.io.js and its default options: Debian's chromium, driven by
// playwright-core, opens one page on each of two real switchboard-node processes that share
// a real redis-server. A room message and a direct message typed in one page show up in the
// other, and window.sendMessage() from one page's console reaches the other.
// (reconnect.test.js: a node restart and a node that requires a token.)
//
// Prerequisites: see lib/chat-page.js; redis-server from Debian.
// The screenshot of the page in README.md is taken here: set SWITCHBOARD_SCREENSHOT to the
// file to write (docs/demo-page.png); by default it goes to the temporary directory.

const os = require("node:os");
const path = require("node:path");
const { after, before, describe, it } = require("node:test");
const assert = require("node:assert/strict");
const { NodeProcess } = require("../lib/node-process");
const { RedisServer } = require("../interop/lib/redis-server");
const {
  WAIT_MS, connected, expectAbsent, expectOnce, join, launchChromium, openPage, servesPolling, tearDown,
  typeNick, waitForText,
} = require("./lib/chat-page");

const SCREENSHOT = process.env.SWITCHBOARD_SCREENSHOT || path.join(os.tmpdir(), "switchboard-page.png");
const ROOM = "lobby";
const TEST_MS = 30000;

describe("demo chat page in chromium, two nodes on one Redis", { timeout: 4 * TEST_MS }, () => {
  const redis = new RedisServer();
  const nodes = [];
  let browser = null;
  let pollingServed = false;
  let a, b; // the pages on node A and node B

  before(
    async () => {
      await redis.start();
      for (const name of ["node-a", "node-b"]) {
        const node = new NodeProcess(["--redis", redis.url, "--name", name]);
        nodes.push(node);
        await node.start();
      }
      pollingServed = await servesPolling(nodes[0].url);
      browser = await launchChromium(); // fails saying what to install, never skips
    },
    { timeout: TEST_MS },
  );

  after(() => tearDown(browser, nodes, redis), { timeout: TEST_MS });

  it("loads on each node, connects with default options and shows its socket id and node", { timeout: TEST_MS }, async () => {
    a = await openPage(browser, `${nodes[0].url}/`, "page A", { pollingServed });
    b = await openPage(browser, `${nodes[1].url}/`, "page B", { pollingServed });
    for (const p of [a, b]) {
      assert.equal(p.response.status(), 200, `${p.label}: GET / status`);
      assert.match(p.response.headers()["content-type"] || "", /^text\/html/, `${p.label}: content-type`);
      assert.equal(await p.page.title(), "Switchboard node");
      assert.equal(await p.page.locator("script[src]").getAttribute("src"), "/socket.io/socket.io.js");
      assert.equal(await p.page.evaluate(() => window.socket.io.reconnection()), true);
    }
    await typeNick(a, "ann");
    await typeNick(b, "bob");
    await connected(a, "node-a");
    await connected(b, "node-b");
    assert.notEqual(a.sid, b.sid);
    for (const p of [a, b]) {
      await waitForText(p, "#transport", "websocket", "WebSocket in the end");
      // Default options: the client's first request is a polling handshake.
      assert.match(p.engine[0] || "", /^GET .*\/socket\.io\/\?EIO=4&transport=polling&t=[^&]+$/, p.engine.join("\n"));
      if (pollingServed) {
        // ... answered, and upgraded to a WebSocket of the same session.
        assert.ok(p.engine.some((r) => /^WebSocket .*transport=websocket&sid=/.test(r)), p.engine.join("\n"));
        assert.deepEqual(p.expectedProblems, []);
      } else {
        // ... refused by a node without polling: the page goes on over WebSocket.
        assert.ok(p.engine.some((r) => /^WebSocket .*transport=websocket$/.test(r)), p.engine.join("\n"));
        await waitForText(p, "#log", "* the node refused polling: trying WebSocket only", "the fallback");
      }
      assert.deepEqual(p.problems, [], `${p.label} reported errors`);
    }
  });

  it("relays a room message typed in page A to page B across the nodes", { timeout: TEST_MS }, async () => {
    assert.ok(a.sid && b.sid, "both pages must be connected");
    await join(a, ROOM);
    await join(b, ROOM);
    const text = "hello everyone in the lobby";
    await a.page.locator("#text").fill(text);
    await a.page.getByRole("button", { name: "Send to room" }).click();
    const line = `[${ROOM}] ann (${a.sid}): ${text}`;
    await expectOnce(b, line);
    await expectOnce(a, line); // its own, back from the node
    for (const p of [a, b]) assert.deepEqual(p.problems, [], `${p.label} reported errors`);
  });

  it("sends a direct message by socket id from page B to page A, echoed in page B", { timeout: TEST_MS }, async () => {
    assert.ok(a.sid && b.sid, "both pages must be connected");
    const text = "psst, only for you";
    await b.page.locator("#to").fill(a.sid);
    await b.page.locator("#text").fill(text);
    await b.page.locator("#dm").click();
    await expectOnce(a, `[direct] bob (${b.sid}) → you: ${text}`);
    await expectOnce(b, `[direct] you → ${a.sid}: ${text}`);
    await expectAbsent(b, `[direct] bob (${b.sid}) → you: ${text}`); // not back to the sender
    for (const p of [a, b]) assert.deepEqual(p.problems, [], `${p.label} reported errors`);
  });

  it("window.sendMessage({from, to, message}) from page A's console reaches page B", { timeout: TEST_MS }, async () => {
    assert.ok(a.sid && b.sid, "both pages must be connected");
    const direct = "typed in the devtools console";
    const send = (args) => a.page.evaluate((m) => window.sendMessage(m), args);
    assert.deepEqual(await send({ from: "console-ann", to: b.sid, message: direct }), { ok: true });
    await expectOnce(b, `[direct] console-ann (${a.sid}) → you: ${direct}`);
    await expectOnce(a, `[direct] you → ${b.sid}: ${direct}`);

    const toRoom = "and to the room, from the console";
    assert.deepEqual(await send({ from: "console-ann", to: ROOM, message: toRoom }), { ok: true });
    await expectOnce(b, `[${ROOM}] console-ann (${a.sid}): ${toRoom}`);
    await b.page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: WAIT_MS });

    // A refusal is the node's reason, in the result and in the log.
    const refused = await send({ to: ["ok", 7], message: "x" });
    assert.equal(refused.ok, false);
    assert.match(refused.error, /room must be a string/);
    await waitForText(a, "#log", "! send refused: to: every room must be a string", "refusal shown");
    for (const p of [a, b]) assert.deepEqual(p.problems, [], `${p.label} reported errors`);
  });

  it("leaves a room: its messages stop arriving", { timeout: TEST_MS }, async () => {
    assert.ok(a.sid && b.sid, "both pages must be connected");
    await b.page.locator("#room").fill(ROOM);
    await b.page.locator("#leave").click();
    await waitForText(b, "#log", `* left ${ROOM}`, "leave");
    assert.ok(!(await b.page.locator("#rooms").textContent()).includes(ROOM));
    const text = "after the leave";
    await a.page.locator("#room").fill(ROOM);
    await a.page.locator("#text").fill(text);
    await a.page.getByRole("button", { name: "Send to room" }).click();
    await expectOnce(a, `[${ROOM}] ann (${a.sid}): ${text}`);
    await expectAbsent(b, text);
  });

  it("/healthz linked from the page returns JSON with status ok", { timeout: TEST_MS }, async () => {
    const page = await a.context.newPage();
    try {
      await page.goto(`${nodes[0].url}/`, { waitUntil: "load", timeout: WAIT_MS });
      const link = page.locator('a[href="/healthz"]');
      assert.equal(await link.count(), 1, "the page should link to /healthz exactly once");
      const [response] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === "/healthz", { timeout: WAIT_MS }),
        link.click({ timeout: WAIT_MS }),
      ]);
      await page.waitForURL(`${nodes[0].url}/healthz`, { timeout: WAIT_MS });
      assert.equal(response.status(), 200);
      assert.match(response.headers()["content-type"] || "", /^application\/json/);
      const health = await response.json();
      assert.equal(health.status, "ok", JSON.stringify(health));
      assert.equal(health.name, "node-a");
      assert.ok(health.sockets && health.sockets["/"] >= 1, JSON.stringify(health));
    } finally {
      await page.close().catch(() => {});
    }
  });
});
