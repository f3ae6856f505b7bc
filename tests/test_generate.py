"""bench/generate.py: synthetic specs are deterministic, parse into the classes the manifest says, and the
shipped shapes report exactly the defects it injected."""

from __future__ import annotations

import importlib.util
import itertools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from rolegraph.pipeline import BuildSummary, build
from rolegraph.store import open_store
from rolegraph.validate import Report, validate_store

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ROOT / "bench" / "generate.py"
SIZE, SEED = 200, 2  # seed 2 at 200 specs yields every layout and every kind of defect


def _load_generator():
    spec = importlib.util.spec_from_file_location("rolegraph_bench_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("generated")
    return out, generator.write_specs(SIZE, out, SEED)


@pytest.fixture(scope="module")
def built(generated: tuple[Path, dict]) -> tuple[BuildSummary, Report]:
    out, manifest = generated
    store = open_store(None)
    summary = build([out / spec["file"] for spec in manifest["files"]], store)
    return summary, validate_store(store)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    runs = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generator.write_specs(40, tmp_path / name, seed)
        runs[name] = {path.name: path.read_bytes() for path in sorted((tmp_path / name).iterdir())}
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]


def test_manifest_covers_layouts_and_defects(generated: tuple[Path, dict]) -> None:
    _out, manifest = generated
    files = manifest["files"]
    assert len(files) == SIZE
    assert set(Counter(spec["layout"] for spec in files)) == {"el-paso", "houston", "plain"}
    assert {defect for spec in files for defect in spec["defects"]} == set(generator.DEFECT_TO_FINDINGS)
    assert {edge["kind"] for edge in manifest["ladder_edges"]} == {"series", "job-family"}
    assert len({spec["jurisdiction"] for spec in files}) > 5
    assert len({spec["pay_plan"] for spec in files}) > 3


def test_ladder_edges_rise(generated: tuple[Path, dict]) -> None:
    _out, manifest = generated
    by_file = {spec["file"]: spec for spec in manifest["files"]}
    for edge in manifest["ladder_edges"]:
        lower, upper = by_file[edge["from"]], by_file[edge["to"]]
        assert (lower["jurisdiction"], lower["series"]) == (upper["jurisdiction"], upper["series"])
        assert upper["level"] == lower["level"] + 1
        assert lower["grade"] < upper["grade"], edge
        assert edge["months"] > (generator.YEARS_BY_LEVEL[lower["level"] - 1] * 12)


def test_every_file_builds_into_the_class_the_manifest_names(generated: tuple[Path, dict],
                                                             built: tuple[BuildSummary, Report]) -> None:
    _out, manifest = generated
    summary, _report = built
    assert summary.parsed.failures == []
    by_source: dict[str, list] = {}
    for job_class in summary.parsed.classes:
        for source in job_class.sources:
            by_source.setdefault(source.name, []).append(job_class)
    wrong = []
    for spec in manifest["files"]:
        (job_class,) = by_source[spec["file"]]  # one class per file: nothing merged by mistake
        jurisdiction = job_class.jurisdiction
        got = {
            "title": job_class.title.value.lower(),
            "code": job_class.code.value if job_class.code else None,
            "jurisdiction": jurisdiction.name if jurisdiction else None,
            "state": jurisdiction.state if jurisdiction else None,
            "grade": int(job_class.pay_grade.grade) if job_class.pay_grade else None,
            "pay_plan": job_class.pay_grade.plan if job_class.pay_grade else None,
        }
        expected = {"title": spec["title"].lower(), "code": spec["code"], "jurisdiction": spec["jurisdiction"],
                    "state": spec["state"] or spec["stated_state"], "grade": spec["grade"],
                    "pay_plan": spec["pay_plan"]}
        if got != expected:
            wrong.append((spec["file"], got, expected))
    assert wrong == []
    assert sum(1 for job_class in summary.parsed.classes if job_class.stub) == 0


def test_job_families_name_every_level(generated: tuple[Path, dict], built: tuple[BuildSummary, Report]) -> None:
    _out, manifest = generated
    summary, _report = built
    families = {job_class.sources[0].name: {member.value.lower() for member in job_class.job_family}
                for job_class in summary.parsed.classes}
    family_edges = [edge for edge in manifest["ladder_edges"] if edge["kind"] == "job-family"]
    assert family_edges
    for edge in family_edges:
        assert {edge["from_title"].lower(), edge["to_title"].lower()} <= families[edge["from"]], edge


def test_findings_are_exactly_the_injected_defects(generated: tuple[Path, dict],
                                                   built: tuple[BuildSummary, Report]) -> None:
    _out, manifest = generated
    _summary, report = built
    found: dict[str, set[tuple[str, str]]] = {}
    for finding in report.findings:
        found.setdefault(finding.file or "", set()).add((finding.shape_id, finding.severity))
    wrong = {}
    for spec in manifest["files"]:
        expected = {(item["shape"], item["severity"]) for item in spec["expected_findings"]}
        if found.get(spec["file"], set()) != expected:
            wrong[spec["file"]] = (sorted(found.get(spec["file"], set())), sorted(expected), spec["defects"])
    assert wrong == {}
    assert set(found) <= {spec["file"] for spec in manifest["files"]}


def test_command_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(GENERATE), "3", str(tmp_path / "out"), "--seed", "1"],
                            capture_output=True, text=True, check=True)
    assert "wrote 3 specifications" in result.stdout
    assert len(json.loads((tmp_path / "out" / ".manifest.json").read_text())["files"]) == 3
    # Issue 9's new user: `python bench/generate.py N OUT && rolegraph build OUT` builds every spec and exits 0.
    from click.testing import CliRunner

    from rolegraph.cli import cli
    built = CliRunner().invoke(cli, ["build", str(tmp_path / "out"), "--store", str(tmp_path / "store")])
    assert built.exit_code == 0, built.output
    assert "manifest" not in built.output
    refused = subprocess.run([sys.executable, str(GENERATE), "-1", str(tmp_path / "x")], capture_output=True,
                             text=True)
    assert refused.returncode == 2


def test_jurisdictions_stay_unique_and_readable_past_the_town_names() -> None:
    """At 100k specifications the generator runs out of town names many times over: the names it then makes
    must stay unique and be names the parser reads (digits were not: 60 % of classes lost their jurisdiction)."""
    import random

    from rolegraph.parser.tables import load_rules

    generate = _load_generator()
    names = [name for name, _state in itertools.islice(generate._jurisdictions(random.Random(0)), 20_000)]
    assert len(set(names)) == len(names)
    jurisdiction_line = next(rule for rule in load_rules().line_rules if rule.name == "jurisdiction-line")
    unread = [name for name in names if not jurisdiction_line.pattern.match(name)]
    assert unread == []
