"""Blocks to lines: what every structured reader (HTML, DOCX, PDF) does with the blocks it found, so the line-based
parser reads them, and the small rules the readers share (a label, a short bold block, white space).

Each block becomes one line per line of its text, numbered 1, 2, 3 ... (ordinals), with a blank line between
blocks (a paragraph boundary for the parser); ``locators[n - 1]`` is where line ``n`` is in the file.

>>> lines, locators = render_lines((Block("heading", "Duties", Locator(3), level=2),
...                                 Block("item", "Files", Locator(4)),
...                                 Block("row", "A | B", Locator(9), cells=("A", "B"))))
>>> [(line.number, line.text) for line in lines]
[(1, 'Duties'), (2, ''), (3, '- Files'), (4, ''), (5, 'A | B')]
>>> [str(locator) for locator in locators]
['3', '3', '4', '4', '9']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rolegraph.model import Block, Line, Locator

__all__ = ["ITEM_PREFIX", "CELL_SEPARATOR", "SHORT_BLOCK_CHARS", "LABEL_MAX_CHARS", "LABEL_MAX_VALUE_CHARS",
           "render_lines", "block_line_texts", "blocks_by_line", "clean_text", "row_block", "label_text"]

ITEM_PREFIX = "- "  # a list item's line starts with this (the parser's BULLET pattern knows it)
CELL_SEPARATOR = " | "  # a table row's cells joined into its line
SHORT_BLOCK_CHARS = 120  # a block at most this long, all in bold, is a heading (or a label); a longer one is text
LABEL_MAX_CHARS = 60  # a label ("Class Code:") is a bold run at most this long ending in a colon ...
LABEL_MAX_VALUE_CHARS = 80  # ... followed by a value at most this long ("1660")

NUMBERED_ITEM = re.compile(r"^\(?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)]\s")  # "1. ", "b) ", "(2) ", "iv. "
_SPACE = re.compile(r"\s+")
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # invisible: dropped from text


def clean_text(text: str) -> str:
    """Collapse white space (no-break spaces too) within each line; drop zero-width characters and lines left empty.

    >>> clean_text("  Updated:\\xa0 6/16/2016 \\n\\xa0\\n \\u200bnext ")
    'Updated: 6/16/2016\\nnext'
    """
    kept = (_SPACE.sub(" ", line.translate(ZERO_WIDTH)).strip() for line in text.split("\n"))
    return "\n".join(line for line in kept if line)


def label_text(bold_lead: str, rest: str) -> str | None:
    """"Label: value" when a block opens with a short bold run ending in a colon and a short value follows.

    >>> label_text("Class Code:", " 1660")
    'Class Code: 1660'
    >>> label_text("Knowledge of:", " Geography of California, including the location of main highways, counties, "
    ...            "and principal cities") is None
    True
    """
    label, value = clean_text(bold_lead), clean_text(rest)
    if (not label.endswith(":") or not value or "\n" in value or len(label) > LABEL_MAX_CHARS
            or len(value) > LABEL_MAX_VALUE_CHARS):
        return None
    return f"{label} {value}"


def row_block(cells: Sequence[str], where: Locator, header: bool = False) -> Block | None:
    """A table row block (None when every cell is empty)."""
    cleaned = tuple(" ".join(clean_text(cell).split("\n")) for cell in cells)
    if not any(cleaned):
        return None
    return Block("row", CELL_SEPARATOR.join(cleaned), where, cells=cleaned, header=header)


def block_line_texts(block: Block) -> list[str]:
    """The lines a block renders to: an item's first line marked, unless it carries its own number or letter.

    >>> block_line_texts(Block("item", "Files", Locator(1))), block_line_texts(Block("item", "2. Sorts", Locator(2)))
    (['- Files'], ['2. Sorts'])
    >>> block_line_texts(Block("item", "iv. Files", Locator(1)))
    ['iv. Files']
    """
    texts = block.text.split("\n")
    if block.kind == "item" and not NUMBERED_ITEM.match(texts[0]):
        texts[0] = ITEM_PREFIX + texts[0]
    return texts


def render_lines(blocks: Iterable[Block]) -> tuple[tuple[Line, ...], tuple[Locator, ...]]:
    """Lines numbered by ordinal, one per block line, a blank line between blocks; and each line's locator."""
    lines: list[Line] = []
    locators: list[Locator] = []
    for block in blocks:
        if lines:
            lines.append(Line(len(lines) + 1, ""))
            locators.append(locators[-1])
        for text in block_line_texts(block):
            lines.append(Line(len(lines) + 1, text))
            locators.append(block.where)
    return tuple(lines), tuple(locators)


def blocks_by_line(document_blocks: Sequence[Block], line_numbers: Sequence[int],
                   rendered: bool) -> dict[int, Block]:
    """The block each line of a document comes from, by line number.

    ``rendered``: the lines were made by :func:`render_lines` from these blocks (HTML, DOCX), so they are matched
    in order; otherwise (Markdown) the lines are the file's own and a block's locator names its first line.

    >>> blocks = (Block("heading", "Duties", Locator(3), level=2), Block("item", "Files\\nand more", Locator(4)))
    >>> {number: block.kind for number, block in blocks_by_line(blocks, [1, 2, 3, 4], rendered=True).items()}
    {1: 'heading', 3: 'item', 4: 'item'}
    >>> {number: block.kind for number, block in blocks_by_line(blocks, [3, 4], rendered=False).items()}
    {3: 'heading', 4: 'item'}
    """
    if not rendered:
        return {block.where.line: block for block in document_blocks}
    found: dict[int, Block] = {}
    number = 0
    for block in document_blocks:
        if number:
            number += 1  # the blank line between blocks
        for _ in block_line_texts(block):
            number += 1
            found[number] = block
    return found
