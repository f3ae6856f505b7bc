"""Fixtures for the web tests: a store built from the seeds plus a hostile title, an app, a live waitress server.

Import the fixtures into a test module with ``from web_fixtures import *``-free explicit names, e.g.
``from web_fixtures import app, client, live_server, web_store  # noqa: F401``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from rolegraph.pipeline import build
from rolegraph.settings import Settings
from rolegraph.store import open_store

ROOT = Path(__file__).resolve().parent.parent
SPECS_DIR = ROOT / "examples" / "specs"
XSS = "<script>alert(1)</script>"
XSS_TITLE = f"{XSS} Clerk"  # the parser wants a job word in a title; the markup is what matters
XSS_CODE = "99999"
XSS_SPEC = f"""JOB SPECIFICATION

Code {XSS_CODE}

Grade GS 3

{XSS_TITLE.upper()}

General Purpose

Under close supervision, file records and answer the telephone.

Typical Duties:

File records. Involves: Sort records. Answer the telephone.

Knowledge, Skills, and Abilities

- Application of good knowledge of filing systems.

Minimum Qualifications

Education and Experience: A High School diploma or GED.
"""
LIVE_SETTINGS = {"query_timeout": 3.0, "query_workers": 2, "result_limit": 1000, "max_request_bytes": 100_000}


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A persistent store (closed, ready to serve) with the five seeds and a spec titled <script>...</script>."""
    base = tmp_path_factory.mktemp("web")
    hostile = base / "specs" / "xss-title.txt"
    hostile.parent.mkdir()
    hostile.write_text(XSS_SPEC, encoding="utf-8")
    store = open_store(base / "store")
    try:
        build([SPECS_DIR, hostile], store)
    finally:
        store.close()
    return base / "store"


@pytest.fixture
def app(web_store: Path) -> Iterator[Flask]:
    """A fresh app over the web store (query workers start only if a test sends a query)."""
    from rolegraph.web import create_app

    application = create_app(Settings(store=web_store, **LIVE_SETTINGS))
    application.testing = True
    yield application
    application.extensions["rolegraph"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class LiveServer:
    url: str
    app: Flask


def serve_live(store: Path, threads: int, **settings: Any) -> Iterator[LiveServer]:
    """The app under waitress (as ``rolegraph serve`` runs it) on an ephemeral loopback port; at the end its query
    workers are stopped first (queries still running get their 503), then the server."""
    from rolegraph.web import create_app
    from rolegraph.web.server import make_server

    application = create_app(Settings(store=store, **settings))
    application.extensions["rolegraph"].pool.start()
    server = make_server(application, "127.0.0.1", 0, threads=threads)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.effective_port}", application)
    finally:
        application.extensions["rolegraph"].close()
        server.close()
        thread.join(10)


@pytest.fixture(scope="session")
def live_server(web_store: Path) -> Iterator[LiveServer]:
    """The app under waitress on an ephemeral loopback port, stopped (with its query workers) at the end."""
    yield from serve_live(web_store, threads=8, **LIVE_SETTINGS)
