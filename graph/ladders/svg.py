"""Draw a ladder as SVG: a layered picture, grades bottom to top, classes as boxes, steps as arrows labelled with
the months still to gain and the shared skills. Pure (a string out); every piece of text is escaped, so a title
such as ``<script>alert(1)</script>`` stays text.

>>> import networkx as nx
>>> graph = nx.DiGraph()
>>> graph.add_node("a", title="<script>alert(1)</script>", code="1", grade="GS 1", grade_number=1)
>>> graph.add_node("b", title="Senior", code="2", grade="GS 2", grade_number=2)
>>> graph.add_edge("a", "b", kind="derived", months=24, shared=["spelling"])
>>> svg = draw_ladder(graph)
>>> "<script>" in svg, "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
(False, True)

The layout (:func:`layout_ladder`, pure geometry, Sugiyama-style) stays readable with many next steps:

1. Layers: a class's layer is the rank of its grade number among the picture's grades, raised above every class
   that steps up into it (longest path; a class without a grade number is placed by its steps alone, just below
   what it leads to). Steps closing a cycle are left out of the layering; empty layers are dropped.
2. Order within a layer: by the barycentre of the neighbours' positions, sweeping up and down ``SWEEPS`` times
   (ties keep the order by title), which removes most crossings.
3. Rows: a layer of more than ``COLUMNS`` classes wraps into rows of at most ``COLUMNS``. Every row sits on one
   grid of columns, so the gaps between columns are free vertical corridors and the picture's width is fixed
   (``COLUMNS`` boxes: 1264 px); the SVG has a viewBox, so it scales.
4. Arrows run box edge to box edge, at right angles: out of the top of the lower box up to a track of that box in
   the channel above its row, along it (to the corridor nearest the target when the target is rows further up,
   then up that corridor), and up into the bottom of the target, one entry point per arrow. A step's label sits
   under its target, right of the entry points, in the label band of the channel below the target; a target with
   more than ``LABELLED_IN`` steps into it, or a step running down or sideways, keeps its label in the arrow's
   tooltip (``<title>``). Every coordinate lies inside the viewBox.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

if TYPE_CHECKING:  # only for the annotations: svg stays a leaf module, and a build need not load networkx
    import networkx as nx

    from rolegraph.ladders.query import LadderResult

__all__ = ["render_svg", "draw_ladder", "layout_ladder", "Layout", "Rect", "Arrow", "Label"]

COLUMNS = 5  # boxes per row at most: 5 * 200 + 6 * 44 = 1264 px, a 1280 px screen
BOX_WIDTH, BOX_HEIGHT, CORRIDOR = 200, 58, 44  # CORRIDOR: the gap between columns (and at both sides)
SWEEPS = 4
LABELLED_IN = 3  # a target with more steps into it keeps their labels in tooltips
LINE = 14  # height of a label line
TRACK = 7  # distance between two tracks in a channel or a corridor
PAD = 6
MIN_GAP = 40  # between two rows
MARGIN = 16  # above the top row and below the bottom row
ENTRY_PAD, ENTRY_GAP = 14, 8  # where arrows enter a box: from its left edge, and apart
TITLE_FONT, DETAIL_FONT, LABEL_FONT = 12, 11, 11
CHAR_WIDTH = 0.62  # of the font size: a generous average for sans-serif, so estimated text fits
# Presentation attributes only (no style attributes): the picture works inline under a strict
# Content-Security-Policy (style-src 'self') as well as an image.
KIND_TO_STYLE = {"explicit": 'stroke="#1f5f99" stroke-width="1.8"', "derived": 'stroke="#2e7d32" stroke-width="1.8"',
                 "lateral": 'stroke="#777" stroke-width="1.5" stroke-dasharray="6 4"'}
KIND_TO_MARKER = {"explicit": "#1f5f99", "derived": "#2e7d32", "lateral": "#777"}


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Rect) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def inside(self, width: float, height: float) -> bool:
        return self.x >= 0 and self.y >= 0 and self.right <= width and self.bottom <= height


@dataclass(frozen=True)
class Label:
    text: str
    x: float  # start of the baseline
    y: float
    box: Rect  # estimated extent of the text


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    kind: str
    points: tuple[tuple[float, float], ...]  # a polyline from the source's edge to the target's edge
    tooltip: str
    label: Label | None  # None: the label is in the tooltip only


@dataclass
class Layout:
    width: float
    height: float
    boxes: dict[str, Rect]
    arrows: list[Arrow]
    layers: dict[str, int] = field(default_factory=dict)  # 0 at the bottom
    rows: dict[str, int] = field(default_factory=dict)  # 0 at the bottom; a wrapped layer has several


def _text(value: Any) -> str:
    return escape(str(value))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "\u2026"


def _chars(width: float, font: int) -> int:
    return int(width / (font * CHAR_WIDTH))


def _months(value: Any, short: bool = False) -> str:
    if value is None:
        return "months unknown"
    if isinstance(value, Decimal):
        value = format(value.normalize(), "f") if value == value.to_integral_value() else value
    return f"{value} mo" if short else f"{value} months to gain"


def _title(graph: nx.DiGraph, node: str) -> str:
    return str(graph.nodes[node].get("title") or node)


# -- layout ---------------------------------------------------------------------------------------------------

def _forward_edges(graph: nx.DiGraph, order: list[str]) -> set[tuple[str, str]]:
    """The edges left once those closing a cycle (back edges of a depth-first search) are dropped."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    place = {node: index for index, node in enumerate(order)}
    forward: set[tuple[str, str]] = set()
    for root in order:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(sorted(graph.successors(root), key=place.__getitem__)))]
        while stack:
            node, following = stack[-1]
            nxt = next(following, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif nxt == node or state.get(nxt) == 1:
                continue
            else:
                forward.add((node, nxt))
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(sorted(graph.successors(nxt), key=place.__getitem__))))
    return forward


