"use strict";
// Real-browser test of the demo chat page (resources/public/index.html) when things go
// wrong: its node restarts (the official client reconnects by default; the page shows the
// state, its new socket id and node, and joins its rooms again), and a node that requires
// a token (the page shows the refusal and connects with the token typed in, as auth {token}).
// Prerequisites: see lib/chat-page.js; redis-server from Debian.

const { after, before, describe, it } = require("node:test");
const assert = require("node:assert/strict");
const { NodeProcess } = require("../lib/node-process");
const { RedisServer } = require("../interop/lib/redis-server");
const {
  connected, expectOnce, join, launchChromium, openPage, servesPolling, tearDown, waitForText,
} = require("./lib/chat-page");

const TOKEN = "open-sesame";
const TEST_MS = 30000;
// A restarted node is found again by the client's backoff (1 s, 2 s, 4 s, ... at most 5 s).
const RECONNECT_MS = 20000;

describe("demo chat page in chromium: node restarts and tokens", { timeout: 3 * TEST_MS }, () => {
  const redis = new RedisServer();
  const nodes = [];
  let browser = null;
  let pollingServed = false;

  const startNode = async (args) => {
    const node = new NodeProcess(args);
    nodes.push(node);
    await node.start();
    return node;
  };

  before(
    async () => {
      await redis.start();
      pollingServed = await servesPolling((await startNode(["--redis", redis.url, "--name", "node-a"])).url);
      await startNode(["--redis", redis.url, "--name", "node-b"]);
      await startNode(["--auth-token", TOKEN, "--name", "node-t"]);
      browser = await launchChromium(); // fails saying what to install, never skips
    },
    { timeout: TEST_MS },
  );

  after(() => tearDown(browser, nodes, redis), { timeout: TEST_MS });

  it("comes back when its node restarts: reconnecting, a new socket id, its rooms joined again", { timeout: 2 * TEST_MS }, async () => {
    const [nodeA, nodeB] = nodes;
    const a = await openPage(browser, `${nodeA.url}/`, "page A", { pollingServed });
    const b = await openPage(browser, `${nodeB.url}/`, "page B", { pollingServed });
    await connected(a, "node-a");
    await connected(b, "node-b");
    await join(a, "side");
    await join(b, "side");
    const oldSid = b.sid;

    // While node B is down the page's requests to it fail: expected, and kept apart.
    b.tolerate = () => true;
    await nodeB.stop();
    await waitForText(b, "#log", "* disconnected: ", "the page notices its node left");
    await waitForText(b, "#status", "reconnecting", "the client retries", RECONNECT_MS);
    await startNode(["--redis", redis.url, "--name", "node-b2", "--port", String(nodeB.port)]);
    await connected(b, "node-b2", RECONNECT_MS);
    b.tolerate = b.defaultTolerance;
    assert.notEqual(b.sid, oldSid, "a new socket id after the restart");
    await waitForText(b, "#log", "* joined again: side", "rooms joined again");

    const text = `welcome back at ${Date.now()}`;
    assert.deepEqual(await a.page.evaluate((message) => window.sendMessage({ to: "side", message }), text), { ok: true });
    await expectOnce(b, `[side] ${await a.page.locator("#nick").inputValue()} (${a.sid}): ${text}`);
    for (const p of [a, b]) assert.deepEqual(p.problems, [], `${p.label} reported errors`);
  });

  it("shows a token refusal, takes the token from its field and connects with auth {token}", { timeout: TEST_MS }, async () => {
    const t = await openPage(browser, `${nodes[2].url}/`, "page T", { pollingServed });
    await waitForText(t, "#status", "refused: unauthorized", "the refusal");
    assert.equal(await t.page.locator("#auth").isVisible(), true, "the token field shows");
    await waitForText(t, "#auth-error", "this node requires a token", "why");

    await t.page.locator("#token").fill("wrong");
    await t.page.locator("#connect").click();
    await waitForText(t, "#auth-error", "wrong token", "a wrong token is refused");
    assert.equal(await t.page.locator("#status").textContent(), "refused: unauthorized");

    await t.page.locator("#token").fill(TOKEN);
    await t.page.locator("#token").press("Enter");
    await connected(t, "node-t");
    assert.equal(await t.page.locator("#auth").isVisible(), false, "the token field hides once in");
    assert.deepEqual(await t.page.evaluate(() => window.socket.auth), { token: TOKEN });
    assert.deepEqual(t.problems, [], `${t.label} reported errors`);
  });
});
