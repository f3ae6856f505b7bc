"""Validation speed: `rolegraph validate` with the SPARQL engine against pySHACL on the same data, in one run.

    python bench/validate.py [--sizes 1000,10000] [--seed 0] [--repeat 1] [--no-pyshacl-above N] [--store DIR]

For each size: generate that many specifications (bench/generate.py), build them into an in-memory store
(not timed), then time on the same store and shapes, each followed by the text report:
  sparql   validate_store(engine="sparql"): the shapes as set-oriented SPARQL queries on the Oxigraph store,
           findings located from the store
  pyshacl  validate_store(engine="pyshacl"): the reference (the store as N-Quads -> rdflib Graph ->
           pySHACL, advanced mode, no inference; findings located from the rdflib graph)
and print the times (wall and CPU: the CPU time of the whole process, every thread, so a loaded machine shows
as wall above CPU), the ratio pyshacl / sparql (of wall times, measured in the same run), the peak resident
memory of the process so far, and whether both found the same: the findings (severity,
shape, message, class, file, line, focus node, path, value), the checked classes, the text/json/junit/
sarif/github reports, and the sh:ValidationReport graphs (isomorphic). The reference for 100,000 classes
(3.4M triples) is Apache Jena SHACL: 32 s on this data (issue "Scale"); pySHACL took ~200 s and 4 GB.
Above --no-pyshacl-above specifications pySHACL is not run (its time is then extrapolated from the
largest size it ran, linearly, and marked so). With --repeat R each is run R times, the fastest counts.
--store DIR validates a store built before (`rolegraph build SPECS --store DIR`, opened read-only) instead of
generating one; pySHACL runs on it only if it has at most --no-pyshacl-above classes.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib.compare import isomorphic

from rolegraph import pipeline
from rolegraph.rdf.namespaces import RG
from rolegraph.store import Store, open_store
from rolegraph.validate import Report, load_shapes, validate_store, write_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_specs  # noqa: E402  (bench/ is not a package)

JENA_100K_SECONDS = 32.0
COMPARED_FORMATS = ("text", "json", "junit", "sarif", "github")


def validate(store: Store, shapes: object, engine: str) -> Report:
    """What `rolegraph validate --store` does after opening the store (report and its text)."""
    report = validate_store(store, shapes, engine=engine)  # type: ignore[arg-type]
    write_report(report, "text")
    return report


def same(ours: Report, reference: Report) -> str:
    """'yes', or what differs between two reports."""
    if set(ours.findings) != set(reference.findings):
        return f"NO: {len(set(ours.findings) ^ set(reference.findings))} findings differ"
    if ours.classes != reference.classes:
        return "NO: checked classes differ"
    for format_name in COMPARED_FORMATS:
        if write_report(ours, format_name) != write_report(reference, format_name):
            return f"NO: {format_name} reports differ"
    if not isomorphic(ours.graph, reference.graph):
        return "NO: report graphs differ"
    return "yes"


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # the process's CPU time, every thread


def _time(function: Callable[[], Report]) -> tuple[Timing, Report]:
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    return Timing(time.perf_counter() - start, time.process_time() - cpu), result


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_store(size: int, seed: int) -> tuple[Store, int, float]:
    with tempfile.TemporaryDirectory(prefix="rolegraph-bench-") as folder:
        out = Path(folder)
        manifest = write_specs(size, out, seed)
        store = open_store(None)
        start = time.perf_counter()
        summary = pipeline.build([out / spec["file"] for spec in manifest["files"]], store)
        return store, summary.classes, time.perf_counter() - start


def run_store(store: Store, label: str, repeat: int, with_pyshacl: bool
              ) -> tuple[Timing, Timing | None, str, int]:
    """Validate ``store`` with both engines (pySHACL if ``with_pyshacl``); the fastest run of each counts."""
    shapes = load_shapes()
    best_sparql: Timing | None = None
    best_pyshacl: Timing | None = None
    verdict, findings = "not compared", 0
    for round_ in range(repeat):
        fast, ours = _time(lambda: validate(store, shapes, "sparql"))  # noqa: B023 - called at once
        best_sparql = fast if best_sparql is None or fast.wall < best_sparql.wall else best_sparql
        findings = len(ours.findings)
        line = (f"  {label} run {round_ + 1}: sparql {fast.wall:.2f} s wall, {fast.cpu:.2f} s CPU "
                f"({findings} findings, engine {ours.engine}; peak {_peak_mb():.0f} MB)")
        if with_pyshacl:
            slow, reference = _time(lambda: validate(store, shapes, "pyshacl"))  # noqa: B023
            best_pyshacl = slow if best_pyshacl is None or slow.wall < best_pyshacl.wall else best_pyshacl
            verdict = same(ours, reference)
            line += (f", pyshacl {slow.wall:.2f} s wall, {slow.cpu:.2f} s CPU ({len(reference.findings)} findings; "
                     f"peak {_peak_mb():.0f} MB); identical: {verdict}")
            del reference
        print(line, flush=True)
        del ours
    assert best_sparql is not None
    return best_sparql, best_pyshacl, verdict, findings


def run_size(size: int, seed: int, repeat: int, with_pyshacl: bool) -> tuple[Timing, Timing | None, str, int]:
    store, classes, built = build_store(size, seed)
    print(f"{size} specs: {classes} classes, {len(store)} quads, built in {built:.1f} s (not timed below)",
          flush=True)
    try:
        return run_store(store, f"{size}", repeat, with_pyshacl)
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated numbers of specifications")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest counts")
    parser.add_argument("--no-pyshacl-above", type=int, default=10_000,
                        help="do not run pySHACL above this many specifications (extrapolate its time)")
    parser.add_argument("--store", type=Path, help="validate this built store instead of generated ones")
    args = parser.parse_args(argv)
    rows = []
    if args.store is not None:
        store = open_store(args.store, read_only=True)
        try:
            classes = len(list(store.query(f"SELECT ?c WHERE {{ ?c a <{RG.JobClass.value}> }}")))  # type: ignore[arg-type]
            print(f"{args.store}: {classes} classes, {len(store)} quads", flush=True)
            rows.append((classes, *run_store(store, str(args.store), max(1, args.repeat),
                                             classes <= args.no_pyshacl_above)))
        finally:
            store.close()
    else:
        for size in (int(part) for part in args.sizes.split(",") if part.strip()):
            rows.append((size, *run_size(size, args.seed, max(1, args.repeat), size <= args.no_pyshacl_above)))
    print(f"\n{'specs':>8} {'sparql s':>9} {'(CPU s)':>8} {'pyshacl s':>11} {'(CPU s)':>8} {'pyshacl/sparql':>15} "
          f"{'findings':>9} identical")
    per_spec = None
    for size, fast, slow_timing, verdict, findings in rows:
        slow = slow_timing.wall if slow_timing is not None else None
        slow_cpu = f"{slow_timing.cpu:>8.2f}" if slow_timing is not None else f"{'-':>8}"
        if slow is not None:
            per_spec = slow / size
            shown = f"{slow:>11.2f}"
        elif per_spec is not None:
            slow = per_spec * size
            shown = f"{'~' + format(slow, '.0f'):>11}"
        else:
            shown = f"{'-':>11}"
        ratio = f"{slow / fast.wall:>15.1f}" if slow is not None else f"{'-':>15}"
        print(f"{size:>8} {fast.wall:>9.2f} {fast.cpu:>8.2f} {shown} {slow_cpu} {ratio} {findings:>9} {verdict}")
    print(f"(~: extrapolated linearly from the largest size pySHACL ran; Apache Jena SHACL at 100,000 classes: "
          f"{JENA_100K_SECONDS:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
