"""Documents that define several classes: the classes a titles table lists, and which lines apply to which.

A class series page lists its classes in a table (schematic code, class code, title), then gives each section
(definition, minimum qualifications, knowledge and abilities) per class or per group of classes under
sub-headings naming them; "All Levels" applies to every class, and a passage before any such sub-heading too.
The rules (column names, scope words) are in ``parser/rules/series.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import fuzz

from rolegraph.errors import RuleError
from rolegraph.model import Line
from rolegraph.parser.tables import collapse, fold
from rolegraph.resources import rule_table

__all__ = ["ListedClass", "SeriesRules", "load_series_rules", "table_cells", "find_listed_classes",
           "scope_heading", "scope_lines", "split_title", "ALL"]

ALL = -1  # a scope heading naming every class
TRAILING_MARKS = " :*\u2013\u2014-."


@dataclass(frozen=True, slots=True)
class ListedClass:
    """One class of a titles table: its title, code and the other cells it gives, and the row's line."""

    title: str
    code: str | None
    line: Line
    schematic: str | None = None
    grade: str | None = None
    salary: str | None = None  # its pay cell, with the column's header after it ("$21.40 - $27.15 (Hourly Range)")


@dataclass(frozen=True)
class SeriesRules:
    column_of_header: dict[str, str]  # folded header cell -> column
    min_rows: int
    title_notes: re.Pattern[str]  # notes after a title in its cell, removed
    all_levels: frozenset[str]
    any_qualifier: frozenset[str]
    all_pattern: re.Pattern[str]  # a heading naming every class in other words ("All Teachers")
    title_suffixes: tuple[str, ...]
    joiner: re.Pattern[str]
    fuzzy_score: float
    and_above: re.Pattern[str]  # "... Level and Above" after a title: that class and every one listed after it
    all_except: re.Pattern[str]  # "All Levels Except ...": every class but those named after it


@cache
def load_series_rules() -> SeriesRules:
    """The series table compiled; raises RuleError naming the entry when it is malformed."""
    table = rule_table("series")
    column_of_header: dict[str, str] = {}
    for column, headers in table["class_table"]["columns"].items():
        for header in headers:
            if column_of_header.setdefault(fold(header), column) != column:
                raise RuleError(f"series.toml: column header {header!r} is listed under two columns")
    scope = table["scope"]
    try:
        joiner = re.compile("|".join(f"(?:{pattern})" for pattern in scope["joiners"]), re.IGNORECASE)
        notes = re.compile("|".join(f"(?:{pattern})" for pattern in table["class_table"]["title_notes"]),
                           re.IGNORECASE)
    except re.error as error:
        raise RuleError(f"series.toml: a pattern does not compile: {error}") from None
    return SeriesRules(column_of_header, int(table["class_table"]["min_rows"]), notes,
                       frozenset(fold(words) for words in scope["all"]),
                       frozenset(fold(words) for words in scope["any_qualifier"]),
                       _compiled("scope.all_pattern", scope["all_pattern"]),
                       tuple(fold(word) for word in scope["title_suffixes"]), joiner, float(scope["fuzzy_score"]),
                       _compiled("scope.and_above", r"\s+(?:" + "|".join(f"(?:{p})" for p in scope["and_above"])
                                 + r")$"),
                       _compiled("scope.all_except", "|".join(f"(?:{p})" for p in scope.get("all_except", []))
                                 or r"(?!)"))


