"""Ladder accuracy: the promotion steps rolegraph derives, scored against the hand-made development gold in
tests/data/gold/ladders/ (one JSON file per career family; README.md there describes the format).

Builds a store of the corpora the gold files name (their folders under ``--shared``), or reads ``--store``,
loads the ladder with ``rolegraph.ladders.load_ladder_graph`` and prints, for the gold's explicit and derived
edges separately and together, precision and recall:

- direct: a gold edge is found when rolegraph has that step; a step is correct when it is a gold edge;
- within two: a gold edge is found when rolegraph has a path of at most two promotion steps from its source
  to its target; a step is correct when the gold has such a path.

Recall of explicit (derived) edges is over the gold's explicit (derived) edges, found by a step of any kind;
precision of explicit (derived) steps is over rolegraph's explicit (derived) steps, correct against every gold
edge. Precision counts only the steps whose two ends are classes of one gold family (lateral moves are no
promotion and are not counted). A gold class is every class of the store with the family's employer as its
jurisdiction and the class's code. Per-family recall, and with ``--verbose`` the missed and extra edges, follow.

There is no baseline to print a ratio against: the figures are shares of a fixed gold, comparable run to run.

    python bench/ladder_accuracy.py --store /tmp/gold-store
    python bench/ladder_accuracy.py --store /tmp/gold-store --families 'la-*' --verbose
    python bench/ladder_accuracy.py --json > accuracy.json     # builds a store in a temporary directory
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT / "tests" / "data" / "gold" / "ladders"
SHARED = ROOT.parent / "shared"
BASES = ("explicit", "derived")

Key = tuple[str, str]  # (employer, class code)
Edge = tuple[Key, Key]


@dataclass(frozen=True)
class GoldEdge:
    family: str
    source: Key
    target: Key
    basis: str
    why: str


@dataclass(frozen=True)
class Family:
    name: str  # the gold file's stem
    family: str
    employer: str
    files: tuple[str, ...]
    titles: Mapping[Key, str]
    edges: tuple[GoldEdge, ...]


class GoldError(ValueError):
    """A gold file that cannot be read; the message names the file and the reason."""


def load_family(path: Path) -> Family:
    """One gold file. Raises GoldError naming the file when it is not valid JSON or misses a field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        employer = data["employer"]
        titles = {(employer, c["code"]): c["title"] for c in data["classes"]}
        edges = tuple(GoldEdge(data["family"], (employer, e["from"]), (employer, e["to"]), e["basis"], e["why"])
                      for e in data["edges"])
        return Family(path.stem, data["family"], employer, tuple(data["files"]), titles, edges)
    except (OSError, ValueError, KeyError, TypeError) as error:
        reason = f"missing field {error}" if isinstance(error, KeyError) else str(error)
        raise GoldError(f"{path}: {reason}") from error


def load_gold(directory: Path = GOLD_DIR, pattern: str = "*") -> list[Family]:
    """The gold files of ``directory`` whose stem matches ``pattern`` (a glob), sorted by name."""
    return [load_family(path) for path in sorted(directory.glob("*.json"))
            if fnmatch.fnmatch(path.stem, pattern) or fnmatch.fnmatch(path.name, pattern)]


def _within(edges: Iterable[Edge], steps: int = 2) -> set[Edge]:
    """Every (a, b) with a path of 1..``steps`` edges from a to b (a != b)."""
    following: dict[Key, set[Key]] = defaultdict(set)
    for source, target in edges:
        following[source].add(target)
    reach: set[Edge] = set()
    for source in list(following):
        frontier = {source}
        for _ in range(steps):
            frontier = {after for node in frontier for after in following.get(node, ())}
            reach |= {(source, target) for target in frontier if target != source}
    return reach


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def score(gold_edges: Iterable[Edge], found_edges: Iterable[Edge], *, gold_paths: Iterable[Edge] | None = None,
          found_paths: Iterable[Edge] | None = None) -> dict:
    """Precision and recall of ``found_edges`` against ``gold_edges``, direct and within two steps. Pure.

    A gold edge is recalled directly when it is a found edge, within two when ``found_paths`` (default: the
    found edges) have a path of at most two edges from its source to its target. A found edge is correct
    directly when it is a gold edge, within two when ``gold_paths`` (default: the gold edges) have such a path.
    Shares are None when there is nothing to divide by.

    >>> s = score({("a", "b"), ("b", "c")}, {("a", "c"), ("b", "c")})
    >>> s["recall_direct"], s["recall_within_two"], s["precision_direct"], s["precision_within_two"]
    (0.5, 0.5, 0.5, 1.0)
    >>> s["missed"], s["extra"]
    ([('a', 'b')], [('a', 'c')])
    """
    gold, found = set(gold_edges), set(found_edges)
    found_reach = _within(found if found_paths is None else set(found_paths) | found)
    gold_reach = _within(gold if gold_paths is None else set(gold_paths) | gold)
    recalled = len(gold & found)
    return {
        "gold": len(gold), "found": len(found),
        "recall_direct": _share(recalled, len(gold)),
        "recall_within_two": _share(len(gold & found_reach), len(gold)),
        "precision_direct": _share(recalled, len(found)),
        "precision_within_two": _share(len(found & gold_reach), len(found)),
        "missed": sorted(gold - found), "extra": sorted(found - gold),
        "missed_within_two": sorted(gold - found_reach),
    }


