"""Derived promotion steps as the real corpora need them (issue 20): classes without pay grades or skill lists,
levelled by pay or by series order, whose target names a field of experience that the source's work shows.
Made-up employers only; the rule tables' examples are checked here too."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

import pytest

from rolegraph.ladders import (
    ClassFacts,
    Experience,
    derive,
    derive_ladder,
    derive_ladder_again,
    derive_ladder_around,
    ladder_rules,
)
from rolegraph.ladders.derive import _title_level
from rolegraph.ladders.facts import profile_concepts
from rolegraph.resources import rule_table
from rolegraph.skills import activities_of_text, profile_rules, split_statement

KESTREL, OSPREY = "urn:place:kestrel-county", "urn:place:osprey-city"
CLERK_WORK = "performs general office clerical work: files records, types correspondence, answers telephones"


def make(iri: str, title: str, *, pay: int | None = None, field: str = "", months: int = 12, profile: str = "",
         place: str = KESTREL, name: str = "Kestrel County", **extra) -> ClassFacts:
    experience = (Experience(f"{iri}/experience/1", Decimal(months), field),) if field else ()
    text = f"{title} {profile}"
    return ClassFacts(iri, title, location=place, location_name=name, employer_known=True, pay=pay,
                      experience=experience, profile=text, concepts=profile_concepts([profile]), **extra)


def steps_of(classes: list[ClassFacts]) -> dict[tuple[str, str], object]:
    return {(step.source, step.target): step for step in derive_ladder(classes).steps}


def test_field_of_experience_shown_by_the_work_of_a_lower_paid_class_is_a_derived_step() -> None:
    clerk = make("k:clerk", "Office Clerk", pay=38000, profile=CLERK_WORK)
    senior = make("k:senior-clerk", "Senior Office Clerk", pay=46000, field="office clerical",
                  profile="performs difficult clerical work; reviews and evaluates the work of other clerks")
    steps = steps_of([clerk, senior])
    step = steps[("k:clerk", "k:senior-clerk")]
    assert step.kind == "derived" and ("k:senior-clerk", "k:clerk") not in steps
    assert step.matched_words == ("clerical", "office") and step.required_field == "office clerical"
    assert "pay from $38,000 -> $46,000" in step.level_change and step.confidence in ("high", "medium", "low")
    assert "office clerical" in step.explanation and "clerical, office (2 of 2)" in step.explanation
    assert step.missing_activities  # what is still to learn is named


def test_the_same_pair_without_the_field_in_the_work_is_no_step() -> None:
    mower = make("k:mower", "Grounds Worker", pay=38000, profile="mows lawns and prunes shrubs in parks")
    senior = make("k:senior-clerk", "Senior Office Clerk", pay=46000, field="office clerical")
    assert steps_of([mower, senior]) == {}


def test_equal_pay_is_lateral_both_ways_never_a_promotion() -> None:
    clerk = make("k:clerk", "Office Clerk", pay=38000, field="clerical", profile=CLERK_WORK)
    typist = make("k:typist", "Clerk Typist", pay=38500, field="clerical", profile=CLERK_WORK)
    kinds = {pair: step.kind for pair, step in steps_of([clerk, typist]).items()}
    assert kinds == {("k:clerk", "k:typist"): "lateral", ("k:typist", "k:clerk"): "lateral"}


def test_different_employers_are_comparable_never_a_step() -> None:
    clerk = make("k:clerk", "Office Clerk", pay=38000, profile=CLERK_WORK)
    other = make("o:senior-clerk", "Senior Office Clerk", pay=46000, field="office clerical", profile=CLERK_WORK,
                 place=OSPREY, name="Osprey City")
    ladder = derive_ladder([clerk, other])
    assert ladder.steps == []
    assert [(c.first, c.second) for c in ladder.comparisons] == [("k:clerk", "o:senior-clerk")]


def test_series_order_levels_classes_without_pay() -> None:
    work = "surveys land boundaries; prepares survey maps; computes survey data"
    assistant = make("k:assistant-surveyor", "Assistant Land Surveyor", profile=work)
    associate = make("k:associate-surveyor", "Associate Land Surveyor", field="land surveying",
                     profile=work + "; reviews survey records")
    steps = steps_of([assistant, associate])
    assert steps[("k:assistant-surveyor", "k:associate-surveyor")].kind == "derived"
    assert "series order" in steps[("k:assistant-surveyor", "k:associate-surveyor")].level_change


def test_no_level_no_step() -> None:
    """Without pay on both sides and outside one series, two classes have no comparable level."""
    clerk = make("k:clerk", "Office Clerk", profile=CLERK_WORK)
    secretary = make("k:secretary", "Secretary", pay=50000, field="office clerical", profile=CLERK_WORK)
    assert steps_of([clerk, secretary]) == {}


def test_a_field_naming_a_higher_level_than_the_source_is_no_step() -> None:
    work = "inspects building construction for compliance with codes"
    assistant = make("k:assistant-inspector", "Assistant Inspector", pay=45000, profile=work)
    principal = make("k:principal-inspector", "Principal Inspector", pay=60000, field="a senior building inspector",
                     profile=work)
    assert steps_of([assistant, principal]) == {}


def test_a_field_naming_only_the_employer_gives_no_derived_step() -> None:
    clerk = make("k:clerk", "Office Clerk", pay=38000, profile=CLERK_WORK + " for Kestrel County")
    senior = make("k:senior-clerk", "Senior Office Clerk", pay=46000, field="Kestrel County", profile=CLERK_WORK)
    assert steps_of([clerk, senior]) == {}


def test_either_field_of_an_or_will_do() -> None:
    clerk = make("k:clerk", "Office Clerk", pay=36000, profile=CLERK_WORK)
    senior = make("k:senior-clerk", "Senior Office Clerk", pay=40000, field="clerical work or retail sales",
                  profile=CLERK_WORK)
    assert steps_of([clerk, senior])[("k:clerk", "k:senior-clerk")].matched_words == ("clerical",)


def test_a_target_keeps_its_best_sources_only() -> None:
    per_target = ladder_rules().derived_per_target
    # paid within pay_equal_within of each other, of no one series (no level words to order them): level, none
    # between another and the target
    options = ("Typing", "Filing", "Records", "Mail", "Counter", "Payroll")
    sources = [make(f"k:clerk-{n}", f"Office Clerk ({options[n]})", pay=36000 + 250 * n,
                    profile=CLERK_WORK) for n in range(per_target + 2)]
    senior = make("k:senior-clerk", "Senior Office Clerk", pay=46000, field="office clerical", profile=CLERK_WORK)
    into = [step for step in derive_ladder([*sources, senior]).steps
            if step.target == "k:senior-clerk" and step.kind == "derived"]
    assert len(into) == per_target
    wider = replace(ladder_rules(), derived_per_target=per_target + 2)
    assert len([step for step in derive_ladder([*sources, senior], wider).steps
                if step.target == "k:senior-clerk" and step.kind == "derived"]) == per_target + 2


# -- incremental derivation with pay, fields and profiles -------------------------------------------------

FIELDS = ("office clerical", "clerical work or retail sales", "custodial services", "plumbing", "Kestrel County")
WORKS = (CLERK_WORK, "cleans and waxes floors; empties trash", "installs and repairs plumbing fixtures",
         "prepares payroll records; types reports")
# series of three and more levels: a step may skip a level, and a change of the class between moves it
TITLES = ("Office Clerk", "Senior Office Clerk", "Principal Office Clerk", "Custodian", "Senior Custodian",
          "Custodian Supervisor", "Plumber", "Senior Plumber", "Plumber Supervisor", "Payroll Clerk")


def _random_class(rng: random.Random, number: int) -> ClassFacts:
    place, name = rng.choice(((KESTREL, "Kestrel County"), (OSPREY, "Osprey City")))
    return make(f"k:{number:03d}", rng.choice(TITLES), pay=rng.choice((None, *range(30000, 60000, 2500))),
                field=rng.choice(("", *FIELDS)), profile=rng.choice(WORKS), place=place, name=name)


def _changed(rng: random.Random, facts: ClassFacts) -> ClassFacts:
    other = _random_class(rng, 0)
    change = rng.choice(("pay", "profile", "experience"))
    if change == "profile":
        return replace(facts, profile=other.profile, concepts=other.concepts)
    return replace(facts, **{change: getattr(other, change)})


@pytest.mark.parametrize("seed", range(4))
def test_deriving_again_and_around_equal_deriving_afresh(seed: int) -> None:
    """Best sources per target are chosen among all a target's derived steps: a change of one source moves the
    others; deriving only what changed must still give what deriving everything gives."""
    rng = random.Random(seed)
    rules = replace(ladder_rules(), derived_per_target=1, max_postings=30)
    classes = sorted((_random_class(rng, number) for number in range(80)), key=lambda facts: facts.iri)
    ladder, derivation = derive_ladder_again(classes, {c.iri: repr(c) for c in classes}, None, rules)
    assert ladder == derive_ladder(classes, rules) and any(step.kind == "derived" for step in ladder.steps)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(derive, "_skips", lambda *_: False)
        assert derive_ladder(classes, rules) != ladder  # some steps skip a level: what drops them is tracked
    kept = {facts.iri: (facts, derivation.words[facts.iri]) for facts in classes}
    for round_ in range(12):
        position = rng.randrange(len(classes))
        classes[position] = _changed(rng, classes[position])
        changed = {classes[position].iri: classes[position]}
        fresh = derive_ladder(classes, rules)
        steps = {(step.source, step.target): step for step in ladder.steps}
        around = derive_ladder_around(derivation, changed,
                                      lambda iris, kept=kept: {i: kept[i] for i in iris if i in kept},
                                      lambda pairs, steps=steps: {p: steps[p] for p in pairs if p in steps}, rules)
        if around is None:
            ladder, derivation = derive_ladder_again(classes, {c.iri: repr(c) for c in classes}, derivation, rules)
            kept = {facts.iri: (facts, derivation.words[facts.iri]) for facts in classes}
        else:
            for step in around.gone.steps:
                steps.pop((step.source, step.target))
            steps.update(((step.source, step.target), step) for step in around.came.steps)
            ladder = replace(fresh, steps=[steps[key] for key in sorted(steps)])
            derivation = around.derivation
            kept[classes[position].iri] = (classes[position], around.words[classes[position].iri])
        assert ladder.steps == fresh.steps, round_


# -- the rule tables' examples ----------------------------------------------------------------------------


@pytest.mark.parametrize("example", profile_rules().activity_examples, ids=lambda example: example[0][:40])
def test_activity_examples(example: tuple[str, tuple[str, ...]]) -> None:
    text, expected = example
    assert tuple(activities_of_text(text)) == expected


@pytest.mark.parametrize("example", profile_rules().split_examples, ids=lambda example: example[0][:40])
def test_statement_split_examples(example: tuple[str, tuple[str, ...]]) -> None:
    text, expected = example
    assert tuple(split_statement(text)) == expected


@pytest.mark.parametrize("example", rule_table("ladders")["levels"]["examples"], ids=lambda example: example["higher"])
def test_level_order_examples(example: dict[str, str]) -> None:
    rules = ladder_rules()
    (low_stem, low), (high_stem, high) = _title_level(example["lower"], rules), _title_level(example["higher"], rules)
    assert low_stem == high_stem and low < high


def test_profile_concepts_merge_activities_and_atomic_ksa_concepts() -> None:
    concepts = profile_concepts(["Prepares payroll records; answers telephones."],
                                ["Knowledge of business English and spelling", "Ability to: read plans; type"])
    assert concepts == ("answer telephone", "business english", "prepare payroll record", "read plan", "spelling",
                        "type")


# -- what keeps derived steps from being noise (issue 20: precision) ---------------------------------------

GENERIC = ("planning", "construction", "operating", "equipment", "preparing", "service")


def employer(*classes: ClassFacts, fillers: int = 40) -> list[ClassFacts]:
    """``classes`` among enough other classes of their employer for rarity to tell (``rarity_min_classes``): the
    others do unrelated work that names the ``GENERIC`` words, which are then common (not specific)."""
    others = [make(f"k:filler-{n:02d}", f"Filler X{n:02d}", profile=f"x{n:02d}work {' '.join(GENERIC)}")
              for n in range(fillers)]
    return [*classes, *others]


def derived_pairs(classes: list[ClassFacts], rules: derive.LadderRules | None = None) -> set[tuple[str, str]]:
    return {(step.source, step.target) for step in derive_ladder(classes, rules).steps if step.kind == "derived"}


def test_the_specific_words_of_a_field_must_be_shown() -> None:
    """'airport-related planning' is not shown by 'planning' alone: the rare word is the one that tells."""
    target = make("k:senior-planner", "Senior Planner", pay=60000, field="airport-related planning")
    planning = make("k:planner", "Planner", pay=50000, profile="reviews land use planning cases")
    airport = replace(planning, profile="reviews airport-related planning cases")
    assert derived_pairs(employer(planning, target)) == set()
    assert derived_pairs(employer(airport, target)) == {("k:planner", "k:senior-planner")}


def test_a_field_of_generic_words_only_is_no_step() -> None:
    """'the construction' is parse noise: one word that most of the employer's classes name."""
    helper = make("k:helper", "Construction Helper", pay=40000, profile="helps on construction sites")
    senior = make("k:senior-helper", "Senior Construction Helper", pay=46000, field="the construction")
    assert derived_pairs(employer(helper, senior)) == set()
    specific = replace(senior, experience=(Experience("k:senior-helper/experience/1", Decimal(12),
                                                      "concrete formwork construction"),))
    shown = replace(helper, profile="builds concrete formwork on construction sites")
    assert derived_pairs(employer(shown, specific)) == {("k:helper", "k:senior-helper")}


