"""Derive promotion steps between job classes: explicit ones stated in specifications, derived ones from
grades, experience thresholds and shared skills, lateral moves, and comparable classes across employers.

Pure: ``ClassFacts`` in, :class:`Ladder` out. Candidate pairs come from an inverted index over skill
concepts, experience-field words, title words and series, so the work grows with the number of classes
times the candidates per class, not with all pairs. Thresholds live in ``parser/rules/ladders.toml``.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache, cached_property, lru_cache
from itertools import chain
from os.path import commonprefix
from typing import Any

import numpy as np

from rolegraph.collector import collector_paused
from rolegraph.errors import RuleError
from rolegraph.ladders.facts import ClassFacts, Experience
from rolegraph.merge import QUALIFIER, RANGE_QUALIFIER, close_titles
from rolegraph.model import LEVEL_ORDER, pickled_by_fields
from rolegraph.parser.requirements import named_classes
from rolegraph.parser.tables import fold, load_rules
from rolegraph.resources import rule_table
from rolegraph.skills import clean_statement, profile_rules, skill_rules, statement_key

__all__ = ["LadderRules", "ladder_rules", "field_words", "PartCheck", "Step", "Comparison", "Ladder",
           "Derivation", "Around", "derive_ladder", "derive_ladder_again", "derive_ladder_around", "KINDS",
           "PROMOTION_KINDS"]

KINDS = ("explicit", "derived", "lateral")
PROMOTION_KINDS = frozenset({"explicit", "derived"})
COMPARABLE_MIN_SHARED = 2  # features two classes must share to be compared at all
ROLE_WORDS = 6  # the most leading words of a lower-case role tried as a title
ROLE_LEVELS = ("I", "II", "III", "IV", "V")  # the levels a lower-case role may name ("electrician": Electrician I)
NUMERALS = frozenset(level.casefold() for level in ROLE_LEVELS)  # level words that number a title ("Clerk II")
TITLE_LEVELS_KEPT = 1 << 18  # titles whose level ``LadderRules.title_levels`` keeps (then it starts afresh)
CONCEPT_WEIGHT = 0.05  # a profile concept's weight in comparisons, relative to a skill concept of the same idf


@dataclass(frozen=True)
class LadderRules:
    """The compiled ``ladders.toml`` table (use ``dataclasses.replace`` to change a threshold)."""

    field_stop_words: frozenset[str]
    match_share: float
    skill_threshold: float
    comparable_threshold: float
    max_postings: int
    default_level_rank: int
    comparable_per_class: int = 5
    derived_min_score: float = 0.45
    derived_per_target: int = 2
    score_weights: tuple[float, float, float, float] = (0.4, 0.25, 0.25, 0.1)  # field, overlap, title, closeness
    confidence: tuple[float, float] = (0.7, 0.55)  # high, medium
    pay_equal_within: float = 0.03
    pay_max_ratio: float = 1.8
    level_words: tuple[tuple[str, int], ...] = ()  # title word -> rank (``[levels] order``)
    journey_rank: int = 0
    specific_bits: int = 4  # rarity (bits) from which a field or title word is specific
    rarity_min_classes: int = 32  # an employer's classes below which every word counts as specific
    evidence_title_bits: int = 5  # rarity of the shared title words that shows one occupation
    evidence_min_shared: int = 3  # shared skills and activities a profile overlap needs to show one occupation
    evidence_overlap: float = 0.5  # the weighted overlap of skills and activities that shows one occupation
    # comparable classes of different employers: the same title head noun, or this profile overlap over this many
    # shared skills and activities
    comparable_profile_overlap: float = 0.5
    comparable_profile_min_shared: int = 3
    head_cut: tuple[str, ...] = (",", " of ")  # what of a title follows these is no part of its head
    generic_heads: frozenset[str] = frozenset()  # heads that name no occupation alone ("officer", "worker")
    # words of general English naming one kind of work in other words: (a field's words, work words showing them)
    related: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()
    membership: tuple[str, ...] = ()  # a field holding the first asks for membership of an organisation
    helper_heads: frozenset[str] = frozenset()  # title heads of classes assisting an occupation ("helper")
    pay_drift_per_year: float = 0.03  # how far pay published this many years apart may be off (``[levels]``)
    at_level: tuple[str, ...] = ()  # phrases admitting a class at a named class's level ("in a class at that level")
    role_after: re.Pattern[str] | None = None  # a list of lower-case roles a field of experience asks for (group 1)
    role_ends: frozenset[str] = frozenset()  # words after which a role's words are its complement ("helper to a X")
    series_skill_threshold: float = 0.1  # ``skill_threshold`` up one series of titles to a class asking no experience

    @cached_property
    def level_rank(self) -> dict[str, int]:
        return dict(self.level_words)

    @cached_property
    def related_words(self) -> frozenset[str]:
        """Every field word a ``related`` row names: a field holding none is shown by its own words only."""
        return frozenset().union(*(wanted for wanted, _ in self.related))

    @cached_property
    def related_vocabulary(self) -> frozenset[str]:
        """Every word of a ``related`` row, either side."""
        return frozenset().union(*(wanted | shown for wanted, shown in self.related))

    @cached_property
    def title_levels(self) -> dict[str, tuple[str, int]]:
        """Title -> its series stem and level rank (``_title_level``), filled as titles are met: asked for each
        candidate pair of classes, and a title's level is a property of its class."""
        return {}


@cache
def ladder_rules() -> LadderRules:
    """The shipped ladder rules, compiled once."""
    table = rule_table("ladders")
    try:
        steps = table["steps"]
        listed = {str(w).casefold() for w in table["fields"]["stop_words"]}
        stop_words = frozenset(listed | {statement_key(word) for word in listed} - {""})  # "involves", "involve"
        levels = table["levels"]
        ranks = tuple((str(word).casefold(), rank) for rank, words in enumerate(levels["order"], start=1)
                      for word in words)
        journey = dict(ranks)[str(levels["journey"]).casefold()]
        weights = steps["score_weights"]
        return LadderRules(stop_words | skill_rules().stop_words,
                           float(table["fields"]["match_share"]), float(steps["skill_threshold"]),
                           float(steps["comparable_threshold"]), int(steps["max_postings"]),
                           int(steps["default_level_rank"]), int(steps["comparable_per_class"]),
                           float(steps["derived_min_score"]), int(steps["derived_per_target"]),
                           tuple(float(weights[name]) for name in ("field", "overlap", "title", "closeness")),
                           (float(steps["confidence"]["high"]), float(steps["confidence"]["medium"])),
                           float(levels["pay_equal_within"]), float(levels["pay_max_ratio"]), ranks, journey,
                           int(table["fields"]["specific_bits"]), int(table["fields"]["rarity_min_classes"]),
                           int(steps["evidence_title_bits"]), int(steps["evidence_min_shared"]),
                           float(steps["evidence_overlap"]), float(steps["comparable_profile_overlap"]),
                           int(steps["comparable_profile_min_shared"]),
                           tuple(str(cut).casefold() for cut in steps["head_cut"]),
                           frozenset(statement_key(str(word).casefold()) for word in steps["generic_heads"]),
                           _related_rows(table["fields"]["related"], stop_words),
                           tuple(statement_key(str(word).casefold()) for word in table["fields"]["membership"]),
                           frozenset(statement_key(str(word).casefold()) for word in steps["helper_heads"]),
                           float(levels["pay_drift_per_year"]),
                           tuple(fold(str(phrase)) for phrase in table["fields"]["at_level"]),
                           re.compile(str(table["fields"]["role_after"])),
                           frozenset(str(word).casefold() for word in table["fields"]["role_ends"]),
                           float(steps["series_skill_threshold"]))
    except (KeyError, TypeError, ValueError, re.error) as error:
        raise RuleError(f"ladders.toml: missing or malformed entry: {error}") from None


def _related_rows(rows: Iterable[Mapping[str, Any]], stop_words: frozenset[str],
                  ) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    """``[fields] related`` as (a field's words, words of work showing them): each ``field`` phrase with each
    ``shown_by`` one, each ``same`` phrase with each other."""
    found: list[tuple[frozenset[str], frozenset[str]]] = []
    for row in rows:
        same = [_words(str(phrase), stop_words) for phrase in row.get("same", ())]
        pairs = [(one, other) for one in same for other in same if one != other]
        pairs += [(_words(str(wanted), stop_words), _words(str(shown), stop_words))
                  for wanted in row.get("field", ()) for shown in row.get("shown_by", ())]
        if not pairs or not all(one and other for one, other in pairs):
            raise ValueError(f"related row {dict(row)!r}: no words, or a phrase of stop words only")
        found.extend(pairs)
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=1 << 18)
def _words(text: str, stop_words: frozenset[str]) -> frozenset[str]:
    key = statement_key(clean_statement(text.replace("/", " ")))
    # interned: the same few thousand words recur in every class's words, which derivations keep
    return frozenset(sys.intern(word) for word in set(key.split()) - stop_words if not word.isdigit())


def field_words(text: str, rules: LadderRules | None = None) -> frozenset[str]:
    """The words of an experience field that say what the field is.

    >>> sorted(field_words("clerical work that customarily involves public contact"))
    ['clerical', 'contact', 'public']
    >>> sorted(field_words("four (4) years customer contact experience"))
    ['contact', 'customer']
    """
    return _words(text, (rules or ladder_rules()).field_stop_words)


def _share(wanted: frozenset[str], have: frozenset[str]) -> float:
    return 1.0 if not wanted else len(wanted & have) / len(wanted)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PartCheck:
    """A part of the required experience and whether the lower class's work shows it."""

    months: Decimal
    field: str
    evidenced: bool


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Step:
    """One step from ``source`` to ``target`` (class IRIs), with everything that explains it."""

    source: str
    target: str
    kind: str  # explicit | derived | lateral
    score: float
    reasons: tuple[str, ...] = ()
    shared_skills: tuple[str, ...] = ()  # concept IRIs
    missing_skills: tuple[str, ...] = ()
    months_required: Decimal | None = None
    months_on_entry: Decimal = Decimal(0)
    months_in_role: Decimal | None = None
    required_field: str = ""
    entry_field: str = ""
    parts: tuple[PartCheck, ...] = ()
    combine: str = "any of"  # "all of" when the chosen requirement comes with others of the same alternative
    together: tuple[str, ...] = ()  # those other requirements ("12 months of supervision")
    alternatives: int = 0
    grade_from: str | None = None
    grade_to: str | None = None
    grade_change: int | None = None
    sources: tuple[str, ...] = ()  # "002_x.txt:54-56"
    justified_by: tuple[str, ...] = ()  # IRIs of the fact nodes (experience, pay grade, job family member)
    explanation: str = ""
    # what the source's work shows of the target's experience field (the words that matched), the activities and
    # KSA concepts (ClassFacts.concepts) both have and those still missing, the level change, the confidence tier
    matched_words: tuple[str, ...] = ()
    required_words: tuple[str, ...] = ()  # the words of the required field (of ``required_field``) looked for
    shared_activities: tuple[str, ...] = ()
    missing_activities: tuple[str, ...] = ()
    level_change: str = ""
    confidence: str = ""

    @property
    def promotion(self) -> bool:
        return self.kind in PROMOTION_KINDS


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Comparison:
    """Two classes of different employers that look alike (never a promotion step)."""

    first: str
    second: str
    score: float
    shared: tuple[str, ...] = ()  # what they share: skill concept IRIs, "field: clerical", "title: clerk"


@dataclass
class Ladder:
    """All steps and comparisons derived from a set of classes."""

    steps: list[Step] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    candidates: int = field(default=0, compare=False)  # candidate pairs examined (by this derivation)

    def promotions(self) -> list[Step]:
        return [step for step in self.steps if step.promotion]


# -- derivation ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ClassWords:
    """The words of one class that derivation works with: what its label-free text costs to work out."""

    entry: tuple[frozenset[str], ...]  # field words of each experience requirement, in order
    profile: frozenset[str]  # what its work is: profile text, skill labels and experience fields
    title: frozenset[str]

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled a class at a time (rolegraph.ladders.kept), the words would come back as strings of their own
        return _interned_words, (self.entry, self.profile, self.title)


def _interned_words(entry: tuple[frozenset[str], ...], profile: frozenset[str], title: frozenset[str],
                    ) -> _ClassWords:
    """A class's words as unpickled, shared as ``field_words`` shares them: every class holds the same few
    thousand words, and many the same field and title words (at 100k classes, 300 MB when each had its own)."""
    return _ClassWords(tuple(_shared_words(words) for words in entry), frozenset(map(sys.intern, profile)),
                       _shared_words(title))


@lru_cache(maxsize=1 << 16)
def _shared_words(words: frozenset[str]) -> frozenset[str]:
    return frozenset(map(sys.intern, words))


@dataclass
class _Context:
    facts: dict[str, ClassFacts]
    rules: LadderRules
    labels: Mapping[str, str]
    idf: dict[str, float]
    profile: dict[str, frozenset[str]]
    entry: dict[str, tuple[tuple[Experience, frozenset[str]], ...]]
    features: dict[str, dict[str, float]]
    feature_total: dict[str, float] = field(default_factory=dict)
    weight: dict[str, float] = field(default_factory=dict)  # feature -> its weight (the same in every class)
    words: dict[str, _ClassWords] = field(default_factory=dict)
    frequency: dict[str, int] = field(default_factory=dict)  # skill concept -> how many classes require it
    everyone: Mapping[str, int] | None = None  # every class's IRI, when ``facts`` holds only some of them
    # employer -> word -> how many of its classes hold the word in their work or title; employer -> its classes
    word_counts: dict[str | None, Counter[str]] = field(default_factory=dict)
    sizes: dict[str | None, int] = field(default_factory=dict)

    def rarity(self, place: str | None, word: str) -> int:
        """How rare ``word`` is among the classes of the employer at ``place``, in bits (see ladders.toml)."""
        return _rarity(self.sizes.get(place, 0), self.word_counts.get(place, {}).get(word, 0), self.rules)

    def label(self, concept: str) -> str:
        return self.labels.get(concept) or concept.rsplit("/", 1)[-1].replace("-", " ")

    def known(self, iri: str) -> bool:
        """Whether ``iri`` is one of the classes derived from (``facts`` has it, or can be given it)."""
        return iri in (self.facts if self.everyone is None else self.everyone)


