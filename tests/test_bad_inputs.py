"""The bad-inputs corpus (tests/bad-inputs/expected.toml) through the CLI, plus cases made at run time.

Each bad file gets one line, `rolegraph: <file>: <reason>`, and the exit status the table gives; a folder
mixing good and bad files builds every good one and names every bad one.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from rolegraph.cli import cli

CORPUS = Path(__file__).resolve().parent / "bad-inputs"
EXPECTED = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))["files"]


def build(paths: list[Path], store: Path) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(cli, ["build", *map(str, paths), "--store", str(store)])
    errors = [line for line in result.stderr.splitlines() if line.startswith("rolegraph: ")]
    assert "Traceback" not in result.output
    return result.exit_code, errors, result.stdout


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=str)
def test_corpus_file(name: str, tmp_path: Path) -> None:
    case = EXPECTED[name]
    code, errors, _ = build([CORPUS / name], tmp_path / "store")
    assert code == case["exit"]
    if case["message"]:
        [line] = errors
        assert line.startswith(f"rolegraph: {CORPUS / name}: ") and case["message"] in line
    else:
        assert errors == []


def test_folder_of_everything_builds_the_good_and_names_the_bad(tmp_path: Path, specs_dir: Path) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(CORPUS, folder, ignore=shutil.ignore_patterns("expected.toml"))
    shutil.copytree(specs_dir, folder / "specs")
    code, errors, summary = build([folder], tmp_path / "store")
    bad = sorted(name for name, case in EXPECTED.items() if case["message"])
    assert code == 1
    assert sorted(line.split(": ")[1].rsplit("/", 1)[-1] for line in errors) == bad
    good = len(EXPECTED) - len(bad) + 5
    assert any("source documents" in line and line.rstrip(" │").endswith(str(good)) for line in summary.splitlines())


def test_a_single_20_mb_line_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "one-line.txt"
    path.write_bytes(b"CUSTOMER CLERK " * (20 * 1024 * 1024 // 15))
    code, [line], _ = build([path], tmp_path / "store")
    assert code == 1 and "file is 20 MB; a text specification may be at most 8 MB" in line


def test_a_50_mb_spec_is_refused(tmp_path: Path, specs_dir: Path) -> None:
    path = tmp_path / "huge.txt"
    seed = (specs_dir / "002_a5126ba24733d61e.txt").read_bytes()
    with path.open("wb") as handle:
        for _ in range(50 * 1024 * 1024 // len(seed) + 1):
            handle.write(seed)
    code, [line], _ = build([path], tmp_path / "store")
    assert code == 1 and "file is 50 MB" in line


def test_a_symlink_loop_is_not_followed(tmp_path: Path, specs_dir: Path) -> None:
    folder = tmp_path / "specs"
    shutil.copytree(specs_dir, folder)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "self.txt").symlink_to(folder / "self.txt")
    code, errors, _ = build([folder], tmp_path / "store")
    assert code == 1
    [line] = errors
    assert "self.txt" in line and ("no such file" in line or "cannot read" in line or "not a regular" in line)


def test_a_file_name_with_a_newline_and_non_ascii_stays_one_line(tmp_path: Path, specs_dir: Path) -> None:
    path = tmp_path / "Résumé\nspec.txt"
    path.write_bytes(b"")
    code, errors, _ = build([path], tmp_path / "store")
    assert code == 1
    [line] = errors
    assert "Résumé\\nspec.txt: empty file" in line
    good = tmp_path / "Ñandú\nclerk.txt"
    shutil.copy(specs_dir / "002_a5126ba24733d61e.txt", good)
    code, errors, _ = build([good], tmp_path / "store2")
    assert (code, errors) == (0, [])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode; run as a user to test this")
def test_an_unreadable_file(tmp_path: Path, specs_dir: Path) -> None:
    path = tmp_path / "secret.txt"
    shutil.copy(specs_dir / "002_a5126ba24733d61e.txt", path)
    path.chmod(0)
    code, [line], _ = build([path], tmp_path / "store")
    assert code == 1 and "permission denied" in line


def a_file(tmp: Path) -> Path:
    (tmp / "file").write_text("x")
    return tmp / "file"


def a_folder_with_other_things(tmp: Path) -> Path:
    (tmp / "full").mkdir()
    (tmp / "full" / "keep.txt").write_text("x")
    return tmp / "full"


@pytest.mark.parametrize("make, message", [(a_file, "not a directory"),
                                           (a_folder_with_other_things, "not empty and is not a rolegraph store")])
def test_malformed_store_paths(tmp_path: Path, specs_dir: Path, make: Callable[[Path], Path], message: str) -> None:
    store = make(tmp_path)
    result = CliRunner().invoke(cli, ["build", str(specs_dir), "--store", str(store)])
    assert result.exit_code == 2
    assert result.stderr.startswith("rolegraph: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
