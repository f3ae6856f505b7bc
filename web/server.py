"""Run the app under waitress: ``rolegraph serve`` and the tests' live server use the same function.

No thread waits for a query worker, so a query that runs to its time limit holds a worker, never one of the
``--threads`` that pages need, and a point lookup costs the server two wake-ups (its request, the worker's
answer) rather than four (the request, a thread taking it, the answer, the loop sending it):

- ``QueryFront`` accepts every connection. Plain SPARQL requests (GET/POST /sparql, HTTP/1.1) are read there,
  checked by ``QueryFastPath.plan`` (as over WSGI) and handed to the query pool, whose thread writes the
  response. A connection that sends anything else is handed to waitress, with what was read, for good.
- On connections waitress serves, ``QueryTasks`` stands in for its ``add_task``: a query at /sparql goes to
  the pool the same way, everything else to waitress's threads and the Flask app.

Measured on the 10,000-class store (bench/serve.py): the server's CPU per lookup went from about 260 us
(waitress threads) to 190 (``QueryTasks``) to 120 (``QueryFront``) to about 80 (response heads kept per second,
no epoll change per response). A worker writing the response to the client itself (the connection passed
along with the job) was tried and measured slower: the client's next request reached this loop before the pool
had marked the connection free.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import select
import signal
import socket
import threading
import time
from collections import deque
from typing import Any

from flask import Flask
from waitress.buffers import OverflowableBuffer
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server
from waitress.task import WSGITask
from waitress.utilities import build_http_date
from werkzeug.http import HTTP_STATUS_CODES

from rolegraph.errors import RolegraphError
from rolegraph.settings import Settings
from rolegraph.web.sparql import STATUS_LINES, QueryFastPath
from rolegraph.web.workers import unpack_answer

__all__ = ["default_threads", "make_server", "serve"]

MAX_HEADER_BYTES = 32 * 1024  # requests whose headers are larger get 431 from waitress

log = logging.getLogger(__name__)


def default_threads(cores: int | None = None) -> int:
    """Request threads for a machine with ``cores`` CPU cores (this one's by default): two per core, 4 to 8.

    Queries at /sparql take no thread (``QueryFront``, ``QueryTasks``); the threads serve pages, whose own
    queries wait for a worker there. Threads running Python contend for one lock (the GIL): on 2 cores, 4
    threads answered faster than 8 (bench/serve.py, when queries still took a thread).

    >>> default_threads(1), default_threads(2), default_threads(3), default_threads(64)
    (4, 4, 6, 8)
    """
    return min(8, max(4, 2 * (cores if cores is not None else os.cpu_count() or 1)))


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 8000, threads: int = 8) -> Server:
    """A waitress server for ``app`` (port 0: any free port; see ``server.effective_port``), answering queries at
    /sparql without a request thread (``QueryTasks``).

    A connection is read while its query runs (``channel_request_lookahead``), so the loop sees the client's
    next request without being woken for it when the answer has gone.
    """
    settings: Settings = app.extensions["rolegraph"].settings
    server = create_server(app, host=host, port=port, threads=threads, ident="rolegraph",
                           max_request_body_size=settings.max_request_bytes, clear_untrusted_proxy_headers=True,
                           max_request_header_size=MAX_HEADER_BYTES, channel_request_lookahead=1,
                           channel_timeout=max(60, int(settings.query_timeout) + 30))
    front = None
    if isinstance(app.wsgi_app, QueryFastPath):
        listeners = server.map.values() if isinstance(server, MultiSocketServer) else [server]
        for listener in [one for one in listeners if isinstance(one, BaseWSGIServer)]:
            listener.add_task = QueryTasks(listener, app.wsgi_app)  # type: ignore[method-assign]
        if isinstance(server, BaseWSGIServer) and server.socket.family in (socket.AF_INET, socket.AF_INET6):
            front = QueryFront(server, app.wsgi_app)
    return Server(server, front)


class QueryTasks:
    """Stands in for a waitress server's ``add_task``: a query at /sparql goes to the query pool, and the
    response is written when its answer comes (from the pool's thread); any other request goes to waitress's
    threads. Requests on one connection are answered in order, as waitress's own ``HTTPChannel.service`` does:
    the next one is taken when the previous has been answered.
    """

    def __init__(self, server: BaseWSGIServer, fast: QueryFastPath) -> None:
        self.server, self.fast = server, fast
        self.to_thread = server.add_task
        self._date = (0, "")

    def __call__(self, channel: HTTPChannel) -> None:
        request: HTTPRequestParser = channel.requests[0]
        if (request.error is not None or request.path != "/sparql" or request.command not in ("GET", "POST")
                or self.server.adj.url_prefix):
            self.to_thread(channel)
            return
        # waitress calls this holding the connection's requests_lock: what is answered at once (a refused query,
        # a pool that cannot take it) goes to a thread, which answers through QueryFastPath as over WSGI
        environ = self._environ(channel, request)
        body = environ.get("wsgi.input")
        start = body.tell() if body is not None else 0
        try:
            plan = self.fast.plan(environ)
        except Exception:  # noqa: BLE001 - refused before running
            plan = None
        if body is not None:
            body.seek(start)  # a thread may read it again
        if plan is None:  # refused, or GET /sparql without a query (the app describes the service)
            self.to_thread(channel)
            return
        job, content_type = plan
        caller, answered_here, submitting = threading.get_ident(), [], [True]

        def done(answer: bytes | None, error: RolegraphError | None) -> None:
            if submitting[0] and threading.get_ident() == caller:  # within submit (an error): not here, see above
                answered_here.append(True)
                return
            try:
                body = unpack_answer(answer, error)
            except RolegraphError as failed:
                self._answer(channel, request, *self.fast.failure(failed))
            else:
                self._answer(channel, request, 200, [("Content-Type", content_type)], body)

        try:
            self.fast.pool.submit(job, done)
        except RolegraphError:
            answered_here.append(True)
        submitting[0] = False
        if answered_here:
            self.to_thread(channel)

    def _environ(self, channel: HTTPChannel, request: HTTPRequestParser) -> dict[str, Any]:
        """What ``QueryFastPath.plan`` reads of a request: a few keys for a GET, waitress's environ for a POST."""
        if request.command == "POST":
            return WSGITask(channel, request).get_environment()
        headers = request.headers
        return {"REQUEST_METHOD": "GET", "QUERY_STRING": request.query, "HTTP_ACCEPT": headers.get("ACCEPT", ""),
                "HTTP_HOST": headers.get("HOST"), "wsgi.url_scheme": request.url_scheme, "SCRIPT_NAME": "",
                "SERVER_NAME": self.server.server_name, "SERVER_PORT": str(self.server.effective_port)}

    def _answer(self, channel: HTTPChannel, request: HTTPRequestParser, status: int,
                headers: list[tuple[str, str]], body: bytes) -> None:
        """Write the response (as waitress's WSGITask would: keep-alive rules, Server and Date) and take the
        connection's next request."""
        version = request.version if request.version in ("1.0", "1.1") else "1.0"
        connection = request.headers.get("CONNECTION", "").lower()
        close = connection != "keep-alive" if version == "1.0" else connection == "close"
        reason = STATUS_LINES.get(status) or f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown').upper()}"
        lines = [f"HTTP/{version} {reason}"]
        lines += [f"{name}: {value}" for name, value in self.fast.headers(headers, body)]
        if version == "1.0" and not close:
            lines.append("Connection: Keep-Alive")
        lines += [f"Server: {self.server.adj.ident}", f"Date: {self._http_date()}", "", ""]
        if not self._write(channel, "\r\n".join(lines).encode("latin-1") + body):
            close = True
        request.close()
        with channel.requests_lock:
            if close:
                channel.close_when_flushed = True
                for other in channel.requests:
                    other.close()
                channel.requests = []
            elif channel.requests and channel.requests[0] is request:
                channel.requests.pop(0)
            more = channel.connected and bool(channel.requests)
            if (not more and channel.connected and channel.request is not None and channel.request.expect_continue
                    and channel.request.headers_finished and not channel.sent_continue):
                channel.send_continue()
        channel.last_activity = time.time()
        if more and channel.total_outbufs_len > self.server.adj.outbuf_high_watermark:
            self.to_thread(channel)  # the client is slow to read: a thread waits for it, as waitress's would
        elif more:
            self(channel)
        if close or more or channel.total_outbufs_len:  # the loop must send, close, or read again
            with contextlib.suppress(OSError):  # the server has closed (its answer is moot)
                self.server.pull_trigger()

    @staticmethod
    def _write(channel: HTTPChannel, data: bytes) -> bool:
        """Queue a response on the connection and send what the socket takes now; False when the client has
        gone. Unlike ``HTTPChannel.write_soon`` this never waits for the client to read: it runs in the
        pool's thread, which no client may hold up (the next request waits instead, see ``_answer``)."""
        with channel.outbuf_lock:
            if not channel.connected:
                return False
            if channel.current_outbuf_count >= channel.adj.outbuf_high_watermark:
                channel.outbufs.append(OverflowableBuffer(channel.adj.outbuf_overflow))
                channel.current_outbuf_count = 0
            channel.outbufs[-1].append(data)
            channel.current_outbuf_count += len(data)
            channel.total_outbufs_len += len(data)
            channel._flush_exception(channel._flush_some, do_close=False)
        return True

    def _http_date(self) -> str:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, build_http_date(now))
        return self._date[1]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(settings: Settings, host: str, port: int, threads: int) -> None:
    """Serve the store named in ``settings`` until interrupted; workers start before the first request."""
    from rolegraph.web import create_app

    logging.basicConfig(level=logging.INFO, format="rolegraph: %(message)s")
    signal.signal(signal.SIGTERM, _interrupt)  # stop the query workers on `kill` too
    app = create_app(settings)
    service = app.extensions["rolegraph"]
    try:
        service.pool.start()
        server = make_server(app, host, port, threads)
        log.info("serving %s on http://%s:%s/ (SPARQL at /sparql); Ctrl-C stops",
                 settings.store, host, getattr(server, "effective_port", port))
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        service.close()


class Server:
    """What ``make_server`` returns: waitress, with a ``QueryFront`` in front of it when there is one listener."""

    def __init__(self, waitress: Any, front: QueryFront | None) -> None:
        self.waitress, self.front = waitress, front

    @property
    def effective_port(self) -> int:
        return self.waitress.effective_port  # type: ignore[no-any-return]

    def run(self) -> None:
        if self.front is not None:
            self.front.start()
        self.waitress.run()

    def close(self) -> None:
        if self.front is not None:
            self.front.close()
        self.waitress.close()


class _Connection:
    __slots__ = ("sock", "addr", "buffer", "busy", "gone", "outgoing", "close_after", "last_activity", "armed")

    def __init__(self, sock: socket.socket, addr: Any) -> None:
        self.sock, self.addr = sock, addr
        self.buffer = bytearray()
        self.busy = self.gone = self.close_after = False  # busy: a query in flight or a response being sent
        self.outgoing = memoryview(b"")
        self.last_activity = time.monotonic()
        self.armed = False  # watched for room to write (a response the socket did not take whole)


_HEADER_END = b"\r\n\r\n"


class QueryFront:
    """Accepts every connection and answers the SPARQL queries on it in one thread; a connection that sends
    anything else is handed to waitress, with the bytes read so far, for good.

    A SPARQL client sends plain requests: ``GET /sparql?query=...`` or ``POST /sparql`` with a Content-Length,
    HTTP/1.1, no Expect, no Transfer-Encoding, each header once. Those are read here (the request line and
    headers split once, no URL parsing beyond ``?``), checked and planned by ``QueryFastPath.plan`` (the same
    as over WSGI), and handed to the query pool, whose thread writes the response. Anything else, or anything
    odd (a malformed line, headers past the size limit, a body past it), goes to waitress, which answers it as
    it answers every request: this loop never judges HTTP it does not expect. Waitress no longer accepts
    connections itself; it keeps its own loop, threads and idle-connection cleanup for the connections it
    is handed. Idle connections here are closed after waitress's ``channel_timeout`` too.
    """

    def __init__(self, server: BaseWSGIServer, fast: QueryFastPath) -> None:
        self.server, self.fast, self.adj = server, fast, server.adj
        self.listener: socket.socket = server.socket
        server.accepting = False  # the listener is read here now
        self.listener.setblocking(False)
        self._epoll = select.epoll()
        self._lock = threading.Lock()
        self._connections: dict[int, _Connection] = {}
        self._wake, self._woken = socket.socketpair()
        self._woken.setblocking(False)
        self._again: deque[_Connection] = deque()  # connections whose buffered request waits to be read
        self._closed = False
        self._listening = True
        self._thread: threading.Thread | None = None
        self._date = (0, "")
        self._heads_date, self._heads = "", {}

    def start(self) -> None:
        self._epoll.register(self.listener.fileno(), select.EPOLLIN)
        self._epoll.register(self._woken.fileno(), select.EPOLLIN)
        self._thread = threading.Thread(target=self._loop, name="rolegraph-query-front", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._wake.send(b"x")
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
        for connection in connections:
            connection.gone = True
            connection.sock.close()
        self._epoll.close()

    # -- the loop --------------------------------------------------------------------------------------

    def _loop(self) -> None:
        listener, woken = self.listener.fileno(), self._woken.fileno()
        next_sweep = time.monotonic() + 1.0
        while not self._closed:
            try:
                events = self._epoll.poll(1.0)
            except OSError:
                break
            for fd, mask in events:
                if fd == listener:
                    self._accept()
                elif fd == woken:
                    with contextlib.suppress(OSError):
                        self._woken.recv(4096)
                    while self._again:
                        connection = self._again.popleft()
                        if not connection.gone:
                            self._read_request(connection)
                else:
                    connection = self._connections.get(fd)
                    if connection is None:
                        continue
                    if mask & select.EPOLLOUT:
                        with self._lock:
                            self._flush(connection)
                    if mask & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                        self._receive(connection)
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + 1.0
                self._sweep()

    def _accept(self) -> None:
        while len(self._connections) + len(self.server._map) < self.adj.connection_limit:
            try:
                sock, addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            try:
                self.server.set_socket_options(sock)
                sock.setblocking(False)
            except OSError:
                sock.close()
                continue
            connection = _Connection(sock, self.server.fix_addr(addr))
            with self._lock:
                self._connections[sock.fileno()] = connection
            self._epoll.register(sock.fileno(), select.EPOLLIN)
        if self._listening:  # too many connections: the rest wait in the backlog until some close
            self._listening = False
            self._epoll.unregister(self.listener.fileno())

    def _sweep(self) -> None:
        now = time.monotonic()
        with self._lock:
            idle = [c for c in self._connections.values()
                    if not c.busy and now - c.last_activity > self.adj.channel_timeout]
        for connection in idle:
            self._drop(connection)
        if not self._listening and len(self._connections) + len(self.server._map) < self.adj.connection_limit:
            self._listening = True
            self._epoll.register(self.listener.fileno(), select.EPOLLIN)

    def _drop(self, connection: _Connection) -> None:
        with self._lock:
            self._close(connection)

    def _close(self, connection: _Connection) -> None:
        """Forget the connection and close it. Holds the lock."""
        connection.gone = True
        self._connections.pop(connection.sock.fileno(), None)
        with contextlib.suppress(OSError, ValueError):
            self._epoll.unregister(connection.sock.fileno())
        connection.sock.close()

    def _receive(self, connection: _Connection) -> None:
        try:
            data = connection.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(connection)
            return
        with self._lock:
            connection.buffer += data
            connection.last_activity = time.monotonic()
            busy = connection.busy
        if not busy:
            self._read_request(connection)

    # -- requests --------------------------------------------------------------------------------------

    def _read_request(self, connection: _Connection) -> None:
        """Answer the request at the front of the buffer if it is a plain query, else hand the connection over."""
        buffer = connection.buffer
        end = buffer.find(_HEADER_END, 0, MAX_HEADER_BYTES + len(_HEADER_END))
        if end < 0:
            if len(buffer) > MAX_HEADER_BYTES:  # waitress answers 431
                self._hand_over(connection)
            return
        request = self._parse(bytes(buffer[:end]))
        if request is None:
            self._hand_over(connection)
            return
        method, query_string, headers, length = request
        size = end + len(_HEADER_END) + length
        if len(buffer) < size:
            return  # the body is on its way
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "QUERY_STRING": query_string, "HTTP_ACCEPT": headers.get("accept", ""),
            "HTTP_HOST": headers.get("host"), "wsgi.url_scheme": "http", "SCRIPT_NAME": "", "PATH_INFO": "/sparql",
            "SERVER_NAME": self.server.server_name, "SERVER_PORT": str(self.server.effective_port)}
        if method == "POST":
            environ.update({"CONTENT_TYPE": headers.get("content-type", ""), "CONTENT_LENGTH": str(length),
                            "wsgi.input": io.BytesIO(bytes(buffer[end + len(_HEADER_END):size]))})
        close = headers.get("connection", "").lower() == "close"
        try:
            plan = self.fast.plan(environ)
        except Exception as error:  # noqa: BLE001 - refused: answered as the app would
            del buffer[:size]
            connection.busy = True
            self._respond(connection, *self.fast.failure(error), close=close)
            return
        if plan is None:  # GET /sparql without a query: the app describes the service
            self._hand_over(connection)
            return
        del buffer[:size]
        job, content_type = plan
        connection.busy = True

        ok_headers = [("Content-Type", content_type)]

        def done(answer: bytes | None, error: RolegraphError | None) -> None:
            try:
                body = unpack_answer(answer, error)
            except RolegraphError as failed:
                self._respond(connection, *self.fast.failure(failed), close=close)
            else:
                self._respond(connection, 200, ok_headers, body, close=close)

        try:
            self.fast.pool.submit(job, done)
        except RolegraphError as error:
            self._respond(connection, *self.fast.failure(error), close=close)

    def _parse(self, head: bytes) -> tuple[str, str, dict[str, str], int] | None:
        """Method, query string, headers (lower-case names) and body length of a plain query request; None for
        anything else (waitress's to answer)."""
        try:
            lines = head.decode("latin-1").split("\r\n")
        except UnicodeDecodeError:
            return None
        parts = lines[0].split(" ")
        if len(parts) != 3 or parts[0] not in ("GET", "POST") or parts[2] != "HTTP/1.1":
            return None
        path, _, query_string = parts[1].partition("?")
        if path != "/sparql" or "#" in query_string:
            return None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            key = name.lower()
            if not colon or not name or name.strip() != name or key in headers:
                return None  # a folded or malformed line, a header sent twice
            headers[key] = value.strip(" \t")
        if "transfer-encoding" in headers or "expect" in headers:
            return None
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > self.adj.max_request_body_size or (
                parts[0] == "GET" and length != "0"):
            return None
        return parts[0], query_string, headers, int(length)

    def _hand_over(self, connection: _Connection) -> None:
        """Give the connection to waitress's loop, with the bytes read from it so far."""
        with self._lock:
            self._connections.pop(connection.sock.fileno(), None)
            connection.gone = True
        with contextlib.suppress(OSError, ValueError):
            self._epoll.unregister(connection.sock.fileno())
        data = bytes(connection.buffer)
        server = self.server

        def adopt() -> None:
            channel = server.channel_class(server, connection.sock, connection.addr, server.adj, map=server._map)
            if data:
                channel.received(data)

        server.trigger.pull_trigger(adopt)

    # -- responses (from the pool's thread, or this one) -----------------------------------------------

    def _head(self, status: int, headers: list[tuple[str, str]], close: bool) -> bytes:
        """A response's status line and headers but its length (see ``response_bytes``); the few a server sends
        (each content type, kept alive or not) are kept until the clock's second changes their Date."""
        date = self._http_date()
        key = (status, tuple(headers), close)
        if self._heads_date != date:
            self._heads_date, self._heads = date, {}
        head = self._heads.get(key)
        if head is None:
            head = self._heads[key] = self._make_head(status, headers, close, date)
        return head

    def _make_head(self, status: int, headers: list[tuple[str, str]], close: bool, date: str) -> bytes:
        reason = STATUS_LINES.get(status) or f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown').upper()}"
        lines = [f"HTTP/1.1 {reason}", *(f"{name}: {value}" for name, value in self.fast.headers(headers))]
        if close:
            lines.append("Connection: close")
        lines += [f"Server: {self.adj.ident}", f"Date: {date}", ""]
        return "\r\n".join(lines).encode("latin-1")

    def _respond(self, connection: _Connection, status: int, headers: list[tuple[str, str]], body: bytes,
                 close: bool) -> None:
        head = self._head(status, headers, close)
        self._send(connection, b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body), close)

    def _send(self, connection: _Connection, data: bytes, close: bool) -> None:
        """Send the (rest of the) response and go on with the connection: close it, or read its next request."""
        with self._lock:
            if connection.gone:
                return
            connection.outgoing = memoryview(data)
            connection.close_after = close
            self._flush(connection)

    def _flush(self, connection: _Connection) -> None:
        """Send what the socket takes; once all is sent, close or read the next request. Holds the lock."""
        try:
            while connection.outgoing:
                connection.outgoing = connection.outgoing[connection.sock.send(connection.outgoing):]
        except (BlockingIOError, InterruptedError):
            with contextlib.suppress(OSError, ValueError):
                self._epoll.modify(connection.sock.fileno(), select.EPOLLIN | select.EPOLLOUT)
                connection.armed = True
            return
        except OSError:
            connection.close_after = True
        connection.last_activity = time.monotonic()
        if connection.armed:
            connection.armed = False
            with contextlib.suppress(OSError, ValueError):
                self._epoll.modify(connection.sock.fileno(), select.EPOLLIN)
        if connection.close_after:
            self._close(connection)
            return
        connection.busy = False
        if connection.buffer:  # a request came while this one ran: this loop reads it
            self._again.append(connection)
            with contextlib.suppress(OSError):
                self._wake.send(b"x")

    def _http_date(self) -> str:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, build_http_date(now))
        return self._date[1]
