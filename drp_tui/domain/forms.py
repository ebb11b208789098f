"""The dispute form's fields, described once from a procedure's vocabulary.

Section 1 (the chair raising the dispute, with the child's voice) and each stage's section
(the chair's text for that stage, then the responder's response) are lists of :class:`Field`:
a key (the service's and the store's name), the label a person reads (worded from the
profile's vocabulary), what kind of value it holds, whether it is required, how long it may
be, which dates it accepts, and when it can still be edited.

The dispute form, the raise form and the services' validation all read these: a label
changed here changes every screen and every message that names the field.

Who may edit (the chair, the responder) is decided with the moves; this module only says
*when* a field is still open to edit (e.g. section 1 until anything is sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from drp_tui.domain.policy import Policy, Stage

MAX_TEXT = 20_000  # characters in one free-text field
MAX_SHORT = 200  # characters in a short value (a name, a date typed, a choice)


class Kind(str, Enum):
    """What a field holds (the values are the form widgets' kinds)."""

    SHORT = "text"  # one line of text
    LONG = "long"  # free text over several lines
    DATE = "date"  # a calendar day
    CHOICE = "choice"  # one of ``Field.options``
    CHECK = "check"  # yes / no


class DateRule(str, Enum):
    ANY = "any"
    NOT_FUTURE = "not_future"  # it has happened: today or before
    NOT_PAST = "not_past"  # it is planned: today or after


class EditWhen(str, Enum):
    """When a field can still be changed (who may change it is the moves' business)."""

    RAISING = "raising"  # only while raising the dispute (e.g. the starting level)
    UNTIL_SENT = "until_sent"  # section 1: until anything of the dispute is sent
    WHILE_OPEN = "while_open"  # the child's voice: while the dispute is open, also after sending
    UNTIL_STAGE_SENT = "until_stage_sent"  # a stage's chair text: until that stage is sent
    BY_RESPONDER = "by_responder"  # the response: once sent, by its responder, until recorded


class Group(str, Enum):
    """The part of a section a field sits in (the form shows each under its heading)."""

    MAIN = "main"
    VOICE = "voice"
    RESPONSE = "response"


GROUP_TITLES = {Group.VOICE: "The child's voice"}


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: Kind
    editable: EditWhen
    required: bool = False
    limit: int = 0  # characters accepted (0: the kind's default, see ``max_length``)
    date_rule: DateRule = DateRule.ANY
    options: tuple[tuple[str, str], ...] = ()  # (label, key) of a choice
    choice_noun: str = "a choice"  # "'x' is not <noun> of this procedure"
    group: Group = Group.MAIN
    note: str = ""  # a short qualifier shown with the editor, e.g. "handled within 24 hours"
    at_raise: bool = False  # asked on the raise form
    asked: bool = True  # offered for editing (False: only shown when it already holds a value)

    @property
    def max_length(self) -> int:
        if self.limit:
            return self.limit
        return MAX_TEXT if self.kind is Kind.LONG else MAX_SHORT

    @property
    def editable_after_send(self) -> bool:
        """Whether the field stays open once the dispute's first stage has been sent."""
        return self.editable in (EditWhen.WHILE_OPEN, EditWhen.BY_RESPONDER)

    @property
    def editor_label(self) -> str:
        """The label with its note, as an editor shows it."""
        return f"{self.label} ({self.note})" if self.note else self.label

    def option_label(self, key: object) -> str:
        """The label of the option ``key`` (the key itself if it is not an option)."""
        for label, value in self.options:
            if value == key:
                return label
        return str(key)

    def is_option(self, value: object) -> bool:
        return any(value == key for _, key in self.options)


@dataclass(frozen=True)
class Section:
    number: int
    title: str
    fields: tuple[Field, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    def get(self, key: str) -> Field | None:
        for f in self.fields:
            if f.key == key:
                return f
        return None

    def field(self, key: str) -> Field:
        f = self.get(key)
        if f is None:
            raise KeyError(key)
        return f


def still_editable(f: Field, *, anything_sent: bool, stage_sent: bool, is_open: bool = True) -> bool:
    """Whether ``f`` may still be changed at this point of the dispute (not who may change it).

    ``anything_sent``: any stage of the dispute has been sent; ``stage_sent``: the stage the
    field belongs to (for section 1: the current one) has been sent."""
    if not is_open:
        return False
    if f.editable is EditWhen.UNTIL_SENT:
        return not anything_sent
    if f.editable is EditWhen.WHILE_OPEN:
        return True
    if f.editable is EditWhen.UNTIL_STAGE_SENT:
        return not stage_sent
    if f.editable is EditWhen.BY_RESPONDER:
        return stage_sent
    return False  # RAISING: fixed once raised


def _a(word: str) -> str:
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def section_one(policy: Policy) -> Section:
    """Section 1: raising the dispute, then the child's voice."""
    v, rules = policy.vocabulary, policy.rules
    stage_word = v.stage_word.lower() or "stage"
    immediate = rules.immediate_concern
    main = (
        Field("issue_arose", "Date the issue arose", Kind.DATE, EditWhen.UNTIL_SENT, required=True,
              date_rule=DateRule.NOT_FUTURE, at_raise=True),
        Field("raised_on", "Date raised", Kind.DATE, EditWhen.UNTIL_SENT, required=True,
              date_rule=DateRule.NOT_FUTURE, at_raise=True),
        Field("category", f"Category of {v.concern_word}", Kind.CHOICE, EditWhen.UNTIL_SENT, required=True,
              options=tuple((c.label, c.key) for c in policy.categories), choice_noun="a category", at_raise=True),
        Field("start_stage", "Starting level", Kind.CHOICE, EditWhen.RAISING, required=True,
              options=tuple((f"{s.label} ({policy.responders_label(s)})", s.key)
                            for s in policy.starting_stages()),
              choice_noun=_a(stage_word), at_raise=True),
        Field("immediate", "Immediate concern", Kind.CHECK, EditWhen.UNTIL_SENT,
              note=f"handled within {immediate.describe()}" if immediate.is_set else "",
              at_raise=True, asked=immediate.is_set),
        Field("concern", "Issues of concern", Kind.LONG, EditWhen.UNTIL_SENT, required=True, at_raise=True),
        Field("impact", "Impact on the child", Kind.LONG, EditWhen.UNTIL_SENT, at_raise=True),
        Field("wanted", f"What the {v.chair_title} wants to see", Kind.LONG, EditWhen.UNTIL_SENT, at_raise=True),
        Field("timescales", "Timescales for resolution", Kind.LONG, EditWhen.UNTIL_SENT, at_raise=True),
    )
    voice = (
        Field("child_wishes", "The child's wishes and feelings", Kind.LONG, EditWhen.WHILE_OPEN,
              group=Group.VOICE, at_raise=True),
        Field("against_wishes", "Acting against the child's wishes", Kind.CHECK, EditWhen.WHILE_OPEN,
              note="in their best interests", group=Group.VOICE, at_raise=True),
        Field("child_informed_on", "Date the child was told", Kind.DATE, EditWhen.WHILE_OPEN,
              date_rule=DateRule.NOT_FUTURE, group=Group.VOICE),
        Field("child_informed_how", "How the child was told, and kept informed", Kind.LONG, EditWhen.WHILE_OPEN,
              group=Group.VOICE),
    )
    return Section(1, f"Raising the {v.short}", main + voice)


# The raise form asks section 1's questions in the order a chair fills them in.
RAISE_ORDER = ("category", "start_stage", "issue_arose", "raised_on", "concern", "impact", "wanted",
               "timescales", "child_wishes", "against_wishes", "immediate")


FACT_PREFIX = "fact_"  # a fact's field key: FACT_PREFIX + the fact's key


def fact_fields(policy: Policy) -> tuple[Field, ...]:
    """The procedure's own yes/no facts of a dispute (``[[facts]]``), asked when raising and
    fixed once raised (conditional copies read them)."""
    return tuple(Field(FACT_PREFIX + f.key, f.label, Kind.CHECK, EditWhen.RAISING, at_raise=True)
                 for f in policy.facts)


def raise_fields(policy: Policy) -> tuple[Field, ...]:
    """The fields of the raise form, in its order (only those the procedure asks), then the
    procedure's facts."""
    sec = section_one(policy)
    return tuple(f for f in (sec.field(k) for k in RAISE_ORDER) if f.at_raise and f.asked) + fact_fields(policy)


def stage_fields(policy: Policy) -> tuple[Field, ...]:
    """The fields every stage's section has: the chair's text, then the response."""
    v = policy.vocabulary
    return (
        Field("chair_concern", "Issues of concern", Kind.LONG, EditWhen.UNTIL_STAGE_SENT),
        Field("chair_impact", "Impact on the child", Kind.LONG, EditWhen.UNTIL_STAGE_SENT),
        Field("chair_wanted", f"What the {v.chair_title} wants to see", Kind.LONG, EditWhen.UNTIL_STAGE_SENT),
        Field("chair_timescales", "Timescales for resolution", Kind.LONG, EditWhen.UNTIL_STAGE_SENT),
        Field("response", "Response", Kind.LONG, EditWhen.BY_RESPONDER, required=True, note="SMART action plan",
              group=Group.RESPONSE),
    )


def stage_section(policy: Policy, stage: Stage) -> Section:
    return Section(stage.section, stage.label, stage_fields(policy))


def sections(policy: Policy) -> tuple[Section, ...]:
    """The whole form: section 1, then one section per stage of the procedure."""
    return (section_one(policy), *(stage_section(policy, s) for s in policy.stages))


def find(policy: Policy, key: str) -> Field | None:
    """The form's field ``key`` (section 1 or a stage's section), or None."""
    for f in (*section_one(policy).fields, *stage_fields(policy)):
        if f.key == key:
            return f
    return None


def chair_field(policy: Policy, key: str) -> Field | None:
    """The field ``key`` as the chair edits it after raising (None: no such field, or not one
    the chair's text edits: the starting level is fixed, the response is the responder's)."""
    f = find(policy, key)
    return f if f is not None and f.editable not in (EditWhen.RAISING, EditWhen.BY_RESPONDER) else None


def label_of(policy: Policy, key: str) -> str:
    """How the form names the field ``key`` (a readable guess for a key it does not have)."""
    f = find(policy, key)
    return f.label if f is not None else key.replace("_", " ").capitalize()


def lower_first(text: str) -> str:
    """``Date raised`` -> ``date raised`` (for a label inside a sentence; an acronym stays as it is)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]
