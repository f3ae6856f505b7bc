"""Shared fixtures: the seed specs, their gold facts, a built in-memory store, the LA corpus (skips if absent).

And strict skips: under CI (``CI=true``, as CI runners set it; ``ROLEGRAPH_STRICT_SKIPS=1`` to try it locally) a
test that skips for a reason not in ALLOWED_SKIPS fails the session: a missing program, package or corpus that
CI is meant to provide must not turn into a quiet "s".
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
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

pytest_plugins = ["pytester"]  # tests/test_strict_skips.py runs pytest on tiny test files


# -- strict skips ------------------------------------------------------------------------------------


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def strict_skips() -> bool:
    return in_ci() or os.environ.get("ROLEGRAPH_STRICT_SKIPS") == "1"


@dataclass(frozen=True)
class AllowedSkip:
    """A skip reason that may remain under CI: ``pattern`` is searched in the reason, ``why`` says why the
    skip is legitimate, and ``holds`` tells whether that situation is the case here (else the skip fails)."""

    pattern: str
    why: str
    holds: Callable[[], bool]


# The one list of skips that may remain under CI. Every other skip fails a CI run.
ALLOWED_SKIPS: tuple[AllowedSkip, ...] = (
    AllowedSkip(r"^root reads files whatever their mode",
                "an unreadable-file test cannot make a file unreadable to root, and CI runs as root; "
                "a run as a user covers it", lambda: os.geteuid() == 0),
    AllowedSkip(r"^needs root to mount a small tmpfs",
                "mounting a full disk needs root; CI runs as root, so there it runs", lambda: os.geteuid() != 0),
    AllowedSkip(r"\(\.\./shared is absent on this machine\)",
                "a clone without ../shared (the LA corpus) beside it; CI has ../shared, so there it fails",
                lambda: not SHARED.is_dir() and not in_ci()),
)


def allowed_skip(reason: str) -> AllowedSkip | None:
    """The entry of ALLOWED_SKIPS that allows a skip for ``reason`` here, or None."""
    reason = reason.removeprefix("Skipped: ")
    return next((entry for entry in ALLOWED_SKIPS if re.search(entry.pattern, reason) and entry.holds()), None)


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    if isinstance(report.longrepr, tuple):  # (file, line, "Skipped: reason"), as pytest makes for every skip
        return report.longrepr[2]
    return str(report.longrepr)


class StrictSkips:
    """Records every skip whose reason ALLOWED_SKIPS does not allow; lists them and fails the session."""

    def __init__(self) -> None:
        self.refused: list[tuple[str, str]] = []  # (test or file, reason)

    def _check(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail"):  # an xfail is reported as skipped too
            reason = _skip_reason(report)
            if allowed_skip(reason) is None:
                self.refused.append((report.nodeid or str(report.fspath), reason.removeprefix("Skipped: ")))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._check(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._check(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.refused and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.refused:
            return
        terminalreporter.section(f"{len(self.refused)} skips not allowed under CI", red=True)
        for where, reason in self.refused:
            terminalreporter.line(f"{where}: {reason}", red=True)
        terminalreporter.line("Install what they need in .ci/run or pyproject.toml's [test] extra; a skip that is "
                              "legitimate under CI belongs in ALLOWED_SKIPS (tests/conftest.py), with why.")


def pytest_configure(config: pytest.Config) -> None:
    if strict_skips():
        config.pluginmanager.register(StrictSkips(), "rolegraph-strict-skips")


# -- fixtures ----------------------------------------------------------------------------------------


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
