"""A store on any SPARQL 1.1 server: Oxigraph server, Apache Jena Fuseki, Virtuoso, GraphDB, Amazon Neptune.

Writes go through the Graph Store Protocol: each class graph is replaced by one PUT, which the server
applies atomically; triples about shared things are added to the shared graph with POST before the class
graphs that name them are written, so a build stopped at any moment leaves every class graph as it was or
as it is now, and the next build finishes the job. Reads go through the SPARQL 1.1 Protocol, and their
results are parsed into the same pyoxigraph objects the embedded store returns.

Where the endpoints are (relative to the URL given to ``--store``) and how a server is asked to read its
default graph as the union of all named graphs depend on the server; ``SERVER_LAYOUTS`` holds both. The
server is recognised by its ``Server`` header (or ``ROLEGRAPH_SERVER``); each endpoint can be set by
``ROLEGRAPH_QUERY_URL``, ``ROLEGRAPH_UPDATE_URL`` and ``ROLEGRAPH_GSP_URL``. Credentials come from
``ROLEGRAPH_USER``/``ROLEGRAPH_PASSWORD`` or a netrc file (``NETRC`` or ``~/.netrc``), never from the URL.

There is no lock: the server keeps concurrent writers apart, one graph at a time.
"""

from __future__ import annotations

import json
import netrc
import os
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from rolegraph.errors import QueryError, QueryTimeout, StoreError
from rolegraph.rdf.namespaces import PREFIXES, PROV, RG
from rolegraph.store import EXPORT_FORMATS, QueryResult, WriteSummary, is_remote_location

if TYPE_CHECKING:
    from rolegraph.rdf import ClassGraph

__all__ = ["Layout", "SERVER_LAYOUTS", "RemoteStore", "booleans_as_casts", "is_remote_location", "query_form",
           "with_prefixes"]

ENV_SERVER, ENV_QUERY_URL, ENV_UPDATE_URL, ENV_GSP_URL = (
    "ROLEGRAPH_SERVER", "ROLEGRAPH_QUERY_URL", "ROLEGRAPH_UPDATE_URL", "ROLEGRAPH_GSP_URL")
ENV_USER, ENV_PASSWORD = "ROLEGRAPH_USER", "ROLEGRAPH_PASSWORD"
CONNECT_TIMEOUT = 10.0  # seconds to open a connection; reads get the store's timeout
WRITE_BATCH = 500  # class graphs whose shared triples go in one POST, ahead of their PUTs
WRITE_THREADS = 4  # PUTs (and export's GETs) in flight at once; each PUT is its own transaction
POST_CHUNK = 50_000  # triples in one POST when importing or adding shared triples
SD_SERVICE = "http://www.w3.org/ns/sparql-service-description#Service"
SELECT_MEDIA_TYPE = "application/sparql-results+json"
TRIPLES_MEDIA_TYPES = "application/n-triples, text/turtle;q=0.9"
EMPTY_GRAPH = "urn:x-rolegraph:empty"  # names no graph: an empty default graph when a dataset is given


@dataclass(frozen=True)
class Layout:
    """Where one kind of server keeps its endpoints, relative to the ``--store`` URL, and how it unions.

    ``auth_*`` replace the endpoints when credentials are given (Virtuoso's digest-protected twins);
    ``union_params`` are protocol parameters that make the default graph the union of all named graphs
    (None: the server's default graph is that union already); ``system_graphs`` are the server's own
    graphs, left out of exports and counts (a query over the union still sees them on Virtuoso, whose
    graph-exclude pragmas also empty every ``GRAPH <iri>`` pattern in 7.2).
    """

    query: str
    update: str
    gsp: str
    union_params: tuple[tuple[str, str], ...] | None = None
    auth: tuple[str, str, str] | None = None
    system_graphs: tuple[str, ...] = ()
    find_service_graphs: bool = False  # Virtuoso keeps its service description in a graph of its own
    cast_booleans: bool = False  # Virtuoso reads `true` in an expression as the integer 1
    dump_dataset: bool = False  # a GET of the graph store endpoint without a graph returns every graph


