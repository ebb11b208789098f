"""The one form schema (domain/forms.py): what each field is, under every built-in profile and
under a profile written here with other words; the services refuse every bad value naming the
field by the schema's label; the dispute form and the raise form show the same labels."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from drp_tui.domain import forms
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.forms import DateRule, EditWhen, Kind
from drp_tui.domain.model import Status
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_loader import builtin_keys, load_builtin, policy_from_dict
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import disputes as ds
from drp_tui.services.errors import ValidationError
from drp_tui.store import models as m
from tests.factories import World, make_world
from tests.ui.conftest import demo_template, make_app  # noqa: F401 - the UI fixtures, shared
from tests.ui.test_dispute_form import body_text, fields, open_form, pick, run, staff
from tests.ui.test_raise import open_raise

# A procedure with its own words: none of them is in the code.
OTHER_WORDS: dict[str, Any] = {
    "key": "test-words", "name": "Query Process", "version": 1, "source": "test.txt", "applies_to": ["CLA"],
    "vocabulary": {"process": "Query Process", "short": "QP", "reference_prefix": "QP",
                   "chair_title": "Reviewing Officer", "concern_word": "query", "stage_word": "Step"},
    "levels": [{"key": "tm", "label": "Team Lead"}, {"key": "hos", "label": "Head of Service"}],
    "categories": [{"key": "plan", "label": "Plan not followed"}, {"key": "visits", "label": "Visits missed"}],
    "stages": [
        {"key": "one", "label": "Step 1 QP", "section": 2, "responder_level": "tm", "timescale": {"working_days": 5}},
        {"key": "two", "label": "Step 2 QP", "section": 3, "responder_level": "hos", "may_start": False,
         "timescale": {"working_days": 5}},
    ],
    "rules": {"immediate_concern": {"hours": 24}},
}


def other_words() -> Policy:
    return policy_from_dict(OTHER_WORDS)


def policy_named(key: str) -> Policy:
    return other_words() if key == "test-words" else load_builtin(key)


ALL = [*builtin_keys(), "test-words"]


# --- the schema -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ALL)
def test_labels_follow_the_vocabulary(key: str) -> None:
    p = policy_named(key)
    one = forms.section_one(p)
    v = p.vocabulary
    assert one.number == 1 and one.title == f"Raising the {v.short}"
    assert one.field("category").label == f"Category of {v.concern_word}"
    assert one.field("wanted").label == f"What the {v.chair_title} wants to see"
    assert [o for o, _ in one.field("category").options] == [c.label for c in p.categories]
    assert [k for _, k in one.field("start_stage").options] == [s.key for s in p.starting_stages()]
    secs = forms.sections(p)
    assert [s.number for s in secs] == [1, *(s.section for s in p.stages)]
    for sec, stage in zip(secs[1:], p.stages, strict=True):
        assert sec.title == stage.label
        assert sec.field("chair_wanted").label == f"What the {v.chair_title} wants to see"
        # the chair's text of a stage is named as in section 1
        for key_ in ("concern", "impact", "wanted", "timescales"):
            assert sec.field(f"chair_{key_}").label == one.field(key_).label
    # one label per key, wherever the form shows it
    labels: dict[str, set[str]] = {}
    for sec in secs:
        for f in sec.fields:
            labels.setdefault(f.key, set()).add(f.label)
    assert all(len(names) == 1 for names in labels.values()), labels
    assert all(forms.label_of(p, k) == next(iter(names)) for k, names in labels.items())


def test_a_profile_with_other_words() -> None:
    p = other_words()
    one = forms.section_one(p)
    assert one.title == "Raising the QP"
    assert one.field("category").label == "Category of query"
    assert one.field("wanted").label == "What the Reviewing Officer wants to see"
    assert forms.stage_section(p, p.stages[0]).field("chair_wanted").label == "What the Reviewing Officer wants to see"
    assert one.field("start_stage").choice_noun == "a step"
    assert one.field("start_stage").options == (("Step 1 QP (Team Lead)", "one"),)
    imm = one.field("immediate")
    assert imm.asked and imm.editor_label == "Immediate concern (handled within 24 hours)"
    assert "IRO" not in " ".join(f.label for s in forms.sections(p) for f in s.fields)


def test_kinds_limits_dates_and_when_editable() -> None:
    p = load_builtin("mosaic-iro")
    one = forms.section_one(p)
    kinds = {f.key: f.kind for f in one.fields}
    assert kinds["issue_arose"] is kinds["raised_on"] is kinds["child_informed_on"] is Kind.DATE
    assert kinds["category"] is kinds["start_stage"] is Kind.CHOICE
    assert kinds["immediate"] is kinds["against_wishes"] is Kind.CHECK
    assert {k for k, kind in kinds.items() if kind is Kind.LONG} == {
        "concern", "impact", "wanted", "timescales", "child_wishes", "child_informed_how"}
    assert {f.key for f in one.fields if f.required} == {"issue_arose", "raised_on", "category", "start_stage",
                                                         "concern"}
    assert all(f.date_rule is DateRule.NOT_FUTURE for f in one.fields if f.kind is Kind.DATE)
    assert one.field("concern").max_length == forms.MAX_TEXT and one.field("raised_on").max_length == forms.MAX_SHORT
    # Section 1 closes when anything is sent, except the child's voice; the starting level is fixed once raised.
    assert {f.key for f in one.fields if f.editable_after_send} == {
        "child_wishes", "against_wishes", "child_informed_on", "child_informed_how"}
    assert one.field("start_stage").editable is EditWhen.RAISING
    stage = forms.stage_section(p, p.stages[0])
    assert {f.key: f.editable for f in stage.fields} == {
        "chair_concern": EditWhen.UNTIL_STAGE_SENT, "chair_impact": EditWhen.UNTIL_STAGE_SENT,
        "chair_wanted": EditWhen.UNTIL_STAGE_SENT, "chair_timescales": EditWhen.UNTIL_STAGE_SENT,
        "response": EditWhen.BY_RESPONDER}
    open_ = {"anything_sent": True, "stage_sent": True}
    assert [f.key for f in (*one.fields, *stage.fields) if forms.still_editable(f, **open_)] == [
        "child_wishes", "against_wishes", "child_informed_on", "child_informed_how", "response"]
    draft = {"anything_sent": False, "stage_sent": False}
    assert "response" not in [f.key for f in stage.fields if forms.still_editable(f, **draft)]
    assert not any(forms.still_editable(f, **draft, is_open=False) for f in (*one.fields, *stage.fields))
    # Mosaic IRO has no immediate-concern rule: the raise form does not ask it.
    assert not one.field("immediate").asked
    assert [f.key for f in forms.raise_fields(p)] == [
        "category", "start_stage", "issue_arose", "raised_on", "concern", "impact", "wanted", "timescales",
        "child_wishes", "against_wishes"]
    assert forms.chair_field(p, "start_stage") is None and forms.chair_field(p, "response") is None
    assert forms.chair_field(p, "status") is None and forms.chair_field(p, "chair_wanted") is not None


# --- the services validate from it --------------------------------------------------------------

@pytest.fixture(params=["mosaic-iro", "durham-rp", "test-words"])
def any_world(request: pytest.FixtureRequest, db_path: Path, clock: FrozenClock,
              calendar: WorkingCalendar) -> World:
    return make_world(policy_named(str(request.param)), calendar, clock)


def _good_raise(w: World, **changes: Any) -> ds.RaiseInput:
    assert w.child is not None
    values: dict[str, Any] = {"child_ids": [w.child.id], "category": w.policy.categories[0].key,
                              "start_stage": w.policy.starting_stages()[0].key,
                              "issue_arose": date(2026, 11, 20), "concern": "The plan has drifted."}
    return ds.RaiseInput(**{**values, **changes})


def _bad_values(f: forms.Field, today: date) -> list[tuple[object, str]]:
    """Values the schema says ``f`` refuses, each with words the refusal must use after the
    field's label ("" for a value of the wrong type: only the label is asserted)."""
    out: list[tuple[object, str]] = []
    if f.kind in (Kind.LONG, Kind.SHORT):
        out += [("x" * (f.max_length + 1), f"at most {f.max_length}"), (42, "")]
        if f.required:
            out.append((" \n ", "is required"))
    elif f.kind is Kind.DATE:
        out += [("2026-11-20", ""), (date(1999, 12, 31), "is before 2000")]
        if f.date_rule is DateRule.NOT_FUTURE:
            out.append((today + timedelta(days=1), "cannot be in the future"))
    elif f.kind is Kind.CHOICE:
        out.append(("no-such-key", f"'no-such-key' is not {f.choice_noun} of this procedure"))
    return out


