"""A small invented world for tests: two teams, a full management chain, chairs, children."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.model import Role
from drp_tui.domain.policy import Policy
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services.context import Ctx
from drp_tui.services.passwords import hash_password
from drp_tui.store import models as m

PASSWORD = "test-pass-1"
_PW_HASH: list[str] = []


def _pw() -> str:
    if not _PW_HASH:
        _PW_HASH.append(hash_password(PASSWORD, n=2**10))
    return _PW_HASH[0]


@dataclass
class World:
    policy: Policy
    calendar: WorkingCalendar
    clock: FrozenClock
    chair: m.Staff
    other_chair: m.Staff
    oversight: m.Staff
    admin: m.Staff
    worker: m.Staff
    levels: dict[str, m.Staff] = field(default_factory=dict)  # level key -> holder
    child: m.Child | None = None
    siblings: list[m.Child] = field(default_factory=list)  # child + its siblings
    other_child: m.Child | None = None  # another chair's child

    def ctx(self, who: m.Staff | None = None) -> Ctx:
        return Ctx((who or self.chair).id, self.policy, self.calendar, self.clock)

    def responder(self, stage_key: str) -> m.Staff:
        level = self.policy.stage(stage_key).responder_level
        if self.policy.level(level).holder == "allocated":
            return self.worker
        return self.levels[level]


def make_world(policy: Policy, calendar: WorkingCalendar, clock: FrozenClock) -> World:
    now = clock.now()
    sc = m.Team.create(name="Test Social Care", kind="social_care")
    iro = m.Team.create(name="Test IRO Service", kind="iro_service")

    def staff(username: str, name: str, role: Role, team: m.Team, title: str = "") -> m.Staff:
        return m.Staff.create(username=username, name=name, role=role.value, team=team, title=title,
                              password_hash=_pw(), created_at=now)

    chair = staff("chair1", "Casey Chair", Role.CHAIR, iro, policy.vocabulary.chair_title)
    other_chair = staff("chair2", "Drew Chair", Role.CHAIR, iro, policy.vocabulary.chair_title)
    oversight = staff("over1", "Olive Oversight", Role.OVERSIGHT, iro, "IRO Service Manager")
    admin = staff("admin1", "Ada Admin", Role.ADMIN, iro, "Administrator")
    worker = staff("sw1", "Sol Worker", Role.RESPONDER, sc, "Social Worker")
    levels: dict[str, m.Staff] = {}
    for i, level in enumerate(policy.levels):
        if level.holder == "allocated":
            levels[level.key] = worker
            m.TeamRole.create(team=sc, level=level.key, staff=worker)
            continue
        if level.holder == "chair_team" and level.key == policy.rules.approval_level:
            holder, team = oversight, iro
        else:
            team = iro if level.holder == "chair_team" else sc
            holder = staff(f"lvl{i}", f"Manager {level.label}", Role.RESPONDER, team, level.label)
        levels[level.key] = holder
        m.TeamRole.create(team=team, level=level.key, staff=holder)
    status = policy.applies_to[0] if policy.applies_to else "CLA"
    group = m.SiblingGroup.create(name="Test siblings")
    sibs = [m.Child.create(case_number=f"T{100 + i}", name=f"Sibling {i}", legal_status=status,
                           date_of_birth=date(2015, 1, 1 + i), team=sc, chair=chair, social_worker=worker,
                           sibling_group=group) for i in range(3)]
    other = m.Child.create(case_number="T900", name="Other Child", legal_status=status, team=sc,
                           chair=other_chair, social_worker=worker)
    return World(policy, calendar, clock, chair, other_chair, oversight, admin, worker, levels,
                 sibs[0], sibs, other)
