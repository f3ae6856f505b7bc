"""The one way to read shipped data files: ontology, shapes and parsing rules.

They are package data, so this works the same from a checkout, an editable install and a wheel.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

__all__ = ["ontology_files", "shape_files", "rule_table"]


def _turtle_files(package: str) -> list[Traversable]:
    return sorted(
        (entry for entry in files(package).iterdir() if entry.name.endswith(".ttl")),
        key=lambda entry: entry.name,
    )


def ontology_files() -> list[Traversable]:
    """Return the shipped ontology Turtle files, sorted by name."""
    return _turtle_files("rolegraph.ontology")


def shape_files() -> list[Traversable]:
    """Return the shipped SHACL shapes Turtle files, sorted by name."""
    return _turtle_files("rolegraph.shapes")


def rule_table(name: str) -> dict[str, Any]:
    """Return the parsed TOML rule table ``parser/rules/<name>.toml``.

    >>> "headings" in rule_table("headings")
    True
    """
    return tomllib.loads(files("rolegraph.parser.rules").joinpath(f"{name}.toml").read_text("utf-8"))