def test_or_between_verbs_shares_the_object() -> None:
    """'preparing or processing marine shipping documents': 'preparing' alone is no field."""
    clerk = make("k:clerk", "Shipping Clerk", pay=40000, profile="preparing reports; answers telephones")
    senior = make("k:senior-clerk", "Senior Shipping Clerk", pay=46000,
                  field="preparing or processing marine shipping documents")
    assert derived_pairs(employer(clerk, senior)) == set()
    shipping = replace(clerk, profile="preparing marine shipping documents for port clients")
    assert derived_pairs(employer(shipping, senior)) == {("k:clerk", "k:senior-clerk")}


@pytest.mark.parametrize("example", rule_table("ladders")["fields"]["choice_examples"], ids=lambda e: e["field"])
def test_field_choice_examples(example: dict) -> None:
    from rolegraph.ladders.derive import _field_choices

    found = [" ".join(sorted(words)) for words in _field_choices(example["field"], "", ladder_rules())]
    assert found == example["choices"]


@pytest.mark.parametrize("example", rule_table("ladders")["steps"]["evidence_examples"], ids=lambda e: e["higher"])
def test_evidence_of_one_occupation_examples(example: dict) -> None:
    """Field words alone make no step: one series, a specific title word the field names too, or a profile
    overlap must show the two classes to be one occupation. 'Operator' is a generic title word here."""
    field = " ".join(sorted({*example["higher"].casefold().split()} - {"senior", "supervisor", "operator",
                                                                          "director", "facility"})) + " programs"
    lower = make("k:lower", example["lower"], pay=40000, profile=f"works on {field}")
    higher = make("k:higher", example["higher"], pay=48000, field=field)
    operators = [make(f"k:op-{n}", f"Y{n:02d} Operator", profile=f"operates y{n:02d}") for n in range(8)]
    found = derived_pairs(employer(lower, higher, *operators))
    assert (("k:lower", "k:higher") in found) == bool(example["evidence"]), found
    if example["evidence"]:
        step = next(s for s in derive_ladder(employer(lower, higher, *operators)).steps if s.source == "k:lower")
        assert "one occupation: " in step.explanation


