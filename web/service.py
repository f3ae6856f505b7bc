"""What one web app holds: its settings, the store (opened once, read-only) and the query workers.

The store is a snapshot while the server runs (read-only), so lists that every page needs are read once.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import current_app

from rolegraph.lookup import ClassRef, list_classes
from rolegraph.settings import Settings
from rolegraph.store import Store
from rolegraph.web.workers import QueryPool

__all__ = ["Service", "service"]


@dataclass
class Service:
    settings: Settings
    store: Store
    pool: QueryPool
    cache: dict[Any, Any] = field(default_factory=dict)  # things read once (steps, statistics, validation)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def classes(self) -> list[ClassRef]:
        """Every job class, read once."""
        with self._lock:
            return list_classes(self.store)

    @cached_property
    def classes_by_iri(self) -> dict[str, ClassRef]:
        return {ref.iri: ref for ref in self.classes}

    def rows(self, sparql: str) -> list[dict[str, str]]:
        """Run one of rolegraph's own (bounded) queries in this process; rows as {variable: value}."""
        result = self.store.query(sparql)
        names = [variable.value for variable in result.variables]  # type: ignore[union-attr]
        return [{name: row[name].value for name in names if row[name] is not None}  # type: ignore[index]
                for row in result]  # type: ignore[union-attr]

    def close(self) -> None:
        if "validation-run" in self.cache:  # a validation still running in the background
            self.cache["validation-run"].close()
        self.pool.close()
        self.store.close()


def memory_dump(store: Store) -> bytes:
    """The whole dataset as N-Quads, for query workers serving an in-memory store."""
    buffer = io.BytesIO()
    store.export(buffer, "nq")
    return buffer.getvalue()


def service() -> Any:
    """The Service of the current app."""
    return current_app.extensions["rolegraph"]
