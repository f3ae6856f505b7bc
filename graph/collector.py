"""The cyclic garbage collector paused around work that makes millions of small acyclic objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused", "frozen_for_fork"]


@contextmanager
def collector_paused(keep: bool = False) -> Iterator[None]:
    """Pause the cyclic collector for the block, restoring it after (if it was on).

    The first collection after a pause still scans once every object the block made. With ``keep``, the
    objects alive at the end of the block are moved out of the collector's sight first (``gc.freeze``): for a
    command that ends soon after (a build made 4M objects at 10k classes: a second per build spent on that
    scan). They are still freed when no longer referenced; only a reference cycle among them stays.

    Emitting quads and deriving ladders make millions of small acyclic objects; the full collections they
    trigger scan every live object each time (at 10k classes they tripled the time of emitting, and cost 40 %
    of derivation at 50k). Reference counting still frees what is dropped.

    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if enabled:
            gc.enable()


@contextmanager
def frozen_for_fork() -> Iterator[None]:
    """Move this process's objects out of the collector's sight while worker processes are forked and work.

    A forked worker inherits every object; its collections (they run as usual there) would scan them all again
    and again, and copy each page they touch (Python's advice for forking: ``gc.freeze`` just before). At LA
    with the bench's objects around, parse workers spent 5 % of their CPU on that. The objects are given back to
    the collector after, unless some were frozen before (by ``collector_paused(keep=True)``): they stay so.
    """
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()
