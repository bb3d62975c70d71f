"""The lab cloud's request handler: werkzeug's, with HTTP/1.1 keep-alive.

werkzeug ends every response with `Connection: close`, because http.server cannot drain a
request body the application left unread before it reads the next request line. Then every
AWS SDK call a Lambda handler makes pays a TCP connect and a new server thread, which is most
of a warm REST run's cost. This handler bounds the application's reads to the request's
Content-Length, drains whatever it left unread once the response is sent, and so can leave the
connection open for the client's next request. Requests it cannot frame that way (chunked
bodies, or more than MAX_DRAIN_BYTES left unread) still close, as werkzeug's do.

After each response werkzeug also reads the socket until it is quiet, discarding what comes
(it can, as it closes every connection); on a kept connection that would swallow the client's
next request. So while werkzeug runs a request its `rfile` reads as empty: the application
reads the body through `wsgi.input`, which holds the real stream.

An idle connection keeps its server thread blocked on the socket; IDLE_SECONDS bounds that.
"""

import socket

from werkzeug.serving import WSGIRequestHandler

IDLE_SECONDS = 60.0
MAX_DRAIN_BYTES = 1 << 20


class RequestBody:
    """The request's body as `wsgi.input`: reads stop at Content-Length (a read past it
    would wait for the client's next request), and the rest can be drained."""

    def __init__(self, stream, length: int):
        self._stream = stream
        self.remaining = length

    def _allowed(self, size: int | None) -> int:
        if size is None or size < 0 or size > self.remaining:
            return self.remaining
        return size

    def read(self, size: int | None = -1) -> bytes:
        size = self._allowed(size)
        data = self._stream.read(size) if size else b""
        self.remaining -= len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        size = self._allowed(size)
        data = self._stream.readline(size) if size else b""
        self.remaining -= len(data)
        return data

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        return list(iter(self.readline, b""))

    def __iter__(self):
        return iter(self.readline, b"")

    def drain(self) -> None:
        while self.remaining and self.read(65536):
            pass


class _ReadsNothing:
    """The `rfile` werkzeug sees once the request's environ is made."""

    def read(self, size: int | None = -1) -> bytes:
        return b""


class KeepAliveRequestHandler(WSGIRequestHandler):
    timeout = IDLE_SECONDS  # applies to each socket read, so also to an idle connection
    _body: RequestBody | None = None
    _stream = None  # the real rfile while werkzeug runs a request

    def setup(self):
        super().setup()
        # werkzeug writes a response's headers and body separately; on a kept connection
        # Nagle's algorithm would hold the body until the client's delayed ACK (~40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def make_environ(self):
        environ = super().make_environ()
        if not environ.get("wsgi.input_terminated"):  # chunked bodies: werkzeug's way
            self._body = RequestBody(environ["wsgi.input"],
                                     int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = self._body
            self._stream, self.rfile = self.rfile, _ReadsNothing()
        return environ

    def _can_stay_open(self) -> bool:
        return (self._body is not None and not self.close_connection
                and self.request_version == "HTTP/1.1"
                and self._body.remaining <= MAX_DRAIN_BYTES)

    def send_header(self, keyword, value):
        # werkzeug sends `Connection: close` with every response's headers.
        if keyword.lower() == "connection" and value.lower() == "close":
            if self._can_stay_open():
                return
            self._stream_restore()  # closing: werkzeug may drain the socket as it likes
        super().send_header(keyword, value)

    def _stream_restore(self):
        if self._stream is not None:
            self.rfile, self._stream = self._stream, None

    def handle_one_request(self):
        self._body, self._stream = None, None
        try:
            super().handle_one_request()
        finally:
            self._stream_restore()
        if self._body is not None and not self.close_connection:
            self._body.drain()

    def log_request(self, *args, **kwargs):
        """The trace is the lab's log of requests; werkzeug's access log would only be
        noise."""
