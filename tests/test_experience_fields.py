"""The field of an experience requirement read as a noun phrase of occupation or work (issue #20, derived steps).

Each sentence is a made-up Kestrel County requirement; the field is what its holder did: employer names, dates,
durations, schedule words, levels and named classes are no part of it, a list after a comma stays whole, and words
joined by "or" get the object or head they share.
"""

from __future__ import annotations

import pytest

from rolegraph.model import Line
from rolegraph.parser.passage import Passage
from rolegraph.parser.requirements import experience_field, experience_in_classes
from rolegraph.parser.tables import load_rules

RULES = load_rules()

FIELDS = [
    # the occupation, not the employer nor the date
    ("Three years of full-time paid fire suppression certified experience in the County of Kestrel Fire Department "
     "by March 16, 2018.", "fire suppression in Fire Department"),
    ("Four years of full-time paid experience as a uniformed member of the City of Kestrel Fire Department by "
     "December 16, 2018.", "uniformed member Fire Department"),
    ("One year of full-time paid office clerical experience.", "office clerical"),
    ("Two years of full-time paid custodial services experience with the City of Kestrel.", "custodial services"),
    ("Four years of full-time paid experience with the City of Kestrel.", ""),
    # a list after a comma is one field, not its first word
    ("Four years of full-time paid experience in the installation, maintenance and repair of two-way radios.",
     "installation, maintenance and repair of two-way radios"),
    ("Two years of full-time paid experience in the construction, alteration, or repair of buildings.",
     "construction of buildings, alteration of buildings or repair of buildings"),
    # words joined by "or" share the object or head
    ("One year of experience preparing or processing marine shipping documents.",
     "preparing marine shipping documents or processing marine shipping documents"),
    ("Four years of full-time paid experience with the City of Kestrel in connection with the collection or "
     "disposal of municipal wastes.", "collection of municipal wastes or disposal of municipal wastes"),
    ("One year of full-time paid experience in construction, craft or landscaping work.",
     "construction work, craft work or landscaping work"),
    ("Six months of full-time paid experience in clerical work or retail sales.", "clerical work or retail sales"),
    ("One year of experience driving a bus of 40 seats or larger.", "driving a bus of 40 seats or larger"),
    # a level, a class named, a part within the total: not the field
    ("Four years of full-time paid custodial experience with the City of Kestrel at the level of Custodian with "
     "two of the four years working as a lead of a custodial crew.", "custodial"),
    ("Two years of full-time paid experience as a Building Repairer or in a class at that level which provides "
     "experience in building maintenance and repair work.", "building maintenance and repair work"),
    ("One year performing floor care maintenance activities.", "floor care maintenance activities"),
    ("Six years of full-time paid experience as a helper to a journey-level plumber with the City of Kestrel.",
     "helper to a journey-level plumber"),
    # a substitution after the comma ends the field
    ("Two years of experience in clerical work that involves public contact, or an equivalent combination of "
     "training and experience.", "clerical work that involves public contact"),
]


def _fields(sentence: str) -> list[str]:
    passage = Passage([Line(1, sentence)], "a.txt", "0")
    return [requirement.field for requirement in experience_in_classes(passage, RULES)]


@pytest.mark.parametrize(("sentence", "field"), FIELDS, ids=[field or sentence[:30] for sentence, field in FIELDS])
def test_the_field_is_the_work(sentence: str, field: str) -> None:
    assert _fields(sentence)[0] == field


def test_the_description_goes_on_over_a_list() -> None:
    passage = Passage([Line(1, "Four years of full-time paid experience in the installation, maintenance and repair "
                               "of radios; or")], "a.txt", "0")
    (requirement,) = experience_in_classes(passage, RULES)
    assert requirement.description == ("Four years of full-time paid experience in the installation, maintenance "
                                       "and repair of radios")


def test_another_duration_after_a_comma_is_another_requirement() -> None:
    sentence = ("Two years of full-time paid experience in clerical work, and one year of full-time paid experience "
                "in accounting.")
    assert _fields(sentence) == ["clerical work", "accounting"]


def test_parts_have_their_own_fields() -> None:
    passage = Passage([Line(1, "Three years of full-time paid custodial services experience which includes one year "
                               "of full-time paid experience as a lead of a crew engaged in custodial work.")],
                      "a.txt", "0")
    (requirement,) = experience_in_classes(passage, RULES)
    assert requirement.field == "custodial services"
    assert [part.field for part in requirement.included] == ["lead of a crew engaged in custodial work"]


def test_the_reader_alone() -> None:
    assert experience_field("Two years of experience in the County of Kestrel by June 1, 2019", RULES) == ""