def _layers(graph: nx.DiGraph, order: list[str], forward: set[tuple[str, str]]) -> dict[str, int]:
    grades = sorted({float(graph.nodes[n]["grade_number"]) for n in graph
                     if graph.nodes[n].get("grade_number") is not None})
    rank = {grade: index for index, grade in enumerate(grades)}
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for source, target in forward:
        preds[target].append(source)
        succs[source].append(target)
    place = {node: index for index, node in enumerate(order)}
    topo: list[str] = []
    waiting = {node: len(preds[node]) for node in order}
    ready = [node for node in order if not waiting[node]]
    while ready:
        node = ready.pop(0)
        topo.append(node)
        for target in sorted(succs[node], key=place.__getitem__):
            waiting[target] -= 1
            if not waiting[target]:
                ready.append(target)
    layer: dict[str, float] = {}
    for node in topo:
        number = graph.nodes[node].get("grade_number")
        base = 2.0 * rank[float(number)] if number is not None else 0.0
        layer[node] = max([base, *(layer[p] + 2 for p in preds[node])])
    for node in reversed(topo):  # no grade and no step into it: just below what it leads to
        if graph.nodes[node].get("grade_number") is None and not preds[node] and succs[node]:
            layer[node] = max(layer[node], min(layer[s] for s in succs[node]) - 1)
    kept = sorted(set(layer.values()))
    return {node: kept.index(value) for node, value in layer.items()}


