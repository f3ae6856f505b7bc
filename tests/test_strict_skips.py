"""Strict skips (tests/conftest.py): under CI a skip whose reason ALLOWED_SKIPS does not allow fails the run.

Each test runs pytest in a child process over a tiny test file, next to a copy of tests/conftest.py (so the
mechanism tested is the real one), with CI and ROLEGRAPH_STRICT_SKIPS set as the test says. The copy's
../shared is absent, as on a clone without the shared corpus.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import ALLOWED_SKIPS

TESTS = Path(__file__).resolve().parent
AS_ROOT = os.geteuid() == 0
# A reason ALLOWED_SKIPS allows on this machine, whoever runs it.
ALLOWED_HERE = ("root reads files whatever their mode; run as a user to test this" if AS_ROOT
                else "needs root to mount a small tmpfs")
NOT_INSTALLED = "the oxigraph server is not installed (pip install oxigraph)"
NO_SHARED = "LA corpus not found at /x (../shared is absent on this machine)"

TINY_TESTS = f"""
import pytest

def test_passes():
    pass

def test_allowed():
    pytest.skip({ALLOWED_HERE!r})

def test_server_missing():
    pytest.skip({NOT_INSTALLED!r})

@pytest.mark.xfail(reason="known bug", strict=True)
def test_known_bug():
    assert False
"""


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    pytester.makeconftest((TESTS / "conftest.py").read_text(encoding="utf-8"))

    def run(tests: str, ci: bool = False, strict: bool = False) -> pytest.RunResult:
        monkeypatch.setenv("CI", "true" if ci else "false")
        monkeypatch.setenv("ROLEGRAPH_STRICT_SKIPS", "1" if strict else "0")
        pytester.makepyfile(test_tiny=tests)
        return pytester.runpytest("-p", "no:cacheprovider")

    return run


def test_under_ci_a_skip_for_a_missing_program_fails_the_run_and_is_named(run) -> None:
    result = run(TINY_TESTS, ci=True)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    result.stdout.fnmatch_lines(["*1 skips not allowed under CI*",
                                 f"test_tiny.py::test_server_missing: {NOT_INSTALLED}"])
    assert "test_tiny.py::test_allowed:" not in result.stdout.str()  # the allowed skip and the xfail are not listed
    assert "test_known_bug" not in result.stdout.str()


def test_rolegraph_strict_skips_alone_is_strict_too(run) -> None:
    assert run(TINY_TESTS, strict=True).ret == pytest.ExitCode.TESTS_FAILED


def test_outside_ci_skips_are_only_skips(run) -> None:
    result = run(TINY_TESTS)
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    assert "not allowed under CI" not in result.stdout.str()


def test_under_ci_allowed_skips_pass(run) -> None:
    result = run(f"import pytest\n\ndef test_allowed():\n    pytest.skip({ALLOWED_HERE!r})\n", ci=True)
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=1)


def test_a_skip_allowed_only_for_other_users_fails(run) -> None:
    other = ("needs root to mount a small tmpfs" if AS_ROOT
             else "root reads files whatever their mode; run as a user to test this")
    result = run(f"import pytest\n\ndef test_other():\n    pytest.skip({other!r})\n", ci=True)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_absent_shared_is_allowed_locally_but_not_under_ci(run) -> None:
    tests = f"import pytest\n\ndef test_corpus():\n    pytest.skip({NO_SHARED!r})\n"
    assert run(tests, strict=True).ret == pytest.ExitCode.OK  # ../shared is really absent beside the copy
    result = run(tests, ci=True)  # CI has ../shared beside the clone: its absence is a failure there
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*test_corpus: LA corpus not found*"])


def test_a_skipped_module_fails_under_ci(run) -> None:
    result = run("import pytest\n\npytest.importorskip('no_such_module_here')\n\ndef test_x():\n    pass\n", ci=True)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*test_tiny.py: could not import 'no_such_module_here'*"])


def test_a_failing_run_keeps_its_status(run) -> None:
    result = run(f"import pytest\n\ndef test_fails():\n    assert False\n\n"
                 f"def test_skips():\n    pytest.skip({NOT_INSTALLED!r})\n", ci=True)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize("entry", ALLOWED_SKIPS, ids=lambda entry: entry.pattern)
def test_every_allowed_skip_is_one_the_tests_make(entry) -> None:
    """A stale entry would allow a skip nobody makes any more: each pattern matches a reason in tests/."""
    sources = "\n".join(path.read_text(encoding="utf-8") for path in TESTS.glob("*.py")
                        if path.name != "test_strict_skips.py")
    sources = re.sub(r"\nALLOWED_SKIPS\b.*?\n\)\n", "\n", sources, flags=re.DOTALL)  # not the table itself
    assert re.search(entry.pattern.removeprefix("^"), sources), entry.pattern
