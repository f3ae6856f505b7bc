"""Write a :class:`~rolegraph.ladders.query.LadderResult` as text, JSON, Graphviz DOT, GraphML or SVG. Pure.

``FORMAT_TO_WRITER`` maps a format name to a function ``(result) -> str``.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Callable
from decimal import Decimal

from rolegraph.ladders.derive import Step
from rolegraph.ladders.query import LadderPath, LadderResult
from rolegraph.ladders.svg import render_svg

__all__ = ["FORMAT_TO_WRITER", "render_text", "render_json", "render_dot", "render_graphml", "render_svg"]

WIDTH = 100


def _months(value: Decimal | None) -> str:
    if value is None:
        return "?"
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def _class_line(result: LadderResult, iri: str) -> str:
    node = result.node(iri)
    grade = f"grade {node['grade']}" if node.get("grade") else None
    details = ", ".join(str(part) for part in (grade, node.get("jurisdiction")) if part)
    stub = " [named only, not specified]" if node.get("stub") else ""
    return f"{node.get('label') or iri}" + (f" ({details})" if details else "") + stub


def _wrapped(label: str, text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=f"{indent}{label}", subsequent_indent=indent + "    ",
                         break_long_words=False, break_on_hyphens=False)


ACTIVITIES_SHOWN = 6  # of a step's activities still to learn, in the text (all are in --format json)


def _still_missing(path: LadderPath) -> str:
    """What a path leaves to learn, in words.

    >>> _still_missing(LadderPath(("a", "b"), (), None, ("k",), ("assign work", "review work")))
    '1 skill and 2 activities still missing'
    """
    skills, activities = len(path.missing_skills), len(path.missing_activities)
    return (f"{skills} skill{'s' if skills != 1 else ''} and {activities} "
            f"activit{'ies' if activities != 1 else 'y'} still missing")


def _step_lines(result: LadderResult, step: Step, indent: str = "    ") -> list[str]:
    lines = [f"{indent[:-2]}- {step.kind}: {result.label(step.source)} -> {result.label(step.target)}"
             f"  (score {step.score:.2f})"]
    if step.months_required is not None:
        text = f"needs {_months(step.months_required)}" + (f" of {step.required_field}" if step.required_field else "")
        if step.months_on_entry:
            text += f"; {_months(step.months_on_entry)} brought on entry"
        if step.months_in_role is not None:
            text += f"; {_months(step.months_in_role)} still to gain as {result.node(step.source).get('title')}"
        lines.extend(_wrapped("months: ", text, indent))
    if step.explanation:
        lines.extend(_wrapped("why: ", step.explanation.split(". sources: ")[0].rstrip(".") + ".", indent))
    if step.shared_skills:
        lines.extend(_wrapped("shared skills: ", "; ".join(result.skill_label(c) for c in step.shared_skills),
                              indent))
    if step.missing_skills:
        lines.extend(_wrapped("missing skills: ", "; ".join(result.skill_label(c) for c in step.missing_skills),
                              indent))
    if step.missing_activities:
        shown = "; ".join(step.missing_activities[:ACTIVITIES_SHOWN])
        more = len(step.missing_activities) - ACTIVITIES_SHOWN
        lines.extend(_wrapped("still to learn: ", shown + (f"; and {more} more" if more > 0 else ""), indent))
    if step.sources:
        lines.extend(_wrapped("sources: ", ", ".join(step.sources), indent))
    return lines


def render_text(result: LadderResult) -> str:
    """A readable ladder: the paths, then every step on them explained once."""
    lines = [_class_line(result, result.origin.iri)]
    goal = f" to {result.label(result.target.iri)}" if result.target else ""
    lines.append(f"Promotion paths{goal}, up to {result.max_steps} step{'s' if result.max_steps != 1 else ''}: "
                 f"{len(result.paths)}")
    if not result.paths:
        lines.append("  none found" + (" (no promotion steps lead there)" if result.target else
                                       " (no promotion steps start here)"))
    for number, path in enumerate(result.paths, start=1):
        chain = " -> ".join(result.label(iri) for iri in path.classes)
        lines.extend(textwrap.wrap(f"{number}. {chain}", WIDTH, subsequent_indent="     "))
        months = "months unknown" if path.months_to_gain is None else f"{_months(path.months_to_gain)} months to gain"
        lines.append(f"   {len(path.steps)} step{'s' if len(path.steps) != 1 else ''}, {months}, "
                     f"score {path.score:.2f}, {_still_missing(path)} at the end")
    seen: set[tuple[str, str]] = set()
    steps = [step for path in result.paths for step in path.steps
             if (step.source, step.target) not in seen and not seen.add((step.source, step.target))]
    if steps:
        lines += ["", "Steps:"]
        for step in steps:
            lines.extend(_step_lines(result, step))
    if result.lateral:
        lines += ["", "Lateral moves (equal grade, not promotions):"]
        for step in result.lateral:
            lines.extend(_step_lines(result, step))
    if result.comparable:
        lines += ["", "Comparable classes of other employers (never promotion steps):"]
        lines.extend(f"  - {_class_line(result, iri)}  score {score:.2f}" for iri, score in result.comparable)
    return "\n".join(lines) + "\n"


def render_json(result: LadderResult) -> str:
    """``result.to_dict()`` as indented JSON."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_dot(result: LadderResult) -> str:
    """Graphviz DOT of the classes and steps on the paths (bottom to top)."""
    view = result.subgraph()
    lines = ["digraph ladder {", "  rankdir=BT;", "  node [shape=box];"]
    for node, data in view.nodes(data=True):
        label = "\n".join(str(part) for part in (data.get("title"), data.get("code"), data.get("grade")) if part)
        lines.append(f"  {_dot_quote(node)} [label={_dot_quote(label)}];")
    for source, target, data in view.edges(data=True):
        step: Step = data["step"]
        label = f"{step.kind}\n{_months(step.months_in_role)} months\n{len(step.shared_skills)} shared skills"
        style = ", style=dashed" if step.kind == "lateral" else ""
        lines.append(f"  {_dot_quote(source)} -> {_dot_quote(target)} [label={_dot_quote(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_graphml(result: LadderResult) -> str:
    """GraphML of the classes and steps on the paths (scalar attributes only)."""
    view = result.subgraph()
    import networkx as nx  # here: a build need not load networkx

    graph = nx.DiGraph()
    for node, data in view.nodes(data=True):
        graph.add_node(node, **{key: str(data.get(key) or "") for key in ("title", "code", "grade", "jurisdiction")})
    for source, target, data in view.edges(data=True):
        step: Step = data["step"]
        graph.add_edge(source, target, kind=step.kind, score=float(step.score),
                       months_required=_months(step.months_required), months_in_role=_months(step.months_in_role),
                       shared_skills="; ".join(result.skill_label(c) for c in step.shared_skills),
                       missing_skills="; ".join(result.skill_label(c) for c in step.missing_skills),
                       explanation=step.explanation)
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")


FORMAT_TO_WRITER: dict[str, Callable[[LadderResult], str]] = {
    "text": render_text, "json": render_json, "dot": render_dot, "graphml": render_graphml, "svg": render_svg,
}