SERVER_LAYOUTS: dict[str, Layout] = {
    "oxigraph": Layout("query", "update", "store", union_params=(("union-default-graph", ""),), dump_dataset=True),
    # Fuseki: the dataset is configured with tdb2:unionDefaultGraph true (README, "Using a SPARQL server")
    "fuseki": Layout("sparql", "update", "data"),
    "virtuoso": Layout("sparql", "sparql", "sparql-graph-crud",
                       auth=("sparql-auth", "sparql-auth", "sparql-graph-crud-auth"),
                       system_graphs=("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#"),
                       find_service_graphs=True, cast_booleans=True),
    "graphdb": Layout("", "statements", "rdf-graphs/service"),
    "neptune": Layout("sparql", "sparql", "sparql/gsp/"),
    # Any other server: all three endpoint URLs come from the environment; its default graph is taken as is.
    "generic": Layout("", "", ""),
}

# `Server` response header (lower case) -> layout
SERVER_HEADER_TO_LAYOUT = {"oxigraph": "oxigraph", "virtuoso": "virtuoso", "fuseki": "fuseki",
                           "graphdb": "graphdb"}

_PROLOGUE_AND_FORM = re.compile(
    r"""\A(?:\s+|\#[^\n]*(?:\n|\Z)|BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>)*(SELECT|CONSTRUCT|DESCRIBE|ASK)\b""",
    re.IGNORECASE)
