"""Rebuild by difference: when a few files changed, work on their classes alone, for what a full build gives.

A full build into a store with a cache directory keeps a :class:`Snapshot` of itself: every file with its stat,
the class each file gave (by its source's name and sha256, which find it in the parse cache), which classes as
parsed merged into which class built, each class's emit key and graph, and the summary's figures. The next build
of the same files compares their stats with it. When no more than ``MAX_CHANGED`` changed, each is parsed again
(or found in the parse cache), and the path is taken only if, for each, nothing that reaches other classes
changed:

- what merging sees of the class as parsed (:func:`merge_signature`): so the same classes merge together;
- what other classes, stub classes, the skills vocabulary and every emit key see of the class built
  (:func:`shared_signature`): its jurisdiction, title, code, job family, the classes its experience names (and
  where), its skill statements.

Then each changed group of renderings is merged again, from its members as parsed (the parse cache keeps them),
the old class is checked to give the emit key the snapshot recorded (so the replay is the build's), the new
class's graph is emitted and written in one transaction, and the ladder is derived again only if the class's
ladder facts changed. The store must still hold what the snapshot says (content hashes of the class graphs and of
the ladder graph); the snapshot is removed before anything is written and kept again after, so a build that
stops half-way leaves none, and the next build is a full one. In every other case :func:`build_by_difference`
returns None and the full build runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, overload

import numpy as np

from rolegraph.cache import (
    SNAPSHOT_STATE,
    build_fingerprint,
    cached_classes_of,
    emit_fingerprint,
    fingerprint,
    forget_state,
    keep_shards,
    keep_state,
    load_entries,
    load_shards,
    load_state,
    shard_of,
)
from rolegraph.coverage import Coverage, coverage_changed
from rolegraph.ladders import ClassFacts, Ladder, LadderChange, write_ladder_around
from rolegraph.merge import _duties_text, _experience_names, _richness, jurisdiction_key, merge_classes
from rolegraph.model import ClassReference, JobClass, Provenance
from rolegraph.parser.tables import fold
from rolegraph.pipeline import (
    EMIT_STATE,
    FILES_STATE,
    FILES_STATE_FORMAT,
    BuildSummary,
    Emitted,
    Failure,
    FileStat,
    Made,
    Parsed,
    Progress,
    Stages,
    _class_digest,
    _emit_key,
    _emitted,
    _file_stat,
    _racy,
    _ticking,
    kept_vocabulary,
    parse_paths,
    read_and_parse,
    stat_numbers,
    write_ladder_of,
)
from rolegraph.rdf import ClassGraphEmitter, Iris
from rolegraph.readers import SourceFiles
from rolegraph.skills import Vocabulary
from rolegraph.store import Store, WriteSummary

__all__ = ["SNAPSHOT_STATE", "MAX_CHANGED", "NotByDifference", "Snapshot", "merge_signature", "shared_signature",
           "restamped", "keep_snapshot", "build_by_difference"]

MAX_CHANGED = 64  # more changed files than this: a full build, which parses them in parallel


@dataclass
class Snapshot:
    """What a build keeps of itself for a rebuild by difference. Lists are by position: of the files given, of
    the classes as parsed (``origins``), of the classes built (``members`` and what follows it)."""

    tag: str  # build_fingerprint() and the base IRI: a snapshot is only used by the same code, for the same IRIs
    files: list[str]
    folder: str  # the working folder (``files`` may be relative to it)
    stats: np.ndarray  # per file: device, inode, size, change and modification times (ns); -1s: not to be trusted
    # per class as parsed: its file's position, its source's name and sha256, and its place among the file's classes
    origins: list[tuple[int, str, str, int]]
    members: list[tuple[int, ...]]  # per class built: the classes as parsed merged into it (none for a stub)
    emit_keys: list[str]
    graphs: list[str]
    references: list[tuple[ClassReference, ...]]  # what resolving named classes gave each class built
    stub_classes: dict[int, JobClass]  # the stub classes built, by position: they record where other classes name them
    titles: dict[tuple[tuple[str, str], str], str]  # the emitter's titles (see ClassGraphEmitter)
    names: bytes  # what every emit key starts from (pipeline._names_digest)
    vocabulary: str  # the key the skills vocabulary is kept under
    failures: list[Failure]
    skipped: list[Failure]
    classes: int
    stubs: int
    triples: int
    quads: int
    ladder: str | None  # the content hash the ladder graph records
    promotions: int
    coverage: Coverage


def merge_signature(job_class: JobClass) -> tuple[Any, ...]:
    """What merging sees of a class as parsed: where two classes with equal signatures stand in a build, the same
    classes merge together, with the same one leading (``merge.match_evidence``, ``merge._richness``)."""
    return (jurisdiction_key(job_class.jurisdiction), fold(job_class.title.value),
            fold(job_class.code.value) if job_class.code else None, fold(_duties_text(job_class)),
            _richness(job_class))


def shared_signature(job_class: JobClass) -> tuple[Any, ...]:
    """What reaches beyond a class built: its name as other classes, stub classes and every emit key see it; its
    jurisdiction as the shared graph holds it; the classes its job family and experience name (with where: file
    and lines, which stub classes record); its skill statements (the skills vocabulary is made of them all)."""
    place = job_class.jurisdiction
    return ((place.name, place.state, place.state_evidence) if place else None, job_class.title.value,
            job_class.code.value if job_class.code else None, job_class.stub,
            tuple((text.value, _lines(text.where)) for text in job_class.job_family),
            tuple((name, _lines(requirement.where)) for name, requirement in _experience_names(job_class.experience)),
            tuple((ksa.kind, ksa.text) for ksa in job_class.ksas))


def _lines(where: Provenance) -> tuple[str, int, int]:
    return where.source, where.line_start, where.line_end


def restamped(value: Any, sha256: dict[str, str]) -> Any:
    """``value`` (a class, or any part of one) with every Provenance of a source whose sha256 is a key of ``sha256``
    moved to the new sha256: what a stub class named in a changed file (at the same lines) becomes.

    >>> from rolegraph.model import Text
    >>> where = Provenance("a.txt", "0ld", 3, 3)
    >>> restamped((Text("Clerk", where),), {"0ld": "new"})[0].where.sha256
    'new'
    """
    if isinstance(value, Provenance):
        return replace(value, sha256=sha256[value.sha256]) if value.sha256 in sha256 else value
    if isinstance(value, tuple):
        return tuple(restamped(item, sha256) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {item.name: restamped(getattr(value, item.name), sha256) for item in fields(value)}
        return replace(value, **{name: new for name, new in changes.items() if new is not getattr(value, name)})
    return value


def _tag(iris: Iris) -> str:
    return f"{build_fingerprint()} {iris.base}"


def _origins(origins: list[tuple[int, JobClass]]) -> list[tuple[int, str, str, int]]:
    """(file position, source name, sha256, place among the file's classes) of each class as parsed."""
    places: dict[int, int] = {}
    found = []
    for position, job_class in origins:
        places[position] = place = places.get(position, -1) + 1
        found.append((position, job_class.sources[0].name, job_class.sources[0].sha256, place))
    return found


def keep_snapshot(directory: Path, iris: Iris, summary: BuildSummary, made: Made | None, store: Store) -> None:
    """Keep a snapshot of a full build that has just finished (nothing when it cannot be one: see ``made``)."""
    parsed = summary.parsed
    if made is None or summary.quads is None or any(len(job_class.sources) != 1 for _, job_class in parsed.origins):
        return
    origin_of = {id(job_class.sources[0]): origin for origin, (_, job_class) in enumerate(parsed.origins)}
    members: list[tuple[int, ...]] = []
    for job_class in parsed.classes:
        found = tuple(origin_of.get(id(source), -1) for source in job_class.sources)
        if -1 in found:
            return  # a source that is not one of a parsed class's: no snapshot (the next build is a full one)
        members.append(found)
    snapshot = Snapshot(
        _tag(iris), _names(parsed.files), os.getcwd(), _stat_numbers(parsed.stats),
        _origins(parsed.origins),
        members, made.emit_keys, [made.emitted[position].graph for position in range(len(parsed.classes))],
        [job_class.class_references for job_class in parsed.classes],
        {position: job_class for position, job_class in enumerate(parsed.classes) if job_class.stub},
        made.titles, made.names, made.vocabulary_key,
        parsed.failures, parsed.skipped, summary.classes, summary.stubs, summary.written.triples, summary.quads,
        store.graph_marker(iris.ladder_graph.value), summary.promotions, summary.coverage)
    keep_state(directory, SNAPSHOT_STATE, snapshot)


def _stat_numbers(stats: list[FileStat | None]) -> np.ndarray:
    """File stats as a table of numbers (all but the path, which the snapshot has in ``files``); -1s for None.

    >>> _stat_numbers([("/a", 1, 2, 3, 4, 5), None]).tolist()
    [[1, 2, 3, 4, 5], [-1, -1, -1, -1, -1]]
    """
    rows = [stat[1:] if stat is not None else (-1, -1, -1, -1, -1) for stat in stats]
    return np.array(rows, dtype=np.int64).reshape(len(rows), 5)


def _names(files: Sequence[Path]) -> list[str]:
    """The files' names, as ``str`` of their paths."""
    return files.names if isinstance(files, SourceFiles) else [str(path) for path in files]


def _stat_row(path: Path | str) -> tuple[int, int, int, int, int]:
    """A file's row of ``_stat_numbers``, read afresh."""
    return stat_numbers(path) or (-1, -1, -1, -1, -1)


def _file_stat_of(path: Path, numbers: np.ndarray) -> FileStat | None:
    """The FileStat a row of ``_stat_numbers`` was made from (as ``_file_stat`` gives it), or None."""
    if numbers[0] == -1:
        return None
    return (os.path.abspath(path), *(int(number) for number in numbers))  # type: ignore[return-value]


def _load_snapshot(directory: Path | None, iris: Iris) -> Snapshot | None:
    found = load_state(directory, SNAPSHOT_STATE)
    return found if isinstance(found, Snapshot) and found.tag == _tag(iris) else None


@dataclass
class _Change:
    """One class built whose members (classes as parsed) changed: as it was and as it is now."""

    position: int  # among the classes built
    before: JobClass
    after: JobClass
    key: str = ""  # the new emit key


class NotByDifference(Exception):  # noqa: N818 - not an error: the reason a build is a full one
    """Why a build cannot be one by difference (one line): the build is then a full one."""


def build_by_difference(files: Sequence[Path], store: Store, iris: Iris, progress: Progress | None,
                        stages: Stages) -> BuildSummary:
    """Build ``files`` into ``store`` from the classes of the files changed since the last build alone; raises
    NotByDifference, before writing anything, when that cannot be done exactly (see the module's docstring)."""
    directory = getattr(store, "cache_directory", None)
    if directory is None:
        raise NotByDifference("the store keeps no build state")
    snapshot = _load_snapshot(directory, iris)
    if snapshot is None:
        raise NotByDifference("no snapshot of a last build by this rolegraph")
    names = _names(files)
    if os.getcwd() != snapshot.folder or names != snapshot.files:
        raise NotByDifference("not the files of the last build")
    started = time.time_ns()
    numbers = np.array([_stat_row(name) for name in names], dtype=np.int64).reshape(len(files), 5)
    changed = np.flatnonzero((numbers != snapshot.stats).any(axis=1) | (numbers[:, 0] == -1)).tolist()
    if len(changed) > MAX_CHANGED:
        raise NotByDifference(f"{len(changed)} files changed (more than {MAX_CHANGED})")
    stats = {position: _file_stat(files[position]) for position in changed}
    old_stats = {position: _file_stat_of(files[position], snapshot.stats[position]) for position in changed}
    if not changed and store.graph_marker(iris.ladder_graph.value) == snapshot.ladder:
        return _summary(snapshot, files, directory, WriteSummary(unchanged=list(snapshot.graphs),
                                                                 triples=snapshot.triples))
    origins_of_file: dict[int, list[int]] = {}
    for origin, (position, *_) in enumerate(snapshot.origins):
        origins_of_file.setdefault(position, []).append(origin)
    fresh: dict[int, JobClass] = {}  # origin -> the class its file gives now
    fresh_of_file: dict[int, tuple[JobClass, ...]] = {}
    for position in changed:
        result = read_and_parse(files[position], cache_directory=directory)
        if progress is not None:
            progress(files[position])
        origins = origins_of_file.get(position, [])
        if not origins or not isinstance(result, tuple) or any(len(job_class.sources) != 1 for job_class in result):
            raise NotByDifference(f"{files[position].name} gave no job class, then or now")
        if len(result) != len(origins):
            raise NotByDifference(f"{files[position].name} defines {len(result)} classes, not {len(origins)}")
        fresh_of_file[position] = result
        fresh.update(zip(origins, result, strict=True))
    changes = _changes(snapshot, directory, fresh)
    changes += _stubs_named_in(snapshot, {snapshot.origins[origin][2]: job_class.sources[0].sha256
                                          for origin, job_class in fresh.items()})
    vocabulary = _kept_vocabulary(directory, snapshot.vocabulary)
    for change in changes:
        if _emit_key(snapshot.names, change.before, vocabulary.label_of) != snapshot.emit_keys[change.position]:
            raise NotByDifference(f"{change.before.label}: merged again, it is not the class the last build wrote")
        change.key = _emit_key(snapshot.names, change.after, vocabulary.label_of)
    emitted = load_shards(directory, EMIT_STATE, emit_fingerprint(),
                          [shard_of(key) for change in changes
                           for key in (snapshot.emit_keys[change.position], change.key)])
    files_state_tag = FILES_STATE_FORMAT + fingerprint()
    new_stats = {position: (None if stats[position] is None or _racy(stats[position][-1], started)
                            else stats[position]) for position in changed}
    known = load_shards(directory, FILES_STATE, files_state_tag,
                        [shard_of(stat) for position in changed
                         for stat in (old_stats[position], new_stats[position]) if stat is not None])
    if emitted is None or known is None:
        raise NotByDifference("the build state kept with the store is incomplete")
    old_entries = [emitted[shard_of(key)].get(key) for key in (snapshot.emit_keys[c.position] for c in changes)]
    if any(entry is None or store.graph_marker(entry.graph) != entry.content_hash for entry in old_entries) or \
            store.graph_marker(iris.ladder_graph.value) != snapshot.ladder:
        raise NotByDifference("the store no longer holds what the last build wrote")
    forget_state(directory, SNAPSHOT_STATE)  # from here on the store changes: until done, no snapshot
    emitter = ClassGraphEmitter([change.after for change in changes], iris, vocabulary.label_of, snapshot.titles)
    to_write = [index for index, change in enumerate(changes) if change.key != snapshot.emit_keys[change.position]]
    written_one = stages("writing class graphs", len(to_write))
    graphs = {index: emitter(index) for index in to_write}
    written = store.replace_class_graphs(_ticking(graphs.values(), written_one),
                                         existing={graphs[index].graph.value: old_entries[index].content_hash
                                                   for index in to_write})
    new_entries = [(_emitted(graphs[index], emitter, index) if index in graphs else old)
                   for index, old in enumerate(old_entries)]
    rewritten = set(written.written)
    written.unchanged = [graph for graph in snapshot.graphs if graph not in rewritten]
    grown = sum(new.triples - old.triples for new, old in zip(new_entries, old_entries, strict=True))
    written.triples = snapshot.triples + grown
    quads = snapshot.quads + grown  # the shared quads are the same (the shared signature is)
    emit_keys = list(snapshot.emit_keys)
    for change, new in zip(changes, new_entries, strict=True):
        old_key = snapshot.emit_keys[change.position]
        emitted[shard_of(old_key)].pop(old_key, None)
        emitted[shard_of(change.key)][change.key] = new
        emit_keys[change.position] = change.key
    keep_shards(directory, EMIT_STATE, emit_fingerprint(), emitted)
    ladder, promotions, ladder_marker = None, snapshot.promotions, snapshot.ladder
    if any((new.facts, new.labels) != (old.facts, old.labels) for new, old in zip(new_entries, old_entries,
                                                                                      strict=True)):
        stages("deriving promotion steps", None)
        change = _write_ladder_around(store, iris, directory, changes, old_entries, new_entries)
        if change is not None:
            promotions += change.promotions
            quads += change.quads
        else:
            before = _quads_in(store, iris.ladder_graph.value)
            ladder = _write_ladder_again(store, iris, directory, emit_keys)
            promotions = len(ladder.promotions())
            quads += _quads_in(store, iris.ladder_graph.value) - before
        ladder_marker = store.graph_marker(iris.ladder_graph.value)
    for position in changed:
        old_stat, new_stat = old_stats[position], new_stats[position]
        if old_stat is not None:
            known[shard_of(old_stat)].pop(old_stat, None)
        if new_stat is not None:
            classes = fresh_of_file[position]
            known[shard_of(new_stat)][new_stat] = (classes, tuple(_class_digest(job_class) for job_class in classes))
    keep_shards(directory, FILES_STATE, files_state_tag, known)
    coverage = coverage_changed(snapshot.coverage, [change.before for change in changes],
                                [change.after for change in changes])
    stats_now = snapshot.stats.copy()
    origins = list(snapshot.origins)
    for position in changed:
        stats_now[position] = _stat_numbers([new_stats[position]])[0]
        for place, origin in enumerate(origins_of_file[position]):
            source = fresh[origin].sources[0]
            origins[origin] = (position, source.name, source.sha256, place)
    keep_state(directory, SNAPSHOT_STATE, replace(
        snapshot, stats=stats_now, origins=origins, emit_keys=emit_keys, triples=written.triples, quads=quads,
        ladder=ladder_marker, promotions=promotions, coverage=coverage))
    return _summary(replace(snapshot, quads=quads, promotions=promotions, coverage=coverage), files, directory,
                    written, ladder)


def _summary(snapshot: Snapshot, files: Sequence[Path], directory: Path, written: WriteSummary,
             ladder: Ladder | None = None) -> BuildSummary:
    parsed = Parsed(_StoredClasses(files, directory), files, list(snapshot.failures), list(snapshot.skipped))
    return BuildSummary(parsed, written, ladder, snapshot.quads, snapshot.classes, snapshot.stubs,
                        snapshot.promotions, snapshot.coverage, by_difference=True)


def _changes(snapshot: Snapshot, directory: Path, fresh: dict[int, JobClass]) -> list[_Change]:
    """The classes built whose members changed (``fresh``: origin -> the class as parsed now), each merged again
    from its members as they were and as they are; NotByDifference when a change reaches beyond its class."""
    group_of = {origin: position for position, members in enumerate(snapshot.members) for origin in members
                if origin in fresh}
    changes = []
    for position in sorted(set(group_of.values())):
        members = snapshot.members[position]
        kept = [(cached_classes_of(directory, name, sha256), place)
                for _, name, sha256, place in (snapshot.origins[origin] for origin in members)]
        before = [classes[place] if classes is not None and place < len(classes) else None for classes, place in kept]
        if any(job_class is None for job_class in before):
            raise NotByDifference("the parse cache no longer holds a changed class as it was")
        after = [fresh.get(origin, job_class) for origin, job_class in zip(members, before, strict=True)]
        for old, new in zip(before, after, strict=True):
            if merge_signature(old) != merge_signature(new):
                raise NotByDifference(f"{new.sources[0].name}: what merging compares changed (its title, code, "
                                      f"jurisdiction, duties or the fields it states)")
        references = snapshot.references[position]
        old_class, new_class = _merged(before, references), _merged(after, references)
        if shared_signature(old_class) != shared_signature(new_class):
            raise NotByDifference(f"{new_class.label}: what other classes see of it changed (its name, "
                                  f"jurisdiction, job family, the classes its experience names or its skills)")
        changes.append(_Change(position, old_class, new_class))
    return changes


def _stubs_named_in(snapshot: Snapshot, sha256: dict[str, str]) -> list[_Change]:
    """The stub classes named in changed files (old sha256 -> new, in ``sha256``), restamped."""
    changes = []
    for position, stub in snapshot.stub_classes.items():
        after = restamped(stub, sha256)
        if after is not stub:
            changes.append(_Change(position, stub, after))
    return changes


def _merged(members: list[JobClass], references: tuple[ClassReference, ...]) -> JobClass:
    """The class built from ``members`` (in build order) with the named classes resolved as ``references``."""
    merged = merge_classes(members)
    if len(merged) != 1:
        raise NotByDifference("classes merged in the last build do not merge again")
    return replace(merged[0], class_references=references) if references else merged[0]


def _kept_vocabulary(directory: Path, key: str) -> Vocabulary:
    kept = kept_vocabulary(directory, key)
    if kept is None:
        raise NotByDifference("the skills vocabulary kept with the store is not the last build's")
    return kept


def _quads_in(store: Store, graph: str) -> int:
    """How many quads one named graph holds (counting the ladder graph's is a tenth of counting the store's)."""
    [row] = list(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
    return int(row["n"].value)


def _write_ladder_around(store: Store, iris: Iris, directory: Path, changes: list[_Change],
                         old_entries: list[Emitted], new_entries: list[Emitted]) -> LadderChange | None:
    """The ladder stage from the facts of the classes changed alone (``write_ladder_around``), when their skill
    labels are as they were and each class's facts come from one graph; None when it cannot be done so."""
    changed: dict[str, ClassFacts] = {}
    versions: dict[str, str] = {}
    for change, old, new in zip(changes, old_entries, new_entries, strict=True):
        if old.labels != new.labels or {fact.iri for fact in old.facts} != {fact.iri for fact in new.facts}:
            return None
        for fact in new.facts:
            if fact.iri in changed:
                return None
            changed[fact.iri], versions[fact.iri] = fact, change.key
    return write_ladder_around(store, iris, changed, versions, directory)


def _write_ladder_again(store: Store, iris: Iris, directory: Path, emit_keys: list[str]) -> Ladder:
    """The ladder stage of a full build, from the facts every class's kept entry holds."""
    entries = load_entries(directory, EMIT_STATE, emit_fingerprint())
    emitted: dict[int, Emitted] = {position: entries[key] for position, key in enumerate(emit_keys)}
    return write_ladder_of(emitted, emit_keys, store, iris, directory)


class _StoredClasses(Sequence[JobClass]):
    """The classes of a build by difference, worked out (from the files state: nothing is parsed) only when
    asked for: a build by difference does not need them."""

    def __init__(self, files: Sequence[Path], directory: Path) -> None:
        self.files, self.directory = files, directory
        self.classes: list[JobClass] | None = None

    def _all(self) -> list[JobClass]:
        if self.classes is None:
            self.classes = parse_paths(self.files, cache_directory=self.directory).classes
        return self.classes

    @overload
    def __getitem__(self, index: int) -> JobClass: ...

    @overload
    def __getitem__(self, index: slice) -> list[JobClass]: ...

    def __getitem__(self, index: int | slice) -> JobClass | list[JobClass]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __eq__(self, other: object) -> bool:
        return list(self._all()) == other if isinstance(other, list) else NotImplemented

    __hash__ = None  # type: ignore[assignment]
