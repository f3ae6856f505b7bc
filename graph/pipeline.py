"""build(): read -> parse -> merge -> RDF -> store, with a summary of what happened.

A failed file is a result (listed in the summary), not an exception: every other file is still built.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from sys import intern

from rolegraph.cache import (
    SNAPSHOT_STATE,
    cached_classes,
    emit_fingerprint,
    fingerprint,
    forget_state,
    keep_entries,
    keep_state,
    load_entries,
    load_state,
    remember_classes,
)
from rolegraph.collector import collector_paused, frozen_for_fork
from rolegraph.coverage import Coverage, coverage_of_classes
from rolegraph.errors import NotASpecification, SourceError, display_path
from rolegraph.ladders import ClassFacts, Ladder, write_ladder
from rolegraph.ladders.facts import concept_labels_of_class, facts_of_class
from rolegraph.merge import add_named_classes, merge_classes
from rolegraph.model import JobClass, Ksa, pickled_by_fields
from rolegraph.parser import parse_document
from rolegraph.rdf import ClassGraph, ClassGraphEmitter, Iris
from rolegraph.readers import list_source_files, read_source
from rolegraph.skills import Vocabulary, skills_graph, vocabulary_of_classes, vocabulary_quads
from rolegraph.store import Store, WriteSummary

__all__ = ["Failure", "FileClasses", "Parsed", "BuildSummary", "read_and_parse", "parse_paths", "build"]

FileClasses = tuple[JobClass, ...]  # the classes one file defines: one, or each class of a series

Progress = Callable[[Path], None]  # told of each file as it is read
# Told when a stage of a build begins: its name and how many items it has (None: unknown); returns what to call as
# each item is done.
Stages = Callable[[str, int | None], Callable[[], None]]

PARALLEL_MIN_FILES = 100  # below this, starting worker processes costs more than it saves (even at ~70 LA bulletins)
PARSE_CHUNK = 16
FILES_STATE_FORMAT = "3:"  # entries: file stat -> (parsed classes, the _class_digest of each)
FILES_STATE = "files"  # file stat -> parsed class, for the files of the last build (in shards: cache.keep_entries)
# Files modified this close to a build's start are read again by the next one: 0.1 s where the file system keeps
# fine times; 2 s where a time is a whole multiple of 10 ms (FAT, HFS+, ext3 keep seconds or two).
RACY_NS, RACY_COARSE_NS = 100_000_000, 2_000_000_000
COMPACT_MIN_GRAPHS = 20_000  # a build writing this many class graphs compacts the store after (Store.compact)
VOCABULARY_STATE = "vocabulary"  # (digest of every KSA statement, the vocabulary built from them)
EMIT_STATE = "emitted"  # emit key -> Emitted, for the class graphs of the last build (in shards)
FileStat = tuple[str, int, int, int, int, int]  # absolute path, device, inode, size, change time, modification time


@dataclass(frozen=True)
class Failure:
    """A file that could not be built, and why (one line)."""

    path: Path
    reason: str
    # True when the file was recognised as something other than a job specification (an exempt-position
    # notice): reported, skipped, and not a failure of the build.
    skipped: bool = False

    def __str__(self) -> str:
        return f"{display_path(self.path)}: {self.reason}"


@dataclass
class Parsed:
    """Job classes parsed and merged from a set of paths, with the files that failed."""

    classes: list[JobClass]
    files: Sequence[Path]
    failures: list[Failure] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)  # recognised as not job specifications
    # id -> (a class as parsed, the digest of its repr) for the classes of files the last build parsed too:
    # a class merging left as parsed is not written out again to work out its emit key
    digests: dict[int, tuple[JobClass, bytes]] = field(default_factory=dict, repr=False)
    # for each class as parsed (before merging), in order: the position of its file in ``files``, and the class
    origins: list[tuple[int, JobClass]] = field(default_factory=list, repr=False)
    # the stat of each file in ``files`` (None: unreadable, or changed too near the build's start to be trusted)
    stats: list[FileStat | None] = field(default_factory=list, repr=False)

    @property
    def source_names(self) -> list[str]:
        return [path.name for path in self.files]


@dataclass
class BuildSummary:
    parsed: Parsed
    written: WriteSummary
    ladder: Ladder | None = None  # promotion steps written to the ladder graph (None: the ladder was not derived)
    # quads in the store after the build; None: not counted (a store without a cache directory, which keeps no
    # snapshot: counting them is a pass over them all, left to a caller that asks, as `rolegraph build` does)
    quads: int | None = None
    # Figures a rebuild by difference (rolegraph.rebuild) carries from the last build, so that it need not load
    # every class: then ``parsed.classes`` are only worked out if asked for.
    class_count: int | None = None
    stub_count: int | None = None
    promotion_count: int | None = None
    coverage_found: Coverage | None = field(default=None, repr=False)
    by_difference: bool = False  # built by rolegraph.rebuild, from the changed files alone
    full_because: str = ""  # why a full build was not one by difference

    @property
    def classes(self) -> int:
        if self.class_count is not None:
            return self.class_count
        return sum(1 for job_class in self.parsed.classes if not job_class.stub)

    @property
    def stubs(self) -> int:
        if self.stub_count is not None:
            return self.stub_count
        return sum(1 for job_class in self.parsed.classes if job_class.stub)

    @property
    def promotions(self) -> int:
        """How many promotion steps the ladder graph holds."""
        if self.promotion_count is not None:
            return self.promotion_count
        return len(self.ladder.promotions()) if self.ladder is not None else 0

    @property
    def coverage(self) -> Coverage:
        """The coverage report of the classes built (worked out once)."""
        if self.coverage_found is None:
            self.coverage_found = coverage_of_classes(self.parsed.classes)
        return self.coverage_found

    @property
    def ok(self) -> bool:
        return not self.parsed.failures


def read_and_parse(path: Path, cache_directory: Path | None = None) -> FileClasses | Failure:
    """One file -> its job classes (one, or each of a series), or a Failure naming the reason. Runs in parse
    workers too.

    With a ``cache_directory``, a file whose bytes were parsed before is taken from the parse cache.
    """
    data = None
    if cache_directory is not None:
        try:
            data = path.read_bytes()
        except OSError:
            data = None  # read_source below says what is wrong with the file
        if data is not None and (found := cached_classes(cache_directory, path, data)) is not None:
            return found
    try:
        classes = parse_document(read_source(path))
        if cache_directory is not None and data is not None:
            remember_classes(cache_directory, path, data, classes)
        return classes
    except NotASpecification as error:
        return Failure(path, error.reason, skipped=True)
    except SourceError as error:
        return Failure(path, error.reason)
    except RecursionError:
        return Failure(path, "too deeply nested to parse")


def parse_paths(paths: Iterable[Path | str], progress: Progress | None = None,
                workers: int | None = None, cache_directory: Path | None = None) -> Parsed:
    """Read and parse every file under ``paths``, merge renderings of one class, add named stub classes.

    With many files, reading and parsing run in ``workers`` processes (default: one per core): this one and
    ``workers - 1`` forked workers, meeting in the middle of the files (``_parse_here_and_in``). With a
    ``cache_directory``, sources whose bytes were parsed before are not parsed again, and files the last
    build parsed that are unchanged on disk (same path, inode, size and times) are not even read.
    """
    files = list_source_files(paths)
    parse = partial(read_and_parse, cache_directory=cache_directory)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    parsed: list[JobClass] = []
    failures: list[Failure] = []
    started = time.time_ns()
    stats = [_file_stat(path) for path in files]
    known = _known_files(cache_directory)
    results: list[FileClasses | Failure | None] = [known[stat][0] if stat in known else None for stat in stats]
    todo = [position for position, result in enumerate(results) if result is None]
    progress = progress or (lambda path: None)
    for position, result in enumerate(results):
        if result is not None:  # known from the last build
            progress(files[position])
    if workers > 1 and len(todo) >= PARALLEL_MIN_FILES:
        # Fork when this process runs no other thread (it is quick and needs no `if __name__ == "__main__"` in
        # a caller's script); otherwise spawn, since forking beside a thread (a progress display) can deadlock.
        context = get_context("fork" if _may_fork() else "spawn")
        # workers collect cycles as usual, even when forked while a caller pauses the collector; this process
        # does not while it parses its share and takes in their classes (acyclic: a full collection would only
        # scan them, 0.1 s at LA; parsing the 683 LA bulletins with the collector off leaves no cycle to collect)
        with collector_paused(), frozen_for_fork(), \
                ProcessPoolExecutor(workers - 1, mp_context=context, initializer=_worker_started,
                                    initargs=(os.getpid(),)) as pool:
            for position, result in _parse_here_and_in(pool, workers - 1, parse, files, todo):
                results[position] = result
                progress(files[position])
    else:
        for position in todo:
            results[position] = parse(files[position])
            progress(files[position])
    digests: dict[int, tuple[JobClass, bytes]] = {}
    if cache_directory is not None:
        kept: dict[FileStat, tuple[FileClasses, tuple[bytes, ...]]] = {}
        for stat, result in zip(stats, results, strict=True):
            if stat is not None and isinstance(result, tuple) and not _racy(stat[-1], started):
                entry = known.get(stat)
                kept[stat] = entry if entry is not None and entry[0] is result else (
                    result, tuple(_class_digest(job_class) for job_class in result))
        keep_entries(cache_directory, FILES_STATE, FILES_STATE_FORMAT + fingerprint(), kept, known)
        digests = {id(job_class): (job_class, digest) for classes, digests_of in kept.values()
                   for job_class, digest in zip(classes, digests_of, strict=True)}
    skipped: list[Failure] = []
    origins: list[tuple[int, JobClass]] = []
    for position, result in enumerate(results):
        if isinstance(result, Failure):
            (skipped if result.skipped else failures).append(result)
        else:
            parsed.extend(result)
            origins.extend((position, job_class) for job_class in result)
    trusted = [None if stat is None or _racy(stat[-1], started) else stat for stat in stats]
    with collector_paused():
        return Parsed(add_named_classes(merge_classes(parsed)), files, failures, skipped, digests, origins, trusted)


def _parse_chunk(parse: Callable[[Path], FileClasses | Failure], paths: list[Path]) -> list[FileClasses | Failure]:
    """In a parse worker: the classes of ``paths``, in order."""
    return [parse(path) for path in paths]


def _parse_here_and_in(pool: ProcessPoolExecutor, workers: int, parse: Callable[[Path], FileClasses | Failure],
                       files: Sequence[Path], todo: list[int]) -> Iterator[tuple[int, FileClasses | Failure]]:
    """(position, class) of every file at ``todo``: the ``workers`` processes of ``pool`` take chunks from the
    front, this process parses chunks from the back while they work, until the two meet.

    This process would otherwise only wait for the workers and take in their classes; what it parses itself is
    not pickled and sent (a tenth of a worker's CPU at LA). LA, median of 8 builds each, interleaved: 1.206 ->
    1.183 s, CPU 2.2 -> 2.1 s, one process fewer.
    """
    front, back = 0, len(todo)
    pending: deque[tuple[list[int], Future[list[FileClasses | Failure]]]] = deque()
    while front < back or pending:
        while front < back and len(pending) < 2 * workers:  # work in hand for each worker while the next is sent
            chunk = todo[front:min(front + PARSE_CHUNK, back)]
            front += len(chunk)
            pending.append((chunk, pool.submit(_parse_chunk, parse, [files[position] for position in chunk])))
        while pending and pending[0][1].done():
            chunk, future = pending.popleft()
            yield from zip(chunk, future.result(), strict=True)
        if front < back:
            chunk = todo[max(front, back - PARSE_CHUNK):back]
            back -= len(chunk)
            for position in chunk:
                yield position, parse(files[position])
        elif pending:
            chunk, future = pending.popleft()
            yield from zip(chunk, future.result(), strict=True)


def _worker_started(parent: int) -> None:
    """First thing in a parse worker: collect cycles as usual, and end when ``parent``, which started it, ends.

    A worker idles on its pipe from the parent, whose other end it holds itself (forked): when the building
    process was killed (SIGKILL: the OOM killer, a CI timeout), its workers would otherwise live on for ever.
    On Linux the kernel kills the worker when its parent dies (prctl PR_SET_PDEATHSIG; the parent is the thread
    that forked it: the one running parse_paths, which outlives the pool). The parent may have died before that
    was set: then this process already has another parent, and ends. Elsewhere a thread watches the parent.
    """
    gc.enable()
    told = _kill_me_with_parent()
    if os.getppid() != parent:
        os._exit(1)
    if not told:
        threading.Thread(target=_end_with, args=(parent,), name="rolegraph-parent-watch", daemon=True).start()


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_WATCH_SECONDS = 1.0  # where the kernel cannot be asked, how often a worker checks its parent is alive


def _kill_me_with_parent() -> bool:
    """Ask the kernel to send this process SIGKILL when its parent dies; whether it could be asked (Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_WATCH_SECONDS)
    os._exit(1)


def _may_fork() -> bool:
    """Whether worker processes may be forked: the system can, and this process runs no other thread."""
    return "fork" in get_all_start_methods() and threading.active_count() == 1



def _file_stat(path: Path) -> FileStat | None:
    numbers = stat_numbers(path)
    return None if numbers is None else (os.path.abspath(path), *numbers)


def stat_numbers(path: Path | str) -> tuple[int, int, int, int, int] | None:
    """A file's FileStat but its path: device, inode, size, change and modification times (ns); None if unreadable."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_ctime_ns, found.st_mtime_ns


def _racy(modified_ns: int, started_ns: int) -> bool:
    """Whether a file modified at ``modified_ns`` may have changed again, unseen, after a build started.

    >>> _racy(10_000_000_000, 10_050_000_000), _racy(10_123_456_789, 12_000_000_000)
    (True, False)
    """
    window = RACY_COARSE_NS if modified_ns % 10_000_000 == 0 else RACY_NS
    return modified_ns >= started_ns - window


def _known_files(cache_directory: Path | None) -> dict[FileStat, tuple[FileClasses, tuple[bytes, ...]]]:
    """The classes the last build parsed, by file path and stat, when they were parsed by this parsing code.

    As git's index: a file whose path, inode, size, change and modification times are all as they were is
    not read again. A file modified just before that build began (``_racy``) is not trusted (it may have changed
    again within the clock's tick), so it is read (and its bytes looked up in the parse cache).
    """
    return load_entries(cache_directory, FILES_STATE, FILES_STATE_FORMAT + fingerprint())


def build(paths: Iterable[Path | str], store: Store, iris: Iris | None = None,
          progress: Progress | None = None, stages: Stages | None = None, full: bool = False) -> BuildSummary:
    """Build the specifications under ``paths`` into ``store``.

    Stages: read (readers) -> parse (parser) -> merge (merge) -> skills vocabulary (skills) -> RDF
    (rdf.emit) -> store -> ladders (steps derived from the class facts, taken from each parsed class as its
    graph goes to the store, and written to the ladder graph). Each class graph is written whole (new graphs in
    bulk batches, a changed one in its own transaction); graphs built earlier from the same files and no
    longer produced are removed. ``progress`` is told of each file read, ``stages`` of the stages after that.

    A store with a cache directory keeps a snapshot of the build; when only a few files changed since, and
    nothing other classes see of them, the next build works on their classes alone (``rolegraph.rebuild``),
    unless ``full``: then every class graph in the store is checked against the files, as in a first build.
    """
    # rolegraph.rebuild is the build by difference, built on this module's stages: imported here, not above
    from rolegraph.rebuild import NotByDifference, build_by_difference, keep_snapshot

    iris = iris or Iris()
    stages = stages or _no_stages
    files = list_source_files(paths)
    cache_directory = getattr(store, "cache_directory", None)
    reason = "asked for"
    if not full:
        try:
            with collector_paused():
                return build_by_difference(files, store, iris, progress, stages)
        except NotByDifference as why:
            reason = str(why)
    forget_state(cache_directory, SNAPSHOT_STATE)  # until this build has written all it writes
    parsed = parse_paths(files, progress, cache_directory=cache_directory)
    with collector_paused():
        summary, made = _build_parsed(parsed, store, iris, stages)
        summary.full_because = reason
        if cache_directory is not None:  # the snapshot keeps the count (counting the quads is a pass over them all)
            summary.quads = len(store)
            keep_snapshot(cache_directory, iris, summary, made, store)
    if len(summary.written.written) >= COMPACT_MIN_GRAPHS:
        stages("compacting the store", None)
        store.compact()
    return summary


def _no_stages(name: str, total: int | None) -> Callable[[], None]:
    return lambda: None


@dataclass(frozen=True)
class Made:
    """What a full build worked out on the way that a snapshot of it keeps (see rolegraph.rebuild)."""

    emit_keys: list[str]  # per class built
    names: bytes  # the digest of every class's name that each emit key starts from (``_names_digest``)
    vocabulary_key: str
    titles: dict[tuple[tuple[str, str], str], str]  # the emitter's: (jurisdiction key, folded title) -> class IRI
    emitted: dict[int, Emitted]  # per class built


def _build_parsed(parsed: Parsed, store: Store, iris: Iris, stages: Stages = _no_stages
                  ) -> tuple[BuildSummary, Made | None]:
    cache_directory = getattr(store, "cache_directory", None)
    vocabulary_key, vocabulary = _vocabulary(parsed.classes, cache_directory)
    concept_label = vocabulary.label_of
    names = _names_digest(parsed.classes, iris)
    keys = ([_emit_key(names, job_class, concept_label, parsed.digests) for job_class in parsed.classes]
            if cache_directory is not None else [])
    before = load_entries(cache_directory, EMIT_STATE, emit_fingerprint())
    stored = store.class_graph_hashes() if before else None
    # A class whose graph the store holds as the last build emitted it (same inputs, same content hash) is not
    # emitted again: its facts and skill labels come from what that build kept.
    kept = {position: before[key] for position, key in enumerate(keys)
            if stored is not None and key in before and stored.get(before[key].graph) == before[key].content_hash}
    failed = {failure.path for failure in (*parsed.failures, *parsed.skipped)}
    good_sources = [path.name for path in parsed.files if path not in failed]
    emitted: dict[int, Emitted] = dict(kept)
    positions = [position for position in range(len(parsed.classes)) if position not in kept]
    emitter = ClassGraphEmitter(parsed.classes, iris, concept_label)
    written_one = stages("writing class graphs", len(positions))
    graphs = _emitting(emitter, positions, emitted)  # streamed to the store
    written = store.replace_class_graphs(_ticking(graphs, written_one), replaces_sources=good_sources,
                                         unchanged=[entry.graph for entry in kept.values()], existing=stored)
    written.triples += sum(entry.triples for entry in kept.values())
    if keys:
        keep_entries(cache_directory, EMIT_STATE, emit_fingerprint(),
                     {keys[position]: entry for position, entry in emitted.items()}, before)
    store.replace_graph(skills_graph(iris).value, vocabulary_quads(vocabulary, iris))
    stages("deriving promotion steps", None)
    # Facts in hand cover the store unless it also holds classes built from other files: then read them all.
    ladder = write_ladder_of(emitted, keys, store, iris, cache_directory, read_facts=bool(written.others))
    made = None
    if keys and not written.others:
        made = Made(keys, names, vocabulary_key, {key: iri.value for key, iri in emitter.titles.items()}, emitted)
    return BuildSummary(parsed, written, ladder), made


def write_ladder_of(emitted: dict[int, Emitted], keys: list[str], store: Store, iris: Iris,
                    cache_directory: Path | None, read_facts: bool = False) -> Ladder:
    """The ladder stage: derive the steps from the facts of the classes ``emitted`` (by position; ``keys`` are
    their emit keys, empty without a cache directory), or from the store's when ``read_facts``, and write them."""
    facts = sorted((fact for entry in emitted.values() for fact in entry.facts), key=lambda fact: fact.iri)
    labels = {concept: label for entry in emitted.values() for concept, label in entry.labels.items()}
    return write_ladder(store, iris, facts=None if read_facts else facts, labels=labels,
                        cache_directory=cache_directory, versions=fact_versions(emitted, keys) if keys else None)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Emitted:
    """What a build keeps of an emitted class graph for the next build, and for its own ladder stage."""

    graph: str
    content_hash: str
    triples: int
    facts: tuple[ClassFacts, ...]
    labels: dict[str, str]


def _ticking(graphs: Iterable[ClassGraph], tick: Callable[[], None]) -> Iterator[ClassGraph]:
    for graph in graphs:
        yield graph
        tick()


def _emitted(graph: ClassGraph, emitter: ClassGraphEmitter, position: int) -> Emitted:
    """What the build keeps of the class graph ``emitter`` made of its class at ``position``: the graph's name,
    hash and size, and the class's ladder facts and skill labels, taken from the parsed class (the facts its graph
    holds, not read back from it: ``facts_of_class``), their concepts interned (every class names the same few
    thousand, and a build holds an entry per class until its ladder stage; at 100k classes, 180 MB of copies)."""
    job_class = emitter.classes[position]
    fact = facts_of_class(job_class, emitter.iris, emitter.concept_label, emitter.titles)
    fact = replace(fact, skills={intern(concept): level for concept, level in fact.skills.items()})
    labels = {intern(concept): intern(label)
              for concept, label in concept_labels_of_class(job_class, emitter.iris, emitter.concept_label).items()}
    return Emitted(graph.graph.value, graph.content_hash, graph.size, (fact,), labels)


def _emitting(emitter: ClassGraphEmitter, positions: list[int], emitted: dict[int, Emitted]) -> Iterator[ClassGraph]:
    """The class graphs at ``positions``, in order, each noted in ``emitted`` as it goes by.

    They are emitted here, one by one, while the store's loader thread ingests the last ones: Oxigraph loads
    without the GIL, so emitting and loading keep both cores of a small machine busy. (Emit workers, forked
    processes sending back N-Quads and facts, were slower: at LA the store's stage took 0.65 s with them and
    0.45 s without, at 10k classes the build 29.2 s and 27.3 s; the building process spent on taking in their
    answers what they saved it.)
    """
    for position in positions:
        graph = emitter(position)
        emitted[position] = _emitted(graph, emitter, position)
        yield graph


def fact_versions(emitted: dict[int, Emitted], keys: list[str]) -> dict[str, str]:
    """Class IRI -> the emit key of the graph its facts came from (the key changes whenever they can). A class
    with facts from two graphs gets none, so the ladder stage always takes it as changed."""
    versions: dict[str, str] = {}
    twice: set[str] = set()
    for position, entry in emitted.items():
        for fact in entry.facts:
            if fact.iri in versions:
                twice.add(fact.iri)
            versions[fact.iri] = keys[position]
    for iri in twice:
        del versions[iri]
    return versions


def _vocabulary(classes: list[JobClass], cache_directory: Path | None) -> tuple[str, Vocabulary]:
    """The skills vocabulary of ``classes``, with the key it is kept under; the last build's when the statements
    are the same (in the same order) and so are the skills rules and code."""
    if cache_directory is None:
        return "", vocabulary_of_classes(classes)
    digest = hashlib.sha256(emit_fingerprint().encode())
    for job_class in classes:  # broader concepts depend on which class holds a statement, and its kind
        for ksa in job_class.ksas:
            digest.update(f"{ksa.kind}\1".encode())
            digest.update(ksa.text.encode("utf-8", "surrogateescape"))
            digest.update(b"\0")
        digest.update(b"\2")
    key = digest.hexdigest()
    kept = kept_vocabulary(cache_directory, key)
    if kept is not None:
        return key, kept
    vocabulary = vocabulary_of_classes(classes)
    keep_state(cache_directory, VOCABULARY_STATE, (key, vocabulary))
    return key, vocabulary


def kept_vocabulary(cache_directory: Path, key: str) -> Vocabulary | None:
    """The skills vocabulary the last build kept under ``key`` (see ``_vocabulary``), or None."""
    kept = load_state(cache_directory, VOCABULARY_STATE)
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == key and isinstance(kept[1], Vocabulary):
        return kept[1]
    return None


def _class_digest(job_class: JobClass) -> bytes:
    """A digest of a class's repr: the model is frozen dataclasses, so equal classes have equal digests."""
    return hashlib.sha256(repr(job_class).encode()).digest()


def _names_digest(classes: list[JobClass], iris: Iris) -> bytes:
    """A digest of the emitting code, the base IRI and the names of all classes (job families and bulletins refer
    to other classes by title): what every emit key starts from."""
    names = hashlib.sha256(f"{emit_fingerprint()} {iris.base}".encode())
    for job_class in classes:
        place = job_class.jurisdiction
        names.update(repr(((place.state, place.name) if place else None, job_class.title.value,
                           job_class.code.value if job_class.code else None)).encode())
    return names.digest()


def _emit_key(names: bytes, job_class: JobClass, concept_label: Callable[[Ksa], str],
              digests: dict[int, tuple[JobClass, bytes]] | None = None) -> str:
    """A digest of everything a class's graph is made of: ``names`` (see ``_names_digest``), the class (the digest
    of its repr: from ``digests`` when it is the class as parsed), and the skill concept of each statement."""
    digest = hashlib.sha256(names)
    found = digests.get(id(job_class)) if digests else None
    digest.update(found[1] if found is not None and found[0] is job_class else _class_digest(job_class))
    digest.update("\n".join(concept_label(ksa) for ksa in job_class.ksas).encode())
    return digest.hexdigest()
