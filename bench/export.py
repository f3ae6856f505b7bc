"""Export speed: `rolegraph export` in every format against pyoxigraph's own `Store.dump` of the same store, in one run.

    python bench/export.py [--sizes 2000] [--seed 0] [--repeat 1] [--formats nq,trig,nt,...] [--store DIR] [--keep DIR]

For each size: generate that many specifications (bench/generate.py) and build them into a store on disk (not
timed), or take the store built before at --store DIR. Then, each in a fresh process, on that store opened
read-only:
  dump         the baseline: `Store.read_only(DIR).dump(FILE, RdfFormat.N_QUADS)` (Python start and
               import of pyoxigraph included, as they are in the CLI's figure)
  export F     `rolegraph export --format F --store DIR -o FILE` for each format F
and print for each the wall and CPU time (user + system of the process: a loaded machine shows as wall above
CPU), its peak resident memory, the output's size, and its ratio over the dump (wall and CPU, measured in the same
run). The N-Quads export must be the dump byte for byte (checked); the others hold the dataset (trig, jsonld) or
the union of its graphs (nt, turtle, xml). With --repeat R each is run R times, interleaved, and the fastest counts.

The store is read as the build left it: a build of fewer than 20,000 class graphs does not compact it, and Oxigraph
reads an uncompacted store slower (the dump as well as the export).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_specs  # noqa: E402  (bench/ is not a package)

FORMATS = ("nq", "trig", "nt", "turtle", "xml", "jsonld")
TARGET_RATIO = 1.5  # nq, trig and nt: at most this times the dump's wall time
# Runs a module or code in this process and prints its peak memory and CPU on stderr's last line, however it exits.
MEASURED = """
import json, os, resource, runpy, sys
kind, what, *sys.argv[1:] = sys.argv[1:]
try:
    if kind == "module":
        sys.argv[0] = what
        runpy.run_module(what, run_name="__main__")
    else:
        exec(what)
finally:
    times = os.times()
    print("\\n" + json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                             "cpu": times.user + times.system}), file=sys.stderr)
"""
DUMP = ("import pyoxigraph as ox; ox.Store.read_only(sys.argv[1]).dump(sys.argv[2], format=ox.RdfFormat.N_QUADS)")


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    size: int


def run(kind: str, what: str, args: list[str], output: Path) -> Run:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, kind, what, *args], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench/export.py: {what} {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    measured = json.loads(done.stderr.strip().splitlines()[-1])
    return Run(wall, measured["cpu"], measured["rss_mb"], output.stat().st_size)


def measure(store: Path, formats: list[str], repeat: int, scratch: Path) -> dict[str, Run]:
    """Label -> fastest of ``repeat`` runs (by wall time), the dump and the exports interleaved."""
    jobs = {"dump": ("code", DUMP, [str(store), str(scratch / "dump.nq")], scratch / "dump.nq")}
    for name in formats:
        output = scratch / f"export.{name}"
        jobs[f"export {name}"] = ("module", "rolegraph.cli",
                                  ["export", "--format", name, "--store", str(store), "-o", str(output)], output)
    best: dict[str, Run] = {}
    for _ in range(repeat):
        for label, (kind, what, args, output) in jobs.items():
            got = run(kind, what, args, output)
            if label not in best or got.wall < best[label].wall:
                best[label] = got
    if "nq" in formats:
        same = (scratch / "dump.nq").read_bytes() == (scratch / "export.nq").read_bytes()
        print(f"export nq is the dump byte for byte: {'yes' if same else 'NO'}")
    return best


def report(results: dict[str, Run]) -> None:
    base = results["dump"]
    print(f"{'':<14}{'wall':>9}{'CPU':>9}{'peak':>10}{'output':>11}{'x dump':>8}{'x CPU':>7}")
    for label, got in results.items():
        name = label.split()[-1]
        mark = "  over target" if name in ("nq", "trig", "nt") and got.wall / base.wall > TARGET_RATIO else ""
        print(f"{label:<14}{got.wall:>7.2f} s{got.cpu:>7.2f} s{got.rss_mb:>7.0f} MB{got.size / 2**20:>8.0f} MB"
              f"{got.wall / base.wall:>7.2f}x{got.cpu / base.cpu:>6.2f}x{mark}")


def build_store(size: int, seed: int, directory: Path) -> Path:
    specs, store = directory / f"specs-{size}", directory / f"store-{size}"
    write_specs(size, specs, seed=seed)
    subprocess.run([sys.executable, "-m", "rolegraph.cli", "build", str(specs), "--store", str(store)],
                   check=True, capture_output=True)
    return store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda text: [int(n) for n in text.split(",")], default=[2000],
                        help="numbers of specifications, comma-separated (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (the fastest counts)")
    parser.add_argument("--formats", type=lambda text: text.split(","), default=list(FORMATS))
    parser.add_argument("--store", type=Path, help="export this store (built before) instead of generating")
    parser.add_argument("--keep", type=Path, help="generate and build in DIR and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rolegraph-export-") as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        stores = [args.store] if args.store else [build_store(size, args.seed, work) for size in args.sizes]
        for store in stores:
            scratch = Path(tempfile.mkdtemp(prefix="out-", dir=temporary))
            print(f"\n{store}  (load average {os.getloadavg()[0]:.2f})")
            report(measure(store, args.formats, args.repeat, scratch))
            for output in scratch.iterdir():
                output.unlink()


if __name__ == "__main__":
    main()
