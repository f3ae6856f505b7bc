"""Ladder benchmark: derive every promotion step among generated classes with known ladders, then time
"all paths up to 4 steps from one class" next to networkx ``all_simple_paths`` on the same graph.

The class facts are generated in-process (the data structures derivation consumes), not written as
spec files: this measures derivation and path queries, not parsing. Each jurisdiction has a few series of
five grades; a series' classes share core skills (more at higher grades) and an experience field; every
class also holds two skills of its jurisdiction's pool and one of a common pool that grows with the corpus
(so candidates per class stay roughly constant, as a vocabulary does). The known ladder is series level k -> k+1.

Printed per size: derivation time, steps/s, time per class relative to the smallest size (1.00 =
linear), peak RSS growth, recall of the known ladder (and that no step crosses employers or goes down),
and path-query p50/p99 for rolegraph's ``PathIndex`` (every path up to 4 steps precomputed once; its build
time is printed), for its depth-first ``iter_paths`` and for networkx, with the ratios.

    python bench/ladders.py                 # 1k, 10k, 100k
    python bench/ladders.py --sizes 1000,5000 --queries 200
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from decimal import Decimal

import networkx as nx

from rolegraph.ladders import ClassFacts, Experience, derive_ladder, iter_paths
from rolegraph.ladders.query import PathIndex

PER_SERIES = 5
SERIES_PER_PLACE = 4
PLACE_SKILLS = 12  # skills shared within one jurisdiction; each class holds two
COMMON_SHARE = 10  # a common pool of count / COMMON_SHARE skills across jurisdictions; each class holds one
FIELD_SHARE = 20  # count / FIELD_SHARE experience fields, each shared by a few series


def generate_classes(count: int, seed: int = 0) -> tuple[list[ClassFacts], set[tuple[str, str]]]:
    """``count`` classes and the set of known promotion steps (series level k -> k+1)."""
    rng = random.Random(seed)
    classes: list[ClassFacts] = []
    known: set[tuple[str, str]] = set()
    series = 0
    while len(classes) < count:
        place = f"urn:bench:place/{series // SERIES_PER_PLACE}"
        core = [f"urn:bench:skill/s{series}-{k}" for k in range(PER_SERIES + 4)]
        field = f"f{series % max(50, count // FIELD_SHARE)}x operations"
        previous = None
        for level in range(1, PER_SERIES + 1):
            if len(classes) >= count:
                break
            iri = f"urn:bench:class/{series}/{level}"
            skills = {concept: min(level, 5) for concept in core[: 3 + level]}
            for pick in rng.sample(range(PLACE_SKILLS), 2):
                skills[f"{place}/skill/{pick}"] = 2
            skills[f"urn:bench:skill/common-{rng.randrange(max(100, count // COMMON_SHARE))}"] = 2
            experience = (Experience(f"{iri}/experience/1", Decimal(12 * (level - 1)), field),) if level > 1 else ()
            classes.append(ClassFacts(
                iri, f"W{series} Specialist {level}", code=f"{series}.{level}", location=place,
                location_name=place, employer_known=True, pay_plan="GS", grade=str(2 * level),
                grade_number=2 * level, series=f"series {series}", skills=skills, experience=experience,
                profile=f"W{series} specialist: {field} work, level {level}"))
            if previous is not None:
                known.add((previous, iri))
            previous = iri
        series += 1
    return classes, known


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(size: int, queries: int, baseline: dict[str, float]) -> None:
    classes, known = generate_classes(size)
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    ladder = derive_ladder(classes)
    seconds = time.perf_counter() - started
    rss_growth = _peak_rss_mb() - rss_before
    promotions = {(step.source, step.target) for step in ladder.steps if step.promotion}
    place = {fact.iri: fact.location for fact in classes}
    grade = {fact.iri: fact.grade_number for fact in classes}
    crossing = sum(place[a] != place[b] for a, b in promotions)
    downward = sum(grade[a] >= grade[b] for a, b in promotions)
    recall = len(known & promotions) / len(known) if known else 1.0
    per_class = seconds / size
    baseline.setdefault("per_class", per_class)

    graph = nx.DiGraph()
    graph.add_nodes_from(fact.iri for fact in classes)
    graph.add_edges_from(promotions)
    adjacency = {node: sorted(graph.successors(node)) for node in graph}
    begin = time.perf_counter()
    index = PathIndex(adjacency, max_steps=4)
    index_seconds = time.perf_counter() - begin
    rng = random.Random(size)
    origins = [classes[rng.randrange(size)].iri for _ in range(queries)]
    ours, searched, theirs, counts = [], [], [], []
    for origin in origins:
        begin = time.perf_counter()
        found = index.paths(origin)
        ours.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        assert list(iter_paths(adjacency, origin, max_steps=4)) == found
        searched.append(time.perf_counter() - begin)
        targets = set(nx.single_source_shortest_path_length(graph, origin, cutoff=4)) - {origin}
        begin = time.perf_counter()
        expected = list(nx.all_simple_paths(graph, origin, targets, cutoff=4)) if targets else []
        theirs.append(time.perf_counter() - begin)
        assert len(found) == len(expected), (origin, len(found), len(expected))
        counts.append(len(found))
    ours_p50, theirs_p50 = _percentile(ours, 0.5) * 1e3, _percentile(theirs, 0.5) * 1e3
    ours_p99, theirs_p99 = _percentile(ours, 0.99) * 1e3, _percentile(theirs, 0.99) * 1e3
    print(f"{size:>7} classes  derive {seconds:7.2f} s  {len(ladder.steps) / seconds:9.0f} steps/s  "
          f"{ladder.candidates / size:5.1f} candidates/class  per-class x{per_class / baseline['per_class']:4.2f}  "
          f"RSS +{rss_growth:6.1f} MB  steps {len(ladder.steps)} (lateral "
          f"{sum(s.kind == 'lateral' for s in ladder.steps)}), comparisons {len(ladder.comparisons)}")
    print(f"{'':>7}          known ladder recall {recall:.3f}, crossing employers {crossing}, "
          f"not upward {downward}; paths/query mean {statistics.mean(counts):.1f}")
    search_p50, search_p99 = _percentile(searched, 0.5) * 1e3, _percentile(searched, 0.99) * 1e3
    print(f"{'':>7}          paths<=4 from the path index (built once in {index_seconds:.2f} s): "
          f"p50 {ours_p50:6.4f} ms  "
          f"p99 {ours_p99:6.4f} ms; networkx all_simple_paths p50 {theirs_p50:6.3f} ms  p99 {theirs_p99:6.3f} ms; "
          f"ratio p50 x{theirs_p50 / max(ours_p50, 1e-9):.0f}, p99 x{theirs_p99 / max(ours_p99, 1e-9):.0f}")
    print(f"{'':>7}          (depth-first search without the index: p50 {search_p50:6.3f} ms  "
          f"p99 {search_p99:6.3f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated class counts")
    parser.add_argument("--queries", type=int, default=500, help="path queries per size")
    options = parser.parse_args()
    sizes = sorted(int(size) for size in options.sizes.split(","))
    print("ladder benchmark: per-class x = time per class relative to the smallest size (1.00 = linear); "
          "networkx targets precomputed outside its timing")
    baseline: dict[str, float] = {}
    for size in sizes:
        run(size, options.queries, baseline)


if __name__ == "__main__":
    main()
