"""Validation overhead: `rolegraph validate` against plain pySHACL on the same data, in one run.

    python bench/validate.py [--sizes 1000,10000] [--seed 0] [--repeat 1]

For each size: generate that many specifications (bench/generate.py), build them into an in-memory store
(not timed), then time on the same store and shapes
  pyshacl    what a pySHACL user does: the store's union graph as N-Triples -> rdflib Graph -> pyshacl.validate
             (same options as rolegraph: no inference, advanced mode, in place)
  validate   pyshacl.validate alone on an already parsed rdflib Graph (the floor: no loading at all)
  rolegraph  validate_store (export, convert, pySHACL, findings with class/file/line) + the text report
and print the times and ratios; overhead = rolegraph / pyshacl - 1 (the target is under 10 %); the ratio
to "validate" shows what rolegraph adds to pySHACL's own checking (loading the data and the report).
With --repeat R each is run R times, alternating, and the fastest run counts. --no-ladders builds without
deriving promotion steps (at 10,000 specs the ladder stage of the build needs more memory than the machine).
"""

from __future__ import annotations

import argparse
import gc
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import Graph
from rdflib.namespace import RDF, SH

from rolegraph import pipeline
from rolegraph.store import Store, open_store
from rolegraph.validate import PYSHACL_OPTIONS, load_shapes, validate_store, write_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_specs  # noqa: E402  (bench/ is not a package)


def parse_ntriples(ntriples: bytes) -> Graph:
    return Graph().parse(data=ntriples, format="nt")


def pyshacl_only(data: Graph, shapes: Graph) -> int:
    """pyshacl.validate with rolegraph's options; return the number of validation results."""
    _conforms, results, _text = pyshacl.validate(data, shacl_graph=shapes, inplace=True, **PYSHACL_OPTIONS)
    return len(set(results.subjects(RDF.type, SH.ValidationResult)))


def plain_pyshacl(ntriples: bytes, shapes: Graph) -> int:
    """Parse the data as a pySHACL user would and validate it; return the number of results."""
    return pyshacl_only(parse_ntriples(ntriples), shapes)


def rolegraph_validate(store: Store, shapes: Graph) -> int:
    """What `rolegraph validate --store` does after opening the store; return the number of findings."""
    report = validate_store(store, shapes)
    write_report(report, "text")
    return len(report.findings)


def _time(function: Callable[[], int]) -> tuple[float, int]:
    gc.collect()
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def run_size(size: int, seed: int, repeat: int, ladders: bool = True) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory(prefix="rolegraph-bench-") as folder:
        out = Path(folder)
        manifest = write_specs(size, out, seed)
        store = open_store(None)
        if not ladders:
            pipeline.write_ladder = lambda store, iris: None  # the build's last stage, skipped
        start = time.perf_counter()
        summary = pipeline.build([out / spec["file"] for spec in manifest["files"]], store)
        built = time.perf_counter() - start
    buffer = io.BytesIO()
    store.export(buffer, "nt")
    ntriples = buffer.getvalue()
    shapes = load_shapes()
    print(f"{size} specs: {summary.classes} classes, {len(store)} quads, built in {built:.1f} s "
          f"({'with' if ladders else 'without'} ladders; not timed below)")
    best_plain = best_only = best_ours = float("inf")
    for round_ in range(repeat):
        plain, results = _time(lambda: plain_pyshacl(ntriples, shapes))
        parsed = parse_ntriples(ntriples)
        only, _results = _time(lambda: pyshacl_only(parsed, shapes))  # noqa: B023, F821 - called at once
        del parsed
        ours, findings = _time(lambda: rolegraph_validate(store, shapes))
        best_plain, best_only, best_ours = min(best_plain, plain), min(best_only, only), min(best_ours, ours)
        print(f"  run {round_ + 1}: pyshacl {plain:.2f} s ({results} results), validate only {only:.2f} s, "
              f"rolegraph validate {ours:.2f} s ({findings} findings)")
    _print_breakdown(store, shapes)
    store.close()
    return best_plain, best_only, best_ours


def _print_breakdown(store: Store, shapes: Graph) -> None:
    """Where rolegraph's time goes, stage by stage (one more run, not counted above)."""
    from rolegraph import validate as stages

    start = time.perf_counter()
    buffer = io.BytesIO()
    store.export(buffer, "nq")
    data = stages._read_data(ox.parse(buffer.getvalue(), format=ox.RdfFormat.N_QUADS))
    loaded = time.perf_counter()
    _conforms, results = stages.run_pyshacl(data.graph, shapes)
    checked = time.perf_counter()
    write_report(stages._report(data, shapes, results, {}), "text")
    reported = time.perf_counter()
    print(f"  rolegraph stages: load into rdflib {loaded - start:.2f} s, pySHACL {checked - loaded:.2f} s, "
          f"findings + text {reported - checked:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated numbers of specifications")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest counts")
    parser.add_argument("--no-ladders", action="store_true", help="build without the ladder stage")
    args = parser.parse_args(argv)
    rows = []
    for size in (int(part) for part in args.sizes.split(",") if part.strip()):
        rows.append((size, *run_size(size, args.seed, max(1, args.repeat), ladders=not args.no_ladders)))
    print(f"\n{'specs':>8} {'pyshacl s':>10} {'validate s':>11} {'rolegraph s':>12} {'ratio':>7} {'overhead':>9}"
          f" {'vs validate':>12}")
    for size, plain, only, ours in rows:
        print(f"{size:>8} {plain:>10.2f} {only:>11.2f} {ours:>12.2f} {ours / plain:>7.3f} {ours / plain - 1:>+9.1%}"
              f" {ours / only - 1:>+12.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
