"""Validation in the background: no request ever waits for it.

The first page request of an app starts one run (``BackgroundValidation.start``); pages show the findings of
the finished run with the time it finished and the number of classes it checked, or say that it is running
(the validation page then refreshes itself). The store is a snapshot while served, like every list the pages
read once, so one run per server start is what the pages show; restart the server after a rebuild (a remote
store can be rebuilt under a running server: the page says when its findings were made).

A store in a directory or at a SPARQL server's URL is validated by a child process,
``python -m rolegraph.web.validation_run STORE``, which prints the JSON report (``rolegraph.validate``'s
writer): its CPU time and its memory (the whole graph, for a remote store) stay out of the server process.
A store in memory is validated on a thread of this process.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rolegraph.store import Store

__all__ = ["BackgroundValidation", "ValidationState", "report_from_json"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationState:
    """What the pages know of validation: the last report (None before the first run ends) and when."""

    report: Any | None = None  # rolegraph.validate.Report
    started: datetime | None = None
    finished: datetime | None = None
    error: str = ""  # one line, when the run failed
    available: bool = True  # False when rolegraph.validate is not installed

    @property
    def running(self) -> bool:
        return self.started is not None and self.finished is None


def report_from_json(text: str) -> Any:
    """A Report from ``rolegraph validate --format json`` output (findings and checked classes; no shapes)."""
    from rolegraph.validate import CheckedClass, Finding, Report

    document = json.loads(text)
    return Report([Finding(**finding) for finding in document["findings"]],
                  [CheckedClass(**checked) for checked in document["classes"]], [])


class BackgroundValidation:
    """One validation run of a store, started on demand, in a child process (or a thread for a memory store)."""

    def __init__(self, location: str | Path | None, store: Store) -> None:
        self.location = None if location is None else str(location)
        self.store = store
        self._state = ValidationState()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._closed = False

    def state(self) -> ValidationState:
        return self._state

    def start(self) -> None:
        """Start the run unless it was started already; returns at once."""
        with self._lock:
            if self._state.started is not None or self._closed:
                return
            self._state = ValidationState(started=_now())
            threading.Thread(target=self._run, name="rolegraph-validation", daemon=True).start()

    def wait(self, timeout: float) -> bool:
        """Whether the run ended within ``timeout`` seconds."""
        return self._done.wait(timeout)

    def _run(self) -> None:
        report, error = None, ""
        try:
            import rolegraph.validate  # noqa: F401 - rdflib and pySHACL: imported here, never in a request
        except ImportError:
            self._state = ValidationState(available=False)
            self._done.set()
            return
        try:
            report = self.compute()
        except Exception as failure:  # noqa: BLE001 - the page says it failed and why; the server goes on
            error = " ".join(str(failure).split()) or type(failure).__name__
            log.error("validation failed: %s", error)
        self._state = ValidationState(report, self._state.started, _now(), error)
        self._done.set()

    def compute(self) -> Any:
        """The Report of the store: the child process's for a store with a location, else this process's."""
        if self.location is None:
            from rolegraph.validate import validate_store

            return validate_store(self.store)
        with self._lock:
            if self._closed:
                raise RuntimeError("the server stopped before validation began")
            self._process = subprocess.Popen([sys.executable, "-m", "rolegraph.web.validation_run", self.location],
                                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE)
        out, err = self._process.communicate()
        if self._process.returncode != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(lines[-1] if lines else f"the validation process exited {self._process.returncode}")
        return report_from_json(out.decode("utf-8"))

    def close(self) -> None:
        """Stop a running child process (the server is stopping)."""
        with self._lock:
            self._closed = True
            process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(5)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _main(location: str) -> int:
    from rolegraph.errors import RolegraphError
    from rolegraph.store import open_store
    from rolegraph.validate import WriteOptions, validate_store, write_json

    try:
        store = open_store(location, read_only=True)
        try:
            report = validate_store(store)
        finally:
            store.close()
    except RolegraphError as error:
        print(f"rolegraph: {location}: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(write_json(report, WriteOptions()))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
