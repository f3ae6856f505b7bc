"""What the ladder stage keeps for the next build, so that it can derive again only what changed.

Two parts, written one after the other and tied by a generation token:

- a pickle (``LADDER_STATE`` in the cache's state folder): the content hash of the ladder graph written, and the
  derivation without its per-class part (``Derivation.detached``), or the ladder itself when there is no
  derivation;
- a SQLite file beside it (``ladder-classes.sqlite``): each class's facts, words and version, and each step and
  comparison of the ladder, read a class (or a pair) at a time, so that a change of one class reads the facts
  of the classes it reaches and the steps it touches, and no others.

The pickle is removed before the table changes and written after, with the table's token: a build stopped
between the two leaves a pickle that does not match (or none), and the next ladder stage derives everything.
Like every kept state, it is only used after checking it against the store (the content hash the ladder graph
records), so a stale or missing one costs time, not truth.
"""

from __future__ import annotations

import pickle
import secrets
import sqlite3
from collections.abc import Collection, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rolegraph.cache import STATE_FOLDER, build_fingerprint, forget_state, keep_state, load_state
from rolegraph.collector import collector_paused
from rolegraph.ladders.derive import Comparison, Derivation, Ladder, Step
from rolegraph.ladders.facts import ClassFacts

__all__ = ["LADDER_STATE", "UNREADABLE", "StateUnreadable", "KeptLadder", "KeptClasses", "load_kept", "keep_ladder",
           "last_ladder", "attached"]

LADDER_STATE = "ladder"  # the ladder last written, with its content hash, kept for the next build
CLASSES_FILE = "ladder-classes.sqlite"
_CHUNK = 500  # classes asked for in one query (SQLite allows 32,766 parameters; smaller is as fast)
# what reading a damaged or foreign state may raise: then it is not used
UNREADABLE = (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError)


@dataclass
class KeptLadder:
    """The kept pickle: what the ladder graph was written from."""

    digest: str  # the content hash the ladder graph records
    total: int  # the sum of its items' hashes (rolegraph.ladders.rdf.ladder_total)
    ladder: Ladder | None  # kept when there is no derivation
    derivation: Derivation | None  # detached: its classes' versions, words and statements are in the table
    generation: str  # the table's token when this was kept
    tag: str = ""  # build_fingerprint(): a state is only used by the code that kept it


class KeptClasses:
    """The kept tables: each class's facts, words and version, and the ladder's items. Called with IRIs, it gives
    the facts and words of those it holds (``derive_ladder_around``'s ``kept``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path)) as connection:
            yield connection

    def generation(self) -> str | None:
        try:
            with self._connection() as connection:
                row = connection.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def _rows(self, query: str, keys: Collection[str]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``query`` (ending in ``IN``) for ``keys``, asked for a chunk at a time."""
        wanted = list(keys)
        with self._connection() as connection:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start:start + _CHUNK]
                yield from connection.execute(f"{query} ({', '.join('?' * len(chunk))})", chunk)

    def __call__(self, iris: Collection[str]) -> dict[str, tuple[ClassFacts, Any]]:
        with collector_paused(), _readable():
            return {iri: (pickle.loads(facts), pickle.loads(words))  # noqa: S301 - our own cache
                    for iri, facts, words in self._rows("SELECT iri, facts, words FROM classes WHERE iri IN", iris)}

    def last(self, pairs: Collection[tuple[str, str]]) -> dict[tuple[str, str], Step]:
        """The steps the kept ladder holds for those of ``pairs`` it holds (``derive_ladder_around``'s ``last``)."""
        found: dict[tuple[str, str], Step] = {}
        with _readable(), self._connection() as connection, collector_paused():
            for source, target in pairs:
                row = connection.execute("SELECT item FROM items WHERE kind = 's' AND first = ? AND second = ?",
                                         (source, target)).fetchone()
                if row is not None:
                    found[(source, target)] = pickle.loads(row[0])  # noqa: S301 - our own cache
        return found

    def ladder(self) -> Ladder:
        """The ladder kept item by item (see ``write``), in pair order."""
        ladder = Ladder()
        with _readable(), self._connection() as connection, collector_paused():
            for kind, item in connection.execute("SELECT kind, item FROM items ORDER BY kind, first, second"):
                (ladder.comparisons if kind == "c" else ladder.steps).append(pickle.loads(item))  # noqa: S301
        return ladder

    def versions_of(self, iris: Collection[str]) -> dict[str, str]:
        """The kept versions of those of ``iris`` the table holds."""
        with _readable():
            return dict(self._rows("SELECT iri, version FROM classes WHERE iri IN", iris))

    def versions_and_words(self) -> tuple[dict[str, str], dict[str, Any]]:
        """Every class's version and words (what deriving again from every class's facts starts from)."""
        versions: dict[str, str] = {}
        words: dict[str, Any] = {}
        with _readable(), self._connection() as connection, collector_paused():
            for iri, version, data in connection.execute("SELECT iri, version, words FROM classes"):
                versions[iri] = version
                words[iri] = pickle.loads(data)  # noqa: S301 - our own cache
        return versions, words

    def write(self, rows: Mapping[str, tuple[ClassFacts, Any, str]], gone: Ladder, came: Ladder, whole: bool) -> str:
        """Keep ``rows`` (class IRI -> facts, words, version) and the ladder's items (those ``gone`` removed, those
        that ``came`` added), in one transaction, under a new generation token. With ``whole``, they are every
        class and ``came`` is the whole ladder: rows of others go, and rows whose version is kept (by this code:
        ``build_fingerprint``) are not written again ("": no version, always written). Returns the token."""
        generation = secrets.token_hex(8)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as connection, collector_paused(), connection:
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("CREATE TABLE IF NOT EXISTS classes "
                               "(iri TEXT PRIMARY KEY, version TEXT, facts BLOB, words BLOB)")
            connection.execute("CREATE TABLE IF NOT EXISTS items "
                               "(kind TEXT, first TEXT, second TEXT, item BLOB, PRIMARY KEY (kind, first, second))")
            connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            wanted = dict(rows)
            if whole:
                tag = connection.execute("SELECT value FROM meta WHERE key = 'tag'").fetchone()
                if tag is None or tag[0] != build_fingerprint():  # words worked out by other code
                    connection.execute("DELETE FROM classes")
                stored = dict(connection.execute("SELECT iri, version FROM classes"))
                connection.executemany("DELETE FROM classes WHERE iri = ?",
                                       [(iri,) for iri in stored if iri not in wanted])
                wanted = {iri: row for iri, row in wanted.items() if not row[2] or stored.get(iri) != row[2]}
                connection.execute("DELETE FROM items")
            connection.executemany(
                "INSERT OR REPLACE INTO classes (iri, version, facts, words) VALUES (?, ?, ?, ?)",
                ((iri, version, _pickled(facts), _pickled(words)) for iri, (facts, words, version) in wanted.items()))
            connection.executemany("DELETE FROM items WHERE kind = ? AND first = ? AND second = ?",
                                   [key for key, _ in _items(gone)])
            connection.executemany("INSERT OR REPLACE INTO items (kind, first, second, item) VALUES (?, ?, ?, ?)",
                                   ((*key, _pickled(item)) for key, item in _items(came)))
            connection.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                   [("generation", generation), ("tag", build_fingerprint())])
        return generation


