"""The CLI as a user runs it: summaries, exit codes, one-line errors, standard result formats."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rolegraph.cli import cli

CORPUS = Path(__file__).resolve().parent / "bad-inputs"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def built_store(runner: CliRunner, specs_dir: Path, tmp_path: Path) -> Path:
    store = tmp_path / "store"
    result = runner.invoke(cli, ["build", str(specs_dir), "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


def test_build_prints_a_summary(runner: CliRunner, specs_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["build", str(specs_dir), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0
    for label, value in (("files read", "5"), ("job classes", "4"), ("named classes (stubs)", "1"),
                         ("failures", "0")):
        assert any(label in line and line.rstrip(" │|").endswith(value) for line in result.stdout.splitlines()), label


def test_a_second_build_says_it_went_by_difference_and_full_forces_a_full_one(runner: CliRunner, specs_dir: Path,
                                                                              tmp_path: Path) -> None:
    import os

    specs = shutil.copytree(specs_dir, tmp_path / "specs")  # keeps the files' times: well before the build
    store = str(tmp_path / "s")

    def build_row(*options: str) -> str:
        result = runner.invoke(cli, ["build", str(specs), "--store", store, *options])
        assert result.exit_code == 0, result.output
        return next(line for line in result.stdout.splitlines() if "│ build " in line)

    assert "full: no snapshot of a last build" in build_row()
    assert "by difference" in build_row()
    assert "full: asked for" in build_row("--full")
    os.utime(next(specs.iterdir()), ns=(0, 0))  # only its times changed: still by difference
    assert "by difference" in build_row()


def test_build_with_bad_files_builds_the_rest_and_exits_1(runner: CliRunner, specs_dir: Path,
                                                          tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    shutil.copytree(specs_dir, mixed)
    for name in ("image.png", "empty.txt", "spec.docx"):
        shutil.copy(CORPUS / name, mixed / name)
    shutil.copy(CORPUS / "utf16-bom.txt", mixed / "utf16.txt")
    result = runner.invoke(cli, ["build", str(mixed), "--store", str(tmp_path / "s")])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("rolegraph: ")]
    assert len(errors) == 3
    for name, reason in (("image.png", "PNG"), ("empty.txt", "empty file"), ("spec.docx", "not a valid Word .docx")):
        assert any(name in line and reason in line for line in errors), name
    assert "Traceback" not in result.output
    codes = runner.invoke(cli, ["query", "--store", str(tmp_path / "s"), "--format", "csv",
                                "SELECT DISTINCT ?c WHERE { ?x a rg:JobClass ; schema:identifier ?c }"])
    assert sorted(codes.stdout.split()[1:]) == ["11360", "1341", "1343", "885.2"]


def test_show_lists_facts_with_source_lines(runner: CliRunner, built_store: Path) -> None:
    result = runner.invoke(cli, ["show", "1341", "--store", str(built_store)])
    assert result.exit_code == 0
    assert "Customer Relations Clerk" in result.stdout
    assert "000_cb4c0eba8ad97db4.txt:18-35" in result.stdout  # the first duty
    assert "001_2d86a1cef3b5cf81.txt" in result.stdout  # second source
    by_title = runner.invoke(cli, ["show", "customer relations clerk", "--store", str(built_store)])
    assert by_title.stdout == result.stdout


def test_show_unknown_suggests(runner: CliRunner, built_store: Path) -> None:
    result = runner.invoke(cli, ["show", "Customer Relatons Clark Supervisor Manager", "--store", str(built_store)])
    assert result.exit_code == 2
    assert result.stderr.startswith("rolegraph: no job class") and "did you mean" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("format_name", ["turtle", "trig", "nt", "nq", "jsonld", "xml"])
def test_export_to_file(runner: CliRunner, built_store: Path, tmp_path: Path, format_name: str) -> None:
    output = tmp_path / f"out.{format_name}"
    result = runner.invoke(cli, ["export", "--store", str(built_store), "--format", format_name, "-o", str(output)])
    assert result.exit_code == 0
    assert output.stat().st_size > 10_000


QUERY = "SELECT ?code ?title WHERE { ?c a rg:JobClass ; schema:identifier ?code ; schema:name ?title } ORDER BY ?code"


def test_query_formats(runner: CliRunner, built_store: Path) -> None:
    as_json = json.loads(runner.invoke(cli, ["query", QUERY, "--store", str(built_store), "--format", "json"]).stdout)
    assert as_json["head"]["vars"] == ["code", "title"]
    assert [b["code"]["value"] for b in as_json["results"]["bindings"]] == ["11360", "1341", "1343", "885.2"]
    rows = list(csv.reader(io.StringIO(runner.invoke(cli, ["query", QUERY, "--store", str(built_store),
                                                            "--format", "csv"]).stdout)))
    assert rows[0] == ["code", "title"] and len(rows) == 5
    tsv = runner.invoke(cli, ["query", QUERY, "--store", str(built_store), "--format", "tsv"]).stdout.splitlines()
    assert tsv[0] == "?code\t?title" and len(tsv) == 5
    table = runner.invoke(cli, ["query", QUERY, "--store", str(built_store)]).stdout
    assert "Customer Relations Clerk" in table and "4 rows" in table


def test_query_from_file_and_construct(runner: CliRunner, built_store: Path, tmp_path: Path) -> None:
    query_file = tmp_path / "q.rq"
    query_file.write_text('CONSTRUCT { ?c schema:name ?t } WHERE { ?c schema:identifier "1343" ; schema:name ?t }')
    result = runner.invoke(cli, ["query", f"@{query_file}", "--store", str(built_store)])
    assert result.exit_code == 0
    assert "@prefix schema:" in result.stdout and "Customer Relations and Billing Supervisor" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["query", "SELEKT * WHERE {}"], "malformed SPARQL"),
    (["query", "@/nonexistent/q.rq"], "cannot read the query"),
    (["export", "--format", "turtle", "-o", "/nonexistent/dir/out.ttl"], "cannot write"),
])
def test_errors_are_one_line_without_traceback(runner: CliRunner, built_store: Path, args: list[str],
                                               message: str) -> None:
    result = runner.invoke(cli, [*args, "--store", str(built_store)])
    assert result.exit_code == 2
    assert result.stderr.startswith("rolegraph: ") and message in result.stderr
    assert "Traceback" not in result.output


def test_reading_a_missing_store_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["query", "ASK {}", "--store", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "no rolegraph store here" in result.stderr


@pytest.mark.parametrize("command", ["build", "show", "export", "query"])
def test_help(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_build_progress_draws_without_a_thread_of_its_own() -> None:
    """The bars are redrawn by the build's calls: a process running one thread may fork its workers."""
    import threading

    from rolegraph.cli import BuildProgress

    before = threading.active_count()
    with BuildProgress(3) as progress:
        assert threading.active_count() == before
        progress.file_read(Path("a.txt"))
        tick = progress.stage("writing class graphs", 2)
        tick()
        assert [(task.description, task.completed) for task in progress.bars.tasks] == [
            ("reading", 3), ("writing class graphs", 1)]


def test_build_summary_says_time_and_peak_memory(tmp_path: Path, specs_dir: Path) -> None:
    from click.testing import CliRunner

    from rolegraph.cli import cli

    result = CliRunner().invoke(cli, ["build", str(specs_dir), "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    assert re.search(r"time\s+│\s+\d+\.\d s", result.output)
    assert re.search(r"peak memory\s+│\s+[\d,]+ MB", result.output)