def _neighbours(forward: set[tuple[str, str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    below: dict[str, list[str]] = defaultdict(list)
    above: dict[str, list[str]] = defaultdict(list)
    for source, target in forward:
        below[target].append(source)
        above[source].append(target)
    return below, above


def _sweep(rows: list[list[str]], forward: set[tuple[str, str]], columns: int | None = None) -> None:
    """Order each row (bottom first) by the barycentre of its neighbours' positions, sweeping up then down
    ``SWEEPS`` times; a position is the fraction of the row's width, or with ``columns``, the column of a row
    centred on that grid."""
    below, above = _neighbours(forward)

    def position() -> dict[str, float]:
        return {node: ((columns - len(row)) / 2 + index if columns else (index + 0.5) / len(row))
                for row in rows for index, node in enumerate(row)}

    for _sweep_number in range(SWEEPS):
        for indices, neighbours in ((range(1, len(rows)), below), (range(len(rows) - 2, -1, -1), above)):
            for index in indices:
                where = position()
                rows[index].sort(key=lambda n: (sum(where[m] for m in neighbours[n]) / len(neighbours[n])
                                                if neighbours[n] else where[n]))


def _align(rows: list[list[str]], forward: set[tuple[str, str]], columns: int, column_of: dict[str, int]) -> None:
    """Move the boxes of a row with free columns towards the columns of their neighbours (keeping their order),
    a pass up and a pass down: a class lands above the one it comes from."""
    below, above = _neighbours(forward)
    for indices in (range(len(rows)), range(len(rows) - 1, -1, -1)):
        for index in indices:
            row = rows[index]
            if len(row) >= columns:
                continue
            wanted = []
            for node in row:
                near = below[node] + above[node]
                wanted.append(round(sum(column_of[m] for m in near) / len(near)) if near else column_of[node])
            places: list[int] = []
            for want in wanted:
                places.append(max(want, places[-1] + 1 if places else 0))
            for i in range(len(places) - 1, -1, -1):
                places[i] = min(places[i], columns - 1 if i == len(places) - 1 else places[i + 1] - 1)
            column_of.update(zip(row, places, strict=True))


def layout_ladder(graph: nx.DiGraph) -> Layout:
    """Where every box, arrow and label of ``graph`` goes (see the module docstring); y grows downwards."""
    order = sorted(graph, key=lambda n: (_title(graph, n).casefold(), str(n)))
    forward = _forward_edges(graph, order)
    layers = _layers(graph, order, forward)
    ordered: list[list[str]] = [[] for _ in range(max(layers.values(), default=-1) + 1)]
    for node in order:
        ordered[layers[node]].append(node)
    _sweep(ordered, forward)
    columns = max(1, min(COLUMNS, max((len(row) for row in ordered), default=1)))
    leads_on = {source for source, _ in forward}
    cells: list[list[str]] = []  # rows bottom first
    for layer_nodes in ordered:
        # A wrapped layer: classes leading further up in its top rows, near what they lead to; the partial row
        # at the bottom, so the top row is full.
        nodes = [n for n in layer_nodes if n not in leads_on] + [n for n in layer_nodes if n in leads_on]
        first = len(nodes) % columns or columns
        cells += [nodes[:first]] + [nodes[i: i + columns] for i in range(first, len(nodes), columns)]
    _sweep(cells, forward, columns)  # again on the rows, which share one grid of columns
    row_of = {node: r for r, row in enumerate(cells) for node in row}
    column_of = {node: (columns - len(row)) // 2 + c for row in cells for c, node in enumerate(row)}
    _align(cells, forward, columns, column_of)
    width = columns * BOX_WIDTH + (columns + 1) * CORRIDOR

    def box_x(node: str) -> float:
        return CORRIDOR + column_of[node] * (BOX_WIDTH + CORRIDOR)

    def corridor_x(index: int) -> float:  # corridor ``index`` is left of column ``index``
        return CORRIDOR / 2 + index * (BOX_WIDTH + CORRIDOR)

    edges = sorted(graph.edges(data=True), key=lambda e: (row_of[e[0]], column_of[e[0]], row_of[e[1]],
                                                          column_of[e[1]]))
    # What runs through each channel (channel c: between row c and row c + 1; -1 below the bottom row).
    tracks: dict[int, list[str]] = defaultdict(list)  # channel -> the sources with a track in it
    lanes: dict[int, list[str]] = defaultdict(list)  # corridor -> the sources with a lane in it
    ups_into: dict[str, list[str]] = defaultdict(list)  # target -> sources of steps entering its bottom
    downs_into: dict[str, list[str]] = defaultdict(list)  # target -> sources of steps entering its top
    plans: list[tuple[str, str, dict[str, Any], list[int], int | None]] = []
    for source, target, data in edges:
        rs, rt = row_of[source], row_of[target]
        if rt > rs:
            channels = [rs] if rt == rs + 1 else [rs, rt - 1]
            ups_into[target].append(source)
        elif rt < rs:
            channels = [rs - 1] if rt == rs - 1 else [rs - 1, rt]
            downs_into[target].append(source)
        else:
            channels = [rs]
            downs_into[target].append(source)
        corridor = None
        if len(channels) == 2:
            near = column_of[target] + (1 if column_of[source] > column_of[target] else 0)
            corridor = near
            if source not in lanes[corridor]:
                lanes[corridor].append(source)
        for channel in channels:
            if source not in tracks[channel]:
                tracks[channel].append(source)
        plans.append((source, target, data, channels, corridor))
    label_lines: dict[int, int] = defaultdict(int)
    for target, sources in ups_into.items():
        if len(sources) <= LABELLED_IN:
            label_lines[row_of[target] - 1] = max(label_lines[row_of[target] - 1], len(sources))

    def channel_height(channel: int) -> float:
        used = PAD * 2 + label_lines[channel] * LINE + len(tracks[channel]) * TRACK + (PAD if tracks[channel] else 0)
        if channel in (-1, len(cells) - 1):
            return max(MARGIN, used if tracks[channel] or label_lines[channel] else 0)
        return max(MIN_GAP, used)

    row_y: dict[int, float] = {}
    channel_top: dict[int, float] = {}
    cursor = 0.0
    for r in range(len(cells) - 1, -1, -1):
        channel_top[r] = cursor
        cursor += channel_height(r)
        row_y[r] = cursor
        cursor += BOX_HEIGHT
    channel_top[-1] = cursor
    height = cursor + channel_height(-1)
    boxes = {node: Rect(box_x(node), row_y[row_of[node]], BOX_WIDTH, BOX_HEIGHT) for node in graph}

    def track_y(channel: int, source: str) -> float:
        return (channel_top[channel] + PAD + label_lines[channel] * LINE + PAD
                + tracks[channel].index(source) * TRACK)

    def lane_x(corridor: int, source: str) -> float:
        index = lanes[corridor].index(source)
        offset = ((index + 1) // 2) * TRACK * (1 if index % 2 else -1)
        room = CORRIDOR / 2 - 4
        return corridor_x(corridor) + max(-room, min(room, offset))

    arrows: list[Arrow] = []
    for source, target, data, channels, corridor in plans:
        a, b = boxes[source], boxes[target]
        kind = str(data.get("kind", "derived"))
        shared = [str(skill) for skill in data.get("shared", ())]
        tooltip = (f"{_title(graph, source)} \u2192 {_title(graph, target)}: {kind}, {_months(data.get('months'))}; "
                   f"shared skills: {'; '.join(shared) or 'none'}")
        up = row_of[target] > row_of[source]
        if up:
            entries = sorted(ups_into[target], key=lambda s: (boxes[s].x, boxes[s].y))
            enter = (b.x + ENTRY_PAD + entries.index(source) * ENTRY_GAP, b.bottom)
        else:
            entries = sorted(downs_into[target], key=lambda s: (boxes[s].x, boxes[s].y))
            enter = (b.right - ENTRY_PAD - entries.index(source) * ENTRY_GAP, b.y)
        # down: out at the left of the bottom, clear of the labels under the box
        leave = (a.x + 6, a.bottom) if row_of[target] < row_of[source] else (a.x + a.width / 2, a.y)
        first = track_y(channels[0], source)
        points = [leave, (leave[0], first)]
        if corridor is not None:
            last = track_y(channels[1], source)
            x = lane_x(corridor, source)
            points += [(x, first), (x, last), (enter[0], last)]
        else:
            points.append((enter[0], first))
        points.append(enter)
        label = None
        if up and len(entries) <= LABELLED_IN:
            label = _label(graph, source, data, shared, b, len(entries), entries.index(source))
        arrows.append(Arrow(source, target, kind, _simplify(points), tooltip, label))
    return Layout(width, height, boxes, arrows, layers, row_of)


def _label(graph: nx.DiGraph, source: str, data: dict[str, Any], shared: list[str], target: Rect, count: int,
           index: int) -> Label:
    """One line under the target box, right of its entry points (line ``index`` of ``count``)."""
    x = target.x + ENTRY_PAD + (count - 1) * ENTRY_GAP + 8
    room = target.right - x - 2
    months = _months(data.get("months"), short=True)
    if count == 1:
        text = months + (f" \u00b7 {len(shared)} shared: {', '.join(shared)}" if shared else "")
    else:  # which step a line belongs to: the class it comes from
        text = f"from {graph.nodes[source].get('code') or _title(graph, source)}: {months}"
    text = _shorten(text, _chars(room, LABEL_FONT))
    y = target.bottom + PAD + LINE * index + LABEL_FONT
    return Label(text, x, y, Rect(x, y - LABEL_FONT, len(text) * LABEL_FONT * CHAR_WIDTH, LINE))


def _simplify(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Without repeated points and without middle points of straight runs."""
    kept: list[tuple[float, float]] = []
    for point in points:
        if kept and abs(kept[-1][0] - point[0]) < 0.05 and abs(kept[-1][1] - point[1]) < 0.05:
            continue
        if len(kept) >= 2 and ((kept[-2][0] == kept[-1][0] == point[0]) or (kept[-2][1] == kept[-1][1] == point[1])):
            kept[-1] = point
            continue
        kept.append(point)
    return tuple(kept)


# -- drawing --------------------------------------------------------------------------------------------------

def draw_ladder(graph: nx.DiGraph, origin: str | None = None) -> str:
    """SVG of a graph whose nodes have title/code/grade/grade_number(/stub) and whose edges have
    kind/months/shared; ``origin`` (a node) is drawn highlighted."""
    layout = layout_ladder(graph)
    width, height = f"{layout.width:.0f}", f"{layout.height:.0f}"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ladder" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
           "<title>Career ladder</title>", "<defs>"]
    for kind, colour in KIND_TO_MARKER.items():
        out.append(f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
                   f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/>'
                   "</marker>")
    out.append("</defs>")
    out.append(f'<rect class="background" x="0" y="0" width="{width}" height="{height}" fill="#fff"/>')
    for arrow in layout.arrows:
        kind = arrow.kind if arrow.kind in KIND_TO_STYLE else "derived"
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in arrow.points)
        text = ""
        if arrow.label is not None:
            text = (f'<text x="{arrow.label.x:.1f}" y="{arrow.label.y:.1f}" font-size="{LABEL_FONT}" '
                    f'fill="#333">{_text(arrow.label.text)}</text>')
        out.append(f'<g class="step {_text(kind)}"><title>{_text(arrow.tooltip)}</title>'
                   f'<polyline points="{points}" fill="none" {KIND_TO_STYLE[kind]} '
                   f'marker-end="url(#arrow-{kind})"/>{text}</g>')
    for node in sorted(layout.boxes, key=lambda n: (layout.boxes[n].y, layout.boxes[n].x)):
        box = layout.boxes[node]
        data = graph.nodes[node]
        title = _title(graph, node)
        detail = " \u00b7 ".join(str(part) for part in (data.get("code"), data.get("grade"),
                                                       "named only" if data.get("stub") else None) if part)
        limit = _chars(box.width - 16, TITLE_FONT)
        lines = textwrap.wrap(title, limit) or [""]
        if len(lines) > 2:
            lines = [lines[0], _shorten(" ".join(lines[1:]), limit)]
        fill, stroke = ("#dcebd9", "#2e7d32") if node == origin else ("#f4f4f4" if data.get("stub") else "#fff",
                                                                     "#333")
        texts = "".join(f'<text x="{box.x + 8:.1f}" y="{box.y + 17 + 15 * i:.1f}" font-size="{TITLE_FONT}" '
                        f'font-weight="bold">{_text(line)}</text>' for i, line in enumerate(lines))
        out.append(f'<g class="class"><title>{_text(title)}</title>'
                   f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.0f}" height="{box.height:.0f}" '
                   f'rx="6" fill="{fill}" stroke="{stroke}"/>{texts}'
                   f'<text x="{box.x + 8:.1f}" y="{box.bottom - 8:.1f}" font-size="{DETAIL_FONT}" fill="#555">'
                   f'{_text(_shorten(detail, _chars(box.width - 16, DETAIL_FONT)))}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_svg(result: LadderResult) -> str:
    """The SVG of a :class:`~rolegraph.ladders.query.LadderResult`: the classes and steps on its paths."""
    view = result.subgraph()
    import networkx as nx  # here: a build need not load networkx

    graph = nx.DiGraph()
    for node, data in view.nodes(data=True):
        graph.add_node(node, **{key: data.get(key) for key in ("title", "code", "grade", "grade_number", "stub")})
    for source, target, data in view.edges(data=True):
        step = data["step"]
        graph.add_edge(source, target, kind=step.kind, months=step.months_in_role,
                       shared=[result.skill_label(concept) for concept in step.shared_skills])
    return draw_ladder(graph, result.origin.iri)