def test_a_senior_of_one_series_is_no_step_to_a_journey_level_of_another() -> None:
    """Pay is not level across occupations: a supervisor paid less than another trade's journey level does not
    step down the order of level words (nor within one series, whatever the pay says)."""
    work = "maintains electrical mechanic equipment on wharves"
    supervisor = make("k:supervisor", "Electrical Mechanic Supervisor", pay=70000, profile=work)
    port = make("k:port", "Port Electrical Mechanic", pay=75000, field="an electrical mechanic on wharves",
                profile=work)
    mechanic = make("k:mechanic", "Electrical Mechanic", pay=60000, profile=work)
    assert derived_pairs(employer(supervisor, port, mechanic)) == {("k:mechanic", "k:port")}


def test_a_field_that_is_the_target_itself_needs_its_series() -> None:
    """'experience as a plumbing inspector' is not gained as an Assistant Inspector, though its work names
    plumbing and inspection."""
    work = "inspects plumbing installations and building construction"
    assistant = make("k:assistant", "Assistant Inspector", pay=50000, profile=work)
    plumbing = make("k:plumbing", "Plumbing Inspector", pay=60000, field="a plumbing inspector", profile=work)
    assert derived_pairs(employer(assistant, plumbing)) == set()


# -- a derived step skips no level (issue 20: precision) ---------------------------------------------------


