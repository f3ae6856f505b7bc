"""Write N synthetic job specifications in the seeds' layouts, with the truth in OUT/.manifest.json (hidden, so
`rolegraph build OUT` reads the specifications only).

    python bench/generate.py N OUT [--seed S]

Layouts (see examples/specs):
  el-paso  plain text: "CITY OF X, STATE - JOB SPECIFICATION <code> <plan> <grade>", branch/group/series
           lines, Summary / Typical Duties / Minimum Qualifications / Knowledge, Abilities and Skills.
  houston  Markdown: "# CITY OF X", Job Code / Job Title / Pay Grade lines, RESPONSIBILITIES bullets,
           JOB FAMILY list (an explicit ladder).
  plain    no jurisdiction: "Code N" / "Grade GS N" lines, General Purpose, Knowledge, Skills, and Abilities
           bullets; some carry a "Valid Class C <State> Driver's License" line (the state is then inferred).

Classes come in units: a ladder of 2-4 levels of one occupation in one jurisdiction and pay plan (titles
"X", "Senior X", "X Supervisor", "X Manager"; grades rising; experience thresholds rising and gained
"as a" the level below; knowledge shared across levels at rising proficiency), or a standalone class.
Houston ladders are explicit (JOB FAMILY); el-paso and plain ladders are derivable (same series, rising
grade, experience in the class below, shared KSAs). Defects are injected into standalone classes only, so
ladders stay clean: missing code (houston), missing jurisdiction (plain), missing grade, duties or KSAs.

The manifest holds, per file, the class it specifies (title, code, jurisdiction, state, pay plan, grade),
its defects and the validation findings they must produce (shape id + severity), and the expected ladder
edges. Same N and seed -> byte-identical output. Pure string building: 100k files take seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Spec", "generate", "write_specs", "main"]

MANIFEST = ".manifest.json"  # hidden: a build of OUT skips it (iter_source_paths skips hidden files)

GAZETTEER = [("Houston", "Texas"), ("El Paso", "Texas"), ("Dallas", "Texas"), ("Austin", "Texas"),
             ("San Antonio", "Texas"), ("Fort Worth", "Texas"), ("San Diego", "California"),
             ("San Jose", "California"), ("Phoenix", "Arizona"), ("Chicago", "Illinois"),
             ("Philadelphia", "Pennsylvania"), ("Seattle", "Washington"), ("Denver", "Colorado")]
STATES = ["Texas", "Ohio", "Oregon", "Georgia", "Kansas", "Iowa", "Utah", "Maine", "Nevada", "Idaho", "Montana",
          "Virginia", "Michigan", "Florida", "Alabama", "Kentucky", "Missouri", "Nebraska", "Indiana", "Vermont"]
TOWN_FIRST = ["River", "Oak", "Cedar", "Maple", "Pine", "Stone", "Clear", "Fair", "Green", "Red", "Silver", "Spring",
              "Wood", "Lake", "Elm", "Ash", "Bright", "Cold", "Deer", "Eagle", "Fox", "Glen", "High", "Iron",
              "Mill", "North", "South", "West", "East", "Rock", "Sand", "Bay", "Brook", "Hill", "Sun", "Moon"]
TOWN_SECOND = ["ton", "ville", "field", "dale", "wood", "ford", "port", "view", "side", "burg", "haven", "crest",
               "mont", "ridge", "water", "land", "stead", "wick", "bury", "gate"]
PAY_PLANS = ["GS", "PS", "CL", "MS", "TS"]
LEVEL_TITLES = ["{base}", "Senior {base}", "{base} Supervisor", "{base} Manager"]
LEVEL_WORDS = ["some", "good", "considerable", "thorough"]  # knowledge proficiency rises with the level
# Words before a town name once every name is used ("North Oakton"), so jurisdictions stay unique at any size.
QUALIFIERS = ["New", "North", "South", "East", "West", "Upper", "Lower", "Lake", "Mount", "Fort", "Port", "Glen"]
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
YEARS_BY_LEVEL = [1, 2, 4, 6]

# Occupations: base title -> (branch, group, field of experience, objects of the work, knowledge areas)
OCCUPATIONS: dict[str, tuple[str, str, str, list[str], list[str]]] = {
    "Accounting Clerk": ("Clerical and Office", "Fiscal", "bookkeeping",
                         ["ledgers", "invoices", "vendor payments", "journal entries", "account reconciliations"],
                         ["bookkeeping practices", "accounts payable procedures", "spreadsheet software"]),
    "Permit Technician": ("Technical", "Development Services", "permit processing",
                          ["building permits", "plan submittals", "inspection requests", "fee schedules"],
                          ["building codes", "zoning regulations", "permit tracking systems"]),
    "Utility Billing Clerk": ("Clerical and Office", "Customer Service", "utility billing",
                              ["utility accounts", "meter readings", "billing adjustments", "service orders"],
                              ["utility rate structures", "customer service techniques", "billing software"]),
    "Water Treatment Operator": ("Trades and Labor", "Utilities", "water treatment plant operation",
                                 ["chemical feed systems", "filters", "pumps", "water samples"],
                                 ["water treatment processes", "chemical safety", "sampling methods"]),
    "Building Inspector": ("Technical", "Inspection", "construction inspection",
                           ["construction sites", "building plans", "code violations", "inspection reports"],
                           ["building construction methods", "inspection techniques", "safety codes"]),
    "Librarian": ("Professional", "Library Services", "library services",
                  ["library collections", "reference requests", "reading programs", "catalog records"],
                  ["library classification systems", "reference sources", "children's literature"]),
    "Recreation Leader": ("Recreation", "Parks and Recreation", "recreation programming",
                          ["recreation programs", "youth activities", "facility schedules", "equipment"],
                          ["recreation program planning", "group leadership", "first aid"]),
    "Code Enforcement Officer": ("Technical", "Neighborhood Services", "code enforcement",
                                 ["property complaints", "violation notices", "case files", "abatements"],
                                 ["property maintenance codes", "investigation methods", "case law"]),
    "Fleet Mechanic": ("Trades and Labor", "Fleet Services", "automotive repair",
                       ["city vehicles", "diesel engines", "hydraulic systems", "repair orders"],
                       ["automotive diagnostics", "hydraulic systems", "shop safety practices"]),
    "Payroll Specialist": ("Clerical and Office", "Human Resources", "payroll processing",
                           ["payroll records", "time sheets", "deductions", "payroll reports"],
                           ["payroll laws", "timekeeping systems", "tax withholding rules"]),
    "Planner": ("Professional", "Planning", "urban planning",
                ["land use applications", "zoning cases", "comprehensive plans", "public hearings"],
                ["land use planning principles", "zoning law", "demographic analysis"]),
    "Procurement Specialist": ("Professional", "Purchasing", "public purchasing",
                               ["bid solicitations", "purchase orders", "vendor contracts", "price quotes"],
                               ["public procurement law", "contract administration", "negotiation methods"]),
    "Records Clerk": ("Clerical and Office", "Records Management", "records management",
                      ["public records", "retention schedules", "records requests", "archives"],
                      ["records retention laws", "filing systems", "public information rules"]),
    "Communications Dispatcher": ("Public Safety", "Emergency Communications", "emergency dispatching",
                                  ["emergency calls", "radio traffic", "unit assignments", "incident logs"],
                                  ["dispatch protocols", "radio procedures", "street geography"]),
    "Laboratory Technician": ("Technical", "Environmental Services", "laboratory testing",
                              ["water samples", "laboratory instruments", "test results", "quality controls"],
                              ["laboratory procedures", "chemistry principles", "quality assurance methods"]),
    "Property Appraiser": ("Professional", "Tax Assessment", "property appraisal",
                           ["property valuations", "sales data", "appraisal records", "appeals"],
                           ["appraisal methods", "real estate markets", "property tax law"]),
    "Animal Care Attendant": ("Public Safety", "Animal Services", "animal care",
                              ["shelter animals", "kennels", "feeding schedules", "adoption records"],
                              ["animal behavior", "sanitation practices", "animal handling methods"]),
    "Electrician": ("Trades and Labor", "Facilities Maintenance", "electrical work",
                    ["electrical systems", "lighting fixtures", "wiring", "work orders"],
                    ["electrical codes", "electrical troubleshooting", "lockout procedures"]),
    "Budget Analyst": ("Professional", "Finance", "budget analysis",
                       ["budget requests", "expenditure reports", "revenue forecasts", "fiscal notes"],
                       ["public budgeting", "financial analysis methods", "forecasting techniques"]),
    "Traffic Signal Technician": ("Technical", "Transportation", "traffic signal maintenance",
                                  ["traffic signals", "signal controllers", "detection loops", "timing plans"],
                                  ["traffic signal systems", "electronics", "traffic control standards"]),
    "Parks Maintenance Worker": ("Trades and Labor", "Parks and Recreation", "grounds maintenance",
                                 ["park grounds", "irrigation systems", "playground equipment", "turf"],
                                 ["grounds maintenance methods", "irrigation systems", "small engine repair"]),
    "Systems Analyst": ("Professional", "Information Technology", "systems analysis",
                        ["business applications", "system requirements", "database reports", "user requests"],
                        ["systems analysis methods", "database design", "programming languages"]),
    "Grants Coordinator": ("Professional", "Finance", "grant administration",
                           ["grant applications", "grant budgets", "compliance reports", "award files"],
                           ["grant regulations", "federal reporting rules", "budget monitoring"]),
    "Crime Analyst": ("Public Safety", "Police Support", "crime analysis",
                      ["crime reports", "incident data", "crime maps", "analytical bulletins"],
                      ["crime analysis techniques", "statistical methods", "mapping software"]),
}
VERBS = ["Review", "Process", "Prepare", "Maintain", "Inspect", "Coordinate", "Verify", "Record", "Monitor",
         "Schedule", "Investigate", "Update", "Analyze", "Compile", "Track"]
SUPERVISION = ["close", "general", "direct", "limited"]
ABILITIES = ["communicate clearly and concisely orally and in writing", "establish and maintain effective "
             "working relationships", "follow oral and written instructions", "keep accurate records",
             "use sound judgment", "operate a personal computer", "meet deadlines under pressure"]
DEFECT_TO_FINDINGS = {  # defect -> (shape id, severity) the shipped shapes must report
    "missing-code": [("Code", "violation")],
    "missing-jurisdiction": [("Jurisdiction", "violation")],
    "inferred-jurisdiction": [("InferredJurisdiction", "info")],
    "missing-grade": [("PayGrade", "violation")],
    "missing-duties": [("Duties", "warning")],
    "missing-ksas": [("KnowledgeSkillsAbilities", "warning")],
}
DEFECTS_BY_LAYOUT = {"el-paso": ["missing-grade", "missing-duties", "missing-ksas"],
                     "houston": ["missing-code", "missing-grade", "missing-duties", "missing-ksas"],
                     "plain": ["missing-grade", "missing-duties", "missing-ksas"]}
# A class with no jurisdiction may merge with a same-titled, code-less class anywhere: the no-jurisdiction
# layout titles its classes apart ("Municipal Accounting Clerk").
PLAIN_PREFIX = "Municipal"
HOUSTON_SHARE = 0.35  # share of jurisdictions writing the Markdown layout (the rest: el-paso)
STANDALONE_SHARE = 0.3  # share of units that are a single class
DEFECT_SHARE = 0.6  # share of standalone classes given one defect


@dataclass
class Spec:
    """One generated specification and the truth about it."""

    file: str
    layout: str
    title: str
    code: str | None
    jurisdiction: str | None
    state: str | None
    pay_plan: str | None
    grade: int | None
    series: str
    level: int  # 1 = entry level of its ladder
    ladder: int  # the ladder (unit) the class belongs to; a standalone class is a ladder of one
    defects: list[str] = field(default_factory=list)
    expected_findings: list[dict[str, str]] = field(default_factory=list)
    stated_state: str | None = None  # state named in a licence line (plain layout)


@dataclass
class _Unit:
    layout: str
    jurisdiction: str | None
    state: str | None
    pay_plan: str
    base: str
    base_grade: int
    levels: int
    license_state: str | None = None
    defect: str | None = None


def _jurisdictions(rng: random.Random) -> Iterator[tuple[str, str]]:
    """(name, state) forever: gazetteer cities mixed into made-up towns and counties."""
    names = [first + second for first in TOWN_FIRST for second in TOWN_SECOND]
    rng.shuffle(names)
    known = [(f"City of {city}", state) for city, state in GAZETTEER]
    round_ = 0
    while True:
        for position, name in enumerate(names):
            if round_ == 0 and position % 3 == 0 and known:
                yield known.pop(0)
            kind = "City" if round_ % 2 == 0 else "County"
            yield f"{kind} of {_qualified(name, round_ // 2)}", STATES[_state_index(name, round_)]
        round_ += 1


def _qualified(name: str, cycle: int) -> str:
    """A town name made unique for the ``cycle``-th time round the names, in words as real places are named
    (digits would be no place name a specification states).

    >>> _qualified("Oakton", 0), _qualified("Oakton", 1), _qualified("Oakton", len(QUALIFIERS) + 1)
    ('Oakton', 'New Oakton', 'New New Oakton')
    """
    words: list[str] = []
    while cycle:
        cycle -= 1
        words.append(QUALIFIERS[cycle % len(QUALIFIERS)])
        cycle //= len(QUALIFIERS)
    return " ".join([*words, name])


def _state_index(name: str, salt: int) -> int:
    """A stable index into STATES (Python's hash() is salted per process, so not that)."""
    return sum((index + 1 + salt) * ord(char) for index, char in enumerate(name)) % len(STATES)


def _units(n: int, rng: random.Random) -> Iterator[_Unit]:
    """Units until n classes: each jurisdiction gets each occupation at most once (titles stay unique)."""
    bases = sorted(OCCUPATIONS)
    made = 0
    defects_made = dict.fromkeys(DEFECTS_BY_LAYOUT, 0)
    for name, state in _jurisdictions(rng):
        layout = "houston" if rng.random() < HOUSTON_SHARE else "el-paso"
        for base in rng.sample(bases, rng.randint(3, 10)):
            if made >= n:
                return
            plain = rng.random() < 0.15
            unit_base = f"{PLAIN_PREFIX} {base}" if plain else base
            levels = 1 if rng.random() < STANDALONE_SHARE else rng.randint(2, len(LEVEL_TITLES))
            levels = min(levels, n - made)
            unit = _Unit("plain" if plain else layout, None if plain else name, None if plain else state,
                         rng.choice(PAY_PLANS), unit_base, rng.randint(5, 30), levels)
            if plain and rng.random() < 0.3:
                unit.license_state = state
            if levels == 1 and rng.random() < DEFECT_SHARE:  # each layout's defects in turn
                choices = DEFECTS_BY_LAYOUT[unit.layout]
                unit.defect = choices[defects_made[unit.layout] % len(choices)]
                defects_made[unit.layout] += 1
            made += levels
            yield unit


def _occupation(base: str) -> tuple[str, str, str, list[str], list[str]]:
    return OCCUPATIONS[base.removeprefix(f"{PLAIN_PREFIX} ")]


def _years(count: int) -> str:
    return f"{NUMBER_WORDS[count]} ({count}) year{'s' if count != 1 else ''}"


def _duties(rng: random.Random, objects: list[str], level: int) -> list[tuple[str, list[str]]]:
    duties = []
    for _ in range(2 + (level > 0)):
        lead = f"{rng.choice(VERBS)} {rng.choice(objects)} to support {'unit' if level < 2 else 'section'} operations"
        tasks = [f"{verb.lower()} {obj}" for verb, obj in zip(rng.sample(VERBS, 3), rng.sample(objects, 3),
                                                                strict=True)]
        duties.append((lead, tasks))
    if level >= 2:
        duties.append(("Supervise assigned staff", ["assign and check work", "evaluate performance",
                                                    "train new employees"]))
    return duties


def _ksas(knowledge: list[str], level: int, rng: random.Random) -> tuple[list[tuple[str, str]], list[str]]:
    """Knowledge areas shared by every level (proficiency rising with it), plus abilities."""
    word = LEVEL_WORDS[min(level, len(LEVEL_WORDS) - 1)]
    leveled = [(word, area) for area in knowledge]
    if level >= 2:
        leveled.append(("some" if level == 2 else "good", "supervisory techniques"))
    return leveled, sorted(rng.sample(ABILITIES, 3))


@dataclass
class _Text:
    title: str
    code: str | None
    plan: str | None
    grade: int | None
    summary: str
    duties: list[tuple[str, list[str]]]
    knowledge: list[tuple[str, str]]
    abilities: list[str]
    years: int
    below: str | None
    field: str
    branch: str
    group: str
    series: str
    family: list[str]
    license_state: str | None


def _el_paso(text: _Text, jurisdiction: str, state: str) -> str:
    header = f"{jurisdiction.upper()}, {state.upper()} - JOB SPECIFICATION {text.code}"
    if text.grade is not None:
        header += f" {text.plan} {text.grade}"
    lines = ["", header + " ", "", f"{text.branch} Branch {text.title.upper()} ", f"{text.group} Group ",
             f"{text.series} Series 01/00 (GEN) ", "", "Summary ", "", text.summary + " ", ""]
    if text.duties:
        lines += ["Typical Duties ", ""]
        for lead, tasks in text.duties:
            lines += [f"{lead}. Involves: {'; '.join(tasks)}. ", ""]
    lines += ["Minimum Qualifications ", "", f"Training and Experience:  Graduation from High School or GED "
              f"equivalent, plus {_years(text.years)} experience in {text.field}"
              + (f", including experience as a {text.below}" if text.below else "")
              + ", or an equivalent combination of training and experience. ", ""]
    if text.knowledge:
        by_word: dict[str, list[str]] = {}
        for word, area in text.knowledge:
            by_word.setdefault(word, []).append(area)
        parts = [f"{word.capitalize()} knowledge of: {'; '.join(areas)}." for word, areas in by_word.items()]
        lines += ["Knowledge, Abilities and Skills:  " + " ".join(parts) + " ", "",
                  f"Ability to: {'; '.join(text.abilities)}. ", ""]
    return "\n".join(lines) + "\n"


def _houston(text: _Text, jurisdiction: str, state: str, known: bool) -> str:
    place = jurisdiction.upper() if known else f"{jurisdiction.upper()}, {state.upper()}"
    lines = ["", "", f"# {place}", "", "## JOB DESCRIPTION", "", "---", ""]
    if text.code:
        lines += [f"Job Code: {text.code}", ""]
    lines += [f"Job Title: **{text.title.upper()}**", ""]
    if text.grade is not None:
        lines += [f"Pay Grade: {text.grade}", ""]
    lines += ["### **GENERAL SUMMARY:**", "", text.summary, ""]
    if text.duties:
        lines += ["### **RESPONSIBILITIES:**", ""]
        lines += [f"- {lead}. Involves: {', '.join(tasks)}." for lead, tasks in text.duties]
        lines += ["- Performs other duties as assigned.", ""]
    lines += ["### **SPECIFICATIONS:**", "", "#### **EDUCATION:**", "", "Requires a high school diploma or a GED.",
              "", "#### **EXPERIENCE:**", "",
              f"{NUMBER_WORDS[text.years].capitalize()} year{'s' if text.years != 1 else ''} of {text.field} "
              f"experience{f' as a {text.below}' if text.below else ''} is required.", ""]
    if text.knowledge:
        lines += ["#### **KNOWLEDGE, SKILLS AND ABILITIES:**", ""]
        lines += [f"- {word.capitalize()} knowledge of {area}." for word, area in text.knowledge]
        lines += [f"- Ability to {ability}." for ability in text.abilities]
        lines += [""]
    if text.family:
        lines += ["## **JOB FAMILY:**", "", "  \n".join(text.family), ""]
    lines += ["*Effective Date: July 2000*", ""]
    return "\n".join(lines)


def _plain(text: _Text) -> str:
    lines = ["", "", "", "", "JOB SPECIFICATION", ""]
    if text.code:
        lines += [f"Code {text.code}", ""]
    if text.grade is not None:
        lines += [f"Grade {text.plan} {text.grade}", ""]
    lines += [text.title.upper(), "", "General Purpose", "", text.summary, ""]
    if text.duties:
        lines += ["Typical Duties:", ""]
        for lead, tasks in text.duties:
            lines += [f"{lead}. Involves: {'. '.join(task.capitalize() for task in tasks)}.", ""]
    if text.knowledge:
        lines += ["Knowledge, Skills, and Abilities", ""]
        lines += [f"- Application of {word} knowledge of {area}." for word, area in text.knowledge]
        lines += [f"- Ability to {ability}." for ability in text.abilities]
        lines += [""]
    lines += ["Minimum Qualifications", "", f"Education and Experience: A High School diploma or GED, and "
              f"{_years(text.years)} {text.field} experience"
              + (f", including experience as a {text.below}" if text.below else "") + ".", ""]
    if text.license_state:
        lines += [f"Licenses and Certificates: Valid Class C {text.license_state} Driver's License.", ""]
    return "\n".join(lines)


def generate(n: int, seed: int = 0) -> Iterator[tuple[Spec, str]]:
    """Yield (truth, text) for ``n`` specifications, deterministically for a seed."""
    rng = random.Random(seed)
    known_places = {f"City of {city}" for city, _ in GAZETTEER}
    index = 0
    code = 10000
    for ladder, unit in enumerate(_units(n, rng), start=1):
        branch, group, field_, objects, knowledge = _occupation(unit.base)
        titles = [pattern.format(base=unit.base) for pattern in LEVEL_TITLES[:unit.levels]]
        for level, title in enumerate(titles):
            index += 1
            code += rng.randint(1, 9)
            defect = unit.defect
            grade = unit.base_grade + 2 * level
            leveled, abilities = _ksas(knowledge, level, rng)
            text = _Text(
                title=title, code=None if defect == "missing-code" else str(code), plan=unit.pay_plan,
                grade=None if defect == "missing-grade" else grade,
                summary=f"Under {rng.choice(SUPERVISION)} supervision, {rng.choice(VERBS).lower()} "
                        f"{rng.choice(objects)} and related {field_} activities.",
                duties=[] if defect == "missing-duties" else _duties(rng, objects, level),
                knowledge=[] if defect == "missing-ksas" else leveled,
                abilities=abilities, years=YEARS_BY_LEVEL[level], below=titles[level - 1] if level else None,
                field=field_, branch=branch, group=group, series=f"{unit.base} Series",
                family=titles if unit.layout == "houston" and unit.levels > 1 else [],
                license_state=unit.license_state)
            name = f"{index:06d}.{'md' if unit.layout == 'houston' else 'txt'}"
            if unit.layout == "el-paso":
                body = _el_paso(text, unit.jurisdiction or "", unit.state or "")
            elif unit.layout == "houston":
                body = _houston(text, unit.jurisdiction or "", unit.state or "", unit.jurisdiction in known_places)
            else:
                body = _plain(text)
            defects = [defect] if defect else []
            if unit.layout == "plain":
                defects.append("missing-jurisdiction")
                if unit.license_state:
                    defects.append("inferred-jurisdiction")
            spec = Spec(name, unit.layout, title, text.code, unit.jurisdiction, unit.state,
                        unit.pay_plan if text.grade is not None and unit.layout != "houston" else None,
                        text.grade, unit.base, level + 1, ladder, sorted(defects),
                        sorted(({"shape": shape, "severity": severity} for item in defects
                                for shape, severity in DEFECT_TO_FINDINGS[item]),
                               key=lambda finding: finding["shape"]),
                        unit.license_state)
            yield spec, body


def _ladder_edges(specs: list[Spec]) -> list[dict[str, object]]:
    """Consecutive levels of one unit: explicit for houston (JOB FAMILY), derivable otherwise."""
    edges = []
    by_unit: dict[int, list[Spec]] = {}
    for spec in specs:
        by_unit.setdefault(spec.ladder, []).append(spec)
    for members in by_unit.values():
        members.sort(key=lambda spec: spec.level)
        for lower, upper in zip(members, members[1:], strict=False):
            edges.append({"from": lower.file, "to": upper.file, "from_title": lower.title, "to_title": upper.title,
                          "from_code": lower.code, "to_code": upper.code,
                          "kind": "job-family" if lower.layout == "houston" else "series",
                          "months": YEARS_BY_LEVEL[upper.level - 1] * 12})
    return edges


def write_specs(n: int, out: Path, seed: int = 0) -> dict[str, object]:
    """Write the specifications and .manifest.json under ``out``; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    specs = []
    for spec, body in generate(n, seed):
        (out / spec.file).write_text(body, encoding="utf-8")
        specs.append(spec)
    manifest = {
        "generator": "bench/generate.py",
        "n": n,
        "seed": seed,
        "defect_to_findings": {key: [{"shape": s, "severity": v} for s, v in value]
                               for key, value in DEFECT_TO_FINDINGS.items()},
        "files": [asdict(spec) for spec in specs],
        "ladder_edges": _ladder_edges(specs),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of specifications")
    parser.add_argument("out", type=Path, help="output folder (created)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same N and seed: same bytes)")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("N must be 0 or more")
    manifest = write_specs(args.n, args.out, args.seed)
    files = manifest["files"]
    print(f"wrote {len(files)} specifications and {MANIFEST} to {args.out} "  # type: ignore[arg-type]
          f"({len(manifest['ladder_edges'])} ladder edges)")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
