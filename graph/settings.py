"""Settings: one frozen object built at the edge (CLI options, create_app) and passed down."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rolegraph.rdf.iris import DEFAULT_BASE

__all__ = ["Settings", "DEFAULT_STORE"]

DEFAULT_STORE = Path("rolegraph-data")


@dataclass(frozen=True)
class Settings:
    """Where the store lives, the IRI base and the limits of queries.

    >>> Settings().base_iri
    'https://w3id.org/rolegraph/id/'
    """

    store: str | Path | None = DEFAULT_STORE  # a directory, or None for memory
    base_iri: str = DEFAULT_BASE
    query_timeout: float = 30.0  # seconds
    result_limit: int = 100_000  # rows (or triples) a query may return
    lock_timeout: float = 60.0  # seconds a build waits for another writer
    query_workers: int = 4  # processes evaluating SPARQL for the web server (each can be stopped)
    max_request_bytes: int = 1_000_000  # larger request bodies get 413
    max_result_bytes: int = 64_000_000  # larger serialized results get an error, never a cut body
