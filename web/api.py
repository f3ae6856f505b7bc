"""A small JSON API for scripts: classes (with fuzzy search), one class with its facts, and the full dump."""

from __future__ import annotations

import tempfile
from dataclasses import asdict

from flask import Blueprint, Response, jsonify, request, send_file

from rolegraph.errors import NotFound
from rolegraph.lookup import class_details, find_class
from rolegraph.web.service import service

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.route("/classes")
def classes() -> Response:
    """Every job class, or those whose title holds ``q`` (case-insensitive)."""
    text = request.args.get("q", "").casefold()
    refs = [ref for ref in service().classes if not text or text in ref.title.casefold()]
    return jsonify([asdict(ref) for ref in refs])


@bp.route("/class")
def job_class() -> Response:
    """One class by ``name`` (code, title or IRI; fuzzy, with "did you mean" in the 404)."""
    svc = service()
    name = request.args.get("name", "")
    if not name:
        raise NotFound("give the class as ?name=CODE-or-TITLE")
    ref = svc.classes_by_iri.get(name) or find_class(svc.store, name, svc.classes)
    details = class_details(svc.store, ref)
    return jsonify({"class": asdict(ref),
                    "facts": {key: [asdict(fact) for fact in facts] for key, facts in details.facts.items()},
                    "duties": [{"duty": asdict(duty), "tasks": [asdict(task) for task in tasks]}
                               for duty, tasks in details.duties],
                    "sources": [asdict(source) for source in details.sources]})


@bp.route("/dump.nq")
def dump() -> Response:
    """The whole dataset as N-Quads (the VoID data dump)."""
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 - send_file closes it
    service().store.export(spool, "nq")
    spool.seek(0)
    return send_file(spool, mimetype="application/n-quads", download_name="rolegraph.nq")
