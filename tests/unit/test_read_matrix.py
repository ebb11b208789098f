"""Who sees what: every role × every read (caseload, children, inbox, dispute, history,
siblings, reports), through the one rule in ``store.visibility``.

The world (invented): chair1 raised A and B together for two siblings and sent only A
to the team manager; C (a third sibling) is a draft; chair2 raised and sent D; in
another IRO team, a far chair raised F for a child of a far social-care team. Oversight
of the first IRO team, oversight of the far team, the administrator and a disabled
chair (who raised G) each read every screen.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from drp_tui.domain.model import Role
from drp_tui.services import disputes as ds
from drp_tui.services import reads, reports
from drp_tui.services.errors import PermissionDenied
from drp_tui.store import models as m
from drp_tui.store.queries import CaseloadQuery
from tests.factories import World

REFUSED = "refused"


def _raise(w: World, chair: m.Staff, *children: m.Child) -> list[int]:
    return ds.raise_dispute(w.ctx(chair), ds.RaiseInput(
        child_ids=[c.id for c in children], category=w.policy.categories[0].key,
        start_stage=w.policy.stages[0].key, issue_arose=date(2026, 11, 20), concern="Plan has drifted."))


@pytest.fixture
def scene(world: World) -> dict[str, Any]:
    w = world
    now = w.clock.now()
    assert w.other_child is not None
    sib = w.siblings
    a, b = _raise(w, w.chair, sib[0], sib[1])
    ds.send(w.ctx(), a)  # only A: B stays a draft
    (c,) = _raise(w, w.chair, sib[2])
    (d,) = _raise(w, w.other_chair, w.other_child)
    ds.send(w.ctx(w.other_chair), d)
    far_iro = m.Team.create(name="Far IRO Service", kind="iro_service")
    far_sc = m.Team.create(name="Far Social Care", kind="social_care")
    far_chair = m.Staff.create(username="farchair", name="Frankie Far", role=Role.CHAIR.value, team=far_iro,
                               created_at=now)
    far_over = m.Staff.create(username="farover", name="Orla Elsewhere", role=Role.OVERSIGHT.value,
                              team=far_iro, created_at=now)
    far_child = m.Child.create(case_number="F100", name="Far Child", legal_status=sib[0].legal_status,
                               team=far_sc, chair=far_chair)
    (f,) = _raise(w, far_chair, far_child)
    gone = m.Staff.create(username="gone", name="Dana Gone", role=Role.CHAIR.value, team=w.chair.team_id,
                          created_at=now)
    gone_child = m.Child.create(case_number="G100", name="Gone Child", legal_status=sib[0].legal_status,
                                team=w.other_child.team_id, chair=gone)
    (g,) = _raise(w, gone, gone_child)
    m.Staff.update(active=False).where(m.Staff.id == gone.id).execute()  # disabled after raising G
    return {"w": w, "ids": {"A": a, "B": b, "C": c, "D": d, "F": f, "G": g},
            "who": {"chair": w.chair, "responder": w.responder(w.policy.stages[0].key), "oversight": w.oversight,
                    "other_oversight": far_over, "admin": w.admin, "disabled": gone},
            "sib0": sib[0].id}


def _read(scene: dict[str, Any], role: str) -> dict[str, Any]:
    """What ``role`` sees on each screen, as letters / names, or REFUSED."""
    w: World = scene["w"]
    ids: dict[str, int] = scene["ids"]
    letter = {v: k for k, v in ids.items()}
    ctx = w.ctx(scene["who"][role])

    def attempt(fn: Any) -> Any:
        try:
            return fn()
        except PermissionDenied:
            return REFUSED

    out: dict[str, Any] = {}
    out["caseload"] = attempt(lambda: {letter[r.id] for r in reads.caseload_page(
        ctx, CaseloadQuery(view="all"), 0, 100)})
    out["caseload_count"] = attempt(lambda: reads.caseload_count(ctx, CaseloadQuery(view="all")))
    out["children"] = attempt(lambda: {line.child.name for line in reads.children(ctx)})
    out["inbox"] = attempt(lambda: {letter.get(n.dispute_id or 0, "-") for n in reads.inbox(ctx)[0]})
    out["dispute"] = {k: attempt(lambda k=k: reads.dispute(ctx, ids[k]).reference) != REFUSED
                      for k in ("A", "B", "D", "F")}
    out["history"] = attempt(lambda: {letter[v.id] for v in reads.history(ctx, child_id=scene["sib0"]).disputes})
    out["dispute_history"] = attempt(lambda: len(reads.history(ctx, dispute_id=ids["A"]).events) > 0)
    out["siblings"] = attempt(lambda: {letter[v.id] for v in reads.siblings(ctx, ids["A"])})

    def report() -> tuple[int, set[str]]:
        r = reports.report_for(ctx)
        return r.total, {letter[o.dispute_id] for o in r.outstanding}
    out["reports"] = attempt(report)
    return out


SIBS = {"Sibling 0", "Sibling 1", "Sibling 2"}
NO = {"A": False, "B": False, "D": False, "F": False}

EXPECTED: dict[str, dict[str, Any]] = {
    "chair": {
        "caseload": {"A", "B", "C"}, "caseload_count": 3, "children": SIBS, "inbox": set(),
        "dispute": {"A": True, "B": True, "D": False, "F": False}, "history": {"A"},
        "dispute_history": True, "siblings": {"B"}, "reports": REFUSED},
    "responder": {  # the team manager: A and D were sent to them; B is still a draft
        "caseload": {"A", "D"}, "caseload_count": 2, "children": {"Sibling 0", "Other Child"},
        "inbox": {"A", "D"}, "dispute": {"A": True, "B": False, "D": True, "F": False}, "history": {"A"},
        "dispute_history": True, "siblings": set(), "reports": REFUSED},
    "oversight": {  # own IRO team: every dispute its chairs raised (G too: the chair is disabled, not the dispute)
        "caseload": {"A", "B", "C", "D", "G"}, "caseload_count": 5,
        "children": SIBS | {"Other Child", "Gone Child"}, "inbox": set(),
        "dispute": {"A": True, "B": True, "D": True, "F": False}, "history": {"A"},
        "dispute_history": True, "siblings": {"B"}, "reports": (5, {"A", "B", "C", "D", "G"})},
    "other_oversight": {  # another team's service manager: only the far team
        "caseload": {"F"}, "caseload_count": 1, "children": {"Far Child"}, "inbox": set(),
        "dispute": {"A": False, "B": False, "D": False, "F": True}, "history": REFUSED,
        "dispute_history": REFUSED, "siblings": REFUSED, "reports": (1, {"F"})},
    "admin": {  # accounts and configuration: no child, no dispute; reports are counts only
        "caseload": set(), "caseload_count": 0, "children": set(), "inbox": set(), "dispute": NO,
        "history": REFUSED, "dispute_history": REFUSED, "siblings": REFUSED, "reports": (6, set())},
    "disabled": {  # sees nothing at all: every read refuses
        "caseload": REFUSED, "caseload_count": REFUSED, "children": REFUSED, "inbox": REFUSED, "dispute": NO,
        "history": REFUSED, "dispute_history": REFUSED, "siblings": REFUSED, "reports": REFUSED},
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_read_matrix(scene: dict[str, Any], role: str) -> None:
    assert _read(scene, role) == EXPECTED[role]


def test_filter_matches_percent_and_underscore_literally(either_world: World) -> None:
    """On both engines (PostgreSQL writes a short filter as one CASE, a longer one looked up)."""
    w = either_world
    assert w.child is not None and w.other_child is not None
    m.Child.update(name="100%_done").where(m.Child.id == w.siblings[0].id).execute()
    m.Child.update(name="A_B").where(m.Child.id == w.siblings[1].id).execute()
    m.Child.update(name="AxB 100 done").where(m.Child.id == w.siblings[2].id).execute()
    for s in w.siblings:
        _raise(w, w.chair, s)
    ctx = w.ctx()

    def names(text: str) -> set[str]:
        q = CaseloadQuery(view="all", text=text)
        return {r.child_name for r in reads.caseload_page(ctx, q, 0, 50)}

    assert names("%") == {"100%_done"}
    assert names("A_B") == {"A_B"}  # not AxB
    assert names("100%") == {"100%_done"}
    assert names("%_d") == {"100%_done"}
    assert names("a_b") == {"A_B"}  # still case-insensitive
    assert names("\\") == set()
    # the children filter (names and case numbers only): "_" is an underscore, not "any character"
    assert {line.child.name for line in reads.children(ctx, search="_")} == {"100%_done", "A_B"}
    assert {line.child.name for line in reads.children(ctx, search="%")} == {"100%_done"}