def _refused(call: Callable[[], object], f: forms.Field, words: str) -> None:
    counts = (m.Dispute.select().count(), m.StageRecord.select().count(), m.Event.select().count())
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == f.key
    assert caught.value.message.startswith(f"{f.label}: ") and words in caught.value.message, caught.value.message
    assert (m.Dispute.select().count(), m.StageRecord.select().count(), m.Event.select().count()) == counts


def test_raising_refuses_each_bad_value_naming_the_field(any_world: World) -> None:
    w, today = any_world, any_world.ctx().today()
    asked = [f for f in forms.section_one(w.policy).fields if f.at_raise]
    assert {f.key for f in asked} >= {"category", "start_stage", "issue_arose", "raised_on", "concern", "wanted"}
    tried = 0
    for f in asked:
        for value, words in _bad_values(f, today):
            _refused(lambda f=f, value=value: ds.raise_dispute(w.ctx(), _good_raise(w, **{f.key: value})),
                     f, words)
            tried += 1
    assert tried >= 19  # every kind: too long, wrong type, required, dates, choices
    # the date raised before the issue arose: named by both labels
    one = forms.section_one(w.policy)
    _refused(lambda: ds.raise_dispute(w.ctx(), _good_raise(w, raised_on=date(2026, 11, 19))), one.field("raised_on"),
             f"cannot be before the {forms.lower_first(one.field('issue_arose').label)}")
    assert ds.raise_dispute(w.ctx(), _good_raise(w))  # and the good one is raised