def _compiled(name: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise RuleError(f"series.toml: {name} does not compile: {error}") from None


def table_cells(text: str) -> tuple[str, ...] | None:
    """The cells of a table row as readers render it ("a | b | c", Markdown "| a | b |"), else None.

    >>> table_cells("LN48 | 1360 | Information Systems Technician")
    ('LN48', '1360', 'Information Systems Technician')
    >>> table_cells("| Code | Title |"), table_cells("|---|:---:|"), table_cells("Knowledge of: A; B")
    (('Code', 'Title'), (), None)
    """
    if "|" not in text:
        return None
    stripped = text.strip()
    if stripped.startswith("|"):
        stripped = stripped[1:]
    if stripped.endswith("|"):
        stripped = stripped[:-1]
    cells = tuple(collapse(cell) for cell in stripped.split("|"))
    if len(cells) < 2:
        return None
    if all(re.fullmatch(r":?-{2,}:?", cell) for cell in cells):
        return ()  # a Markdown separator row
    return cells


def _columns(cells: tuple[str, ...], rules: SeriesRules) -> dict[str, int] | None:
    """Column -> cell index of a class table's header row, or None when the row is not one.

    >>> _columns(("Schem Code", "Class Code", "Class"), load_series_rules())
    {'schematic': 0, 'code': 1, 'title': 2}
    >>> _columns(("Class", "Date Established", "Date Revised"), load_series_rules()) is None
    True
    """
    columns: dict[str, int] = {}
    if sum(cell.endswith(":") for cell in cells) >= 2:
        return None  # "Class Title: | Clerk | Class Code: | 1101": labels and their values, not a header
    for index, cell in enumerate(cells):
        column = rules.column_of_header.get(fold(cell.rstrip(TRAILING_MARKS)))
        if column is not None and column not in columns:
            columns[column] = index
    if "title" not in columns or not ({"code", "schematic", "grade"} & columns.keys()):
        return None
    return columns


def _cell(row: tuple[str, ...], columns: dict[str, int], column: str) -> str | None:
    return (row[columns[column]] or None) if column in columns else None


def find_listed_classes(lines: Sequence[Line], rules: SeriesRules | None = None) -> tuple[ListedClass, ...]:
    """The classes of the first class table among ``lines`` (header row, then one row a class), in its order.

    Blank lines between rows are passed over; the table ends at the first other line. Fewer rows than the
    table's ``min_rows`` is no class table.

    >>> rows = ["Schem Code | Class Code | Class", "", "LN48 | 1360 | Information Systems Technician", "",
    ...         "LN45 | 1562 | Information Systems Technician Specialist I", "", "Definition of Levels"]
    >>> [(c.title, c.code, c.schematic, c.line.number) for c in find_listed_classes(
    ...     [Line(n, t) for n, t in enumerate(rows, 1)])]  # doctest: +NORMALIZE_WHITESPACE
    [('Information Systems Technician', '1360', 'LN48', 3),
     ('Information Systems Technician Specialist I', '1562', 'LN45', 5)]
    """
    rules = rules or load_series_rules()
    index = 0
    while index < len(lines):
        cells = table_cells(lines[index].text)
        across = _classes_across(lines, index, cells, rules) if cells else ()
        if across:
            return across
        columns = _columns(cells, rules) if cells else None
        index += 1
        if columns is None:
            continue
        found: list[ListedClass] = []
        while index < len(lines):
            line = lines[index]
            if not line.text.strip():
                index += 1
                continue
            row = table_cells(line.text)
            if row is None:
                break
            index += 1
            if not row or len(row) <= max(columns.values()):
                continue
            title = collapse(rules.title_notes.sub("", row[columns["title"]]))
            if not title or _columns(row, rules) is not None:
                continue
            salary = _cell(row, columns, "salary")
            found.append(ListedClass(title, _cell(row, columns, "code"), line, _cell(row, columns, "schematic"),
                                     _cell(row, columns, "grade"),
                                     f"{salary} ({cells[columns['salary']]})" if salary else None))
        if len(found) >= rules.min_rows:
            return tuple(found)
    return ()


def _classes_across(lines: Sequence[Line], index: int, cells: tuple[str, ...], rules: SeriesRules
                    ) -> tuple[ListedClass, ...]:
    """The classes of a table with a column per class: a header row of titles after an empty (or "title") corner
    cell, then rows each opening with a column name (code, grade, schematic code) and giving a value per class.

    >>> rows = ["| | Planner I | Planner II |", "|---|---|", "| Class Code | 4311 | 4312 |", "| Grade | 38 | 42 |"]
    >>> [(c.title, c.code, c.grade) for c in find_listed_classes([Line(n, t) for n, t in enumerate(rows, 1)])]
    [('Planner I', '4311', '38'), ('Planner II', '4312', '42')]
    """
    corner, titles = cells[0], cells[1:]
    if len(titles) < rules.min_rows or not all(titles) or (
            corner and rules.column_of_header.get(fold(corner.rstrip(TRAILING_MARKS))) != "title"):
        return ()
    values: dict[str, tuple[str, ...]] = {}
    for line in lines[index + 1:]:
        if not line.text.strip():
            continue
        row = table_cells(line.text)
        if row is None:
            break
        if not row:
            continue
        column = rules.column_of_header.get(fold(row[0].rstrip(TRAILING_MARKS)))
        if column in ("code", "schematic", "grade") and len(row) == len(cells):
            values.setdefault(column, row[1:])
    if "code" not in values and "schematic" not in values:
        return ()

    def value(column: str, place: int) -> str | None:
        return (values[column][place] or None) if column in values else None

    return tuple(ListedClass(collapse(rules.title_notes.sub("", title)), value("code", place), lines[index],
                             value("schematic", place), value("grade", place)) for place, title in enumerate(titles))


def _title_key(text: str, rules: SeriesRules) -> str:
    """A heading or title folded for comparison: trailing marks and suffix words ("level") removed."""
    key = fold(text).strip(TRAILING_MARKS)
    for suffix in rules.title_suffixes:
        if key.endswith(" " + suffix):
            key = key[: -len(suffix) - 1].rstrip(TRAILING_MARKS)
    return key


def scope_heading(text: str, titles: Sequence[str], rules: SeriesRules | None = None,
                  heading: bool = False) -> tuple[int, ...] | None:
    """The classes (indexes into ``titles``; ``(ALL,)`` for every class) a sub-heading names, else None.

    ``heading`` says the reader knows the line is a heading: then a near miss (rapidfuzz) names a class too.

    >>> titles = ["Clerk I", "Clerk II", "Senior Clerk"]
    >>> scope_heading("All Levels:", titles), scope_heading("Clerk II", titles)
    ((-1,), (1,))
    >>> scope_heading("Clerk I and Senior Clerk", titles), scope_heading("Clerk I, Clerk II", titles)
    ((0, 2), (0, 1))
    >>> scope_heading("Clerks perform routine work.", titles) is None
    True
    >>> scope_heading("Analyst I", ["Analyst I", "Analyst I (Health)", "Analyst II (Health)"])
    (0, 1)
    >>> scope_heading("Analyst", ["Analyst, Range A", "Analyst, Range B", "Senior Analyst"], heading=True)
    (0, 1)
    >>> scope_heading("Analyst, Range A", ["Analyst", "Senior Analyst"], heading=True)
    (0,)
    >>> scope_heading("Clerk II Level and Above", titles), scope_heading("Senior Clerk and above", titles)
    ((1, 2), (2,))
    >>> scope_heading("All Levels Except Clerk I", titles)
    (1, 2)
    >>> scope_heading("All Levels other than Clerk I, Clerk II", titles)
    (2,)
    """
    rules = rules or load_series_rules()
    if len(text) > 300 or not text.strip():
        return None
    key = _title_key(text, rules)
    above = rules.and_above.search(key)
    if above is not None and above.start() > 0:
        lowest = scope_heading(key[:above.start()], titles, rules, heading)
        if lowest is None or ALL in lowest:
            return lowest
        return tuple(range(min(lowest), len(titles)))
    if key in rules.all_levels or (heading and rules.all_pattern.fullmatch(key)):
        return (ALL,)
    if (but := rules.all_except.search(key)) is not None and but.start() > 0:
        if scope_heading(key[:but.start()], titles, rules, heading) != (ALL,):
            return None
        left_out = _named_each(key[but.end():], titles, rules)
        return tuple(index for index in range(len(titles)) if index not in left_out) if left_out else None
    keys = [_title_key(title, rules) for title in titles]
    if key in keys:  # a title; a plain one names its bracketed variants too ("Specialist I": "Specialist I (Health)")
        variants = _named_by_qualifiers(key, keys, rules) if not QUALIFIER.search(key) else ()
        return tuple(sorted({keys.index(key), *variants}))
    parts = [part for part in rules.joiner.split(key) if part]
    if len(parts) > 1 and all(part in keys for part in parts):
        return tuple(sorted({keys.index(part) for part in parts}))
    by_qualifier = _named_by_qualifiers(key, keys, rules)
    if by_qualifier:
        return by_qualifier
    if heading:  # a title without what follows its first comma ("Analyst" for "Analyst, Range A", "Analyst, Range B")
        based = tuple(index for index, title in enumerate(keys) if "," in title and title.split(",")[0] == key)
        if based:
            return based
        if "," in key and key.split(",")[0] in keys:  # "Analyst, Range A" for the class "Analyst"
            return (keys.index(key.split(",")[0]),)
    if heading:  # a heading that is one of the titles' qualifiers ("Librarian" for "Teacher (Librarian) (...)")
        qualified = tuple(index for index, title in enumerate(keys) if key in _qualified(title)[1])
        if qualified and len(qualified) < len(keys):
            return qualified
    if heading and keys:
        scores = [fuzz.ratio(key, title) for title in keys]
        best = max(range(len(keys)), key=scores.__getitem__)
        if scores[best] >= rules.fuzzy_score and scores.count(scores[best]) == 1:
            return (best,)
    return None


def _named_each(text: str, titles: Sequence[str], rules: SeriesRules) -> set[int]:
    """The classes a list of titles names, each part on its own ("Cadet (Ranger) and Officer (Ranger) (Range A)");
    empty when a part names none."""
    named = scope_heading(text, titles, rules, heading=True)
    if named is not None and ALL not in named:
        return set(named)
    found: set[int] = set()
    for part in (part for part in rules.joiner.split(text) if part):
        named = scope_heading(part, titles, rules, heading=True)
        if named is None or ALL in named:
            return set()
        found.update(named)
    return found


QUALIFIER = re.compile(r"\s*\(([^()]*)\)")


@lru_cache(maxsize=1 << 14)  # asked of every title of a document for each of its sub-headings
def _qualified(key: str) -> tuple[str, frozenset[str]]:
    """A folded title split into its base and its bracketed qualifiers.

    >>> base, qualifiers = _qualified("office services supervisor i (general) (typing)")
    >>> base, sorted(qualifiers)
    ('office services supervisor i', ['general', 'typing'])
    """
    return collapse(QUALIFIER.sub(" ", key)), frozenset(collapse(found) for found in QUALIFIER.findall(key))


def _named_by_qualifiers(key: str, keys: Sequence[str], rules: SeriesRules) -> tuple[int, ...]:
    """The titles a sub-heading names through their qualifiers: "Supervisor I (Various Classes)" names every
    "Supervisor I (...)", "Supervisor I (General) (Typing)" the General and the Typing one.

    >>> rules = load_series_rules()
    >>> keys = ["supervisor i (general)", "supervisor i (typing)", "supervisor ii (general)"]
    >>> _named_by_qualifiers("supervisor i (various classes)", keys, rules)
    (0, 1)
    >>> _named_by_qualifiers("supervisor i (general) (typing)", keys, rules)
    (0, 1)
    >>> _named_by_qualifiers("supervisor i", keys, rules)
    (0, 1)
    """
    base, qualifiers = _qualified(key)
    if not base:
        return ()
    split = [_qualified(title) for title in keys]
    same_base = tuple(index for index, (title_base, _) in enumerate(split) if title_base == base)
    if not same_base or not qualifiers or qualifiers & rules.any_qualifier:
        return same_base
    return tuple(index for index in same_base if split[index][1] & qualifiers)


def split_title(first: str, second: str, titles: Sequence[str], rules: SeriesRules | None = None,
                alone: tuple[int, ...] | None = None) -> tuple[int, ...] | None:
    """The classes two heading lines in a row name as one title set over both, else None: the first line alone is
    no title as written (at most a near miss, ``alone``, of what it names as a heading) and the second names none.

    >>> titles = ["Representative I, License Board", "Representative I, License Board (Non-Peace Officer)"]
    >>> split_title("Representative I, License Board (Non-Peace", "Officer)", titles)
    (1,)
    >>> split_title("Representative I, License Board", "Either I", titles) is None
    True
    >>> split_title("Lb.", "Clerk Typist, License Board", ["Clerk Typist, License Board", "Clerk"])  # a stray end
    (0,)

    A second line wholly in brackets qualifies the first: it narrows what the first names to the variant it gives,
    or else (a note such as "(Levels A, B, and C)") leaves it as it is.

    >>> split_title("Consultant II", "(Specialist)", ["Consultant II (Specialist)", "Consultant II (Supervisory)"])
    (0,)
    >>> split_title("Technician I", "(Levels A, B, and C)", ["Technician I", "Technician II"])
    (0,)
    """
    rules = rules or load_series_rules()
    if QUALIFIER.fullmatch(second.strip()):
        first_names = scope_heading(first, titles, rules, heading=True)
        if first_names is not None and ALL not in first_names:
            both = scope_heading(f"{first} {second.strip()}", titles, rules, heading=True)
            return both if both and set(both) <= set(first_names) else first_names
    if alone is not None and scope_heading(first, titles, rules) is not None:
        return None
    both = scope_heading(f"{first} {second}", titles, rules, heading=True)
    second_names = scope_heading(second, titles, rules, heading=True)
    # a second line naming a class on its own is its own heading, unless the first is a stray fragment of it
    if second_names is None or (both is not None and set(both) <= set(second_names) and alone is None):
        return both
    return None


def scope_lines(lines: Sequence[Line], titles: Sequence[str], is_heading: Callable[[Line], bool],
                rules: SeriesRules | None = None) -> tuple[list[list[Line]], set[int]]:
    """The lines of one section that apply to each class, and the numbers of the scope headings themselves.

    What comes before any scope heading applies to every class. Scope headings in a row with nothing between
    them name one group ("Specialist I" then "Supervisor I", then their common text).

    >>> lines = [Line(n, t) for n, t in enumerate(["Intro.", "Clerk I", "One year.", "Clerk II", "Senior Clerk",
    ...                                            "Two years.", "All Levels", "Typing."], 1)]
    >>> scoped, headings = scope_lines(lines, ["Clerk I", "Clerk II", "Senior Clerk"], lambda line: False)
    >>> [[line.text for line in part] for part in scoped]  # doctest: +NORMALIZE_WHITESPACE
    [['Intro.', 'One year.', 'Typing.'], ['Intro.', 'Two years.', 'Typing.'], ['Intro.', 'Two years.', 'Typing.']]
    >>> sorted(headings)
    [2, 4, 5, 7]
    >>> split = [Line(n, t) for n, t in enumerate(["Senior Clerk, Department of", "Motor Vehicles", "Typing."], 1)]
    >>> scoped, _ = scope_lines(split, ["Clerk", "Senior Clerk, Department of Motor Vehicles"], lambda line: True)
    >>> [[line.text for line in part] for part in scoped]
    [[], ['Typing.']]
    >>> variants = [Line(n, t) for n, t in enumerate(["Analyst", "Shared.", "Analyst (Health)", "Own."], 1)]
    >>> scoped, _ = scope_lines(variants, ["Analyst", "Analyst (Health)", "Analyst (Law)"], lambda line: True)
    >>> [[line.text for line in part] for part in scoped]
    [['Shared.'], ['Own.'], ['Shared.']]
    """
    rules = rules or load_series_rules()
    everyone = tuple(range(len(titles)))
    scoped: list[list[Line]] = [[] for _ in titles]
    headings: set[int] = set()
    targets: tuple[int, ...] = everyone
    grouping = False  # the previous content line was a scope heading
    joined: set[int] = set()  # second halves of a title split over two heading lines
    content = [line for line in lines if line.text.strip()]
    lines_by_number = {line.number: line.text for line in content}
    following = {line.number: after for line, after in zip(content, content[1:], strict=False)}
    names: dict[int, tuple[int, ...]] = {}  # line -> the classes it names
    for line in content:
        if line.number in joined:
            continue
        named = scope_heading(line.text, titles, rules, heading=is_heading(line))
        after = following.get(line.number)
        if after is not None and is_heading(line) and is_heading(after):
            both = split_title(line.text, after.text, titles, rules, named)
            if both is not None:
                named = both
                joined.add(after.number)
                headings.add(after.number)
        if named is not None:
            names[line.number] = named
    # a plain title names its bracketed variants only where they have no sub-heading of their own
    alone = {named[0] for named in names.values() if len(named) == 1 and named != (ALL,)}
    keys = [_title_key(title, rules) for title in titles]
    for number, named in names.items():
        own = keys.index(key) if (key := _title_key(lines_by_number[number], rules)) in keys else None
        if own is not None and len(named) > 1:
            names[number] = tuple(index for index in named if index == own or index not in alone)
    for line in lines:
        if not line.text.strip():
            for target in targets:
                scoped[target].append(line)
            continue
        if line.number in joined:
            continue
        named = names.get(line.number)
        if named is not None:
            headings.add(line.number)
            chosen = everyone if named == (ALL,) else named
            targets = tuple(sorted(set(targets) | set(chosen))) if grouping else chosen
            grouping = True
            continue
        grouping = False
        for target in targets:
            scoped[target].append(line)
    return scoped, headings
