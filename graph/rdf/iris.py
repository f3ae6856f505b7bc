"""Deterministic IRIs: the same job class gets the same IRI on every run and every machine.

>>> iris = Iris()
>>> iris.class_path("Texas", "City of El Paso", "1341", "Customer Relations Clerk")
'class/texas/city-of-el-paso/1341'
>>> iris.class_path(None, None, None, "Customer Relations Clerk")
'class/unknown/customer-relations-clerk'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pyoxigraph import NamedNode

__all__ = ["DEFAULT_BASE", "Iris", "slug"]

DEFAULT_BASE = "https://w3id.org/rolegraph/id/"


def slug(text: str, keep: str = "") -> str:
    """A lowercase ASCII path segment.

    >>> slug("Customer Relations & Billing Supervisor")
    'customer-relations-billing-supervisor'
    >>> slug("885.2", keep=".")
    '885.2'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(rf"[^a-z0-9{re.escape(keep)}]+", "-", ascii_text).strip("-") or "unnamed"


@dataclass(frozen=True)
class Iris:
    """IRIs under one base (default https://w3id.org/rolegraph/id/)."""

    base: str = DEFAULT_BASE

    def node(self, path: str) -> NamedNode:
        return NamedNode(self.base + path)

    def class_path(self, state: str | None, jurisdiction: str | None, code: str | None, title: str) -> str:
        place = "/".join(slug(part) for part in (state, jurisdiction) if part) or "unknown"
        return f"class/{place}/{slug(code, keep='.') if code else slug(title)}"

    def graph_for(self, class_path: str) -> NamedNode:
        """The named graph holding one class."""
        return self.node(f"graph/{class_path}")

    def state(self, state: str) -> NamedNode:
        return self.node(f"state/{slug(state)}")

    def jurisdiction(self, state: str | None, name: str) -> NamedNode:
        return self.node(f"jurisdiction/{slug(state) + '/' if state else ''}{slug(name)}")

    def series(self, place: tuple[str | None, str | None], name: str) -> NamedNode:
        """A class series of one employer ("Information Systems Technician Series")."""
        return self.node(f"series/{self._place(place)}/{slug(name)}")

    def organization(self, place: tuple[str | None, str | None], name: str) -> NamedNode:
        """A department or agency of one employer."""
        return self.node(f"organization/{self._place(place)}/{slug(name)}")

    @staticmethod
    def _place(place: tuple[str | None, str | None]) -> str:
        return "/".join(slug(part) for part in place if part) or "unknown"

    def source(self, sha256: str) -> NamedNode:
        return self.node(f"source/{sha256}")

    def skill(self, label: str) -> NamedNode:
        return self.node(f"skill/{slug(label)}")

    @property
    def skill_scheme(self) -> NamedNode:
        return self.node("skills")

    @property
    def shared_graph(self) -> NamedNode:
        """States, jurisdictions and skill concepts: things many classes share."""
        return self.node("graph/shared")

    @property
    def ladder_graph(self) -> NamedNode:
        return self.node("graph/ladders")
