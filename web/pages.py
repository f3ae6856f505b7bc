"""Readable pages: overview, job class, jurisdiction, skill, validation, search, ladder, query, and linked data.

Views read through rolegraph's own bounded queries (in this process) or, for the query page, through the
SPARQL workers. Templates are autoescaped; nothing from the data or an error reaches HTML unescaped.

Linked data: ``/id/<path>`` is the resolver for IRIs under the base. An RDF client (Accept: Turtle,
N-Triples, JSON-LD, RDF/XML) gets the resource's triples there directly, with ``Vary: Accept``; a browser
is sent on with 303 See Other to the page of a job class, jurisdiction or skill (``/class/...``,
``/jurisdiction/...``, ``/skill/...``; ``has_page``) or, for other resources (a class's fact nodes among
them), gets a page listing their triples. The vocabulary is served at ``/ns``.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, render_template, request, url_for

from rolegraph.errors import NotFound, QueryError, RolegraphError
from rolegraph.ladders import LadderResult, Step, paths
from rolegraph.ladders.svg import render_svg
from rolegraph.lookup import ClassRef, class_details, find_class
from rolegraph.rdf.namespaces import PREFIXES, RG
from rolegraph.resources import ontology_files
from rolegraph.web.results import GRAPH_TYPES
from rolegraph.web.service import service
from rolegraph.web.validation_run import ValidationState

__all__ = ["bp", "error_page", "query_page", "page_url", "has_page", "EXAMPLES"]

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")

log = logging.getLogger(__name__)

MAX_PATHS = 40  # ladder paths drawn on one page
MAX_STEPS = 4
PAGE_KINDS = ("class", "jurisdiction", "skill")  # IRI path segment -> page with the same name
# kind -> the IRIs that have a page of that kind: what the page itself looks up ({prefix}: base + kind + "/").
# Other IRIs under the same segment (a class's fact nodes, .../fact/jurisdiction) get the resource page.
PAGE_SUBJECTS = {
    "jurisdiction": "SELECT DISTINCT ?s WHERE {{ ?s schema:name ?name . FILTER(STRSTARTS(STR(?s), {prefix})) }}",
    "skill": "SELECT DISTINCT ?s WHERE {{ ?s skos:prefLabel ?label . FILTER(STRSTARTS(STR(?s), {prefix})) }}",
}

EXAMPLES: list[tuple[str, str]] = [
    ("Job classes: code, title, place, grade", """SELECT DISTINCT ?class ?code ?title ?jurisdiction ?grade WHERE {
  ?class a rg:JobClass ; schema:name ?title .
  FILTER NOT EXISTS { ?class rg:stub true }
  OPTIONAL { ?class schema:identifier ?code }
  OPTIONAL { ?class schema:occupationLocation/schema:name ?jurisdiction }
  OPTIONAL { ?class rg:payGrade/rdfs:label ?grade }
} ORDER BY ?code LIMIT 100"""),
    ("Where each duty of 1341 was read", """SELECT ?position ?file ?from ?to ?duty WHERE {
  ?class schema:identifier "1341" ; rg:duty ?d .
  ?d rg:position ?position ; schema:description ?duty ; rg:lineStart ?from ; rg:lineEnd ?to ;
     prov:wasDerivedFrom/schema:name ?file .
} ORDER BY ?position"""),
    ("Months of experience and the parts within them", """SELECT ?code ?months ?field ?partMonths ?partField WHERE {
  ?class schema:identifier ?code ; schema:experienceRequirements ?e .
  ?e schema:monthsOfExperience ?months .
  OPTIONAL { ?e rg:field ?field }
  OPTIONAL { ?e rg:includes ?part . ?part schema:monthsOfExperience ?partMonths .
             OPTIONAL { ?part rg:field ?partField } }
}"""),
    ("Promotion steps with their explanation", """SELECT ?from ?to ?basis ?months ?why WHERE {
  ?step a rg:PromotionStep ; rg:fromClass ?f ; rg:toClass ?t ; rg:basis ?basis .
  ?f schema:name ?from . ?t schema:name ?to .
  OPTIONAL { ?step rg:monthsRequired ?months } OPTIONAL { ?step rdfs:comment ?why }
} LIMIT 100"""),
    ("Skills most often required", """SELECT ?skill (COUNT(DISTINCT ?class) AS ?classes) WHERE {
  ?class rg:ksa/rg:concept ?concept . ?concept skos:prefLabel ?skill .
} GROUP BY ?skill ORDER BY DESC(?classes) LIMIT 25"""),
]


# -- helpers --------------------------------------------------------------------------------------------

def page_url(iri: str) -> str | None:
    """The page of an IRI on this server, or None when it is not ours."""
    base = service().settings.base_iri
    if iri.startswith(base):
        path = iri[len(base):]
        kind, _, rest = path.partition("/")
        if has_page(kind, iri):
            return url_for(f"pages.{kind}_page", rest=rest)
        return url_for("pages.resolve", path=path) if path else None
    if iri.startswith(str(RG)):
        return url_for("pages.ontology") + "#" + iri[len(str(RG)):]
    return None


def has_page(kind: str, iri: str) -> bool:
    """Whether ``iri`` (under the base, in segment ``kind``) has a page of its own: a job class, a jurisdiction
    or a skill the store names. The lists are read once per app (the store is a snapshot while served)."""
    if kind not in PAGE_KINDS:
        return False
    svc = service()
    if kind == "class":
        return iri in svc.classes_by_iri
    key = ("page-subjects", kind)
    subjects = svc.cache.get(key)
    if subjects is None:
        prefix = ox.Literal(svc.settings.base_iri + kind + "/")
        subjects = svc.cache.setdefault(key, frozenset(
            row["s"] for row in svc.rows(PAGE_SUBJECTS[kind].format(prefix=prefix))))
    return iri in subjects


@bp.app_template_filter("page")
def _page_filter(iri: str) -> str | None:
    return page_url(iri)


def _iri(text: str) -> str:
    """An IRI safe to put between < > in a query (only ever ours, but checked)."""
    if any(char in text for char in '<>"{}|^`\\ \n\r\t'):
        raise NotFound(f"no resource {text!r}")
    return f"<{text}>"


def error_page(status: int, reason: str) -> Response:
    """A page for an error status; the reason is text, escaped like any other."""
    return Response(render_template("pages/error.html", status=status, reason=reason), status=status,
                    mimetype="text/html")


def _ref(iri: str) -> ClassRef:
    ref = service().classes_by_iri.get(iri)
    if ref is None:
        raise NotFound(f"no job class {iri}")
    return ref


def _find(name: str) -> ClassRef:
    svc = service()
    if name in svc.classes_by_iri:
        return svc.classes_by_iri[name]
    return find_class(svc.store, name, svc.classes)


def _validation() -> ValidationState:
    """What is known of this store's validation; the run starts in the background at the first page request
    (see ``rolegraph.web.validation_run``) and no page waits for it."""
    run = service().cache["validation-run"]
    run.start()
    return run.state()


@bp.before_request
def _start_validation() -> None:
    """Any page visit starts the validation run (once), so that its findings are ready when a page shows them."""
    service().cache["validation-run"].start()


# -- ladder steps: the list of all steps (read from the ladder graph), and the path search of rolegraph.ladders --

@dataclass
class StepView:
    """A step as the templates show it (``step_row``): strings, and (IRI, label) pairs for the skills."""

    iri: str
    source: str
    target: str
    basis: str = ""
    score: str = ""
    months: str = ""
    comment: str = ""
    shared: list[tuple[str, str]] = field(default_factory=list)  # (concept IRI, label)
    missing: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, step: Step, result: LadderResult) -> StepView:
        """The view of a step of a :func:`rolegraph.ladders.paths` result."""
        return cls("", step.source, step.target, step.kind, f"{step.score:g}",
                   "" if step.months_required is None else str(step.months_required), step.explanation,
                   [(iri, result.skill_label(iri)) for iri in step.shared_skills],
                   [(iri, result.skill_label(iri)) for iri in step.missing_skills])


def _steps() -> dict[str, StepView]:
    """Every promotion step in the store, read once per app (the overview's count, the steps into a class, a
    jurisdiction's steps); paths are searched by :func:`rolegraph.ladders.paths` alone (``_ladder``)."""
    svc = service()
    if "steps" in svc.cache:
        return svc.cache["steps"]
    steps: dict[str, StepView] = {}
    for row in svc.rows("""
        SELECT DISTINCT ?step ?from ?to ?basis ?score ?months ?comment WHERE {
          ?step a rg:PromotionStep ; rg:fromClass ?from ; rg:toClass ?to .
          OPTIONAL { ?step rg:basis ?basis } OPTIONAL { ?step rg:score ?score }
          OPTIONAL { ?step rg:monthsRequired ?months } OPTIONAL { ?step rdfs:comment ?comment } }"""):
        steps[row["step"]] = StepView(row["step"], row["from"], row["to"], row.get("basis", ""),
                                      row.get("score", ""), row.get("months", ""), row.get("comment", ""))
    for row in svc.rows("""
        SELECT DISTINCT ?step ?kind ?skill ?label WHERE {
          { ?step rg:sharedSkill ?skill . BIND("shared" AS ?kind) }
          UNION { ?step rg:missingSkill ?skill . BIND("missing" AS ?kind) }
          ?step a rg:PromotionStep . OPTIONAL { ?skill skos:prefLabel ?label } } ORDER BY ?label"""):
        step = steps.get(row["step"])
        if step is not None and all(iri != row["skill"] for iri, _ in getattr(step, row["kind"])):
            getattr(step, row["kind"]).append((row["skill"], row.get("label", row["skill"])))
    return svc.cache.setdefault("steps", steps)


def _ladder(source: str, target: str | None, max_steps: int = MAX_STEPS) -> LadderResult:
    """The paths from ``source`` (to ``target``), as ``rolegraph ladder`` finds them, at most MAX_PATHS: the
    /ladder list and its picture show this one result. paths() reads the steps around the class only
    (milliseconds at any size, nothing kept between requests)."""
    result = paths(service().store, source, target, max_steps=max_steps)
    return replace(result, paths=result.paths[:MAX_PATHS])


def _months(value: str) -> str:
    """'24.000' -> '24'."""
    try:
        number = float(value)
    except ValueError:
        return value
    return f"{number:g}"


# -- pages ----------------------------------------------------------------------------------------------

@bp.route("/")
def overview() -> str:
    svc = service()
    if "overview" not in svc.cache:  # the store does not change while served: count once
        svc.cache["overview"] = _overview_numbers()
    return render_template("pages/overview.html", **svc.cache["overview"], steps=len(_steps()),
                           validation=_validation())


def _overview_numbers() -> dict[str, Any]:
    svc = service()
    classes = [ref for ref in svc.classes if not ref.stub]
    places = svc.rows("""SELECT ?place ?name (COUNT(DISTINCT ?class) AS ?n) WHERE {
        ?class a rg:JobClass ; schema:occupationLocation ?place . ?place schema:name ?name .
        FILTER NOT EXISTS { ?class rg:stub true } } GROUP BY ?place ?name ORDER BY DESC(?n) ?name LIMIT 200""")
    counts = svc.rows("""SELECT (COUNT(DISTINCT ?doc) AS ?sources) (COUNT(DISTINCT ?concept) AS ?skills) WHERE {
        { ?doc a rg:SourceDocument } UNION { ?concept a skos:Concept } }""")
    skills = svc.rows("""SELECT ?concept ?label (COUNT(DISTINCT ?class) AS ?n) WHERE {
        ?class rg:ksa/rg:concept ?concept . ?concept skos:prefLabel ?label }
        GROUP BY ?concept ?label ORDER BY DESC(?n) ?label LIMIT 20""")
    return {"classes": classes[:50], "total": len(classes), "stubs": len(svc.classes) - len(classes),
            "places": places, "counts": counts[0] if counts else {}, "skills": skills}


@bp.route("/class/<path:rest>")
def class_page(rest: str) -> str:
    svc = service()
    ref = _ref(svc.settings.base_iri + "class/" + rest)
    details = class_details(svc.store, ref)
    iri = _iri(ref.iri)
    concepts = {row["text"]: (row["concept"], row.get("label", "")) for row in svc.rows(f"""
        SELECT ?text ?concept ?label WHERE {{ {iri} rg:ksa ?k . ?k schema:description ?text ; rg:concept ?concept .
          OPTIONAL {{ ?concept skos:prefLabel ?label }} }}""")}
    place = svc.rows(f"SELECT DISTINCT ?place ?name WHERE {{ {iri} schema:occupationLocation ?place . "
                     f"OPTIONAL {{ ?place schema:name ?name }} }} LIMIT 1")
    nearest = _ladder(ref.iri, None, max_steps=1)  # the next steps up, and the lateral moves
    steps_out = [StepView.of(step, nearest) for step in [path.steps[0] for path in nearest.paths] + nearest.lateral]
    steps_in = [step for step in _steps().values() if step.target == ref.iri]
    comparable = svc.rows(f"""SELECT ?other (SAMPLE(?s) AS ?score) WHERE {{ {iri} rg:comparableTo ?other .
        OPTIONAL {{ ?c a rg:Comparison ; rg:comparedClass {iri}, ?other ; rg:score ?s }} }}
        GROUP BY ?other ORDER BY DESC(?score)""")
    validation = _validation()
    report = validation.report
    findings = None if report is None else [f for f in report.findings if f.focus_class == ref.iri]
    svg = url_for("pages.ladder_picture", **{"from": ref.iri, "steps": 2}) if nearest.paths else ""
    return render_template("pages/class.html", ref=ref, details=details, concepts=concepts,
                           place=place[0] if place else None, steps_out=steps_out, steps_in=steps_in,
                           comparable=comparable, findings=findings, validation=validation,
                           classes=svc.classes_by_iri, svg=svg,
                           months=_months, data_url=url_for("pages.resolve", path="class/" + rest, format="ttl"))


@bp.route("/jurisdiction/<path:rest>")
def jurisdiction_page(rest: str) -> str:
    svc = service()
    place_iri = svc.settings.base_iri + "jurisdiction/" + rest
    iri = _iri(place_iri)
    names = svc.rows(f"SELECT ?name ?state WHERE {{ {iri} schema:name ?name . "
                     f"OPTIONAL {{ {iri} schema:containedInPlace/schema:name ?state }} }} LIMIT 1")
    if not names:
        raise NotFound(f"no jurisdiction {place_iri}")
    rows = svc.rows(f"""SELECT DISTINCT ?class ?plan ?grade ?number WHERE {{ ?class a rg:JobClass ;
        schema:occupationLocation {iri} . FILTER NOT EXISTS {{ ?class rg:stub true }}
        OPTIONAL {{ ?class rg:payGrade ?g . OPTIONAL {{ ?g rg:payPlan ?plan }} OPTIONAL {{ ?g rg:grade ?grade }}
                   OPTIONAL {{ ?g rg:gradeNumber ?number }} }} }}""")
    plans: dict[str, list[tuple[str, str, ClassRef]]] = defaultdict(list)
    for row in rows:
        ref = svc.classes_by_iri.get(row["class"])
        if ref is not None:
            plans[row.get("plan", "no pay plan")].append((row.get("number", ""), row.get("grade", ""), ref))
    for members in plans.values():
        members.sort(key=lambda item: (_sort_number(item[0]), item[2].title))
    members_iris = {row["class"] for row in rows}
    steps = [step for step in _steps().values() if step.source in members_iris]
    return render_template("pages/jurisdiction.html", name=names[0]["name"], state=names[0].get("state"),
                           plans=dict(sorted(plans.items())), steps=steps, classes=svc.classes_by_iri,
                           months=_months)


def _sort_number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("inf")


@bp.route("/skill/<path:rest>")
def skill_page(rest: str) -> str:
    svc = service()
    concept = svc.settings.base_iri + "skill/" + rest
    iri = _iri(concept)
    labels = svc.rows(f"SELECT ?label WHERE {{ {iri} skos:prefLabel ?label }} LIMIT 1")
    if not labels:
        raise NotFound(f"no skill {concept}")
    alt = [row["label"] for row in svc.rows(f"SELECT DISTINCT ?label WHERE {{ {iri} skos:altLabel ?label }} "
                                            "ORDER BY ?label LIMIT 50")]
    by_level: dict[str, list[tuple[ClassRef, str, str]]] = defaultdict(list)
    for row in svc.rows(f"""SELECT DISTINCT ?class ?level ?kind ?text WHERE {{ ?class rg:ksa ?k . ?k rg:concept {iri} ;
        schema:description ?text ; a ?type . FILTER(STRSTARTS(STR(?type), STR(rg:)))
        BIND(LCASE(STRAFTER(STR(?type), STR(rg:))) AS ?kind) OPTIONAL {{ ?k rg:level ?level }} }} LIMIT 2000"""):
        ref = svc.classes_by_iri.get(row["class"])
        if ref is not None:
            by_level[row.get("level", "level not stated")].append((ref, row["kind"], row["text"]))
    return render_template("pages/skill.html", label=labels[0]["label"], alt=alt,
                           by_level=dict(sorted(by_level.items())))


@bp.route("/search")
def search() -> str:
    svc = service()
    text = request.args.get("q", "").strip()
    match, suggestion, hits = None, "", []
    if text:
        try:
            match = find_class(svc.store, text, svc.classes)
        except NotFound as error:
            suggestion = str(error)
        folded = text.casefold()
        hits = [ref for ref in svc.classes if folded in ref.title.casefold() or folded == (ref.code or "").casefold()]
    if match is not None and request.args.get("go"):
        return redirect(page_url(match.iri) or url_for("pages.overview"))  # type: ignore[return-value]
    return render_template("pages/search.html", q=text, match=match, suggestion=suggestion, hits=hits[:100],
                           more=max(0, len(hits) - 100))


@bp.route("/validation")
def validation() -> str:
    """The findings of the last validation run, filtered; while it runs, a page that says so and refreshes."""
    state = _validation()
    report = state.report
    severity = request.args.get("severity", "")
    text = request.args.get("q", "").strip().casefold()
    findings = []
    if report is not None:
        order = {"violation": 0, "warning": 1, "info": 2}  # worst first
        findings = [f for f in sorted(report.findings, key=lambda f: order.get(f.severity, 3))
                    if (not severity or f.severity == severity)
                    and (not text or text in f.message.casefold() or text in f.shape.casefold()
                         or text in (f.file or "").casefold())]
    return render_template("pages/validation.html", state=state, report=report, findings=findings[:1000],
                           more=max(0, len(findings) - 1000), severity=severity, q=request.args.get("q", ""),
                           classes=service().classes_by_iri)


@bp.route("/ladder")
def ladder() -> str:
    source_name, target_name = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    source = _find(source_name) if source_name else None
    target = _find(target_name) if target_name else None
    result = _ladder(source.iri, target.iri if target else None) if source else None
    found = [[StepView.of(step, result) for step in path.steps] for path in result.paths] if result else []
    query = {"from": source.iri, **({"to": target.iri} if target else {})} if source else {}
    svg = url_for("pages.ladder_picture", **query) if source and found else ""
    return render_template("pages/ladder.html", source=source, target=target, source_name=source_name,
                           target_name=target_name, paths=found, svg=svg, classes=service().classes_by_iri,
                           has_steps=bool(_steps()), months=_months)


SVG_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}


