"""Build benchmark: end-to-end `rolegraph build` next to pyoxigraph bulk-loading the same triples, in one run.

    python bench/build.py [--sizes 1000 10000 100000] [--seed 7] [--keep DIR]

For each size: generate the specs (bench/generate.py), run `rolegraph build` in a child process (wall time and
peak RSS), export the store as N-Quads, bulk-load those quads into a fresh Oxigraph store in another child
process (the baseline), then rebuild with nothing changed, and change one spec and rebuild (incremental: time,
peak RSS; a rebuild by difference, see rolegraph.rebuild). Prints the ratios, of wall and of CPU time; asserts
nothing about time: figures are for people to read.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import write_specs  # noqa: E402  (bench/ is not a package)

LOAD_BASELINE = """
import sys, pyoxigraph as ox
store = ox.Store(sys.argv[2])
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)
store.flush()
print(len(store))
"""


def run_measured(command: list[str]) -> tuple[float, float, str, float]:
    """Run a child process; return (seconds, peak RSS in MB of that child, stdout, CPU seconds of the child and
    the processes it waited for). On a shared machine CPU seconds vary less than wall time."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(command, stdout=output, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own usage (its workers included), not the last's
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        output.seek(0)
        errors.seek(0)
        stdout, stderr = output.read().decode(errors="replace"), errors.read().decode(errors="replace")
    if child.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{stderr[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout, usage.ru_utime + usage.ru_stime


def bench_size(size: int, seed: int, work: Path) -> dict[str, float]:
    specs, store, baseline = work / "specs", work / "store", work / "baseline"
    for folder in (specs, store, baseline):
        shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    write_specs(size, specs, seed)
    generated = time.perf_counter() - started
    rolegraph = [sys.executable, "-m", "rolegraph.cli"]
    build_seconds, build_rss, _, build_cpu = run_measured([*rolegraph, "build", str(specs), "--store", str(store)])
    dump = work / "dump.nq"
    subprocess.run([*rolegraph, "export", "--store", str(store), "--format", "nq", "-o", str(dump)], check=True)
    quads = sum(1 for _ in dump.open("rb"))
    load_seconds, load_rss, _, load_cpu = run_measured([sys.executable, "-c", LOAD_BASELINE, str(dump),
                                                        str(baseline)])
    same_seconds, _, _, same_cpu = run_measured([*rolegraph, "build", str(specs), "--store", str(store)])
    one = next(path for path in sorted(specs.glob("*.txt"))[size // 2:] if "years" in path.read_text("utf-8"))
    one.write_text(one.read_text(encoding="utf-8").replace("years", "years (revised)", 1), encoding="utf-8")
    again_seconds, again_rss, _, again_cpu = run_measured([*rolegraph, "build", str(specs), "--store", str(store)])
    return dict(size=size, generated=generated, quads=quads, build=build_seconds, build_rss=build_rss,
                load=load_seconds, load_rss=load_rss, rebuild_one=again_seconds, build_cpu=build_cpu,
                load_cpu=load_cpu, rebuild_cpu=again_cpu, rebuild_rss=again_rss, rebuild_none=same_seconds,
                rebuild_none_cpu=same_cpu)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="rolegraph-bench-build-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'classes':>8} {'quads':>10} {'build s':>8} {'peak MB':>8} {'load s':>7} {'build/load':>10} "
          f"{'rebuild-1 s':>11} {'rebuild/build':>13} {'peak MB':>8}   {'cpu s: build':>12} {'load':>6} "
          f"{'rebuild-1':>9} {'rebuild/build':>13}   {'rebuild-0 s':>11} {'cpu s':>6}")
    try:
        for size in args.sizes:
            row = bench_size(size, args.seed, work)
            print(f"{row['size']:>8} {row['quads']:>10} {row['build']:>8.1f} {row['build_rss']:>8.0f} "
                  f"{row['load']:>7.1f} {row['build'] / row['load']:>10.2f} {row['rebuild_one']:>11.1f} "
                  f"{row['rebuild_one'] / row['build']:>13.1%} {row['rebuild_rss']:>8.0f}   "
                  f"{row['build_cpu']:>12.1f} {row['load_cpu']:>6.1f} {row['rebuild_cpu']:>9.1f} "
                  f"{row['rebuild_cpu'] / row['build_cpu']:>13.1%}   {row['rebuild_none']:>11.1f} "
                  f"{row['rebuild_none_cpu']:>6.1f}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
