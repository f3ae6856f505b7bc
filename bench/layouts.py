"""Layout fixtures benchmark (issue 19): how much of what a person reads from the documents of tests/layouts/ the
parser gets right, per field over all fixtures, and per document what is wrong.

    python bench/layouts.py              # every fixture document
    python bench/layouts.py planner      # only documents whose id contains "planner" (the summary still counts all)
    python bench/layouts.py 'employer|announcement'   # a pattern: also a summary over the documents it names

The facts and their comparison are tests/test_layouts.py's (``score_document``): a class is matched by title, a
missing class makes every fact stated of it wrong, a document the parser refuses too. The issue's target for
held-out documents of unseen layouts: title, code, pay grade, department, summary and duties each >= 0.90.
Known gaps (tests/test_layouts.py KNOWN_GAPS) count as wrong here. Asserts nothing.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_layouts import DOCUMENTS, FIELDS, TARGET_FIELDS, Check, document_id, known_gap, score_document  # noqa: E402

from rolegraph.errors import RolegraphError  # noqa: E402

TARGET = 0.90


def main(argv: list[str]) -> int:
    only = argv[1] if len(argv) > 1 else ""
    right: Counter[str] = Counter()
    stated: Counter[str] = Counter()
    named_right: Counter[str] = Counter()
    named_stated: Counter[str] = Counter()
    named = 0
    for path in DOCUMENTS:
        try:
            checks = score_document(path)
        except RolegraphError as error:
            print(f"{document_id(path)}: not parsed: {error}")
            continue
        chosen = bool(re.search(only, document_id(path)))
        named += chosen and bool(only)
        for check in checks:
            stated[check.field] += 1
            right[check.field] += check.problem is None
            if chosen:
                named_stated[check.field] += 1
                named_right[check.field] += check.problem is None
        wrong = [check for check in checks if check.problem is not None]
        if chosen and wrong:
            print(f"{document_id(path)}: {len(checks) - len(wrong)}/{len(checks)} right")
            for check in wrong:
                print(f"  {check.title}: {check.field}: {check.problem}{_gap(check)}")
    _summary(f"{len(DOCUMENTS)} documents", right, stated)
    if named:
        _summary(f"{named} documents matching {only!r}", named_right, named_stated)
    return 0


def _summary(what: str, right: Counter[str], stated: Counter[str]) -> None:
    print(f"\n{what}; share of stated facts right, per field:")
    for name in FIELDS:
        share = right[name] / stated[name] if stated[name] else 0.0
        mark = ("  target >= 0.90 " + ("met" if share >= TARGET else "MISSED")) if name in TARGET_FIELDS else ""
        print(f"  {name:13} {right[name]:3}/{stated[name]:<3} {share:5.2f}{mark}")
    total = sum(right.values()), sum(stated.values())
    print(f"  {'all':13} {total[0]:3}/{total[1]:<3} {total[0] / total[1] if total[1] else 0.0:5.2f}")


def _gap(check: Check) -> str:
    why = known_gap(check)
    return f"  [known gap: {why}]" if why else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv))
