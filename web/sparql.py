"""The SPARQL 1.1 Protocol endpoint at /sparql: queries only, bounded, answered whole or with an error.

Query via GET, POST form-encoded or POST direct (application/sparql-query), with default-graph-uri and
named-graph-uri; without them the default graph is the union of all graphs. Results by content negotiation
(Accept, or a ``format``/``output`` parameter). Every query runs in a worker process (see ``workers``); its
result is complete before the status line is sent. GET /sparql with no query describes the service; with
a parameter that goes with a query (default-graph-uri, format...) but no query it is a 400.

Queries are the hot path, so ``QueryFastPath`` (WSGI middleware around the Flask app) answers them without
Flask's dispatch, contexts and hooks: the same functions read, check, negotiate and run the query as in the
blueprint's ``endpoint``, and the response carries the same status, body and headers. A GET is read from its
query string alone, and the check of a recent query string (with its Accept header) is kept: a plan, never an
answer, as the query runs every time. Everything else at /sparql (the description, OPTIONS, HEAD) goes on to
the blueprint.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, has_request_context, request, url_for
from werkzeug.datastructures import MIMEAccept, MultiDict
from werkzeug.exceptions import HTTPException, NotAcceptable, UnsupportedMediaType
from werkzeug.http import HTTP_STATUS_CODES, parse_accept_header
from werkzeug.sansio.utils import get_current_url, get_host
from werkzeug.wrappers import Request

from rolegraph.errors import QueryRejected, RolegraphError
from rolegraph.rdf.namespaces import PREFIXES
from rolegraph.web.guard import QueryShape, inspect_query
from rolegraph.web.results import GRAPH_FORMATS, GRAPH_TYPES, SOLUTION_FORMATS, SOLUTION_TYPES
from rolegraph.web.service import service
from rolegraph.web.workers import QueryJob, QueryPool

__all__ = ["bp", "run_query", "negotiate", "QueryFastPath"]

log = logging.getLogger(__name__)

bp = Blueprint("sparql", __name__, template_folder="templates")

# parameters a SPARQL service may honour that would change the answer; rolegraph does not, so it says so
REFUSED_PARAMETERS = {
    "update": "SPARQL Update is refused: this endpoint is read-only",
    "using-graph-uri": "using-graph-uri belongs to SPARQL Update, which this endpoint refuses",
    "using-named-graph-uri": "using-named-graph-uri belongs to SPARQL Update, which this endpoint refuses",
    "infer": "inference is not offered (parameter 'infer')",
    "reasoning": "inference is not offered (parameter 'reasoning')",
    "callback": "JSONP is not offered (parameter 'callback'); CORS headers are sent instead",
    "jsonp": "JSONP is not offered (parameter 'jsonp'); CORS headers are sent instead",
}
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Max-Age": "86400",
}
ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^<>\"{}|^`\\\x00-\x20]*$")


def _read_parameters(req: Request) -> tuple[str | None, MultiDict[str, str]]:
    """The query text and the other protocol parameters of one request, checked."""
    content_type = req.mimetype
    if req.method == "POST" and content_type == "application/sparql-update":
        raise QueryRejected(REFUSED_PARAMETERS["update"])
    if req.method == "POST" and content_type == "application/sparql-query":
        if "query" in req.args:
            raise QueryRejected("two queries: one in the body and one in the 'query' parameter")
        params = MultiDict(req.args)
        params.add("query", req.get_data(as_text=True))
    elif req.method == "POST":
        if content_type != "application/x-www-form-urlencoded":
            raise UnsupportedMediaType(
                f"POST a query as application/x-www-form-urlencoded or application/sparql-query, "
                f"not {content_type or 'no content type'}")
        params = MultiDict(req.form)
        for name, value in req.args.items(multi=True):  # SPARQLWrapper puts format/output in the URL
            params.add(name, value)
    else:
        params = MultiDict(req.args)
    return _check_parameters(params), params


def _check_parameters(params: MultiDict[str, str]) -> str | None:
    """The one query among the protocol parameters (None without one), after refusing what rolegraph refuses."""
    for name, reason in REFUSED_PARAMETERS.items():
        if name in params:
            raise QueryRejected(reason)
    queries = params.getlist("query")
    if len(queries) > 1:
        raise QueryRejected(f"{len(queries)} 'query' parameters; send one query per request")
    for name in ("default-graph-uri", "named-graph-uri"):
        for value in params.getlist(name):
            if not ABSOLUTE_IRI.match(value):
                raise QueryRejected(f"{name} must be an absolute IRI, not {value!r}")
    return queries[0] if queries else None


def negotiate(shape: QueryShape, params: MultiDict[str, str], accept: str) -> str:
    """The media type to answer in: a ``format``/``output`` parameter first, else the Accept header.

    Raises:
        NotAcceptable: nothing the client accepts can carry this kind of result.
    """
    types, formats = (GRAPH_TYPES, GRAPH_FORMATS) if shape.returns_graph else (SOLUTION_TYPES, SOLUTION_FORMATS)
    kind = "graph (CONSTRUCT/DESCRIBE)" if shape.returns_graph else f"{shape.form}"
    asked = [value.strip() for name in ("format", "output") for value in params.getlist(name) if value.strip()]
    if asked:
        for value in asked:
            if value.lower() in formats:
                return formats[value.lower()]
        raise NotAcceptable(f"format {asked[0]!r} cannot carry a {kind} result; use one of "
                            f"{', '.join(sorted({name for name in formats if '/' not in name}))}")
    best = _best_type(accept, shape.returns_graph) if len(accept) <= 200 else \
        _best_type.__wrapped__(accept, shape.returns_graph)
    if best is None:
        raise NotAcceptable(f"none of the accepted types ({accept or None}) can carry a {kind} "
                            f"result; acceptable: {', '.join(types)}")
    return best


@lru_cache(maxsize=256)  # clients send a handful of distinct Accept headers; long (odd) ones are not kept
def _best_type(accept: str, returns_graph: bool) -> str | None:
    """The media type to answer in for an Accept header: the first we offer when it is empty or missing.

    >>> _best_type("text/csv;q=0.5, application/sparql-results+json", False)
    'application/sparql-results+json'
    >>> _best_type("", True), _best_type("text/html", False)
    ('text/turtle', None)
    """
    types = GRAPH_TYPES if returns_graph else SOLUTION_TYPES
    accepted = parse_accept_header(accept, MIMEAccept)
    if not accepted:
        return next(iter(types))
    return accepted.best_match(list(types))


def run_query(query: str, media_type: str, default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None, shape: QueryShape | None = None,
              pool: QueryPool | None = None, base_iri: str | None = None) -> bytes:
    """Check a query (unless its ``shape`` was read already), run it in a worker, return the whole result.

    The workers are the current app's unless a ``pool`` is given. Relative IRIs resolve against ``base_iri``,
    by default (in a request) the endpoint's URL, as at /sparql.
    """
    shape = shape or inspect_query(query)
    dataset = default_graphs is not None or named_graphs is not None
    if base_iri is None and has_request_context():
        base_iri = url_for("sparql.endpoint", _external=True)
    job = QueryJob(query, media_type, union=not shape.has_dataset,
                   default_graph=tuple(default_graphs or ()) if dataset else None,
                   named_graphs=tuple(named_graphs or ()) if dataset else None, base_iri=base_iri)
    return (pool or service().pool).run(job)


def plan_query(query: str, params: MultiDict[str, str], accept: str,
               base_iri: str | None = None) -> tuple[QueryJob, str]:
    """The worker's job for a query and the content type of its 200 response: checked and negotiated, not run.
    ``base_iri`` (the endpoint's URL) resolves relative IRIs. Errors are raised."""
    if not query.strip():
        raise QueryRejected("the query is empty")
    shape = inspect_query(query)
    media_type = negotiate(shape, params, accept)
    has_dataset = "default-graph-uri" in params or "named-graph-uri" in params
    job = QueryJob(query, media_type, union=not shape.has_dataset,
                   default_graph=tuple(params.getlist("default-graph-uri")) if has_dataset else None,
                   named_graphs=tuple(params.getlist("named-graph-uri")) if has_dataset else None,
                   base_iri=base_iri)
    charset = "" if media_type == "application/n-triples" else "; charset=utf-8"
    return job, media_type + charset


def answer_query(query: str, params: MultiDict[str, str], req: Request,
                 pool: QueryPool | None = None) -> tuple[bytes, str]:
    """The body and content type of the 200 response to a query read from ``req``: checked, negotiated, run,
    whole. Errors are raised."""
    job, content_type = plan_query(query, params, req.headers.get("Accept", ""), endpoint_url(req.environ))
    return (pool or service().pool).run(job), content_type


_PLANNED = 1024  # GET requests whose checked plan is kept (distinct query strings and Accept headers)
_PLANNED_TEXT = 4 * 1024  # characters of query string at most in a kept plan (the cache stays within a few MB)


def plan_get(query_string: str, accept: str, base_iri: str | None = None) -> tuple[QueryJob, str] | None:
    """``plan_query`` for a GET request's query string (as WSGI gives it, latin-1), None when it has no query.

    The plan is the check of the request, never its answer: the query runs every time. Plans of recent short
    query strings are kept, as clients repeat queries (the same text, the same Accept header, the same host).
    """
    if len(query_string) > _PLANNED_TEXT or len(accept) > 200:
        return _plan_get.__wrapped__(query_string, accept, base_iri)
    return _plan_get(query_string, accept, base_iri)


@lru_cache(maxsize=_PLANNED)
def _plan_get(query_string: str, accept: str, base_iri: str | None) -> tuple[QueryJob, str] | None:
    # as werkzeug reads Request.args
    params = MultiDict(parse_qsl(query_string.encode("latin-1").decode(), keep_blank_values=True,
                                 errors="werkzeug.url_quote"))
    if "query" not in params:  # the service description, or the blueprint's own answer
        return None
    return plan_query(_check_parameters(params), params, accept, base_iri)  # type: ignore[arg-type]


def endpoint_url(environ: dict[str, Any]) -> str | None:
    """The URL of /sparql as the request names it (werkzeug's ``request.base_url`` there): the base IRI of its
    queries, per the SPARQL 1.1 Protocol. None when the request's host makes no IRI of it."""
    return _endpoint_url(environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST"),
                         environ.get("SERVER_NAME"), environ.get("SERVER_PORT"), environ.get("SCRIPT_NAME", ""))


@lru_cache(maxsize=64)
def _endpoint_url(scheme: str, host_header: str | None, server_name: str | None, server_port: str | None,
                  script_name: str) -> str | None:
    server = (server_name, int(server_port)) if server_name and server_port and server_port.isdigit() else None
    url = get_current_url(scheme, get_host(scheme, host_header, server), script_name, "/sparql")
    return url if ABSOLUTE_IRI.match(url) else None


@bp.after_request
def cors(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    response.headers.add("Vary", "Accept")
    return response


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def endpoint() -> Response:
    """Answer a SPARQL query, or describe the service when there is none."""
    if request.method == "OPTIONS":
        return Response(status=204)
    query, params = _read_parameters(request)
    if query is None:
        if request.method == "POST" or any(name in params for name in NEEDS_A_QUERY):
            raise QueryRejected(NO_QUERY)
        return describe_service()
    body, content_type = answer_query(query, params, request)
    return Response(body, status=200, content_type=content_type)


NO_QUERY = "no query: send it in the 'query' parameter or as application/sparql-query"
# parameters that only go with a query: a GET carrying one but no query is a broken request (400), not a visit
NEEDS_A_QUERY = ("default-graph-uri", "named-graph-uri", "format", "output")


@bp.route("/update", methods=["GET", "POST"])
@bp.route("/sparql/update", methods=["GET", "POST"])
def update() -> Response:
    """There is no update endpoint; say why instead of a bare 404."""
    raise QueryRejected(REFUSED_PARAMETERS["update"])


class _Description:
    """The Service Description and VoID statistics, read once per app."""

    def __init__(self, endpoint: str, base: str) -> None:
        self.endpoint, self.base = endpoint, base

    @cached_property
    def turtle(self) -> str:
        svc = service()
        rows = svc.rows("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
        triples = rows[0]["n"] if rows else "0"
        partitions = svc.rows("SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } "
                              "GROUP BY ?class ORDER BY DESC(?n) LIMIT 200")
        graphs = svc.rows("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        examples = [ref.iri for ref in svc.classes if not ref.stub][:3]
        formats = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                   "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]
        lines = [f"@prefix {name}: <{iri}> ." for name, iri in PREFIXES.items()] + [
            "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .",
            "@prefix void: <http://rdfs.org/ns/void#> .",
            "@prefix formats: <http://www.w3.org/ns/formats/> .",
            "",
            f"<{self.endpoint}> a sd:Service ;",
            f"  sd:endpoint <{self.endpoint}> ;",
            "  sd:supportedLanguage sd:SPARQL11Query ;",
            "  sd:feature sd:UnionDefaultGraph ;",
            "  sd:resultFormat " + ", ".join(f"formats:{name}" for name in formats) + " ;",
            f"  rdfs:comment {_literal('Read-only. SERVICE, LOAD and SPARQL Update are refused; queries stop after ' + format(svc.settings.query_timeout, 'g') + ' s.')} ;",  # noqa: E501
            "  sd:defaultDataset <#dataset> .",
            "",
            "<#dataset> a sd:Dataset, void:Dataset ;",
            "  dcterms:title \"rolegraph: public-sector job classes\"@en ;",
            f"  void:sparqlEndpoint <{self.endpoint}> ;",
            f"  void:dataDump <{url_for('api.dump', _external=True)}> ;",
            f"  void:uriSpace {_literal(self.base)} ;",
            "  void:vocabulary <https://w3id.org/rolegraph/ns#>, <https://schema.org/>, "
            "<http://www.w3.org/2004/02/skos/core#>, <http://www.w3.org/ns/prov#> ;",
            *(f"  void:exampleResource <{iri}> ;" for iri in examples),
            f"  void:triples {triples} ;",
            f"  void:classes {len(partitions)} ;",
            f"  void:distinctGraphs {graphs[0]['n'] if graphs else 0} ;" if graphs else "",
            *(f"  void:classPartition [ void:class <{row['class']}> ; void:entities {row['n']} ] ;"
              for row in partitions if "class" in row),
            "  sd:defaultGraph [ a sd:Graph ; rdfs:comment \"the union of all named graphs\" ] .",
        ]
        return "\n".join(line for line in lines if line) + "\n"


def _literal(text: str) -> str:
    return str(ox.Literal(text))


def describe_service() -> Response:
    """The query page for browsers; the Service Description (Turtle, or another RDF format) for the rest."""
    from rolegraph.web.pages import query_page

    best = request.accept_mimetypes.best_match(["text/html", *GRAPH_TYPES])
    if best == "text/html" or (best is None and request.accept_mimetypes.accept_html):
        return query_page()
    media_type = best or "text/turtle"
    key = ("description", url_for("sparql.endpoint", _external=True))
    svc = service()
    description = svc.cache.get(key)
    if description is None:
        description = svc.cache.setdefault(key, _Description(key[1], svc.settings.base_iri))
    turtle = description.turtle
    if GRAPH_TYPES[media_type] == "TURTLE":
        return Response(turtle, content_type="text/turtle; charset=utf-8")
    triples = ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE, base_iri=key[1])
    return Response(ox.serialize(triples, format=getattr(ox.RdfFormat, GRAPH_TYPES[media_type])),
                    content_type=media_type)


def _status_line(status: int) -> str:
    return f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown').upper()}"


STATUS_LINES = {status: _status_line(status) for status in (200, 400, 404, 406, 413, 415, 500, 503)}


class QueryFastPath:
    """WSGI middleware answering SPARQL queries at /sparql (GET and POST) without going through Flask.

    Flask's dispatch (contexts, routing, hooks, error handlers) costs more than the rest of a point lookup;
    this path calls the blueprint's own functions (``_read_parameters`` and ``plan_query``; ``plan_get`` for a
    GET, the same parse as werkzeug's ``Request.args``) and writes what the blueprint's response would be,
    headers included (``cors``, the app's security headers, the plain-text errors of ``rolegraph.web``).
    Requests it does not answer go on to the app unchanged: other paths and methods, and GET /sparql without
    a query (the service description).
    """

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        from rolegraph.web import PAGE_HEADERS

        self.wsgi_app = wsgi_app
        self.pool: QueryPool = app.extensions["rolegraph"].pool
        self.request_class = type("QueryRequest", (Request,), {
            "max_content_length": app.config["MAX_CONTENT_LENGTH"],
            "max_form_memory_size": app.config["MAX_FORM_MEMORY_SIZE"],
            "max_form_parts": app.config["MAX_FORM_PARTS"]})
        self.extra_headers = [*CORS_HEADERS.items(), ("Vary", "Accept"), *PAGE_HEADERS.items()]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != "/sparql" or method not in ("GET", "POST"):
            return self.wsgi_app(environ, start_response)
        try:
            plan = self.plan(environ)
            if plan is None:
                return self.wsgi_app(environ, start_response)
            job, content_type = plan
            status, headers, body = 200, [("Content-Type", content_type)], self.pool.run(job)
        except Exception as error:  # noqa: BLE001 - every error is answered as the app would (``failure``)
            status, headers, body = self.failure(error)
        start_response(STATUS_LINES.get(status) or _status_line(status), self.headers(headers, body))
        return [body]

    def plan(self, environ: dict[str, Any]) -> tuple[QueryJob, str] | None:
        """The job and 200 content type of a GET or POST at /sparql; None for a GET without a query (the app
        answers it). Errors are raised: ``failure`` makes the response."""
        if environ.get("REQUEST_METHOD") == "GET":
            return plan_get(environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT", ""), endpoint_url(environ))
        req = self.request_class(environ)
        query, params = _read_parameters(req)
        if query is None:
            raise QueryRejected(NO_QUERY)
        return plan_query(query, params, req.headers.get("Accept", ""), endpoint_url(environ))

    def failure(self, error: Exception) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers and body answering an error, as the blueprint and ``rolegraph.web`` would."""
        extra: list[tuple[str, str]] = []
        if isinstance(error, RolegraphError):
            from rolegraph.web import status_of

            status = status_of(error)
            if status == 500:
                log.error("unexpected error on /sparql: %s", error)
            body, content_type = self._reason(status, "internal error" if status == 500 else str(error))
        elif isinstance(error, HTTPException):
            status = error.code or 500
            body, content_type = self._reason(status, error.description or error.name)
            allow = error.get_response().headers.get("Allow")
            if allow:
                extra.append(("Allow", allow))
        else:  # answered like the app's handler for the unexpected: 500, logged
            log.error("unexpected error on /sparql", exc_info=error)
            status = 500
            body, content_type = self._reason(status, "internal error")
        return status, [("Content-Type", content_type), *extra], body

    def headers(self, headers: list[tuple[str, str]], body: bytes | None = None) -> list[tuple[str, str]]:
        """Every header of a response at /sparql: its own (Content-Type first), the length of ``body`` (when
        given), CORS and security."""
        length = [] if body is None else [("Content-Length", str(len(body)))]
        return [headers[0], *length, *headers[1:], *self.extra_headers]

    @staticmethod
    def _reason(status: int, reason: str) -> tuple[bytes, str]:
        """An error's body and type, as ``rolegraph.web`` writes them: the reason on one line of plain text."""
        return f"{reason}\n".encode(), "text/plain; charset=utf-8"
