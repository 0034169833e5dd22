"""Debian's python3-socketio client against a real switchboard-node process (issue 9).

A second client implementation beside the official JavaScript one, written by other people
from the same protocol description: what both accept is the protocol, not one library's
reading of it. The cases: connect, emit with an ack (both ways), the relay events
(join / leave / send), a direct message between two clients, binary data both ways, auth,
and disconnect.

Run by CTest as `interop.python` (and `qt.interop.python`, the same with the node on
`--transport qt`) with Debian's /usr/bin/python3:

    SWITCHBOARD_NODE=build/server/switchboard-node python3 test_client.py

SWITCHBOARD_PY_TRANSPORTS picks the client's transports: `websocket` (the default),
`polling`, or `default` (the client's own choice: polling first, then the upgrade).
Every wait is bounded; nothing sleeps to let time pass.
"""

import os
import queue
import re
import subprocess
import sys
import threading
import time
import unittest

try:
    import socketio
except ImportError as error:  # a missing prerequisite is a failure, never a skip
    sys.exit(
        f"python3-socketio is missing ({error}): apt-get install python3-socketio "
        "python3-websocket python3-requests, and run this with Debian's /usr/bin/python3"
    )

# How long one event, ack or connection may take before the case fails.
EVENT_TIMEOUT_S = 5.0
# A refused CONNECT: python-socketio waits this long for the namespace before it gives up
# (the connect_error is what the cases check; it comes at once).
REFUSAL_WAIT_S = 2.0
STARTUP_TIMEOUT_S = 10.0
TOKEN = "s3cret"

_TRANSPORT_CHOICES = {"websocket": ["websocket"], "polling": ["polling"], "default": None}
TRANSPORT_NAME = os.environ.get("SWITCHBOARD_PY_TRANSPORTS", "websocket")
if TRANSPORT_NAME not in _TRANSPORT_CHOICES:
    sys.exit(f"SWITCHBOARD_PY_TRANSPORTS={TRANSPORT_NAME!r}: expected one of "
             f"{', '.join(_TRANSPORT_CHOICES)}")
TRANSPORTS = _TRANSPORT_CHOICES[TRANSPORT_NAME]


# Every node started, for their logs when a case failed.
NODES = []


class NodeProcess:
    """A switchboard-node on 127.0.0.1 and a port the OS picked; its stderr is kept."""

    def __init__(self, *args):
        self.args = list(args)
        self.port = 0
        self.log = []
        self._listening = threading.Event()
        self._process = None

    def start(self):
        binary = os.environ.get("SWITCHBOARD_NODE", "")
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError(f"switchboard-node not found at {binary!r}: set SWITCHBOARD_NODE")
        # The transport of the node (epoll or qt) comes from SWITCHBOARD_TRANSPORT, as CTest
        # sets it; nothing else of the test's environment may change the node's settings.
        env = {k: v for k, v in os.environ.items()
               if k not in ("PORT", "HOST", "REDIS_URL", "SWITCHBOARD_AUTH_TOKEN",
                            "SWITCHBOARD_LOG", "QT_LOGGING_RULES")}
        self._process = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", "0", "--drain-ms", "0", *self.args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, text=True, errors="replace")
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        if not self._listening.wait(STARTUP_TIMEOUT_S):
            self._process.kill()
            self._process.wait(5)
            raise RuntimeError(f"switchboard-node did not report its port within "
                               f"{STARTUP_TIMEOUT_S} s; log:\n{self.log_text()}")

    def _read_stdout(self):
        pattern = re.compile(r"listening on http://[^\s/]+:(\d+)/")
        for line in self._process.stdout:
            match = pattern.search(line)
            if match and not self.port:
                self.port = int(match.group(1))
                self._listening.set()

    def _read_stderr(self):
        for line in self._process.stderr:
            self.log.append(line)

    def log_text(self, lines=40):
        return "".join(self.log[-lines:])

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        """Stops the node; an exit before that (a crash) is an error."""
        if self._process is None:
            return
        died = self._process.poll()
        if died is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        if died is not None:
            raise RuntimeError(f"switchboard-node died during the tests (exit {died}); "
                               f"log:\n{self.log_text()}")


class Inbox:
    """Every event a client receives, in order, with bounded waits on it."""

    def __init__(self, client, namespace="/"):
        self._events = queue.Queue()
        client.on("*", lambda event, *args: self._events.put((event, list(args))),
                  namespace=namespace)

    def next(self, timeout=EVENT_TIMEOUT_S):
        """The next (event, args) pair; fails the case when none comes in time."""
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout} s") from None

    def until(self, fence, timeout=EVENT_TIMEOUT_S):
        """Every event before the "message" whose data is `fence` (which is consumed too)."""
        before = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"fence {fence!r} not received; before it: {before}")
            event, args = self.next(remaining)
            if event == "message" and args and args[0].get("data") == fence:
                return before
            before.append((event, args))