@pytest.mark.parametrize("example", rule_table("ladders")["levels"]["skip_examples"], ids=lambda e: e["higher"])
def test_skip_level_examples(example: dict) -> None:
    """Three classes of one employer at rising pay, doing the work the two higher ones ask for: the step from the
    lowest to the highest is dropped when the middle one is of the highest's series (the ladder goes through it),
    kept when the field names the lowest's level or the middle one is of another occupation."""
    work = f"performs {example['field']} work; prepares {example['field']} reports"
    lower = make("k:lower", example["lower"], pay=40000, profile=work)
    between = make("k:between", example["between"], pay=46000, field=example["field"], profile=work)
    higher = make("k:higher", example["higher"], pay=53000, field=example["field"], profile=work)
    found = derived_pairs([lower, between, higher])
    assert ("k:lower", "k:between") in found and ("k:between", "k:higher") in found, found
    assert (("k:lower", "k:higher") not in found) == example["skips"], found


def test_a_trainee_goes_through_the_class_that_names_it_even_at_its_pay() -> None:
    """A trainee class's line leads into the class whose requirement names it (at the trainee's own pay): the
    trainee's derived step over that class into the class above is dropped; a journey-level class at the same
    pay, named the same way, keeps its step."""
    trainee = make("k:trainee", "Office Trainee", pay=36000, profile=CLERK_WORK)
    assistant = replace(make("k:assistant", "Office Services Assistant", pay=36000, profile=CLERK_WORK),
                        experience=(Experience("k:assistant/experience/1", Decimal(6), "",
                                               in_class_titles=("Office Trainee",)),))
    clerk = make("k:clerk", "Administrative Clerk", pay=40000, field="clerical", profile=CLERK_WORK)
    steps = {(s.source, s.target): s.kind for s in derive_ladder(employer(trainee, assistant, clerk)).steps}
    assert steps[("k:trainee", "k:assistant")] == "explicit" and steps[("k:assistant", "k:clerk")] == "derived"
    assert ("k:trainee", "k:clerk") not in steps
    typist = replace(trainee, title="Office Typist")
    named = replace(assistant, experience=(replace(assistant.experience[0], in_class_titles=("Office Typist",)),))
    steps = {(s.source, s.target): s.kind for s in derive_ladder(employer(typist, named, clerk)).steps}
    assert steps[("k:trainee", "k:clerk")] == "derived"


def test_a_step_into_a_class_between_is_enough_and_explicit_steps_stay() -> None:
    """The class between need not lead to the target itself: a step from the source to it will do. An explicit
    step over a level (the target names the source class) is never dropped."""
    clerk = make("k:clerk", "Office Clerk", pay=36000, profile=CLERK_WORK)
    senior = make("k:senior", "Senior Office Clerk", pay=42000, field="answer telephones",
                  profile="mows lawns and prunes shrubs")
    principal = make("k:principal", "Principal Office Clerk", pay=50000,
                     field="office records and correspondence", profile=CLERK_WORK)
    assert derived_pairs([clerk, senior, principal]) == {("k:clerk", "k:senior")}
    away = replace(senior, experience=(Experience("k:senior/experience/1", Decimal(12), "plumbing"),))
    assert derived_pairs([clerk, away, principal]) == {("k:clerk", "k:principal")}
    naming = replace(principal, experience=(Experience("k:principal/experience/1", Decimal(24), "",
                                                       in_class_titles=("Office Clerk",)),))
    kinds = {(step.source, step.target): step.kind for step in derive_ladder([clerk, senior, naming]).steps}
    assert kinds[("k:clerk", "k:principal")] == "explicit"


def test_deriving_around_a_class_between_equals_deriving_afresh() -> None:
    """Only the class between changes (the step into it from the source goes, then comes back): whether the
    source's step over it is dropped changes though neither of its classes did."""
    clerk = make("k:clerk", "Office Clerk", pay=36000, profile=CLERK_WORK)
    senior = make("k:senior", "Senior Office Clerk", pay=42000, field="answer telephones",
                  profile="mows lawns and prunes shrubs")
    principal = make("k:principal", "Principal Office Clerk", pay=50000,
                     field="office records and correspondence", profile=CLERK_WORK)
    away = replace(senior, experience=(Experience("k:senior/experience/1", Decimal(12), "plumbing"),))
    others = employer(fillers=40)  # enough classes that one is a small share of them
    classes = sorted([clerk, principal, senior, *others], key=lambda facts: facts.iri)
    ladder, derivation = derive_ladder_again(classes, {c.iri: repr(c) for c in classes}, None)
    kept = {facts.iri: (facts, derivation.words[facts.iri]) for facts in classes}
    for now in (away, senior, away):
        steps = {(step.source, step.target): step for step in ladder.steps}
        around = derive_ladder_around(derivation, {now.iri: now},
                                      lambda iris, kept=kept: {i: kept[i] for i in iris if i in kept},
                                      lambda pairs, steps=steps: {p: steps[p] for p in pairs if p in steps})
        assert around is not None
        for step in around.gone.steps:
            steps.pop((step.source, step.target))
        steps.update(((step.source, step.target), step) for step in around.came.steps)
        classes = sorted([clerk, principal, now, *others], key=lambda facts: facts.iri)
        fresh = derive_ladder(classes)
        assert (("k:clerk", "k:principal") in {(s.source, s.target) for s in fresh.steps}) == (now is away)
        assert [steps[key] for key in sorted(steps)] == fresh.steps
        again, _ = derive_ladder_again(classes, {c.iri: repr(c) for c in classes}, derivation)
        assert again.steps == fresh.steps
        ladder, derivation = replace(fresh, steps=[steps[key] for key in sorted(steps)]), around.derivation
        kept[now.iri] = (now, around.words[now.iri])


