"""Serialize query results completely, within a row cap and a byte cap, before anything is sent.

SELECT results are written by pyoxigraph's own writers (SPARQL 1.1 JSON, XML, CSV, TSV) into a buffer that
refuses to grow past the byte cap. Each format spends a least number of bytes on a row, so a short result
cannot hold more rows than the cap; only a result long enough to might is read back to count its rows.
ASK results are written here; graphs (CONSTRUCT/DESCRIBE) are collected under the cap and written by
pyoxigraph.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

import pyoxigraph as ox

from rolegraph.errors import QueryRejected
from rolegraph.rdf.namespaces import PREFIXES

__all__ = ["SOLUTION_TYPES", "GRAPH_TYPES", "SOLUTION_FORMATS", "GRAPH_FORMATS", "serialize_result"]

# media type -> writer name; the first is the default when the client accepts anything
SOLUTION_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES: dict[str, str] = {
    "text/turtle": "TURTLE",
    "application/n-triples": "N_TRIPLES",
    "application/ld+json": "JSON_LD",
    "application/rdf+xml": "RDF_XML",
    "application/x-turtle": "TURTLE",
    "text/plain": "N_TRIPLES",
}
# the ``format`` (or ``output``) parameter's short names -> media type, for each kind of result
SOLUTION_FORMATS: dict[str, str] = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
    "tsv": "text/tab-separated-values", **{media: media for media in SOLUTION_TYPES}}
GRAPH_FORMATS: dict[str, str] = {
    "turtle": "text/turtle", "ttl": "text/turtle", "n3": "text/turtle", "ntriples": "application/n-triples",
    "nt": "application/n-triples", "jsonld": "application/ld+json", "json-ld": "application/ld+json",
    "json": "application/ld+json", "rdfxml": "application/rdf+xml", "rdf+xml": "application/rdf+xml",
    "rdf": "application/rdf+xml", "xml": "application/rdf+xml", **{media: media for media in GRAPH_TYPES}}


class _Capped(io.BytesIO):
    """A buffer that refuses to grow past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.limit:
            raise QueryRejected(f"the result is larger than {self.limit:,} bytes (the limit); "
                                "add LIMIT or narrow the query")
        return super().write(data)


def _too_many(limit: int) -> QueryRejected:
    return QueryRejected(f"the result has more than {limit:,} rows (the limit); add LIMIT or narrow the query")


def _capped_rows(rows: Iterable[object], limit: int) -> Iterable[object]:
    for count, row in enumerate(rows, start=1):
        if count > limit:
            raise _too_many(limit)
        yield row


NATIVE_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                  "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
# the fewest bytes pyoxigraph writes for one row: "{}," in JSON, "<result></result>", CRLF in CSV, LF in TSV
MIN_ROW_BYTES = {"json": 3, "xml": len("<result></result>"), "csv": 2, "tsv": 1}


def _rows_in(body: bytes, writer: str) -> int:
    """How many rows a serialized SELECT result holds (read back: only for results long enough to pass a cap).

    >>> _rows_in(b'x\\r\\n"a\\r\\nb"\\r\\n\\r\\n', "csv"), _rows_in(b'?x\\n"a"\\n\\n', "tsv")
    (2, 2)
    """
    if writer == "csv":
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))) - 1
    return sum(1 for _ in ox.parse_query_results(body, format=NATIVE_FORMATS[writer]))  # type: ignore[union-attr]


def _write_solutions(result: ox.QuerySolutions, writer: str, out: _Capped, limit: int) -> None:
    result.serialize(out, format=NATIVE_FORMATS[writer])
    if (out.tell() + 1) // MIN_ROW_BYTES[writer] > limit and _rows_in(out.getvalue(), writer) > limit:
        raise _too_many(limit)


def _write_boolean(value: bool, writer: str, out: _Capped) -> None:
    if writer == "json":
        out.write(json.dumps({"head": {}, "boolean": value}).encode())
    elif writer == "xml":
        out.write(('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                   f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode())
    elif writer == "csv":
        out.write(f"_askResult\r\n{'true' if value else 'false'}\r\n".encode())
    else:
        out.write(f"?_askResult\n{'true' if value else 'false'}\n".encode())


def serialize_result(result: object, media_type: str, row_limit: int, byte_limit: int) -> bytes:
    """Return the whole serialized result, or raise QueryRejected when it passes a cap.

    >>> store = ox.Store()
    >>> serialize_result(store.query("ASK {}"), "text/csv", 10, 100)
    b'_askResult\\r\\ntrue\\r\\n'
    """
    out = _Capped(byte_limit)
    if isinstance(result, ox.QueryTriples):
        triples = list(_capped_rows(result, row_limit))
        rdf_format = getattr(ox.RdfFormat, GRAPH_TYPES[media_type])
        prefixes = PREFIXES if rdf_format is ox.RdfFormat.TURTLE else None
        buffer = io.BytesIO()  # already bounded by the row cap; pyoxigraph wraps errors its writer raises
        ox.serialize(triples, buffer, format=rdf_format, prefixes=prefixes)
        out.write(buffer.getvalue())
    elif isinstance(result, ox.QueryBoolean):
        _write_boolean(bool(result), SOLUTION_TYPES[media_type], out)
    else:
        _write_solutions(result, SOLUTION_TYPES[media_type], out, row_limit)
    return out.getvalue()
