"""Plain text and Markdown: decode (detecting the encoding), normalize line ends, unwrap Markdown syntax."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from charset_normalizer import from_bytes

from rolegraph.errors import SourceError
from rolegraph.model import Block, Line, Locator, SourceDocument
from rolegraph.readers.blocks import SHORT_BLOCK_CHARS, label_text, row_block
from rolegraph.readers.furniture import drop_furniture

__all__ = ["decode_bytes", "split_lines", "unwrap_markdown", "markdown_blocks", "text_blocks", "read_text_source"]

BOM_TO_ENCODING: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

# Detection looks among these first: job specifications come from Western word processors, and with only a
# few non-ASCII bytes an unconstrained detector tends to pick a CJK code page. Others are tried after.
WESTERN_ENCODINGS = ("cp1252", "latin_1", "iso8859_15", "mac_roman", "cp850")

# Share of characters that may be control characters (other than tab and line ends) in real text.
MAX_CONTROL_SHARE = 0.01
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # C0 controls but tab, LF, form feed, CR

# Markdown syntax -> replacement, applied per line in order. The text is kept; only the markup goes.
MARKDOWN_TO_PLAIN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s{0,3}(?:-{3,}|\*{3,}|_{3,})\s*$"), ""),  # horizontal rule
    (re.compile(r"^\s{0,3}#{1,6}\s+"), ""),  # ATX heading marker
    (re.compile(r"\*\*(.+?)\*\*"), r"\1"),  # bold
    (re.compile(r"__(.+?)__"), r"\1"),
    (re.compile(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?![\w*])"), r"\1"),  # italic
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!])"), r"\1"),  # backslash escapes
    (re.compile(r"\s+$"), ""),  # trailing spaces (Markdown hard breaks)
)
# Markdown syntax that shows a file is Markdown, each with the mark it contains: text without the mark is not
# searched for it (one search per sign present, not one joined search tried at every position).
MARKDOWN_SIGNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("#", re.compile(r"^\s{0,3}#{1,6}\s", re.MULTILINE)),  # ATX heading
    ("**", re.compile(r"\*\*[^*]+\*\*")),  # bold
    ("---", re.compile(r"^\s{0,3}-{3,}\s*$", re.MULTILINE)),  # horizontal rule
)

# Markdown blocks (the lines stay as they are; these give the parser the structure too).
MARKDOWN_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
MARKDOWN_ITEM = re.compile(r"^\s*(?:[-*+]\s+(?P<bullet>.*)|(?P<numbered>\d{1,3}[.)]\s+.*))$")
MARKDOWN_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
MARKDOWN_ROW_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
MARKDOWN_BOLD_LEAD = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)(.*)$")

# Plain text: a bullet mark opening a line (the mark is not the item's text, as in HTML and Word lists), and a
# line that is a label and its short value ("Class Code:       9206").
TEXT_BULLET = re.compile(r"^\s*[-*\u2022\u25cf\u25aa\u00b7]\s+(?=\S)")
TEXT_LABEL = re.compile(r"^\s*([A-Za-z][^:]{0,59}:)\s*(\S.*)$")


def decode_bytes(path: Path, data: bytes) -> str:
    """Return ``data`` as text: a BOM wins, then strict UTF-8, then the detected encoding.

    >>> decode_bytes(Path("x.txt"), "résumé".encode("cp1252"))
    'résumé'
    """
    for bom, encoding in BOM_TO_ENCODING:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise SourceError(path, f"invalid {encoding} after its byte-order mark: {error.reason}") from None
    if b"\x00" in data:
        raise SourceError(path, "binary file (contains NUL bytes), not a job specification")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=list(WESTERN_ENCODINGS)).best() or from_bytes(data).best()
    if best is None:
        raise SourceError(path, "cannot decode: no text encoding fits these bytes")
    return str(best)


def split_lines(text: str) -> list[str]:
    """Split on CRLF, bare CR and LF only (not on form feeds or Unicode separators), as editors number lines.

    >>> split_lines("a\\r\\nb\\rc\\nd")
    ['a', 'b', 'c', 'd']
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def unwrap_markdown(line: str) -> str:
    """Return a Markdown line as plain text.

    >>> unwrap_markdown("### **GENERAL SUMMARY:**")
    'GENERAL SUMMARY:'
    >>> unwrap_markdown("*Effective Date: July 2000*")
    'Effective Date: July 2000'
    """
    for pattern, replacement in MARKDOWN_TO_PLAIN:
        line = pattern.sub(replacement, line)
    return line


