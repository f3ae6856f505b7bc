"""Run the app under waitress: ``rolegraph serve`` and the tests' live server use the same function."""

from __future__ import annotations

import logging
import os
import signal

from flask import Flask
from waitress.server import BaseWSGIServer, create_server

from rolegraph.settings import Settings

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
    """A waitress server for ``app`` (port 0: any free port; see ``server.effective_port``)."""
    settings: Settings = app.extensions["rolegraph"].settings
    return create_server(app, host=host, port=port, threads=threads, ident="rolegraph",
                         max_request_body_size=settings.max_request_bytes, clear_untrusted_proxy_headers=True,
                         max_request_header_size=MAX_HEADER_BYTES,
                         channel_timeout=max(60, int(settings.query_timeout) + 30))


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
