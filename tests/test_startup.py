"""The CLI starts without loading what its commands need: each command imports its own dependencies when it runs.

Checked by the modules a fresh process holds after importing rolegraph.cli or running a light command, not by
timing (bench/startup.py times it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rolegraph.cli import cli
from rolegraph.store import open_store

# Modules a light command must not load: SPARQL in Python and SHACL (rdflib's engine, pySHACL), the ladders'
# graphs (networkx, numpy), the web app, the parser and the pipeline, HTTP (requests: only for a server store)
HEAVY = ("rdflib", "pyshacl", "numpy", "networkx", "flask", "requests", "rapidfuzz", "rolegraph.web",
         "rolegraph.validate", "rolegraph.ladders", "rolegraph.parser", "rolegraph.pipeline", "rolegraph.readers",
         "rolegraph.rdf.emit", "rolegraph.coverage", "rolegraph.lookup")
MARK = "MODULES:"
RUN_AND_LIST = f"""
import json, sys
from rolegraph.cli import cli
try:
    cli(sys.argv[1:], prog_name="rolegraph")
except SystemExit as done:
    code = done.code
print({MARK!r} + json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""


def loaded_by(*args: str) -> set[str]:
    """The modules a fresh process holds after running ``rolegraph ARGS``, which must exit 0."""
    done = subprocess.run([sys.executable, "-c", RUN_AND_LIST, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    report = json.loads(line[len(MARK):])
    assert report["code"] in (0, None), done.stdout + done.stderr
    return set(report["modules"])


def heavy_among(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if any(name == heavy or name.startswith(f"{heavy}.") for heavy in HEAVY))


def test_importing_the_cli_loads_no_command_dependencies() -> None:
    code = "import json, sys, rolegraph.cli; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    modules = set(json.loads(done.stdout))
    assert heavy_among(modules) == []
    assert "rich" not in modules  # the console is made when a command first prints through it


@pytest.mark.parametrize("args", [["--help"], ["query", "--help"], ["export", "--help"]], ids=" ".join)
def test_help_loads_no_command_dependencies(args: list[str]) -> None:
    assert heavy_among(loaded_by(*args)) == []


def test_a_query_loads_only_the_store(tmp_path: Path) -> None:
    open_store(tmp_path / "store").close()  # an empty store: ASK {} is true on any
    modules = loaded_by("query", "ASK {}", "--store", str(tmp_path / "store"))
    assert heavy_among(modules) == []
    assert "rolegraph.store.oxigraph" in modules  # the query ran: the check above saw a real run


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout, result.output


@pytest.mark.parametrize(("command", "option", "shown"), [
    ("validate", "--format", "text|"), ("validate", "--fail-on", "violation|warning|info"),
    ("validate", "--engine", "auto|"), ("ladder", "--format", "text|json|")])
def test_choices_from_other_modules_are_listed_and_checked(command: str, option: str, shown: str) -> None:
    """The choices read from rolegraph.validate and rolegraph.ladders.render when needed are those tables' keys."""
    assert shown in CliRunner().invoke(cli, [command, "--help"]).stdout
    args = [command, "1341", option, "no-such-choice"] if command == "ladder" else [command, option,
                                                                                     "no-such-choice", "x"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "no-such-choice" in result.stderr and "is not one of" in result.stderr