def markdown_blocks(raw: list[str]) -> tuple[Block, ...]:
    """Headings (with their level), list items, table rows, labels and paragraphs of Markdown lines.

    >>> raw = ["# Clerk", "", "## Duties", "- Files", "**Code:** 1368", "", "Text", "wrapped", "", "| A | B |",
    ...        "|---|---|"]
    >>> [(block.kind, block.text, block.level, str(block.where)) for block in markdown_blocks(raw)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('heading', 'Clerk', 1, '1'), ('heading', 'Duties', 2, '3'), ('item', 'Files', None, '4'),
     ('label', 'Code: 1368', None, '5'), ('paragraph', 'Text\\nwrapped', None, '7'), ('row', 'A | B', None, '10')]
    """
    blocks: list[Block] = []
    paragraph: list[tuple[int, str]] = []

    def flush() -> None:
        if paragraph:
            blocks.append(_markdown_paragraph(paragraph))
            paragraph.clear()

    for index, line in enumerate(raw):
        number = index + 1
        heading = MARKDOWN_HEADING.match(line)
        item = MARKDOWN_ITEM.match(line) if not heading else None
        row = MARKDOWN_ROW.match(line) if not heading and not item else None
        if heading or item or row or not line.strip() or MARKDOWN_TO_PLAIN[0][0].match(line):
            flush()
        if heading:
            blocks.append(Block("heading", unwrap_markdown(heading.group(2)), Locator(number),
                                level=len(heading.group(1))))
        elif item:
            text = unwrap_markdown(item.group("bullet") if item.group("bullet") is not None else item.group("numbered"))
            blocks.append(Block("item", text.strip(), Locator(number)))
        elif row:
            if MARKDOWN_ROW_RULE.match(line):
                continue
            header = index + 1 < len(raw) and bool(MARKDOWN_ROW_RULE.match(raw[index + 1]))
            block = row_block([unwrap_markdown(cell) for cell in row.group(1).split("|")], Locator(number), header)
            if block is not None:
                blocks.append(block)
        elif line.strip() and not MARKDOWN_TO_PLAIN[0][0].match(line):
            paragraph.append((number, line))
    flush()
    return tuple(blocks)


def _markdown_paragraph(lines: list[tuple[int, str]]) -> Block:
    where = Locator(lines[0][0])
    text = "\n".join(unwrap_markdown(line).strip() for _number, line in lines)
    lead = MARKDOWN_BOLD_LEAD.match(lines[0][1]) if len(lines) == 1 else None
    if lead:
        if not lead.group(2).strip() and len(text) <= SHORT_BLOCK_CHARS:
            return Block("paragraph", text, where, bold=True)
        label = label_text(lead.group(1), unwrap_markdown(lead.group(2)))
        if label is not None:
            return Block("label", label, where)
    return Block("paragraph", text, where)


def text_blocks(lines: Sequence[Line], headings: Mapping[int, int | None] | None = None) -> tuple[Block, ...]:
    """Blocks of plain-text lines: a line in ``headings`` (line number -> level) is a heading; other runs of
    non-blank lines are unwrapped as a PDF's lines are (readers/pdf.py ``unwrap_lines``, at the text's own width)
    into paragraphs, a numbered or bulleted one an item, a short "Label: value" line a label.

    Plain text carries no headings of its own: which lines are headings is the parser's to say (its sections).

    >>> lines = [Line(1, "Summary"), Line(2, ""), Line(3, "Class Code:    1368"), Line(4, "- Files"),
    ...          Line(5, "1. Sorts")]
    >>> [(block.kind, block.text, block.level, str(block.where)) for block in text_blocks(lines, {1: 2})]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('heading', 'Summary', 2, '1'), ('label', 'Class Code: 1368', None, '3'), ('item', 'Files', None, '4'),
     ('item', '1. Sorts', None, '5')]
    """
    from rolegraph.readers.pdf import KEEP_BREAK_BEFORE, UNWRAP_MIN_CHARS, WIDTH_PERCENTILE, unwrap_lines

    headings = headings or {}
    lengths = sorted(len(line.text.strip()) for line in lines if len(line.text.strip()) >= UNWRAP_MIN_CHARS)
    width = lengths[int(WIDTH_PERCENTILE * (len(lengths) - 1))] if lengths else 0
    blocks: list[Block] = []
    run: list[Line] = []

    def flush() -> None:
        for line in unwrap_lines(run, lambda _number: width):
            text = " ".join(line.text.split())
            where = Locator(line.number)
            bullet = TEXT_BULLET.match(text)
            label = TEXT_LABEL.match(text)
            if bullet or KEEP_BREAK_BEFORE[0].match(text):  # a bulleted item, or a numbered one
                blocks.append(Block("item", text[bullet.end():] if bullet else text, where))
            elif label and label_text(label.group(1), label.group(2)) is not None:
                blocks.append(Block("label", f"{label.group(1)} {label.group(2)}", where))
            else:
                blocks.append(Block("paragraph", text, where))
        run.clear()

    for line in lines:
        if line.number in headings and line.text.strip():
            flush()
            blocks.append(Block("heading", " ".join(line.text.split()), Locator(line.number),
                                level=headings[line.number]))
        elif line.text.strip():
            run.append(line)
        else:
            flush()
    flush()
    return tuple(blocks)


def _check_is_text(path: Path, text: str) -> None:
    controls = len(CONTROL_CHARACTER.findall(text))
    if text and controls / len(text) > MAX_CONTROL_SHARE:
        raise SourceError(path, "binary file (too many control characters), not a job specification")


def read_text_source(path: Path, data: bytes, sha256: str) -> SourceDocument:
    """Read plain text or Markdown (detected from its syntax, whatever the suffix)."""
    text = decode_bytes(path, data)
    _check_is_text(path, text)
    raw = split_lines(text)
    is_markdown = path.suffix.lower() in {".md", ".markdown"} or (
        any(mark in text and pattern.search(text) is not None for mark, pattern in MARKDOWN_SIGNS))
    blocks: tuple[Block, ...] = ()
    if is_markdown:
        blocks = markdown_blocks(raw)
        raw = [unwrap_markdown(line) for line in raw]
    lines = [Line(number, line.replace("\f", "").rstrip()) for number, line in enumerate(raw, start=1)]
    if not any(line.text.strip() for line in lines):
        raise SourceError(path, "no text (only white space and markup)")
    return SourceDocument(
        path=path,
        sha256=sha256,
        media_type="text/markdown" if is_markdown else "text/plain",
        lines=drop_furniture(lines),
        blocks=blocks,
    )