_DECLARED_PREFIX = re.compile(r"PREFIX\s+([^\s:]*):", re.IGNORECASE)
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_TOKENS = re.compile(r"""(?P<string>'{3}.*?'{3}|"{3}.*?"{3}|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
                     r"""|(?P<iri><[^<>"{}|^`\\\s]*>)|(?P<comment>\#[^\n]*)"""
                     r"""|(?P<boolean>(?<![\w:?$.-])(?:true|false)(?![\w:.-]))|(?P<other>[()]|[^'"<#()tf]+|.)""",
                     re.DOTALL | re.IGNORECASE)
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def query_form(sparql: str) -> str | None:
    """Return the form of a SPARQL query (SELECT, CONSTRUCT, DESCRIBE, ASK), None if it is not one.

    >>> query_form("PREFIX ex: <http://ex/#a>  # comment\\nask { ?s ?p ?o }")
    'ASK'
    >>> query_form("INSERT DATA { <a:b> <a:c> <a:d> }") is None
    True
    """
    match = _PROLOGUE_AND_FORM.match(sparql)
    return match.group(1).upper() if match else None


def with_prefixes(sparql: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """Return the query with PREFIX lines for the known prefixes it uses but does not declare itself.

    >>> with_prefixes("PREFIX rg: <http://other#> SELECT * { ?s rg:x ?o }", {"rg": "r#", "ex": "e#"})
    'PREFIX ex: <e#>\\nPREFIX rg: <http://other#> SELECT * { ?s rg:x ?o }'
    """
    declared = {name.lower() for name in _DECLARED_PREFIX.findall(sparql)}
    lines = [f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items() if name.lower() not in declared]
    return "".join(lines) + sparql


def booleans_as_casts(sparql: str) -> str:
    """Return the query with ``true``/``false`` inside parentheses (expressions) written as casts.

    Virtuoso evaluates the constant ``true`` in an expression to the integer 1 and casts the string
    "false" to true; ``xsd:boolean(1)`` and ``xsd:boolean(0)`` keep the type. Outside parentheses (triple
    patterns) the constants match stored booleans and are left alone.

    >>> booleans_as_casts('SELECT * { ?c rg:stub true . BIND(false AS ?f) FILTER(?x != "true") }')
    'SELECT * { ?c rg:stub true . BIND(<http://www.w3.org/2001/XMLSchema#boolean>(0) AS ?f) FILTER(?x != "true") }'
    """
    depth, out = 0, []
    for match in _TOKENS.finditer(sparql):
        token = match.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(depth - 1, 0)
        elif match.lastgroup == "boolean" and depth > 0:
            token = f"<{XSD_BOOLEAN}>({1 if token.lower() == 'true' else 0})"
        out.append(token)
    return "".join(out)


def _canonical(term: Any) -> Any:
    """A boolean literal in canonical form ("1" -> "true"); any other term as it is."""
    if isinstance(term, ox.Literal) and term.datatype.value == XSD_BOOLEAN and term.value in ("1", "0"):
        return ox.Literal("true" if term.value == "1" else "false", datatype=term.datatype)
    return term


def _canonical_json_results(data: bytes) -> bytes:
    """SPARQL JSON results with boolean literals in canonical form (Virtuoso writes "1" and "0")."""
    results = json.loads(data)
    for row in results.get("results", {}).get("bindings", []):
        for value in row.values():
            if value.get("datatype") == XSD_BOOLEAN and value.get("value") in ("1", "0"):
                value["value"] = "true" if value["value"] == "1" else "false"
    return json.dumps(results).encode("utf-8")


def _ntriples(quads: Iterable[ox.Quad]) -> bytes:
    return "".join(f"{quad.subject} {quad.predicate} {quad.object} .\n" for quad in quads).encode("utf-8")


def _redacted(parts: SplitResult) -> str:
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


@dataclass
class _Endpoints:
    query: str
    update: str
    gsp: str
    layout: Layout
    kind: str
    system_graphs: set[str] = field(default_factory=set)


class RemoteStore:
    """A rolegraph store on a SPARQL 1.1 server at ``url`` (see the module docstring for the setup).

    Args:
        url: the server (Oxigraph, Virtuoso, Neptune), a Fuseki dataset or a GraphDB repository.
        read_only: refuse writes, as the embedded store does when opened read-only.
        timeout: seconds any one request may take (a query past it raises QueryTimeout).
        environ: where endpoint URLs and credentials are read (default: ``os.environ``).
    """

    def __init__(self, url: str, read_only: bool = False, timeout: float = 60.0,
                 environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self.read_only, self.timeout = read_only, timeout
        parts = self._check_url(url)
        self.location = _redacted(parts)
        self._local = threading.local()  # one HTTP session (kept-alive connection) per thread
        self._sessions: list[requests.Session] = []
        self._pool: ThreadPoolExecutor | None = None
        self._auth_used: AuthBase | None = None
        self._credentials = self._find_credentials(parts, environ)
        self._scratch = ox.Store()  # empty: checks query syntax exactly as the embedded store does
        try:
            self._endpoints = self._find_endpoints(environ)
            self._auth_used = self._auth(digest=self._endpoints.kind == "virtuoso")
            self._endpoints.system_graphs = self._find_system_graphs()
        except BaseException:
            self.close()
            raise

    # -- opening ---------------------------------------------------------------------------------

    @staticmethod
    def _check_url(url: str) -> SplitResult:
        parts = urlsplit(url)
        shown = url if "@" not in url else "(a URL with credentials in it)"
        if parts.scheme.lower() not in ("http", "https"):
            raise StoreError(f"{shown}: --store takes a directory or an http(s) URL of a SPARQL server, "
                             f"not a {parts.scheme or 'schemeless'} URL")
        if "@" in parts.netloc:
            raise StoreError(f"{_redacted(parts)}: put credentials in {ENV_USER}/{ENV_PASSWORD} or a netrc "
                             "file, not in the URL")
        try:
            parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
        except ValueError:
            raise StoreError(f"{shown}: the port is not a number from 1 to 65535") from None
        if not parts.hostname:
            raise StoreError(f"{shown}: the URL names no host")
        if parts.query or parts.fragment:
            raise StoreError(f"{shown}: the URL has a query or fragment; set the endpoints with "
                             f"{ENV_QUERY_URL}, {ENV_UPDATE_URL} and {ENV_GSP_URL} instead")
        return parts

    @staticmethod
    def _find_credentials(parts: SplitResult, environ: Mapping[str, str]) -> tuple[str, str] | None:
        if environ.get(ENV_USER):
            return environ[ENV_USER], environ.get(ENV_PASSWORD, "")
        path = Path(environ.get("NETRC") or os.path.expanduser("~/.netrc"))
        if not path.is_file():
            return None
        try:
            entry = netrc.netrc(str(path)).authenticators(parts.hostname or "")
        except (netrc.NetrcParseError, OSError) as error:
            line = getattr(error, "lineno", None)
            raise StoreError(f"{path}: cannot read the netrc file" + (f" (line {line})" if line else "")) from None
        return (entry[0], entry[2] or "") if entry else None

    def _auth(self, digest: bool) -> AuthBase | None:
        if self._credentials is None:
            return None
        user, password = self._credentials
        return HTTPDigestAuth(user, password) if digest else HTTPBasicAuth(user, password)

    def _find_endpoints(self, environ: Mapping[str, str]) -> _Endpoints:
        given = {name: environ.get(name) or None for name in (ENV_QUERY_URL, ENV_UPDATE_URL, ENV_GSP_URL)}
        kind = (environ.get(ENV_SERVER) or "").strip().lower() or self._detect_kind()
        if kind is None and all(given.values()):
            kind = "generic"
        if kind is None:
            raise StoreError(f"{self.location}: cannot tell which SPARQL server this is; set {ENV_SERVER} to one "
                             f"of {', '.join(SERVER_LAYOUTS)} (or set {ENV_QUERY_URL}, {ENV_UPDATE_URL} and "
                             f"{ENV_GSP_URL})")
        if kind not in SERVER_LAYOUTS:
            raise StoreError(f"{ENV_SERVER}={kind!r} is not a server rolegraph knows; choose one of "
                             f"{', '.join(SERVER_LAYOUTS)}")
        layout = SERVER_LAYOUTS[kind]
        if kind == "generic" and not all(given.values()):
            raise StoreError(f"{self.location}: {ENV_SERVER}=generic needs {ENV_QUERY_URL}, {ENV_UPDATE_URL} "
                             f"and {ENV_GSP_URL}")
        paths = (layout.query, layout.update, layout.gsp)
        if self._credentials is not None and layout.auth is not None:
            paths = layout.auth
        base = self.location
        for suffix in {layout.query, *(layout.auth or ())} - {""}:  # `--store .../sparql` names the server too
            if base.endswith("/" + suffix):
                base = base[: -len(suffix) - 1]
        urls = [given[name] or (f"{base}/{path}" if path else base)
                for name, path in zip((ENV_QUERY_URL, ENV_UPDATE_URL, ENV_GSP_URL), paths, strict=True)]
        for url in urls:
            self._check_url(url)
        return _Endpoints(*urls, layout=layout, kind=kind)

    def _detect_kind(self) -> str | None:
        parts = urlsplit(self.location)
        if (parts.hostname or "").endswith(".neptune.amazonaws.com"):
            return "neptune"
        if re.search(r"/repositories/[^/]+$", parts.path):
            return "graphdb"
        response = self._request("HEAD", self.location, what="reach the server")
        server = response.headers.get("Server", "").lower()
        return next((kind for word, kind in SERVER_HEADER_TO_LAYOUT.items() if word in server), None)

    def _find_system_graphs(self) -> set[str]:
        layout = self._endpoints.layout
        graphs = set(layout.system_graphs)
        if layout.find_service_graphs:
            result = self._select(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s a <{SD_SERVICE}> }} }}")
            graphs.update(row["g"].value for row in result)
        else:
            self._select("ASK {}")  # the query endpoint answers: the URL is right
        return graphs

    # -- HTTP ------------------------------------------------------------------------------------

    def _http(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = "rolegraph"
            self._sessions.append(session)
        return session

    def _request(self, method: str, url: str, what: str, timeout: float | None = None, missing_ok: bool = False,
                 **kwargs: Any) -> requests.Response:
        """Send one request and return a 2xx response (or 404 if ``missing_ok``); anything else becomes a
        one-line error."""
        limit = timeout or self.timeout
        try:
            response = self._http().request(method, url, timeout=(CONNECT_TIMEOUT, limit), auth=self._auth_used,
                                            **kwargs)
            challenge = response.headers.get("WWW-Authenticate", "")
            if (response.status_code == 401 and self._credentials is not None and challenge.lower().startswith("digest")
                    and not isinstance(self._auth_used, HTTPDigestAuth)):
                self._auth_used = self._auth(digest=True)
                response = self._http().request(method, url, timeout=(CONNECT_TIMEOUT, limit),
                                                auth=self._auth_used, **kwargs)
        except requests.Timeout:
            if what == "query":
                raise QueryTimeout(f"the query ran past its time limit ({limit:g} s) on {self.location}") from None
            raise StoreError(f"{self.location}: no answer within {limit:g} s trying to {what}") from None
        except requests.RequestException as error:
            found = _ERRNO_TEXT.search(str(error))
            reason = found.group(1).strip() if found else type(error).__name__
            raise StoreError(f"{self.location}: cannot reach the SPARQL server ({reason})") from None
        if response.ok or (method == "HEAD" and response.status_code < 500) or (
                missing_ok and response.status_code == 404):
            return response
        raise self._status_error(response, what)

    def _status_error(self, response: requests.Response, what: str) -> Exception:
        status = response.status_code
        detail = " ".join(line.strip() for line in re.sub(r"<[^>]+>", " ", response.text).splitlines()
                          if line.strip())[:300]
        if status == 401:
            hint = ("the credentials in " + f"{ENV_USER}/{ENV_PASSWORD} or netrc were refused"
                    if self._credentials is not None else
                    f"the server asks for credentials: set {ENV_USER} and {ENV_PASSWORD} or add it to ~/.netrc")
            return StoreError(f"{self.location}: cannot {what}: {hint}")
        if status == 403:
            return StoreError(f"{self.location}: not allowed to {what} (HTTP 403): {detail}")
        if what == "query" and status == 400:
            return QueryError(f"the server rejected the query: {detail}")
        if what == "query" and re.search(r"timed? ?out|S1T00", detail, re.IGNORECASE):
            return QueryTimeout(f"the query ran past the server's time limit on {self.location}: {detail}")
        return StoreError(f"{self.location}: cannot {what}: HTTP {status} {detail}".rstrip())

    def _gsp(self, method: str, graph: str | None, what: str, data: bytes | None = None,
             accept: str | None = None) -> requests.Response:
        """One Graph Store Protocol request; a GET of a graph the server does not have answers 404."""
        params = {"graph": graph} if graph is not None else {"default": ""}
        headers = {"Content-Type": "text/turtle; charset=utf-8"} if data is not None else {}
        if accept:
            headers["Accept"] = accept
        return self._request(method, self._endpoints.gsp, what, params=params, data=data, headers=headers,
                             missing_ok=method == "GET")

    def _update(self, update: str, what: str) -> None:
        self._request("POST", self._endpoints.update, what, data={"update": update})

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.location}: the store is open read-only")

    # -- writing ---------------------------------------------------------------------------------

    def replace_class_graphs(self, graphs: Iterable[ClassGraph],
                             replaces_sources: Iterable[str] = (), unchanged: Iterable[str] = (),
                             existing: Mapping[str, str] | None = None) -> WriteSummary:
        """Write each changed class graph with one PUT, after POSTing its shared triples; drop stale graphs."""
        self._writable()
        summary = WriteSummary(unchanged=list(unchanged))
        existing = existing if existing is not None else self.class_graph_hashes()
        produced: set[str] = set(summary.unchanged)
        batch: list[ClassGraph] = []
        for graph in summary.to_write(graphs, existing, produced):
            batch.append(graph)
            if len(batch) >= WRITE_BATCH:
                self._write_batch(batch)
                batch = []
        self._write_batch(batch)
        for stale in sorted(self._graphs_from_sources(set(existing) - produced, set(replaces_sources))):
            self._update(f"DROP SILENT GRAPH <{stale}>", f"remove the stale graph <{stale}>")
            summary.removed.append(stale)
        summary.others = sorted(set(existing) - produced - set(summary.removed))
        return summary

    def _write_batch(self, batch: list[ClassGraph]) -> None:
        """Add the batch's shared triples first: a class graph is written (hash and all) only after them."""
        shared = {quad for graph in batch for quad in graph.shared}
        self._post_quads(sorted(shared, key=str))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="rolegraph-http")
        for _ in self._pool.map(self._put_class_graph, batch):  # raises the first failure
            pass

    def _put_class_graph(self, graph: ClassGraph) -> None:
        body = "".join(f"{line} .\n" for line in graph.triple_lines(with_marker=True)).encode("utf-8")
        self._gsp("PUT", graph.graph.value, f"write <{graph.graph.value}>", body)

    def _post_quads(self, quads: Iterable[ox.Quad]) -> None:
        by_graph: dict[str | None, list[ox.Quad]] = defaultdict(list)
        for quad in quads:
            by_graph[None if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value].append(quad)
        for graph, members in by_graph.items():
            for start in range(0, len(members), POST_CHUNK):
                self._gsp("POST", graph, f"add to <{graph or 'default graph'}>",
                          _ntriples(members[start:start + POST_CHUNK]))

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]) -> None:
        """Replace one named graph with one PUT (no quads: drop it); a graph whose content is unchanged is
        not rewritten, as on the embedded store."""
        self._writable()
        name = ox.NamedNode(graph)
        new = {ox.Quad(quad.subject, quad.predicate, quad.object, name) for quad in quads}
        if new == set(self._read_graph(graph)):
            return
        if not new:
            self._update(f"DROP SILENT GRAPH <{graph}>", f"empty <{graph}>")
            return
        self._gsp("PUT", graph, f"write <{graph}>", _ntriples(sorted(new, key=str)))

    def graph_marker(self, graph: str) -> str | None:
        result = self.query(f"SELECT ?hash WHERE {{ GRAPH <{graph}> {{ <{graph}> <{RG.contentHash.value}> ?hash }} }}",
                            union=False)
        hashes = [solution["hash"].value for solution in result]  # type: ignore[union-attr,index]
        return hashes[0] if len(hashes) == 1 else None

    def change_graph(self, graph: str, removed: Iterable[ox.Quad], added: Iterable[ox.Quad], marker: str) -> None:
        """One SPARQL update: drop the old marker, delete and insert the quads, record the new marker."""
        self._writable()
        gone = "\n".join(f"{quad.subject} {quad.predicate} {quad.object} ." for quad in removed)
        new = "\n".join(f"{quad.subject} {quad.predicate} {quad.object} ." for quad in added)
        self._update(f"DELETE WHERE {{ GRAPH <{graph}> {{ <{graph}> <{RG.contentHash.value}> ?hash }} }} ;\n"
                     f"DELETE DATA {{ GRAPH <{graph}> {{\n{gone}\n}} }} ;\n"
                     f"INSERT DATA {{ GRAPH <{graph}> {{\n{new}\n<{graph}> <{RG.contentHash.value}> "
                     f"{ox.Literal(marker)} .\n}} }}", f"change <{graph}>")

    def _graphs_from_sources(self, graphs: set[str], names: set[str]) -> set[str]:
        """Those of ``graphs`` (class graphs this build did not produce: on a rebuild, few) built from a file
        named in ``names``."""
        if not names or not graphs:
            return set()
        values = " ".join(str(ox.Literal(name)) for name in sorted(names))
        candidates = " ".join(f"<{graph}>" for graph in sorted(graphs))
        result = self.query(f"""
            SELECT DISTINCT ?g WHERE {{
              VALUES ?g {{ {candidates} }}
              VALUES ?name {{ {values} }}
              ?doc a <{RG.SourceDocument.value}> ; <https://schema.org/name> ?name .
              GRAPH ?g {{ ?g <{RG.contentHash.value}> ?hash ; <{RG.describes.value}> ?class .
                          ?node <{PROV.wasDerivedFrom.value}> ?doc }} }}""")
        return {solution["g"].value for solution in result}  # type: ignore[union-attr,index]

    def import_data(self, data: bytes, format_name: str) -> int:
        """Add a dataset exported earlier, one POST per graph; returns the number of quads now in the store.

        Blank nodes are scoped per graph (each POST is its own document); rolegraph's own data has none.
        """
        self._writable()
        rdf_format, keeps_graphs = _format(format_name)
        if not keeps_graphs:
            raise StoreError(f"import needs a format that keeps named graphs (nq, trig, jsonld), not {format_name}")
        try:
            quads = list(ox.parse(data, format=rdf_format))
        except (SyntaxError, ValueError, OSError) as error:
            raise StoreError(f"cannot import: {error}") from None
        self._post_quads(quads)
        return len(self)

    # -- reading ---------------------------------------------------------------------------------

    def query(self, sparql: str, union: bool = True, default_graph: list[str] | None = None,
              named_graphs: list[str] | None = None, base_iri: str | None = None) -> QueryResult:
        """Run a query on the server; arguments and results are those of the embedded store.

        ``union``: the default graph is the union of all named graphs (on Virtuoso its own graphs too);
        ``default_graph``/``named_graphs`` are sent as default-graph-uri and named-graph-uri.
        """
        form = query_form(sparql)
        self._check_syntax(sparql, form, base_iri)
        if form is None:
            raise QueryError("malformed SPARQL: not a SELECT, CONSTRUCT, DESCRIBE or ASK query")
        text = with_prefixes(sparql) if base_iri is None else f"BASE <{base_iri}>\n" + with_prefixes(sparql)
        if self._endpoints.layout.cast_booleans:
            text = booleans_as_casts(text)
        params: list[tuple[str, str]] = []
        if default_graph is not None or named_graphs is not None:
            params += [("default-graph-uri", graph) for graph in default_graph or [EMPTY_GRAPH]]
            params += [("named-graph-uri", graph) for graph in named_graphs or [EMPTY_GRAPH]]
        elif union:
            params += list(self._endpoints.layout.union_params or ())
        if form == "ASK":
            return self._ask(text, params)
        if form == "SELECT":
            return self._select(text, params)
        response = self._request("POST", self._endpoints.query, "query", data=[("query", text), *params],
                                 headers={"Accept": TRIPLES_MEDIA_TYPES})
        media_type = response.headers.get("Content-Type", "application/n-triples").split(";")[0].strip()
        rdf_format = ox.RdfFormat.from_media_type(media_type)
        if rdf_format is None:
            raise QueryError(f"the server answered the query with {media_type}, which rolegraph cannot read")
        triples = ox.Store()
        triples.bulk_extend(ox.Quad(quad.subject, quad.predicate, _canonical(quad.object))
                            for quad in ox.parse(response.content, format=rdf_format))
        return triples.query("CONSTRUCT WHERE { ?s ?p ?o }")

    def _check_syntax(self, sparql: str, form: str | None, base_iri: str | None = None) -> None:
        """Raise the embedded store's QueryError for a malformed query, evaluating nothing.

        A SELECT is parsed and not evaluated until read; an ASK is checked as a SELECT, and only when
        that fails is it parsed as itself, for the error's exact position.
        """
        try:
            try:
                self._scratch.query(sparql if form != "ASK" else _ask_as_select(sparql), prefixes=PREFIXES,
                                    base_iri=base_iri)
            except SyntaxError:
                if form != "ASK":
                    raise
                self._scratch.query(sparql, prefixes=PREFIXES, base_iri=base_iri)
        except SyntaxError as error:
            raise QueryError(f"malformed SPARQL: {error}") from None
        except (OSError, ValueError, RuntimeError) as error:
            raise QueryError(f"query failed: {error}") from None

    def _select(self, text: str, params: list[tuple[str, str]] | None = None) -> QueryResult:
        response = self._request("POST", self._endpoints.query, "query", data=[("query", text), *(params or [])],
                                 headers={"Accept": SELECT_MEDIA_TYPE})
        if "X-SPARQL-MaxRows" in response.headers:  # Virtuoso cut the result at its ResultSetMaxRows
            raise QueryError(f"the server cut the result at {response.headers['X-SPARQL-MaxRows']} rows; raise "
                             "its limit (Virtuoso: ResultSetMaxRows in [SPARQL] of virtuoso.ini)")
        media_type = response.headers.get("Content-Type", SELECT_MEDIA_TYPE).split(";")[0].strip()
        results_format = ox.QueryResultsFormat.from_media_type(media_type)
        if results_format is None:
            raise QueryError(f"the server answered the query with {media_type}, which rolegraph cannot read")
        data = response.content
        if self._endpoints.layout.cast_booleans and results_format == ox.QueryResultsFormat.JSON:
            data = _canonical_json_results(data)
        try:
            return ox.parse_query_results(data, format=results_format)
        except (SyntaxError, ValueError) as error:
            raise QueryError(f"cannot read the server's results: {error}") from None

    def _ask(self, text: str, params: list[tuple[str, str]]) -> QueryResult:
        """An ASK's answer; Virtuoso gives it as a one-column table (a row for true, none for false)."""
        result = self._select(text, params)
        if isinstance(result, ox.QuerySolutions):
            answer = any(solution[0] is not None and solution[0].value not in ("0", "false") for solution in result)
            return ox.parse_query_results(b'{"head": {}, "boolean": %s}' % (b"true" if answer else b"false"),
                                          format=ox.QueryResultsFormat.JSON)
        return result

    def _graphs(self) -> list[str]:
        """Every named graph on the server but its own (system) graphs."""
        result = self._select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")  # Virtuoso: DISTINCT scans
        return sorted({row["g"].value for row in result} - self._endpoints.system_graphs)  # type: ignore[union-attr]

    def export(self, output: IO[bytes] | Path, format_name: str) -> None:
        """Write the quads the embedded store would write, to a binary stream or a file (a path).

        The dataset is read with one GSP GET of the whole of it where the server offers that (Oxigraph), else with
        one GET per graph, several in flight. A format that keeps named graphs (nq, trig, jsonld) is written as the
        answer arrives, in the server's order, never held whole; the union formats (nt, turtle, xml) gather the
        quads in an in-memory store first, which keeps each triple once. Either way a server that sent fewer quads
        than it holds (a result-size limit) is a StoreError, raised after a streamed export has written what came.
        """
        rdf_format, keeps_graphs = _format(format_name)
        if keeps_graphs:
            sent = _Counted(self._dataset_quads())
            prefixes = PREFIXES if rdf_format == ox.RdfFormat.TRIG else None
            try:
                ox.serialize(sent, str(output) if isinstance(output, Path) else output, format=rdf_format,
                             prefixes=prefixes)
            except (SyntaxError, ValueError) as error:
                raise StoreError(f"{self.location}: cannot read the dataset the server sent: {error}") from None
            self._check_all_sent(sent.count)
            return
        from rolegraph.store.oxigraph import OxigraphStore

        snapshot = OxigraphStore(None)
        try:
            snapshot.oxigraph.bulk_extend(self._dataset_quads())
            self._check_all_sent(len(snapshot))
            snapshot.export(output, format_name)
        finally:
            snapshot.close()

    def _dataset_quads(self) -> Iterator[ox.Quad]:
        """Every quad of the server's named graphs but its own (system) graphs, as it arrives."""
        if not self._endpoints.layout.dump_dataset:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="rolegraph-http")
            for quads in self._pool.map(self._read_graph, self._graphs()):
                yield from quads
            return
        response = self._request("GET", self._endpoints.gsp, "read the dataset",
                                 headers={"Accept": "application/n-quads"}, stream=True)
        response.raw.decode_content = True  # a gzip answer is read as the text it holds
        try:
            for quad in ox.parse(response.raw, format=ox.RdfFormat.N_QUADS):
                if (not isinstance(quad.graph_name, ox.DefaultGraph)
                        and quad.graph_name.value not in self._endpoints.system_graphs):
                    yield ox.Quad(quad.subject, quad.predicate, _canonical(quad.object), quad.graph_name)
        except (OSError, requests.RequestException) as error:
            raise StoreError(f"{self.location}: the dataset stopped arriving: {error}") from None
        finally:
            response.close()

    def _check_all_sent(self, sent: int) -> None:
        held = len(self)
        if sent != held:
            raise StoreError(f"{self.location}: the server sent {sent} of its {held} quads; "
                             "a result-size limit? (Virtuoso: ResultSetMaxRows)")

    def _read_graph(self, graph: str) -> list[ox.Quad]:
        """The quads of one graph (none when the server has no such graph)."""
        response = self._gsp("GET", graph, f"read <{graph}>", accept=TRIPLES_MEDIA_TYPES)
        if response.status_code == 404:
            return []
        media_type = response.headers.get("Content-Type", "application/n-triples").split(";")[0].strip()
        rdf_format = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.TURTLE
        name = ox.NamedNode(graph)
        return [ox.Quad(quad.subject, quad.predicate, _canonical(quad.object), name)
                for quad in ox.parse(response.content, format=rdf_format)]

    def class_graph_hashes(self) -> dict[str, str]:
        result = self.query(f"SELECT ?g ?hash WHERE {{ GRAPH ?g {{ ?g <{RG.contentHash.value}> ?hash ; "
                            f"<{RG.describes.value}> ?class }} }}", union=False)
        return {solution["g"].value: solution["hash"].value for solution in result}  # type: ignore[union-attr,index]

    def __len__(self) -> int:
        excluded = ", ".join(f"<{graph}>" for graph in sorted(self._endpoints.system_graphs))
        where = f"FILTER(?g NOT IN ({excluded}))" if excluded else ""
        [row] = list(self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {where} }}"))  # type: ignore[call-overload]
        return int(row["n"].value)

    def compact(self) -> None:
        """The server organises its own storage."""

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        for session in self._sessions:
            session.close()
        self._sessions.clear()

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _ask_as_select(sparql: str) -> str:
    """ASK has SELECT's grammar after its keyword; checked as a SELECT it is parsed and not evaluated."""
    match = _PROLOGUE_AND_FORM.match(sparql)
    assert match is not None
    return sparql[: match.start(1)] + "SELECT (1 AS ?ask)" + sparql[match.end(1):]


def _format(format_name: str) -> tuple[ox.RdfFormat, bool]:
    if format_name not in EXPORT_FORMATS:
        raise StoreError(f"unknown format {format_name!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    attribute, keeps_graphs = EXPORT_FORMATS[format_name]
    return getattr(ox.RdfFormat, attribute), keeps_graphs


class _Counted:
    """An iterator of quads that counts those it has given."""

    def __init__(self, quads: Iterator[ox.Quad]) -> None:
        self._quads, self.count = quads, 0

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> ox.Quad:
        quad = next(self._quads)
        self.count += 1
        return quad