def ladder_picture_svg(source: str, target: str | None, max_steps: int = MAX_STEPS) -> str:
    """The ladder picture: ``rolegraph ladder --format svg``'s drawing of the paths the /ladder page lists."""
    return render_svg(_ladder(source, target, max_steps))


@bp.route("/ladder.svg")
def ladder_picture() -> Response:
    """The ladder from ``from`` (to ``to``) as an SVG image; its text is escaped, it holds no script."""
    source = _find(request.args.get("from", ""))
    target_name = request.args.get("to", "").strip()
    target = _find(target_name) if target_name else None
    asked = request.args.get("steps", "")
    steps = min(MAX_STEPS, max(1, int(asked))) if asked.isdigit() else MAX_STEPS
    svg = ladder_picture_svg(source.iri, target.iri if target else None, steps)
    return Response(svg, mimetype="image/svg+xml", headers=SVG_HEADERS)


@dataclass
class Table:
    columns: list[str]
    rows: list[list[dict[str, str] | None]]
    boolean: bool | None = None


def _table(query: str) -> Table:
    from rolegraph.web.guard import inspect_query
    from rolegraph.web.sparql import run_query

    shape = inspect_query(query)
    if shape.returns_graph:
        body = run_query(query, "application/n-triples")
        triples = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
        return Table(["subject", "predicate", "object"],
                     [[_cell(t.subject), _cell(t.predicate), _cell(t.object)] for t in triples])
    data = json.loads(run_query(query, "application/sparql-results+json"))
    if "boolean" in data:
        return Table([], [], bool(data["boolean"]))
    columns = data["head"]["vars"]
    return Table(columns, [[binding.get(name) for name in columns] for binding in data["results"]["bindings"]])