# -- comparable classes of different employers are of one occupation (issue 20) ----------------------------


@pytest.mark.parametrize("example", rule_table("ladders")["steps"]["head_examples"], ids=lambda e: e["title"])
def test_title_head_examples(example: dict) -> None:
    from rolegraph.ladders.derive import _title_head

    assert _title_head(example["title"], ladder_rules()) == example["head"]


def compared(first: ClassFacts, second: ClassFacts) -> bool:
    return bool(derive_ladder([first, second]).comparisons)


def test_comparable_classes_share_a_title_head_or_their_work() -> None:
    """A clerk with a clerk; not a medical assistant with an assistant bureau chief through the title word and the
    field words they share; a generic head ('officer') needs another title word; a profile overlap will do."""
    work = "answers telephones; files records; types correspondence"
    clerk = make("k:clerk", "Office Clerk", field="office clerical", profile=work)
    assert compared(clerk, make("o:clerk", "Senior Account Clerk", field="office clerical", profile=work,
                                place=OSPREY, name="Osprey City"))
    medical = make("k:medical", "Medical Assistant", field="clerical office records", profile="assists physicians")
    chief = make("o:chief", "Assistant Bureau Chief", field="clerical office records", profile="directs a bureau",
                 place=OSPREY, name="Osprey City")
    assert not compared(medical, chief)
    police = make("k:police", "Police Officer", field="law enforcement patrol", profile="patrols streets")
    harbor = make("o:harbor", "Harbor Police Officer", field="law enforcement patrol", profile="patrols harbors",
                  place=OSPREY, name="Osprey City")
    accounting = replace(harbor, iri="o:accounting", title="Accounting Officer")
    assert compared(police, harbor) and not compared(police, accounting)
    typist = make("o:typist", "Typist", field="office clerical", profile=work, place=OSPREY, name="Osprey City")
    assert compared(clerk, typist)  # no head in common, the same work
    driver = make("o:driver", "Typist", field="office clerical", profile="drives buses; checks tickets",
                  place=OSPREY, name="Osprey City")
    assert not compared(clerk, driver)


def test_a_field_naming_the_source_role_in_the_target_trade_is_one_occupation() -> None:
    """'a helper to a Plumber' is experience as a helper in the plumbing trade: a Mechanical Helper gains it, a
    Pipe Laborer doing the same work does not (nothing says it is of the trade), nor does an Assistant Inspector
    gain 'a plumbing inspector' (experience as the target itself)."""
    work = "helps plumbers install and repair pipes, valves and plumbing fixtures"
    helper = make("k:helper", "Mechanical Helper", pay=40000, profile=work)
    plumber = make("k:plumber", "Plumber", pay=90000, field="a helper to a Plumber", profile="repairs pipes")
    laborer = make("k:laborer", "Pipe Laborer", pay=40000, profile=work)
    assert ("k:helper", "k:plumber") in derived_pairs(employer(helper, plumber))
    assert derived_pairs(employer(laborer, plumber)) == set()
    inspector = make("k:inspector", "Assistant Inspector", pay=60000, profile="inspects plumbing inspector work")
    plumbing = make("k:plumbing", "Plumbing Inspector", pay=80000, field="a plumbing inspector")
    assert derived_pairs(employer(inspector, plumbing)) == set()


def test_a_field_naming_the_source_title_in_another_form_is_shown_by_its_work() -> None:
    """'custodial services' is what a Custodian does, though its duties never say 'custodial'; a Window Washer
    doing the same cleaning does not show it."""
    work = "cleans floors, restrooms and offices; empties trash"
    custodian = make("k:custodian", "Custodian", pay=31000, profile=work)
    senior = make("k:senior", "Senior Custodian", pay=34000, field="custodial services", profile=work)
    washer = make("k:washer", "Window Washer", pay=31000, profile=work)
    assert derived_pairs(employer(custodian, senior)) == {("k:custodian", "k:senior")}
    assert derived_pairs(employer(washer, senior)) == set()


# -- related words, membership, helpers (issue 20: derived recall) ------------------------------------------


@pytest.mark.parametrize("row", rule_table("ladders")["fields"]["related"], ids=lambda r: r["example"]["field"])
def test_related_words_examples(row: dict) -> None:
    """Each ``related`` row: of its example field's words, those the example work shows, with the rows and
    without them."""
    from rolegraph.ladders.derive import _related_shown, field_words

    rules = ladder_rules()
    example = row["example"]
    wanted, have = field_words(example["field"], rules), field_words(example["work"], rules)
    assert sorted(wanted & (have | _related_shown(wanted, have, rules))) == example["shows"]
    assert sorted(wanted & (have | _related_shown(wanted, have, replace(rules, related=())))) == example["before"]


def test_a_field_naming_the_source_work_in_related_words_is_one_occupation() -> None:
    """'office clerical' is a clerk's work though a Records Clerk's duties never say 'office' or 'clerical'; a
    Records Technician doing the same filing does not show it (nor is it a clerk)."""
    work = "files records; answers telephones; sorts mail"
    clerk = make("k:clerk", "Records Clerk", pay=36000, profile=work)
    secretary = make("k:secretary", "Secretary", pay=44000, field="office clerical", profile="takes dictation")
    technician = make("k:technician", "Records Technician", pay=36000, profile=work)
    found = derived_pairs(employer(clerk, secretary))
    assert found == {("k:clerk", "k:secretary")}
    step = next(s for s in derive_ladder(employer(clerk, secretary)).steps if s.source == "k:clerk")
    assert "the field names the work of Records Clerk (clerk)" in step.explanation
    assert derived_pairs(employer(technician, secretary)) == set()
    assert derived_pairs(employer(clerk, secretary), rules=replace(ladder_rules(), related=())) == set()


