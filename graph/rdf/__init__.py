"""RDF: model -> quads (pyoxigraph terms), one named graph per job class. No storage, no SHACL.

The names below are imported from their modules when first used, so that importing a light submodule
(``rolegraph.rdf.iris``, ``rolegraph.rdf.namespaces``) does not load the emitter and the parser tables with it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rolegraph.rdf.emit import ClassGraph, ClassGraphEmitter, emit_class_graphs, iter_class_graphs
    from rolegraph.rdf.iris import DEFAULT_BASE, Iris

__all__ = ["ClassGraph", "ClassGraphEmitter", "emit_class_graphs", "iter_class_graphs", "Iris", "DEFAULT_BASE"]

# public name -> the submodule that defines it
NAME_TO_MODULE = {
    "ClassGraph": "rolegraph.rdf.emit",
    "ClassGraphEmitter": "rolegraph.rdf.emit",
    "emit_class_graphs": "rolegraph.rdf.emit",
    "iter_class_graphs": "rolegraph.rdf.emit",
    "Iris": "rolegraph.rdf.iris",
    "DEFAULT_BASE": "rolegraph.rdf.iris",
}


def __getattr__(name: str) -> Any:
    if name not in NAME_TO_MODULE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(NAME_TO_MODULE[name]), name)
    globals()[name] = value  # the next lookup finds it without calling __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
