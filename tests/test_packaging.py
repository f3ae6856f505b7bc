"""The distribution ships what it reads at run time (ontology, shapes, rules) and installs the console script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rolegraph.resources import ontology_files, rule_table, shape_files

ROOT = Path(__file__).resolve().parent.parent


def test_resources_are_found() -> None:
    assert [entry.name for entry in ontology_files()] == ["rolegraph.ttl"]
    assert "headings" in rule_table("headings")
    assert all(entry.name.endswith(".ttl") for entry in shape_files())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True)
    [built] = out.glob("rolegraph-*.whl")
    return built


def test_wheel_contains_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("rolegraph/ontology/rolegraph.ttl", "rolegraph/parser/rules/headings.toml",
                     "rolegraph/parser/rules/phrases.toml", "rolegraph/py.typed", "rolegraph/web/__init__.py",
                     "rolegraph/cli.py"):
        assert expected in names, expected
    for source in (ROOT / "shapes").glob("*.ttl"):
        assert f"rolegraph/shapes/{source.name}" in names
    for source in (ROOT / "graph" / "parser" / "rules").glob("*.toml"):
        assert f"rolegraph/parser/rules/{source.name}" in names
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    assert "rolegraph = rolegraph.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_every_package_directory_is_listed_in_pyproject() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = config["package-dir"]
    for name, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            package = ".".join([name, *relative.parts]) if relative.parts else name
            if "__pycache__" not in package and not any(part.startswith(".") for part in relative.parts):
                assert package in listed, f"{package} is not in [tool.setuptools] packages"
