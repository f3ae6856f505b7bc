"""Look at a SPARQL request before it runs: its form, its dataset clause, and what rolegraph refuses.

The check is lexical (comments, strings and IRIs set aside, then keywords read), so it errs on the side of
refusing: a query that only looks like it calls SERVICE is refused too. It is not the only guard: the
query workers also run without network access where the system allows it (see ``workers``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rolegraph.errors import QueryRejected

__all__ = ["QueryShape", "MAX_DEPTH", "inspect_query"]

MAX_DEPTH = 128  # nested { ( [ a query may use; Oxigraph's parser recurses and can overflow far deeper

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")

_SKIPPED = re.compile(
    r"""(?P<comment>\#[^\n\r]*)
      | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                  |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)""",
    re.X | re.S,
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _keyword(word: str) -> re.Pattern[str]:
    # not part of a longer name, a variable (?x $x) or a prefixed name (ex:x x:y)
    return re.compile(rf"(?<![\w?$:]){word}(?![\w:])", re.I)


_FORM = re.compile(rf"(?<![\w?$:])({'|'.join(QUERY_FORMS + UPDATE_FORMS)})(?![\w:])", re.I)
_SERVICE = _keyword("SERVICE")
_FROM = _keyword("FROM")


@dataclass(frozen=True)
class QueryShape:
    """What a query is: its form (SELECT, ASK, CONSTRUCT, DESCRIBE) and whether it names its own dataset."""

    form: str
    has_dataset: bool

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def strip_query(text: str) -> str:
    """The query with comments, strings and IRIs blanked out, so keywords can be read safely.

    >>> strip_query('SELECT * { ?s ?p "SERVICE" } # SERVICE')
    'SELECT * { ?s ?p _ } _'
    """
    return _SKIPPED.sub("_", text)


def _unescape(text: str) -> str:
    return _UNICODE_ESCAPE.sub(lambda match: chr(int(match.group(1) or match.group(2), 16)), text)


def _too_deep(code: str) -> bool:
    """Whether groups and expressions nest more than MAX_DEPTH deep.

    >>> _too_deep("SELECT * { { ?s ?p ?o } FILTER(?o > (1)) }"), _too_deep("ASK {" + "(" * 200 + "1" + ")" * 200 + "}")
    (False, True)
    """
    if code.count("{") + code.count("(") + code.count("[") <= MAX_DEPTH:  # cannot nest deeper: no loop needed
        return False
    depth = deepest = 0
    for char in code:
        if char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})]" and depth:
            depth -= 1
    return deepest > MAX_DEPTH


def inspect_query(text: str) -> QueryShape:
    """Return the shape of a SPARQL query, or raise QueryRejected naming what rolegraph refuses.

    >>> inspect_query("PREFIX ex: <http://e/> SELECT ?from WHERE { ?s ex:service ?from }")
    QueryShape(form='SELECT', has_dataset=False)
    >>> inspect_query("CONSTRUCT { ?s ?p ?o } FROM <http://g> WHERE { ?s ?p ?o }").returns_graph
    True
    >>> inspect_query("INSERT DATA { <a> <b> <c> }")
    Traceback (most recent call last):
    rolegraph.errors.QueryRejected: SPARQL Update (INSERT) is refused: this endpoint is read-only
    """
    codes = [strip_query(text)]
    unescaped = _unescape(text)
    if unescaped != text:  # Oxigraph reads \\u escapes in places; refuse what either reading shows
        codes.append(strip_query(unescaped))
    for code in codes:
        if _SERVICE.search(code):
            raise QueryRejected("SERVICE is refused: this endpoint never calls other endpoints")
        if _too_deep(code):
            raise QueryRejected(f"the query nests groups or expressions more than {MAX_DEPTH} deep")
    form = _FORM.search(codes[0])
    if form is None:
        raise QueryRejected("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    keyword = form.group(1).upper()
    if keyword in UPDATE_FORMS:
        raise QueryRejected(f"SPARQL Update ({keyword}) is refused: this endpoint is read-only")
    return QueryShape(keyword, bool(_FROM.search(codes[0])))
