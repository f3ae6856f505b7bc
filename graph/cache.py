"""The parse cache: parsed job classes kept by source content, so an unchanged source is not parsed again.

Entries live in the store directory, under a fingerprint of the code and rule tables that parse, so a new
rolegraph version or an edited rule table never reads an old entry. A damaged entry is parsed again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import zlib
from collections.abc import Hashable, Iterable
from functools import cache
from importlib.resources import files
from pathlib import Path

from rolegraph import __version__
from rolegraph.collector import collector_paused
from rolegraph.model import JobClass

__all__ = ["SNAPSHOT_STATE", "fingerprint", "emit_fingerprint", "build_fingerprint", "cached_classes",
           "cached_classes_of", "remember_classes", "load_state", "keep_state", "forget_state", "load_entries",
           "keep_entries", "shard_of", "load_shards", "keep_shards"]

# What parsing depends on: a change to any of these makes a new cache generation.
PARSING_PACKAGES = ("rolegraph.readers", "rolegraph.parser", "rolegraph.parser.rules")
STATE_FOLDER = "state"  # what a build keeps for the next one (the ladder it wrote), beside the parse cache
SHARDS = 256  # a state of many entries is kept in this many files, so that a small change rewrites one or two
# What a build keeps of itself for a rebuild by difference (rolegraph.rebuild). Unlike the other states, it is
# trusted without checking every class graph, so anything else that writes to a store forgets it.
SNAPSHOT_STATE = "snapshot"


@cache
def fingerprint() -> str:
    """A digest of the rolegraph version, the model, the readers, the parser and its rule tables."""
    digest = hashlib.sha256(__version__.encode())
    entries = [files("rolegraph").joinpath("model.py")]
    for package in PARSING_PACKAGES:
        entries.extend(entry for entry in files(package).iterdir() if entry.name.endswith((".py", ".toml")))
    for entry in sorted(entries, key=lambda entry: str(entry)):
        digest.update(entry.name.encode())
        digest.update(entry.read_bytes())
    return digest.hexdigest()[:16]


@cache
def emit_fingerprint() -> str:
    """A digest of the code that turns a parsed class into its graph and ladder facts (model, merge, rdf, skills,
    ladders.facts): with the parsing fingerprint, what an emitted graph kept for the next build depends on."""
    digest = hashlib.sha256(fingerprint().encode())
    entries = [files("rolegraph").joinpath(name) for name in ("model.py", "merge.py", "skills.py")]
    entries.append(files("rolegraph.ladders").joinpath("facts.py"))  # the facts kept with each graph
    entries.extend(entry for entry in files("rolegraph.rdf").iterdir() if entry.name.endswith(".py"))
    for entry in sorted(entries, key=lambda entry: str(entry)):
        digest.update(entry.name.encode())
        digest.update(entry.read_bytes())
    return digest.hexdigest()[:16]


@cache
def build_fingerprint() -> str:
    """A digest of everything a build's output depends on: the emitting code (``emit_fingerprint``, which covers
    parsing), the ladder stage (``rolegraph.ladders``; its rule table is a parser rule table), and the build
    itself (pipeline, rebuild, coverage)."""
    digest = hashlib.sha256(emit_fingerprint().encode())
    entries = [entry for entry in files("rolegraph.ladders").iterdir() if entry.name.endswith(".py")]
    entries.extend(files("rolegraph").joinpath(name) for name in ("pipeline.py", "rebuild.py", "coverage.py"))
    for entry in sorted(entries, key=lambda entry: str(entry)):
        digest.update(entry.name.encode())
        digest.update(entry.read_bytes())
    return digest.hexdigest()[:16]


def _entry(directory: Path, name: str, sha256: str) -> Path:
    tag = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return directory / fingerprint() / f"{sha256}-{tag}.pickle"


def cached_classes(directory: Path, path: Path, data: bytes) -> tuple[JobClass, ...] | None:
    """The job classes parsed earlier from these bytes under this file name, or None."""
    return cached_classes_of(directory, path.name, hashlib.sha256(data).hexdigest())


def cached_classes_of(directory: Path, name: str, sha256: str) -> tuple[JobClass, ...] | None:
    """The job classes parsed earlier from a file ``name`` whose bytes have this ``sha256`` (as their
    ``SourceDocumentRef`` records them), or None."""
    try:
        with _entry(directory, name, sha256).open("rb") as handle:
            found = pickle.load(handle)  # noqa: S301 - our own cache, in the user's own store directory
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if isinstance(found, tuple) and all(isinstance(job_class, JobClass) for job_class in found):
        return found
    return None


def remember_classes(directory: Path, path: Path, data: bytes, classes: tuple[JobClass, ...]) -> None:
    """Keep the classes parsed from a file (written whole, then renamed, so a reader never sees half an entry)."""
    entry = _entry(directory, path.name, hashlib.sha256(data).hexdigest())
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(pickle.dumps(classes, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, entry)
    except OSError:
        pass  # a cache that cannot be written only costs a parse next time


def load_state(directory: Path | None, name: str) -> object | None:
    """What a build kept for the next one under ``name`` (see ``keep_state``), or None."""
    if directory is None:
        return None
    try:
        with (directory / STATE_FOLDER / f"{name}.pickle").open("rb") as handle, collector_paused():
            # paused: unpickling makes millions of objects, and the full collections they trigger cost 80 %
            return pickle.load(handle)  # noqa: S301 - our own cache, in the user's own store directory
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None


def keep_state(directory: Path | None, name: str, value: object) -> None:
    """Keep ``value`` for the next build (written whole, then renamed). It is only ever used after checking it
    against the store (a content hash the store records), so a stale or missing state costs time, not truth."""
    if directory is None:
        return
    entry = directory / STATE_FOLDER / f"{name}.pickle"
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.with_suffix(f".{os.getpid()}.partial")
        with partial.open("wb") as handle, collector_paused():  # streamed: at 100k classes, hundreds of MB
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, entry)
    except OSError:
        pass


def forget_state(directory: Path | None, name: str) -> None:
    """Remove what a build kept under ``name``: a state that no longer describes the store must not be found."""
    if directory is not None:
        (directory / STATE_FOLDER / f"{name}.pickle").unlink(missing_ok=True)


def shard_of(key: Hashable) -> int:
    """The shard a key is kept in: the same in every process (no salted ``hash``).

    >>> shard_of("0f3a"), shard_of(("/specs/a.txt", 1, 2))
    (48, 119)
    """
    return zlib.crc32(repr(key).encode("utf-8", "surrogateescape")) % SHARDS


def load_entries(directory: Path | None, name: str, tag: str) -> dict:
    """The entries a build kept under ``name`` and ``tag`` (see ``keep_entries``); those of a missing or damaged
    shard, or of one kept under another tag, are left out."""
    entries: dict = {}
    for shard in range(SHARDS):
        found = _kept_shard(directory, name, tag, shard)
        if found is not None:
            entries.update(found)
    return entries


def _kept_shard(directory: Path | None, name: str, tag: str, shard: int) -> dict | None:
    """One shard of the entries kept under ``name`` and ``tag``, or None (missing, damaged, another tag)."""
    found = load_state(directory, f"{name}-{shard:02d}")
    if isinstance(found, tuple) and len(found) == 2 and found[0] == tag and isinstance(found[1], dict):
        return found[1]
    return None


def keep_entries(directory: Path | None, name: str, tag: str, entries: dict, before: dict) -> None:
    """Keep ``entries`` (a dict) for the next build, under ``tag`` (what they are only valid with: a code
    fingerprint). Only the shards whose keys differ from those of ``before`` (what ``load_entries`` gave) are
    written: an entry is a function of its key and the tag, so the same keys are the same shard."""
    if directory is None:
        return
    shards: list[dict] = [{} for _ in range(SHARDS)]
    for key, value in entries.items():
        shards[shard_of(key)][key] = value
    kept: list[set] = [set() for _ in range(SHARDS)]
    for key in before:
        kept[shard_of(key)].add(key)
    for shard, found in enumerate(shards):
        if found.keys() != kept[shard] or not before:
            keep_state(directory, f"{name}-{shard:02d}", (tag, found))


def load_shards(directory: Path | None, name: str, tag: str, shards: Iterable[int]) -> dict[int, dict] | None:
    """Some shards of the entries kept under ``name`` and ``tag`` (shard -> its entries), or None when one of them
    is missing, damaged or kept under another tag: then the entries are not known, and only a full build (which
    writes them all again) may change them."""
    found: dict[int, dict] = {}
    for shard in set(shards):
        kept = _kept_shard(directory, name, tag, shard)
        if kept is None:
            return None
        found[shard] = kept
    return found


def keep_shards(directory: Path | None, name: str, tag: str, shards: dict[int, dict]) -> None:
    """Write some shards of the entries kept under ``name`` (see ``load_shards``): a change of a few entries."""
    for shard, entries in shards.items():
        keep_state(directory, f"{name}-{shard:02d}", (tag, entries))
