"""Kill builds with SIGKILL at random moments and check that no class graph is lost or half-written.

    python bench/crash.py SPECS_DIR [--kills 20] [--seed 1]

Version A of the specs is built; version B (every file changed) is then built over a copy of that store and
killed at a random moment, again and again. After each kill the store must open, every named graph must equal
exactly its version-A or its version-B content (old or new, never in between), no process the killed build
started may outlive it (its parse workers), nothing may hold the store's lock, and a rebuild must finish and
equal a clean build of version B. Used by tests/test_crash.py (small) and bench/reliability.py (LA corpus).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from rolegraph.store import open_store

SHARED_GRAPH_SUFFIX = "graph/shared"  # additive by design: it only ever grows, so it is checked separately
RUN_MARK = "ROLEGRAPH_CRASH_RUN"  # in a build's environment, so its processes are found after it was killed
ORPHAN_DEADLINE = 10.0  # seconds the killed build's workers are given to end
LOCK_FILE = "rolegraph.lock"


@dataclass
class CrashReport:
    kills: int = 0
    graphs_checked: int = 0
    old: int = 0
    new: int = 0
    half_written: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    store_failed_to_open: int = 0
    rebuilds_failed: int = 0
    orphans: int = 0  # processes of a killed build alive after it (parse workers)
    locks_held: int = 0  # kills after which something still held the store's lock

    @property
    def ok(self) -> bool:
        return not (self.half_written or self.lost or self.store_failed_to_open or self.rebuilds_failed
                    or self.orphans or self.locks_held)


def snapshot(store_dir: Path) -> dict[str, frozenset[str]]:
    """Named graph -> its quads as N-Quads lines."""
    graphs: dict[str, set[str]] = {}
    with open_store(store_dir, read_only=True) as store:
        for row in store.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", union=False):
            graphs.setdefault(row["g"].value, set()).add(f"{row['s']} {row['p']} {row['o']}")
    return {name: frozenset(quads) for name, quads in graphs.items()}


def rolegraph_build(specs: Path, store: Path, mark: str = "") -> subprocess.Popen[bytes]:
    """Start `rolegraph build`; its processes and every process they fork carry ``mark`` (see ``marked``)."""
    environment = {**os.environ, RUN_MARK: mark or uuid.uuid4().hex}
    return subprocess.Popen([sys.executable, "-m", "rolegraph.cli", "build", str(specs), "--store", str(store)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)


def marked(mark: str) -> list[int]:
    """The live processes whose environment carries ``mark`` (read from /proc; zombies are dead; [] without /proc).
    A forked process keeps its parent's environment, and so the mark, even once orphaned."""
    needle = f"{RUN_MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            found.append(int(entry.name))
    return sorted(found)


def outlived(mark: str, deadline: float = ORPHAN_DEADLINE) -> list[int]:
    """The processes carrying ``mark`` still alive after waiting up to ``deadline`` seconds for them to end."""
    end = time.monotonic() + deadline
    while (alive := marked(mark)) and time.monotonic() < end:
        time.sleep(0.05)
    return alive


def lock_free(store: Path) -> bool:
    """Whether nothing holds the store's lock: a writer's lock is tried and given back at once."""
    try:
        with open(store / LOCK_FILE, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(handle, fcntl.LOCK_UN)
    except FileNotFoundError:
        pass
    return True


def make_version_b(specs: Path, target: Path) -> None:
    """Every file changed, so every class graph has a new version."""
    shutil.copytree(specs, target)
    for path in sorted(target.rglob("*")):
        if path.is_file() and path.suffix.lower() in {".txt", ".md", ""}:
            path.write_bytes(path.read_bytes() + b"\nNotes: revised for the crash test.\n")


def check(store_dir: Path, old: dict[str, frozenset[str]], new: dict[str, frozenset[str]],
          report: CrashReport) -> None:
    try:
        now = snapshot(store_dir)
    except Exception as error:  # noqa: BLE001 - any failure to open is what this counts
        report.store_failed_to_open += 1
        print(f"store did not open: {error}", file=sys.stderr)
        return
    for name in sorted(set(old) | set(new)):
        if name.endswith(SHARED_GRAPH_SUFFIX):
            continue
        report.graphs_checked += 1
        content = now.get(name)
        if content is None:
            if name in old:
                report.lost.append(name)
        elif content == old.get(name):
            report.old += 1
        elif content == new.get(name):
            report.new += 1
        else:
            report.half_written.append(name)
    if not shared_quads(now) >= shared_quads(old):
        report.half_written.append("the shared graph lost quads")


def shared_quads(graphs: dict[str, frozenset[str]]) -> frozenset[str]:
    return next((quads for name, quads in graphs.items() if name.endswith(SHARED_GRAPH_SUFFIX)), frozenset())


def without_shared(graphs: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    return {name: quads for name, quads in graphs.items() if not name.endswith(SHARED_GRAPH_SUFFIX)}


def run(specs: Path, kills: int, seed: int, work: Path) -> CrashReport:
    rng = random.Random(seed)
    version_b = work / "specs-b"
    make_version_b(specs, version_b)
    store_a, store_b = work / "store-a", work / "store-b"
    subprocess.run([sys.executable, "-m", "rolegraph.cli", "build", str(specs), "--store", str(store_a)],
                   capture_output=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rolegraph.cli", "build", str(version_b), "--store", str(store_b)],
                   capture_output=True)
    duration = time.perf_counter() - started
    old, new = snapshot(store_a), snapshot(store_b)
    report = CrashReport()
    for kill in range(kills):
        victim = work / f"victim-{kill}"
        shutil.copytree(store_a, victim)
        mark = uuid.uuid4().hex
        process = rolegraph_build(version_b, victim, mark)
        time.sleep(rng.uniform(0.1, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()
        report.kills += 1
        left = outlived(mark)
        if not lock_free(victim):
            report.locks_held += 1
            print(f"kill {kill}: the store's lock is still held after the build was killed", file=sys.stderr)
        if left:
            report.orphans += len(left)
            print(f"kill {kill}: processes of the killed build still running: {left}", file=sys.stderr)
            for pid in left:  # started by this run's build: end them, or the rebuild would wait for the lock
                os.kill(pid, signal.SIGKILL)
        check(victim, old, new, report)
        rebuilt = subprocess.run([sys.executable, "-m", "rolegraph.cli", "build", str(version_b), "--store",
                                  str(victim)], capture_output=True)
        after, expected = without_shared(snapshot(victim)), without_shared(new)
        if rebuilt.returncode not in (0, 1) or after != expected:
            report.rebuilds_failed += 1
            differing = sorted(name for name in set(after) | set(expected) if after.get(name) != expected.get(name))
            print(f"kill {kill}: rebuild exit {rebuilt.returncode}; graphs differing from a clean build: "
                  f"{differing[:5]}", file=sys.stderr)
        shutil.rmtree(victim, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", type=Path)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rolegraph-crash-") as work:
        report = run(args.specs, args.kills, args.seed, Path(work))
    print(f"kills {report.kills}  graphs checked {report.graphs_checked}  old {report.old}  new {report.new}  "
          f"half-written {len(report.half_written)}  lost {len(report.lost)}  "
          f"store failed to open {report.store_failed_to_open}  rebuilds failed {report.rebuilds_failed}  "
          f"orphans {report.orphans}  locks held {report.locks_held}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
