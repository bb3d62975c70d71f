"""Length-prefixed JSON messages over a Unix socket, between the lab and its environments."""

import json
import socket
import struct

HEADER = struct.Struct("!I")


class ChannelClosed(ConnectionError):
    """The other end went away (the environment exited or was killed)."""


def send(sock: socket.socket, message: dict) -> None:
    data = json.dumps(message, default=str).encode()
    sock.sendall(HEADER.pack(len(data)) + data)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed("channel closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv(sock: socket.socket) -> dict:
    (size,) = HEADER.unpack(_recv_exactly(sock, HEADER.size))
    return json.loads(_recv_exactly(sock, size))
