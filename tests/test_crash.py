"""SIGKILL at random moments during a build: every graph stays old or new, the store opens, a rebuild completes;
and at chosen moments of a build that forks parse workers: none of its processes outlives it, nothing holds the
store's lock.

A small run here (bench/crash.py and bench/reliability.py run the LA corpus with 20 kills).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from rolegraph.pipeline import PARALLEL_MIN_FILES
from rolegraph.store import open_store

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


# -- a killed build leaves no process behind, and nothing holding the store --------------------------------------

FORKING_SPECS = 2 * PARALLEL_MIN_FILES  # enough files for a build to fork parse workers, and parse a while
MOMENT_DEADLINE = 120.0  # seconds a build is given to reach the moment it is killed at (it takes a few)


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (its threads' children, from /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            pass
    return found


def lock_names_it(store: Path, pid: int) -> bool:
    try:
        return f"rolegraph process {pid} " in (store / "rolegraph.lock").read_text()
    except OSError:
        return False


def parse_cache_filling(store: Path, pid: int) -> bool:
    """Some parsed classes kept, by this process or a worker (parse-cache/<code fingerprint>/<digest>.pickle)."""
    return any(store.glob("parse-cache/[!s]*/*.pickle"))


MOMENTS: dict[str, Callable[[Path, int], bool]] = {
    "the lock names the build": lock_names_it,
    "a parse worker runs": lambda store, pid: bool(children(pid)),
    "the parse cache fills": parse_cache_filling,
}


def sorted_nquads(store: Path) -> list[bytes]:
    output = io.BytesIO()
    with open_store(store, read_only=True, lock_timeout=0) as opened:
        opened.export(output, "nq")
    return sorted(output.getvalue().splitlines())


def rolegraph(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rolegraph.cli", *args], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def forking_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes]]:
    """Generated specifications a build forks parse workers for, and the sorted N-Quads of a clean build."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: a build forks no parse worker")
    if not Path("/proc/self/task").is_dir():
        pytest.skip("no /proc: the build's processes cannot be listed")
    work = tmp_path_factory.mktemp("forking")
    generate.write_specs(FORKING_SPECS, work / "specs", seed=11)
    built = rolegraph("build", str(work / "specs"), "--store", str(work / "clean"))
    assert built.returncode in (0, 1), built.stderr
    return work / "specs", sorted_nquads(work / "clean")


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_killed_build_leaves_no_worker_and_no_lock(forking_corpus: tuple[Path, list[bytes]], tmp_path: Path,
                                                     moment: str) -> None:
    """SIGKILL to the building process alone (as the OOM killer or a CI timeout sends it): its parse workers end
    with it, nothing holds the store's lock, the next command takes it over at once, and a rebuild equals a clean
    build."""
    specs, clean = forking_corpus
    store = tmp_path / "store"
    open_store(store).close()  # an empty store (a store's first build killed before Oxigraph made its files
    mark = uuid.uuid4().hex    # leaves none a reader can open: not what this test is about)
    process = crash.rolegraph_build(specs, store, mark)
    try:
        deadline = time.monotonic() + MOMENT_DEADLINE
        while not MOMENTS[moment](store, process.pid):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the build ended (exit {process.returncode}) before {moment}: "
                            f"give it more than {FORKING_SPECS} files")
            time.sleep(0.002)
        started = children(process.pid)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    left = crash.outlived(mark)
    held = not crash.lock_free(store)
    for pid in left:  # the killed build's workers: end them, so that a failure leaves nothing running
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes of the killed build still running: {left} (it had started {started})"
    assert not held, "the store's lock is still held after the build and all its processes ended"
    asked = rolegraph("query", "ASK {}", "--store", str(store))
    assert asked.returncode == 0 and asked.stdout.strip() == "true", asked.stderr
    assert "in use by" not in asked.stderr
    assert (f"taking over the lock of rolegraph process {process.pid}, which is no longer running"
            in asked.stderr), asked.stderr
    rebuilt = rolegraph("build", str(specs), "--store", str(store))
    assert rebuilt.returncode in (0, 1), rebuilt.stderr
    assert "taking over" not in rebuilt.stderr  # the query cleared the dead build's name
    assert sorted_nquads(store) == clean


def worker_start(parent: str) -> subprocess.CompletedProcess[str]:
    """Run a parse worker's first steps in a new process told its parent is ``parent`` (an expression)."""
    return subprocess.run([sys.executable, "-c", (
        "import ctypes, os, sys\n"
        "from rolegraph.pipeline import _worker_started\n"
        f"_worker_started({parent})\n"
        # PR_GET_PDEATHSIG (2): the signal the kernel sends this process when its parent dies
        "found = ctypes.c_int(0)\n"
        "ctypes.CDLL(None).prctl(2, ctypes.byref(found), 0, 0, 0) if sys.platform.startswith('linux') else None\n"
        "print('ran on', found.value)\n")], capture_output=True, text=True, timeout=60)


def test_a_parse_worker_asks_to_end_with_its_parent() -> None:
    started = worker_start("os.getppid()")
    assert started.returncode == 0, started.stderr
    expected = int(signal.SIGKILL) if sys.platform.startswith("linux") else 0
    assert started.stdout.split() == ["ran", "on", str(expected)]


def test_a_parse_worker_whose_parent_already_died_ends() -> None:
    """The parent died between the fork and the worker's request (it has another parent now): the worker ends."""
    started = worker_start("os.getppid() + 1")
    assert started.returncode == 1 and started.stdout == "" and started.stderr == ""
