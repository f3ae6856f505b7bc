"""Draw a ladder as SVG: grades bottom to top, classes as boxes, steps as arrows labelled with the months
still to gain and the shared skills. Pure (a string out); every piece of text is escaped, so a title such
as ``<script>alert(1)</script>`` stays text.

>>> import networkx as nx
>>> graph = nx.DiGraph()
>>> graph.add_node("a", title="<script>alert(1)</script>", code="1", grade="GS 1", grade_number=1)
>>> graph.add_node("b", title="Senior", code="2", grade="GS 2", grade_number=2)
>>> graph.add_edge("a", "b", kind="derived", months=24, shared=["spelling"])
>>> svg = draw_ladder(graph)
>>> "<script>" in svg, "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
(False, True)
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:  # only for the annotations: svg stays a leaf module, and a build need not load networkx
    import networkx as nx

    from rolegraph.ladders.query import LadderResult

__all__ = ["render_svg", "draw_ladder"]

BOX_WIDTH, BOX_HEIGHT, GAP_X, GAP_Y, MARGIN = 230, 54, 60, 90, 24
LABEL_ROOM = 300  # right of the boxes, so the label of an arrow between stacked boxes is not cut off
TITLE_CHARS = 32
KIND_TO_STYLE = {"explicit": "stroke:#1f5f99;stroke-width:2", "derived": "stroke:#2e7d32;stroke-width:2",
                 "lateral": "stroke:#777;stroke-width:1.5;stroke-dasharray:6 4"}


def _text(value: Any) -> str:
    return escape(str(value))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _months(value: Any) -> str:
    if value is None:
        return "months unknown"
    if isinstance(value, Decimal):
        value = format(value.normalize(), "f") if value == value.to_integral_value() else value
    return f"{value} months to gain"


def _levels(graph: nx.DiGraph) -> dict[str, float]:
    """A height per class: its grade number; a class without one sits just below what it leads to."""
    level: dict[str, float] = {n: float(graph.nodes[n]["grade_number"]) for n in graph
                               if graph.nodes[n].get("grade_number") is not None}
    import networkx as nx  # here: a build need not load networkx

    for node in reversed(list(nx.topological_sort(graph)) if nx.is_directed_acyclic_graph(graph) else graph):
        if node not in level:
            above = [level[s] for s in graph.successors(node) if s in level]
            level[node] = min(above) - 0.5 if above else 0.0
    return level


def draw_ladder(graph: nx.DiGraph) -> str:
    """SVG of a graph whose nodes have title/code/grade/grade_number and whose edges have kind/months/shared."""
    level = _levels(graph)
    rows: dict[float, list[str]] = defaultdict(list)
    for node in sorted(graph, key=lambda n: (level[n], str(graph.nodes[n].get("title", n)))):
        rows[level[node]].append(node)
    heights = sorted(rows, reverse=True)  # highest grade first: top of the drawing
    columns = max((len(row) for row in rows.values()), default=1)
    boxes_width = MARGIN * 2 + columns * BOX_WIDTH + (columns - 1) * GAP_X
    width = boxes_width + (LABEL_ROOM if graph.number_of_edges() else 0)
    height = MARGIN * 2 + len(heights) * BOX_HEIGHT + max(len(heights) - 1, 0) * GAP_Y
    position: dict[str, tuple[float, float]] = {}
    for row_index, key in enumerate(heights):
        row = rows[key]
        offset = (boxes_width - len(row) * BOX_WIDTH - (len(row) - 1) * GAP_X) / 2
        for column, node in enumerate(row):
            position[node] = (offset + column * (BOX_WIDTH + GAP_X), MARGIN + row_index * (BOX_HEIGHT + GAP_Y))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" font-family="sans-serif" font-size="12">',
           "<title>Career ladder</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>']
    for source, target, data in sorted(graph.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        (x1, y1), (x2, y2) = position[source], position[target]
        same_row = abs(y1 - y2) < 1
        start = (x1 + BOX_WIDTH, y1 + BOX_HEIGHT / 2) if same_row else (x1 + BOX_WIDTH / 2, y1)
        end = (x2, y2 + BOX_HEIGHT / 2) if same_row else (x2 + BOX_WIDTH / 2, y2 + BOX_HEIGHT)
        if same_row and x2 < x1:
            start, end = (x1, y1 + BOX_HEIGHT / 2), (x2 + BOX_WIDTH, y2 + BOX_HEIGHT / 2)
        kind = str(data.get("kind", "derived"))
        shared = [str(skill) for skill in data.get("shared", ())]
        label = f"{kind}: {_months(data.get('months'))}"
        skills = (f"{len(shared)} shared: " + ", ".join(_shorten(s, 24) for s in shared[:2])
                  + (", \u2026" if len(shared) > 2 else "")) if shared else "no shared skills listed"
        tooltip = f"{label}; shared skills: {'; '.join(shared) or 'none'}"
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        out.append(f'<g class="step {_text(kind)}"><title>{_text(tooltip)}</title>'
                   f'<line x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" y2="{end[1]:.1f}" '
                   f'style={quoteattr(KIND_TO_STYLE.get(kind, KIND_TO_STYLE["derived"]))} '
                   'marker-end="url(#arrow)"/>'
                   f'<text x="{middle[0] + 6:.1f}" y="{middle[1] - 4:.1f}" fill="#222">{_text(label)}</text>'
                   f'<text x="{middle[0] + 6:.1f}" y="{middle[1] + 11:.1f}" fill="#555">{_text(skills)}</text></g>')
    for node in sorted(position):
        x, y = position[node]
        data = graph.nodes[node]
        title = str(data.get("title") or node)
        detail = " \u00b7 ".join(str(part) for part in (data.get("code"), data.get("grade"),
                                                       "named only" if data.get("stub") else None) if part)
        out.append(f'<g class="class"><title>{_text(title)}</title>'
                   f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="6" '
                   f'fill="{"#f4f4f4" if data.get("stub") else "#fff"}" stroke="#333"/>'
                   f'<text x="{x + 10:.1f}" y="{y + 21:.1f}" font-weight="bold">'
                   f'{_text(_shorten(title, TITLE_CHARS))}</text>'
                   f'<text x="{x + 10:.1f}" y="{y + 40:.1f}" fill="#555">{_text(detail)}</text></g>')
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
    return draw_ladder(graph)
