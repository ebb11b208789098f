"""Policy profile types: one authority's Dispute Resolution Process as data.

The built-in profiles live in ``drp_tui/policies/*.toml``; the loader in
``drp_tui.domain.policy_loader`` turns a TOML file into a :class:`Policy`.
Nothing here knows about any particular authority.

The parts a profile may name (approval gates, facts, extra legal statuses, conditional
copies, meetings, overall caps) are in ``drp_tui.domain.policy_parts``, loaded when a
profile names one; this module names them only in annotations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (the parts a profile may name: loaded only when one does, not at start)
    from drp_tui.domain.policy_parts import Approval, ChildStatus, Copy, Fact, Meeting, OverallCap


BASE_STATUSES = ("CLA", "CP", "CIN")  # the legal statuses every procedure knows


class CafcassRule(str, Enum):
    """When a chair may refer to Cafcass."""

    AFTER_LAST_STAGE = "after_last_stage"  # the last stage sent and not resolved (it may be reached by a bypass)
    AFTER_ALL_STAGES = "after_all_stages"  # every stage really used (sent), and the last not resolved
    ANY_TIME = "any_time"  # at any point in the process
    NOT_APPLICABLE = "not_applicable"  # e.g. child protection chairs


class RaiseMetBy(str, Enum):
    """What meets the raise window: recording the dispute, or sending it."""

    RAISED = "raised"  # the form is raised (recorded) within the window
    SENT = "sent"  # the report is sent to the manager within the window


class BypassRule(str, Enum):
    """Which stages a chair may jump to when escalating or starting."""

    NONE = "none"  # next stage only
    ANY = "any"  # any later stage
    LISTED = "listed"  # only the stages whose ``bypass_target`` is true


class ClockFrom(str, Enum):
    """The recorded event a window is counted from (a stage's or the raise window's ``from``)."""

    SENT = "sent"  # the stage being sent (a stage's default)
    ISSUE_AROSE = "issue_arose"  # the day the issue arose (the raise window's default)
    FORMAL_START = "formal_start"  # the start of the formal process: the first stage that is not informal
    CONVERSATION = "conversation"  # the latest conversation recorded about the dispute

    @property
    def phrase(self) -> str:
        return _FROM_PHRASES[self]


_FROM_PHRASES = {
    ClockFrom.SENT: "of the stage being sent",
    ClockFrom.ISSUE_AROSE: "of the issue",
    ClockFrom.FORMAL_START: "of the formal process starting",
    ClockFrom.CONVERSATION: "of the conversation recorded",
}


@dataclass(frozen=True)
class Timescale:
    """A timescale: working days, calendar days or clock hours (all None = none set), and
    optionally (``start``, the TOML key ``from``) the recorded event it is counted from
    (None = where it is used says: a stage's response from sending, the raise window from
    the issue arising)."""

    working_days: int | None = None
    hours: int | None = None
    calendar_days: int | None = None
    start: ClockFrom | None = None

    @property
    def is_set(self) -> bool:
        return self.working_days is not None or self.hours is not None or self.calendar_days is not None

    def describe(self) -> str:
        if self.working_days is not None:
            n = self.working_days
            return f"{n} working day{'s' if n != 1 else ''}"
        if self.calendar_days is not None:
            n = self.calendar_days
            return f"{n} calendar day{'s' if n != 1 else ''}"
        if self.hours is not None:
            return f"{self.hours} hour{'s' if self.hours != 1 else ''}"
        return "no timescale"

    def counted_from(self, default: ClockFrom) -> ClockFrom:
        return self.start if self.start is not None else default


CHAIR = "chair"  # the party "the chair who raised the dispute" in sent_by / escalated_by / closed_by

# The transitions an [[approvals]] entry may gate; "stage" is the old ``requires_approval``.
APPROVAL_ON = ("raise", "escalate", "bypass", "cafcass_referral")


@dataclass(frozen=True)
class Level:
    """A rung of the management chain (a responder level), e.g. team manager."""

    key: str
    label: str
    # Who holds it: "team" = the child's team's management chain; "chair_team" =
    # the chair's own service (e.g. the IRO service manager); "allocated" = the
    # child's allocated social worker.
    holder: str = "team"


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    description: str = ""


RESPONDERS_ANY = "any"  # any one holder of the stage's responder levels answers
RESPONDERS_ALL = "all"  # every holder answers: the stage is responded when all have


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    section: int  # form section this stage's chair text + response live in
    responder_level: str  # Level.key of who must respond
    inform_levels: tuple[str, ...] = ()  # Level.keys copied for information
    timescale: Timescale = Timescale()
    meeting_expected: bool = False
    may_start: bool = True  # may a dispute be raised at this stage?
    bypass_target: bool = False  # with BypassRule.LISTED: may be jumped to
    requires_approval: bool = False  # chair's service manager must agree first
    informal: bool = False  # a conversation stage rather than a formal one
    # The chair sets (and may lengthen) the due day: it is at their discretion; ``timescale``
    # is then the usual length, used when the chair gives no day.
    chair_sets_timescale: bool = False
    guidance: str = ""  # short text shown on the form section
    short_label: str = ""  # for narrow screens (the caseload at 80 columns); "" = the label
    # Who acts on this stage: "chair" (the chair who raised the dispute) or level keys;
    # any one of the listed parties may send / escalate / close it.
    sent_by: tuple[str, ...] = (CHAIR,)
    escalated_by: tuple[str, ...] = (CHAIR,)
    closed_by: tuple[str, ...] = (CHAIR,)
    close_needs_all: bool = False  # every closed_by party records "satisfied" before it resolves
    inform_when: tuple[Copy, ...] = ()  # copies that depend on a fact of the dispute
    inform_teams: tuple[str, ...] = ()  # team names: every active member is copied (a team inbox)
    response_to_levels: tuple[str, ...] = ()  # levels who receive the written response
    meeting: Meeting | None = None  # a meeting with its own clock and arranger
    monitoring: Timescale = Timescale()  # monitoring meeting after an agreed outcome at this stage

    def copy_levels(self, facts: Iterable[str]) -> tuple[str, ...]:
        """The levels copied for information for a dispute with ``facts``: the plain
        ``inform_levels``, then each conditional copy whose fact holds (each level once)."""
        have = set(facts)
        out = list(self.inform_levels)
        for c in self.inform_when:
            if c.when in have and c.level not in out:
                out.append(c.level)
        return tuple(out)

    # Answered by any one (``responders = "any"``) or jointly by all (``"all"``) of the
    # holders of these levels; empty = just ``responder_level`` (which is then its first).
    responder_levels: tuple[str, ...] = ()
    responders: str = "any"  # RESPONDERS_ANY | RESPONDERS_ALL
    response_expected: bool = True  # false: a report or notice; no response, no response clock

    @property
    def answering_levels(self) -> tuple[str, ...]:
        """Every level whose holders may (or, jointly, must) answer this stage."""
        return self.responder_levels or (self.responder_level,)

    @property
    def joint(self) -> bool:
        """All the holders of :attr:`answering_levels` must respond (each their own response)."""
        return self.response_expected and self.responders == RESPONDERS_ALL


@dataclass(frozen=True)
class Rules:
    raise_window: Timescale = Timescale()  # raise/send within N of the issue arising
    raise_window_met_by: RaiseMetBy = RaiseMetBy.SENT
    negotiation_window: Timescale = Timescale()  # further negotiation after a response
    bypass: BypassRule = BypassRule.NONE
    caps: tuple[OverallCap, ...] = ()
    extensions_allowed: bool = False
    extension_needs_reason: bool = True
    monitoring_meeting: Timescale = Timescale()  # after an agreed outcome
    immediate_concern: Timescale = Timescale()  # immediate concerns handled within
    immediate_written_record: Timescale = Timescale()  # written report after that
    cafcass: CafcassRule = CafcassRule.AFTER_LAST_STAGE
    cafcass_tell_levels: tuple[str, ...] = ()  # levels whose recorded discussion must precede a referral
    legal_advice_tell_levels: tuple[str, ...] = ()  # levels whose recorded discussion must precede legal advice
    cafcass_ends_dispute: bool = True  # False: a referral runs alongside; the dispute stays open, clocks run
    # with AFTER_ALL_STAGES: the stages that must each have been sent ((): every stage not ``informal``)
    cafcass_after_stages: tuple[str, ...] = ()
    compliments: bool = False
    due_soon_working_days: int = 1  # "due soon" = due within this many working days
    siblings_together: bool = False  # record one dispute per sibling concerned
    not_for: str = ""  # what the process is not for (complaints, HR ...)
    approval_level: str = ""  # Level.key who agrees a requires_approval stage ("" = unnamed)


@dataclass(frozen=True)
class Vocabulary:
    process: str = "Dispute Resolution Process"
    short: str = "DRP"
    reference_prefix: str = "DRP"
    chair_title: str = "IRO"
    concern_word: str = "concern"
    stage_word: str = "Stage"
    # On narrow screens a reference is shown with this prefix instead of ``reference_prefix``
    # ("" = as it is), e.g. ALERT-2026-0001 as AL-2026-0001.
    short_reference_prefix: str = ""


@dataclass(frozen=True)
class Policy:
    key: str
    name: str
    version: int
    source: str  # the source document (file name of the procedure)
    applies_to: tuple[str, ...]  # legal statuses: CLA, CP, CIN
    vocabulary: Vocabulary
    levels: tuple[Level, ...]
    categories: tuple[Category, ...]
    stages: tuple[Stage, ...]
    rules: Rules
    path: str = ""  # where it was loaded from
    notes: tuple[str, ...] = field(default=())  # known contradictions etc.
    facts: tuple[Fact, ...] = ()  # yes/no facts the raise form asks (conditional copies read them)
    statuses: tuple[ChildStatus, ...] = ()  # children's legal statuses beyond CLA/CP/CIN
    # The content it was loaded from (the TOML text; canonical JSON when built from a
    # mapping): what a dispute is pinned to. Build a changed profile by loading changed
    # text, never with dataclasses.replace (which would keep the old text).
    text: str = field(default="", compare=False, repr=False)
    # The reserved ``[local]`` table: the authority's own documentation keys, kept as
    # written and never read by the engine (it is part of ``text``, so of the pin).
    local: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    approvals: tuple[Approval, ...] = ()  # approval gates on transitions ([[approvals]])

    @cached_property
    def digest(self) -> str:
        """SHA-256 of :attr:`text`: the identity of this exact content."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    # --- look-ups -------------------------------------------------------
    def stage(self, key: str) -> Stage:
        for s in self.stages:
            if s.key == key:
                return s
        raise KeyError(key)

    def stage_index(self, key: str) -> int:
        for i, s in enumerate(self.stages):
            if s.key == key:
                return i
        raise KeyError(key)

    def next_stage(self, key: str) -> Stage | None:
        i = self.stage_index(key)
        return self.stages[i + 1] if i + 1 < len(self.stages) else None

    def level(self, key: str) -> Level:
        for lv in self.levels:
            if lv.key == key:
                return lv
        raise KeyError(key)

    def holder_kind(self, key: str, default: str = "team") -> str:
        """Who holds ``key`` (``team``, ``chair_team`` or ``allocated``); ``default`` for no such level."""
        try:
            return self.level(key).holder if key else default
        except KeyError:
            return default

    def acting_team(self, key: str, *, chair_team: int | None, child_team: int | None,
                    default: str = "team") -> int | None:
        """The one reading of which team's holder of level ``key`` acts: the raising chair's own
        service for a ``chair_team`` level, else the team whose chain answers for the child."""
        return chair_team if self.holder_kind(key, default) == "chair_team" else child_team
    def manager_level(self, key: str) -> str | None:
        """The next rung above level ``key`` in the same management chain (``levels`` run from
        the lowest rung up): the child's side (``team`` and ``allocated`` holders) or the chair's
        own service (``chair_team``). None at the top, or for a level the procedure does not have."""
        keys = [lv.key for lv in self.levels]
        if key not in keys:
            return None
        own_side = self.level(key).holder == "chair_team"
        for lv in self.levels[keys.index(key) + 1:]:
            if (lv.holder == "chair_team") == own_side and lv.holder != "allocated":
                return lv.key
        return None

    def level_label(self, key: str) -> str:
        try:
            return self.level(key).label
        except KeyError:
            return key

    @property
    def legal_statuses(self) -> tuple[str, ...]:
        """Every legal status a child may have under this procedure: CLA, CP, CIN and its own."""
        return BASE_STATUSES + tuple(st.key for st in self.statuses if st.key not in BASE_STATUSES)

    def fact(self, key: str) -> Fact:
        for f in self.facts:
            if f.key == key:
                return f
        raise KeyError(key)
    def responders_label(self, stage: Stage) -> str:
        """Who answers ``stage``, as a chair reads it: "Team Manager", "Assistant Team Manager or
        Team Manager", "Team Manager and Service Manager (jointly)"."""
        names = [self.level_label(k) for k in stage.answering_levels]
        if len(names) == 1:
            return names[0]
        if stage.joint:
            return f"{', '.join(names[:-1])} and {names[-1]} (jointly)"
        return f"{', '.join(names[:-1])} or {names[-1]}"

    def category(self, key: str) -> Category:
        for c in self.categories:
            if c.key == key:
                return c
        raise KeyError(key)

    def starting_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.may_start)

    def escalation_targets(self, current: str) -> tuple[Stage, ...]:
        """Stages a chair may escalate to from ``current``, nearest first."""
        i = self.stage_index(current)
        later = self.stages[i + 1 :]
        if not later:
            return ()
        if self.rules.bypass is BypassRule.ANY:
            return later
        if self.rules.bypass is BypassRule.LISTED:
            return (later[0],) + tuple(s for s in later[1:] if s.bypass_target)
        return (later[0],)

    def entry_kind(self, from_key: str | None, to_key: str) -> str:
        """How a stage record was entered: "raise" (first), "escalate" (the next stage) or "bypass"."""
        if from_key is None:
            return "raise"
        try:
            return "escalate" if self.stage_index(to_key) == self.stage_index(from_key) + 1 else "bypass"
        except KeyError:
            return "escalate"

    def entry_gates(self, from_key: str | None, to_key: str) -> tuple[Approval, ...]:
        """The approvals needed before ``to_key`` is sent, entered from ``from_key`` (None: raised
        there): the stage's own ``requires_approval`` and every [[approvals]] on that transition."""
        out: list[Approval] = []
        try:
            if self.stage(to_key).requires_approval:
                from drp_tui.domain.policy_parts import Approval  # (a stage that needs approval: not at start)

                out.append(Approval("stage", self.rules.approval_level, to_stage=to_key))
        except KeyError:
            pass
        kind = self.entry_kind(from_key, to_key)
        for a in self.approvals:
            if a.on != kind or (a.to_stage and a.to_stage != to_key):
                continue
            if kind != "raise" and a.from_stage and a.from_stage != from_key:
                continue
            if all(o.gate != a.gate for o in out):
                out.append(a)
        return tuple(out)

    def cafcass_gates(self) -> tuple[Approval, ...]:
        return tuple(a for a in self.approvals if a.on == "cafcass_referral")

    def party_label(self, party: str) -> str:
        return self.vocabulary.chair_title if party == CHAIR else self.level_label(party)
    def cafcass_required_stages(self) -> tuple[Stage, ...]:
        """With ``cafcass = "after_all_stages"``: the stages that must each have been used (sent)."""
        if self.rules.cafcass is not CafcassRule.AFTER_ALL_STAGES:
            return ()
        if self.rules.cafcass_after_stages:
            return tuple(s for s in self.stages if s.key in self.rules.cafcass_after_stages)
        return tuple(s for s in self.stages if not s.informal)

    def tell_levels(self, before: str) -> tuple[str, ...]:
        """Levels whose discussion must be recorded before ``before`` (a step: cafcass_referral, legal_advice)."""
        if before == "legal_advice":
            return self.rules.legal_advice_tell_levels
        if before == "cafcass_referral" and self.rules.cafcass is not CafcassRule.NOT_APPLICABLE:
            return self.rules.cafcass_tell_levels
        return ()

    def short_reference(self, reference: str) -> str:
        """``reference`` as narrow screens show it (the vocabulary's ``short_reference_prefix``)."""
        v = self.vocabulary
        if v.short_reference_prefix and reference.startswith(v.reference_prefix + "-"):
            return v.short_reference_prefix + reference[len(v.reference_prefix):]
        return reference

    def reference(self, year: int, number: int) -> str:
        return f"{self.vocabulary.reference_prefix}-{year}-{number:04d}"
