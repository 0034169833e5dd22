"use strict";
// Real-browser test of the demo page switchboard-node serves at GET /
// (resources/public/index.html): Debian's chromium, driven by playwright-core, loads the
// page from a real switchboard-node in two isolated browser contexts, both join a room,
// and a message sent from one page must show up in both logs.
//
// Prerequisites (missing ones fail the run with a message, never a skip):
//   apt-get install -y --no-install-recommends chromium   -> /usr/bin/chromium
//   npm ci   (in this folder)                             -> node_modules/playwright-core
//   a built switchboard-node (env SWITCHBOARD_NODE, else build/server/switchboard-node)
//
// Every wait is bounded (WAIT_MS); the browser and the node are always torn down in
// `after` hooks.

const fs = require("node:fs");
const path = require("node:path");
const { after, before, describe, it } = require("node:test");
const assert = require("node:assert/strict");
const { NodeProcess } = require("../lib/node-process");

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = "/tmp/switchboard-page.png";
const ROOM = "lobby";
const WAIT_MS = 10000;
const STARTUP_MS = 10000;
// How long "no duplicate arrives" is watched for after a message showed up.
const GRACE_MS = 300;
const TEST_MS = 60000;

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// ---------------------------------------------------------------------------------------
// Prerequisites: each returns what it found or throws an Error telling what to install.

function loadPlaywright() {
  try {
    return require("playwright-core");
  } catch (error) {
    if (error && error.code === "MODULE_NOT_FOUND") {
      throw new Error(
        `browser test dependency 'playwright-core' is not installed: run \`npm ci\` in ` +
          `${__dirname} (node_modules is missing or incomplete)`,
      );
    }
    throw error;
  }
}

function checkChromium() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: install Debian's chromium with ` +
        "`apt-get install -y --no-install-recommends chromium` " +
        "(do not use `npx playwright install`; the test drives the system chromium)",
    );
  }
  return CHROMIUM;
}

// ---------------------------------------------------------------------------------------
// Page helpers.

// Resolves with `promise`, or rejects with `what` after `ms`.
function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Opens the page in a fresh browser context and records what goes wrong in it.
async function openPage(browser, url, label) {
  const context = await browser.newContext();
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location().url || "";
    // The page declares no icon, so chromium's automatic /favicon.ico probe gets the
    // server's 404 (logged as "Failed to load resource"); expected, not a page problem.
    if (where && new URL(where).pathname === "/favicon.ico") return;
    problems.push(`console.error: ${message.text()}${where ? ` (${where})` : ""}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on("requestfailed", (request) => {
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
  });
  page.on("crash", () => problems.push("page crashed"));
  const response = await page.goto(url, { waitUntil: "load" });
  return { label, context, page, response, problems };
}

// Text of the page parts the assertions look at, for failure messages.
async function describePage(p) {
  const grab = (selector) =>
    p.page.locator(selector).textContent({ timeout: 1000 }).catch((e) => `<${e.message.split("\n")[0]}>`);
  return (
    `${p.label}: #status=${JSON.stringify(await grab("#status"))} ` +
    `#sid=${JSON.stringify(await grab("#sid"))}\n#log:\n${await grab("#log")}` +
    (p.problems.length ? `\nproblems:\n${p.problems.join("\n")}` : "")
  );
}

// Waits until `predicate(page text of selector)` holds in the browser; on timeout the error
// shows what the page actually displays.
async function waitForText(p, selector, expected, what) {
  try {
    await p.page.waitForFunction(
      ([sel, text]) => {
        const el = document.querySelector(sel);
        return el !== null && el.textContent.includes(text);
      },
      [selector, expected],
      { timeout: WAIT_MS },
    );
  } catch (error) {
    throw new Error(
      `${p.label}: ${what}: ${selector} did not show ${JSON.stringify(expected)} within ${WAIT_MS} ms ` +
        `(${error.message.split("\n")[0]})\n${await describePage(p)}`,
    );
  }
}

async function logLines(p) {
  const text = await p.page.locator("#log").textContent();
  return text.split("\n").filter((line) => line !== "");
}

// ---------------------------------------------------------------------------------------

