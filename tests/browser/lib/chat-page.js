"use strict";
// What the browser tests of the demo chat page (resources/public/index.html) share:
// prerequisites that fail with what to install, chromium, pages that record what goes wrong
// in them, and bounded waits on what a page shows.
//
// Prerequisites (missing ones fail the run with a message, never a skip):
//   apt-get install -y --no-install-recommends chromium redis-server
//   npm ci   (in tests/browser)                           -> node_modules/playwright-core
//   a built switchboard-node (env SWITCHBOARD_NODE, else build/server/switchboard-node)

const fs = require("node:fs");
const path = require("node:path");
const assert = require("node:assert/strict");

const CHROMIUM = "/usr/bin/chromium";
const WAIT_MS = 10000;
// How long "no duplicate arrives" / "nothing arrives" is watched for.
const GRACE_MS = 400;

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function loadPlaywright() {
  try {
    return require("playwright-core");
  } catch (error) {
    if (error && error.code === "MODULE_NOT_FOUND") {
      throw new Error(
        `browser test dependency 'playwright-core' is not installed: run \`npm ci\` in ` +
          `${path.resolve(__dirname, "..")} (node_modules is missing or incomplete)`,
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

// Debian's chromium through playwright-core, which gives it a fresh temporary
// --user-data-dir and removes it on close.
async function launchChromium() {
  const { chromium } = loadPlaywright();
  return chromium.launch({ executablePath: checkChromium(), headless: true, args: CHROMIUM_ARGS, timeout: 30000 });
}

// Resolves with `promise`, or rejects with `what` after `ms`.
function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Whether the node serves Engine.IO long-polling. Until it does, a default client's polling
// handshake gets 400 and the page falls back to WebSocket: those 400s are expected then.
async function servesPolling(url) {
  const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
  await response.arrayBuffer();
  return response.status === 200;
}

const isPollingHandshakeRefusal = (text) =>
  /transport=polling/.test(text) || /Failed to load resource.*400/.test(text);

// Opens `url` in a fresh browser context. `p.problems` collects page errors, console errors,
// HTTP errors and failed requests; what `p.tolerate(text)` accepts goes to
// `p.expectedProblems` instead. `p.engine` lists the Engine.IO requests and WebSockets.
async function openPage(browser, url, label, { pollingServed }) {
  const context = await browser.newContext({ viewport: { width: 960, height: 760 } });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  const p = { label, context, page, problems: [], expectedProblems: [], engine: [] };
  p.defaultTolerance = pollingServed ? null : isPollingHandshakeRefusal;
  p.tolerate = p.defaultTolerance;
  const note = (text) => (p.tolerate && p.tolerate(text) ? p.expectedProblems : p.problems).push(text);
  page.on("pageerror", (error) => p.problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location().url || "";
    note(`console.error: ${message.text()}${where ? ` (${where})` : ""}`);
  });
  page.on("request", (request) => {
    if (/\/socket\.io\/\?/.test(request.url())) p.engine.push(`${request.method()} ${request.url()}`);
  });
  page.on("websocket", (ws) => p.engine.push(`WebSocket ${ws.url()}`));
  page.on("response", (response) => {
    if (response.status() >= 400) note(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on("requestfailed", (request) => note(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on("crash", () => p.problems.push("page crashed"));
  p.response = await page.goto(url, { waitUntil: "load" });
  return p;
}

// What the page shows, for failure messages.
async function describePage(p) {
  const grab = (selector) =>
    p.page.locator(selector).innerText({ timeout: 1000 }).catch((e) => `<${e.message.split("\n")[0]}>`);
  return (
    `${p.label}: #status=${JSON.stringify(await grab("#status"))} ` +
    `#node=${JSON.stringify(await grab("#node"))} #sid=${JSON.stringify(await grab("#sid"))} ` +
    `#transport=${JSON.stringify(await grab("#transport"))}\n#log:\n${await grab("#log")}` +
    (p.problems.length ? `\nproblems:\n${p.problems.join("\n")}` : "")
  );
}

// Waits until the text of `selector` includes `expected`.
async function waitForText(p, selector, expected, what, timeout = WAIT_MS) {
  try {
    await p.page.waitForFunction(
      ([sel, text]) => {
        const el = document.querySelector(sel);
        return el !== null && el.textContent.includes(text);
      },
      [selector, expected],
      { timeout },
    );
  } catch (error) {
    throw new Error(
      `${p.label}: ${what}: ${selector} did not show ${JSON.stringify(expected)} within ${timeout} ms ` +
        `(${error.message.split("\n")[0]})\n${await describePage(p)}`,
    );
  }
}

// The log's lines, one per message or notice.
async function logLines(p) {
  return p.page.locator("#log > div").allTextContents();
}

async function expectOnce(p, line) {
  await waitForText(p, "#log", line, `log line ${JSON.stringify(line)}`);
  await delay(GRACE_MS);
  const lines = await logLines(p);
  assert.equal(lines.filter((l) => l === line).length, 1, `${p.label}: exactly once: ${line}\n${await describePage(p)}`);
}

async function expectAbsent(p, fragment) {
  await delay(GRACE_MS);
  const lines = await logLines(p);
  assert.ok(!lines.some((l) => l.includes(fragment)), `${p.label}: must not show ${fragment}\n${await describePage(p)}`);
}

// Waits for "connected"; keeps the socket id the page shows in `p.sid`.
async function connected(p, nodeName, timeout = WAIT_MS) {
  await waitForText(p, "#status", "connected", "connect", timeout);
  assert.equal(await p.page.locator("#status").textContent(), "connected", await describePage(p));
  assert.equal(await p.page.locator("#status").getAttribute("class"), "ok");
  await waitForText(p, "#node", nodeName, "node name");
  const sidText = await p.page.locator("#sid").textContent();
  const match = /^socket id (\S+)$/.exec(sidText);
  assert.ok(match, `${p.label}: #sid should read "socket id <id>", got ${JSON.stringify(sidText)}`);
  p.sid = match[1];
  assert.equal(await p.page.evaluate(() => window.socket.id), p.sid, "the page shows its socket's id");
  return p.sid;
}

async function join(p, room) {
  await p.page.locator("#room").fill(room);
  await p.page.locator("#join").click();
  await waitForText(p, "#log", `* joined ${room}`, `join ${room}`);
  await waitForText(p, "#rooms", room, `${room} among the rooms shown`);
}

async function typeNick(p, nick) {
  await p.page.locator("#nick").fill(nick);
  await p.page.locator("#nick").dispatchEvent("change");
}

// Closes chromium (when it was launched), then stops the nodes and Redis; throws what failed.
async function tearDown(browser, nodes, redis) {
  const errors = [];
  if (browser) await bounded(browser.close(), 15000, "closing chromium").catch((error) => errors.push(error));
  for (const node of nodes) await node.stop().catch((error) => errors.push(error));
  await redis.stop().catch((error) => errors.push(error));
  if (errors.length) throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.join("\n"));
}

module.exports = {
  WAIT_MS,
  bounded,
  connected,
  delay,
  describePage,
  expectAbsent,
  expectOnce,
  join,
  launchChromium,
  logLines,
  openPage,
  servesPolling,
  tearDown,
  typeNick,
  waitForText,
};