@dataclass
class Derivation:
    """What a derivation keeps so that the next one derives only what changed (``derive_ladder_again`` from every
    class's facts, ``derive_ladder_around`` from those of the classes that changed).

    ``versions`` say which facts it was derived from (class IRI -> a key that changes whenever the class's facts
    or skill labels do); the rest is what those facts gave. ``versions`` and ``words`` are per class: kept apart
    (see ``rolegraph.ladders.kept``), a derivation may come without them (``detached``).
    """

    rules: LadderRules
    versions: dict[str, str]
    words: dict[str, _ClassWords]
    idf: dict[str, float]
    postings: dict[str, int]  # feature -> how many classes hold it
    derived: dict[tuple[str, str], Step]  # derived and lateral steps, explained, before explicit steps win a pair
    best: dict[str, tuple[tuple[float, str, str], ...]]  # class -> its best comparisons: (score, first, second)
    comparisons: dict[tuple[str, str], Comparison]
    claims: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # pair -> owners stating it
    resolved: dict[str, Resolution] = field(default_factory=dict)  # owner -> the classes its names resolved to
    frequency: dict[str, int] = field(default_factory=dict)  # skill concept -> how many classes require it
    labels: dict[str, str] = field(default_factory=dict)  # the skill labels derived with
    index: _FeatureIndex | None = None
    word_counts: dict[str | None, Counter[str]] = field(default_factory=dict)  # as ``_Context`` has them
    sizes: dict[str | None, int] = field(default_factory=dict)
    in_order: bool = False  # derived from facts in IRI order (what ``derive_ladder_around`` works on)
    detached: bool = False  # ``versions`` and ``words`` left out


@dataclass
class Around:
    """What ``derive_ladder_around`` gives: how the ladder changed, and what to keep for the next derivation."""

    gone: Ladder  # steps and comparisons that went or changed
    came: Ladder  # those that came or changed
    derivation: Derivation  # detached
    words: dict[str, _ClassWords]  # of the classes changed
    candidates: int = 0


def _assembled(context: _Context, explicit: Mapping[str, tuple[Step, ...]], derived: Mapping[tuple[str, str], Step],
               comparisons: Mapping[tuple[str, str], Comparison]) -> Ladder:
    """The ladder of explicit steps (by owner, in the order stated: the first of a pair wins), derived steps (where
    no explicit step joins the pair) and comparisons, in pair order."""
    steps: dict[tuple[str, str], Step] = {}
    for owned in explicit.values():
        for step in owned:
            steps.setdefault((step.source, step.target), step)
    for key in _chosen(context, derived, set(steps)):
        steps.setdefault(key, derived[key])
    return Ladder([step for _, step in sorted(steps.items())], list(comparisons.values()))


def _rank(step: Step) -> tuple[float, str]:
    return -step.score, step.source


_Links = dict[str, set[str]]  # class IRI -> the classes a promotion step joins it to (up, or down)


def _links(derived: Mapping[tuple[str, str], Step], stated: Iterable[tuple[str, str]]) -> tuple[_Links, _Links]:
    """The promotion steps a target's best sources are chosen among: each class's derived steps (all of them, chosen
    or not) and explicit steps (``stated``), up (source -> targets) and down (target -> sources)."""
    up: _Links = defaultdict(set)
    down: _Links = defaultdict(set)
    for source, target in chain((key for key, step in derived.items() if step.kind == "derived"), stated):
        up[source].add(target)
        down[target].add(source)
    return up, down


def _chosen(context: _Context, derived: Mapping[tuple[str, str], Step], stated: Collection[tuple[str, str]],
            ) -> list[tuple[str, str]]:
    """The pairs of ``derived`` the ladder holds: every lateral step, and the derived steps of each target with
    the best ``derived_per_target`` scores (ties by source IRI) among those that skip no level (``_skips``;
    ``stated``: the pairs of explicit steps). A target's best sources only: the same field of experience is shown
    by many classes of an employer, and a career map draws the nearest ones."""
    by_target: dict[str, list[Step]] = defaultdict(list)
    kept: list[tuple[str, str]] = []
    for key, step in derived.items():
        if step.kind == "derived":
            by_target[key[1]].append(step)
        else:
            kept.append(key)
    up, down = _links(derived, stated)
    for target, steps in by_target.items():
        kept.extend(_best_sources(context, target, steps, up, down))
    return kept


def _best_sources(context: _Context, target: str, steps: Collection[Step], up: _Links, down: _Links,
                  ) -> list[tuple[str, str]]:
    """Of the derived ``steps`` into ``target``, the pairs of the best ``derived_per_target`` that skip no level."""
    ranked = sorted((step for step in steps if not _skips(context, step, up, down)), key=_rank)
    return [(step.source, step.target) for step in ranked[:context.rules.derived_per_target]]


def _skips(context: _Context, step: Step, up: _Links, down: _Links) -> bool:
    """Whether a derived ``step`` skips a level: a class of the target's occupation (``_one_occupation``) lies
    strictly between its two (``_level_change``) and is itself a source of a promotion step into the target, or
    the target of one from the source (``up``, ``down``: see ``_links``). The ladder goes through it
    ("Environmental Engineer" -> "Senior Environmental Engineer" -> "Principal Environmental Engineer"). From a
    source below the journey level (a trainee, an assistant, a helper), any class below the target, not below the
    source, with a promotion step both from the source and into the target will do ("Assistant Gardener" ->
    "Gardener Caretaker" -> "Senior Gardener"; "Office Trainee" -> "Office Services Assistant", at its pay, which
    names it, -> "Administrative Clerk"). Unless
    the target's field of experience names the source's level: "four years as a journey-level plumber" is
    gained as a Plumber, whether or not a Senior Plumber lies between."""
    rules, facts = context.rules, context.facts
    low, high = facts[step.source], facts[step.target]
    ranks = rules.level_rank
    if int(_title_level(low.title, rules)[1]) in {ranks[part] for word in step.required_words
                                             for part in word.split("-") if part in ranks}:
        return False
    learner = _work_rank(low.title, rules) < rules.journey_rank  # a trainee, an assistant, a helper
    for middle in sorted((down.get(step.target, set()) | up.get(step.source, set())) - {step.source, step.target}):
        between = facts[middle]
        if not _above(context, between, high):
            continue
        if _one_occupation(between, high, rules) and _above(context, low, between):
            return True
        # a class below the journey level goes to the class its own line leads to (a step into it, at its level
        # or above) when that class leads to the target: "Office Trainee" -> "Office Services Assistant" ->
        # "Administrative Clerk"
        if (learner and middle in up.get(step.source, set()) and middle in down.get(step.target, set())
                and (level := _level_change(context, low, between)) is not None and level[0] >= 0):
            return True
    return False


def _above(context: _Context, low: ClassFacts, high: ClassFacts) -> bool:
    """Whether ``high`` is at a higher level than ``low`` (``_level_change``)."""
    level = _level_change(context, low, high)
    return level is not None and level[0] > 0


def _one_occupation(a: ClassFacts, b: ClassFacts, rules: LadderRules) -> bool:
    """Whether two classes are of one series: the same ``series``, or the same title once level words are dropped."""
    if a.series and b.series and fold(a.series) == fold(b.series):
        return True
    stem = _title_level(a.title, rules)[0]
    return bool(stem) and stem == _title_level(b.title, rules)[0]


def derive_ladder(facts: Iterable[ClassFacts], rules: LadderRules | None = None,
                  skill_labels: Mapping[str, str] | None = None) -> Ladder:
    """Derive every step and comparison among ``facts``.

    Explicit steps (a stated job family, a requirement naming a class) come first; derived and lateral
    steps need the same employer and pay plan, a higher (equal for lateral) grade, the target's
    experience attainable in the source class, and a weighted skill overlap of at least
    ``rules.skill_threshold``. Classes of different employers are compared, never stepped between.
    """
    rules = rules or ladder_rules()
    with collector_paused():
        return _derive(list(facts), rules, skill_labels or {}, {})[0]


def derive_ladder_again(facts: Iterable[ClassFacts], versions: Mapping[str, str], previous: Derivation | None,
                        rules: LadderRules | None = None, skill_labels: Mapping[str, str] | None = None,
                        ) -> tuple[Ladder, Derivation]:
    """``derive_ladder``, working again only on what changed since the ``previous`` derivation; the same result.

    ``versions`` (class IRI -> a key that changes whenever that class's facts or skill labels change) tell
    which classes changed. Pairs of unchanged classes keep their steps and scores, unless a change reaches
    them: a skill whose document frequency changed (its weight, idf), a feature that became common or rare
    (candidate pairs), a comparison among a class's best that changed. A class added or removed changes every
    idf, so then everything is derived again, as it is without a usable ``previous``.
    """
    rules = rules or ladder_rules()
    with collector_paused():
        return _derive(list(facts), rules, skill_labels or {}, versions, previous)


def _derive(facts: list[ClassFacts], rules: LadderRules, skill_labels: Mapping[str, str],
            versions: Mapping[str, str], previous: Derivation | None = None) -> tuple[Ladder, Derivation]:
    by_iri = {fact.iri: fact for fact in facts}
    if previous is not None and previous.detached:
        previous = None  # its per-class part left out: nothing to compare with
    usable = previous is not None and previous.rules == rules and len(previous.words) == len(by_iri)
    words = {} if previous is None else {iri: found for iri, found in previous.words.items()
                                         if iri in versions and previous.versions.get(iri) == versions[iri]}
    context = _context(by_iri, rules, skill_labels, words)
    index = _FeatureIndex(context)
    context.features.clear()  # the index holds them now (a dict a class: at 100k classes, some 120 MB)
    dirty: set[str] = set()
    if usable:
        assert previous is not None
        dirty = _changed(context, index, previous, versions)
        usable = len(dirty) <= len(by_iri) // 4  # past that, deriving everything costs less
    if usable:
        assert previous is not None
        ladder, derived, best = _derive_changed(context, index, previous, dirty)
    else:
        ladder, derived, best = _derive_all(context, index)
    explicit, resolved = _explicit_steps(context, by_iri.values())
    derivation = _derivation(context, index, previous if usable else None, dirty, derived, best, explicit, resolved)
    derivation.versions, derivation.words, derivation.detached = dict(versions), context.words, False
    derivation.in_order = all(first < second for first, second in zip(by_iri, list(by_iri)[1:], strict=False))
    found = _assembled(context, explicit, derived, derivation.comparisons)
    found.candidates = ladder.candidates
    return found, derivation


def _derivation(context: _Context, index: _FeatureIndex, previous: Derivation | None, dirty: set[str],
                derived: dict[tuple[str, str], Step], best: dict[str, tuple[tuple[float, str, str], ...]],
                explicit: dict[str, tuple[Step, ...]], resolved: dict[str, Resolution]) -> Derivation:
    """What a derivation keeps (its versions and words left to the caller), its comparisons made: those of the
    ``previous`` derivation kept where neither class is ``dirty``."""
    old = previous.comparisons if previous is not None else {}
    comparisons: dict[tuple[str, str], Comparison] = {}
    for pair, score in sorted({(first, second): score for kept in best.values()
                               for score, first, second in kept}.items()):
        found = old.get(pair)
        comparisons[pair] = (found if found is not None and not dirty & set(pair)
                             else _comparison(index, pair[0], pair[1], score))
    postings = dict(zip(index.names, index.counts.tolist(), strict=True))
    claims: dict[tuple[str, str], list[str]] = {}
    for owner, steps in explicit.items():
        for pair in dict.fromkeys((step.source, step.target) for step in steps):
            claims.setdefault(pair, []).append(owner)
    return Derivation(context.rules, {}, {}, context.idf, postings, derived, best, comparisons,
                      {pair: tuple(owners) for pair, owners in claims.items()}, resolved, dict(context.frequency),
                      dict(context.labels), index, context.word_counts, context.sizes, in_order=True, detached=True)


def derive_ladder_around(previous: Derivation, changed: Mapping[str, ClassFacts],
                         kept: Callable[[Collection[str]], Mapping[str, tuple[ClassFacts, _ClassWords]]],
                         last: Callable[[Collection[tuple[str, str]]], Mapping[tuple[str, str], Step]],
                         rules: LadderRules | None = None) -> Around | None:
    """``derive_ladder_again`` for the same classes as ``previous`` (detached or not), of which those in
    ``changed`` (class IRI -> its facts now) changed, reading no other class's facts than those a change reaches:
    ``kept`` gives the facts and words of the classes asked for, as the previous derivation had them, and ``last``
    the steps the previous ladder held for the pairs asked for. Returns how the ladder changed and what to keep
    (see :class:`Around`); or None when the change reaches beyond what this can redo (a class's name, place or
    the classes it names; a quarter of the classes or more), and everything must be derived again."""
    rules = rules or ladder_rules()
    index = previous.index
    if (index is None or not previous.in_order or previous.rules != rules
            or any(iri not in index.number for iri in changed)):
        return None
    with collector_paused():
        return _derive_around(previous, index, dict(changed), kept, last, rules)


