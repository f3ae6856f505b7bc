"""Run the app under waitress: ``rolegraph serve`` and the tests' live server use the same function.

Queries at /sparql are answered without a request thread (``QueryTasks``): waitress's loop reads and parses the
request as for any other, then, where it would hand the request to one of its threads, the query is checked
(``QueryFastPath.plan``, the same as over WSGI) and handed to the query pool, and the pool's thread writes the
response when the worker answers. No thread waits for a worker: a query that runs to the time limit holds a
worker, never one of the ``--threads`` that pages need, and a point lookup costs the server two wake-ups (the
request, the worker's answer) instead of four (the request, a thread taking it, the answer, the loop sending
it). Everything else (pages, the service description, HEAD, OPTIONS, malformed requests) goes to waitress's
threads and the Flask app as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
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

    A thread waiting for a query worker holds no lock, but threads running Python contend for one (the GIL):
    on 2 cores, 4 threads answered point lookups faster than 8 (bench/serve.py). At least 4 keeps the 4
    query workers busy.

    >>> default_threads(1), default_threads(2), default_threads(3), default_threads(64)
    (4, 4, 6, 8)
    """
    return min(8, max(4, 2 * (cores if cores is not None else os.cpu_count() or 1)))


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 8000, threads: int = 8) -> BaseWSGIServer:
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
    if isinstance(app.wsgi_app, QueryFastPath):
        listeners = server.map.values() if isinstance(server, MultiSocketServer) else [server]
        for listener in [one for one in listeners if isinstance(one, BaseWSGIServer)]:
            listener.add_task = QueryTasks(listener, app.wsgi_app)  # type: ignore[method-assign]
    return server


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