def _cell(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    return {"type": "literal", "value": getattr(term, "value", str(term))}


@bp.route("/query")
def query_page() -> Response:
    """The query page: an editor, examples, and the results of the query in the URL as a table."""
    query = request.args.get("query", "")
    table, error, status = None, "", 200
    if query.strip():
        try:
            table = _table(query)
        except RolegraphError as failure:
            from rolegraph.web import ERROR_TO_STATUS

            error = str(failure)
            status = next((code for kind, code in ERROR_TO_STATUS.items() if isinstance(failure, kind)), 500)
            if status == 500:
                error = "internal error"
    prologue = "\n".join(f"PREFIX {name}: <{iri}>" for name, iri in PREFIXES.items()
                         if name in ("rg", "schema", "skos", "prov", "rdfs"))
    text = query or f"{prologue}\n\n{EXAMPLES[0][1]}"
    downloads = {fmt: url_for("sparql.endpoint") + "?" + urlencode({"query": query, "format": fmt})
                 for fmt in ("csv", "json")} if query.strip() and table and table.boolean is None else {}
    examples = [(title, url_for("pages.query_page") + "?" + urlencode({"query": f"{prologue}\n\n{body}"}))
                for title, body in EXAMPLES]
    html = render_template("pages/query.html", query=text, table=table, error=error, downloads=downloads,
                           examples=examples)
    return Response(html, status=status, mimetype="text/html")


# -- linked data ------------------------------------------------------------------------------------------

def _rdf_type() -> str | None:
    """The RDF media type the client prefers over HTML, if any."""
    best = request.accept_mimetypes.best_match(["text/html", *GRAPH_TYPES])
    if request.args.get("format") in ("ttl", "turtle"):
        return "text/turtle"
    return best if best and best != "text/html" and best in GRAPH_TYPES and best != "text/plain" else None


@bp.route("/id/<path:path>")
def resolve(path: str) -> Response:
    """Linked data for an IRI under the base: triples for RDF clients, 303 to the page for browsers."""
    svc = service()
    iri = svc.settings.base_iri + path
    kind, _, rest = path.partition("/")
    media_type = _rdf_type()
    if media_type is None:
        if has_page(kind, iri):
            return redirect(url_for(f"pages.{kind}_page", rest=rest), code=303)  # type: ignore[return-value]
        rows = svc.rows(f"SELECT DISTINCT ?p ?o WHERE {{ {_iri(iri)} ?p ?o }} ORDER BY ?p ?o LIMIT 2000")
        incoming = svc.rows(f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {_iri(iri)} }} ORDER BY ?p ?s LIMIT 200")
        if not rows and not incoming:
            raise NotFound(f"nothing is known about {iri}")
        html = render_template("pages/resource.html", iri=iri, rows=rows, incoming=incoming)
        return Response(html, mimetype="text/html", headers={"Vary": "Accept"})
    triples = _describe(iri, kind, rest)
    if not triples:
        raise NotFound(f"nothing is known about {iri}")
    rdf_format = getattr(ox.RdfFormat, GRAPH_TYPES[media_type])
    body = ox.serialize(triples, format=rdf_format,
                        prefixes=PREFIXES if rdf_format is ox.RdfFormat.TURTLE else None)
    return Response(body, content_type=media_type, headers={"Vary": "Accept"})


