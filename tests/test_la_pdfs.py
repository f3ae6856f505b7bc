"""The City's published PDFs: read from their font blocks (headings by size and weight) without page furniture or
wrapped lines, each merged with its .txt twin into one class with both sources, and read to the same facts as the
twin."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_la import feeders, project

from rolegraph.parser import parse_spec
from rolegraph.pipeline import parse_paths
from rolegraph.readers import read_source

PDF_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "la-bulletin-pdfs"
PDFS = sorted(path.name for path in PDF_DIR.glob("*.pdf")) if PDF_DIR.is_dir() else []
FURNITURE = ("AN EQUAL EMPLOYMENT OPPORTUNITY EMPLOYER", "For additional information and FAQs")


@pytest.mark.parametrize("name", PDFS, ids=str)
def test_pdf_and_its_text_twin_are_one_class(la_pdfs: Path, la_corpus: Path, name: str) -> None:
    pdf, txt = la_pdfs / name, la_corpus / (Path(name).stem + ".txt")
    parsed = parse_paths([pdf, txt])
    assert not parsed.failures
    [job_class] = [job_class for job_class in parsed.classes if not job_class.stub]
    assert sorted(source.name for source in job_class.sources) == sorted([pdf.name, txt.name])
    assert job_class.merge_evidence and job_class.merge_evidence[0].method == "code-and-title"
    from_pdf, from_txt = parse_spec(read_source(pdf)), parse_spec(read_source(txt))
    assert project(from_pdf) == project(from_txt)
    assert feeders(from_pdf) == feeders(from_txt)


@pytest.mark.parametrize("name", PDFS, ids=str)
def test_pdf_lines_carry_no_page_furniture(la_pdfs: Path, name: str) -> None:
    document = read_source(la_pdfs / name)
    assert not [line for line in document.lines if line.text.strip().startswith(FURNITURE)]
    numbers = [line.number for line in document.lines]
    assert numbers == sorted(numbers)


def test_the_forty_pdfs_are_there(la_pdfs: Path) -> None:
    assert len(PDFS) == 40
