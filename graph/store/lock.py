"""The lock file of a store directory: readers share it, a writer holds it alone, and the writer's name is in it.

Only the process that took a lock holds it: a process it forks (a parse worker) drops it at once, so a build
killed with SIGKILL (the OOM killer, a CI timeout) leaves no process holding the store, whatever became of its
workers. The kernel releases the lock of a dead process; the name it left in the file is then stale, and the next
process to take the lock says it takes it over.

Why ``flock`` kept, and closed in forked children, rather than another kind of lock:

* ``flock`` and open file description locks (``F_OFD_SETLK``) belong to the open file description, which a forked
  child shares: a child still running keeps the lock after its parent died (the bug this module fixes).
* POSIX record locks (``fcntl.lockf``, ``F_SETLK``) are per process and not inherited by fork, but for that same
  reason two opens of the file in one process do not exclude each other (a writer's request would turn a reader's
  lock of the same process into its own), and closing ANY descriptor of the file drops every lock the process holds
  on it (a second store opened and closed on the directory, as ``rolegraph serve`` does, would unlock the first).
  Guarding that needs a per-process table of who holds what: the semantics flock gives for free.
* So: flock, on a descriptor that is not inherited by programs this process runs (Python opens files with
  O_CLOEXEC), and closed in every child right after ``os.fork`` (``os.register_at_fork``). Closing it there only
  drops the child's reference to the open file description: the lock stays the parent's until the parent releases
  it or dies. (A child forked by C code, not through ``os.fork``, would not run the hook; nothing in rolegraph
  does that.)
"""

from __future__ import annotations

import fcntl
import os
import re
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import IO

from rolegraph.errors import StoreError, StoreLocked

__all__ = ["LOCK_FILE", "StoreLock"]

LOCK_FILE = "rolegraph.lock"
RETRY_SECONDS = 0.2
READERS = "another rolegraph process reading it (e.g. rolegraph serve)"  # readers leave no name
HOLDER = re.compile(r"rolegraph process (\d+)")

# The lock files this process holds (or is taking); a forked child closes them before it runs anything else. Weak:
# a store dropped without close() still lets go of its lock when its file is freed, as before.
_held: weakref.WeakSet[IO[bytes]] = weakref.WeakSet()


def _close_in_child() -> None:
    """In a forked child: close the lock files the parent holds (close(2) alone: ``flock(LOCK_UN)`` here would
    release the parent's lock, since the two share the open file description)."""
    for handle in list(_held):
        try:
            handle.close()
        except OSError:
            pass
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


def running(pid: int) -> bool:
    """Whether a process ``pid`` exists (a reused pid counts as running: the message errs on the side of waiting)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, another user's
        return True
    return True


class StoreLock:
    """The lock of the store in ``directory``, shared (a reader) or ``exclusive`` (a writer, whose name goes in the
    file), taken within ``timeout`` seconds or StoreLocked naming the holder. ``on_wait`` is told, once, that the
    store is busy and this process waits, and when the lock of a process that is no longer running is taken over."""

    def __init__(self, directory: Path, exclusive: bool, timeout: float,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.directory = directory
        self.exclusive = exclusive
        self._pid = os.getpid()
        self._handle: IO[bytes] | None = self._open()
        _held.add(self._handle)  # before it is locked: a thread forking meanwhile must not pass it on
        try:
            self._take(timeout, on_wait)
        except BaseException:
            _held.discard(self._handle)
            self._handle.close()
            self._handle = None
            raise

    def _open(self) -> IO[bytes]:
        path = self.directory / LOCK_FILE
        try:
            # a reader on a read-only file system can still take a shared lock through a read-only handle
            writable = self.exclusive or os.access(self.directory, os.W_OK) or not path.exists()
            return open(path, "a+b" if writable else "rb", buffering=0)  # noqa: SIM115 - held until release()
        except OSError as error:
            raise StoreError(f"{self.directory}: cannot open the lock file: {error.strerror or error}") from None

    def _take(self, timeout: float, on_wait: Callable[[str], None] | None) -> None:
        assert self._handle is not None
        deadline = time.monotonic() + timeout
        mode = (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        while True:
            try:
                fcntl.flock(self._handle, mode)
                break
            except BlockingIOError:
                holder = self._holder()
                if on_wait is not None:
                    on_wait(f"{self.directory}: the store is in use by {holder}; waiting up to {timeout:.0f} s")
                    on_wait = None
                if time.monotonic() >= deadline:
                    raise StoreLocked(f"{self.directory}: the store is in use by {holder}; waited {timeout:.0f} s. "
                                      "Try again when it has finished.") from None
                time.sleep(RETRY_SECONDS)
        self._take_over(on_wait)
        if self.exclusive:
            try:  # naming the holder helps a waiting process; a full disk must not stop the build here
                self._handle.seek(0)
                self._handle.truncate()
                self._handle.write(f"rolegraph process {os.getpid()} (writing)\n".encode())
            except OSError:
                pass

    def _name(self) -> str:
        assert self._handle is not None
        try:
            self._handle.seek(0)
            return self._handle.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def _holder(self) -> str:
        """Who holds the lock, as the file names it; a name whose process is gone is stale (it was killed before it
        could clear it), and the lock is then held by a reader or by a process the named one started."""
        name = self._name()
        found = HOLDER.search(name)
        if found is not None and not running(int(found.group(1))):
            return (f"another process (the lock file names rolegraph process {found.group(1)}, which is no longer "
                    "running; a reader, or a process it started, holds the lock)")
        return name or READERS

    def _take_over(self, on_wait: Callable[[str], None] | None) -> None:
        """With the lock taken, any name in the file is of a process that no longer holds it: killed before it
        could clear it. Say so, and clear it (a writer writes its own next)."""
        found = HOLDER.search(self._name())
        if found is None or int(found.group(1)) == os.getpid():
            return
        pid = int(found.group(1))
        if on_wait is not None:
            why = "which no longer holds it" if running(pid) else "which is no longer running"
            on_wait(f"{self.directory}: taking over the lock of rolegraph process {pid}, {why}")
        try:  # only a writer writes a name, never while a reader holds the lock: clearing a stale one is safe
            assert self._handle is not None
            self._handle.truncate(0)
        except OSError:  # a reader through a read-only handle leaves it; the next writer replaces it
            pass

    def release(self) -> None:
        """Clear the writer's name and release the lock (in a forked child, which holds none, only forget it)."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        _held.discard(handle)
        if os.getpid() != self._pid or handle.closed:
            return
        if self.exclusive:
            try:
                handle.truncate(0)  # the holder's name goes with its lock
            except OSError:
                pass
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
