"""The examples in docstrings are tests too: run every rolegraph module's doctests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rolegraph

MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(rolegraph.__path__, "rolegraph."))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0, f"{failures} doctest(s) failed in {name}"