describe("switchboard-node demo page in chromium", { timeout: 4 * TEST_MS }, () => {
  const node = new NodeProcess([]);
  let browser = null;
  const pages = [];

  before(
    async () => {
      // Fail loudly (never skip) when something needed is not installed.
      const { chromium } = loadPlaywright();
      const executablePath = checkChromium();
      await node.start();
      browser = await chromium.launch({
        executablePath,
        headless: true,
        args: CHROMIUM_ARGS,
        // playwright-core launches with its own fresh temporary --user-data-dir and
        // removes it on close.
        timeout: 30000,
      });
    },
    { timeout: TEST_MS },
  );

  after(
    async () => {
      const errors = [];
      if (browser) {
        await bounded(browser.close(), 15000, "closing chromium").catch((error) => errors.push(error));
      }
      await node.stop().catch((error) => errors.push(error));
      if (errors.length) throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.join("\n"));
    },
    { timeout: 30000 },
  );

  it("loads in two browser contexts and connects both over WebSocket", { timeout: TEST_MS }, async () => {
    for (const label of ["page 1", "page 2"]) {
      const p = await openPage(browser, `${node.url}/`, label);
      pages.push(p);
      assert.equal(p.response.status(), 200, `${label}: GET / status`);
      assert.match(p.response.headers()["content-type"] || "", /^text\/html/, `${label}: content-type`);
      assert.equal(await p.page.title(), "Switchboard node");
    }
    for (const p of pages) {
      await waitForText(p, "#status", "connected", "WebSocket connect");
      assert.equal(await p.page.locator("#status").textContent(), "connected", await describePage(p));
      assert.equal(await p.page.locator("#status").getAttribute("class"), "ok");
      await waitForText(p, "#sid", "socket id ", "socket id display");
      const sidText = await p.page.locator("#sid").textContent();
      const match = /^socket id (\S+)$/.exec(sidText);
      assert.ok(match, `${p.label}: #sid should read "socket id <id>", got ${JSON.stringify(sidText)}`);
      p.sid = match[1];
    }
    assert.notEqual(pages[0].sid, pages[1].sid, "the two contexts must get different socket ids");
    for (const p of pages) assert.deepEqual(p.problems, [], `${p.label} reported errors`);
  });

  it(`joins room "${ROOM}" in both pages and relays a message to both (self:true)`, { timeout: TEST_MS }, async () => {
    assert.equal(pages.length, 2, "the connect test must have opened both pages");
    assert.ok(pages.every((p) => p.sid), "both pages must be connected with a socket id");

    for (const p of pages) {
      await p.page.locator("#room").fill(ROOM);
      await p.page.locator("#join").click();
      await waitForText(p, "#log", "join: ", "join ack");
      const line = (await logLines(p)).find((l) => l.startsWith("join: "));
      const reply = JSON.parse(line.slice("join: ".length));
      assert.equal(reply.ok, true, `${p.label}: join ack ${line}`);
      assert.ok(Array.isArray(reply.rooms) && reply.rooms.includes(ROOM), `${p.label}: join ack ${line}`);
      assert.ok(reply.rooms.includes(p.sid), `${p.label}: join ack should list its own room: ${line}`);
    }

    const [sender, receiver] = pages;
    const text = `hello from page 1 at ${Date.now()}`;
    await sender.page.locator("#text").fill(text);
    await sender.page.getByRole("button", { name: "Send to room" }).click();

    const expected = `message from ${sender.sid}: ${JSON.stringify(text)}`;
    await waitForText(receiver, "#log", expected, "relayed message in the other page");
    await waitForText(sender, "#log", expected, "own message back (self:true)");
    await delay(GRACE_MS);
    for (const p of pages) {
      const lines = await logLines(p);
      assert.equal(lines.filter((l) => l === expected).length, 1, `${p.label}: message exactly once\n${await describePage(p)}`);
      assert.ok(!lines.some((l) => l.startsWith("send refused")), `${p.label}: send refused\n${await describePage(p)}`);
      assert.deepEqual(p.problems, [], `${p.label} reported errors`);
      assert.equal(await p.page.locator("#status").textContent(), "connected", `${p.label} still connected`);
    }

    await sender.page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: WAIT_MS });
  });

  it("/healthz linked from the page returns JSON with status ok", { timeout: TEST_MS }, async () => {
    assert.ok(pages.length >= 1, "the connect test must have opened a page");
    const { context } = pages[0];
    const page = await context.newPage();
    try {
      await page.goto(`${node.url}/`, { waitUntil: "load", timeout: WAIT_MS });
      const link = page.locator('a[href="/healthz"]');
      assert.equal(await link.count(), 1, "the page should link to /healthz exactly once");
      const [response] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === "/healthz", { timeout: WAIT_MS }),
        link.click({ timeout: WAIT_MS }),
      ]);
      await page.waitForURL(`${node.url}/healthz`, { timeout: WAIT_MS });
      assert.equal(response.status(), 200);
      assert.match(response.headers()["content-type"] || "", /^application\/json/);
      const health = await response.json();
      assert.equal(health.status, "ok", JSON.stringify(health));
      assert.equal(typeof health.name, "string", JSON.stringify(health));
      // The two pages of the other tests are still connected to "/".
      assert.ok(health.sockets && health.sockets["/"] >= 2, `expected >= 2 sockets on "/": ${JSON.stringify(health)}`);
      // What the browser rendered is that same JSON.
      const shown = JSON.parse(await page.locator("body").innerText({ timeout: WAIT_MS }));
      assert.equal(shown.status, "ok");
    } finally {
      await page.close().catch(() => {});
    }
  });
});
