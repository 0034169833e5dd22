#!/usr/bin/env python3
"""Writes the hand-made seed corpus of the fuzz targets (corpus/<target>/<name>).

fuzz_websocket inputs start with a limit byte (maxMessage = 16 * byte, 0xff = the default) and a
chunking seed byte; fuzz_http inputs start with a chunking seed byte.
"""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
KEY = b"\x37\xfa\x21\x3d"


def frame(first, payload, masked=True, length_bytes=None):
    n = len(payload)
    if length_bytes is None:
        length_bytes = 0 if n <= 125 else 2 if n <= 0xFFFF else 8
    mask_bit = 0x80 if masked else 0
    if length_bytes == 0:
        head = bytes([first, mask_bit | n])
    elif length_bytes == 2:
        head = bytes([first, mask_bit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, mask_bit | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    return head + KEY + bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))


def close(code, reason=b""):
    return frame(0x88, struct.pack(">H", code) + reason)


DEFAULT = 0xFF
websocket = {
    "text": (DEFAULT, frame(0x81, b"42[\"message\",\"hello\"]")),
    "binary-16bit-length": (DEFAULT, frame(0x82, bytes(range(200)))),
    "binary-64bit-length-non-minimal": (DEFAULT, frame(0x82, b"abc", length_bytes=8)),
    "fragments-with-ping": (DEFAULT, frame(0x01, b"hel") + frame(0x89, b"p") + frame(0x80, b"lo")),
    "fragments-utf8-split": (DEFAULT, frame(0x01, b"h\xc3") + frame(0x00, b"\xa9\xe2\x9c") +
                             frame(0x80, b"\x93")),
    "conversation": (DEFAULT, frame(0x81, b"2probe") + frame(0x8A, b"") + frame(0x89, b"x") +
                     frame(0x82, b"\x00\x01") + close(1000, b"bye")),
    "empty-close": (DEFAULT, frame(0x88, b"")),
    "close-1-byte": (DEFAULT, frame(0x88, b"\x03")),
    "close-bad-code": (DEFAULT, close(1005)),
    "close-bad-reason": (DEFAULT, close(1000, b"\xff")),
    "unmasked": (DEFAULT, frame(0x81, b"hello", masked=False)),
    "reserved-bit": (DEFAULT, frame(0xC1, b"x")),
    "unknown-opcode": (DEFAULT, frame(0x83, b"x")),
    "invalid-utf8": (DEFAULT, frame(0x81, b"ab\xed\xa0\x80")),
    "continuation-without-start": (DEFAULT, frame(0x80, b"x")),
    "oversized-fragments": (1, frame(0x02, b"0123456789") + frame(0x80, b"0123456789")),
    "oversized-64bit-header": (DEFAULT, bytes([0x82, 0xFF]) + struct.pack(">Q", 1 << 40)),
    "ping-too-long": (DEFAULT, frame(0x89, b"p" * 126)),
}

http = {
    "polling-handshake": b"GET /socket.io/?EIO=4&transport=polling&t=N8hyd6w HTTP/1.1\r\n"
                         b"Host: localhost:3000\r\nAccept: */*\r\n\r\n",
    "websocket-upgrade": b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
                         b"Connection: Upgrade\r\nUpgrade: websocket\r\n"
                         b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         b"Sec-WebSocket-Version: 13\r\n\r\n" + frame(0x81, b"2probe"),
    "post-body": b"POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 11\r\n\r\n"
                 b"40\x1e42[\"a\",1]",
    "pipelined": b"GET /a?x=%20y&z HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
    "chunked": b"POST /api/emit HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n",
    "http10": b"GET /healthz HTTP/1.0\r\n\r\nGET /never HTTP/1.0\r\n\r\n",
    "too-large": b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nxx",
    "empty-header-value": b"GET / HTTP/1.1\r\nX-Empty:\r\nHost: x\r\n\r\n",
    "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
}


def write(target, name, data):
    folder = os.path.join(here, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


for name, (limit, stream) in websocket.items():
    write("fuzz_websocket", name, bytes([limit, 7]) + stream)
for name, stream in http.items():
    write("fuzz_http", name, bytes([5]) + stream)