class InteropCase(unittest.TestCase):
    """One node for the whole class; each case makes its own clients."""

    node_args = ()

    @classmethod
    def setUpClass(cls):
        cls.node = NodeProcess(*cls.node_args)
        NODES.append(cls.node)
        cls.node.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            if client.connected:
                client.disconnect()

    def make_client(self):
        client = socketio.Client(reconnection=False, request_timeout=EVENT_TIMEOUT_S)
        self.clients.append(client)
        return client

    def connected(self, auth=None, namespace="/"):
        """A connected client and its inbox (registered before the CONNECT)."""
        client = self.make_client()
        inbox = Inbox(client, namespace)
        client.connect(self.node.url, auth=auth, transports=TRANSPORTS,
                       namespaces=[namespace], wait_timeout=EVENT_TIMEOUT_S)
        return client, inbox

    def call(self, client, event, data, namespace="/"):
        return client.call(event, data, namespace=namespace, timeout=EVENT_TIMEOUT_S)

    def join(self, client, rooms):
        reply = self.call(client, "join", rooms)
        self.assertEqual(reply.get("ok"), True, reply)
        return reply

    def send(self, client, request):
        self.assertEqual(self.call(client, "send", request), {"ok": True})


class TestClient(InteropCase):
    def test_connect_gets_a_socket_id_on_the_chosen_transport(self):
        client, _ = self.connected()
        sid = client.get_sid()
        self.assertRegex(sid, r"^[A-Za-z0-9_-]{20}$")
        # The Socket.IO id is not the Engine.IO session id.
        self.assertNotEqual(sid, client.eio.sid)
        # With the client's default transports it connects by polling and upgrades during
        # connect(), before it returns.
        self.assertEqual(client.transport(), TRANSPORTS[0] if TRANSPORTS else "websocket")

    def test_emit_with_ack_gets_the_answer(self):
        client, _ = self.connected()
        sid = client.get_sid()
        self.assertEqual(self.call(client, "join", "lobby"),
                         {"ok": True, "rooms": sorted([sid, "lobby"])})
        self.assertEqual(self.call(client, "join", ["a", "b"]),
                         {"ok": True, "rooms": sorted([sid, "lobby", "a", "b"])})
        # A refusal is an ack too.
        self.assertEqual(self.call(client, "send", "not an object"),
                         {"ok": False, "error": "send expects an object {to, event, data}"})

    def test_emit_without_ack_is_delivered(self):
        sender, _ = self.connected()
        receiver, inbox = self.connected()
        sender.emit("send", {"to": receiver.get_sid(), "data": "no ack asked"})
        self.assertEqual(inbox.next(), ("message", [
            {"from": sender.get_sid(), "to": receiver.get_sid(), "data": "no ack asked"}]))

    def test_room_join_send_leave(self):
        sender, sender_inbox = self.connected()
        first, first_inbox = self.connected()
        second, second_inbox = self.connected()
        self.join(first, "py-room")
        self.join(second, "py-room")
        payload = {"text": "hi", "n": 1, "list": [True, None, 2.5]}
        self.send(sender, {"to": "py-room", "data": payload})
        for member, inbox in ((first, first_inbox), (second, second_inbox)):
            self.assertEqual(inbox.next(), ("message", [
                {"from": sender.get_sid(), "to": "py-room", "data": payload}]))
        # The sender is left out unless it asks (self: true), which the fence does.
        self.send(sender, {"to": sender.get_sid(), "self": True, "data": "fence-1"})
        self.assertEqual(sender_inbox.until("fence-1"), [])

        reply = self.call(second, "leave", "py-room")
        self.assertEqual(reply, {"ok": True, "rooms": [second.get_sid()]})
        self.send(sender, {"to": "py-room", "data": "after leave"})
        self.assertEqual(first_inbox.next()[1][0]["data"], "after leave")
        # Nothing reached the one that left before a message sent to it afterwards.
        self.send(sender, {"to": second.get_sid(), "data": "fence-2"})
        self.assertEqual(second_inbox.until("fence-2"), [])

    def test_direct_message_between_two_clients(self):
        alice, alice_inbox = self.connected()
        bob, bob_inbox = self.connected()
        self.send(alice, {"to": bob.get_sid(), "event": "chat:line", "data": "hello bob"})
        self.assertEqual(bob_inbox.next(), ("chat:line", [
            {"from": alice.get_sid(), "to": bob.get_sid(), "data": "hello bob"}]))
        self.send(bob, {"to": alice.get_sid(), "event": "chat:line", "data": "hi alice"})
        self.assertEqual(alice_inbox.next(), ("chat:line", [
            {"from": bob.get_sid(), "to": alice.get_sid(), "data": "hi alice"}]))
        # A reserved event name is refused.
        self.assertEqual(self.call(alice, "send", {"to": bob.get_sid(), "event": "connect"}),
                         {"ok": False, "error": "'connect' is a reserved event name"})

    def test_server_asks_for_an_ack(self):
        asker, _ = self.connected()
        answerer = self.make_client()
        questions = queue.Queue()

        def on_question(message):
            questions.put(message)
            return {"answer": message["data"] * 2}

        answerer.on("question", on_question)
        answerer.connect(self.node.url, transports=TRANSPORTS, wait_timeout=EVENT_TIMEOUT_S)
        reply = self.call(asker, "send", {"to": answerer.get_sid(), "event": "question",
                                          "ack": True, "timeout": 3000, "data": 21})
        self.assertEqual(reply, {"ok": True, "replies": [{"answer": 42}]})
        self.assertEqual(questions.get(timeout=EVENT_TIMEOUT_S)["from"], asker.get_sid())

    def test_binary_both_ways(self):
        sender, own_inbox = self.connected()
        receiver, inbox = self.connected()
        # Every byte value, and bytes that look like the text protocol.
        blob = bytes(range(256)) + b'-["x"]'
        data = {"blob": blob, "list": [b"\x00", "text", {"inner": b"\xff\xfe"}], "n": 3}
        self.send(sender, {"to": receiver.get_sid(), "data": data})
        event, args = inbox.next()
        self.assertEqual(event, "message")
        self.assertEqual(args[0]["data"], data)
        self.assertIsInstance(args[0]["data"]["blob"], bytes)
        # The sender's own copy (self: true), a top-level buffer.
        self.send(sender, {"to": sender.get_sid(), "self": True, "data": blob})
        self.assertEqual(own_inbox.next()[1][0]["data"], blob)

    def test_binary_in_acks(self):
        asker, _ = self.connected()
        answerer = self.make_client()
        answerer.on("bytes?", lambda message: message["data"][::-1])
        answerer.connect(self.node.url, transports=TRANSPORTS, wait_timeout=EVENT_TIMEOUT_S)
        reply = self.call(asker, "send", {"to": answerer.get_sid(), "event": "bytes?",
                                          "ack": True, "timeout": 3000, "data": b"\x01\x02\x03"})
        self.assertEqual(reply, {"ok": True, "replies": [b"\x03\x02\x01"]})

    def test_namespace(self):
        client, inbox = self.connected(namespace="/py-chat")
        sid = client.get_sid("/py-chat")
        self.assertEqual(self.call(client, "join", "r", namespace="/py-chat"),
                         {"ok": True, "rooms": sorted([sid, "r"])})
        client.emit("send", {"to": sid, "self": True, "data": "in /py-chat"},
                    namespace="/py-chat")
        self.assertEqual(inbox.next(), ("message", [{"from": sid, "to": sid,
                                                     "data": "in /py-chat"}]))

    def test_disconnect(self):
        stayer, _ = self.connected()
        leaver = self.make_client()
        gone = threading.Event()
        leaver.on("disconnect", gone.set)
        leaver.connect(self.node.url, transports=TRANSPORTS, wait_timeout=EVENT_TIMEOUT_S)
        leaver_sid = leaver.get_sid()
        self.join(leaver, "leavers")
        # python-engineio 4.3's polling write loop leaves without sending what is queued when
        # disconnect() finds it between two POSTs (its `while state == "connected"` check), so
        # that the DISCONNECT and the close never reach the node, which then learns of the end
        # at the next heartbeat only. Waiting until its last POST (the join's) is answered makes
        # the client send them; the node's part is what this test checks.
        leaver.eio.queue.join()
        leaver.disconnect()
        self.assertTrue(gone.wait(EVENT_TIMEOUT_S), "no disconnect event on the client")
        self.assertFalse(leaver.connected)
        # The node notices: the room empties (bounded: the DISCONNECT travels on another
        # connection than the question).
        deadline = time.monotonic() + EVENT_TIMEOUT_S
        while True:
            reply = self.call(stayer, "send", {"to": "leavers", "ack": True, "timeout": 200})
            if reply == {"ok": True, "replies": []} or time.monotonic() > deadline:
                break
        self.assertEqual(reply, {"ok": True, "replies": []})
        self.assertNotEqual(leaver_sid, stayer.get_sid())


