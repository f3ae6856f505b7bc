"""The layered ladder picture (rolegraph.ladders.svg): pure tests of the layout and of the SVG drawn from it.

``write_fan_specs`` writes a store's worth of specifications with many next steps (also used by the browser
check in test_web_browser.py).
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from rolegraph.ladders import paths
from rolegraph.ladders.svg import COLUMNS, Layout, Rect, draw_ladder, layout_ladder, render_svg
from rolegraph.pipeline import build
from rolegraph.store import open_store

SVG = "{http://www.w3.org/2000/svg}"
TRADES = ["Accounting", "Payroll", "Records", "Purchasing", "Licensing", "Permits", "Billing", "Customer Service",
          "Library", "Personnel", "Court", "Property", "Utility", "Transit", "Parks", "Fleet", "Budget", "Grants",
          "Inventory", "Mail", "Benefits", "Election", "Planning", "Housing", "Zoning", "Revenue", "Claims"]


def _spec(code: int, grade: int, title: str, below: str | None, years: str, knowledge: list[str]) -> str:
    """A specification in the seeds' plain layout (as bench/generate.py writes them)."""
    return "\n".join([
        "JOB SPECIFICATION", "", f"Code {code}", "", f"Grade GS {grade}", "", title.upper(), "", "General Purpose", "",
        f"Under general supervision, performs {title.lower()} work: files records and answers the public.", "",
        "Typical Duties:", "", "File records. Involves: Sort records. Answer the telephone.", "",
        "Knowledge, Skills, and Abilities", "", *[f"- Application of good knowledge of {area}." for area in knowledge],
        "", "Minimum Qualifications", "",
        f"Education and Experience: A High School diploma or GED, and {years} years of clerical experience"
        + (f", including experience as a {below}" if below else "") + ".", ""])


