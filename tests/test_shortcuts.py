"""The shortcuts that make the vocabulary and the derived steps fast give what the plain way gives.

``build_vocabulary`` compares a key only with the concepts ``_Made.candidates`` lets through (containment by
shared-word counts, near-duplicates by length and character counts); the plain way compares it with every concept
sharing a word. ``_derive_all`` sets aside, with ``_Levels``, the pairs ``_level_change`` finds no level for; the
plain way asks ``_level_change`` of every pair. Both are checked on generated inputs made to sit on the edges
(near-duplicate keys one letter apart, keys contained in others, pay ratios at the limit, titles of one series).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import numpy as np
import pytest

from rolegraph.ladders.derive import _Context, _level_change, _Levels, ladder_rules
from rolegraph.ladders.facts import ClassFacts
from rolegraph.skills import (
    Concept,
    SkillRules,
    Vocabulary,
    _similarity,
    build_vocabulary,
    clean_statement,
    skill_rules,
    statement_key,
)

WORDS = ("office", "procedure", "record", "records", "payroll", "report", "reports", "budget", "analysis",
         "analyses", "public", "contact", "safety", "equipment", "electrical", "inspection", "customer", "service",
         "policy", "policies", "law", "laws", "accounting", "audit", "auditing", "plan", "plans", "data", "date")


def plain_vocabulary(statements: list[str], rules: SkillRules) -> Vocabulary:
    """The vocabulary as it was made before the shortcut: every concept sharing a word with a key is compared
    with it, in key order, the first best kept."""
    labels_by_key: dict[str, Counter[str]] = defaultdict(Counter)
    for text in statements:
        label = clean_statement(text, rules)
        key = statement_key(label, rules)
        if key:
            labels_by_key[key][label] += 1
    frequency = {key: sum(labels.values()) for key, labels in labels_by_key.items()}
    order = sorted(labels_by_key, key=lambda key: (len(key.split()), -frequency[key], key))
    concepts: dict[str, Concept] = {}
    key_to_label: dict[str, str] = {}
    index: dict[str, list[Concept]] = defaultdict(list)
    for key in order:
        sharing = {id(concept): concept for word in set(key.split()) for concept in index.get(word, ())}
        best, best_score = None, 0.0
        for concept in sorted(sharing.values(), key=lambda concept: concept.key):
            score = _similarity(key, concept.key, rules)
            if score > best_score:
                best, best_score = concept, score
        surface = labels_by_key[key].most_common()
        if best is None:
            best = Concept(min((label for label, _ in surface), key=lambda label: (-labels_by_key[key][label],
                                                                                   len(label), label)), key)
            concepts[best.label] = best
            for word in set(key.split()):
                index[word].append(best)
            best_score = 100.0
        for label, _ in surface:
            if label != best.label:
                best.alt_labels[label] = round(best_score / 100.0, 3)
        key_to_label[key] = best.label
    return Vocabulary(concepts, key_to_label, rules)


def statements(seed: int, count: int) -> list[str]:
    """Made-up statements: a few words each, some repeated, some a letter off, some inside longer ones."""
    pick = random.Random(seed)
    made: list[str] = []
    for _ in range(count):
        roll = pick.random()
        if made and roll < 0.2:
            made.append(pick.choice(made))  # the same wording again
        elif made and roll < 0.45:
            text = pick.choice(made)
            at = pick.randrange(len(text))
            made.append(text[:at] + text[at + 1:])  # a letter dropped
        elif made and roll < 0.6:
            made.append(f"{pick.choice(made)} and {pick.choice(WORDS)}")  # contains an earlier one
        else:
            made.append("Knowledge of " + " ".join(pick.choice(WORDS) for _ in range(pick.randint(1, 6))))
    return made


def shown(vocabulary: Vocabulary) -> tuple[list[tuple[str, str, list[tuple[str, float]]]], dict[str, str]]:
    return ([(label, concept.key, sorted(concept.alt_labels.items()))
             for label, concept in vocabulary.concepts.items()], vocabulary.key_to_label)


@pytest.mark.parametrize("seed", range(8))
def test_vocabulary_is_that_of_comparing_every_concept_sharing_a_word(seed: int) -> None:
    made = statements(seed, 600)
    rules = skill_rules()
    fast, plain = build_vocabulary(made, rules), plain_vocabulary(made, rules)
    assert any(concept.alt_labels for concept in plain.concepts.values()), "the inputs must merge something"
    assert shown(fast) == shown(plain)


def level_facts(seed: int, count: int) -> list[ClassFacts]:
    """Made-up classes of one employer: graded in one of two pay plans, paid (some at the ratio limits), or neither,
    with titles of a few series and level words (a few of level words only: no series stem)."""
    pick = random.Random(seed)
    rules = ladder_rules()
    limit = rules.pay_max_ratio
    facts = []
    for number in range(count):
        title = f"{pick.choice(('Senior ', 'Principal ', '', 'Assistant '))}{pick.choice(('Clerk', 'Analyst'))}" \
                f"{pick.choice(('', ' I', ' II'))}" if pick.random() < 0.9 else pick.choice(("Senior", "Assistant II"))
        kind = pick.random()
        grade = plan = pay = None
        if kind < 0.3:
            grade, plan = pick.randint(1, 9), pick.choice(("GS", "WG", None))
        if 0.2 < kind < 0.7:
            pay = pick.choice((40_000, 50_000, 72_000, int(40_000 * limit), int(40_000 * limit) + 1, 150_000))
        facts.append(ClassFacts(f"http://example.org/class/{number:03d}", title, pay_plan=plan,
                                grade=None if grade is None else str(grade), grade_number=grade, pay=pay))
    return facts


@pytest.mark.parametrize("seed", range(4))
def test_levels_set_aside_only_pairs_with_no_level(seed: int) -> None:
    facts = level_facts(seed, 80)
    rules = ladder_rules()
    context = _Context({fact.iri: fact for fact in facts}, rules, {}, {}, {}, {}, {})
    levels = _Levels(facts, rules)
    kept = 0
    for first in range(len(facts)):
        others = np.arange(first + 1, len(facts))
        comparable = levels.comparable(first, others).tolist()
        for second, shortcut in zip(others.tolist(), comparable, strict=True):
            plain = _level_change(context, facts[first], facts[second]) is not None
            assert shortcut == plain, (facts[first], facts[second])
            kept += plain
    assert 0 < kept < len(facts) * (len(facts) - 1) // 2
