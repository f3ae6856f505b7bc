"""SIGKILL at random moments during a build: every graph stays old or new, the store opens, a rebuild completes.

A small run here (bench/crash.py and bench/reliability.py run the LA corpus with 20 kills).
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import crash  # noqa: E402
import generate  # noqa: E402


def test_killed_builds_leave_old_or_new_graphs(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    generate.write_specs(60, specs, seed=3)
    report = crash.run(specs, kills=3, seed=5, work=tmp_path / "work")
    assert report.kills == 3
    assert report.graphs_checked > 3 * 60
    assert report.half_written == [] and report.lost == []
    assert report.store_failed_to_open == 0 and report.rebuilds_failed == 0
    assert report.old + report.new == report.graphs_checked