def _describe(iri: str, kind: str, rest: str) -> list[ox.Triple]:
    svc = service()
    if kind == "class":  # the class graph: every fact of the class with its provenance
        graph = svc.settings.base_iri + "graph/class/" + rest
        result = svc.store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }}")
        triples = list(result)  # type: ignore[arg-type]
        if triples:
            return triples
    try:
        return list(svc.store.query(f"DESCRIBE {_iri(iri)}"))  # type: ignore[arg-type]
    except QueryError:
        return []


@bp.route("/ns")
@bp.route("/ns.ttl")
def ontology() -> Response:
    """The rolegraph vocabulary: HTML documentation for browsers, Turtle for RDF clients."""
    turtle = b"".join(entry.read_bytes() for entry in ontology_files())
    if request.path.endswith(".ttl") or _rdf_type() is not None:
        media_type = _rdf_type() or "text/turtle"
        if GRAPH_TYPES[media_type] == "TURTLE":
            return Response(turtle, content_type="text/turtle; charset=utf-8", headers={"Vary": "Accept"})
        triples = ox.parse(turtle, format=ox.RdfFormat.TURTLE)
        return Response(ox.serialize(triples, format=getattr(ox.RdfFormat, GRAPH_TYPES[media_type])),
                        content_type=media_type, headers={"Vary": "Accept"})
    terms = _ontology_terms(turtle)
    return Response(render_template("pages/ontology.html", terms=terms, namespace=str(RG)),
                    mimetype="text/html", headers={"Vary": "Accept"})


