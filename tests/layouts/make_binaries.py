"""Render chosen Markdown fixtures of tests/layouts into .docx and .pdf, with their expected facts.

Run from anywhere: ``.venv/bin/python tests/layouts/make_binaries.py`` (needs python-docx and fpdf2). The
outputs are committed; run this again only when a rendered source changes, and review the diff.

The Markdown is read by rolegraph's own reader into blocks and rendered by tests/render_formats.py (the renderers
the format invariance test uses), with a running page header, page numbers and, in a PDF, a title box narrower
than the text so that the title wraps over two lines, as letterhead templates have.

Each rendering ``<layout>/<source-stem>-<format>.<format>`` gets ``<source-stem>-<format>.expected.json``:
the source's hand-written facts, ``rendered_from`` naming the source, and every ``line N`` locator of the
source turned into where the renderer put the block of that line (``paragraph N`` or ``table T row R`` in a
DOCX, ``page N`` in a PDF). Output is deterministic (fixed dates and zip timestamps), so re-running without
source changes leaves the files byte-identical.
"""

from __future__ import annotations

import bisect
import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/render_formats.py

from render_formats import Look, render, source_blocks  # noqa: E402


@dataclass(frozen=True)
class Rendering:
    source: str          # path under tests/layouts
    fmt: str             # "docx" or "pdf"
    running_header: str  # repeated at the top of every page


RENDERINGS = (
    Rendering("provincial-job-description/policy-analyst.md", "pdf",
              "Province of British Columbia - BC Public Service - Job Description"),
    Rendering("provincial-job-description/policy-analyst.md", "docx",
              "Province of British Columbia - BC Public Service - Job Description"),
    Rendering("municipal-series-table/clerk-series.md", "docx", "City of Harlow Springs - Classification Plan"),
    Rendering("municipal-series-table/clerk-series.md", "pdf", "City of Harlow Springs - Classification Plan"),
    Rendering("school-district-job-description/payroll-specialist.md", "docx",
              "Riverbend Unified School District - Classified Job Description"),
)


# -- expected facts --------------------------------------------------------------------------------------

def rendered_expected(source_expected: dict, source_name: str, fmt: str, where: dict[int, str]) -> dict:
    """Return the source's facts for its rendering, with its line locators moved to the rendering's."""
    expected = {"layout": source_expected["layout"], "rendered_from": source_name}
    if "notes" in source_expected:
        expected["notes"] = f"{fmt.upper()} rendering of {source_name}: " + source_expected["notes"]
    classes = []
    for facts in source_expected["classes"]:
        facts = dict(facts)
        if "locators" in facts:
            locators = {}
            for name, locator in facts["locators"].items():
                line = int(locator.removeprefix("line "))
                locators[name] = where[line]
            facts["locators"] = locators
        classes.append(facts)
    expected["classes"] = classes
    return expected


def main() -> None:
    for rendering in RENDERINGS:
        source = HERE / rendering.source
        blocks = source_blocks(source)
        look = Look(running_header=rendering.running_header, page_numbers=True,
                    title_share=0.8 if rendering.fmt == "pdf" else 1.0, title_lines=2 if rendering.fmt == "pdf" else 1)
        data, placed = render(blocks, rendering.fmt, look)
        starts = sorted(placed)
        lines = len(source.read_text(encoding="utf-8").splitlines())
        # a line of the source is where the block it belongs to went (the last block starting at or above it)
        where = {line: placed[starts[bisect.bisect_right(starts, line) - 1]]
                 for line in range(starts[0], lines + 1)}
        stem = f"{source.stem}-{rendering.fmt}"
        output = source.with_name(f"{stem}.{rendering.fmt}")
        output.write_bytes(data)
        source_expected = json.loads(source.with_name(f"{source.stem}.expected.json").read_text(encoding="utf-8"))
        expected = rendered_expected(source_expected, source.name, rendering.fmt, where)
        source.with_name(f"{stem}.expected.json").write_text(
            json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{output.relative_to(HERE)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
