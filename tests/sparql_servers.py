"""Real SPARQL servers for the tests, on free 127.0.0.1 ports: ``oxigraph serve`` and Virtuoso.

Each ``start_*`` returns a running Server (or raises ServerMissing when the program is not installed)
whose ``stop()`` always ends the process; every wait is bounded.

Virtuoso, the minimal working setup: a virtuoso.ini in a temporary directory holding the database files,
with the SQL port and the HTTP port bound to 127.0.0.1. A new database has the account ``dba`` (password
``dba``), which may use the digest-protected endpoints ``/sparql-auth`` (query and update) and
``/sparql-graph-crud-auth`` (Graph Store Protocol); rolegraph uses those when ROLEGRAPH_USER and
ROLEGRAPH_PASSWORD are set, so no grant is needed. (The anonymous ``/sparql-graph-crud`` would need
``GRANT SPARQL_UPDATE TO "SPARQL"`` through isql.) ResultSetMaxRows is raised from 10,000 so that no
result is cut; ServerRoot points at the packaged vsp folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Server", "ServerMissing", "find_program", "start_oxigraph", "start_virtuoso"]

START_TIMEOUT = 60.0  # seconds a server may take to answer its first query
STOP_TIMEOUT = 15.0  # seconds between SIGTERM and SIGKILL
VIRTUOSO_VSP = Path("/var/lib/virtuoso-opensource-7/vsp")

VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 1
CheckpointInterval = 0
DirsAllowed = {dir}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {vsp}
ServerThreads = 4
MaxKeepAlives = 4

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


def find_program(name: str) -> str | None:
    """The path of program ``name``: first beside this Python (the venv's ``bin/``, where ``pip install``
    puts console scripts such as ``oxigraph``, and which ``.venv/bin/python -m pytest`` does not put on
    PATH), then on PATH; None when it is in neither.

    Every test and benchmark that looks for a program looks here, so that a program ``.[test]`` installed
    is found however Python was started.
    """
    # sys.executable unresolved: a venv's python is a link to the base interpreter, outside the venv.
    beside_python = dict.fromkeys([sysconfig.get_path("scripts"), str(Path(sys.executable).parent)])
    return shutil.which(name, path=os.pathsep.join([*beside_python, os.environ.get("PATH", os.defpath)]))


class ServerMissing(Exception):
    """The server program is not installed here."""


@dataclass
class Server:
    """A server process and where it answers."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    environ: dict[str, str]  # what rolegraph needs to be told (credentials)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_ready(server: Server, probe: str) -> Server:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(probe, timeout=2):
                return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    server.stop()
    tail = server.log.read_text(errors="replace")[-2000:] if server.log.exists() else ""
    raise RuntimeError(f"{server.name} did not start within {START_TIMEOUT:.0f} s:\n{tail}")


def start_oxigraph(directory: Path) -> Server:
    """``oxigraph serve`` (PyPI package ``oxigraph``) on a new store in ``directory``."""
    program = find_program("oxigraph")
    if program is None:
        raise ServerMissing("the oxigraph server is not installed (pip install oxigraph)")
    port = free_port()
    log = directory / "oxigraph.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([program, "serve", "--location", str(directory / "data"),
                                    "--bind", f"127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT)
    server = Server("oxigraph", f"http://127.0.0.1:{port}", process, log, {})
    return _wait_until_ready(server, f"{server.url}/query?query=ASK%7B%7D")


def start_virtuoso(directory: Path) -> Server:
    """Virtuoso (Debian package ``virtuoso-opensource``) on a new database in ``directory``."""
    program = find_program("virtuoso-t")  # Debian: /usr/bin/virtuoso-t
    if program is None or not VIRTUOSO_VSP.is_dir():
        raise ServerMissing("Virtuoso is not installed (apt-get install virtuoso-opensource)")
    http_port, sql_port = free_port(), free_port()
    (directory / "virtuoso.ini").write_text(VIRTUOSO_INI.format(
        dir=directory, sql_port=sql_port, http_port=http_port, vsp=VIRTUOSO_VSP), encoding="utf-8")
    log = directory / "virtuoso.out"
    with open(log, "wb") as out:  # +foreground: stays our child, so stop() ends it
        process = subprocess.Popen([program, "+foreground", "+configfile", str(directory / "virtuoso.ini")],
                                   cwd=directory, stdout=out, stderr=subprocess.STDOUT)
    server = Server("virtuoso", f"http://127.0.0.1:{http_port}", process, log,
                    {"ROLEGRAPH_USER": "dba", "ROLEGRAPH_PASSWORD": "dba"})
    return _wait_until_ready(server, f"{server.url}/sparql?query=ASK%7B%7D")


if __name__ == "__main__":  # for trying things by hand: python tests/sparql_servers.py DIR; Ctrl-C stops
    import sys
    import tempfile

    base = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    servers = []
    try:
        for start in (start_oxigraph, start_virtuoso):
            (base / start.__name__).mkdir(parents=True, exist_ok=True)
            servers.append(start(base / start.__name__))
            print(servers[-1].name, servers[-1].url, flush=True)
        time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 600)
    finally:
        for running in servers:
            running.stop()
