"""Merging renderings of one class: the jurisdiction-keyed index finds what looking through every class of a
title finds."""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest
from rapidfuzz import fuzz, process

from rolegraph.merge import (
    TITLE_THRESHOLD,
    _blocking_keys,
    _keys_compatible,
    _merge_pair,
    _richness,
    jurisdiction_key,
    match_evidence,
    merge_classes,
)
from rolegraph.model import Duty, JobClass, Jurisdiction, Provenance, SourceDocumentRef, Text
from rolegraph.parser.tables import fold

TITLES = ("Clerk", "Clerk ", "Senior Clerk", "Senior Clerks", "Accountant", "Civil Engineer", "Civil Engineers")
DUTIES = ("files records and answers the phone", "files records and answers phones", "designs roads")


def _merged_by_looking_through_all(parsed: Iterable[JobClass]) -> list[JobClass]:
    """Merging as it was done before the index kept jurisdictions: every class of a key, checked one by one."""
    merged: list[JobClass] = []
    places: list[tuple[str, str]] = []
    index: dict[tuple[str, str], list[int]] = {}
    titles: dict[int, str] = {}
    for job_class in parsed:
        place = jurisdiction_key(job_class.jurisdiction)
        candidates = {position for key in _blocking_keys(job_class) for position in index.get(key, [])}
        if job_class.code is None and titles:
            candidates.update(position for _, _, position in process.extract(
                fold(job_class.title.value), titles, scorer=fuzz.ratio, score_cutoff=TITLE_THRESHOLD, limit=None))
        for position in sorted(candidates):
            if not _keys_compatible(places[position], place):
                continue
            evidence = match_evidence(merged[position], job_class)
            if evidence is not None:
                existing = merged[position]
                lead, other = ((existing, job_class) if _richness(existing) >= _richness(job_class)
                               else (job_class, existing))
                merged[position] = _merge_pair(lead, other, evidence)
                places[position] = jurisdiction_key(merged[position].jurisdiction)
                break
        else:
            position = len(merged)
            merged.append(job_class)
            places.append(place)
            titles[position] = fold(job_class.title.value)
        for key in _blocking_keys(merged[position]):
            if position not in index.setdefault(key, []):
                index[key].append(position)
    return merged


def _random_class(rng: random.Random, number: int) -> JobClass:
    where = Provenance(f"{number}.txt", "0", 1, 1)
    state, name = rng.choice((("TX", "El Paso"), ("TX", "Houston"), ("TX", None), (None, "Houston"),
                              ("CA", "Los Angeles"), (None, None)))
    place = None if state is None and name is None else Jurisdiction(name, state, False, Text(name or "", where))
    code = rng.choice((None, "1341", "1343", "885.2"))
    source = SourceDocumentRef(f"{number}.txt", "0", f"{number}.txt", "text")
    return JobClass(Text(rng.choice(TITLES), where), (source,), code=Text(code, where) if code else None,
                    jurisdiction=place,
                    duties=(Duty(rng.choice(DUTIES), (), where),))


@pytest.mark.parametrize("seed", range(10))
def test_merging_with_the_jurisdiction_index_equals_looking_through_all(seed: int) -> None:
    rng = random.Random(seed)
    parsed = [_random_class(rng, number) for number in range(300)]
    merged = merge_classes(parsed)
    assert merged == _merged_by_looking_through_all(parsed)
    assert len(merged) < len(parsed) and any(len(job_class.sources) > 2 for job_class in merged)
