"""The parts a policy profile may name: approval gates, yes/no facts, extra legal statuses,
conditional copies, meetings and overall caps.

The default profile names none of them, so this module is loaded only when a profile names
one (the loader imports it then; :mod:`drp_tui.domain.policy` names them only in annotations).
The rest of the profile (:class:`~drp_tui.domain.policy.Policy`, its stages, levels and
rules) is in ``policy.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from drp_tui.domain.policy import Timescale


@dataclass(frozen=True)
class Approval:
    """An approval gate on a transition: raising at ``to_stage``, escalating (next stage) or
    bypassing (a later stage) from ``from_stage`` ("" = any) to ``to_stage`` ("" = any), or a
    Cafcass referral; ``level`` (a Level.key) approves. ``on = "stage"`` is the legacy
    ``requires_approval`` gate (level = rules.approval_level, "" = the chairs' oversight)."""

    on: str
    level: str
    to_stage: str = ""
    from_stage: str = ""
    source: str = ""

    @property
    def gate(self) -> str:
        """The gate's identity on one stage record (what an approval record names)."""
        return f"{self.on}:{self.level}"


@dataclass(frozen=True)
class Fact:
    """A yes/no fact of a dispute the raise form asks (e.g. "In PLO or care proceedings")."""

    key: str
    label: str


@dataclass(frozen=True)
class ChildStatus:
    """A child's legal status the procedure names beyond CLA/CP/CIN (e.g. care experienced)."""

    key: str
    label: str


@dataclass(frozen=True)
class Copy:
    """A for-information copy to a level that holds only when the dispute has fact ``when``."""

    level: str
    when: str


@dataclass(frozen=True)
class Meeting:
    """A meeting expected at a stage: held within ``within`` of the stage being sent,
    arranged by the holder of level ``arranged_by`` ("" = the chair)."""

    within: Timescale = Timescale()
    arranged_by: str = ""


@dataclass(frozen=True)
class OverallCap:
    """A limit on the whole process, e.g. 17 working days for all stages."""

    working_days: int
    from_stage: str  # clock starts when this stage (or a later one) is first sent
    to_stage: str | None = None  # last stage the cap covers (None = to the end)
    label: str = ""