def found_steps(graph, families: list[Family]) -> dict[str, set[Edge]]:  # noqa: ANN001 (a networkx DiGraph)
    """rolegraph's promotion steps by kind, as (employer, code) pairs, between classes of one gold family."""
    family_of: dict[Key, set[str]] = defaultdict(set)
    for family in families:
        for key in family.titles:
            family_of[key].add(family.name)
    steps: dict[str, set[Edge]] = {basis: set() for basis in BASES}
    for source, target, data in graph.edges(data=True):
        if data.get("kind") not in steps:
            continue
        ends = [(graph.nodes[n].get("jurisdiction") or "", graph.nodes[n].get("code") or "") for n in (source, target)]
        if ends[0] != ends[1] and family_of.get(ends[0], set()) & family_of.get(ends[1], set()):
            steps[data["kind"]].add((ends[0], ends[1]))
    return steps


def evaluate(families: list[Family], steps: Mapping[str, set[Edge]]) -> dict:
    """Scores by basis and together, recall by family, and the gold edges for the missed/extra lists."""
    gold_by_basis = {basis: {(e.source, e.target) for f in families for e in f.edges if e.basis == basis}
                     for basis in BASES}
    gold_all = set().union(*gold_by_basis.values())
    found_all = set().union(*steps.values())
    result: dict = {"families": len(families), "classes": sum(len(f.titles) for f in families), "by_basis": {}}
    for basis in BASES:
        recall = score(gold_by_basis[basis], found_all)
        precision = score(gold_all, steps.get(basis, set()))
        result["by_basis"][basis] = {
            "gold": recall["gold"], "found": precision["found"],
            "recall_direct": recall["recall_direct"], "recall_within_two": recall["recall_within_two"],
            "precision_direct": precision["precision_direct"],
            "precision_within_two": precision["precision_within_two"]}
    together = score(gold_all, found_all)
    result["together"] = {k: v for k, v in together.items() if not isinstance(v, list)}
    result["per_family"] = {}
    for family in families:
        edges = {(e.source, e.target) for e in family.edges}
        one = score(edges, found_all & {(a, b) for a, b in found_all if a in family.titles and b in family.titles},
                    found_paths=found_all)
        result["per_family"][family.name] = {"gold": one["gold"], "recall_direct": one["recall_direct"],
                                             "recall_within_two": one["recall_within_two"]}
    result["missed"] = together["missed"]
    result["extra"] = together["extra"]
    return result


def _fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.2f}"


def _name(key: Key, titles: Mapping[Key, str]) -> str:
    return f"{key[1]} {titles.get(key, '?')}"


def report(result: dict, families: list[Family], verbose: bool = False) -> str:
    lines = [f"{result['families']} families, {result['classes']} classes",
             f"{'':10} {'gold':>5} {'found':>6}  {'recall':>6} {'<=2':>5}  {'precision':>9} {'<=2':>5}"]
    rows = [*((basis, result["by_basis"][basis]) for basis in BASES), ("together", result["together"])]
    for name, row in rows:
        lines.append(f"{name:10} {row['gold']:5} {row['found']:6}  {_fmt(row['recall_direct']):>6} "
                     f"{_fmt(row['recall_within_two']):>5}  {_fmt(row['precision_direct']):>9} "
                     f"{_fmt(row['precision_within_two']):>5}")
    lines.append("")
    lines.append("recall by family (direct, within two):")
    for name, row in sorted(result["per_family"].items(), key=lambda item: (item[1]["recall_direct"] or 0, item[0])):
        lines.append(f"  {name:40} {row['gold']:3}  {_fmt(row['recall_direct'])}  {_fmt(row['recall_within_two'])}")
    if verbose:
        titles = {key: title for family in families for key, title in family.titles.items()}
        gold = {(e.source, e.target): e for family in families for e in family.edges}
        lines.append("")
        lines.append(f"missed ({len(result['missed'])}):")
        for edge in result["missed"]:
            entry = gold[edge]
            lines.append(f"  [{entry.family}] {_name(edge[0], titles)} -> {_name(edge[1], titles)} "
                         f"({entry.basis}): {entry.why}")
        lines.append(f"extra ({len(result['extra'])}):")
        for source, target in result["extra"]:
            lines.append(f"  {source[0]}: {_name(source, titles)} -> {_name(target, titles)}")
    return "\n".join(lines)


def corpus_folders(families: list[Family], shared: Path) -> list[Path]:
    """The folders holding the files the gold names, under ``shared``."""
    return sorted({(shared / name).parent for family in families for name in family.files})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a store built from the corpora (default: build one)")
    parser.add_argument("--families", default="*", help="glob over gold file names, e.g. 'la-*'")
    parser.add_argument("--gold", type=Path, default=GOLD_DIR, help="folder of gold files")
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder the gold's file names are under")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--verbose", action="store_true", help="list missed and extra edges")
    args = parser.parse_args(argv)

    from rolegraph.ladders import load_ladder_graph
    from rolegraph.store import open_store

    try:
        families = load_gold(args.gold, args.families)
    except GoldError as error:
        print(f"ladder_accuracy: {error}", file=sys.stderr)
        return 2
    if not families:
        print(f"ladder_accuracy: {args.gold}: no gold file matches {args.families!r}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        if args.store is None:
            from rolegraph.pipeline import build

            folders = corpus_folders(families, args.shared)
            missing = [str(folder) for folder in folders if not folder.is_dir()]
            if missing:
                print(f"ladder_accuracy: {missing[0]}: corpus folder not found", file=sys.stderr)
                return 2
            store = open_store(Path(scratch) / "store")
            started = time.perf_counter()
            build(folders, store)
            print(f"built {len(folders)} corpus folders in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        elif not args.store.exists():
            print(f"ladder_accuracy: {args.store}: store not found", file=sys.stderr)
            return 2
        else:
            store = open_store(args.store)
        try:
            graph = load_ladder_graph(store)
        finally:
            store.close()
    result = evaluate(families, found_steps(graph, families))
    if args.json:
        print(json.dumps(result, indent=1, default=list))
    else:
        print(report(result, families, args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