def write_fan_specs(directory: Path, fan: int = 25, onward: int = 4) -> str:
    """Specifications of one "Office Clerk" (code 50000, GS 3), ``fan`` clerks of GS 5 each asking for
    experience as an Office Clerk, and for the first ``onward`` of them a supervisor of GS 7 asking for
    experience in that clerk class: ``fan`` next steps, three levels. Returns the base class's code."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "base.txt").write_text(_spec(50000, 3, "Office Clerk", None, "one",
                                              ["filing systems", "office practices"]), encoding="utf-8")
    for index, trade in enumerate(TRADES[:fan]):
        clerk = f"{trade} Clerk"
        (directory / f"clerk-{index:02d}.txt").write_text(
            _spec(50010 + index, 5, clerk, "Office Clerk", "two",
                  ["filing systems", "office practices", f"{trade.lower()} procedures"]), encoding="utf-8")
        if index < onward:
            (directory / f"supervisor-{index:02d}.txt").write_text(
                _spec(50100 + index, 7, f"{trade} Supervisor", clerk, "four",
                      ["filing systems", f"{trade.lower()} procedures", "supervision of clerical staff"]),
                encoding="utf-8")
    return "50000"


# -- graphs ---------------------------------------------------------------------------------------------------

def _node(graph: nx.DiGraph, key: str, title: str, grade: int | None) -> None:
    graph.add_node(key, title=title, code=key, grade=f"GS {grade}" if grade is not None else None,
                   grade_number=grade)


def fan_graph(fan: int = 25, onward: int = 0) -> nx.DiGraph:
    graph = nx.DiGraph()
    _node(graph, "base", "Office Clerk", 3)
    for index in range(fan):
        key = f"c{index}"
        _node(graph, key, f"{TRADES[index % len(TRADES)]} Clerk {index}", 5)
        graph.add_edge("base", key, kind="explicit", months=24, shared=["filing systems", "office practices"])
        if index < onward:
            _node(graph, f"s{index}", f"{TRADES[index]} Supervisor", 7)
            graph.add_edge(key, f"s{index}", kind="derived", months=48, shared=["supervision"])
    return graph


def chain_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for key, title, grade in (("a", "Clerk", 1), ("b", "Senior Clerk", 2), ("c", "Clerk Supervisor", 3)):
        _node(graph, key, title, grade)
    graph.add_edge("a", "b", kind="explicit", months=12, shared=["filing"])
    graph.add_edge("b", "c", kind="derived", months=None, shared=[])
    return graph


def random_graph(seed: int) -> nx.DiGraph:
    """Up to 30 classes, some without grades, steps up (and a few down, sideways or back)."""
    rng = random.Random(seed)
    graph = nx.DiGraph()
    count = rng.randint(2, 30)
    for index in range(count):
        _node(graph, f"n{index}", f"Class {index} " + "Word " * rng.randint(0, 8),
              None if rng.random() < 0.2 else rng.randint(1, 6))
    for _ in range(rng.randint(1, count * 2)):
        a, b = rng.sample(range(count), 2)
        graph.add_edge(f"n{a}", f"n{b}", kind=rng.choice(["explicit", "derived", "lateral"]),
                       months=rng.choice([None, 12, 24, 36]), shared=["skill"] * rng.randint(0, 3))
    return graph


# -- geometry checks ------------------------------------------------------------------------------------------

def _segments(points: tuple[tuple[float, float], ...]) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    return list(zip(points, points[1:], strict=False))


def _crosses(segment: tuple[tuple[float, float], tuple[float, float]], rect: Rect) -> bool:
    """Whether an axis-parallel segment runs through the inside of ``rect`` (touching its edge is not)."""
    (x1, y1), (x2, y2) = segment
    left, right, top, bottom = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
    return left < rect.right - 0.5 and right > rect.x + 0.5 and top < rect.bottom - 0.5 and bottom > rect.y + 0.5


def _on_edge(point: tuple[float, float], rect: Rect) -> bool:
    x, y = point
    on_x = rect.x - 0.5 <= x <= rect.right + 0.5
    on_y = rect.y - 0.5 <= y <= rect.bottom + 0.5
    return (on_x and (abs(y - rect.y) < 0.5 or abs(y - rect.bottom) < 0.5)) or (
        on_y and (abs(x - rect.x) < 0.5 or abs(x - rect.right) < 0.5))


def assert_readable(layout: Layout) -> None:
    """No two boxes overlap; boxes, arrows and labels lie inside the picture; arrows run at right angles from
    the edge of their source to the edge of their target, through no box; labels overlap no box, no other label
    and no arrow; at most COLUMNS boxes on a row."""
    boxes = list(layout.boxes.items())
    for index, (name, box) in enumerate(boxes):
        assert box.inside(layout.width, layout.height), f"box {name} {box} outside {layout.width}x{layout.height}"
        for other_name, other in boxes[index + 1:]:
            assert not box.overlaps(other), f"boxes {name} and {other_name} overlap"
    rows: dict[float, int] = {}
    for box in layout.boxes.values():
        rows[box.y] = rows.get(box.y, 0) + 1
    assert max(rows.values(), default=0) <= COLUMNS
    labels = [arrow.label for arrow in layout.arrows if arrow.label is not None]
    for arrow in layout.arrows:
        where = f"arrow {arrow.source} -> {arrow.target} {arrow.points}"
        assert _on_edge(arrow.points[0], layout.boxes[arrow.source]), where
        assert _on_edge(arrow.points[-1], layout.boxes[arrow.target]), where
        for x, y in arrow.points:
            assert 0 <= x <= layout.width and 0 <= y <= layout.height, where
        for segment in _segments(arrow.points):
            assert segment[0][0] == segment[1][0] or segment[0][1] == segment[1][1], f"{where}: not at right angles"
            for name, box in boxes:
                assert not _crosses(segment, box), f"{where} runs through box {name}"
            for label in labels:
                assert not _crosses(segment, label.box), f"{where} runs through label {label.text!r}"
    for index, label in enumerate(labels):
        assert label.box.inside(layout.width, layout.height), f"label {label.text!r} outside"
        for name, box in boxes:
            assert not label.box.overlaps(box), f"label {label.text!r} overlaps box {name}"
        for other in labels[index + 1:]:
            assert not label.box.overlaps(other.box), f"labels {label.text!r} and {other.text!r} overlap"


def _numbers(svg: str) -> tuple[float, float, list[tuple[str, float, float]]]:
    """The viewBox size and every (element, x, y) the SVG places."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(part) for part in root.attrib["viewBox"].split())
    placed: list[tuple[str, float, float]] = []
    for element in root.iter():
        tag = element.tag.removeprefix(SVG)
        if tag in ("rect", "text"):
            x, y = float(element.attrib.get("x", 0)), float(element.attrib.get("y", 0))
            placed.append((tag, x, y))
            if tag == "rect":
                placed.append((tag, x + float(element.attrib["width"]), y + float(element.attrib["height"])))
        elif tag == "polyline":
            for pair in element.attrib["points"].split():
                x, y = pair.split(",")
                placed.append((tag, float(x), float(y)))
    return width, height, placed


# -- tests ----------------------------------------------------------------------------------------------------

def test_a_fan_of_25_next_steps_wraps_into_rows_of_five_that_fit_1280_px() -> None:
    layout = layout_ladder(fan_graph(25))
    assert_readable(layout)
    assert layout.width <= 1280 and len(layout.boxes) == 26
    assert {layout.layers["base"]} == {0} and {layout.layers[f"c{i}"] for i in range(25)} == {1}
    assert len({layout.rows[f"c{i}"] for i in range(25)}) == 5  # 25 boxes: five rows of five
    base = layout.boxes["base"]
    assert all(layout.boxes[f"c{i}"].bottom < base.y for i in range(25)), "a next step drawn below its class"
    assert all(arrow.label is not None for arrow in layout.arrows), "a lone step into a class keeps its label"


