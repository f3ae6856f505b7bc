"""HTML pages (lxml): headings, paragraphs, list items, table rows and labels as blocks, each at its line in the
file. A page saved whole from a web site is cut down to its main content first.

Finding the content, in order:
1. drop what is never content: DROP_TAGS, elements with a DROP_ROLES role, hidden elements, and forms without
   paragraphs or headings (a page-wide ASP.NET form is kept: it wraps everything); but a definition list in a
   sidebar (``<aside>``, role=complementary) is the posting's facts box ("Class Code", "Salary", "Department"): it
   stays, read as content where it stands, while the sidebar's other lists (other openings) go;
2. the first ``<main>`` (or role=main), else the ``<article>`` with the most text, is the content;
3. else, from ``<body>`` down, step into the one container child that holds at least DESCEND_SHARE of the text
   outside links (and at least half the headings, when there are headings); where no child does, that element
   is the content (a readability-style cut that never drops a part of the text that matters);
4. blocks outside the content are dropped, except a page's date stamp ("Updated: 6/16/2016", the "page_stamp"
   table of furniture.toml); the page's ``<title>`` is the first block (a heading of level 0).

Markup inside text is text: nothing read here is ever interpreted again.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
from lxml import etree

from rolegraph.errors import SourceError
from rolegraph.model import Block, Locator, SourceDocument
from rolegraph.readers.blocks import SHORT_BLOCK_CHARS, clean_text, label_text, render_lines, row_block
from rolegraph.readers.furniture import furniture_patterns
from rolegraph.readers.text import BOM_TO_ENCODING, decode_bytes

__all__ = ["DROP_TAGS", "DROP_ROLES", "DESCEND_SHARE", "read_html_source", "html_blocks"]

DROP_TAGS = frozenset({"script", "style", "nav", "header", "footer", "aside", "noscript", "template", "iframe",
                       "svg", "canvas", "object", "embed", "button", "select", "textarea", "input", "label",
                       "map", "dialog"})
DROP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menu", "menubar", "complementary"})
SIDEBAR_TAGS, SIDEBAR_ROLES = frozenset({"aside"}), frozenset({"complementary"})  # a facts box's list may stay
FACTS_BOX = "data-rolegraph-facts"  # marks a sidebar's definition list kept as content
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
DESCEND_SHARE = 0.9  # step into a child holding at least this share of an element's text (outside links)
CONTAINER_TAGS = frozenset({"body", "div", "section", "article", "main", "span", "center", "font", "form"})
HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}
# Elements that start a new block; anything else is inline text of the block around it.
BLOCK_TAGS = frozenset({"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "table", "caption", "thead", "tbody",
                        "tfoot", "tr", "td", "th", "blockquote", "pre", "section", "article", "main", "address",
                        "figure", "figcaption", "hr", "center", "form", "fieldset", "legend", "details",
                        "summary", "body", *HEADING_TAGS})
BOLD_TAGS = frozenset({"strong", "b"})
LINK_TAGS = frozenset({"a"})
STAMP_MAX_CHARS = 60
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
LOST_CHARACTER = "\ufffd"  # the replacement character: a character an earlier decoding lost
LOST_BEFORE_S = re.compile(r"(?<=\w)\ufffd(?=s\b)")


def read_html_source(path: Path, data: bytes, sha256: str) -> SourceDocument:
    """Read an HTML page into blocks and the lines rendered from them."""
    blocks = html_blocks(path, decode_html(path, data))
    if not blocks:
        raise SourceError(path, "no text in the HTML page (only markup, scripts or navigation)")
    lines, locators = render_lines(blocks)
    return SourceDocument(path=path, sha256=sha256, media_type="text/html", lines=lines, blocks=blocks,
                          locators=locators)


def decode_html(path: Path, data: bytes) -> str:
    """The page as text: a BOM wins, then the ``<meta charset>`` of the page's head, then detection; characters a
    earlier save could not decode (U+FFFD in the file) mended (see mend_lost_characters).

    >>> page = '<meta charset="iso-8859-1"><p>café</p>'.encode("utf-8")  # declared Latin-1, sent UTF-8
    >>> decode_html(Path("a.html"), page)[-12:], decode_html(Path("a.html"), page[27:])
    ('<p>cafÃ©</p>', '<p>café</p>')
    """
    if not any(data.startswith(bom) for bom, _encoding in BOM_TO_ENCODING):
        declared = META_CHARSET.search(data[:4096])
        if declared:
            try:
                return mend_lost_characters(data.decode(codecs.lookup(declared.group(1).decode("ascii")).name))
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration: detect instead
    return mend_lost_characters(decode_bytes(path, data))


def mend_lost_characters(text: str) -> str:
    """A page saved after a wrong decoding holds U+FFFD where a character was lost (a Windows-1252 no-break space,
    apostrophe or dash read as UTF-8): before "s" that ends a word it was an apostrophe, elsewhere it stood between
    words, so it is a space.

    >>> mend_lost_characters("Dispatch Supervisor\ufffdII, the Department\ufffds program, (1)\ufffdone year")
    'Dispatch Supervisor II, the Department\u2019s program, (1) one year'
    """
    if LOST_CHARACTER not in text:
        return text
    return LOST_BEFORE_S.sub("\u2019", text).replace(LOST_CHARACTER, " ")


def html_blocks(path: Path, text: str) -> tuple[Block, ...]:
    """The blocks of a page's main content, its title first."""
    text = XML_DECLARATION.sub("", text.replace("\r\n", "\n").replace("\r", "\n"), count=1)
    if not text.strip():
        raise SourceError(path, "empty file")
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as error:
        raise SourceError(path, f"not a readable HTML page ({error})") from None
    title = root.find(".//title")
    blocks: list[Block] = []
    if title is not None and clean_text(title.text_content()):
        blocks.append(Block("heading", " ".join(clean_text(title.text_content()).split("\n")),
                            Locator(title.sourceline or 1), level=0))
    body = root.find("body")
    if body is None:
        return tuple(blocks)
    _drop_furniture(body)
    content = _main_content(body)
    stamps = furniture_patterns("page_stamp")
    for block, inside in _Walker(content).walk(body):
        if inside or (len(block.text) <= STAMP_MAX_CHARS and any(stamp.match(block.text) for stamp in stamps)):
            blocks.append(block)
    return tuple(blocks)