def _derive_around(previous: Derivation, index: _FeatureIndex, changed: dict[str, ClassFacts],
                   kept: Callable[[Collection[str]], Mapping[str, tuple[ClassFacts, _ClassWords]]],
                   last: Callable[[Collection[tuple[str, str]]], Mapping[tuple[str, str], Step]],
                   rules: LadderRules) -> Around | None:
    before = kept(list(changed))
    if any(iri not in before or _identity(before[iri][0]) != _identity(fact) or _names(before[iri][0]) != _names(fact)
           for iri, fact in changed.items()):
        return None
    frequency = Counter(previous.frequency)
    for iri, fact in changed.items():
        frequency.subtract(_weighed(before[iri][0]))
        frequency.update(_weighed(fact))
    count = max(len(index.iris), 1)
    idf = {concept: math.log(1 + count / df) for concept, df in frequency.items() if df > 0}
    moved = {concept for concept, value in idf.items() if previous.idf.get(concept) != value}
    moved.update(concept for concept in previous.idf if concept not in idf)
    reweighed = {iri for concept in moved if concept in index.position for iri in index.holders(concept)}
    quarter = len(index.iris) // 4
    if len(changed.keys() | reweighed) > quarter:
        return None
    context = _Context({}, rules, previous.labels, idf, {}, {}, {}, everyone=index.number)
    context.frequency = {concept: df for concept, df in frequency.items() if df > 0}
    for fact in changed.values():
        _add_class(context, fact, _class_words(fact, rules, context.label))
    context.sizes = previous.sizes
    context.word_counts = counts = {place: Counter(held) for place, held in previous.word_counts.items()}
    for iri, fact in changed.items():
        counts.setdefault(fact.location, Counter()).subtract(_rarity_words(before[iri][1]))
        counts[fact.location].update(_rarity_words(context.words[iri]))
    rare_again = {word for iri, fact in changed.items()
                  for word in _rarity_words(before[iri][1]) ^ _rarity_words(context.words[iri])
                  if _rarity(previous.sizes.get(fact.location, 0), previous.word_counts.get(fact.location, {})
                             .get(word, 0), rules) != context.rarity(fact.location, word)}
    found = kept(sorted(reweighed - changed.keys()))
    if len(found) != len(reweighed - changed.keys()):
        return None
    for fact, words in found.values():
        _add_class(context, fact, words)
    index = index.with_rows({index.number[iri]: own for iri, own in context.features.items()}, context.weight,
                            {index.number[iri]: total for iri, total in context.feature_total.items()}, rules)
    dirty = set(context.features)
    limit = rules.max_postings
    flipped = {feature for feature in previous.postings.keys() | index.position.keys()
               if (previous.postings.get(feature, 0) <= limit) != (index.count_of(feature) <= limit)}
    for feature in flipped & index.position.keys():
        dirty.update(index.holders(feature))
    dirty.update(_holding_words(index, rare_again))
    if len(dirty) > quarter:
        return None
    owners = {owner for owner, resolution in previous.resolved.items()
              if owner in dirty or any(iri in dirty for iri in resolution[0])
              or any(iri in dirty for named in resolution[1] for iri in named)}
    needed = set(dirty) | owners
    needed.update(iri for owner in owners for iri in _resolved_iris(previous.resolved[owner]))
    for iri in dirty:
        first = index.number[iri]
        others = index.partners(first)
        needed.update(index.iris[other] for other in others[index.same_employer(first, others)].tolist())
    found = kept(sorted(needed - context.words.keys()))
    if len(found) != len(needed - context.words.keys()):
        return None  # a class the change reaches is not kept
    for fact, words in found.values():
        _add_words(context, fact, words)
    ladder, derived, best = _derive_changed(context, index, previous, dirty)
    found, resolved = _explicit_steps(context, [context.facts[owner] for owner in sorted(owners)],
                                      previous.resolved)
    derivation = _derivation(context, index, previous, dirty, derived, best, {}, {**previous.resolved, **resolved})
    stating = {owner: found.get(owner, ()) for owner in owners}  # what the redone owners state now
    derivation.claims = claims = _claimed(previous.claims, stating)
    touched = {pair for pair, claimants in previous.claims.items() if owners.intersection(claimants)}
    touched.update((step.source, step.target) for steps in stating.values() for step in steps)
    touched.update(key for key in chain(previous.derived, derived) if dirty & set(key))
    # a target keeps its best derived sources only: a step into it that came, went or changed may move another;
    # and its sources that skip no level: a step from one of them that came, went or changed may move it
    sources = {source for source, _ in touched}
    targets = {target for _, target in touched}
    targets.update(key[1] for key in chain(previous.derived, derived) if key[0] in sources)
    touched.update(key for key in chain(previous.derived, derived) if key[1] in targets)
    up, down = _links(derived, claims)
    into: dict[str, list[Step]] = defaultdict(list)
    for key, step in derived.items():
        if key[1] in targets and step.kind == "derived":
            into[key[1]].append(step)
    # what telling the steps that skip a level reads: the facts of the targets, their sources and the classes
    # these are joined to
    needed = {iri for target, steps in into.items() for step in steps
              for iri in (target, *down.get(target, ()), step.source, *up.get(step.source, ()))}
    found = kept(sorted(needed - context.words.keys()))
    if len(found) != len(needed - context.words.keys()):
        return None
    for fact, words in found.values():
        _add_words(context, fact, words)
    per_target = {target: set(_best_sources(context, target, into.get(target, ()), up, down)) for target in targets}
    # the first owners stating a touched pair that were not redone state what they stated (nothing they name
    # changed); what they state is worked out again, from their facts and those of the classes they name
    others = {claims[pair][0] for pair in touched if pair in claims and claims[pair][0] not in owners}
    needed = others | {iri for owner in others for iri in _resolved_iris(previous.resolved[owner])}
    found = kept(sorted(needed - context.words.keys()))
    if len(found) != len(needed - context.words.keys()):
        return None
    for fact, words in found.values():
        _add_words(context, fact, words)
    stating.update(_explicit_steps(context, [context.facts[owner] for owner in sorted(others)],
                                   previous.resolved)[0])
    before = last(sorted(touched))
    gone, came = Ladder(), Ladder()
    for pair in sorted(touched):
        held = derived if derived.get(pair) is None or derived[pair].kind != "derived" or pair in per_target[pair[1]] \
            else {}
        _note_change(gone.steps, came.steps, before.get(pair), _winner(pair, claims, stating, held))
    for pair in sorted(previous.comparisons.keys() | derivation.comparisons.keys()):
        _note_change(gone.comparisons, came.comparisons, previous.comparisons.get(pair),
                     derivation.comparisons.get(pair))
    return Around(gone, came, derivation, {iri: context.words[iri] for iri in changed}, ladder.candidates)


def _note_change(gone: list[Any], came: list[Any], old: Any, new: Any) -> None:
    """Note an item of the ladder that changed (or went, or came): the old in ``gone``, the new in ``came``."""
    if old != new:
        gone.extend([old] if old is not None else [])
        came.extend([new] if new is not None else [])


def _claimed(claims: Mapping[tuple[str, str], tuple[str, ...]], stating: Mapping[str, tuple[Step, ...]],
             ) -> dict[tuple[str, str], tuple[str, ...]]:
    """``claims`` (pair -> the owners stating it, in IRI order) with the owners in ``stating`` stating what they
    state there instead of what they stated."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for pair, owners in claims.items():
        kept = tuple(owner for owner in owners if owner not in stating)
        if kept:
            found[pair] = kept
    for owner, steps in stating.items():
        for pair in dict.fromkeys((step.source, step.target) for step in steps):
            found[pair] = tuple(sorted((*found.get(pair, ()), owner)))
    return found


def _winner(pair: tuple[str, str], claims: Mapping[tuple[str, str], tuple[str, ...]],
            stating: Mapping[str, tuple[Step, ...]], derived: Mapping[tuple[str, str], Step]) -> Step | None:
    """The step the ladder holds for ``pair``: the first explicit one the first owner stating it states, else
    the derived one (see ``_assembled``)."""
    owners = claims.get(pair)
    if owners:
        return next(step for step in stating[owners[0]] if (step.source, step.target) == pair)
    return derived.get(pair)


def _resolved_iris(resolution: Resolution) -> Iterator[str]:
    yield from (iri for iri in resolution[0] if iri is not None)
    for named in resolution[1]:
        yield from named


def _derive_all(context: _Context, index: _FeatureIndex,
                ) -> tuple[Ladder, dict[tuple[str, str], Step], dict[str, tuple[tuple[float, str, str], ...]]]:
    """Every derived step and the best comparisons of every class, over all candidate pairs."""
    by_iri = context.facts
    ladder = Ladder()
    derived: dict[tuple[str, str], Step] = {}
    best = _BestComparisons(context.rules.comparable_per_class)
    levels = _Levels([by_iri[iri] for iri in index.iris], context.rules)
    for first, others in index.candidates():
        ladder.candidates += len(others)
        same = index.same_employer(first, others)
        a = by_iri[index.iris[first]]
        steps = others[same]
        for second in steps[levels.comparable(first, steps)].tolist():
            for step in _derived(context, a, by_iri[index.iris[second]]):
                derived.setdefault((step.source, step.target), _explained(context, step))
        if not index.stub[first]:
            cross = others[~same & ~index.stub[others]]
            if len(cross):
                best.add(first, *index.comparison_scores(first, cross))
    return ladder, derived, best.by_class(index.iris)


def _changed(context: _Context, index: _FeatureIndex, previous: Derivation, versions: Mapping[str, str]) -> set[str]:
    """Classes whose steps and comparisons may differ from the previous derivation's: those added, removed or
    changed; those holding a skill whose idf changed; those holding a feature that became rare or common."""
    dirty = {iri for iri in context.facts if iri not in versions or previous.versions.get(iri) != versions[iri]}
    dirty.update(iri for iri in previous.words if iri not in context.facts)  # every class it derived from
    moved = {concept for concept, idf in context.idf.items() if previous.idf.get(concept) != idf}
    moved.update(concept for concept in previous.idf if concept not in context.idf)
    limit = context.rules.max_postings
    flipped = {feature for feature in previous.postings.keys() | index.position.keys()
               if (previous.postings.get(feature, 0) <= limit) != (index.count_of(feature) <= limit)}
    for feature in (moved | flipped) & index.position.keys():
        dirty.update(index.holders(feature))
    rare_again = {word for place in context.word_counts.keys() | previous.word_counts.keys()
                  for word in context.word_counts.get(place, {}).keys() | previous.word_counts.get(place, {}).keys()
                  if context.rarity(place, word) != _rarity(previous.sizes.get(place, 0),
                                                            previous.word_counts.get(place, {}).get(word, 0),
                                                            context.rules)}
    dirty.update(_holding_words(index, rare_again))
    return dirty


def _holding_words(index: _FeatureIndex, words: Iterable[str]) -> set[str]:
    """The classes whose steps a change of rarity of ``words`` may change: those asking for them in a field of
    experience, and those holding them in their titles (title evidence)."""
    found: set[str] = set()
    for word in words:
        for feature in (f"field: {word}", f"title: {word}"):
            if feature in index.position:
                found.update(index.holders(feature))
    return found


def _rarity(size: int, held: int, rules: LadderRules) -> int:
    """Bits of rarity of a word ``held`` by that many of an employer's ``size`` classes: log2(size / held),
    rounded; every word is specific at an employer of fewer than ``rarity_min_classes`` classes.

    >>> rules = ladder_rules()
    >>> _rarity(745, 1, rules), _rarity(745, 47, rules), _rarity(745, 149, rules), _rarity(10, 10, rules)
    (10, 4, 2, 4)
    """
    if size < rules.rarity_min_classes:
        return rules.specific_bits
    return max(0, round(math.log2(size / max(held, 1))))


def _rarity_words(words: _ClassWords) -> frozenset[str]:
    """The words a class holds, as rarity counts them: those of its work (profile, skills, fields) and title."""
    return words.profile | words.title


def _derive_changed(context: _Context, index: _FeatureIndex, previous: Derivation, dirty: set[str],
                    ) -> tuple[Ladder, dict[tuple[str, str], Step], dict[str, tuple[tuple[float, str, str], ...]]]:
    """The previous derivation's steps and best comparisons, with every pair involving a ``dirty`` class derived
    again, and the best comparisons worked out again for every class whose candidates' scores may have moved."""
    by_iri = context.facts
    ladder = Ladder()
    derived = {key: step for key, step in previous.derived.items()
               if key[0] not in dirty and key[1] not in dirty}
    number = index.number
    present = sorted(number[iri] for iri in dirty if iri in number)
    changed = set(present)
    ranked = set(present)  # classes whose best comparisons are worked out again
    for first in present:
        others = index.partners(first)
        ranked.update(others.tolist())
        others = others[[other not in changed or other > first for other in others.tolist()]]
        ladder.candidates += len(others)
        same = index.same_employer(first, others)
        for second in others[same].tolist():
            low, high = sorted((first, second))
            for step in _derived(context, by_iri[index.iris[low]], by_iri[index.iris[high]]):
                derived.setdefault((step.source, step.target), _explained(context, step))
    best = dict(previous.best)
    for iri, kept in previous.best.items():
        if iri in dirty or any(first in dirty or second in dirty for _, first, second in kept):
            ranked.add(number.get(iri, -1))
    for iri in dirty:
        best.pop(iri, None)
    ranked.discard(-1)
    per_class = context.rules.comparable_per_class
    for owner in sorted(ranked):
        iri = index.iris[owner]
        best.pop(iri, None)
        if index.stub[owner]:
            continue
        others = index.partners(owner)
        cross = others[~index.same_employer(owner, others) & ~index.stub[others]]
        if not len(cross):
            continue
        kept, scores = index.comparison_scores(owner, cross)
        pairs = sorted((-score, min(owner, other), max(owner, other))
                       for score, other in zip(scores.tolist(), kept.tolist(), strict=True))[:per_class]
        if pairs:
            best[iri] = tuple((-score, index.iris[first], index.iris[second]) for score, first, second in pairs)
    return ladder, derived, best


