"""Property tests: whatever the bytes, reading and parsing end in a model or a one-line SourceError, quickly.

Every example runs under hypothesis's deadline, so a hang or a quadratic blow-up fails the test.
"""

from __future__ import annotations

import random
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolegraph.errors import SourceError
from rolegraph.model import JobClass
from rolegraph.parser import parse_document
from rolegraph.readers import read_source

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from reliability import MUTATIONS, mutate  # noqa: E402  (the same mutations bench/reliability.py counts)

SPECS = sorted((Path(__file__).resolve().parent.parent / "examples" / "specs").iterdir())
BOUNDED = settings(max_examples=60, deadline=timedelta(seconds=3),
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def outcome(path: Path) -> JobClass | SourceError:
    """Read and parse; only SourceError may escape, and its message is one line naming the file."""
    try:
        classes = parse_document(read_source(path))
        assert classes, "a document that is a specification defines at least one class"
        return classes[0]
    except SourceError as error:
        assert "\n" not in str(error)
        assert str(error).startswith(str(path))
        return error


@BOUNDED
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".txt", ".md", ".pdf", ".bin", ""]))
def test_arbitrary_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"input{suffix}"
    path.write_bytes(data)
    outcome(path)


@BOUNDED
@given(text=st.text(max_size=4096))
def test_arbitrary_unicode(tmp_path: Path, text: str) -> None:
    path = tmp_path / "input.txt"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    outcome(path)


@pytest.mark.parametrize("spec", SPECS, ids=lambda path: path.name[:3])
@BOUNDED
@given(how=st.sampled_from(MUTATIONS), seed=st.integers(0, 2**32 - 1))
def test_mutated_seeds(tmp_path: Path, spec: Path, how: str, seed: int) -> None:
    lines = spec.read_text(encoding="utf-8").split("\n")
    path = tmp_path / spec.name
    path.write_text("\n".join(mutate(lines, how, random.Random(seed))), encoding="utf-8")
    result = outcome(path)
    if isinstance(result, JobClass):
        assert result.title.value.strip()
        for duty in result.duties:
            assert 1 <= duty.where.line_start <= duty.where.line_end


_ONE_PASS_LABEL = r"[^\w\s/&-]|(?<!\w)[-/&]|[-/&](?!\w)"  # clean_statement's pattern before it took two passes


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ9_ -/&.;:()'\"é\u00a0\u2013\t\nß"), max_size=40) | st.text(max_size=40))
def test_statement_labels_are_cleaned_as_by_one_alternation(text: str) -> None:
    """clean_statement's two passes drop exactly what one alternation tried at every position dropped."""
    import re
    from dataclasses import replace

    from rolegraph.skills import clean_statement, skill_rules

    expected = " ".join(re.sub(_ONE_PASS_LABEL, " ", text.casefold()).split())
    assert clean_statement(text, replace(skill_rules(), prefixes=())) == expected
