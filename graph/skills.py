"""The skills vocabulary: knowledge, skill and ability statements -> SKOS concepts in one scheme.

A statement is folded, stripped of punctuation and of prefixes such as "knowledge of" (its *label*), then
reduced to a comparison *key* without stop words and simple plurals. Statements with equal keys share a
concept; near-duplicate keys (rapidfuzz) join the concept of the closest earlier key, and the similarity of
every merge is kept. Word lists and thresholds live in ``parser/rules/skills.toml``. Pure: no store, no I/O
beyond reading that table once.

>>> vocabulary = build_vocabulary(["General Office Procedures.", "office procedures", "spelling"])
>>> vocabulary.label_of_text("knowledge of general office procedures")
'office procedures'
>>> sorted(vocabulary.concepts["office procedures"].alt_labels)
['general office procedures']
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad
from rapidfuzz import fuzz

from rolegraph.errors import RuleError
from rolegraph.model import JobClass, Ksa
from rolegraph.rdf.iris import Iris
from rolegraph.rdf.namespaces import RDF, RG, SKOS, XSD
from rolegraph.resources import rule_table

__all__ = ["SkillRules", "Concept", "Vocabulary", "skill_rules", "clean_statement", "statement_key",
           "build_vocabulary", "vocabulary_of_classes", "vocabulary_quads", "skills_graph"]


@dataclass(frozen=True)
class SkillRules:
    """The compiled ``skills.toml`` table."""

    prefixes: tuple[str, ...]
    stop_words: frozenset[str]
    plurals: tuple[tuple[str, str], ...]
    plural_min_length: int
    similar: float
    contained_min_words: int
    contained_min_share: float
    plural_examples: tuple[str, ...] = ()


def _compile(table: dict[str, Any]) -> SkillRules:
    try:
        prefixes = tuple(sorted((str(p).casefold() for p in table["prefixes"]["strip"]), key=len, reverse=True))
        plurals = tuple((str(rule["suffix"]), str(rule["replace"])) for rule in table["plurals"]["rules"])
        merge = table["merge"]
        return SkillRules(prefixes, frozenset(str(w).casefold() for w in table["stop_words"]["words"]),
                          plurals, int(table["plurals"]["min_length"]), float(merge["similar"]),
                          int(merge["contained_min_words"]), float(merge["contained_min_share"]),
                          tuple(str(rule.get("example", "")) for rule in table["plurals"]["rules"]))
    except (KeyError, TypeError, ValueError) as error:
        raise RuleError(f"skills.toml: missing or malformed entry: {error}") from None


@cache
def skill_rules() -> SkillRules:
    """The shipped skills rules, compiled once."""
    return _compile(rule_table("skills"))


# What a label drops: punctuation, then "-", "/" and "&" that join no word to the next. Two passes, the second only
# for a text holding one of those three (half the time of one alternation tried at every position); the same
# result, since the first only turns non-word characters into spaces, which are non-word characters too.
_PUNCTUATION = re.compile(r"[^\w\s/&-]")
_LOOSE_JOINER = re.compile(r"(?<!\w)[-/&]|[-/&](?!\w)")


def clean_statement(text: str, rules: SkillRules | None = None) -> str:
    """The label of a statement: folded, punctuation dropped, leading "knowledge of"-style prefixes stripped.

    >>> clean_statement("Knowledge of: General Office Procedures; ")
    'general office procedures'
    >>> clean_statement("Ability to read and interpret account records.")
    'read and interpret account records'
    """
    rules = rules or skill_rules()
    label = _PUNCTUATION.sub(" ", text.casefold())
    if "-" in label or "/" in label or "&" in label:
        label = _LOOSE_JOINER.sub(" ", label)
    label = " ".join(label.split())
    changed = True
    while changed:
        changed = False
        for prefix in rules.prefixes:
            if label == prefix:
                return ""
            if label.startswith(prefix + " "):
                label, changed = label[len(prefix) + 1:], True
                break
    return label


def _singular(word: str, rules: SkillRules) -> str:
    if len(word) < rules.plural_min_length:
        return word
    for suffix, replacement in rules.plurals:
        if word.endswith(suffix):
            return word[: len(word) - len(suffix)] + replacement
    return word


def statement_key(label: str, rules: SkillRules | None = None) -> str:
    """The comparison key of a label: stop words and simple plurals dropped.

    >>> statement_key("general office procedures")
    'office procedure'
    >>> statement_key("customer service policies and processes")
    'customer service policy process'
    """
    rules = rules or skill_rules()
    word_keys = _word_keys(rules)
    keys = []
    for word in WORD_SEPARATOR.split(label):
        key = word_keys.get(word)
        if key is None:
            singular = _singular(word, rules)
            key = word_keys[word] = "" if singular in rules.stop_words else singular
        if key:
            keys.append(key)
    return " ".join(keys)


WORD_SEPARATOR = re.compile(r"[\s/]+")


@cache
def _word_keys(rules: SkillRules) -> dict[str, str]:
    """Word -> its key word under ``rules`` ("" when dropped), filled as words are met: statement keys are worked
    out for every statement and profile of every class, and the same few thousand words recur."""
    return {"": ""}


@dataclass
class Concept:
    """One skill concept: its preferred label, the other labels merged into it and their similarity (0-1)."""

    label: str
    key: str
    alt_labels: dict[str, float] = field(default_factory=dict)


@dataclass
class Vocabulary:
    """Concepts by preferred label, and the concept label of every comparison key seen."""

    concepts: dict[str, Concept]
    key_to_label: dict[str, str]
    rules: SkillRules
    # statement text -> its label, worked out once (emit asks for every statement of every class)
    _labels: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def label_of_text(self, text: str) -> str:
        """The concept label of a statement ("" for an empty one); unseen statements get their own label."""
        found = self._labels.get(text)
        if found is None:
            label = clean_statement(text, self.rules)
            found = self._labels[text] = self.key_to_label.get(statement_key(label, self.rules), label)
        return found

    def label_of(self, ksa: Ksa) -> str:
        """The concept label of a KSA statement: the ``concept_label`` hook of ``emit_class_graphs``."""
        return self.label_of_text(ksa.text)


def _similarity(key: str, other: str, rules: SkillRules) -> float:
    """0-100: near-duplicate (token sort) or containment of the shorter key in the longer."""
    score = fuzz.token_sort_ratio(key, other)
    if score >= rules.similar:
        return score
    short, long_ = sorted((key.split(), other.split()), key=len)
    if len(short) >= rules.contained_min_words and len(short) / len(long_) >= rules.contained_min_share \
            and set(short) <= set(long_):
        return fuzz.token_set_ratio(key, other)
    return 0.0


def build_vocabulary(statements: Iterable[str], rules: SkillRules | None = None) -> Vocabulary:
    """Merge statements into concepts; keys are visited shortest and most frequent first.

    A key joins the concept of the most similar earlier key (candidates share a word, found through an
    inverted index), so the shorter, commoner wording becomes the preferred label. No chaining: a key is
    compared with concept keys only.

    >>> vocabulary = build_vocabulary(["business English and spelling",
    ...                                "business English, spelling, and arithmetic"])
    >>> list(vocabulary.concepts)
    ['business english and spelling']
    >>> vocabulary.concepts['business english and spelling'].alt_labels
    {'business english spelling and arithmetic': 1.0}
    """
    rules = rules or skill_rules()
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
    index: dict[str, list[int]] = defaultdict(list)  # word -> positions in ``made`` of the concepts having it
    made: list[tuple[Concept, int, int]] = []  # concept, its key's word count, length of its token-sorted key
    for key in order:
        words = key.split()
        length = len(" ".join(words))
        # Only a concept that can score is compared (the same result as comparing every concept sharing a word,
        # at a fraction of the cost: a corpus whose statements share common words made that quadratic):
        # containment needs every word of the shorter key in the longer one; a token-sort ratio >= `similar`
        # needs token-sorted lengths within the Indel bound |a - b| <= (1 - similar / 100) (a + b).
        shared = Counter(position for word in set(words) for position in index.get(word, ()))
        best, best_score = None, 0.0
        for position in sorted(shared, key=lambda position: made[position][0].key):
            concept, count, other_length = made[position]
            fewer, more = sorted((len(words), count))
            contained = (fewer >= rules.contained_min_words and fewer / more >= rules.contained_min_share
                         and shared[position] == len(set(words) if len(words) <= count else set(concept.key.split())))
            close = abs(length - other_length) <= (1 - rules.similar / 100) * (length + other_length) + 1e-9
            if not (contained or close):
                continue
            score = _similarity(key, concept.key, rules)
            if score > best_score:
                best, best_score = concept, score
        surface = labels_by_key[key].most_common()
        if best is None:
            best = Concept(min((label for label, _ in surface), key=lambda label: (-labels_by_key[key][label],
                                                                                   len(label), label)), key)
            concepts[best.label] = best
            for word in set(words):
                index[word].append(len(made))
            made.append((best, len(words), length))
            best_score = 100.0
        for label, _ in surface:
            if label != best.label:
                best.alt_labels[label] = round(best_score / 100.0, 3)
        key_to_label[key] = best.label
    return Vocabulary(concepts, key_to_label, rules)


def vocabulary_of_classes(classes: Iterable[JobClass], rules: SkillRules | None = None) -> Vocabulary:
    """The vocabulary over every KSA statement of ``classes``."""
    return build_vocabulary((ksa.text for job_class in classes for ksa in job_class.ksas), rules)


def _canonical(decimal: str) -> str:
    """A decimal numeral as Oxigraph keeps it (no trailing zeros), so the graph compares equal to the stored one.

    >>> _canonical("1.000"), _canonical("0.950")
    ('1', '0.95')
    """
    return decimal.rstrip("0").rstrip(".") if "." in decimal else decimal


def skills_graph(iris: Iris) -> NamedNode:
    """The named graph of merge records (``<base>graph/skills``)."""
    return iris.node("graph/skills")


def vocabulary_quads(vocabulary: Vocabulary, iris: Iris | None = None) -> list[Quad]:
    """The merge records of a vocabulary, for the skills graph.

    Each concept gets ``skos:altLabel`` for every label merged into it and an ``rg:LabelMerge`` node
    (``rg:mergedLabel``, ``rg:similarity`` 0-1), so the reason two wordings share a concept can be queried.
    """
    iris = iris or Iris()
    graph = skills_graph(iris)
    quads: list[Quad] = []
    for concept in vocabulary.concepts.values():
        node = iris.skill(concept.label)
        quads.append(Quad(node, RDF.type, SKOS.Concept, graph))
        quads.append(Quad(node, SKOS.prefLabel, Literal(concept.label), graph))
        quads.append(Quad(node, SKOS.inScheme, iris.skill_scheme, graph))
        quads.append(Quad(node, RG.comparisonKey, Literal(concept.key), graph))
        for position, (label, similarity) in enumerate(sorted(concept.alt_labels.items()), start=1):
            merge = NamedNode(f"{node.value}/merge/{position}")
            quads.append(Quad(node, SKOS.altLabel, Literal(label), graph))
            quads.append(Quad(node, RG.labelMerge, merge, graph))
            quads.append(Quad(merge, RDF.type, RG.LabelMerge, graph))
            quads.append(Quad(merge, RG.mergedLabel, Literal(label), graph))
            score = Literal(_canonical(f"{similarity:.3f}"), datatype=XSD.decimal)
            quads.append(Quad(merge, RG.similarity, score, graph))
    return quads