class _FeatureIndex:
    """Classes (numbered in IRI order) x features (numbered in name order) as sparse rows, with postings.

    Candidate pairs and comparison scores are worked out with numpy, a class against all its candidates at
    once: at 10k classes there are 1.7M candidate pairs, too many to score one by one in Python.
    """

    def __init__(self, context: _Context) -> None:
        self.iris = sorted(context.features)
        self.number = {iri: position for position, iri in enumerate(self.iris)}
        self.names = names = sorted({feature for own in context.features.values() for feature in own})
        self.position = number = {name: position for position, name in enumerate(names)}
        self.weight = np.array([context.weight[name] for name in names], dtype=np.float64)
        rows = [sorted(number[feature] for feature in context.features[iri]) for iri in self.iris]
        lengths = np.array([len(row) for row in rows], dtype=np.int64)
        self.indptr = np.concatenate(([0], np.cumsum(lengths)))
        self.indices = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(self.indptr[-1]))
        self.total = np.array([context.feature_total[iri] for iri in self.iris], dtype=np.float64)
        places: dict[str | None, int] = {}
        self.employer = np.array([places.setdefault(fact.location, len(places)) if fact.employer_known else -1
                                  for fact in map(context.facts.__getitem__, self.iris)], dtype=np.int64)
        self.stub = np.array([context.facts[iri].stub for iri in self.iris], dtype=bool)
        heads: dict[str, int] = {"": -1}
        self.head = np.array([heads.setdefault(_title_head(context.facts[iri].title, context.rules), len(heads) - 1)
                              for iri in self.iris], dtype=np.int64)
        generic = context.rules.generic_heads
        self.generic = np.array([_title_head(context.facts[iri].title, context.rules) in generic
                                 for iri in self.iris], dtype=bool)
        self.threshold = context.rules.comparable_threshold
        self._post(context.rules)

    def _post(self, rules: LadderRules) -> None:
        """The postings (classes in IRI order, feature by feature) and counts, from the rows."""
        lengths = np.diff(self.indptr)
        holders = np.repeat(np.arange(len(self.iris), dtype=np.int64), lengths)
        order = np.argsort(self.indices, kind="stable")
        self.posting_classes = holders[order]
        self.counts = counts = np.bincount(self.indices, minlength=len(self.names))
        self.posting_ptr = np.concatenate(([0], np.cumsum(counts)))
        self.rare = counts <= rules.max_postings
        # what a class does (skills and profile concepts): the features a profile overlap is over
        self.does = np.array([_is_profile(name) for name in self.names], dtype=bool)
        self.titled = np.array([name.startswith("title: ") and name[7:] not in rules.level_rank
                                for name in self.names], dtype=bool)
        self.compared = np.array([not name.startswith(_AKIN) for name in self.names], dtype=np.int64)
        self.profile_total = np.bincount(holders, weights=(self.weight * self.does)[self.indices],
                                         minlength=len(self.iris))
        self.profile_overlap = rules.comparable_profile_overlap
        self.profile_min_shared = rules.comparable_profile_min_shared
        self._marked = np.zeros(len(self.names), dtype=np.float64)
        self._counted = np.zeros(len(self.names), dtype=np.int64)
        self._seen = np.zeros(len(self.iris), dtype=np.int64)

    def __getstate__(self) -> dict[str, Any]:
        """Kept without what is quickly made again (the numbering dicts, the scratch arrays)."""
        return {name: value for name, value in self.__dict__.items()
                if name not in ("number", "position", "_marked", "_counted", "_seen")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.number = {iri: position for position, iri in enumerate(self.iris)}
        self.position = {name: position for position, name in enumerate(self.names)}
        self._marked = np.zeros(len(self.names), dtype=np.float64)
        self._counted = np.zeros(len(self.names), dtype=np.int64)
        self._seen = np.zeros(len(self.iris), dtype=np.int64)

    def with_rows(self, rows: Mapping[int, Mapping[str, float]], weight: Mapping[str, float],
                  totals: Mapping[int, float], rules: LadderRules) -> _FeatureIndex:
        """This index with the features of the classes numbered in ``rows`` replaced (the classes stay the same),
        ``weight`` of the features named there and the ``totals`` of those classes: what ``_FeatureIndex`` of
        the classes with those rows gives, without going through every class."""
        names = sorted(set(self.names).union(*rows.values()))
        position = {name: number for number, name in enumerate(names)}
        remap = np.array([position[name] for name in self.names], dtype=np.int64)
        pieces, lengths, start = [], np.diff(self.indptr), 0
        for owner in sorted(rows):
            pieces.append(remap[self.indices[self.indptr[start]:self.indptr[owner]]])
            row = np.array(sorted(position[feature] for feature in rows[owner]), dtype=np.int64)
            pieces.append(row)
            lengths[owner] = len(row)
            start = owner + 1
        pieces.append(remap[self.indices[self.indptr[start]:]])
        indices = np.concatenate(pieces)
        held = np.bincount(indices, minlength=len(names)) > 0
        if not held.all():  # features no class holds any more
            renumber = np.cumsum(held) - 1
            indices = renumber[indices]
            names = [name for name, kept in zip(names, held.tolist(), strict=True) if kept]
        old_weight = dict(zip(self.names, self.weight.tolist(), strict=True))
        new = object.__new__(_FeatureIndex)
        new.iris, new.number, new.names = self.iris, self.number, names
        new.position = {name: number for number, name in enumerate(names)}
        new.weight = np.array([weight[name] if name in weight else old_weight[name] for name in names],
                              dtype=np.float64)
        new.indptr = np.concatenate(([0], np.cumsum(lengths)))
        new.indices = indices
        new.total = self.total.copy()
        for owner, total in totals.items():
            new.total[owner] = total
        new.employer, new.stub, new.threshold = self.employer, self.stub, self.threshold
        new.head, new.generic = self.head, self.generic
        new._post(rules)
        return new

    def candidates(self) -> Iterator[tuple[int, np.ndarray]]:
        """(class, its candidates after it in IRI order): classes sharing a feature held by at most
        ``max_postings`` classes. Class by class, never all pairs at once."""
        for first in range(len(self.iris)):
            features = self.indices[self.indptr[first]:self.indptr[first + 1]]
            features = features[self.rare[features]].tolist()
            if not features:
                continue
            holders = np.concatenate([self.posting_classes[self.posting_ptr[feature]:self.posting_ptr[feature + 1]]
                                      for feature in features])
            holders = holders[holders > first]
            if len(holders):
                yield first, self._distinct([holders])

    def partners(self, first: int) -> np.ndarray:
        """Every class (before and after ``first``) sharing a feature with it that at most ``max_postings``
        classes hold: its candidates, in number order."""
        features = self.indices[self.indptr[first]:self.indptr[first + 1]]
        features = features[self.rare[features]].tolist()
        if not features:
            return np.zeros(0, dtype=np.int64)
        others = self._distinct([self.posting_classes[self.posting_ptr[feature]:self.posting_ptr[feature + 1]]
                                 for feature in features])
        return others[others != first]

    def _distinct(self, parts: list[np.ndarray]) -> np.ndarray:
        """The distinct class numbers in ``parts``, in order: each class marks its last place in a scratch array,
        and only the places so marked are sorted (``np.unique`` sorts them all: 4M candidate pairs at CalHR, from
        several times that many postings)."""
        found = np.concatenate(parts) if len(parts) > 1 else parts[0]
        places = np.arange(len(found))
        seen = self._seen
        seen[found] = places
        return np.sort(found[seen[found] == places])

    def shared(self, first: str, second: str) -> tuple[str, ...]:
        """The features two classes both hold, in name order."""
        rows = [self.indices[self.indptr[number]:self.indptr[number + 1]]
                for number in (self.number[first], self.number[second])]
        return tuple(name for feature in np.intersect1d(*rows, assume_unique=True).tolist()
                     if not (name := self.names[feature]).startswith(_AKIN))

    def count_of(self, feature: str) -> int:
        """How many classes hold ``feature`` (0 for one none holds)."""
        position = self.position.get(feature)
        return 0 if position is None else int(self.counts[position])

    def holders(self, feature: str) -> list[str]:
        """The IRIs of the classes holding ``feature``."""
        position = self.position[feature]
        held = self.posting_classes[self.posting_ptr[position]:self.posting_ptr[position + 1]]
        return [self.iris[holder] for holder in held.tolist()]

    def same_employer(self, first: int, others: np.ndarray) -> np.ndarray:
        employer = self.employer[first]
        if employer < 0:
            return np.zeros(len(others), dtype=bool)
        return self.employer[others] == employer

    def comparison_scores(self, first: int, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Those of ``others`` comparable with ``first``, and their scores (rounded to 3 places).

        Two classes are comparable when they share at least ``COMPARABLE_MIN_SHARED`` features, their
        weighted overlap coefficient (the weight they share over the weight of the sparser one) reaches the
        threshold, and they are of one occupation: the same title head noun (``_title_head``: a clerk with a
        clerk; a generic head, "officer", with another title word in common), or a profile overlap (the same
        coefficient over skills and profile concepts alone) of ``comparable_profile_overlap`` over
        ``comparable_profile_min_shared`` shared ones ("Medical Assistant" and "Assistant Bureau Chief" share a
        title word, not an occupation). A feature weighs the same in every
        class (idf of a skill, 1 for a word, 2 for a series), so the shared weight is the sum over what they
        share. The overlap coefficient, not Jaccard: employers
        write specs at very different lengths (885.2 lists no KSAs at all), and Jaccard would punish the
        fuller one.
        """
        features = self.indices[self.indptr[first]:self.indptr[first + 1]]
        self._marked[features] = self.weight[features]
        self._counted[features] = self.compared[features]
        starts, lengths = self.indptr[others], self.indptr[others + 1] - self.indptr[others]
        offsets = np.cumsum(lengths) - lengths
        positions = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
        their = self.indices[positions]
        # Rows hold features in name order, so the sum runs as sum(sorted(shared)) would.
        common = np.add.reduceat(self._marked[their], offsets)
        shared = np.add.reduceat(self._counted[their], offsets)
        does = self.does[their]
        titles = np.add.reduceat(self._counted[their] * self.titled[their], offsets)
        common_done = np.add.reduceat(self._marked[their] * does, offsets)
        shared_done = np.add.reduceat(self._counted[their] * does, offsets)
        self._marked[features] = 0.0
        self._counted[features] = 0
        smaller = np.minimum(self.total[first], self.total[others])
        score = np.divide(common, smaller, out=np.zeros(len(others)), where=smaller > 0)
        smaller = np.minimum(self.profile_total[first], self.profile_total[others])
        alike = np.divide(common_done, smaller, out=np.zeros(len(others)), where=smaller > 0)
        head = (self.head[others] == self.head[first]) & (self.head[first] >= 0)
        one = ((head & (~self.generic[first] | (titles >= 2)))
               | ((alike >= self.profile_overlap) & (shared_done >= self.profile_min_shared)))
        kept = (shared >= COMPARABLE_MIN_SHARED) & (score >= self.threshold) & one
        return others[kept], _round3(score[kept])


_AKIN = "akin: "  # the feature name of a word of a ``related`` row: candidates only, never compared
_NOT_DONE = ("field: ", "title: ", "work: ", "series: ", _AKIN)  # feature names of what a class does not do


def _is_profile(feature: str) -> bool:
    """Whether a feature is of what a class does: a skill concept or a profile concept (``_add_class``)."""
    return not feature.startswith(_NOT_DONE)


_PARENTHESES = re.compile(r"\([^()]*\)")


@lru_cache(maxsize=1 << 16)
def _title_head(title: str, rules: LadderRules) -> str:
    """The head noun of a title: its last word once qualifiers (in parentheses, after a comma or "of": ladders.toml
    ``head_cut``) and level words are dropped; its last word when only level words are left.

    >>> rules = ladder_rules()
    >>> [_title_head(title, rules) for title in ("Supervising Account Clerk II", "Medical Assistant",
    ...  "Assistant Bureau Chief", "Office Technician (Typing)", "Supervisor of Machine Shop", "Chief")]
    ['clerk', 'medical', 'bureau', 'technician', 'supervisor', 'chief']
    """
    text = fold(_PARENTHESES.sub(" ", title))
    for cut in rules.head_cut:
        text = text.split(cut, 1)[0]
    words = text.replace("-", " ").replace("/", " ").split()
    kept = [word for word in words if word not in rules.level_rank]
    word = (kept or words or [""])[-1]
    return sys.intern(statement_key(word) or word)


def _round3(values: np.ndarray) -> np.ndarray:
    """``round(value, 3)`` of each value, as Python rounds: numpy's rounding (scale, round to even, divide)
    gives the same double except next to a tie, where its scaling may tip the other way; those few go
    through Python's ``round``."""
    rounded = np.round(values, 3)
    scaled = values * 1000.0
    near_tie = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    for position in near_tie.tolist():
        rounded[position] = round(float(values[position]), 3)
    return rounded


class _BestComparisons:
    """The ``per_class`` best comparisons of every class, kept while pairs stream by.

    A comparison stays when it is among the best of either of its classes, ranked by score, then by the
    pair (class numbers follow IRI order). Pairs that are already out of both their classes' best are
    dropped from time to time, so memory stays near ``per_class`` pairs per class.
    """

    # Pairs come in between two prunings: a pruning sorts them with those kept, in arrays of a few times their
    # number (at 10k classes, 1M new pairs a pruning took 220 MB at the peak, 200k took 120 MB, in the same time).
    PRUNE_AT = 200_000

    def __init__(self, per_class: int) -> None:
        self.per_class = per_class
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.pending = 0  # pairs added since the last pruning

    def add(self, first: int, others: np.ndarray, scores: np.ndarray) -> None:
        if not len(others):
            return
        self.parts.append((np.full(len(others), first, dtype=np.int64), others, scores))
        self.pending += len(others)
        if self.pending >= self.PRUNE_AT:
            self.parts = [self._pruned()]
            self.pending = 0

    def _pruned(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        firsts = np.concatenate([part[0] for part in self.parts])
        seconds = np.concatenate([part[1] for part in self.parts])
        scores = np.concatenate([part[2] for part in self.parts])
        # every pair twice, once under each of its classes; each class ranks all its pairs together
        owner = np.concatenate((firsts, seconds))
        pair = np.concatenate((np.arange(len(firsts)), np.arange(len(firsts))))
        order = np.lexsort((seconds[pair], firsts[pair], -scores[pair], owner))
        grouped = owner[order]
        rank = np.arange(len(grouped)) - np.searchsorted(grouped, grouped, side="left")
        keep = np.zeros(len(firsts), dtype=bool)
        keep[pair[order[rank < self.per_class]]] = True
        return firsts[keep], seconds[keep], scores[keep]

    def by_class(self, iris: list[str]) -> dict[str, tuple[tuple[float, str, str], ...]]:
        """Class IRI -> its ``per_class`` best comparisons, best first: (score, first IRI, second IRI)."""
        if not self.parts:
            return {}
        firsts, seconds, scores = self._pruned()
        owner = np.concatenate((firsts, seconds))
        pair = np.concatenate((np.arange(len(firsts)), np.arange(len(firsts))))
        order = np.lexsort((seconds[pair], firsts[pair], -scores[pair], owner))
        grouped = owner[order]
        rank = np.arange(len(grouped)) - np.searchsorted(grouped, grouped, side="left")
        best: dict[str, list[tuple[float, str, str]]] = {}
        for position in order[rank < self.per_class].tolist():
            kept = pair[position]
            best.setdefault(iris[int(owner[position])], []).append(
                (float(scores[kept]), iris[int(firsts[kept])], iris[int(seconds[kept])]))
        return {iri: tuple(kept) for iri, kept in best.items()}

    def kept(self) -> list[tuple[float, int, int]]:
        """(score, first, second) of every kept comparison, sorted by pair."""
        if not self.parts:
            return []
        firsts, seconds, scores = self._pruned()
        order = np.lexsort((seconds, firsts))
        return list(zip(scores[order].tolist(), firsts[order].tolist(), seconds[order].tolist(), strict=True))


def _class_words(fact: ClassFacts, rules: LadderRules, label: Callable[[str], str]) -> _ClassWords:
    entry = tuple(field_words(exp.field or exp.description, rules) for exp in fact.experience)
    skill_words = frozenset().union(*(field_words(label(concept), rules) for concept in fact.skills))
    profile = _words.__wrapped__(fact.profile, rules.field_stop_words)  # one class's text: caching it only costs
    return _ClassWords(entry, profile | skill_words | frozenset().union(*entry), field_words(fact.title, rules))


def _context(by_iri: dict[str, ClassFacts], rules: LadderRules, labels: Mapping[str, str],
             words: Mapping[str, _ClassWords]) -> _Context:
    """What derivation works from; ``words`` are those of classes worked out before (unchanged since)."""
    count = max(len(by_iri), 1)
    frequency = Counter(concept for fact in by_iri.values() for concept in _weighed(fact))
    idf = {concept: math.log(1 + count / df) for concept, df in frequency.items()}
    profile: dict[str, frozenset[str]] = {}
    entry: dict[str, tuple[tuple[Experience, frozenset[str]], ...]] = {}
    features: dict[str, dict[str, float]] = {}
    context = _Context(by_iri, rules, labels, idf, profile, entry, features, frequency=dict(frequency))
    counts: dict[str | None, Counter[str]] = defaultdict(Counter)
    sizes: Counter[str | None] = Counter()
    for iri, fact in by_iri.items():
        found = words.get(iri)
        if found is None:
            found = _class_words(fact, rules, context.label)
        _add_class(context, fact, found)
        counts[fact.location].update(_rarity_words(found))
        sizes[fact.location] += 1
    context.word_counts, context.sizes = dict(counts), dict(sizes)
    return context


def _add_words(context: _Context, fact: ClassFacts, words: _ClassWords) -> None:
    """Put one class's facts and words in ``context``."""
    iri = fact.iri
    context.facts[iri] = fact
    context.words[iri] = words
    context.entry[iri] = tuple(zip(fact.experience, words.entry, strict=True))
    context.profile[iri] = words.profile


def _add_class(context: _Context, fact: ClassFacts, words: _ClassWords) -> dict[str, float]:
    """Put one class in ``context`` (its facts, words, entry, profile, features and their total); its features."""
    iri = fact.iri
    _add_words(context, fact, words)
    own: dict[str, float] = {concept: context.idf[concept] for concept in fact.skills}
    # profile concepts suggest candidates, but weigh little in comparisons: activities are worded by each
    # employer its own way, and their number would swamp what two classes share
    own.update((feature, context.idf[feature] * CONCEPT_WEIGHT) for feature in map(_concept_feature, fact.concepts))
    for words_of_field in words.entry:
        own.update((sys.intern(f"field: {word}"), 1.0) for word in words_of_field)
    own.update((sys.intern(f"title: {word}"), 1.0) for word in words.title)
    # the words of its work suggest candidates (a field of experience one class asks, another's duties show) but
    # weigh nothing in comparisons
    named = frozenset().union(words.title, *words.entry,
                              *(field_words(context.label(concept), context.rules) for concept in fact.skills))
    own.update((_work_feature(word), 0.0) for word in words.profile - named)
    # its title words name its work too: a class whose duties name them ("assisting a journey-level Blacksmith")
    # meets it
    own.update((_work_feature(word), 0.0) for word in words.title - context.rules.level_rank.keys())
    # the words of ``related`` rows in its work and title, and those showing its fields of experience in other
    # words, meet one another ("fire suppression": a Firefighter's "firefighting"; "office clerical": a Clerk);
    # they only suggest candidates, and are no part of comparisons
    vocabulary = context.rules.related_vocabulary
    akin = (words.profile | words.title).union(*(_with_related(field, context.rules) for field in words.entry))
    own.update((_akin_feature(word), 0.0) for word in akin & vocabulary)
    if fact.series:
        own[sys.intern(f"series: {fold(fact.series)}")] = 2.0
    context.features[iri] = own
    context.feature_total[iri] = sum(own.values())
    context.weight.update(own)
    return own


_DOES = "does: "  # the feature (and idf) name of a profile concept, apart from the skill concept IRIs


@lru_cache(maxsize=1 << 18)
def _concept_feature(concept: str) -> str:
    return sys.intern(_DOES + concept)


@lru_cache(maxsize=1 << 18)
def _work_feature(word: str) -> str:
    return sys.intern("work: " + word)


@lru_cache(maxsize=1 << 16)
def _akin_feature(word: str) -> str:
    return sys.intern(_AKIN + word)


def _weighed(fact: ClassFacts) -> list[str]:
    """What of a class is weighed by rarity (idf): its skill concepts and its profile concepts."""
    return [*fact.skills, *map(_concept_feature, fact.concepts)]


def _title_level(title: str, rules: LadderRules) -> tuple[str, float]:
    """A title's series stem (its words without level words) and its level rank. A numeral after a level word
    orders the titles of that word ("Custodian Supervisor II" below "Custodian Supervisor III": 6.2 < 6.3).

    >>> _title_level("Senior Administrative Clerk", ladder_rules())
    ('administrative clerk', 5)
    >>> _title_level("Accountant II", ladder_rules())
    ('accountant', 2)
    >>> _title_level("Plumber", ladder_rules())
    ('plumber', 3)
    >>> _title_level("Custodian Supervisor III", ladder_rules())
    ('custodian', 6.3)
    """
    known = rules.title_levels
    level = known.get(title)
    if level is None:
        ranks = rules.level_rank
        words = fold(title).replace("-", " ").split()
        found = [ranks[word] for word in words if word in ranks]
        named = [ranks[word] for word in words if word in ranks and word not in NUMERALS]
        numbers = [ranks[word] for word in words if word in ranks and word in NUMERALS]
        stem = " ".join(word for word in words if word not in ranks)
        if len(known) >= TITLE_LEVELS_KEPT:
            known.clear()
        rank: float = max(found, default=rules.journey_rank)
        if named and numbers:
            rank = max(named) + max(numbers) / 10
        level = known[title] = (stem, rank)
    return level


class _Levels:
    """What ``_level_change`` looks at, class by class (numbered as the index numbers them), as arrays: so the pairs
    of classes that have no comparable level (most candidate pairs of an employer publishing no grades or pay:
    titles of different series) are set aside at once, without going through ``_derived`` pair by pair."""

    def __init__(self, facts: Sequence[ClassFacts], rules: LadderRules) -> None:
        plans: dict[str | None, int] = {}
        stems: dict[str, int] = {"": -1}
        self.graded = np.array([fact.grade_number is not None for fact in facts], dtype=bool)
        self.plan = np.array([plans.setdefault(fact.pay_plan, len(plans)) for fact in facts], dtype=np.int64)
        self.pay = np.array([fact.pay or 0 for fact in facts], dtype=np.int64)
        self.stem = np.array([stems.setdefault(_title_level(fact.title, rules)[0], len(stems)) for fact in facts],
                             dtype=np.int64)
        self.pay_max_ratio = rules.pay_max_ratio

    def comparable(self, first: int, others: np.ndarray) -> np.ndarray:
        """Which of ``others`` (numbered after ``first``) ``_level_change(first, other)`` may give a level change
        for: both graded in one pay plan; else both paid, within ``pay_max_ratio``; else neither graded nor paid,
        in one series (same non-empty title stem)."""
        graded = self.graded[others] & self.graded[first]
        pay, own = self.pay[others], self.pay[first]
        ratio = pay / own if own else np.zeros(len(others))  # as _level_change divides: b.pay / a.pay
        paid = (pay != 0) & (own != 0) & ~((ratio > self.pay_max_ratio) | (ratio < 1 / self.pay_max_ratio))
        series = (~self.graded[others] & (pay == 0) & (not self.graded[first]) & (own == 0)
                  & (self.stem[others] == self.stem[first]) & (self.stem[first] >= 0))
        return (graded & (self.plan[others] == self.plan[first])) | (~graded & paid) | series


def _level_change(context: _Context, a: ClassFacts, b: ClassFacts) -> tuple[int, str] | None:
    """Whether ``b`` is above (1), level with (0) or below (-1) ``a``, and how that was told; None when the two
    have no comparable level (or ``b`` is a leap above ``a``). The same pay plan's grades first, then pay, then
    the level words of one series."""
    rules = context.rules
    if a.grade_number is not None and b.grade_number is not None:
        if a.pay_plan != b.pay_plan:
            return None
        change = (b.grade_number > a.grade_number) - (b.grade_number < a.grade_number)
        return change, f"grade {a.grade_label} -> {b.grade_label}"
    if a.pay and b.pay:
        ratio = b.pay / a.pay
        if ratio > rules.pay_max_ratio or ratio < 1 / rules.pay_max_ratio:
            return None
        change = 0 if abs(ratio - 1) <= rules.pay_equal_within else (1 if ratio > 1 else -1)
        how = f"pay from ${a.pay:,} -> ${b.pay:,} ({ratio - 1:+.0%})"
        ordered = _series_order(a, b, rules)
        if ordered and ordered != change and abs(ratio - 1) <= _pay_margin(a, b, rules):
            years = f", published {a.pay_year} and {b.pay_year}" if a.pay_year != b.pay_year else ""
            return ordered, f"series order {a.title} -> {b.title} ({how}{years})"
        return change, how
    if a.pay or b.pay or a.grade_number is not None or b.grade_number is not None:
        return None
    (stem_a, rank_a), (stem_b, rank_b) = _title_level(a.title, rules), _title_level(b.title, rules)
    if not stem_a or stem_a != stem_b:
        return None
    change = (rank_b > rank_a) - (rank_b < rank_a)
    return change, f"series order {a.title} -> {b.title}"


def _series_order(a: ClassFacts, b: ClassFacts, rules: LadderRules) -> int:
    """Whether ``b``'s title is above (1) or below (-1) ``a``'s in one series of titles by their level words; 0 when
    they are of different series or at one level word."""
    (stem_a, rank_a), (stem_b, rank_b) = _title_level(a.title, rules), _title_level(b.title, rules)
    if not stem_a or stem_a != stem_b:
        return 0
    return (rank_b > rank_a) - (rank_b < rank_a)


def _pay_margin(a: ClassFacts, b: ClassFacts, rules: LadderRules) -> float:
    """How far apart (a share) the pay of two classes may be and still say nothing against their series order:
    ``pay_equal_within``, and ``pay_drift_per_year`` more for each year between the years their pay was published
    (a bulletin of 2014 against one of 2018: 3 % + 4 x 3 %)."""
    years = abs(a.pay_year - b.pay_year) if a.pay_year is not None and b.pay_year is not None else 0
    return rules.pay_equal_within + rules.pay_drift_per_year * years


def _derived(context: _Context, a: ClassFacts, b: ClassFacts) -> list[Step]:
    level = _level_change(context, a, b)
    if level is None:
        return []
    change, how = level
    if change == 0:
        found = [_step(context, a, b, "lateral", how), _step(context, b, a, "lateral", how)]
    else:
        low, high = (a, b) if change > 0 else (b, a)
        if change < 0:
            how = _level_change(context, low, high)[1]  # type: ignore[index]
        found = [_step(context, low, high, "derived", how)]
    return [step for step in found if step is not None]


def _profile_overlap(context: _Context, a: ClassFacts, b: ClassFacts,
                     ) -> tuple[float, list[str], list[str], list[str], list[str]]:
    """``_skill_overlap`` over skills and profile concepts together (a concept weighs its idf x the default level);
    the overlap, shared and missing skills, shared and missing profile concepts."""
    overlap, shared, missing = _skill_overlap(context, a, b)
    default = context.rules.default_level_rank
    total = shared_weight = 0.0
    for concept, rank in b.skills.items():
        weight = context.idf.get(concept, 1.0) * (rank or default)
        total += weight
        shared_weight += weight if concept in a.skills else 0.0
    held = set(a.concepts)
    done, to_do = [], []
    for concept in b.concepts:
        weight = context.idf.get(_concept_feature(concept), 1.0) * default
        total += weight
        if concept in held:
            shared_weight += weight
            done.append(concept)
        else:
            to_do.append(concept)
    return (shared_weight / total if total else 0.0), shared, missing, done, to_do


def _title_share(a: ClassFacts, b: ClassFacts, rules: LadderRules, field: Collection[str] = ()) -> float:
    """The share of ``a``'s title words (level words aside) in ``b``'s title, or named by ``b``'s field of
    experience (``field``, its words: "helper to a Plumber" names a Mechanical Helper's "helper")."""
    ranks = rules.level_rank
    mine = {word for word in field_words(a.title, rules) if word not in ranks}
    if not mine:
        return 0.0
    theirs = field_words(b.title, rules)
    return sum(word in theirs or (word not in rules.generic_heads and _named(word, field))
               for word in mine) / len(mine)


def _closeness(a: ClassFacts, b: ClassFacts, rules: LadderRules) -> float:
    """1 for the next level up, falling to 0 at a leap (1 / grades apart; ``pay_max_ratio``; across the whole
    series order); 0.5 when none tells."""
    if a.grade_number is not None and b.grade_number is not None and b.grade_number > a.grade_number:
        return 1 / (b.grade_number - a.grade_number)
    if a.pay and b.pay and b.pay > a.pay:
        return max(0.0, 1 - (b.pay / a.pay - 1) / (rules.pay_max_ratio - 1))
    (stem_a, rank_a), (stem_b, rank_b) = _title_level(a.title, rules), _title_level(b.title, rules)
    if stem_a and stem_a == stem_b and rank_b > rank_a:
        return 1 - max(0, rank_b - rank_a - 1) / max(len(set(rules.level_rank.values())) - 1, 1)
    return 0.5


def _skill_overlap(context: _Context, a: ClassFacts, b: ClassFacts) -> tuple[float, list[str], list[str]]:
    """Share of b's skill weight (idf x level) that a already requires; shared and missing concepts."""
    default = context.rules.default_level_rank
    total = shared_weight = 0.0
    shared, missing = [], []
    for concept, rank in b.skills.items():
        weight = context.idf.get(concept, 1.0) * (rank or default)
        total += weight
        if concept in a.skills:
            shared_weight += weight
            shared.append(concept)
        else:
            missing.append(concept)
    return (shared_weight / total if total else 0.0), sorted(shared), sorted(missing)


def _step(context: _Context, a: ClassFacts, b: ClassFacts, kind: str, level: str = "") -> Step | None:
    """The step from ``a`` up to (or level with) ``b`` when ``a``'s work earns what ``b`` asks: ``b``'s experience
    requirement attainable in ``a`` and enough of ``b``'s skills and activities (``skill_threshold``), or ``b``'s
    field of experience shown by ``a``'s work and a score of ``derived_min_score``. Scored 0-1 (see ladders.toml)."""
    rules = context.rules
    overlap, shared, missing, done, to_do = _profile_overlap(context, a, b)
    experience = _experience_check(context, a, b, fields_only=True)
    if experience is None:
        return None
    matched, wanted = experience.pop("matched_words", ()), experience.get("required_words", ())
    at_named = experience.pop("at_named", "")  # the class of a's series whose level b's field is asked at
    if _other_role(a.title, experience.get("required_field", ""), rules):
        return None  # b's field names a role a's title words make otherwise ("sign painter": no Traffic Painter)
    if set(wanted) & field_words(b.title, rules) - set(matched):
        return None  # b's field names what b itself is ("electrical inspector") and a's work does not show it
    own = field_words(_title_level(b.title, rules)[0], rules)
    titled = field_words(a.title, rules)
    if (own and own <= set(wanted) and not all(_named(word, titled) for word in own)
            and not _named_in(a.title, wanted, field_words(b.title, rules), rules)
            and not (set(wanted) & rules.helper_heads and _learner_title(a.title, rules))):
        return None  # b's field is experience as b itself ("a plumbing inspector"): only b's series gains it
    # (unless as b's helper, which a learner's class is: "helper to a blacksmith" for an Apprentice)
    ranks = rules.level_rank
    verbs = profile_rules().verb_forms
    # a level word is asked as a level ("a senior inspector"), unless a verb a's work shows in some form, of the
    # level just above a's at most ("supervising custodial employees" by a Senior Custodian who "applies
    # supervisory principles"; not by an Associate Land Surveyor working "under little direct supervision")
    rank_a = _work_rank(a.title, rules)
    asked = [ranks[part] for word in wanted for part in word.split("-") if part in ranks
             and not (part in verbs and ranks[part] <= rank_a + 1 and _named(part, context.profile[a.iri]))]
    if asked and max(asked) > rank_a:
        return None  # b's field names a level ("senior inspector") above a's
    # a part of it too: "four years as a journey level painter, including one year as a lead worker" is not all
    # gained as a journey-level painter (the ladder goes through the lead class)
    if any(ranks[part] > rank_a and ranks[part] >= rules.journey_rank for check in experience.get("parts", ())
           for word in field_words(check.field, rules) for part in word.split("-") if part in ranks):
        return None
    (_, rank_a), (_, rank_b) = _title_level(a.title, rules), _title_level(b.title, rules)
    if kind == "derived" and rank_b < rank_a and not at_named:
        return None  # down the order of level words: a senior or supervisor is paid more, but that is no promotion
    # (unless b asks for the level of a class of a's series below a: "as a Senior Animal Keeper or in a class at
    # that level" is gained as a Principal Animal Keeper, whatever b's own title)
    field_share = 0.0
    if wanted:
        specific = {word for word in wanted if context.rarity(b.location, word) >= rules.specific_bits
                    and not any(part in ranks for part in word.split("-"))}
        if not specific & set(matched):
            return None  # a field of generic words only ("the construction"), or its specific words not shown
        field_share = _weighted_share(frozenset(wanted), frozenset(matched),
                                      lambda word: max(1, context.rarity(b.location, word)))
    member = bool(rules.membership) and rules.membership[0] in field_words(experience.get("required_field", ""), rules)
    evidence = (f"{b.title} asks for the field at the level of {at_named}, of {a.title}'s series" if at_named
                else _occupation_evidence(context, a, b, overlap, len(shared) + len(done), frozenset(wanted), member))
    if not evidence:
        return None  # nothing but the field's words says the two are one occupation
    title = _title_share(a, b, rules, wanted)
    # how much of b's work a's is: skills and activities where the specs list them, else the words of the two
    # profiles (a bulletin's one paragraph of duties names few activities)
    employer = field_words(b.location_name or "", rules)
    theirs = context.profile[b.iri] - employer - field_words(b.title, rules)
    alike = _share(theirs, context.profile[a.iri]) if theirs else 0.0
    w_field, w_overlap, w_title, w_close = rules.score_weights
    score = (w_field * field_share + w_overlap * max(min(1.0, overlap / max(rules.skill_threshold * 2, 1e-9)), alike)
             + w_title * title + w_close * _closeness(a, b, rules))
    if experience["alternatives"] and not wanted:
        return None  # b asks for experience in no field a's work could show (none named, or only its employer)
    if not wanted and len(shared) + len(done) < 2:
        return None  # b asks for no experience: a's work must share more than a word or two with b's
    threshold = rules.skill_threshold
    if not b.experience and kind == "derived" and _series_order(a, b, rules) > 0:
        threshold = rules.series_skill_threshold  # up its own series to a class asking no experience (a licence)
    if overlap < threshold and (field_share < rules.match_share or score < rules.derived_min_score):
        return None
    score = round(max(score, overlap) if wanted else overlap, 3)
    high, medium = rules.confidence
    confidence = "high" if score >= high else "medium" if score >= medium else "low"
    reasons = [f"same employer ({a.location_name or a.location})"
               + (f" and pay plan ({a.pay_plan})" if a.pay_plan else ""),
               f"weighted overlap of skills and activities {overlap:.2f} (threshold {threshold:.2f})"]
    if wanted:
        reasons.append(f"field of experience words shown by the work of {a.title}: {', '.join(matched)} "
                       f"({len(matched)} of {len(wanted)})")
    if title:
        reasons.append(f"title words shared: {title:.2f}")
    if alike:
        reasons.append(f"share of the words of its work in that of {a.title}: {alike:.2f}")
    reasons.append(f"one occupation: {evidence}")
    reasons.append(f"score {score:.2f}, {confidence} confidence")
    return Step(a.iri, b.iri, kind, score, tuple(reasons), tuple(shared), tuple(missing), **experience,
                matched_words=tuple(matched), shared_activities=tuple(sorted(done)),
                missing_activities=tuple(sorted(to_do)), level_change=level, confidence=confidence)


def _occupation_evidence(context: _Context, a: ClassFacts, b: ClassFacts, overlap: float, shared: int,
                         field: frozenset[str] = frozenset(), member: bool = False) -> str:
    """What, besides the words of a field of experience, shows ``a`` and ``b`` to be one occupation (ladders.toml
    ``evidence_*``), said for the explanation; "" when nothing does. One title word alone shows it only when
    ``b``'s field of experience names it too ("Sign Painter" -> "Painter Supervisor", field "journey-level
    painter"; not "Water Service Representative" -> "Senior Claims Representative", field "claims adjustment")."""
    rules = context.rules
    if a.series and b.series and fold(a.series) == fold(b.series):
        return f"same series ({b.series})"
    stem = _title_level(a.title, rules)[0]
    if stem and stem == _title_level(b.title, rules)[0]:
        return f"one series of titles ({stem})"
    ranks = rules.level_rank
    words = sorted((field_words(a.title, rules) & field_words(b.title, rules)) - ranks.keys())
    bits = sum(context.rarity(b.location, word) for word in words)
    if bits >= rules.evidence_title_bits and (len(words) > 1 or all(_named(word, field) for word in words)):
        return f"title words {', '.join(words)} ({bits} bits of rarity)"
    # the field names b's head noun and a word of a's title that b's does not ("helper to a Plumber" for a
    # Mechanical Helper and a Plumber): experience as a's role in b's trade. Level words and generic heads aside.
    head = statement_key(_title_head(b.title, rules))
    theirs = field_words(b.title, rules)
    mine = sorted(word for word in field_words(a.title, rules) - ranks.keys() - rules.generic_heads
                  if _named(word, field) and not _named(word, theirs))
    if mine and head not in rules.generic_heads and head not in ranks and _named(head, field):
        return f"the field names {a.title}'s {', '.join(mine)} and {b.title}'s {head}"
    # the field names a specific word of a's title by a related word, in any form ("office clerical" for an
    # Administrative Clerk, "fire suppression" for a Firefighter): b asks for a's work. Not by its own words: "fire"
    # of "fire suppression in the Fire Department" is no Fire Helicopter Pilot's work, "analysis" no Analyst's
    named = _with_related(field, rules)
    own = field_words(a.title, rules) - ranks.keys() - rules.generic_heads - rules.helper_heads
    titled = sorted(word for word in own if context.rarity(b.location, word) >= rules.specific_bits
                    and _named(word, named - field))
    if titled:
        return f"the field names the work of {a.title} ({', '.join(titled)})"
    # b's work names a's title, every word of it (two or more; level words, generic heads aside), each a specific
    # word: b's holders do or direct a's work ("fingerprint identification expert" for a Fingerprint
    # Identification Expert, in a Forensic Print Specialist's duties; not "community program" for a Community
    # Program Assistant, "program" being no specific word)
    if (len(own) > 1 and own <= context.profile[b.iri]
            and all(context.rarity(b.location, word) >= rules.specific_bits for word in own)):
        return f"the work of {b.title} names {a.title} ({', '.join(sorted(own))})"
    # the field asks for membership of an organisation a's holders are in: a's own requirement is work there ("a
    # uniformed member of the Fire Department" for an Apparatus Operator, who needs fire suppression in the Fire
    # Department), or a's work says its holders are members of it ("As members of the Fire Department, ...")
    if member and field and (any(field <= words for _, words in context.entry[a.iri])
                             or rules.membership[0] in context.profile[a.iri] and field <= context.profile[a.iri]):
        return f"the field asks for membership of an organisation {a.title}'s work names ({', '.join(sorted(field))})"
    # a's title says it assists b's occupation: its head a helper's, another of its words b's head noun in
    # another form, which the field names too ("Electrical Craft Helper" -> "Electrician", "electrical wiring")
    if _helper(a.title, rules) and head not in rules.generic_heads | ranks.keys():
        assisted = sorted(word for word in own if _named(head, (word,)) and _named(word, named))
        if assisted:
            return f"{a.title} assists the occupation of {b.title} ({', '.join(assisted)})"
    # the field asks for a helper of b's occupation ("helper to a blacksmith"), and a learner's class (a helper's
    # word anywhere in its title: "Apprentice - Metal Trades") names b's head noun in its work, a specific word
    # ("assisting a journey-level Blacksmith")
    if (field & rules.helper_heads and _learner_title(a.title, rules) and _named(head, field)
            and head not in rules.generic_heads | ranks.keys()
            and head in context.profile[a.iri] and context.rarity(b.location, head) >= rules.specific_bits):
        return f"{a.title} assists the occupation of {b.title} (its work names {head})"
    if overlap >= rules.evidence_overlap and shared >= rules.evidence_min_shared:
        return f"{shared} skills and activities shared (overlap {overlap:.2f})"
    return ""


def _word_keys(text: str) -> list[str]:
    """The words and marks of ``text`` in order, each word as its comparison key (a stop word as written)."""
    return [_word_key(word) for word in re.findall(r"\w+|[^\w\s]+", fold(text))]


def _other_role(title: str, field: str, rules: LadderRules) -> str:
    """The role ``field`` names with two or more words of ``title`` in a row that ``title`` does not hold in that
    order ("journey level sign painter" for a Traffic Painter and Sign Poster: a painter and a sign poster, no sign
    painter); "" when there is none. Level words, stop words and punctuation break a row.

    >>> _other_role("Traffic Painter and Sign Poster", "helper to a sign painter", ladder_rules())
    'sign painter'
    >>> _other_role("Sign Painter", "journey level sign painter", ladder_rules())
    ''
    """
    own = _word_keys(title)
    words = set(own) - rules.level_rank.keys() - rules.field_stop_words
    row: list[str] = []
    for word in [*_word_keys(field), ""]:
        if word in words:
            row.append(word)
            continue
        if len(row) > 1 and not any(own[at:at + len(row)] == row for at in range(len(own))):
            return " ".join(row)
        row = []
    return ""


def _title_forms(title: str, field: frozenset[str], rules: LadderRules) -> frozenset[str]:
    """The words of ``field`` that name a word of ``title`` in another form (``_named``: "custodial" for a
    Custodian, "gardening" for a Gardener Caretaker), level words and generic heads aside."""
    mine = field_words(title, rules) - rules.level_rank.keys() - rules.generic_heads
    return frozenset(word for word in field - mine if any(_named(word, (own,)) for own in mine))


def _named_in(title: str, field: Collection[str], own: Collection[str], rules: LadderRules) -> bool:
    """Whether ``field`` (a field of experience's words) names a word of ``title`` other than a level word or a
    generic head, nor one ``own`` (the other title's words) names: "helper to a Plumber" is experience as a
    Mechanical Helper, not as a Plumber; "a plumbing inspector" is not as an Assistant Inspector."""
    return any(word not in rules.generic_heads and _named(word, field) and not _named(word, own)
               for word in field_words(title, rules) - rules.level_rank.keys())


def _learner_title(title: str, rules: LadderRules) -> bool:
    """Whether a title holds a helper's word (``helper_heads``) anywhere: "Apprentice - Metal Trades"."""
    return bool(set(_word_keys(title)) & rules.helper_heads)


def _helper(title: str, rules: LadderRules) -> bool:
    """Whether a title's last word is a helper's (``helper_heads``: "Electrical Craft Helper")."""
    words = fold(title).replace("-", " ").split()
    return bool(words) and statement_key(words[-1]) in rules.helper_heads


def _work_rank(title: str, rules: LadderRules) -> float:
    """The level rank of a title's work: its level words' (``_title_level``), below the journey level for a helper,
    whatever its title's level words say (a helper is below the journey level it assists)."""
    rank = _title_level(title, rules)[1]
    return min(rank, rules.journey_rank - 1) if _helper(title, rules) else rank


def _related_shown(field: frozenset[str], have: frozenset[str], rules: LadderRules) -> frozenset[str]:
    """The words of ``field`` that ``have`` (the words of a class's work) shows through ``related`` rows.

    >>> sorted(_related_shown(field_words("fire suppression"), frozenset({"firefighting"}), ladder_rules()))
    ['fire', 'suppression']
    """
    if not field & rules.related_words:
        return frozenset()
    return frozenset().union(*(wanted for wanted, shown in rules.related if wanted <= field and shown <= have))


def _with_related(field: frozenset[str], rules: LadderRules) -> frozenset[str]:
    """``field`` and the words of work that show its words through ``related`` rows: what the field names."""
    if not field & rules.related_words:
        return field
    return field.union(*(shown for wanted, shown in rules.related if wanted <= field))


def _named(word: str, words: Collection[str]) -> bool:
    """Whether one of ``words`` names ``word``: the same word, or one of the same stem (all but its last three
    letters, at least five, in common: "gardening" names "gardener", "electrical" "electrician").

    >>> _named("gardener", {"gardening"}), _named("electrician", {"electrical"}), _named("clerk", {"clerical"})
    (True, True, False)

    Not a compound: one word whole, then five letters or more from a consonant, is two words ("wastewater").

    >>> _named("waste", {"wastewater"}), _named("manage", {"management"}), _named("transport", {"transportation"})
    (False, True, True)
    """
    if word in words:
        return True
    for other in words:
        common = len(commonprefix((word, other)))
        if common >= max(5, min(len(word), len(other)) - 3):
            rest = (word if len(word) > len(other) else other)[common:]
            if common < min(len(word), len(other)) or len(rest) < 5 or rest[0] in "aeiouy":
                return True
    return False


_ROLE_ITEMS = re.compile(r",\s*(?:(?:and|or)\s+)?|\s+(?:and/or|or|and)\s+")


@lru_cache(maxsize=1 << 14)
def _role_heads(text: str, rules: LadderRules) -> frozenset[str]:
    """The head nouns of the lower-case roles a requirement asks experience in ("as an assistant or associate
    curator, curator, or zoo director": assistant, curator, director), each the last word of a list item before
    its complement (``role_ends``: "helper to a blacksmith": helper); the list ends at an item opening with a
    verb ("as a full craft supervisor, supervising ..."). None when the requirement names no role, or offers work
    besides the roles ("as a clerk typist or in clerical work").

    >>> sorted(_role_heads("experience as a building, mechanical, or combined inspector for an agency",
    ...                    ladder_rules()))
    ['building', 'inspector', 'mechanical']
    """
    found = rules.role_after.search(text) if rules.role_after is not None else None
    if found is None:
        return frozenset()
    verbs = {word for word in profile_rules().verb_forms if word.endswith("ing")}  # "supervising", not "plant"
    heads: list[str] = []
    for item in _ROLE_ITEMS.split(found.group(1)):
        words = _ROLE_OPENING.sub("", fold(item)).split()  # "or as a supervisor of ...": a role too
        if not words:
            continue
        if words[0] in rules.role_ends:
            return frozenset()  # "or in clerical work": work besides the roles
        if words[0] in verbs:
            break  # "supervising senior and craft personnel": what the role does, not another role
        cut = next((at for at, word in enumerate(words) if word in rules.role_ends), len(words))
        # before a verb, a role too ("investigator performing comparable investigative work", "building
        # operating engineer": the list is read leniently, a role too many rather than one too few)
        heads.extend(_word_key(words[at - 1]) for at in range(1, cut) if words[at] in verbs)
        head = _word_key(words[cut - 1])
        level = _word_key(words[cut - 2]) if cut > 1 else ""
        # a generic head after a level word names the level ("a lead worker": a class at the lead level or above)
        heads.append(level if head in rules.generic_heads and _level_of(level, rules) else head)
        if cut < len(words):
            break  # the role's complement follows ("inspector for a governmental agency")
    return frozenset(heads)


_ROLE_OPENING = re.compile(r"^\s*(?:as\s+)?(?:an?\s+)?")


def _word_key(word: str) -> str:
    return statement_key(word) or word


def _names_role(title: str, heads: frozenset[str], rules: LadderRules) -> bool:
    """Whether ``title`` names one of the role ``heads`` (in any form, or by a ``related`` word: "clerk" by an
    Office Assistant's "office"); a helper's role ("helper", "apprentice") by any helper's word. Membership of an
    organisation ("a uniformed member") is no role (see ``membership``)."""
    if not heads or heads & set(rules.membership):
        return True
    words = frozenset(_word_keys(title))
    if heads & rules.helper_heads and words & rules.helper_heads:
        return True
    rank = _work_rank(title, rules)
    # a level word of the journey level or above ("supervisor", "lead worker") is named by a title of that level
    # or above ("Custodian Supervisor" is a lead worker); below it ("assistant") by its own word only
    return any(_named(head, words) or _named_related(head, words, rules)
               or rules.journey_rank <= _level_of(head, rules) <= rank for head in heads)


def _level_of(word: str, rules: LadderRules) -> int:
    """The rank of a level word ("lead", "journey-level"); 0 for any other word."""
    ranks = rules.level_rank
    return max((ranks[part] for part in word.split("-") if part in ranks), default=0)


def _named_related(head: str, words: frozenset[str], rules: LadderRules) -> bool:
    return bool(_related_shown(frozenset({head}), words, rules))


def _groups(experience: tuple[Experience, ...]) -> list[list[Experience]]:
    """Requirements grouped by alternative: all of a group must be met, any one group will do."""
    groups: dict[str, list[Experience]] = {}
    for option in experience:
        groups.setdefault(option.alternative or option.node, []).append(option)
    return list(groups.values())


def _describe(option: Experience) -> str:
    return f"{_months(option.months)} months of {option.field or option.description}"


_EITHER = re.compile(r"\s(?:and/or|or)\s")


@lru_cache(maxsize=1 << 16)
def _field_choices(text: str, employer: str, rules: LadderRules) -> tuple[frozenset[str], ...]:
    """The fields a field of experience offers ("clerical work or retail sales": two), each as its words, less
    the words of the employer's name; the whole field first. "or" between verbs shares the object that follows
    ("preparing or processing marine shipping documents"); a verb alone split off is no field of its own
    ("surveying" as the whole field is one; see ``choice_examples``).

    >>> [sorted(words) for words in _field_choices("preparing or processing marine shipping documents", "",
    ...                                            ladder_rules())][1:]
    [['document', 'marine', 'preparing', 'shipping'], ['document', 'marine', 'processing', 'shipping']]
    """
    verbs = profile_rules().verb_forms
    drop = field_words(employer, rules) if employer else frozenset()
    whole = field_words(text, rules) - drop
    if rules.membership and rules.membership[0] in whole:
        drop |= frozenset(rules.membership)  # membership of an organisation: the organisation is the field
        whole -= drop
    pieces = [field_words(piece, rules) - drop for piece in _EITHER.split(text)] if " or" in text else []
    for position, piece in enumerate(pieces):
        if piece and piece <= verbs.keys():
            following = next((later - verbs.keys() for later in pieces[position + 1:] if later - verbs.keys()),
                             frozenset())
            pieces[position] = piece | following if following else frozenset()
    return tuple(dict.fromkeys(words for words in (whole, *pieces) if words))


def _field_choice(text: str, employer: str, have: frozenset[str], rules: LadderRules,
                  weigh: Callable[[str], int]) -> frozenset[str]:
    """Of the fields a field of experience offers, the one ``have`` (a class's words) shows most of (word weights
    by ``weigh``); no words when it offers none."""
    choices = _field_choices(text, employer, rules)
    return max(choices, key=lambda words: (_weighted_share(words, have, weigh), len(words)), default=frozenset())


def _weighted_share(wanted: frozenset[str], have: frozenset[str], weigh: Callable[[str], int]) -> float:
    """The share of ``wanted``'s weight (``weigh`` of each word) that ``have`` holds; 1 when nothing is wanted."""
    if not wanted:
        return 1.0
    weights = {word: weigh(word) for word in wanted}
    return sum(weight for word, weight in weights.items() if word in have) / sum(weights.values())


def _option_check(context: _Context, a: ClassFacts, option: Experience, employer: str | None = None,
                  place: str | None = None, roles: bool = False) -> tuple[Any, ...] | None:
    """(months to gain, -parts evidenced), months on entry, entry field, parts, the field's words that a's work
    shows, the field's words; None when out of a's reach. Words of the ``employer``'s name say nothing of a field
    ("with the City of X"); a field's words weigh their rarity among the classes of the employer at ``place``.
    With ``roles``, experience "as a" role is out of reach of a class whose title names none (``_role_heads``)."""
    rules = context.rules

    def weigh(word: str) -> int:
        return max(1, context.rarity(place, word))

    text = option.field or option.description
    if roles and not _names_role(a.title, _role_heads(option.description or option.field, rules), rules):
        return None  # experience as a role ("as a curator or zoo director") a's title does not name
    # a's work shows what its title names, in any form of the word ("custodial services" for a Custodian), and
    # what it names in other words (``related``: "fire suppression" by "firefighting")
    asked = field_words(text, rules)
    have = context.profile[a.iri] | _title_forms(a.title, asked, rules)
    have |= _related_shown(asked, have, rules)
    if asked & rules.helper_heads and _learner_title(a.title, rules):
        have |= asked & rules.helper_heads  # "helper to a blacksmith": an Apprentice is a helper
    wanted = _field_choice(text, employer or "", have, rules, weigh)
    in_role = _weighted_share(wanted, have, weigh) >= rules.match_share
    on_entry, entry_field = Decimal(0), ""
    for exp, words in context.entry[a.iri]:
        if wanted and _weighted_share(wanted, words, weigh) >= rules.match_share and exp.months > on_entry:
            on_entry, entry_field = min(exp.months, option.months), exp.field or exp.description
    if not in_role and on_entry < option.months:
        return None
    parts = tuple(PartCheck(part.months, part.field or part.description,
                            _weighted_share(field_words(part.field or part.description, rules),
                                            context.profile[a.iri], weigh) >= rules.match_share)
                  for part in option.parts)
    return ((option.months - on_entry, -sum(part.evidenced for part in parts)), on_entry, entry_field, parts,
            tuple(sorted(wanted & have)), tuple(sorted(wanted)))


def _experience_check(context: _Context, a: ClassFacts, b: ClassFacts, fields_only: bool = False,
                      ) -> dict[str, Any] | None:
    """How a's holder meets b's experience requirement: the best alternative all of whose requirements a's
    holder can meet (the longest of them leads), or None. With ``fields_only``, alternatives naming a class are
    left out: what they name makes an explicit step, or none."""
    if not b.experience:
        return dict(alternatives=0)
    groups = _groups(b.experience)
    best: tuple[Any, ...] | None = None
    for group in groups:
        named = any(option.in_classes or option.in_class_titles for option in group)
        level_of = _at_named_level(context, a, b, group) if fields_only and named else ""
        if fields_only and named and not level_of:
            continue
        checks = [_option_check(context, a, option, b.location_name, b.location, fields_only) for option in group]
        if any(check is None for check in checks):
            continue
        if fields_only and not any(check[5] for check in checks):
            continue  # no field a's work could show: none named, or only the employer
        lead = max(range(len(group)), key=lambda index: group[index].months)
        rank = tuple(sum(values) for values in zip(*(check[0] for check in checks), strict=True))
        # of alternatives as long to gain, the one whose field a's work shows more of
        shown = -sum(len(check[4]) for check in checks) / max(sum(len(check[5]) for check in checks), 1)
        if best is None or (*rank, shown) < best[0]:
            best = ((*rank, shown), group, lead, checks[lead], checks, level_of)
    if best is None:
        return None
    _, group, lead, (_, on_entry, entry_field, parts, _, _), checks, at_named = best
    option = group[lead]
    # the field's words: of every requirement of the alternative ("with the City" and "in custodial services")
    matched = tuple(sorted({word for check in checks for word in check[4]}))
    wanted = tuple(sorted({word for check in checks for word in check[5]}))
    others = [other for other in group if other is not option]
    return dict(months_required=option.months, months_on_entry=on_entry,
                months_in_role=option.months - on_entry, required_field=option.field or option.description,
                entry_field=entry_field, parts=parts, alternatives=len(groups), matched_words=matched,
                required_words=wanted if fields_only or not any(o.in_classes or o.in_class_titles for o in group)
                else (),
                combine="all of" if others else "any of", together=tuple(_describe(other) for other in others),
                sources=tuple(w for w in (*(o.where for o in group), a.grade_where or a.pay_where,
                                          b.grade_where or b.pay_where) if w),
                justified_by=tuple(n for n in (*(o.node for o in group), a.grade_node, b.grade_node) if n),
                **({"at_named": at_named} if at_named else {}))


def _at_named_level(context: _Context, a: ClassFacts, b: ClassFacts, group: list[Experience]) -> str:
    """Whether each requirement of ``group`` naming classes admits ``a`` by its field: it names a field, says the
    experience may be gained in a class at the named classes' level (``[fields] at_level``: "as a Carpenter or in
    a class at that level performing skilled carpentry"), and ``a`` is of the series of one of them
    (``_one_occupation``), at its level or above (a Senior Carpenter), not one of them (an explicit step). Its field
    must still be shown by ``a``'s work. The title of that class ("" when the group does not admit ``a``)."""
    found = ""
    for option in group:
        if not (option.in_classes or option.in_class_titles):
            continue
        if not option.field or a.iri in option.in_classes or not any(
                phrase in fold(option.description) for phrase in context.rules.at_level):
            return ""
        below = sorted(context.facts[named].title for named in option.in_classes
                       if named in context.facts and context.facts[named].location == a.location
                       and _one_occupation(context.facts[named], a, context.rules)
                       and (level := _level_change(context, context.facts[named], a)) is not None and level[0] >= 0)
        if not below:
            return ""
        found = found or below[0]
    return found


def _comparison(index: _FeatureIndex, first: str, second: str, score: float) -> Comparison:
    return Comparison(first, second, score, index.shared(first, second))


# -- explicit steps ------------------------------------------------------------------------------------


def _resolver(facts: Sequence[ClassFacts], rules: LadderRules) -> Any:
    """A function (location, code-or-title) -> class IRI or None: exact code/title, else a close title
    (``close=False``: exact only, and a class some spec specifies; ``below``: none paid more than that class)."""
    exact: dict[tuple[str | None, str], list[ClassFacts]] = defaultdict(list)
    titles: dict[str | None, dict[str, str]] = defaultdict(dict)
    for fact in facts:
        exact[(fact.location, fold(fact.title))].append(fact)
        if fact.code:
            exact[(fact.location, fold(fact.code))].append(fact)
            exact[(fact.location, fold(fact.label))].append(fact)
        titles[fact.location][fact.iri] = fold(fact.title)

    def resolve(location: str | None, name: str, close: bool = True, below: ClassFacts | None = None) -> str | None:
        found = exact.get((location, fold(name)), [])
        real = [fact for fact in found if not fact.stub] or (found if close else [])
        if below is not None:  # not a class paid more than the one asking (a transfer down, not a promotion),
            # unless the one asking ranks above it by its title (a supervisor of the trade)
            real = [fact for fact in real if not _pays_more(fact, below, rules.pay_equal_within)
                    or _title_level(below.title, rules)[1] > _title_level(fact.title, rules)[1]]
        if len(real) == 1:
            return real[0].iri
        if not close:  # a role written in lower case names a class the employer specifies, by its exact title
            return None
        # the whole title, as the merge stage resolves names (a partial match would take "Senior Environmental
        # Scientist" for Environmental Scientist)
        match = close_titles(fold(name), titles.get(location, {}))
        return match[0][0] if match else None

    return resolve


Resolution = tuple[tuple[str | None, ...], tuple[tuple[str, ...], ...]]  # family member IRIs; named, per option


def _resolution(owner: ClassFacts, resolve: Callable[..., str | None]) -> Resolution:
    """The classes ``owner``'s job family and experience name, resolved: what its explicit steps join. A role
    written in lower case in a list of roles ("as a security guard, security aide, or park ranger") names the class
    of that exact title, where the employer has one paid no more than ``owner`` (a list of outside occupations that
    includes a better-paid class of the employer describes a transfer, not a step up). A part of a requirement
    ("two years of which as a Photographer") names a class some spec specifies, by its exact title."""
    return (tuple(member.member or resolve(owner.location, member.name) for member in owner.family),
            tuple(tuple(sorted(set(option.in_classes)
                               | {iri for title in option.in_class_titles
                                  if (iri := resolve(owner.location, title, option is whole)) is not None}
                               | set(_role_classes(owner, option, resolve))))
                  for option, whole in _named_options(owner)))


def _role_classes(owner: ClassFacts, option: Experience, resolve: Callable[..., str | None]) -> Iterator[str]:
    """The classes the lower-case roles of ``option`` name: of each role, its longest leading words that are the
    exact title of a class some spec specifies, paid no more than ``owner`` unless ``owner``'s title ranks
    above it (a supervisor of the trade)."""
    roles = _roles(option)
    taken: set[str] = set()  # the first words of a role already resolved: its shorter forms are the same role
    for role in roles:
        if any(role == done or done.startswith(role + " ") for done in taken):
            continue
        iri = resolve(owner.location, role, False, owner)
        # a role an employer divides into levels ("journey level electrician": Electrician I, Electrician II)
        levels = [] if iri is not None else [found for numeral in ROLE_LEVELS
                                             if (found := resolve(owner.location, f"{role} {numeral}", False, owner))]
        if iri is None and not levels:
            continue
        taken.add(role)
        yield from [iri] if iri is not None else levels


def _named_options(owner: ClassFacts) -> list[tuple[Experience, Experience]]:
    """Each experience requirement of ``owner`` and each part counted within it ("five years, two of which as a
    Photographer"), with the requirement it is part of: where a requirement may name a class."""
    found: list[tuple[Experience, Experience]] = []

    def visit(option: Experience, whole: Experience) -> None:
        found.append((option, whole))
        for part in option.parts:
            visit(part, whole)

    for option in owner.experience:
        visit(option, option)
    return found


def _pays_more(fact: ClassFacts, other: ClassFacts, within: float) -> bool:
    """Whether ``fact`` starts at a higher pay than ``other`` (in one currency), by more than ``within``."""
    return (fact.pay is not None and other.pay is not None and fact.pay_currency == other.pay_currency
            and fact.pay > other.pay * (1 + within))


def _roles(option: Experience) -> list[str]:
    """The roles a requirement lists after "as a" ("experience as a security guard, security aide, or ..."),
    written in lower case (capitalized titles are the parser's named classes), each as its words from the first on,
    longest first, level modifiers left out ("journey-level boilermaker engaged in repair" -> "boilermaker engaged
    in repair", ..., "boilermaker"): the role is the longest of them that is a title.

    >>> _roles(Experience("e", Decimal(12), "", "One year of experience as a security guard, security aide, or "
    ...                   "Police Student Worker"))
    ['security guard', 'security', 'security aide', 'security']
    >>> _roles(Experience("e", Decimal(48), "", "Two years of varied experience as a journey level electrician"))
    ['electrician']
    >>> _roles(Experience("e", Decimal(12), "", "One year of office clerical work"))
    []
    """
    return list(_roles_in(option.description))


@lru_cache(maxsize=1 << 14)  # asked of each requirement when its owner's names are resolved, checked and compared
def _roles_in(description: str) -> tuple[str, ...]:
    rules = load_rules().bulletin
    listed = rules.roles_after.search(description) if rules is not None else None
    if rules is None or listed is None:
        return ()
    roles: list[str] = []
    for piece in named_classes(listed.group(1), rules):
        words = rules.leading_modifiers.sub("", piece).split()
        if words and words[0].islower():
            roles.extend(" ".join(words[:end]) for end in range(min(len(words), ROLE_WORDS), 0, -1))
    return tuple(roles)


def _names(owner: ClassFacts) -> tuple[Any, ...]:
    """What ``_resolution`` reads of ``owner``: while it and every class's ``_identity`` stay, so does that."""
    return (owner.location, tuple((member.name, member.member) for member in owner.family),
            tuple((option.in_classes, option.in_class_titles, tuple(_roles(option)))
                  for option, _ in _named_options(owner)))


def _identity(fact: ClassFacts) -> tuple[Any, ...]:
    """What resolving names and pairing employers read of a class (``_resolver``, ``_FeatureIndex``)."""
    return fact.location, fold(fact.title), fact.code, fold(fact.label), fact.stub, fact.employer_known


def _explicit_steps(context: _Context, owners: Iterable[ClassFacts],
                    resolutions: Mapping[str, Resolution] | None = None,
                    ) -> tuple[dict[str, tuple[Step, ...]], dict[str, Resolution]]:
    """The explicit steps each of ``owners`` states (owner IRI -> its steps, explained, in order; owners stating
    none are left out) and what its names resolved to. ``resolutions`` are those worked out before (the classes
    and the owners' names unchanged since); without them, names are resolved among every class in ``context``."""
    facts = context.facts
    resolve = _resolver(list(facts.values()), context.rules) if resolutions is None else None
    found: dict[str, tuple[Step, ...]] = {}
    resolved: dict[str, Resolution] = {}
    for owner in owners:
        if not owner.family and not any(option.in_classes or option.in_class_titles or _roles(option)
                                        for option, _ in _named_options(owner)):
            continue
        if resolutions is None:
            assert resolve is not None
            resolution = resolved[owner.iri] = _resolution(owner, resolve)
        else:
            resolution = resolved[owner.iri] = resolutions[owner.iri]
        steps = [_explained(context, step) for step in _owner_steps(context, owner, resolution)]
        if steps:
            found[owner.iri] = tuple(steps)
    return found, resolved


def _owner_steps(context: _Context, owner: ClassFacts, resolution: Resolution) -> Iterator[Step]:
    """The explicit steps one class states: along its job family, and from the classes its experience names."""
    facts = context.facts
    members = [(member, iri) for member, iri in zip(owner.family, resolution[0], strict=True)
               if iri is not None and context.known(iri)]
    for (low, low_iri), (high, high_iri) in zip(members, members[1:], strict=False):
        if low_iri == high_iri:
            continue
        step = _explicit(context, facts[low_iri], facts[high_iri],
                         f"stated job family of {owner.label}: {low.name} -> {high.name}",
                         sources=(low.where, high.where), nodes=(low.node, high.node))
        if step is not None:
            yield step
    for (option, whole), named in zip(_named_options(owner), resolution[1], strict=True):
        for iri in named:
            if not context.known(iri):
                continue
            lower = facts[iri]
            if lower.iri == owner.iri or (lower.location != owner.location
                                          and lower.employer_known and owner.employer_known):
                continue
            if option is not whole and lower.stub:  # a part names a class some spec specifies
                continue
            within = f" (of {_months(whole.months)} months of experience)" if option is not whole else ""
            step = _explicit(context, lower, owner,
                             f"{owner.label} requires {_months(option.months)} months as {lower.title}{within}"
                             + _named_as(lower, option),
                             sources=(option.where,), nodes=(option.node,), named=whole,
                             in_role=option.months)
            if step is not None:
                yield step


def _named_as(lower: ClassFacts, option: Experience) -> str:
    """How a requirement named a class it did not name by its own title: the class with its range, a base title
    standing for each of its variants ("Senior Environmental Scientist" -> its (Specialist) class), a class at the
    level of another (the same pay), or another name (a former title).

    >>> ranged = Experience("e", Decimal(12), "", "", in_class_titles=("Office Assistant (Range B)",))
    >>> _named_as(ClassFacts("x", "Office Assistant (Typing)"), ranged)
    " (named 'Office Assistant (Range B)': each class titled Office Assistant (...), at range B)"
    >>> leveled = Experience("e", Decimal(24), "", "in a class at the level of Senior Clerk",
    ...                      in_class_titles=("Senior Clerk",))
    >>> _named_as(ClassFacts("x", "Senior Administrative Clerk"), leveled)
    " (named 'Senior Clerk': a class at the level of Senior Clerk, or that class's current title)"
    """
    titles = {fold(title): title for title in option.in_class_titles}
    if not titles or fold(lower.title) in titles:
        return ""
    base = fold(QUALIFIER.sub("", lower.title))
    for folded, title in titles.items():
        bare = RANGE_QUALIFIER.sub("", folded)
        ranged = f", at range {folded[-2].upper()}" if bare != folded else ""
        if bare == fold(lower.title):
            return f" (named '{title}'{ranged})"
        if bare == base:
            return f" (named '{title}': each class titled {QUALIFIER.sub('', lower.title)} (...){ranged})"
    for title in titles.values():
        if re.search(rf"\blevel\s+of\s+(?:an?\s+|the\s+)?{re.escape(title)}\b", option.description, re.I):
            return f" (named '{title}': a class at the level of {title}, or that class's current title)"
    return " (named " + ", ".join(f"'{title}'" for title in titles.values()) + ")"


def _explicit(context: _Context, low: ClassFacts, high: ClassFacts, reason: str, sources: tuple[str, ...],
              nodes: tuple[str, ...], named: Experience | None = None, in_role: Decimal | None = None
              ) -> Step | None:
    if (low.grade_number is not None and high.grade_number is not None and low.pay_plan == high.pay_plan
            and high.grade_number < low.grade_number):
        return None  # never a step down, whatever the text suggests
    overlap, shared, missing = _skill_overlap(context, low, high)
    if named is not None:
        peers = next(group for group in _groups(high.experience) if named in group)
        others = [other for other in peers if other is not named]
        experience: dict[str, Any] = dict(months_required=named.months,
                                          months_in_role=named.months if in_role is None else in_role,
                                          required_field=f"experience as {low.title}",
                                          alternatives=len(_groups(high.experience)),
                                          combine="all of" if others else "any of",
                                          together=tuple(_describe(other) for other in others),
                                          justified_by=tuple(other.node for other in others))
    else:
        experience = _experience_check(context, low, high) or dict(
            months_required=max((exp.months for exp in high.experience), default=None),
            months_in_role=None, alternatives=len(high.experience))
    extra_sources = experience.pop("sources", ())
    extra_nodes = experience.pop("justified_by", ())
    return Step(low.iri, high.iri, "explicit", 1.0, (reason,), tuple(shared), tuple(missing),
                sources=tuple(dict.fromkeys(w for w in (*sources, *extra_sources) if w)),
                justified_by=tuple(dict.fromkeys(n for n in (*nodes, *extra_nodes) if n)), **experience)


# -- explanation ---------------------------------------------------------------------------------------


def _months(value: Decimal | None) -> str:
    if value is None:
        return "?"
    return str(value.normalize()) if value == value.to_integral_value() else str(value)


def _explained(context: _Context, step: Step) -> Step:
    """The step with its grade change filled in and its explanation written out."""
    low, high = context.facts[step.source], context.facts[step.target]
    change = (high.grade_number - low.grade_number
              if low.grade_number is not None and high.grade_number is not None and low.pay_plan == high.pay_plan
              else None)
    parts = [f"{step.kind} step from {low.label} to {high.label}"]
    parts.append("; ".join(step.reasons))
    if low.grade_label or high.grade_label:
        delta = f" ({change:+d})" if change is not None else ""
        parts.append(f"grade {low.grade_label or '?'} -> {high.grade_label or '?'}{delta}")
    if step.months_required is not None:
        text = f"needs {_months(step.months_required)} months"
        if step.required_field:
            text += f" of {step.required_field}"
        if step.parts:
            text += " including " + ", ".join(
                f"{_months(part.months)} of {part.field}"
                + ("" if part.evidenced else f" (not evident in the work of {low.title})") for part in step.parts)
        if step.together:
            text += " together with " + " and ".join(step.together) + " (all of)"
        if step.alternatives > 1:
            text += f" (best of {step.alternatives} alternatives, any of)"
        parts.append(text)
        if step.months_on_entry:
            parts.append(f"{_months(step.months_on_entry)} brought on entry to {low.title}"
                         + (f" ({step.entry_field})" if step.entry_field else ""))
        if step.months_in_role is not None:
            parts.append(f"{_months(step.months_in_role)} more to gain as {low.title}")
    elif step.alternatives == 0:
        parts.append(f"{high.title} states no experience requirement")
    if step.level_change and not (low.grade_label or high.grade_label):
        parts.append(step.level_change)
    if step.shared_skills or step.missing_skills:
        parts.append(f"{len(step.shared_skills)} skill concepts shared (rg:sharedSkill), "
                     f"{len(step.missing_skills)} still missing (rg:missingSkill)")
    if step.shared_activities or step.missing_activities:
        text = f"{len(step.shared_activities)} activities and knowledge concepts shared"
        if step.shared_activities:
            text += " (" + "; ".join(step.shared_activities[:5]) + ("; ..." if len(step.shared_activities) > 5
                                                                   else "") + ")"
        text += f", {len(step.missing_activities)} still to learn"
        if step.missing_activities:
            text += " (" + "; ".join(step.missing_activities[:5]) + ("; ..." if len(step.missing_activities) > 5
                                                                    else "") + ")"
        parts.append(text)
    deeper = [f"{context.label(c)} ({LEVEL_ORDER[low.skills[c] - 1]} -> {LEVEL_ORDER[high.skills[c] - 1]})"
              for c in step.shared_skills if 0 < low.skills.get(c, 0) < high.skills.get(c, 0) <= len(LEVEL_ORDER)]
    if deeper:
        parts.append("shared, at a higher level: " + "; ".join(deeper))
    if step.sources:
        parts.append("sources: " + ", ".join(step.sources))
    return replace(step, grade_from=low.grade_label, grade_to=high.grade_label, grade_change=change,
                   explanation=". ".join(parts) + ".")

