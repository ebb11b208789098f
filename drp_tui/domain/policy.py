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


@dataclass(frozen=True)
class Timescale:
    """A response timescale: working days, or clock hours. Both None = none set."""

    working_days: int | None = None
    hours: int | None = None

    @property
    def is_set(self) -> bool:
        return self.working_days is not None or self.hours is not None

    def describe(self) -> str:
        if self.working_days is not None:
            n = self.working_days
            return f"{n} working day{'s' if n != 1 else ''}"
        if self.hours is not None:
            return f"{self.hours} hour{'s' if self.hours != 1 else ''}"
        return "no timescale"


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

    def reference(self, year: int, number: int) -> str:
        return f"{self.vocabulary.reference_prefix}-{year}-{number:04d}"
