"""RDF: model -> quads (pyoxigraph terms), one named graph per job class. No storage, no SHACL."""

from rolegraph.rdf.emit import ClassGraph, ClassGraphEmitter, emit_class_graphs, iter_class_graphs
from rolegraph.rdf.iris import DEFAULT_BASE, Iris

__all__ = ["ClassGraph", "ClassGraphEmitter", "emit_class_graphs", "iter_class_graphs", "Iris", "DEFAULT_BASE"]
