"""Shared fixtures: the seed specs, their gold facts, a built in-memory store, the LA corpus (skips if absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rolegraph.pipeline import BuildSummary, build
from rolegraph.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
SPECS_DIR = ROOT / "examples" / "specs"
GOLD_FILE = Path(__file__).resolve().parent / "data" / "gold" / "seeds.json"
SHARED = ROOT.parent / "shared"
LA_BULLETINS = SHARED / "corpus" / "la-bulletins" / "Job Bulletins"
LA_PDFS = SHARED / "corpus" / "la-bulletin-pdfs"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files from current output.")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    return SPECS_DIR


@pytest.fixture(scope="session")
def gold() -> dict:
    return json.loads(GOLD_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def built_seeds() -> tuple[Store, BuildSummary]:
    """The five seeds built once into an in-memory store (read-only use, please)."""
    store = open_store(None)
    summary = build([SPECS_DIR], store)
    return store, summary


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A fresh persistent Oxigraph store in a temporary directory."""
    opened = open_store(tmp_path / "store")
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def la_corpus() -> Path:
    if not LA_BULLETINS.is_dir():
        pytest.skip(f"LA corpus not found at {LA_BULLETINS} (../shared is absent on this machine)")
    return LA_BULLETINS


@pytest.fixture(scope="session")
def la_pdfs() -> Path:
    if not LA_PDFS.is_dir():
        pytest.skip(f"LA PDFs not found at {LA_PDFS} (../shared is absent on this machine)")
    return LA_PDFS
