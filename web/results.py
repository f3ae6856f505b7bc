"""Serialize query results completely, within a row cap and a byte cap, before anything is sent.

SELECT/ASK results are written here (SPARQL 1.1 JSON, XML, CSV, TSV) so the row cap can be checked while
writing; graphs (CONSTRUCT/DESCRIBE) are collected under the cap and written by pyoxigraph.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

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
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


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


def _json_term(term: object) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
                f"</predicate><object>{_xml_term(term.object)}</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _csv_field(term: object) -> str:
    if term is None:
        return ""
    text = f"_:{term.value}" if isinstance(term, ox.BlankNode) else getattr(term, "value", str(term))
    if any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _tsv_field(term: object) -> str:
    return "" if term is None else str(term).replace("\t", "\\t")


def _write_solutions(result: ox.QuerySolutions, writer: str, out: _Capped, limit: int) -> None:
    names = [variable.value for variable in result.variables]
    rows = _capped_rows(result, limit)
    if writer == "json":
        out.write(b'{"head":{"vars":' + json.dumps(names).encode() + b'},"results":{"bindings":[')
        for number, row in enumerate(rows):
            binding = {name: _json_term(row[name]) for name in names if row[name] is not None}
            out.write((b"," if number else b"") + json.dumps(binding, ensure_ascii=False).encode())
        out.write(b"]}}")
    elif writer == "xml":
        head = "".join(f"<variable name={quoteattr(name)}/>" for name in names)
        out.write(('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                   f"<head>{head}</head><results>").encode())
        for row in rows:
            cells = "".join(f"<binding name={quoteattr(name)}>{_xml_term(row[name])}</binding>"
                            for name in names if row[name] is not None)
            out.write(f"<result>{cells}</result>\n".encode())
        out.write(b"</results></sparql>\n")
    elif writer == "csv":
        out.write((",".join(names) + "\r\n").encode())
        for row in rows:
            out.write((",".join(_csv_field(row[name]) for name in names) + "\r\n").encode())
    else:
        out.write(("\t".join(f"?{name}" for name in names) + "\n").encode())
        for row in rows:
            out.write(("\t".join(_tsv_field(row[name]) for name in names) + "\n").encode())


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
