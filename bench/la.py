"""LA corpus benchmark: build (and validate) the City of Los Angeles bulletins, timed stage by stage, next to
pyoxigraph loading the same triples from N-Triples in the same run.

    python bench/la.py                      # all 683 bulletins (../shared/corpus/la-bulletins)
    python bench/la.py --limit 100          # the first 100 files, for a quick look
    python bench/la.py --pdfs               # the 40 published PDFs too
    python bench/la.py --no-validate        # skip SHACL validation

Stages, as rolegraph.pipeline.build runs them: read (readers), parse (parser), merge (merge, named classes),
RDF (skills vocabulary + rdf.emit), store (class graphs + skills graph into an in-memory Oxigraph store),
ladders (promotion steps derived from the store), validate (rolegraph.validate, when present). The baseline is
``pyoxigraph.Store().bulk_load`` of the union of the built quads serialized as N-Triples. Prints seconds and
share per stage and the ratio to the baseline, then the real pipeline (``pipeline.build``, which streams the
stages and parses in worker processes when that pays, then ``validate_store``) timed whole, and its ratio to
the baseline: the figure the target is about. Both the baseline and the real pipeline are the best of
``--repeat`` runs (each run is listed). Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from rolegraph.errors import SourceError
from rolegraph.merge import add_named_classes, merge_classes
from rolegraph.parser import parse_document
from rolegraph.rdf import Iris, emit_class_graphs
from rolegraph.readers import iter_source_paths, read_source
from rolegraph.store import open_store

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
BULLETINS = SHARED / "la-bulletins" / "Job Bulletins"
PDFS = SHARED / "la-bulletin-pdfs"
TARGET_RATIO = 3.0


class Stopwatch:
    """Seconds per named stage, in the order they ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def run(self, stage: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started
        return result


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def build_and_validate(paths: list[Path], validate: bool, watch: Stopwatch) -> tuple[Any, int, int, str]:
    """Run the pipeline's stages one by one; returns (store, classes, failures, validation summary)."""
    documents, failures = [], 0
    for path in paths:
        try:
            documents.append(watch.run("read", lambda path=path: read_source(path)))
        except SourceError:
            failures += 1
    parsed = []
    for document in documents:
        try:
            parsed.extend(watch.run("parse", lambda document=document: parse_document(document)))
        except SourceError:
            failures += 1
    classes = watch.run("merge", lambda: add_named_classes(merge_classes(parsed)))
    iris = Iris()
    vocabulary_of = _optional("rolegraph.skills", "vocabulary_of_classes")
    vocabulary = watch.run("RDF", lambda: vocabulary_of(classes)) if vocabulary_of else None
    graphs = watch.run("RDF", lambda: emit_class_graphs(
        classes, iris, concept_label=vocabulary.label_of if vocabulary else None))
    store = open_store(None)
    watch.run("store", lambda: store.replace_class_graphs(graphs))
    skills_graph = _optional("rolegraph.skills", "skills_graph")
    vocabulary_quads = _optional("rolegraph.skills", "vocabulary_quads")
    if vocabulary and skills_graph and vocabulary_quads:
        watch.run("store", lambda: store.replace_graph(skills_graph(iris).value, vocabulary_quads(vocabulary, iris)))
    write_ladder = _optional("rolegraph.ladders", "write_ladder")
    if write_ladder:
        watch.run("ladders", lambda: write_ladder(store, iris))
    summary = "not run"
    validate_store = _optional("rolegraph.validate", "validate_store")
    if validate and validate_store:
        report = watch.run("validate", lambda: validate_store(store))
        counts = report.counts() if hasattr(report, "counts") else {}
        summary = ", ".join(f"{count} {severity}" for severity, count in counts.items()) or "done"
        shapes = report.shape_counts() if hasattr(report, "shape_counts") else {}
        if shapes:
            summary += "; most frequent: " + ", ".join(f"{name} {count}" for name, count in list(shapes.items())[:3])
    elif validate:
        summary = "rolegraph.validate not present"
    return store, sum(1 for job_class in classes if not job_class.stub), failures, summary


def real_build(paths: list[Path], validate: bool) -> tuple[float, float, float, float]:
    """Seconds of ``rolegraph.pipeline.build`` into an in-memory store (what `rolegraph build` runs, with its
    worker processes when the files are many enough) and of validating that store; then the CPU seconds of
    this process (all its threads) and of the worker processes over both."""
    from rolegraph.pipeline import build
    from rolegraph.validate import validate_store

    store = open_store(None)
    own, workers = time.process_time(), _children_cpu()
    started = time.perf_counter()
    build(paths, store)
    built = time.perf_counter() - started
    started = time.perf_counter()
    if validate:
        validate_store(store)
    validated = time.perf_counter() - started if validate else 0.0
    return built, validated, time.process_time() - own, _children_cpu() - workers


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def baseline_load(store: Any, repeat: int) -> tuple[float, int]:
    """Best of ``repeat`` seconds for pyoxigraph to bulk-load the store's triples from N-Triples, and the triples.

    The best, not the mean: on a shared machine the slowest runs measure the neighbours.
    """
    triples = io.BytesIO()
    store.export(triples, "nt")  # the union of all graphs, as N-Triples
    data = triples.getvalue()
    best, loaded = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        target = ox.Store()
        target.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
        best, loaded = min(best, time.perf_counter() - started), len(target)
    return best, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N bulletins (sorted)")
    parser.add_argument("--pdfs", action="store_true", help="add the 40 published PDFs")
    parser.add_argument("--no-validate", action="store_true", help="skip SHACL validation")
    parser.add_argument("--repeat", type=int, default=3,
                        help="baseline loads and real pipeline runs; the best of each is kept (default 3)")
    options = parser.parse_args()
    if not BULLETINS.is_dir():
        raise SystemExit(f"LA corpus not found at {BULLETINS}")
    paths = list(iter_source_paths([BULLETINS]))[: options.limit]
    if options.pdfs:
        paths += list(iter_source_paths([PDFS]))
    watch = Stopwatch()
    store, classes, failures, validation = build_and_validate(paths, not options.no_validate, watch)
    quads = len(store)
    load_seconds, triples = baseline_load(store, max(1, options.repeat))
    total = sum(watch.seconds.values())
    print(f"LA bulletins: {len(paths)} files -> {classes} classes, {failures} not built, {quads} quads "
          f"({triples} distinct triples)")
    print(f"validation: {validation}")
    print(f"{'stage':<10} {'seconds':>8} {'share':>6}")
    for stage, seconds in watch.seconds.items():
        print(f"{stage:<10} {seconds:8.2f} {100 * seconds / total:5.1f}%")
    print(f"{'total':<10} {total:8.2f}")
    print(f"baseline: pyoxigraph bulk_load of the same triples from N-Triples: {load_seconds:.2f} s "
          f"(best of {max(1, options.repeat)})")
    ratio = total / load_seconds if load_seconds else float("inf")
    print(f"ratio of the stages run one after the other / load: {ratio:.1f}x")
    without = total - watch.seconds.get("ladders", 0.0) - watch.seconds.get("validate", 0.0)
    print(f"  without ladders and validation: {without / load_seconds:.1f}x")
    # the best of as many runs as the baseline's loads: the same statistic on both sides of the ratio
    runs = [real_build(paths, not options.no_validate) for _ in range(max(1, options.repeat))]
    built, validated, own_cpu, workers_cpu = min(runs, key=lambda run: run[0] + run[1])
    whole = built + validated
    verdict = "within" if whole / load_seconds <= TARGET_RATIO else "over"
    print(f"the real pipeline (pipeline.build {built:.2f} s + validate {validated:.2f} s = {whole:.2f} s, best of "
          f"{len(runs)}: {', '.join(f'{run[0] + run[1]:.2f}' for run in runs)}) / load: "
          f"{whole / load_seconds:.1f}x ({verdict} the {TARGET_RATIO:.0f}x target)")
    print(f"  CPU: {own_cpu:.2f} s in this process (its threads too), {workers_cpu:.2f} s in worker processes; "
          f"load average {os.getloadavg()[0]:.1f} (above the number of cores, the wall times above are inflated)")


if __name__ == "__main__":
    main()