def _pickled(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _items(ladder: Ladder) -> Iterator[tuple[tuple[str, str, str], Step | Comparison]]:
    """The ladder's items with their keys in the items table: ("s", source, target) or ("c", first, second)."""
    for step in ladder.steps:
        yield ("s", step.source, step.target), step
    for comparison in ladder.comparisons:
        yield ("c", comparison.first, comparison.second), comparison


class StateUnreadable(Exception):  # noqa: N818 - not an error: the state is then not used
    """The kept table could not be read (damaged, or written by other code)."""


@contextmanager
def _readable() -> Iterator[None]:
    try:
        yield
    except UNREADABLE as error:
        raise StateUnreadable(str(error)) from error


def _classes(directory: Path) -> KeptClasses:
    return KeptClasses(directory / STATE_FOLDER / CLASSES_FILE)


def load_kept(directory: Path | None) -> tuple[KeptLadder, KeptClasses] | None:
    """The kept ladder and its table of classes, or None (none kept, or the two not of one build)."""
    if directory is None:
        return None
    kept = load_state(directory, LADDER_STATE)
    if not isinstance(kept, KeptLadder) or getattr(kept, "tag", None) != build_fingerprint():
        return None
    classes = _classes(directory)
    if kept.derivation is not None and classes.generation() != kept.generation:
        return None
    return kept, classes


def last_ladder(kept: KeptLadder, classes: KeptClasses) -> Ladder | None:
    """The ladder the graph was written from (None: it cannot be told)."""
    if kept.derivation is None:
        return kept.ladder
    try:
        return classes.ladder()
    except StateUnreadable:
        return None


def keep_ladder(directory: Path | None, digest: str, total: int, derivation: Derivation | None,
                gone: Ladder, came: Ladder, facts: Mapping[str, ClassFacts], words: Mapping[str, Any],
                versions: Mapping[str, str], whole: bool) -> None:
    """Keep what the ladder graph was written from: ``derivation`` and the ladder's items (those ``gone`` and those
    that ``came``; ``whole``: ``came`` is all of it), and the ``facts``, ``words`` and ``versions`` of the
    classes derived from (``whole``: all of them; otherwise those that changed). Without a derivation, the ladder
    (``came``) is kept whole, in the pickle."""
    if directory is None:
        return
    forget_state(directory, LADDER_STATE)
    generation = ""
    if derivation is not None:
        rows = {iri: (fact, words[iri], versions.get(iri, "")) for iri, fact in facts.items()}
        try:
            generation = _classes(directory).write(rows, gone, came, whole)
        except (OSError, sqlite3.Error):
            return  # nothing kept: the next ladder stage derives everything
        derivation = replace(derivation, versions={}, words={}, detached=True)
    keep_state(directory, LADDER_STATE, KeptLadder(digest, total, came if derivation is None else None,
                                                   derivation, generation, build_fingerprint()))


def attached(derivation: Derivation, classes: KeptClasses) -> Derivation | None:
    """``derivation`` with its classes' versions and words read back from the table (None if it cannot be)."""
    try:
        versions, words = classes.versions_and_words()
    except StateUnreadable:
        return None
    return replace(derivation, versions=versions, words=words, detached=False)
