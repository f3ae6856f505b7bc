"""The skills vocabulary: knowledge, skill and ability statements -> SKOS concepts in one scheme.

A statement is folded, stripped of punctuation and of prefixes such as "knowledge of" (its *label*), then
reduced to a comparison *key* without stop words and simple plurals. Statements with equal keys share a
concept; near-duplicate keys (rapidfuzz) join the concept of the closest earlier key, and the similarity of
every merge is kept. A concept whose label is another's with modifiers before it ("engineering mathematics",
"mathematics") gets that one as its broader concept. Word lists and thresholds live in ``parser/rules/skills.toml``.
Pure: no store, no I/O beyond reading that table once.

>>> vocabulary = build_vocabulary(["General Office Procedures.", "office procedures", "spelling"])
>>> vocabulary.label_of_text("knowledge of general office procedures")
'office procedures'
>>> sorted(vocabulary.concepts["office procedures"].alt_labels)
['general office procedures']
"""

from __future__ import annotations

import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import numpy as np
from pyoxigraph import Literal, NamedNode, Quad
from rapidfuzz import fuzz

from rolegraph.errors import RuleError
from rolegraph.model import JobClass, Ksa
from rolegraph.rdf.iris import Iris
from rolegraph.rdf.namespaces import RDF, RG, SKOS, XSD
from rolegraph.resources import rule_table

__all__ = ["SkillRules", "Concept", "Vocabulary", "skill_rules", "clean_statement", "statement_key",
           "build_vocabulary", "vocabulary_of_classes", "vocabulary_quads", "skills_graph", "ProfileRules",
           "profile_rules", "activities_of_text", "split_statement", "BroaderRules", "broader_rules",
           "broader_concepts", "statement_verbs"]


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
    whole, spaced = _prefixes(rules)
    while label.startswith(spaced):  # the first (longest) prefix it starts with, again and again
        label = label[len(next(prefix for prefix in spaced if label.startswith(prefix))):]
    return "" if label in whole else label


@cache
def _prefixes(rules: SkillRules) -> tuple[frozenset[str], tuple[str, ...]]:
    """The prefixes as a set, and each followed by a space, longest first."""
    return frozenset(rules.prefixes), tuple(prefix + " " for prefix in rules.prefixes)


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
    words = WORD_SEPARATOR.split(label)
    for word in words:
        if word not in word_keys:
            singular = _singular(word, rules)
            word_keys[word] = "" if singular in rules.stop_words else singular
    return " ".join(filter(None, map(word_keys.__getitem__, words)))


WORD_SEPARATOR = re.compile(r"[\s/]+")


@cache
def _word_keys(rules: SkillRules) -> dict[str, str]:
    """Word -> its key word under ``rules`` ("" when dropped), filled as words are met: statement keys are worked
    out for every statement and profile of every class, and the same few thousand words recur."""
    return {"": ""}


@dataclass(frozen=True)
class ProfileRules:
    """The compiled ``[activities]`` and ``[split]`` tables of ``skills.toml``: what a class's holders do (verb +
    object from duties and tasks) and the atomic concepts of its knowledge, skill and ability statements."""

    verb_forms: dict[str, str]  # inflected form (and lemma) -> lemma
    object_words: int
    object_stop: frozenset[str]
    object_skip: frozenset[str]
    joiners: frozenset[str]
    heads: frozenset[str]
    activity_examples: tuple[tuple[str, tuple[str, ...]], ...] = ()
    split_examples: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __hash__(self) -> int:  # the dict field: hashed by what it compiles from
        return hash((tuple(sorted(self.verb_forms.items())), self.object_words))


