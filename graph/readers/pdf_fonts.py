"""PDF blocks from the fonts of the text (pdfplumber): headings by size and weight, paragraphs unwrapped as the
text path unwraps them, page furniture dropped by the same rules.

- the body size is the size most characters are set in; a line set larger is a heading, ranked by size (level 1
  the largest), and consecutive lines of one larger size (a title over two lines) are one heading;
- a short bold line at body size that does not carry on a bold paragraph is a heading of no rank (level None);
- other lines are unwrapped into paragraphs (pdf.unwrap_lines), a vertical gap of more than GAP_FACTOR line
  spacings ends a paragraph; a numbered, lettered or bulleted paragraph is an item;
- letter-spaced banners ("J O B  B U L L E T I N") are collapsed into words;
- a line inside a ruled table (pdfplumber's table finder, on pages with drawn lines) is a row of that table's
  cells, once per table row (a cell's text wrapped over lines is one cell); a bold row is a header row.

Each block's locator is its page and its line within the page ("p. 2, line 14").
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from rolegraph.model import Block, Line, Locator
from rolegraph.readers.blocks import SHORT_BLOCK_CHARS, row_block

__all__ = ["BOLD_FONT", "GAP_FACTOR", "SIZE_STEP", "FontLine", "font_lines", "font_blocks", "collapse_spaced"]

BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)  # in a font's name
SIZE_STEP = 0.5  # points: sizes closer than this are one size
GAP_FACTOR = 1.3  # a gap above a line of more than this many typical line spacings starts a new paragraph
# (within a paragraph the spacing is regular; word processors add a third to a whole line between paragraphs)
MAX_HEADING_LINES = 3  # a heading set large runs over at most this many lines
UNWRAP_SHARE = 0.75  # a bold line shorter than this share of the text width may be a heading
LABEL_SHAPE = re.compile(r"^\s*[A-Za-z][^:/]{0,39}:\s+\S")  # "Class Code: 4304"
SPACED_WORD_GAP = 1.8  # in a letter-spaced line, a gap this many times the letter gap separates words
BULLET_MARK = re.compile(r"^\s*[-*\u2022\u25cf\u25aa\u00b7]\s+")  # a list item's own bullet, dropped from its text


@dataclass(frozen=True, slots=True)
class FontLine:
    """One text line of a page with the size and weight most of its characters are set in."""

    page: int  # 1-based
    line: int  # 1-based within the page
    text: str
    size: float
    bold: bool
    top: float
    bottom: float
    cells: tuple[str, ...] = ()  # a ruled table's row the line lies in: its cells (the row's first line only)
    in_row: bool = False  # the line lies in a ruled table's row (its cells on the row's first line)


def collapse_spaced(text: str, gaps: list[float] | None = None) -> str:
    """A letter-spaced line's words ("J O B  B U L L E T I N" -> "JOB BULLETIN"); other lines as they are.

    ``gaps`` are the gaps before each character after the first (from the page); without them, two or more spaces
    separate words.

    >>> collapse_spaced("J O B  B U L L E T I N")
    'JOB BULLETIN'
    >>> collapse_spaced("Class Code 4304")
    'Class Code 4304'
    """
    tokens = text.split()
    if len(tokens) < 4 or any(len(token) > 1 for token in tokens):
        return text
    if gaps is None or len(gaps) != len(text.replace(" ", "")) - 1:
        return " ".join(word.replace(" ", "") for word in re.split(r"\s{2,}", text.strip()))
    letters = text.replace(" ", "")
    step = statistics.median(gaps) if gaps else 0
    words, current = [], letters[0]
    for letter, gap in zip(letters[1:], gaps, strict=True):
        if step > 0 and gap > SPACED_WORD_GAP * step:
            words.append(current)
            current = ""
        current += letter
    words.append(current)
    return " ".join(words)


def font_lines(data: bytes) -> list[list[FontLine]]:
    """The text lines of every page, with their fonts. Raises what pdfplumber raises on a broken PDF."""
    import pdfplumber  # imported here: only PDFs need it, and it takes a while to import

    pages: list[list[FontLine]] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            lines = []
            rows = _table_rows(page) if page.lines or page.rects else []
            seen_rows: set[int] = set()
            for index, found in enumerate(page.extract_text_lines(return_chars=True), start=1):
                chars = [char for char in found["chars"] if char["text"].strip()]
                if not chars:
                    continue
                size = Counter(round(char["size"] / SIZE_STEP) * SIZE_STEP for char in chars).most_common(1)[0][0]
                bold = sum(bool(BOLD_FONT.search(char["fontname"])) for char in chars) * 2 > len(chars)
                gaps = [right["x0"] - left["x1"] for left, right in zip(chars, chars[1:], strict=False)]
                middle = (found["top"] + found["bottom"]) / 2
                row = next((at for at, (top, bottom, _) in enumerate(rows) if top <= middle <= bottom), None)
                cells = rows[row][2] if row is not None and row not in seen_rows else ()
                if row is not None:
                    seen_rows.add(row)
                lines.append(FontLine(number, index, collapse_spaced(found["text"], gaps), size, bold,
                                      found["top"], found["bottom"], cells, row is not None))
            pages.append(lines)
    return pages


def _table_rows(page: object) -> list[tuple[float, float, tuple[str, ...]]]:
    """The rows of the ruled tables of a page: (top, bottom, cells), top to bottom. A table is one whose every
    row has text in two cells or more (a ruled box around paragraphs is no table); columns empty throughout are
    dropped."""
    rows = []
    for table in page.find_tables():  # type: ignore[attr-defined]
        texts = [tuple(" ".join((cell or "").split()) for cell in cells) for cells in table.extract()]
        if not texts or any(sum(bool(cell) for cell in cells) < 2 for cells in texts):
            continue
        used = [column for column in range(max(map(len, texts))) if any(
            column < len(cells) and cells[column] for cells in texts)]
        for row, cells in zip(table.rows, texts, strict=False):
            rows.append((row.bbox[1], row.bbox[3], tuple(cells[column] if column < len(cells) else ""
                                                        for column in used)))
    return sorted(rows)


def font_blocks(pages: list[list[FontLine]], keep: set[tuple[int, int]] | None = None) -> tuple[Block, ...]:
    """Blocks of the lines (only those whose (page, line) is in ``keep``, when given: furniture left out)."""
    from rolegraph.readers.pdf import KEEP_BREAK_BEFORE, UNWRAP_MIN_CHARS, WIDTH_PERCENTILE, unwrap_lines

    lines = [line for page in pages for line in page if keep is None or (line.page, line.line) in keep]
    if not lines:
        return ()
    sizes: dict[int, Counter[float]] = {}
    for line in (line for page in pages for line in page):  # furniture counted too: the page's type is its body
        sizes.setdefault(line.page, Counter())[line.size] += len(line.text)
    page_body = {page: counter.most_common(1)[0][0] for page, counter in sizes.items()}  # pages differ at times
    spacings = [below.top - above.top for above, below in zip(lines, lines[1:], strict=False)
                if below.page == above.page and above.size == below.size == page_body[above.page]
                and below.top > above.top]
    spacing = statistics.median(spacings) if spacings else 1.2 * max(page_body.values())
    lengths = sorted(len(line.text) for line in lines if len(line.text) >= UNWRAP_MIN_CHARS)
    width = lengths[int(WIDTH_PERCENTILE * (len(lengths) - 1))] if lengths else 0

    def is_item(text: str) -> bool:
        return any(pattern.match(text) for pattern in KEEP_BREAK_BEFORE[:2])

    # Runs of consecutive lines of one larger size, each at most MAX_HEADING_LINES long and short: headings.
    runs: list[list[int]] = []
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else None
        larger = line.size >= page_body[line.page] + SIZE_STEP
        joined = (previous is not None and previous.page == line.page and previous.size == line.size
                  and line.top - previous.bottom < line.size
                  and not (larger and (LABEL_SHAPE.match(line.text) or LABEL_SHAPE.match(previous.text))))
        if joined and runs:
            runs[-1].append(index)
        else:
            runs.append([index])
    heading_of: dict[int, list[int]] = {}
    for run_lines in runs:
        first = lines[run_lines[0]]
        text = " ".join(lines[index].text.strip() for index in run_lines)
        if (first.size >= page_body[first.page] + SIZE_STEP and len(run_lines) <= MAX_HEADING_LINES
                and len(text) <= SHORT_BLOCK_CHARS):
            heading_of[run_lines[0]] = run_lines
    rank = {size: number for number, size in
            enumerate(sorted({lines[first].size for first in heading_of}, reverse=True), start=1)}

    blocks: list[Block] = []
    pending: list[Line] = []  # body lines waiting to be unwrapped, numbered by their index in ``lines``

    def flush() -> None:
        for unwrapped in unwrap_lines(pending, lambda _number: width):
            text = unwrapped.text.strip()
            if text:
                source = lines[unwrapped.number]
                bold = source.bold and len(text) <= SHORT_BLOCK_CHARS
                kind = "item" if is_item(text) else "paragraph"
                if kind == "item":  # a bullet is what the kind says: the rendered line marks it ("- - x" else)
                    text = BULLET_MARK.sub("", text, count=1) or text
                blocks.append(Block(kind, text, Locator(source.line, page=source.page), bold=bold))
        pending.clear()

    skip: set[int] = set()
    for index, line in enumerate(lines):
        if index in skip:
            continue
        previous = lines[index - 1] if index else None
        where = Locator(line.line, page=line.page)
        if line.in_row:
            flush()
            block = row_block(line.cells, where, header=line.bold) if line.cells else None
            if block is not None:
                blocks.append(block)
        elif index in heading_of:
            flush()
            members = heading_of[index]
            skip.update(members)
            text = " ".join(lines[member].text.strip() for member in members)
            bold = all(lines[member].bold for member in members)
            if LABEL_SHAPE.match(text):
                blocks.append(Block("label", text, where, bold=bold))
            else:
                blocks.append(Block("heading", text, where, level=rank[line.size], bold=bold))
        elif (line.bold and len(line.text.strip()) < UNWRAP_SHARE * width and not is_item(line.text)
              and not (pending and previous is not None and previous.bold and previous.page == line.page
                       and len(previous.text.strip()) >= UNWRAP_SHARE * width)):  # not a bold paragraph's end
            flush()
            kind = "label" if LABEL_SHAPE.match(line.text) and not line.text.strip().endswith(":") else "heading"
            blocks.append(Block(kind, line.text.strip(), where, bold=True))
        else:
            if pending and previous is not None and previous.page == line.page and (
                    line.top - previous.top > GAP_FACTOR * spacing):
                pending.append(Line(-1, ""))  # a paragraph break unwrap_lines keeps
            pending.append(Line(index, line.text))
    flush()
    return tuple(blocks)