def test_fire_suppression_is_a_firefighters_work_not_a_fire_pilots() -> None:
    """A field's own word in a title ('fire' of 'Fire Helicopter Pilot') says nothing of the work; a related word
    ('firefighting') does."""
    firefighter = make("k:ff", "Firefighter", pay=65000,
                       profile="as a member of the Fire Department, engages directly in firefighting and rescue")
    pilot = make("k:pilot", "Fire Helicopter Pilot", pay=65000,
                 profile="flies Fire Department helicopters in fire rescue")
    operator = make("k:ao", "Apparatus Operator", pay=90000, field="fire suppression in the Fire Department")
    assert derived_pairs(employer(firefighter, operator)) == {("k:ff", "k:ao")}
    assert derived_pairs(employer(pilot, operator)) == set()


def test_a_membership_field_is_shown_by_work_in_that_organisation() -> None:
    """'a uniformed member of the Harbor Patrol': a Boat Operator whose own requirement is work in it is, so is a
    class whose duties say its holders are members; a Dock Clerk whose work names no Harbor Patrol is not, nor a
    records manager keeping its records."""
    boat = make("k:boat", "Boat Operator", pay=60000, profile="operates patrol boats",
                field="patrol boat operations in the Harbor Patrol")
    captain = make("k:captain", "Patrol Captain", pay=90000, field="a uniformed member of the Harbor Patrol")
    clerk = make("k:dock", "Dock Clerk", pay=60000, profile="operates dock scales; patrols docks")
    step = derive_ladder(employer(boat, captain)).steps
    assert [(s.source, s.target, s.matched_words) for s in step if s.kind == "derived"] == [
        ("k:boat", "k:captain", ("harbor", "patrol"))]
    assert "membership of an organisation" in step[0].explanation
    assert derived_pairs(employer(clerk, captain)) == set()
    # work for the organisation is no membership of it: neither its own requirement nor its duties say so
    civilian = make("k:civilian", "Patrol Records Manager", pay=60000, profile="keeps the records of the Harbor Patrol")
    assert derived_pairs(employer(civilian, captain)) == set()
    member = replace(civilian, profile=civilian.profile + " as a member of the Harbor Patrol")
    assert derived_pairs(employer(member, captain)) == {("k:civilian", "k:captain")}


def test_a_helper_assists_the_occupation_its_title_names_below_its_journey_level() -> None:
    """An Electrical Helper gains 'electrical wiring' experience toward Electrician; not 'journey-level
    electrician' experience (a helper is below the journey level); a Parts Helper names no electrician."""
    work = "assists electricians in maintaining electrical systems of buildings"
    helper = make("k:helper", "Electrical Helper", pay=50000, profile=work)
    electrician = make("k:electrician", "Electrician", pay=80000, field="electrical wiring work on buildings")
    journey = replace(electrician, experience=(Experience("k:electrician/experience/1", Decimal(24),
                                                          "journey-level electrical wiring"),))
    parts = make("k:parts", "Parts Helper", pay=50000, profile=work)
    assert derived_pairs(employer(helper, electrician)) == {("k:helper", "k:electrician")}
    assert derived_pairs(employer(helper, journey)) == set()
    assert derived_pairs(employer(parts, electrician)) == set()


def test_supervising_is_asked_of_a_lead_whose_work_shows_it_only() -> None:
    """'supervising custodial employees' is gained as a Senior Custodian who supervises; not as an Associate
    Custodian working 'under supervision' (two levels below)."""
    lead = make("k:senior", "Senior Custodian", pay=34000,
                profile="assigns the work of custodial employees; applies supervisory principles")
    associate = make("k:associate", "Associate Custodian", pay=34000,
                     profile="cleans floors with other custodial employees under supervision")
    supervisor = make("k:supervisor", "Custodian Supervisor", pay=37000, field="supervising custodial employees")
    assert derived_pairs(employer(lead, supervisor)) == {("k:senior", "k:supervisor")}
    assert derived_pairs(employer(associate, supervisor)) == set()


def test_a_compound_is_no_form_of_its_first_word() -> None:
    """'wastewater' is no form of 'waste': a Wastewater Collection Worker shows no 'municipal wastes'; a Refuse
    Truck Operator does (refuse is waste)."""
    field = "collection of municipal wastes"
    wastewater = make("k:ww", "Wastewater Collection Worker", pay=50000, profile="cleans municipal sewer lines")
    refuse = make("k:refuse", "Refuse Truck Operator", pay=50000, profile="drives a municipal refuse collection truck")
    supervisor = make("k:sup", "Refuse Collection Supervisor", pay=70000, field=field)
    assert derived_pairs(employer(wastewater, refuse, supervisor)) == {("k:refuse", "k:sup")}


@pytest.mark.parametrize("example", rule_table("ladders")["levels"]["pay_year_examples"],
                         ids=lambda example: f"{example['lower']}-{example['higher']}-{example['higher_year']}")
def test_pay_year_examples(example: dict) -> None:
    """Pay of bulletins years apart says nothing against the series order within a margin growing by the year."""
    lower = make("k:lower", example["lower"], pay=example["lower_pay"], pay_year=example["lower_year"])
    higher = make("k:higher", example["higher"], pay=example["higher_pay"], pay_year=example["higher_year"])
    context = derive._context({c.iri: c for c in (lower, higher)}, ladder_rules(), {}, {})
    assert derive._level_change(context, lower, higher)[0] == example["change"]


