"""Vocabularies rolegraph uses: schema.org, SKOS, PROV-O, and its own rg: terms (ontology/rolegraph.ttl)."""

from __future__ import annotations

from pyoxigraph import NamedNode

__all__ = ["Namespace", "RG", "SCHEMA", "SKOS", "PROV", "RDF", "RDFS", "XSD", "DCTERMS", "OWL", "SH", "PREFIXES"]


class Namespace(str):
    """An IRI prefix; attribute access gives a NamedNode: ``SCHEMA.name``."""

    def __getattr__(self, local: str) -> NamedNode:
        if local.startswith("__"):
            raise AttributeError(local)
        node = NamedNode(self + local)
        self.__dict__[local] = node  # the next lookup finds it without calling __getattr__
        return node

    def term(self, local: str) -> NamedNode:
        return NamedNode(self + local)


RG = Namespace("https://w3id.org/rolegraph/ns#")
SCHEMA = Namespace("https://schema.org/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
PROV = Namespace("http://www.w3.org/ns/prov#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
SH = Namespace("http://www.w3.org/ns/shacl#")

PREFIXES: dict[str, str] = {
    "rg": str(RG), "schema": str(SCHEMA), "skos": str(SKOS), "prov": str(PROV), "rdf": str(RDF),
    "rdfs": str(RDFS), "xsd": str(XSD), "dcterms": str(DCTERMS), "owl": str(OWL), "sh": str(SH),
}