class TestAuth(InteropCase):
    node_args = ("--auth-token", TOKEN)

    def test_right_token_connects(self):
        client, _ = self.connected(auth={"token": TOKEN})
        self.assertTrue(client.connected)
        self.join(client, "authorised")

    def refusal(self, auth):
        """The connect_error data of a CONNECT that must be refused."""
        client = self.make_client()
        errors = queue.Queue()
        client.on("connect_error", errors.put)
        with self.assertRaises(socketio.exceptions.ConnectionError):
            client.connect(self.node.url, auth=auth, transports=TRANSPORTS,
                           wait_timeout=REFUSAL_WAIT_S)
        self.assertFalse(client.connected)
        try:
            return errors.get(timeout=EVENT_TIMEOUT_S)
        except queue.Empty:
            raise AssertionError("no connect_error") from None

    def test_wrong_token_is_refused_with_connect_error(self):
        self.assertEqual(self.refusal({"token": "wrong"}), {"message": "unauthorized"})

    def test_missing_auth_is_refused(self):
        self.assertEqual(self.refusal(None), {"message": "unauthorized"})


if __name__ == "__main__":
    print(f"client transports: {TRANSPORT_NAME}; node transport: "
          f"{os.environ.get('SWITCHBOARD_TRANSPORT', 'epoll')}", flush=True)
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        for node in NODES:
            print(f"---- last lines of the log of switchboard-node {' '.join(node.args)} ----\n"
                  f"{node.log_text()}", file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
