"""Readers: encodings, line ends, Markdown, PDF, page furniture, and one-line errors for bad input."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rolegraph.errors import SourceError
from rolegraph.parser import parse_spec
from rolegraph.readers import iter_source_paths, read_source

CORPUS = Path(__file__).resolve().parent / "bad-inputs"
EXPECTED = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))["files"]
BAD_INPUT_REASONS = {name: case["message"] for name, case in EXPECTED.items() if case["message"]}
BAD_INPUT_REASONS["missing.txt"] = "no such file"
GOOD = [CORPUS / name for name, case in sorted(EXPECTED.items()) if not case["message"]]
SAME_AS_004 = [path for path in GOOD if path.name in {"utf16-bom.txt", "utf8-bom-cr.txt", "cp1252-crlf.txt"}]


@pytest.mark.parametrize("name", sorted(BAD_INPUT_REASONS), ids=str)
def test_bad_input_is_one_line_naming_file_and_reason(name: str) -> None:
    path = CORPUS / name
    with pytest.raises(SourceError) as caught:
        parse_spec(read_source(path))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert BAD_INPUT_REASONS[name] in caught.value.reason


@pytest.mark.parametrize("path", GOOD, ids=lambda path: path.name)
def test_good_inputs_parse(path: Path) -> None:
    job_class = parse_spec(read_source(path))
    assert job_class.code is not None and job_class.duties and job_class.experience


@pytest.mark.parametrize("path", SAME_AS_004, ids=lambda path: path.name)
def test_encodings_and_line_ends_read_the_same_spec(path: Path, specs_dir: Path) -> None:
    reference = parse_spec(read_source(specs_dir / "004_7bca78953392f148.txt"))
    job_class = parse_spec(read_source(path))
    assert job_class.code.value == "11360"
    assert len(job_class.duties) == len(reference.duties)
    assert [len(d.tasks) for d in job_class.duties] == [len(d.tasks) for d in reference.duties]
    assert job_class.jurisdiction.state == "Texas"
    assert job_class.title.where.line_start == reference.title.where.line_start


def test_html_in_title_and_duties_is_kept_as_text() -> None:
    job_class = parse_spec(read_source(CORPUS / "html-in-title-and-duties.txt"))
    assert job_class.title.value.lower().startswith("<script>alert(1)</script>")
    assert job_class.duties[0].description.startswith("<img src=x onerror=alert(2)>")


def test_latin1_and_mixed_line_ends(specs_dir: Path) -> None:
    reference = read_source(specs_dir / "002_a5126ba24733d61e.txt")
    document = read_source(CORPUS / "latin1-mixed-line-ends.txt")
    assert [line.number for line in document.lines] == [line.number for line in reference.lines]
    assert "Customer Relations Série" in " ".join(line.text for line in document.lines)


def test_line_numbers_survive_crlf_and_bare_cr(specs_dir: Path) -> None:
    crlf = read_source(CORPUS / "cp1252-crlf.txt")
    cr = read_source(CORPUS / "utf8-bom-cr.txt")
    lf = read_source(specs_dir / "004_7bca78953392f148.txt")
    assert [line.number for line in crlf.lines] == [line.number for line in lf.lines]
    assert [line.number for line in cr.lines] == [line.number for line in lf.lines]
    assert "\u2019" in "".join(line.text for line in crlf.lines), "cp1252 0x92 decodes to a right quote"


def test_markdown_is_unwrapped(specs_dir: Path) -> None:
    document = read_source(specs_dir / "003_d072dea507a19859.txt")
    assert document.media_type == "text/markdown"
    texts = [line.text for line in document.lines]
    assert "GENERAL SUMMARY:" in texts
    assert not any("**" in text or text.startswith("#") for text in texts)


def test_repeated_page_header_is_dropped(specs_dir: Path) -> None:
    document = read_source(specs_dir / "004_7bca78953392f148.txt")
    texts = [line.text.strip() for line in document.lines]
    assert texts.count("JOB SPECIFICATION") == 1
    assert texts.count("Code 11360") == 1


def test_pdf_text_layer(la_pdfs: Path) -> None:
    pdf = sorted(la_pdfs.glob("*.pdf"))[0]
    document = read_source(pdf)
    assert document.media_type == "application/pdf"
    assert len(document.lines) > 20
    assert all(line.number >= 1 for line in document.lines)


def test_directory_walk_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.txt").write_text("x")
    (tmp_path / "one.txt").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "b" / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = [path.relative_to(tmp_path).as_posix() for path in iter_source_paths([tmp_path])]
    assert found == ["one.txt", "b/two.txt"]