def _ontology_terms(turtle: bytes) -> list[dict[str, Any]]:
    store = ox.Store()
    store.load(turtle, format=ox.RdfFormat.TURTLE)
    rows = store.query("""SELECT ?term ?kind ?label ?comment ?domain ?range ?super WHERE {
        ?term a ?kind . FILTER(STRSTARTS(STR(?term), STR(rg:)) && ?term != rg:)
        FILTER(?kind IN (rdfs:Class, rdf:Property))
        OPTIONAL { ?term rdfs:label ?label } OPTIONAL { ?term rdfs:comment ?comment }
        OPTIONAL { ?term rdfs:domain ?domain } OPTIONAL { ?term rdfs:range ?range }
        OPTIONAL { ?term rdfs:subClassOf ?super } } ORDER BY ?kind ?term""", prefixes=PREFIXES)
    terms: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = row["term"].value[len(str(RG)):]
        term = terms.setdefault(name, {"name": name, "iri": row["term"].value,
                                       "kind": "class" if row["kind"].value.endswith("Class") else "property",
                                       "label": "", "comment": "", "domain": set(), "range": set(), "super": set()})
        for key in ("label", "comment"):
            if row[key] is not None:
                term[key] = row[key].value
        for key in ("domain", "range", "super"):
            if row[key] is not None:
                term[key].add(row[key].value)
    return sorted(terms.values(), key=lambda term: (term["kind"], term["name"].casefold()))