def test_editing_refuses_each_bad_value_naming_the_field(any_world: World) -> None:
    w, today = any_world, any_world.ctx().today()
    (did,) = ds.raise_dispute(w.ctx(), _good_raise(w))
    version = m.Dispute.get_by_id(did).version
    editable = [f for f in (*forms.section_one(w.policy).fields, *forms.stage_fields(w.policy))
                if forms.chair_field(w.policy, f.key) is not None]
    assert {f.key for f in editable} >= {"concern", "child_informed_on", "chair_wanted", "category"}
    for f in editable:
        for value, words in _bad_values(f, today):
            _refused(lambda f=f, value=value: ds.update_draft(w.ctx(), did, version, {f.key: value}), f, words)
    assert m.Dispute.get_by_id(did).version == version


def test_a_response_is_checked_as_the_schema_says(any_world: World) -> None:
    w = any_world
    (did,) = ds.raise_dispute(w.ctx(), _good_raise(w))
    ds.send(w.ctx(), did)
    responder = w.responder(w.policy.starting_stages()[0].key)
    f = forms.stage_section(w.policy, w.policy.starting_stages()[0]).field("response")
    for value, words in _bad_values(f, w.ctx().today()):
        if not words:  # a wrong type: refused by the services' type check before the form's rules
            continue
        _refused(lambda value=value: ds.record_response(w.ctx(responder), did, value), f, words)
    ds.record_response(w.ctx(responder), did, "We will review the plan.")
    assert m.Dispute.get_by_id(did).status == Status.RESPONDED.value


