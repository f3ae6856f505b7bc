"""Ways a requirement names the classes its experience is earned in (issues #19 and #20, explicit steps).

Each phrasing is a sentence of a made-up employer (Kestrel County) with the classes it names and the months that
govern each; then how the names resolve to the employer's classes (variants, ranges, former titles, composed
discipline titles) and the explicit steps they give.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from rolegraph.merge import add_named_classes
from rolegraph.model import (
    Bulletin,
    ExperienceRequirement,
    JobClass,
    Jurisdiction,
    Line,
    Provenance,
    SalaryRange,
    Text,
)
from rolegraph.parser.passage import Passage
from rolegraph.parser.requirements import experience_in_classes, noted_experience, parse_requirement_paths
from rolegraph.parser.tables import load_rules

RULES = load_rules()

PHRASINGS = [
    # a class with its range: the range stays with the name, written one way
    ("One year of experience in Kestrel County service performing clerical duties at a level of responsibility "
     "equivalent to that of a Records Assistant, Range B.", [("Records Assistant (Range B)", 12)]),
    ("Two years of work experience performing duties comparable to those of a Records Assistant (Range B) in "
     "Kestrel County service.", [("Records Assistant (Range B)", 24)]),
    # classes with a parenthesized qualifier, joined by "or"
    ("One year of experience performing duties comparable to a Junior Data Analyst (Specialist) or a Junior Data "
     "Analyst (Supervisor).", [("Junior Data Analyst (Specialist)", 12), ("Junior Data Analyst (Supervisor)", 12)]),
    ("Two years of experience performing the duties of a Field Ecologist Manager I (Supervisory) or Field "
     "Ecologist Manager I (Managerial).",
     [("Field Ecologist Manager I (Supervisory)", 24), ("Field Ecologist Manager I (Managerial)", 24)]),
    # a base title (resolved below to every class of that title with a qualifier)
    ("Two years of experience in Kestrel County service performing the duties of a Senior Field Ecologist.",
     [("Senior Field Ecologist", 24)]),
    # duties / responsibility equivalent or comparable to a class, without "those of"
    ("One year of experience performing duties equivalent to an Associate Land Mapper in Kestrel County service.",
     [("Associate Land Mapper", 12)]),
    ("Three years of field surveying experience equivalent in responsibility to the Assistant Land Mapper level.",
     [("Assistant Land Mapper", 36)]),
    # a sentence not cut at its first comma
    ("Two years of experience performing forest, range, or watershed management duties in a class comparable in "
     "level to a Woodland Ranger I (Nonsupervisory).", [("Woodland Ranger I (Nonsupervisory)", 24)]),
    # a list of disciplines after a colon: one class per discipline, "senior <discipline> inspector"
    ("Two years of full-time paid experience with Kestrel County as a senior inspector in any of the following "
     "inspection disciplines:  Building, Building Mechanical, Electrical, or Pressure Vessels.",
     [("Senior Building Inspector", 24), ("Senior Building Mechanical Inspector", 24),
      ("Senior Electrical Inspector", 24), ("Senior Pressure Vessels Inspector", 24)]),
    # "in a class / position at the level of"
    ("Two years of full-time paid office clerical experience with Kestrel County in a class at the level of "
     "Senior Records Clerk.", [("Senior Records Clerk", 24)]),
    ("Three years of experience in a position at the level of Park Keeper.", [("Park Keeper", 36)]),
    # current employment: held now, no stated time
    ("Current employment as a Vocational Helper with Kestrel County.", [("Vocational Helper", 0)]),
    # "any combination of X and ..."
    ("Two years of full-time paid experience in any combination of Tree Trimmer and tree care experience.",
     [("Tree Trimmer", 24)]),
    # a comma-containing title joined by ";"
    ("One year of experience as a Crew Leader, Kestrel Conservation Corps; or Trail Supervisor.",
     [("Crew Leader, Kestrel Conservation Corps", 12), ("Trail Supervisor", 12)]),
    # a list of titles joined by ";" to the end of the sentence (issue 20): every one, not the first alone
    ("One year of experience performing duties comparable to a Records Assistant (Range C); Data Clerk II; "
     "Records Supervisor II; or Mail Room Supervisor II.",
     [("Records Assistant (Range C)", 12), ("Data Clerk II", 12), ("Records Supervisor II", 12),
      ("Mail Room Supervisor II", 12)]),
    # ... but a ";" before a piece that is no title ends the list
    ("One year of experience as a Park Keeper; Graduation from high school is required.", [("Park Keeper", 12)]),
    # a training program completed in a class; a window of time ("within the last three years") is no duration,
    # nor is one of another sentence
    ("Successful completion (within the last three years) of the Department's basic training program as a Harbor "
     "Patrol Cadet.", [("Harbor Patrol Cadet", 0)]),
    ("Two years of college. Completion of the academy training program as a Harbor Patrol Cadet.",
     [("Harbor Patrol Cadet", 0)]),
    ("Two years of experience as a Sr. Harbor Patrol Officer.", [("Senior Harbor Patrol Officer", 24)]),
    # a title with its organisation or setting after a comma: one class, not two (issue 19, the CalHR sample)
    ("One year of experience performing the duties of a Harbor Patrol Officer I, Kestrel Marine Facility.",
     [("Harbor Patrol Officer I, Kestrel Marine Facility", 12)]),
    ("Three years performing the duties as a Road Engineer, Kestrel Roads Department, in Kestrel County service.",
     [("Road Engineer, Kestrel Roads Department", 36)]),
    ("Two years of experience performing the duties of a Nutrition Consultant II, Department of Public Health "
     "(Specialist) or a Nutrition Consultant II, Department of Public Health (Supervisory).",
     [("Nutrition Consultant II, Department of Public Health (Specialist)", 24),
      ("Nutrition Consultant II, Department of Public Health (Supervisory)", 24)]),
    ("One year of experience performing counseling duties in a class at a level of responsibility equivalent to "
     "a Dorm Counselor, Kestrel School for the Deaf.", [("Dorm Counselor, Kestrel School for the Deaf", 12)]),
    # "equivalent to the classes of X, or Y"; "... in level and responsibility to that of X"
    ("One year of experience performing residential care at a level of responsibility equivalent to the classes "
     "of Night Aide, Kestrel School for the Deaf, or Classroom Aide.",
     [("Night Aide, Kestrel School for the Deaf", 12), ("Classroom Aide", 12)]),
    ("One year of experience performing duties of a class equivalent in level and responsibility to that of "
     "Senior Herd Inspector (Dairy) or Herd Specialist (Dairy).",
     [("Senior Herd Inspector (Dairy)", 12), ("Herd Specialist (Dairy)", 12)]),
    # "the duties of a X or of a Y": the second class too
    ("In Kestrel County, six months of experience performing the duties of a Survey Technician Trainee or of a "
     "Tally Clerk.", [("Survey Technician Trainee", 6), ("Tally Clerk", 6)]),
    # "including one year ... as a X": the part's duration governs X; "N years of which ... at a level equivalent to"
    ("Two years of maintenance experience, including one year of experience as a Grounds Worker I with Kestrel "
     "County.", [("Grounds Worker I", 12)]),
    ("Four years of maintenance experience, two years of which must have been at a level equivalent to Grounds "
     "Worker II.", [("Grounds Worker II", 24)]),
    # a role named with a state's or province's name is a status held under that place's law (a sworn or
    # licensed occupation), or the name of one of its bodies, not a class of the employer (issue 19: 1954's "since
    # employment as a California Peace Officer")
    ("Eligible for the recertification course if more than three years have lapsed since employment as an Oregon "
     "Peace Officer.", []),
    ("Two years of experience as an Ontario Registered Practical Nurse.", []),
    # ... while after a comma such a name is the body of the title before it (kept with it, as other settings are)
    ("One year of experience performing the duties of a Sales Agent, Oregon State Lottery, or a Route Supervisor, "
     "Oregon State Lottery.", [("Sales Agent, Oregon State Lottery", 12), ("Route Supervisor, Oregon State Lottery",
                                                                          12)]),
    # lower-case generic roles are fields, not classes
    ("Two years of full-time paid experience as a journey-level plumber.", []),
    ("One year of full-time paid experience as a security guard or in a similar capacity.", []),
]


def _passage(sentence: str) -> Passage:
    return Passage([Line(1, sentence)], "kestrel.txt", "0")


def _named(requirements: tuple[ExperienceRequirement, ...]) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []

    def visit(requirement: ExperienceRequirement) -> None:
        found.extend((name, int(requirement.months)) for name in requirement.in_classes
                     if (name, int(requirement.months)) not in found)
        for part in requirement.included:
            visit(part)

    for requirement in requirements:
        visit(requirement)
    return found


@pytest.mark.parametrize(("sentence", "expected"), PHRASINGS, ids=[expected[0][0] if expected else sentence[:40]
                                                                   for sentence, expected in PHRASINGS])
def test_named_classes_and_months(sentence: str, expected: list[tuple[str, int]]) -> None:
    assert _named(experience_in_classes(_passage(sentence), RULES)) == expected


def test_a_note_naming_classes_that_meet_a_requirement_names_feeders_not_a_path() -> None:
    """'Experience in the classes of A, B, or C meets the journey-level experience requirement': the classes are
    feeders with the months of the requirement they meet (the one whose words the note names), and no path."""
    lines = [Line(1, "1. Four years of full-time paid experience as a journey-level pump mechanic; or"),
             Line(2, "2. Six years of full-time paid experience in pump repair work.")]
    paths, _ = parse_requirement_paths(Passage(lines, "kestrel.txt", "0"), RULES)
    experience = tuple(e for path in paths for item in path.items for e in item.experience)
    note = Passage([Line(9, "Experience in the classes of Pump Mechanic, Senior Pump Mechanic, or Well Driller "
                            "meets the journey-level experience requirement.")], "kestrel.txt", "0")
    found = noted_experience([note], experience, RULES)
    assert _named(found) == [("Pump Mechanic", 48), ("Senior Pump Mechanic", 48), ("Well Driller", 48)]
    assert found[0].where.line_start == 9 and len(paths) == 2
    other = Passage([Line(9, "Experience in the classes of Pump Mechanic is desirable.")], "kestrel.txt", "0")
    assert noted_experience([other], experience, RULES) == ()


def test_lettered_classes_joined_by_or() -> None:
    lines = [Line(1, "Two years of full-time paid experience with Kestrel County as:"),
             Line(2, "a. a Park Keeper; or"), Line(3, "b. a Senior Gardener.")]
    paths, _ = parse_requirement_paths(Passage(lines, "kestrel.txt", "0"), RULES)
    found = [(name, int(e.months)) for path in paths for item in path.items
             for e in item.experience for name in e.in_classes]
    found += [(name, int(e.months)) for path in paths for item in path.items for sub in item.items
              for e in sub.experience for name in e.in_classes]
    assert sorted(set(found)) == [("Park Keeper", 24), ("Senior Gardener", 24)]


def test_description_keeps_the_whole_list() -> None:
    sentence = PHRASINGS[8][0]
    (requirement,) = experience_in_classes(_passage(sentence), RULES)
    assert requirement.description.endswith("Electrical, or Pressure Vessels")


# -- resolution -----------------------------------------------------------------------------------------------

KESTREL = Jurisdiction("Kestrel County", "Oregon", False, Text("Kestrel County", Provenance("kestrel.txt", "0", 1, 1)))


def _class(title: str, code: str, *named: tuple[str, int], text: str = "") -> JobClass:
    where = Provenance("kestrel.txt", "0", 1, 1)
    experience = tuple(ExperienceRequirement(Decimal(months), "", text or f"experience as a {name}", where,
                                             in_classes=(name,)) for name, months in named)
    return JobClass(Text(title, where), (), code=Text(code, where), jurisdiction=KESTREL, experience=experience)


def _resolved(classes: list[JobClass], title: str) -> list[tuple[str, str]]:
    built = add_named_classes(classes)
    owner = next(c for c in built if c.title.value == title and not c.stub)
    return sorted((ref.target_title, ref.method) for ref in owner.class_references)


def test_a_base_title_resolves_to_every_qualified_class() -> None:
    classes = [_class("Senior Field Ecologist (Specialist)", "0765"), _class("Senior Field Ecologist (Supervisory)",
                                                                           "0764"),
               _class("Field Ecologist Manager", "0756", ("Senior Field Ecologist", 24),
                      text="performing the duties of a Senior Field Ecologist")]
    built = add_named_classes(classes)
    assert not any(c.stub for c in built)
    assert [ref.target_title for ref in built[2].class_references] == [
        "Senior Field Ecologist (Specialist)", "Senior Field Ecologist (Supervisory)"]


def test_a_range_resolves_to_the_class_and_its_variants() -> None:
    classes = [_class("Records Assistant (General)", "1441"), _class("Records Assistant (Typing)", "1379"),
               _class("Data Technician", "1360"),
               _class("Records Technician", "1138", ("Records Assistant (Range B)", 12)),
               _class("Data Analyst", "1479", ("Data Technician (Range C)", 12))]
    assert _resolved(classes, "Records Technician") == [("Records Assistant (General)", "variant"),
                                                        ("Records Assistant (Typing)", "variant")]
    assert _resolved(classes, "Data Analyst") == [("Data Technician", "title")]


def test_a_former_title_resolves_to_the_current_class() -> None:
    classes = [_class("Senior Records Clerk", "1368"),
               _class("Chief Clerk", "1201", ("Senior Clerk", 24), text="in a class at the level of Senior Clerk"),
               _class("Clerk Supervisor", "1150", ("Senior Records Clerk", 24),
                      text="in a class at the level of Senior Records Clerk (formerly Senior Clerk)")]
    assert _resolved(classes, "Chief Clerk") == [("Senior Records Clerk", "former-title")]
    assert not any(c.stub for c in add_named_classes(classes))


def test_a_composed_title_is_kept_only_when_a_class_has_it() -> None:
    text = "as a senior inspector in any of the following inspection disciplines: Building, or Pressure Vessels"
    classes = [_class("Senior Building Inspector", "4213"),
               _class("Principal Inspector", "4226", ("Senior Building Inspector", 24),
                      ("Senior Pressure Vessels Inspector", 24), text=text)]
    built = add_named_classes(classes)
    assert [c.title.value for c in built if c.stub] == []
    assert _resolved(classes, "Principal Inspector") == [("Senior Building Inspector", "title")]


def test_an_unknown_class_written_out_is_still_a_stub() -> None:
    classes = [_class("Chief Gardener", "3145", ("Senior Gardener", 24))]
    assert [(c.title.value, c.stub) for c in add_named_classes(classes)] == [("Chief Gardener", False),
                                                                          ("Senior Gardener", True)]


def _paid(job_class: JobClass, low: int) -> JobClass:
    return replace(job_class, bulletin=Bulletin(salaries=(SalaryRange(low, low + 9000, None, job_class.title.where),)))


def test_at_the_level_of_brings_the_classes_at_that_pay() -> None:
    classes = [_paid(_class("Senior Records Clerk", "1368"), 46374), _paid(_class("Library Aide", "1172"), 46374),
               _paid(_class("Park Keeper", "3141"), 39672),
               _class("Chief Clerk", "1201", ("Senior Records Clerk", 24),
                      text="in a class at the level of Senior Records Clerk"),
               _class("Head Clerk", "1202", ("Senior Records Clerk", 24), text="as a Senior Records Clerk")]
    assert _resolved(classes, "Chief Clerk") == [("Library Aide", "same-pay-level"), ("Senior Records Clerk", "title")]
    assert _resolved(classes, "Head Clerk") == [("Senior Records Clerk", "title")]


def _feeders_noted(note: str) -> list[tuple[str, int]]:
    lines = [Line(1, "1. One year of full-time paid experience driving a truck of 28,000 pounds or more; and"),
             Line(2, "2. A valid Class B driver's license.")]
    paths, _ = parse_requirement_paths(Passage(lines, "kestrel.txt", "0"), RULES)
    experience = tuple(e for path in paths for item in path.items for e in item.experience)
    return _named(noted_experience([Passage([Line(9, note)], "kestrel.txt", "0")], experience, RULES))


@pytest.mark.parametrize(("note", "expected"), [
    # experience substituted for the whole requirement: its classes are feeders with its months
    ("3. Equivalent experience gained in a training capacity as a Road Laborer, Truck Operator, or Yard Worker with "
     "Kestrel County may be substituted for the above experience.",
     [("Road Laborer", 12), ("Truck Operator", 12), ("Yard Worker", 12)]),
    ("Experience as a Yard Worker may substitute for the required experience.", [("Yard Worker", 12)]),
    # ... for a part of it, or for education: no feeder
    ("Experience as a Yard Worker may be substituted for six months of the required experience.", []),
    ("Two years of experience as a Yard Worker may be substituted for the required education.", []),
    # the experience dated from an appointment to a class
    ("List only County experience, with the date of original appointment as a Yard Worker and of each transfer.",
     [("Yard Worker", 12)]),
    ("Give the date of your appointment as a Yard Worker.", []),
])
def test_a_note_naming_where_the_experience_is_gained(note: str, expected: list[tuple[str, int]]) -> None:
    assert _feeders_noted(note) == expected


def test_a_role_written_in_lower_case_names_the_class_of_that_exact_title() -> None:
    """'as a security guard, security aide, or park ranger': the employer's Security Aide class is named (an
    explicit step); a role no class has exactly names none, nor does a near title, a class no spec specifies or a
    class paid more than the one asking."""
    from rolegraph.ladders.derive import derive_ladder
    from rolegraph.ladders.facts import ClassFacts, Experience

    place = "urn:kestrel"
    field = "security guard, security aide, park rangers, firefighter, or Gate Attendant"
    asked = Experience("urn:kestrel:officer/experience/1", Decimal(12), field,
                       f"One year of full-time paid experience as a {field}")
    facts = [ClassFacts(f"urn:kestrel:{code}", title, code, place, "Kestrel County", True, pay=pay)
             for code, title, pay in (("3199", "Security Aide", 38000), ("3200", "Park Ranger", 39000),
                                      ("3198", "Gate Attendant", 36000), ("2112", "Firefighter", 65000))]
    facts.append(ClassFacts("urn:kestrel:guard", "Security Guard", None, place, "Kestrel County", True, stub=True))
    facts.append(ClassFacts("urn:kestrel:3181", "Security Officer", "3181", place, "Kestrel County", True,
                            experience=(asked,), pay=45000))
    steps = {(step.source.rsplit(":", 1)[-1], step.target.rsplit(":", 1)[-1]): step.kind
             for step in derive_ladder(facts).steps}
    assert steps.get(("3199", "3181")) == "explicit"
    assert ("3200", "3181") not in steps or steps[("3200", "3181")] != "explicit"  # "park rangers" is no title
    assert ("guard", "3181") not in steps  # a class only named elsewhere (a stub) is no employer's class
    assert ("2112", "3181") not in steps  # a better-paid class in a list of outside roles: a transfer, not a step


def test_a_title_with_a_word_more_is_another_class_not_a_slip() -> None:
    """A close title is a slip of the pen ("Adminstrative"), never a word more or less or another level."""
    classes = [_class("Airport Police Sergeant", "3228"), _class("Senior Administrative Clerk", "1368"),
               _class("Park Analyst II", "1590"),
               _class("Airport Police Lieutenant", "3229", ("Port Police Sergeant", 12)),
               _class("Principal Clerk", "1201", ("Senior Adminstrative Clerk", 24)),
               _class("Park Analyst III", "1591", ("Park Analyst I", 24))]
    assert _resolved(classes, "Airport Police Lieutenant") == [("Port Police Sergeant", "stub")]
    assert _resolved(classes, "Principal Clerk") == [("Senior Administrative Clerk", "fuzzy-title")]
    assert _resolved(classes, "Park Analyst III") == [("Park Analyst I", "stub")]


def test_a_lower_case_role_with_a_level_and_a_clause_names_its_class() -> None:
    """'as a journey-level boilermaker engaged in the repair of boilers': the Boilermaker class, even where its flat
    rate is above the supervisor's lowest pay (the supervisor's title ranks above it); 'two years of which as a
    Photographer' names Photographer, with those two years to gain in it; 'a journey level electrician' names
    Electrician I and Electrician II where the employer has no class titled Electrician."""
    from rolegraph.ladders.derive import derive_ladder
    from rolegraph.ladders.facts import ClassFacts, Experience

    place = "urn:kestrel"
    field = "journey-level boilermaker engaged in the repair of boilers and pressure vessels"
    boilers = Experience("urn:kestrel:3737/experience/1", Decimal(48), field,
                         f"Four years of full-time paid experience as a {field}")
    part = Experience("urn:kestrel:1795/experience/1/part/1", Decimal(24), "", "two years of which as a Photographer",
                      in_class_titles=("Photographer",))
    photos = Experience("urn:kestrel:1795/experience/1", Decimal(60), "", "Five years of full-time paid experience",
                        parts=(part,))
    facts = [ClassFacts("urn:kestrel:3735", "Boilermaker", "3735", place, "Kestrel County", True, pay=96000),
             ClassFacts("urn:kestrel:3737", "Boilermaker Supervisor", "3737", place, "Kestrel County", True,
                        experience=(boilers,), pay=88000),
             ClassFacts("urn:kestrel:1793", "Photographer", "1793", place, "Kestrel County", True, pay=55000),
             ClassFacts("urn:kestrel:1795", "Senior Photographer", "1795", place, "Kestrel County", True,
                        experience=(photos,), pay=61000)]
    wiring = Experience("urn:kestrel:6530/experience/1", Decimal(24), "journey level electrician in ASME work",
                        "Two years of experience as a journey level electrician in ASME work")
    facts += [ClassFacts("urn:kestrel:6533", "Electrician I", "6533", place, "Kestrel County", True, pay=60000),
              ClassFacts("urn:kestrel:6532", "Electrician II", "6532", place, "Kestrel County", True, pay=66000),
              ClassFacts("urn:kestrel:6530", "Electrician Supervisor", "6530", place, "Kestrel County", True,
                         experience=(wiring,), pay=75000)]
    steps = {(step.source.rsplit(":", 1)[-1], step.target.rsplit(":", 1)[-1]): step
             for step in derive_ladder(facts).steps}
    assert steps[("3735", "3737")].kind == "explicit"
    assert steps[("6533", "6530")].kind == steps[("6532", "6530")].kind == "explicit"  # the role's levels
    photographer = steps[("1793", "1795")]
    assert (photographer.kind, photographer.months_required, photographer.months_in_role) == (
        "explicit", Decimal(60), Decimal(24))
