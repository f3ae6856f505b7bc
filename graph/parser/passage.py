"""A passage: lines joined into one string that still knows which line every character came from."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from rolegraph.model import Line, Provenance
from rolegraph.parser.tables import collapse

# Where facts come from, one object per place: a class names the same lines many times over (a duty and its tasks,
# a requirement and its parts), and at 100k classes the copies were 70 MB of a build's memory.
provenance: Callable[[str, str, int, int], Provenance] = lru_cache(maxsize=1 << 12)(Provenance)

__all__ = ["Passage", "Span"]

# a bullet, "2.", "b)", or a decimal item number before a capital ("2.1 Carry out ...", not "1.5 years")
BULLET = re.compile(r"^\s*(?:[-*\u2022\u25cf\u25aa\u00b7]|\d{1,2}[.)]|\d{1,2}(?:\.\d{1,2})+\.?(?=\s+[A-Z])"
                    r"|[a-z][.)])\s+")


@dataclass(frozen=True)
class Span:
    """A stripped piece of a passage: its text and where it came from."""

    text: str
    where: Provenance


class Passage:
    """Lines of one source joined with single spaces (white space folded), keeping line numbers.

    >>> passage = Passage([Line(3, "Good knowledge of:"), Line(4, "  office  work.")], "a.txt", "00")
    >>> passage.text
    'Good knowledge of: office work.'
    >>> str(passage.span(19, 30).where)
    'a.txt:4'
    """

    def __init__(self, lines: list[Line] | tuple[Line, ...], source: str, sha256: str) -> None:
        self.source, self.sha256 = source, sha256
        self.all_lines = tuple(lines)  # blank lines kept: they separate paragraphs
        self.lines = tuple(line for line in lines if line.text.strip())
        pieces: list[str] = []
        self._starts: list[int] = []
        self._numbers: list[int] = []
        offset = 0
        for line in self.lines:
            folded = collapse(line.text)
            self._starts.append(offset)
            self._numbers.append(line.number)
            pieces.append(folded)
            offset += len(folded) + 1
        self.text = " ".join(pieces)

    def __bool__(self) -> bool:
        return bool(self.text)

    def line_at(self, offset: int) -> int:
        """The line number of the character at ``offset``."""
        if not self._numbers:
            return 0
        index = max(0, bisect.bisect_right(self._starts, max(offset, 0)) - 1)
        return self._numbers[index]

    def where(self, start: int = 0, end: int | None = None) -> Provenance:
        if len(self._numbers) == 1:  # one line: every offset is on it
            return provenance(self.source, self.sha256, self._numbers[0], self._numbers[0])
        end = len(self.text) if end is None else end
        return provenance(self.source, self.sha256, self.line_at(start), self.line_at(max(start, end - 1)))

    def span(self, start: int = 0, end: int | None = None) -> Span:
        """The stripped text between two offsets, with the lines it covers."""
        end = len(self.text) if end is None else end
        raw = self.text[start:end]
        lead = len(raw) - len(raw.lstrip())
        stripped = raw.strip()
        return Span(stripped, self.where(start + lead, start + lead + len(stripped)))

    def paragraphs(self) -> Iterator[Passage]:
        """Split on blank lines and on bullets; each bullet item is a paragraph of its own (marker removed)."""
        return (Passage(lines, self.source, self.sha256) for lines in self._paragraph_lines())

    def paragraph_spans(self) -> Iterator[Span]:
        """``paragraph.span()`` of each paragraph whose text is not empty; a one-line paragraph's is read off its
        line, without building its passage.

        >>> passage = Passage([Line(1, "One."), Line(2, ""), Line(3, "- Two"), Line(4, "  lines.")], "a.txt", "0")
        >>> [(span.text, str(span.where)) for span in passage.paragraph_spans()]
        [('One.', 'a.txt:1'), ('Two lines.', 'a.txt:3-4')]
        """
        for lines in self._paragraph_lines():
            if len(lines) == 1:
                text = collapse(lines[0].text)
                if text:
                    yield Span(text, provenance(self.source, self.sha256, lines[0].number, lines[0].number))
            elif (span := Passage(lines, self.source, self.sha256).span()).text:
                yield span

    def _paragraph_lines(self) -> Iterator[list[Line]]:
        current: list[Line] = []
        for line in self.all_lines:
            if not line.text.strip():
                if current:
                    yield current
                current = []
                continue
            bullet = BULLET.match(line.text)
            if bullet:
                if current:
                    yield current
                current = [Line(line.number, line.text[bullet.end():])]
            else:
                current.append(line)
        if current:
            yield current

    @property
    def has_bullets(self) -> bool:
        return any(BULLET.match(line.text) for line in self.lines)