def test_the_other_words_name_the_fields_in_refusals(db_path: Path, clock: FrozenClock,
                                                     calendar: WorkingCalendar) -> None:
    w = make_world(other_words(), calendar, clock)
    with pytest.raises(ValidationError) as caught:
        ds.raise_dispute(w.ctx(), _good_raise(w, category="weather"))
    assert caught.value.message == "Category of query: 'weather' is not a category of this procedure"
    with pytest.raises(ValidationError) as caught:
        ds.raise_dispute(w.ctx(), _good_raise(w, start_stage="three"))
    assert caught.value.message == "Starting level: 'three' is not a step of this procedure"
    with pytest.raises(ValidationError) as caught:
        ds.raise_dispute(w.ctx(), _good_raise(w, wanted="x" * (forms.MAX_TEXT + 1)))
    assert caught.value.message.startswith("What the Reviewing Officer wants to see: too long")


def test_a_profile_change_of_words_changes_the_messages_too(db_path: Path, clock: FrozenClock,
                                                           calendar: WorkingCalendar) -> None:
    base = load_builtin("mosaic-iro")
    policy = dataclasses.replace(base, vocabulary=dataclasses.replace(base.vocabulary, concern_word="issue"))
    w = make_world(policy, calendar, clock)
    with pytest.raises(ValidationError) as caught:
        ds.raise_dispute(w.ctx(), _good_raise(w, category=""))
    assert caught.value.message == "Category of issue: is required"


# --- the dispute form and the raise form read it ----------------------------------------------------

def _unsent_draft() -> int:
    """A draft of cpatel's of which nothing has been sent yet (so all of section 1 is editable)."""
    sent = m.StageRecord.select(m.StageRecord.dispute).where(m.StageRecord.sent_at.is_null(False))
    d = (m.Dispute.select().where((m.Dispute.status == Status.DRAFT.value) & (m.Dispute.raised_by == staff("cpatel").id)
                                  & m.Dispute.id.not_in(sent)).order_by(m.Dispute.id).first())
    assert d is not None
    return int(d.id)


def _labels(screen: Any) -> dict[str, str]:
    return {key: box.spec.label for key, box in fields(screen).items()}


@pytest.mark.parametrize("key", ["mosaic-iro", "durham-rp"])
def test_the_dispute_form_and_the_raise_form_show_the_same_labels(make_app: Any, key: str) -> None:  # noqa: F811
    app = make_app("cpatel", policy_key=key)
    policy = load_builtin(key)

    async def body(pilot: Pilot[Any]) -> None:
        child = m.Child.select().where(m.Child.chair == staff("cpatel").id).order_by(m.Child.id).first()
        raising = _labels(await open_raise(pilot, child.id))
        assert raising == {f.key: f.editor_label for f in forms.raise_fields(policy)}
        app.pop_screen()
        form = await open_form(pilot, _unsent_draft())
        editing = _labels(form)
        shared = set(raising) & set(editing)
        assert shared >= {"category", "issue_arose", "raised_on", "concern", "impact", "wanted", "timescales",
                          "child_wishes", "against_wishes"}
        assert {k: editing[k] for k in shared} == {k: raising[k] for k in shared}
        assert editing["wanted"] == editing["chair_wanted"] == f"What the {policy.vocabulary.chair_title} wants to see"
        assert fields(form)["concern"].spec.required and not fields(form)["impact"].spec.required
        # read-only, the same words (the form of a sent dispute)
        app.pop_screen()
        sent = await open_form(pilot, pick(Status.SENT))
        shown = body_text(sent)
        assert f"What the {policy.vocabulary.chair_title} wants to see" in shown
        assert "What the chair wants to see" not in shown

    run(app, body)
