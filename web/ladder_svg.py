"""A ladder as an SVG picture: grades bottom to top, classes as boxes, steps as labelled arrows. Pure.

Every text goes through XML escaping; styling is by presentation attributes only (no style attributes), so
the picture works inline or as an image, under a strict Content-Security-Policy and with no JavaScript.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Box", "Arrow", "render_ladder_svg"]

BOX_WIDTH, BOX_HEIGHT = 230, 62
COLUMN_GAP, ROW_GAP, MARGIN = 60, 120, 30
LABEL_ROOM = 270  # right of the boxes, for the labels of the rightmost arrows
WRAP = 30  # characters per title line


@dataclass(frozen=True)
class Box:
    """A job class on the picture; ``level`` orders rows (a grade number, or steps from the start)."""

    key: str
    title: str
    code: str | None
    grade: str
    level: float
    href: str = ""
    highlight: bool = False


@dataclass(frozen=True)
class Arrow:
    """A promotion step from one box to another, labelled (months) with a few shared skills."""

    source: str
    target: str
    label: str
    skills: list[str] = field(default_factory=list)


def _layout(boxes: list[Box]) -> tuple[dict[str, tuple[float, float]], float, float]:
    rows: dict[float, list[Box]] = defaultdict(list)
    for box in boxes:
        rows[box.level].append(box)
    levels = sorted(rows)  # lowest first: drawn at the bottom
    widest = max((len(row) for row in rows.values()), default=1)
    width = 2 * MARGIN + widest * BOX_WIDTH + (widest - 1) * COLUMN_GAP + LABEL_ROOM
    height = 2 * MARGIN + len(levels) * BOX_HEIGHT + max(0, len(levels) - 1) * ROW_GAP
    places: dict[str, tuple[float, float]] = {}
    for index, level in enumerate(levels):
        row = sorted(rows[level], key=lambda box: box.title)
        row_width = len(row) * BOX_WIDTH + (len(row) - 1) * COLUMN_GAP + LABEL_ROOM
        y = height - MARGIN - BOX_HEIGHT - index * (BOX_HEIGHT + ROW_GAP)
        for column, box in enumerate(row):
            places[box.key] = ((width - row_width) / 2 + column * (BOX_WIDTH + COLUMN_GAP), y)
    return places, width, height


FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'
TEXT_LOOK = {  # presentation attributes per kind of text
    "box-title": f'{FONT} font-size="13" font-weight="600" fill="#1d2430"',
    "box-grade": f'{FONT} font-size="11" fill="#5b6575"',
    "step-label": f'{FONT} font-size="12" font-weight="600" fill="#1d2430"',
    "step-skill": f'{FONT} font-size="11" fill="#1e7a3c"',
}
BOX_LOOK = 'fill="#eef4fb" stroke="#1f5fa8" stroke-width="1.5"'
START_LOOK = 'fill="#dcebd9" stroke="#1e7a3c" stroke-width="2.5"'


def _text(x: float, y: float, text: str, css: str, anchor: str = "middle") -> str:
    return (f'<text x="{x:.0f}" y="{y:.0f}" class="{css}" {TEXT_LOOK[css]} text-anchor="{anchor}">'
            f"{escape(text)}</text>")


def render_ladder_svg(boxes: list[Box], arrows: list[Arrow], title: str = "Career ladder") -> str:
    """Return an SVG document (a string) drawing ``boxes`` and the ``arrows`` between them.

    >>> svg = render_ladder_svg([Box("a", "Clerk <1>", "1", "GS 1", 1), Box("b", "Chief", "2", "GS 2", 2)],
    ...                         [Arrow("a", "b", "24 months", ["filing"])])
    >>> "Clerk &lt;1&gt;" in svg and "<1>" not in svg and "24 months" in svg
    True
    """
    places, width, height = _layout(boxes)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ladder" width="{width:.0f}" '
             f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
             f'aria-label={quoteattr(title)}>',
             f"<title>{escape(title)}</title>",
             '<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
             'markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
             'fill="#4a5568"/></marker></defs>',
             f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>']
    for arrow in arrows:
        if arrow.source not in places or arrow.target not in places:
            continue
        (x1, y1), (x2, y2) = places[arrow.source], places[arrow.target]
        start = (x1 + BOX_WIDTH / 2, y1 if y2 < y1 else y1 + BOX_HEIGHT)
        end = (x2 + BOX_WIDTH / 2, y2 + BOX_HEIGHT if y2 < y1 else y2)
        if y1 == y2:  # same row: side to side
            start, end = (x1 + BOX_WIDTH, y1 + BOX_HEIGHT / 2), (x2, y2 + BOX_HEIGHT / 2)
            if x2 < x1:
                start, end = (x1, y1 + BOX_HEIGHT / 2), (x2 + BOX_WIDTH, y2 + BOX_HEIGHT / 2)
        parts.append(f'<g class="step"><line x1="{start[0]:.0f}" y1="{start[1]:.0f}" x2="{end[0]:.0f}" '
                     f'y2="{end[1]:.0f}" stroke="#4a5568" stroke-width="1.8" marker-end="url(#arrowhead)"/>')
        mid_x, mid_y = (start[0] + end[0]) / 2 + 8, (start[1] + end[1]) / 2
        parts.append(_text(mid_x, mid_y - 4, arrow.label, "step-label", "start"))
        for number, skill in enumerate(arrow.skills):
            short = skill if len(skill) <= 40 else skill[:39] + "…"
            parts.append(_text(mid_x, mid_y + 12 + 13 * number, short, "step-skill", "start"))
        parts.append("</g>")
    for box in boxes:
        x, y = places[box.key]
        lines = textwrap.wrap(box.title, WRAP)[:2] or [""]
        if len(textwrap.wrap(box.title, WRAP)) > 2:
            lines[-1] = lines[-1][: WRAP - 1] + "…"
        look = START_LOOK if box.highlight else BOX_LOOK
        inner = [f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="6" {look}/>']
        for number, line in enumerate(lines):
            inner.append(_text(x + BOX_WIDTH / 2, y + 20 + 15 * number, line, "box-title"))
        footer = " · ".join(part for part in (box.code, box.grade) if part)
        inner.append(_text(x + BOX_WIDTH / 2, y + BOX_HEIGHT - 8, footer, "box-grade"))
        group = "".join(inner)
        if box.href:
            parts.append(f'<a href={quoteattr(box.href)}><g class="class">{group}</g></a>')
        else:
            parts.append(f'<g class="class">{group}</g>')
    parts.append("</svg>")
    return "\n".join(parts)