def _verb_forms(lemma: str) -> list[str]:
    """The regular forms of a verb lemma.

    >>> _verb_forms("supply"), _verb_forms("prepare"), _verb_forms("audit")
    (['supply', 'supplies', 'supplied', 'supplying'], ['prepare', 'prepares', 'prepared', 'preparing'], \
['audit', 'audits', 'audited', 'auditing'])
    """
    if lemma.endswith("y") and lemma[-2:-1] not in tuple("aeiou"):
        return [lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"]
    if lemma.endswith("e"):
        return [lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"]
    if lemma.endswith(("s", "sh", "ch", "x", "z")):
        return [lemma, lemma + "es", lemma + "ed", lemma + "ing"]
    forms = [lemma, lemma + "s", lemma + "ed", lemma + "ing"]
    if len(lemma) <= 4 and lemma[-1] in "bdgmnprt" and lemma[-2] in "aeiou" and lemma[-3] not in "aeiou":
        forms += [lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"]  # "mopped", "planning"
    return forms


@cache
def profile_rules() -> ProfileRules:
    """The shipped activity and statement-splitting rules, compiled once."""
    table = rule_table("skills")
    try:
        activities, split = table["activities"], table["split"]
        forms: dict[str, str] = {}
        for lemma in activities["verbs"]:
            for form in _verb_forms(str(lemma).casefold()):
                forms.setdefault(form, str(lemma).casefold())
        forms.update({str(form): str(lemma) for form, lemma in activities["irregular"].items()})
        return ProfileRules(
            forms, int(activities["object_words"]), frozenset(map(str, activities["object_stop"])),
            frozenset(map(str, activities["object_skip"])), frozenset(map(str, split["joiners"])),
            frozenset(map(str, split["heads"])),
            tuple((str(e["text"]), tuple(map(str, e["activities"]))) for e in activities["examples"]),
            tuple((str(e["text"]), tuple(map(str, e["parts"]))) for e in split["examples"]))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise RuleError(f"skills.toml: missing or malformed [activities] or [split] entry: {error}") from None


_TOKEN = re.compile(r"[a-z][a-z'-]*|[.;:,()!?]")


def activities_of_text(text: str, rules: ProfileRules | None = None) -> list[str]:
    """The activities (verb lemma + object key) a duty or task statement names, in order.

    >>> activities_of_text("Prepares payroll records and answers telephone inquiries.")
    ['prepare payroll record', 'answer telephone inquiry']
    >>> activities_of_text("prepares and maintains personnel records")
    ['prepare personnel record', 'maintain personnel record']
    >>> activities_of_text("may assign, review, and evaluate the work of other clerks")
    ['assign work', 'review work', 'evaluate work']
    """
    rules = rules or profile_rules()
    skill = skill_rules()
    tokens = _TOKEN.findall(text.casefold())
    skip = rules.object_skip - {"and", "or"}  # after a verb: "and"/"or" join it to the next verb instead
    found: list[str] = []
    waiting: list[str] = []  # verbs joined by "and"/"or" to the next one, sharing its object
    position = 0
    while position < len(tokens):
        lemma = rules.verb_forms.get(tokens[position])
        if lemma is None:
            waiting.clear()
            position += 1
            continue
        position += 1
        while position < len(tokens) and tokens[position] in skip:
            position += 1
        joined = position
        while joined < len(tokens) and tokens[joined] in (",", "and", "or"):  # "assign, review, and evaluate"
            joined += 1
        if joined > position and joined < len(tokens) and tokens[joined] in rules.verb_forms:
            waiting.append(lemma)
            position = joined
            continue
        words: list[str] = []
        while (position < len(tokens) and len(words) < rules.object_words and tokens[position][0].isalpha()
               and tokens[position] not in rules.object_stop
               and not (words and tokens[position] in rules.verb_forms and position + 1 < len(tokens)
                        and tokens[position + 1][0].isalpha() and tokens[position + 1] not in rules.object_stop)):
            # a verb form inside an object ends it only when an object of its own follows ("records and answers"
            # is a noun; "records meter readings" a verb)
            if tokens[position] not in rules.object_skip:
                words.append(tokens[position])
            position += 1
        key = statement_key(" ".join(words), skill)
        if key:
            for verb in (*waiting, lemma):
                activity = f"{verb} {key}"
                if activity not in found:
                    found.append(activity)
        waiting.clear()
    return found


_PARTS = re.compile(r"\s*[;\u2022]\s*|:\s+|,\s*(?:and\s+|or\s+)?")


def split_statement(text: str, rules: ProfileRules | None = None) -> list[str]:
    """The atomic concepts (statement keys) of a knowledge, skill or ability statement.

    >>> split_statement("Knowledge of business English and spelling")
    ['business english', 'spelling']
    >>> split_statement("Ability to: read plans; write reports; operate a computer")
    ['read plan', 'write report', 'operate computer']
    >>> split_statement("Knowledge of principles and practices of public administration")
    ['principle practice public administration']
    """
    if rules is None or rules is profile_rules():
        return list(_split_shipped(text))
    return list(_split(text, rules))


@lru_cache(maxsize=1 << 16)
def _split_shipped(text: str) -> tuple[str, ...]:
    """``split_statement`` under the shipped rules, kept per statement: a class's profile splits every statement
    it holds, and the same statements recur across a corpus (CalHR: 45,000 statements, 19,000 different)."""
    return _split(text, profile_rules())


def _split(text: str, rules: ProfileRules) -> tuple[str, ...]:
    skill = skill_rules()
    found: list[str] = []
    for piece in _PARTS.split(text):
        words = clean_statement(piece, skill).split()
        part: list[str] = []
        for index, word in enumerate(words):
            if (word in rules.joiners and part and index + 1 < len(words)
                    and not (_singular(part[-1], skill) in rules.heads
                             and _singular(words[index + 1], skill) in rules.heads)):
                found.append(statement_key(" ".join(part), skill))
                part = []
            else:
                part.append(word)
        found.append(statement_key(clean_statement(" ".join(part), skill), skill))
    return tuple(dict.fromkeys(key for key in found if key))


@dataclass
class Concept:
    """One skill concept: its preferred label, the other labels merged into it and their similarity (0-1)."""

    label: str
    key: str
    alt_labels: dict[str, float] = field(default_factory=dict)


@dataclass
class Vocabulary:
    """Concepts by preferred label, the concept label of every comparison key seen, and the broader concept of
    each concept that has one (narrower label -> broader label)."""

    concepts: dict[str, Concept]
    key_to_label: dict[str, str]
    rules: SkillRules
    broader: dict[str, str] = field(default_factory=dict)
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
    inverted index; ties go to the concept whose key sorts first), so the shorter, commoner wording becomes the
    preferred label. No chaining: a key is compared with concept keys only.

    >>> vocabulary = build_vocabulary(["business English and spelling",
    ...                                "business English, spelling, and arithmetic"])
    >>> list(vocabulary.concepts)
    ['business english and spelling']
    >>> vocabulary.concepts['business english and spelling'].alt_labels
    {'business english spelling and arithmetic': 1.0}

    A concept's broader concept is found among concepts held by ``min_classes`` statements (``broader_concepts``):

    >>> build_vocabulary(["engineering mathematics", "mathematics", "Mathematics."]).broader
    {'engineering mathematics': 'mathematics'}
    """
    rules = rules or skill_rules()
    times = Counter(statements)
    vocabulary, cleaned, listed = _merge(times, rules)
    uses: Counter[str] = Counter()
    for text, count in times.items():
        key = cleaned[text][1]
        if key:
            uses[vocabulary.key_to_label[key]] += count
    vocabulary.broader = broader_concepts(uses, listed=listed, skill=rules)
    return vocabulary


def _merge(times: Mapping[str, int], rules: SkillRules) -> tuple[Vocabulary, dict[str, tuple[str, str]], set[str]]:
    """The vocabulary of statements (each with the times it occurs), without broader concepts; the label and key of
    each statement; the concept labels some statement of which lists things (``list_marks``)."""
    marks = _list_marks(broader_rules())
    labels_by_key: dict[str, Counter[str]] = defaultdict(Counter)
    cleaned: dict[str, tuple[str, str]] = {}
    marked: set[str] = set()
    for text, count in times.items():  # each wording once (labels first met first, as one by one)
        label = clean_statement(text, rules)
        key = statement_key(label, rules)
        cleaned[text] = (label, key)
        if marks.search(text):
            marked.add(label)
        if key:
            labels_by_key[key][label] += count
    frequency = {key: sum(labels.values()) for key, labels in labels_by_key.items()}
    order = sorted(labels_by_key, key=lambda key: (len(key.split()), -frequency[key], key))
    concepts: dict[str, Concept] = {}
    key_to_label: dict[str, str] = {}
    made = _Made(len(order))
    for key in order:
        best, best_score = None, 0.0
        for position in made.candidates(key, rules):
            concept = made.concepts[position]
            score = _similarity(key, concept.key, rules)
            if score > best_score or (score == best_score and best is not None and concept.key < best.key):
                best, best_score = concept, score
        surface = labels_by_key[key].most_common()
        if best is None:
            best = Concept(min((label for label, _ in surface), key=lambda label: (-labels_by_key[key][label],
                                                                                   len(label), label)), key)
            concepts[best.label] = best
            made.add(best)
            best_score = 100.0
        for label, _ in surface:
            if label != best.label:
                best.alt_labels[label] = round(best_score / 100.0, 3)
        key_to_label[key] = best.label
    return Vocabulary(concepts, key_to_label, rules), cleaned, marked & concepts.keys()


# Characters of a key counted in 32 bins (by code point modulo 32: the letters apart, digits sharing bins with
# letters): the bins of two strings differ by at most their Indel distance, so counts far apart rule a pair out.
_BINS = 32


class _Made:
    """The concepts made so far, as ``build_vocabulary`` looks among them for the ones a key may join: an inverted
    index (word -> the concepts having it) and, per concept, its word counts, length and character counts.

    ``candidates`` gives only concepts that can score: the result is that of comparing every concept sharing a
    word with the key, without comparing them all (a corpus whose statements share common words made that
    quadratic: 18,000 keys, 12M pairs sharing a word, 2.6M within the length bound, a few thousand that score).
    """

    def __init__(self, capacity: int) -> None:
        self.concepts: list[Concept] = []
        self.postings: dict[str, array[int]] = {}
        capacity = max(capacity, 1)
        self.words = np.zeros(capacity, dtype=np.int64)  # word count of each concept's key
        self.distinct = np.zeros(capacity, dtype=np.int64)  # distinct words
        self.length = np.zeros(capacity, dtype=np.int64)  # characters
        self.bins = np.zeros((capacity, _BINS), dtype=np.int32)  # characters by bin

    def add(self, concept: Concept) -> None:
        position = len(self.concepts)
        words = concept.key.split()
        self.concepts.append(concept)
        for word in set(words):
            self.postings.setdefault(word, array("q")).append(position)
        self.words[position], self.distinct[position], self.length[position] = len(words), len(set(words)), \
            len(concept.key)
        self.bins[position] = _char_bins(concept.key)

    def candidates(self, key: str, rules: SkillRules) -> list[int]:
        """The positions of the concepts sharing a word with ``key`` that ``_similarity`` may score above 0: every
        word of the shorter key in the longer (with enough words: containment), or character counts close enough
        for a token-sort ratio of ``similar`` (an Indel distance of at most ``1 - similar / 100`` of the lengths'
        sum)."""
        words = key.split()
        distinct = set(words)
        found = [self.postings[word] for word in distinct if word in self.postings]
        if not found:
            return []
        if len(found) == 1:
            positions = np.frombuffer(found[0], dtype=np.int64).copy()
            shared = np.ones(len(positions), dtype=np.int64)
        else:
            positions, shared = np.unique(np.concatenate([np.frombuffer(posting, dtype=np.int64)
                                                          for posting in found]), return_counts=True)
        count = self.words[positions]
        fewer, more = np.minimum(count, len(words)), np.maximum(count, len(words))
        contained = ((fewer >= rules.contained_min_words) & (fewer / more >= rules.contained_min_share)
                     & (shared == np.where(len(words) <= count, len(distinct), self.distinct[positions])))
        length = len(key)
        bound = (1 - rules.similar / 100) * (length + self.length[positions]) + 1e-9
        near = np.abs(self.length[positions] - length) <= bound
        near[near] = np.abs(self.bins[positions[near]] - _char_bins(key)).sum(axis=1) <= bound[near]
        return positions[contained | near].tolist()


def _char_bins(text: str) -> np.ndarray:
    return np.bincount(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) % _BINS, minlength=_BINS)


def vocabulary_of_classes(classes: Iterable[JobClass], rules: SkillRules | None = None) -> Vocabulary:
    """The vocabulary over every KSA statement of ``classes``; a broader concept is one held by ``min_classes``
    classes, and the words that start their ability statements are verbs (``statement_verbs``)."""
    rules = rules or skill_rules()
    classes = list(classes)
    held = Counter((ksa.kind, ksa.text) for job_class in classes for ksa in job_class.ksas)
    times: Counter[str] = Counter()
    for (_, text), count in held.items():
        times[text] += count
    vocabulary, cleaned, listed = _merge(times, rules)
    label_of = vocabulary.key_to_label
    uses: Counter[str] = Counter()
    for job_class in classes:
        uses.update({label_of[key] for key in (cleaned[ksa.text][1] for ksa in job_class.ksas) if key})
    verbs = _verbs(held, lambda text: cleaned[text][0], broader_rules())
    vocabulary.broader = broader_concepts(uses, verbs=verbs, listed=listed, skill=rules)
    return vocabulary


@dataclass(frozen=True)
class BroaderRules:
    """The compiled ``[broader]`` table of ``skills.toml``: when a concept is evidently a kind of another."""

    min_classes: int
    not_modifiers: frozenset[str]
    generic_heads: frozenset[str]  # singular
    verb_kinds: frozenset[str]
    list_marks: str
    examples: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (statement, its broader label, verbs)


@cache
def broader_rules() -> BroaderRules:
    """The shipped ``[broader]`` rules, compiled once."""
    try:
        table = rule_table("skills")["broader"]
        skill = skill_rules()
        return BroaderRules(
            int(table["min_classes"]), frozenset(str(word).casefold() for word in table["not_modifiers"]),
            frozenset(_singular(str(word).casefold(), skill) for word in table["generic_heads"]),
            frozenset(map(str, table["verb_kinds"])), str(table["list_marks"]),
            tuple((str(e["text"]), str(e["broader"]), tuple(map(str, e.get("verbs", ()))))
                  for e in table["examples"]))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise RuleError(f"skills.toml: missing or malformed [broader] entry: {error}") from None


@cache
def _list_marks(rules: BroaderRules) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(rules.list_marks)}]") if rules.list_marks else re.compile(r"(?!)")


def statement_verbs(statements: Iterable[tuple[str, str]], rules: BroaderRules | None = None,
                    skill: SkillRules | None = None) -> frozenset[str]:
    """The words that start more statements of a verb kind (``verb_kinds``) than of other kinds, from (kind, text)
    pairs: an ability statement, its "ability to" stripped, starts with a verb.

    >>> sorted(statement_verbs([("ability", "Administer anesthesia"), ("knowledge", "anesthesia"),
    ...                         ("ability", "research methods"), ("knowledge", "Research methods and design")]))
    ['administer']
    """
    skill = skill or skill_rules()
    return _verbs(Counter(statements), lambda text: clean_statement(text, skill), rules or broader_rules())


def _verbs(statements: Mapping[tuple[str, str], int], label_of: Callable[[str], str],
           rules: BroaderRules) -> frozenset[str]:
    starts: Counter[str] = Counter()  # first word -> statements of a verb kind less those of another kind
    for (kind, text), count in statements.items():
        first = label_of(text).split(maxsplit=1)[:1]
        if first:
            starts[first[0]] += count if kind in rules.verb_kinds else -count
    return frozenset(word for word, balance in starts.items() if balance > 0)


@cache
def _verb_forms_not_participles(rules: ProfileRules) -> frozenset[str]:
    """The [activities] verb forms but the "-ed" ones: before a noun a past participle is a modifier ("applied
    mathematics", "automated systems")."""
    return frozenset(form for form, lemma in rules.verb_forms.items() if form == lemma or not form.endswith("ed"))


# A modifier word: letters, inner hyphens or apostrophes ("in-service"); no digit, no "/".
_MODIFIER = re.compile(r"[^\W\d_](?:[^\W\d_]|['-](?=[^\W\d_]))*")


def broader_concepts(uses: Mapping[str, int], *, verbs: Collection[str] = (), listed: Collection[str] = (),
                     rules: BroaderRules | None = None, skill: SkillRules | None = None) -> dict[str, str]:
    """Narrower concept label -> broader concept label, among the labels of ``uses`` (label -> how many classes hold
    it), in label order.

    A label's broader concept is the longest other label its words end with (plurals aside) when the words before
    it are modifiers only: none of ``not_modifiers``, no verb (``verbs``, and the [activities] verbs but their
    past participles), no digit or "/". The broader label is held by ``min_classes`` classes, starts with none of
    ``not_modifiers``, is no verb phrase (a verb followed by more words) and no generic head alone; the narrower
    label is not one some statement of which lists things (``listed``). The narrower label is always the longer:
    no cycle.

    >>> broader_concepts({"engineering mathematics": 1, "mathematics": 2, "principles of mathematics": 1,
    ...                   "safety practices": 1, "practices": 5, "manage contracts": 1, "contracts": 2})
    {'engineering mathematics': 'mathematics'}
    """
    rules = rules or broader_rules()
    skill = skill or skill_rules()
    verb_words = frozenset(verbs) | _verb_forms_not_participles(profile_rules())
    singular: dict[str, str] = {}

    def singular_of(word: str) -> str:
        found = singular.get(word)
        if found is None:
            found = singular[word] = _singular(word, skill)
        return found

    labels = sorted(uses)
    heads: dict[tuple[str, ...], str] = {}
    for label in labels:
        words = label.split()
        if (uses[label] < rules.min_classes or not words or words[0] in rules.not_modifiers
                or (len(words) > 1 and words[0] in verb_words)
                or (len(words) == 1 and singular_of(words[0]) in rules.generic_heads)):
            continue
        heads.setdefault(tuple(map(singular_of, words)), label)
    found: dict[str, str] = {}
    for label in labels:
        words = label.split()
        if len(words) < 2 or label in listed:
            continue
        tail = tuple(map(singular_of, words))
        for start in range(1, len(words)):  # the longest head first: the nearest broader concept
            word = words[start - 1]
            if word in rules.not_modifiers or word in verb_words or not _MODIFIER.fullmatch(word):
                break  # the words before every shorter head hold it too
            head = heads.get(tail[start:])
            if head is not None:
                found[label] = head
                break
    return found


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
    (``rg:mergedLabel``, ``rg:similarity`` 0-1), so the reason two wordings share a concept can be queried, and
    ``skos:broader`` its broader concept, if it has one (``Vocabulary.broader``).
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
        broader = vocabulary.broader.get(concept.label)
        if broader is not None:
            quads.append(Quad(node, SKOS.broader, iris.skill(broader), graph))
    return quads
