"""The pipeline: parallel parsing gives exactly what sequential parsing gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from rolegraph import pipeline
from rolegraph.rdf import emit_class_graphs


def test_parallel_parse_equals_sequential(specs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sequential = pipeline.parse_paths([specs_dir], workers=1)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_FILES", 2)
    seen: list[str] = []
    parallel = pipeline.parse_paths([specs_dir, Path(specs_dir) / "missing.txt"], workers=2,
                                    progress=lambda path: seen.append(path.name))
    assert [c.content_hash for c in emit_class_graphs(parallel.classes)] == \
        [c.content_hash for c in emit_class_graphs(sequential.classes)]
    assert [failure.path.name for failure in parallel.failures] == ["missing.txt"]
    assert len(seen) == 6