def test_a_supervisor_paid_less_in_an_older_bulletin_is_still_above_its_series() -> None:
    """A Glazier Supervisor asking for journey-level glazier experience, its pay published four years before the
    Glazier's and Senior Glazier's: both are its sources (series order), neither is lateral; a Roofer paid the
    same is no source."""
    work = "installs and replaces glass in windows, doors and partitions of buildings"
    glazier = make("k:glazier", "Glazier", pay=82726, pay_year=2018, profile=work, field="glazing work")
    senior = make("k:senior", "Senior Glazier", pay=90995, pay_year=2018, profile=f"leads glaziers; {work}",
                  field="journey-level glazier")
    supervisor = make("k:supervisor", "Glazier Supervisor", pay=83645, pay_year=2014, field="journey-level glazier",
                      profile=f"supervises glaziers who {work}")
    roofer = make("k:roofer", "Roofer", pay=82726, pay_year=2018, profile="installs roofs of buildings")
    steps = {(s.source, s.target): s for s in derive_ladder(employer(glazier, senior, supervisor, roofer)).steps}
    assert {pair for pair, s in steps.items() if s.kind == "derived"} == {
        ("k:glazier", "k:senior"), ("k:glazier", "k:supervisor"), ("k:senior", "k:supervisor")}
    assert "published 2018 and 2014" in steps[("k:senior", "k:supervisor")].level_change
    same_year = replace(supervisor, pay_year=2018)
    pairs = {(s.source, s.target) for s in derive_ladder(employer(glazier, senior, same_year)).steps
             if s.kind == "derived"}
    assert ("k:senior", "k:supervisor") not in pairs


def test_a_class_above_a_named_class_of_its_series_gains_a_field_asked_at_that_level() -> None:
    """'as a Glazier or in a class at that level performing glazing work': a Senior Glazier (above the Glazier, in
    its series) whose work shows glazing is a derived source; a Roofer at the Glazier's pay is of another series;
    without 'at that level' the requirement names its class only (an explicit step)."""
    work = "installs and replaces glass in windows, doors and partitions of buildings; glazing work"
    glazier = make("k:glazier", "Glazier", pay=70000, profile=work)
    senior = make("k:senior", "Senior Glazier", pay=78000, profile=f"leads glaziers; {work}")
    roofer = make("k:roofer", "Roofer", pay=70000, profile=f"installs roofs; {work}")
    text = "Four years of full-time paid experience as a Glazier or in a class at that level performing glazing work"
    supervisor = replace(make("k:supervisor", "Glazier Supervisor", pay=90000, profile=f"supervises glaziers; {work}"),
                         experience=(Experience("k:supervisor/experience/1", Decimal(48), "glazing work", text,
                                                in_classes=("k:glazier",), in_class_titles=("Glazier",)),))
    steps = {(s.source, s.target): s
             for s in derive_ladder(employer(glazier, senior, roofer, supervisor, fillers=80)).steps}
    assert steps[("k:glazier", "k:supervisor")].kind == "explicit"
    assert steps[("k:senior", "k:supervisor")].kind == "derived"
    assert "at the level of Glazier, of Senior Glazier's series" in steps[("k:senior", "k:supervisor")].explanation
    assert ("k:roofer", "k:supervisor") not in steps
    only = replace(supervisor, experience=(replace(supervisor.experience[0], description=text.split(" or in")[0]),))
    pairs = {(s.source, s.target) for s in derive_ladder(employer(glazier, senior, roofer, only, fillers=80)).steps}
    assert ("k:senior", "k:supervisor") not in pairs


@pytest.mark.parametrize("example", rule_table("ladders")["steps"]["other_role_examples"],
                         ids=lambda example: example["field"][:30])
def test_other_role_examples(example: dict) -> None:
    assert derive._other_role(example["title"], example["field"], ladder_rules()) == example["role"]


def test_a_field_naming_another_arrangement_of_the_source_title_is_no_step() -> None:
    """'journey-level glass cutter' is gained as a Glass Cutter, not as a Cutter of Frames and Glass Setter."""
    work = "cuts glass panes and frames; sets glass in frames"
    cutter = make("k:cutter", "Glass Cutter", pay=60000, profile=work)
    setter = make("k:setter", "Frame Cutter and Glass Setter", pay=60000, profile=work)
    lead = make("k:lead", "Glass Shop Supervisor", pay=80000, field="journey-level glass cutter",
                profile=f"supervises glass cutters who {work}")
    assert derived_pairs(employer(cutter, lead, fillers=80)) == {("k:cutter", "k:lead")}
    assert derived_pairs(employer(setter, lead, fillers=80)) == set()


@pytest.mark.parametrize("example", rule_table("ladders")["fields"]["role_examples"], ids=lambda e: e["text"][:40])
def test_role_examples(example: dict) -> None:
    rules = ladder_rules()
    heads = derive._role_heads(example["text"], rules)
    assert sorted(heads) == example["heads"]
    assert derive._names_role(example["title"], heads, rules) == example["names"]


def test_experience_as_a_role_is_gained_in_a_class_of_that_role_only() -> None:
    """'as an assistant curator, curator, or zoo director': a Zoo Registrar, whose work names the zoo and its
    animal collection, is none of them; with "registrar" among the roles, it is."""
    text = "Three years of zoo experience as an assistant curator, curator, or zoo director"
    work = "keeps the zoo's animal collection records; zoo animal transactions"
    registrar = make("k:registrar", "Zoo Registrar", pay=55000, profile=work)
    curator = replace(make("k:curator", "Zoo Curator", pay=78000, profile=f"supervises the zoo's {work}"),
                      experience=(Experience("k:curator/experience/1", Decimal(36), "zoo", text),))
    assert derived_pairs(employer(registrar, curator, fillers=80)) == set()
    listed = replace(curator, experience=(replace(curator.experience[0], description=text.replace(
        "curator, or", "curator, registrar, or")),))
    assert derived_pairs(employer(registrar, listed, fillers=80)) == {("k:registrar", "k:curator")}


