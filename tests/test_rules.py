"""The parsing rule tables: every rule matches its example and captures what the table expects of it, and
malformed tables fail with the rule's name."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolegraph.errors import RuleError
from rolegraph.parser import tables
from rolegraph.parser.tables import PhraseRule, load_rules

RULES = load_rules()

# Rules whose example's capture is known to be wrong: the table states what it should capture, the test is
# expected to fail until the pattern is fixed (then it passes, strict xfail fails, and the entry goes).
WRONG_CAPTURES: dict[str, str] = {}


@pytest.mark.parametrize("rule", RULES.phrase_rules, ids=lambda rule: rule.name)
def test_rule_matches_its_example(rule: PhraseRule) -> None:
    match = rule.pattern.search(rule.example)
    assert match, f"rule {rule.name} does not match its own example"
    assert rule.could_match(match.group(0)), f"rule {rule.name}: its example's match lacks what it requires"


@pytest.mark.parametrize("rule", [
    pytest.param(rule, marks=pytest.mark.xfail(reason=WRONG_CAPTURES[rule.name], strict=True))
    if rule.name in WRONG_CAPTURES else rule
    for rule in RULES.phrase_rules if rule.pattern.groupindex], ids=lambda rule: rule.name)
def test_rule_captures_what_its_example_expects(rule: PhraseRule) -> None:
    """Every named group is stated in the rule's ``expect`` and takes exactly that from the example."""
    expected = dict(rule.expect)
    assert sorted(expected) == sorted(rule.pattern.groupindex), (
        f"rule {rule.name}: expect must state every named group, as group = \"captured\" (false: none)")
    match = rule.pattern.search(rule.example)
    assert match, f"rule {rule.name} does not match its own example"
    assert match.groupdict() == expected, f"rule {rule.name} captures something else from its example"


def test_wrong_captures_name_rules() -> None:
    assert set(WRONG_CAPTURES) <= {rule.name for rule in RULES.phrase_rules}


def test_levels_are_ordered_weakest_first() -> None:
    from rolegraph.model import LEVEL_ORDER

    assert RULES.level_order == LEVEL_ORDER
    assert all(RULES.canonical_level(word) in LEVEL_ORDER for word in RULES.level_synonyms)


def test_months() -> None:
    assert RULES.months("two", "years") == 24
    assert RULES.months("18", "months") == 18
    assert RULES.months("One", "year") == 12


def _with_table(monkeypatch: pytest.MonkeyPatch, name: str, table: dict) -> None:
    original = tables.rule_table
    monkeypatch.setattr(tables, "rule_table", lambda wanted: table if wanted == name else original(wanted))
    tables.load_rules.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_rules():
    yield
    tables.load_rules.cache_clear()


def test_bad_pattern_names_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_table(monkeypatch, "lines", {"line": [{"name": "broken-rule", "pattern": "(?P<code>[", "example": "x"}]})
    with pytest.raises(RuleError, match="broken-rule"):
        load_rules()


@pytest.mark.parametrize(("expect", "message"), [
    ({"unit": "years"}, "expect names group 'unit', which its pattern lacks"),
    ({"n": 2}, "expect n must be the captured text, or false for none"),
    ("2", "expect must be a table"),
])
def test_bad_expectation_names_the_rule(monkeypatch: pytest.MonkeyPatch, expect: object, message: str) -> None:
    _with_table(monkeypatch, "lines", {"line": [{"name": "counted", "pattern": "(?P<n>[0-9]+)", "example": "2",
                                                 "expect": expect}]})
    with pytest.raises(RuleError, match=f"rule 'counted': {message}"):
        load_rules()


def test_heading_under_two_fields_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_table(monkeypatch, "headings", {"headings": {"summary": ["duties"], "duties": ["Duties"]}})
    with pytest.raises(RuleError, match="'Duties' is listed under both"):
        load_rules()


@settings(max_examples=500)
@given(words=st.lists(st.text("aAb-", max_size=3), min_size=1, max_size=6),
       texts=st.lists(st.text("aAb-", max_size=4), max_size=6))
def test_alternation_matches_what_the_flat_list_matches(words: list[str], texts: list[str]) -> None:
    """Grouping words by their beginnings changes no match, with or without ignore-case, whatever follows."""
    flat = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    for flags in (0, re.IGNORECASE):
        for after in ("", r"\b", "b", "$"):
            grouped = re.compile(f"(?P<word>{tables._alternation(words)}){after}", flags)
            plain = re.compile(f"(?P<word>{flat}){after}", flags)
            assert [[match.span("word") for match in grouped.finditer(text)] for text in texts] == [
                [match.span("word") for match in plain.finditer(text)] for text in texts]


@given(st.text(st.characters(), max_size=12) | st.text(" \t\u00a0\u2028ab", max_size=12))
def test_collapse_is_split_and_join(text: str) -> None:
    assert tables.collapse(text) == " ".join(text.split())


LABEL_RULES = tables.load_label_rules()


@pytest.mark.parametrize("entry", LABEL_RULES.entries, ids=lambda entry: f"{entry.field}:{entry.example}")
def test_label_entry_reads_its_example(entry: tables.LabelRule) -> None:
    """Each labels.toml entry: its example's label names it (it is the first entry of that label whose value
    pattern matches), and the value pattern captures what the entry expects."""
    label, _, value = entry.example.partition(":")
    entries = LABEL_RULES.entries_of(label)
    assert entries is not None and entry in entries, f"label {label!r} does not name the {entry.field} entry"
    first = next(found for found in entries if found.pattern.match(value.strip()))
    assert first is entry, f"{entry.example!r} is read by the {first.field} entry first"
    match = entry.pattern.match(value.strip())
    assert sorted(dict(entry.expect)) == sorted(entry.pattern.groupindex)
    assert match is not None and match.groupdict() == dict(entry.expect)

