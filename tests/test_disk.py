"""A full disk and a read-only store directory: a clear one-line error, and the store stays usable.

Uses a small tmpfs mounted for the test (root only; skipped with a reason elsewhere).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from rolegraph.cli import cli
from rolegraph.store import open_store


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24M", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def dump(store_dir: Path) -> bytes:
    with open_store(store_dir, read_only=True) as store:
        out = io.BytesIO()
        store.export(out, "nq")
    return b"\n".join(sorted(out.getvalue().splitlines()))


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:  # unbuffered: closing has nothing left to write
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


def test_disk_full_is_a_clear_error_and_the_store_survives(small_disk: Path, specs_dir: Path, tmp_path: Path) -> None:
    store = small_disk / "store"
    runner = CliRunner()
    assert runner.invoke(cli, ["build", str(specs_dir), "--store", str(store)]).exit_code == 0
    before = dump(store)
    changed = tmp_path / "changed"
    shutil.copytree(specs_dir, changed)
    for path in changed.iterdir():
        path.write_bytes(path.read_bytes() + b"\nNotes: revised.\n")
    filler = fill(small_disk)
    result = runner.invoke(cli, ["build", str(changed), "--store", str(store)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("rolegraph: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    filler.unlink()
    assert dump(store) == before, "a failed build must leave the store as it was"
    assert runner.invoke(cli, ["build", str(changed), "--store", str(store)]).exit_code == 0


def test_read_only_store_directory(small_disk: Path, specs_dir: Path) -> None:
    store = small_disk / "store"
    runner = CliRunner()
    assert runner.invoke(cli, ["build", str(specs_dir), "--store", str(store)]).exit_code == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = runner.invoke(cli, ["build", str(specs_dir), "--store", str(store)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"rolegraph: {store}: ") and "read-only" in result.stderr.lower()
    query = runner.invoke(cli, ["query", "--store", str(store), "--format", "csv",
                                "SELECT (COUNT(*) AS ?n) WHERE { ?c a rg:JobClass }"])
    assert query.exit_code == 0 and query.stdout.split()[1] == "5"