def test_an_apprentice_whose_work_assists_a_trade_is_its_helper() -> None:
    """'helper to a farrier': an Apprentice - Forge Trades whose duties assist journey-level Farriers is one (an
    apprentice's title is a helper's); one whose duties name no farrier is not; nor is a Forge Clerk whose work
    names farriers (no helper)."""
    work = "receives on-the-job training assisting a journey-level Farrier or Wheelwright; attends classes"
    apprentice = make("k:apprentice", "Apprentice - Forge Trades", pay=60000, profile=work)
    farrier = make("k:farrier", "Farrier", pay=80000, field="helper to a farrier",
                   profile="shoes horses; forges and fits horseshoes")
    assert derived_pairs(employer(apprentice, farrier, fillers=80)) == {("k:apprentice", "k:farrier")}
    other = replace(apprentice, profile="receives on-the-job training assisting journey-level Wheelwrights")
    assert derived_pairs(employer(other, farrier, fillers=80)) == set()
    clerk = replace(apprentice, title="Forge Clerk", profile="keeps the records of journey-level Farriers")
    assert derived_pairs(employer(clerk, farrier, fillers=80)) == set()


def test_a_target_whose_work_names_the_source_title_is_one_occupation() -> None:
    """A Hoof Print Analyst 'compares hoof print impressions as an expert witness' and asks for a year in a
    farm agency: a Hoof Impression Expert of that agency is its source (the analyst's work names every word of
    its title, each specific); a Farm Program Assistant of the agency is not ('program' names no occupation)."""
    agency = "works in the farm agency"
    expert = make("k:expert", "Hoof Impression Expert", pay=50000, profile=f"classifies hoof impressions; {agency}")
    analyst = make("k:analyst", "Hoof Print Analyst", pay=60000, field="farm agency",
                   profile="compares hoof impression prints; testifies as an expert witness; farm program records")
    assistant = make("k:assistant", "Farm Program Assistant", pay=50000, profile=f"keeps records; {agency}")
    common = [make(f"k:program-{n}", f"Program Officer {n}", profile="program records") for n in range(30)]
    assert derived_pairs(employer(expert, analyst, *common, fillers=80)) == {("k:expert", "k:analyst")}
    assert derived_pairs(employer(assistant, analyst, *common, fillers=80)) == set()


def test_up_its_own_series_to_a_class_asking_no_experience_needs_less_skill_overlap() -> None:
    """An Associate Map Surveyor asks for no experience (a licence): the Assistant Map Surveyor below it in its own
    series shares 2 of its 12 skills (overlap ~0.14, under ``skill_threshold`` but over
    ``series_skill_threshold``) and is its source; a Map Drafter sharing the same is not (another series)."""
    shared = {"urn:skill:survey-law": 3, "urn:skill:field-notes": 3}
    own = {f"urn:skill:associate-{n}": 3 for n in range(10)}
    mine = {f"urn:skill:assistant-{n}": 3 for n in range(10)}
    assistant = make("k:assistant", "Assistant Map Surveyor", skills={**shared, **mine})
    associate = make("k:associate", "Associate Map Surveyor", skills={**shared, **own})
    drafter = make("k:drafter", "Map Drafter", pay=None, skills={**shared, **mine})
    rules = ladder_rules()
    assert rules.series_skill_threshold < 0.14 < rules.skill_threshold
    assert derived_pairs(employer(assistant, associate)) == {("k:assistant", "k:associate")}
    assert derived_pairs(employer(drafter, associate)) == set()
    stricter = replace(rules, series_skill_threshold=rules.skill_threshold)
    assert derived_pairs(employer(assistant, associate), stricter) == set()


def test_a_numeral_after_a_level_word_orders_the_series() -> None:
    """Without pay, 'Custodian Supervisor II' is below 'Custodian Supervisor III' (not level with it), so a Lead
    Custodian goes to the III through the II; the step's score stays within 0-1."""
    work = "performs janitorial work; supervises custodians doing janitorial work"
    lead = make("k:lead", "Lead Custodian", profile=work)
    two = make("k:two", "Custodian Supervisor II", field="janitorial", profile=work)
    three = make("k:three", "Custodian Supervisor III", field="janitorial", profile=work)
    steps = {(s.source, s.target): s for s in derive_ladder([lead, two, three]).steps}
    assert {pair for pair, s in steps.items() if s.kind == "derived"} == {("k:lead", "k:two"), ("k:two", "k:three")}
    assert all(0 <= s.score <= 1 for s in steps.values())
    assert _title_level("Custodian Supervisor III", ladder_rules())[1] > _title_level("Custodian Supervisor II",
                                                                                         ladder_rules())[1]


def test_a_part_asked_at_a_higher_level_is_not_gained_below_it() -> None:
    """'four years as a journey level glazier, including one year as a lead worker': a Glazier (journey level)
    gains the four years but not the lead worker's year, so it is no source; without that part it is."""
    work = "installs glass in windows and doors; journey-level glazier work"
    glazier = make("k:glazier", "Glazier", pay=60000, profile=work)
    part = Experience("k:sup/experience/1/part", Decimal(12), "lead worker directing a crew of glaziers")
    supervisor = replace(make("k:sup", "Glazier Supervisor", pay=80000, profile=f"supervises glaziers; {work}"),
                         experience=(Experience("k:sup/experience/1", Decimal(48), "journey-level glazier",
                                                parts=(part,)),))
    assert derived_pairs(employer(glazier, supervisor)) == set()
    whole = replace(supervisor, experience=(replace(supervisor.experience[0], parts=()),))
    assert derived_pairs(employer(glazier, whole)) == {("k:glazier", "k:sup")}
