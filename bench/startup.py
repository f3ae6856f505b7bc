"""CLI start-up time: `rolegraph --help` and a trivial query, against starting Python itself, in one run.

    python bench/startup.py [--runs 15] [--store DIR]

Each command runs --runs times in a fresh process (this venv's Python, `-m rolegraph.cli`, as the `rolegraph`
script does), the commands interleaved so a machine whose load changes meanwhile slows them alike; the median
wall time of each is printed with its ratio over `python -c pass` measured in the same run, and the CPU time
(user + system) of its runs' median, which a loaded machine inflates less than wall time. The query runs on a
store built first from examples/specs (not timed), or on --store DIR.

    python -c pass                       baseline
    rolegraph --help                     click and the command table; no command's dependencies
    rolegraph query 'ASK {}' --store S   opens the store read-only, asks, prints `true`

The figures are dominated by imports: `python -X importtime -m rolegraph.cli --help` shows what each costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commands(store: Path) -> dict[str, list[str]]:
    """Label -> command line, the baseline first."""
    rolegraph = [sys.executable, "-m", "rolegraph.cli"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "rolegraph --help": [*rolegraph, "--help"],
        "rolegraph query 'ASK {}'": [*rolegraph, "query", "ASK {}", "--store", str(store)],
    }


def run_once(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child) of one run; a failed run stops the bench."""
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"bench/startup.py: {' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def measure(lines: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    """Label -> (median wall, median CPU), the commands interleaved run by run (one warm-up round not counted)."""
    for command in lines.values():
        run_once(command)
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in lines}
    for _ in range(runs):
        for label, command in lines.items():
            times[label].append(run_once(command))
    return {label: (statistics.median(wall for wall, _ in got), statistics.median(cpu for _, cpu in got))
            for label, got in times.items()}


def build_small_store(directory: Path) -> Path:
    store = directory / "store"
    subprocess.run([sys.executable, "-m", "rolegraph.cli", "build", str(ROOT / "examples" / "specs"), "--store",
                    str(store)], check=True, capture_output=True)
    return store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (the median counts)")
    parser.add_argument("--store", type=Path, help="query this store instead of one built from examples/specs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rolegraph-startup-") as scratch:
        store = args.store or build_small_store(Path(scratch))
        results = measure(commands(store), args.runs)
    base_wall, _ = results["python -c pass"]
    print(f"median of {args.runs} runs each, interleaved; load average {os.getloadavg()[0]:.2f}")
    print(f"{'command':<28}{'wall':>10}{'CPU':>10}{'x python':>10}")
    for label, (wall, cpu) in results.items():
        print(f"{label:<28}{wall * 1000:>8.0f} ms{cpu * 1000:>7.0f} ms{wall / base_wall:>9.1f}x")


if __name__ == "__main__":
    main()
