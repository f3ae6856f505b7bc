"""The ladder development gold (tests/data/gold/ladders/) is well formed and points at real text, and
bench/ladder_accuracy.py scores right on small hand-made examples."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHARED

GOLD_DIR = Path(__file__).resolve().parent / "data" / "gold" / "ladders"
GOLD_FILES = sorted(GOLD_DIR.glob("*.json"))
BASES = {"explicit", "derived"}


def _bench():
    spec = importlib.util.spec_from_file_location("rolegraph_bench_ladder_accuracy",
                                                  ROOT / "bench" / "ladder_accuracy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


accuracy = _bench()


def test_gold_has_its_families() -> None:
    employers = [json.loads(path.read_text(encoding="utf-8"))["employer"] for path in GOLD_FILES]
    assert len(GOLD_FILES) >= 40
    assert len(set(employers)) >= 2
    assert min(employers.count(employer) for employer in set(employers)) >= 10


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda path: path.stem)
def test_gold_file_format(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"family", "employer", "files", "classes", "edges"}, path.name
    assert data["family"] and data["employer"] and data["files"], path.name
    codes = [c["code"] for c in data["classes"]]
    assert len(codes) >= 3, f"{path.name}: a family has at least three classes"
    assert len(set(codes)) == len(codes), f"{path.name}: a class listed twice"
    assert all(re.fullmatch(r"\d{4}", c["code"]) and c["title"] for c in data["classes"]), path.name
    assert data["edges"], path.name
    seen = set()
    for edge in data["edges"]:
        where = f"{path.name}: {edge.get('from')} -> {edge.get('to')}"
        assert set(edge) == {"from", "to", "basis", "why"}, where
        assert edge["from"] in codes and edge["to"] in codes, f"{where}: a code not in classes"
        assert edge["from"] != edge["to"], where
        assert edge["basis"] in BASES, where
        assert len(edge["why"]) > 20, f"{where}: say why"
        assert (edge["from"], edge["to"]) not in seen, f"{where}: listed twice"
        seen.add((edge["from"], edge["to"]))
    assert accuracy.load_family(path).titles  # the bench reads it


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda path: path.stem)
def test_gold_files_hold_their_classes(path: Path) -> None:
    if not SHARED.is_dir():
        pytest.skip(f"gold files not found at {SHARED} (../shared is absent on this machine)")
    data = json.loads(path.read_text(encoding="utf-8"))
    texts = []
    for name in data["files"]:
        file = SHARED / name
        assert file.is_file(), f"{path.name}: {name} not found under {SHARED}"
        texts.append(file.read_text(encoding="cp1252", errors="replace"))
    for c in data["classes"]:
        assert any(re.search(rf"(?<!\d){c['code']}(?!\d)", text) for text in texts), \
            f"{path.name}: class code {c['code']} ({c['title']}) is in none of its files"


# -- scoring -----------------------------------------------------------------------------------------

def test_score_direct_and_within_two() -> None:
    # gold: a -> b -> c -> d, and x -> y; found: a -> c (skips b), c -> d, b -> a (wrong way), x -> y
    gold = {("a", "b"), ("b", "c"), ("c", "d"), ("x", "y")}
    found = {("a", "c"), ("c", "d"), ("b", "a"), ("x", "y")}
    s = accuracy.score(gold, found)
    assert (s["gold"], s["found"]) == (4, 4)
    assert s["recall_direct"] == 2 / 4  # c -> d, x -> y
    assert s["precision_direct"] == 2 / 4
    # within two: b -> c has the found path b -> a -> c; a -> b has none
    assert s["recall_within_two"] == 3 / 4
    # within two: a -> c is a -> b -> c in the gold; b -> a has no gold path
    assert s["precision_within_two"] == 3 / 4
    assert s["missed"] == [("a", "b"), ("b", "c")]
    assert s["extra"] == [("a", "c"), ("b", "a")]
    assert s["missed_within_two"] == [("a", "b")]


def test_score_three_steps_are_not_within_two() -> None:
    s = accuracy.score({("a", "d")}, {("a", "b"), ("b", "c"), ("c", "d")})
    assert s["recall_within_two"] == 0.0
    assert s["precision_within_two"] == 0.0
    s = accuracy.score({("a", "c")}, {("a", "b"), ("b", "c")})
    assert s["recall_within_two"] == 1.0 and s["recall_direct"] == 0.0
    assert s["precision_within_two"] == 0.0  # neither step is on a gold path


def test_score_empty_sides() -> None:
    s = accuracy.score(set(), {("a", "b")})
    assert s["recall_direct"] is None and s["precision_direct"] == 0.0
    s = accuracy.score({("a", "b")}, set())
    assert s["precision_direct"] is None and s["recall_direct"] == 0.0 and s["recall_within_two"] == 0.0


def test_score_paths_may_use_other_edges() -> None:
    # recall of one kind counts paths through steps of any kind
    s = accuracy.score({("a", "c")}, {("a", "b")}, found_paths={("b", "c")})
    assert s["recall_within_two"] == 1.0 and s["recall_direct"] == 0.0


def test_evaluate_by_basis_and_family(tmp_path: Path) -> None:
    family = {"family": "Tiny", "employer": "Somewhere", "files": ["x.txt"],
              "classes": [{"code": c, "title": t} for c, t in (("0001", "Clerk"), ("0002", "Senior Clerk"),
                                                                 ("0003", "Chief Clerk"), ("0009", "Other"))],
              "edges": [{"from": "0001", "to": "0002", "basis": "derived", "why": "office clerical experience x"},
                        {"from": "0002", "to": "0003", "basis": "explicit", "why": "two years as a Senior Clerk"}]}
    (tmp_path / "tiny.json").write_text(json.dumps(family), encoding="utf-8")
    families = accuracy.load_gold(tmp_path)
    import networkx as nx

    graph = nx.DiGraph()
    for node, code in (("n1", "0001"), ("n2", "0002"), ("n3", "0003"), ("n9", "0009"), ("o1", "0001")):
        graph.add_node(node, code=code, jurisdiction="Elsewhere" if node == "o1" else "Somewhere")
    graph.add_edge("n2", "n3", kind="explicit")
    graph.add_edge("n1", "n9", kind="explicit")  # between family classes, not gold: extra
    graph.add_edge("o1", "n2", kind="derived")  # another employer's class: not counted
    graph.add_edge("n1", "n2", kind="lateral")  # no promotion
    steps = accuracy.found_steps(graph, families)
    assert steps == {"explicit": {(("Somewhere", "0002"), ("Somewhere", "0003")),
                                  (("Somewhere", "0001"), ("Somewhere", "0009"))}, "derived": set()}
    result = accuracy.evaluate(families, steps)
    assert result["by_basis"]["explicit"]["recall_direct"] == 1.0
    assert result["by_basis"]["explicit"]["precision_direct"] == 0.5
    assert result["by_basis"]["derived"]["recall_direct"] == 0.0
    assert result["by_basis"]["derived"]["precision_direct"] is None
    assert result["together"]["recall_direct"] == 0.5
    assert result["per_family"]["tiny"] == {"gold": 2, "recall_direct": 0.5, "recall_within_two": 0.5}
    assert "Tiny" in accuracy.report(result, families, verbose=True)


def test_bad_gold_file_names_itself(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"family": "x"}', encoding="utf-8")
    with pytest.raises(accuracy.GoldError, match=r"bad\.json: missing field 'employer'"):
        accuracy.load_family(bad)
