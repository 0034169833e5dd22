"use strict";
// The drain on SIGTERM as the official socket.io-client lives it: two switchboard-nodes on one
// private redis-server behind a tiny TCP forwarder that acts as a load balancer (a new session
// goes to node A while A's /readyz is 200, else to B; the requests of a session stay where its
// handshake went). The client, connected to A, is still served while A drains, is then closed
// with "transport close" (not "io server disconnect"), and reconnects on its own, to B. A exits
// with status 0. Every transport the client may use: WebSocket, long-polling, and its default
// (polling, then the upgrade).

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const net = require("node:net");
const { io, startNode, once, emitWithAck, EVENT_TIMEOUT_MS } = require("./lib/harness");
const { RedisServer } = require("./lib/redis-server");
const { track } = require("./lib/reaper");

const DRAIN_MS = 1000;

const redis = new RedisServer();
redis.ready = redis.start();
redis.ready.catch(() => {});
before(() => redis.ready);
after(() => redis.stop());

// GET /readyz on `port`: its status, or 0 when nothing answers.
function readyStatus(port) {
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path: "/readyz", timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on("error", () => resolve(0));
    request.on("timeout", () => request.destroy());
  });
}

// The load balancer: a handshake (no sid) goes to the first of `ports()` that is ready; a
// request with a sid goes where the last handshake went (one client per test: sticky enough).
function startForwarder(ports) {
  let sticky = 0;
  const routed = [];
  const sockets = new Set();
  const server = net.createServer((downstream) => {
    sockets.add(downstream);
    downstream.once("close", () => sockets.delete(downstream));
    downstream.once("data", async (first) => {
      downstream.pause();
      const requestLine = first.toString("latin1").split("\r\n", 1)[0];
      let target = sticky;
      if (!/[?&]sid=/.test(requestLine) || !sticky) {
        target = 0;
        for (const port of ports()) {
          if ((await readyStatus(port)) === 200) {
            target = port;
            break;
          }
        }
        if (target && requestLine.includes("/socket.io/")) sticky = target;
      }
      routed.push({ requestLine, target });
      if (!target) return downstream.destroy();
      const upstream = net.connect(target, "127.0.0.1", () => {
        upstream.write(first);
        downstream.pipe(upstream);
        upstream.pipe(downstream);
        downstream.resume();
      });
      sockets.add(upstream);
      upstream.once("close", () => (sockets.delete(upstream), downstream.destroy()));
      upstream.on("error", () => downstream.destroy());
      downstream.on("error", () => upstream.destroy());
      downstream.once("close", () => upstream.destroy());
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        routed,
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise((done) => server.close(done));
        },
      }),
    );
  });
}

async function whois(socket) {
  const [reply] = await emitWithAck(socket, "switchboard:whois");
  return reply.name;
}

for (const [variant, transports] of [
  ["websocket", ["websocket"]],
  ["polling", ["polling"]],
  ["default", ["polling", "websocket"]],
]) {
  describe(`drain on SIGTERM, client on ${variant}`, () => {
    const a = startNode(async () => {
      await redis.ready;
      return ["--redis", redis.url, "--name", `a-${variant}`, "--drain-ms", String(DRAIN_MS)];
    });
    const b = startNode(async () => {
      await redis.ready;
      return ["--redis", redis.url, "--name", `b-${variant}`];
    });
    let lb;
    let client;
    before(async () => {
      await Promise.all([a.ready, b.ready]);
      track(a.child);
      track(b.child);
      lb = await startForwarder(() => [a.port, b.port]);
    });
    after(async () => {
      if (client) client.disconnect();
      if (lb) await lb.close();
    });

    it("keeps serving during the drain, then closes with 'transport close' and the client reconnects to B", async () => {
      for (const node of [a, b]) {
        const deadline = Date.now() + EVENT_TIMEOUT_MS;
        while ((await readyStatus(node.port)) !== 200) {
          assert.ok(Date.now() < deadline, `node ${node.port} never ready:\n${node.log}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      client = io(lb.url, {
        transports,
        forceNew: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
        timeout: EVENT_TIMEOUT_MS,
      });
      await once(client, "connect");
      // The upgrade may be over before this line runs.
      if (variant === "default" && client.io.engine.transport.name !== "websocket") {
        await once(client.io.engine, "upgrade");
      }
      assert.equal(await whois(client), `a-${variant}`);

      const disconnected = once(client, "disconnect", DRAIN_MS + EVENT_TIMEOUT_MS);
      const exited = a.exitPromise;
      a.stopping = true; // the harness's `after` must not count this exit as a crash
      a.child.kill("SIGTERM");
      await a.waitForLog("draining: 1 clients");
      assert.equal(await readyStatus(a.port), 503);
      // Still served while A drains: the same socket, the same node.
      assert.equal(client.connected, true);
      assert.equal(await whois(client), `a-${variant}`);

      const [reason] = await disconnected;
      assert.equal(reason, "transport close", `disconnect reason; node log:\n${a.log}`);
      await once(client, "connect", EVENT_TIMEOUT_MS);
      assert.equal(await whois(client), `b-${variant}`, JSON.stringify(lb.routed));
      await exited;
      assert.equal(a.exitCode, 0, a.log);
      assert.equal(a.exitSignal, null);
      assert.match(a.log, /closing 1 clients/);
    });
  });
}