def test_a_three_level_chain_goes_up_one_layer_a_step() -> None:
    layout = layout_ladder(chain_graph())
    assert_readable(layout)
    assert [layout.layers[key] for key in "abc"] == [0, 1, 2]
    assert layout.boxes["a"].y > layout.boxes["b"].y > layout.boxes["c"].y
    assert layout.boxes["a"].x == layout.boxes["b"].x == layout.boxes["c"].x  # straight up, no detour
    texts = [arrow.label.text for arrow in layout.arrows if arrow.label]
    assert texts == ["12 mo \u00b7 1 shared: filing", "months unknown"]


def test_fan_with_a_third_level_puts_each_supervisor_over_its_clerk() -> None:
    layout = layout_ladder(fan_graph(25, onward=4))
    assert_readable(layout)
    assert layout.width <= 1280
    for index in range(4):
        clerk, supervisor = layout.boxes[f"c{index}"], layout.boxes[f"s{index}"]
        assert supervisor.bottom < clerk.y and supervisor.x == clerk.x, f"supervisor {index} not over its clerk"
        assert layout.rows[f"c{index}"] == layout.rows["s0"] - 1, "a clerk leading on is not in the top row"


def test_a_class_with_many_steps_into_it_keeps_the_labels_in_tooltips() -> None:
    graph = nx.DiGraph()
    _node(graph, "top", "Manager", 9)
    for index in range(6):
        _node(graph, f"b{index}", f"Specialist {index}", 5)
        graph.add_edge(f"b{index}", "top", kind="derived", months=24, shared=[])
    layout = layout_ladder(graph)
    assert_readable(layout)
    assert all(arrow.label is None and "24 months to gain" in arrow.tooltip for arrow in layout.arrows)


def test_grades_order_the_layers_and_classes_without_one_sit_below_what_they_lead_to() -> None:
    graph = chain_graph()
    _node(graph, "x", "Trainee", None)
    graph.add_edge("x", "c", kind="explicit", months=6, shared=[])
    layout = layout_ladder(graph)
    assert_readable(layout)
    assert layout.layers["x"] == layout.layers["c"] - 1


@pytest.mark.parametrize("seed", range(40))
def test_any_ladder_stays_readable(seed: int) -> None:
    """Random graphs: missing grades, cycles, steps down and sideways, wide layers, long titles."""
    assert_readable(layout_ladder(random_graph(seed)))


def test_the_check_fails_on_overlapping_boxes() -> None:
    layout = layout_ladder(chain_graph())
    layout.boxes["b"] = layout.boxes["a"]
    with pytest.raises(AssertionError, match="overlap"):
        assert_readable(layout)


@pytest.mark.parametrize("graph", [fan_graph(25, onward=4), chain_graph(), random_graph(7)],
                         ids=["fan-25", "chain", "random"])
def test_the_svg_places_everything_inside_its_viewbox(graph: nx.DiGraph) -> None:
    svg = draw_ladder(graph)
    width, height, placed = _numbers(svg)
    root = ET.fromstring(svg)
    assert (float(root.attrib["width"]), float(root.attrib["height"])) == (width, height)
    outside = [item for item in placed if not (0 <= item[1] <= width and 0 <= item[2] <= height)]
    assert outside == []
    boxes = [r for r in root.iter(SVG + "rect") if r.attrib.get("class") != "background"]
    assert len(boxes) == graph.number_of_nodes()
    assert len(list(root.iter(SVG + "polyline"))) == graph.number_of_edges()
    assert not re.search(r"<script|javascript:|style=", svg)  # no style attribute: a strict CSP allows it inline


def test_titles_are_wrapped_and_whole_in_the_tooltip() -> None:
    graph = nx.DiGraph()
    title = "Senior Customer Relations and Billing Supervisor of the Water Utilities Department"
    _node(graph, "a", title, 1)
    root = ET.fromstring(draw_ladder(graph))
    group = next(g for g in root.iter(SVG + "g") if g.attrib.get("class") == "class")
    assert group.find(SVG + "title").text == title
    lines = [t.text for t in group.findall(SVG + "text")]
    assert len(lines) == 3 and lines[1].endswith("\u2026")  # two title lines and the code/grade line


def test_the_generated_fan_store_draws_25_next_steps(tmp_path: Path) -> None:
    code = write_fan_specs(tmp_path / "specs")
    store = open_store(tmp_path / "store")
    try:
        build([tmp_path / "specs"], store)
        result = paths(store, code, max_steps=2)
        svg = render_svg(result)
    finally:
        store.close()
    assert sum(len(path.steps) == 1 for path in result.paths) == 25
    assert sum(len(path.steps) == 2 for path in result.paths) == 4
    root = ET.fromstring(svg)
    assert float(root.attrib["width"]) <= 1280
    assert len([r for r in root.iter(SVG + "rect") if r.attrib.get("class") != "background"]) == 30


def test_seeds_picture(built_seeds) -> None:
    store, _ = built_seeds
    root = ET.fromstring(render_svg(paths(store, "1341")))
    texts = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    assert "Customer Relations Clerk" in texts and "Billing Supervisor" in texts
