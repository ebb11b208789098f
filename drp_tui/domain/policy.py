"""Policy profile types: one authority's Dispute Resolution Process as data.

The built-in profiles live in ``drp_tui/policies/*.toml``; the loader in
``drp_tui.domain.policy_loader`` turns a TOML file into a :class:`Policy`.
Nothing here knows about any particular authority.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any


class CafcassRule(str, Enum):
    """When a chair may refer to Cafcass."""

    AFTER_LAST_STAGE = "after_last_stage"  # all stages must be used first
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


@dataclass(frozen=True)
class OverallCap:
    """A limit on the whole process, e.g. 17 working days for all stages."""

    working_days: int
    from_stage: str  # clock starts when this stage (or a later one) is first sent
    to_stage: str | None = None  # last stage the cap covers (None = to the end)
    label: str = ""


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
    cafcass_tell_levels: tuple[str, ...] = ()  # levels to tell before referring
    legal_advice_tell_levels: tuple[str, ...] = ()  # levels to tell before legal advice
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
    # The content it was loaded from (the TOML text; canonical JSON when built from a
    # mapping): what a dispute is pinned to. Build a changed profile by loading changed
    # text, never with dataclasses.replace (which would keep the old text).
    text: str = field(default="", compare=False, repr=False)
    # The reserved ``[local]`` table: the authority's own documentation keys, kept as
    # written and never read by the engine (it is part of ``text``, so of the pin).
    local: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

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

    def level_label(self, key: str) -> str:
        try:
            return self.level(key).label
        except KeyError:
            return key

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

    def reference(self, year: int, number: int) -> str:
        return f"{self.vocabulary.reference_prefix}-{year}-{number:04d}"
