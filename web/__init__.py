"""rolegraph.web: the SPARQL endpoint, readable pages and a small JSON API over one read-only store.

``create_app(settings)`` opens the store once; ``rolegraph serve`` runs the app under waitress.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from rolegraph.errors import NotFound, QueryError, QueryRejected, QueryTimeout, RolegraphError, StoreError
from rolegraph.settings import Settings
from rolegraph.store import Store, open_store

__all__ = ["create_app", "ERROR_TO_STATUS", "status_of"]

log = logging.getLogger(__name__)

# the one place an error becomes a status; the most specific class first
ERROR_TO_STATUS: dict[type[RolegraphError], int] = {
    QueryRejected: 400,
    QueryTimeout: 503,
    QueryError: 400,
    NotFound: 404,
    StoreError: 503,
}

PAGE_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def status_of(error: RolegraphError) -> int:
    """The HTTP status an error is answered with."""
    for kind, status in ERROR_TO_STATUS.items():
        if isinstance(error, kind):
            return status
    return 500


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["text/plain", "text/html"])
    return best == "text/html" and not request.path.startswith(("/sparql", "/api"))


def create_app(settings: Settings | None = None, store: Store | None = None) -> Flask:
    """The web application over ``settings.store`` (opened once, read-only), or over an open ``store``."""
    from rolegraph.web import api, pages, sparql
    from rolegraph.web.service import Service, memory_dump
    from rolegraph.web.validation_run import BackgroundValidation
    from rolegraph.web.workers import QueryPool

    settings = settings or Settings()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.jinja_env.autoescape = True  # every template, whatever its name
    if store is None:
        store = open_store(settings.store, read_only=settings.store is not None)
        location, dump = settings.store, None if settings.store is not None else memory_dump(store)
    else:
        location, dump = None, memory_dump(store)
    pool = QueryPool(location, settings.query_workers, settings.query_timeout, settings.result_limit,
                     settings.max_result_bytes, nquads=dump)
    app.extensions["rolegraph"] = Service(settings, store, pool)
    app.extensions["rolegraph"].cache["validation-run"] = BackgroundValidation(location, store)  # started by pages
    for blueprint in (sparql.bp, pages.bp, api.bp):
        app.register_blueprint(blueprint)
    app.wsgi_app = sparql.QueryFastPath(app, app.wsgi_app)  # type: ignore[method-assign]

    @app.errorhandler(RolegraphError)
    def rolegraph_error(error: RolegraphError) -> Response:
        status = status_of(error)
        if status == 500:
            log.error("unexpected error on %s: %s", request.path, error)
            return _plain_error(status, "internal error")
        if _wants_html():
            return pages.error_page(status, str(error))
        return _plain_error(status, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        reason = error.description or error.name
        if _wants_html():
            return pages.error_page(status, reason)
        response = _plain_error(status, reason)
        for header in ("Allow",):
            if header in error.get_response().headers:
                response.headers[header] = error.get_response().headers[header]
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error on %s", request.path)
        return _plain_error(500, "internal error")

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _plain_error(status: int, reason: str) -> Response:
    response = Response(f"{reason}\n", status=status, mimetype="text/plain")
    if request.path.startswith("/sparql"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response