def _is_hidden(element: etree._Element) -> bool:
    return (element.get("hidden") is not None or element.get("aria-hidden") == "true"
            or bool(HIDDEN_STYLE.search(element.get("style") or "")))


def _drop_furniture(body: etree._Element) -> None:
    doomed = []
    for element in body.iter():
        if not isinstance(element.tag, str):  # a comment or processing instruction
            doomed.append(element)
        elif (element.tag in DROP_TAGS or (element.get("role") or "").strip().lower() in DROP_ROLES
              or _is_hidden(element)
              or (element.tag == "form" and next(element.iter("p", *HEADING_TAGS), None) is None)):
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None and _is_sidebar(element):
            for facts in list(element.iter("dl")):  # the facts box: moved out of the sidebar, before it
                if any(ancestor in doomed and ancestor is not element for ancestor in facts.iterancestors()):
                    continue
                facts.tail = None
                facts.set(FACTS_BOX, "")
                element.addprevious(facts)
        if element.getparent() is not None:
            element.drop_tree()  # keeps the tail text


def _is_sidebar(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and (
        element.tag in SIDEBAR_TAGS or (element.get("role") or "").strip().lower() in SIDEBAR_ROLES)


def _text_sizes(body: etree._Element) -> dict[etree._Element, int]:
    """Characters of text outside links in each element (white space not counted)."""
    sizes: dict[etree._Element, int] = {}

    def size(element: etree._Element) -> int:
        total = 0 if element.tag in LINK_TAGS else len("".join((element.text or "").split()))
        for child in element:
            child_size = size(child)
            total += 0 if child.tag in LINK_TAGS else child_size
            total += len("".join((child.tail or "").split()))
        sizes[element] = total
        return total

    size(body)
    return sizes


def _headings(element: etree._Element) -> int:
    return sum(1 for _heading in element.iter(*HEADING_TAGS))


def _main_content(body: etree._Element) -> etree._Element:
    for main in body.iter("main"):
        return main
    for element in body.iter():
        if (element.get("role") or "").strip().lower() == "main":
            return element
    sizes = _text_sizes(body)
    articles = list(body.iter("article"))
    if articles:
        return max(articles, key=lambda article: sizes.get(article, 0))
    node = body
    while True:
        total, headings = sizes[node], _headings(node)
        if total == 0:
            return node
        step = next((child for child in node if child.tag in CONTAINER_TAGS
                     and sizes[child] >= DESCEND_SHARE * total
                     and (headings == 0 or 2 * _headings(child) >= headings)), None)
        if step is None:
            return node
        node = step


@dataclass
class _Piece:
    text: str
    bold: bool
    line: int


@dataclass
class _Walker:
    """Turns the elements under ``body`` into blocks in document order, each flagged inside ``content`` or not."""

    content: etree._Element
    out: list[tuple[Block, bool]] = field(default_factory=list)

    def walk(self, body: etree._Element) -> Iterator[tuple[Block, bool]]:
        self._container(body, inside=body is self.content, kind="paragraph", level=None)
        return iter(self.out)

    def _container(self, element: etree._Element, inside: bool, kind: str, level: int | None) -> None:
        """Emit the blocks of a block-level element: runs of inline content between its block-level children."""
        pieces: list[_Piece] = []
        first = [True]

        def flush() -> None:
            block = _make_block(pieces, kind if first[0] or kind != "item" else "paragraph", level)
            if block is not None:
                self.out.append((block, inside))
                first[0] = False
            pieces.clear()

        if element.text:
            pieces.append(_Piece(element.text, False, element.sourceline or 1))
        for child in element:
            child_inside = inside or child is self.content or child.get(FACTS_BOX) is not None
            if child.tag in BLOCK_TAGS or _holds_blocks(child):
                flush()
                self._block(child, child_inside, kind if first[0] and kind == "item" else None)
                if kind == "item":
                    first[0] = False
            else:
                self._inline(child, pieces, bold=child.tag in BOLD_TAGS)
            if child.tail:
                pieces.append(_Piece(child.tail, False, child.sourceline or 1))
        flush()

    def _block(self, element: etree._Element, inside: bool, item_kind: str | None) -> None:
        tag = element.tag
        if tag in HEADING_TAGS:
            self._container(element, inside, "heading", HEADING_TAGS[tag])
        elif tag == "li":
            self._container(element, inside, "item", None)
        elif tag == "caption":
            self._container(element, inside, "heading", None)
        elif tag == "table" and not _is_layout_table(element):
            self._table(element, inside)
        elif tag == "hr":
            return
        else:  # a paragraph, a division, a list: its own blocks (the first run in a list item is that item)
            self._container(element, inside, item_kind or "paragraph", None)

    def _table(self, table: etree._Element, inside: bool) -> None:
        for element in table.iter("caption", "tr"):
            if element.tag == "caption":
                self._container(element, inside, "heading", None)
                continue
            cells = [cell for cell in element if cell.tag in {"td", "th"}]
            in_head = element.getparent() is not None and element.getparent().tag == "thead"
            header = bool(cells) and (in_head or all(cell.tag == "th" for cell in cells))
            block = row_block([_cell_text(cell) for cell in cells], Locator(element.sourceline or 1), header)
            if block is not None:
                self.out.append((block, inside))

    def _inline(self, element: etree._Element, pieces: list[_Piece], bold: bool) -> None:
        if element.tag == "br":
            pieces.append(_Piece("\n", bold, element.sourceline or 1))
            return
        if element.text:
            pieces.append(_Piece(element.text, bold, element.sourceline or 1))
        for child in element:
            self._inline(child, pieces, bold or child.tag in BOLD_TAGS)
            if child.tail:
                pieces.append(_Piece(child.tail, bold, child.sourceline or 1))


def _holds_blocks(element: etree._Element) -> bool:
    """An inline element wrapping block-level ones (a ``<span>`` around a page's divisions): read as a block."""
    return any(descendant.tag in BLOCK_TAGS for descendant in element.iterdescendants())


def _is_layout_table(table: etree._Element) -> bool:
    """A table used to lay out a page: its cells hold headings, lists, tables or several paragraphs. A table with
    a caption or header cells is data, even where a cell wraps its text in one paragraph."""
    if next(table.iter("caption", "th", "thead"), None) is not None:
        return False
    for cell in table.iter("td", "th"):
        if next(cell.iter("ul", "ol", "table", *HEADING_TAGS), None) is not None or sum(
                1 for _ in cell.iter("p")) > 1:
            return True
    return False


def _cell_text(cell: etree._Element) -> str:
    return " ".join(clean_text(" ".join(cell.itertext())).split("\n"))


def _make_block(pieces: list[_Piece], kind: str, level: int | None) -> Block | None:
    text = clean_text("".join(piece.text for piece in pieces))
    if not text:
        return None
    line = next((piece.line for piece in pieces if piece.text.strip()), pieces[0].line)
    where = Locator(line)
    solid = [piece for piece in pieces if piece.text.strip()]
    bold = all(piece.bold for piece in solid) and len(text) <= SHORT_BLOCK_CHARS
    if kind in {"paragraph", "item"} and not bold and solid and solid[0].bold:
        lead_count = next((index for index, piece in enumerate(pieces) if piece.text.strip() and not piece.bold),
                          len(pieces))
        label = label_text("".join(piece.text for piece in pieces[:lead_count]),
                           "".join(piece.text for piece in pieces[lead_count:]))
        if label is not None:
            return Block("label", label, where)
    return Block(kind, text, where, level=level, bold=bold)
