"""Disputes keep their procedure: pinning a dispute to the exact profile it runs under,
and moving open disputes to the current profile on purpose (``drp policies upgrade``).

A dispute is pinned when it is raised (``pin_in_force``), to the SHA-256 of the
profile's content as loaded; the content is kept once in ``policy_snapshot``.
``Ctx.policy_of`` resolves a dispute by that digest, so editing, replacing or
renaming the installation's profile never changes a running dispute.

Disputes written before pinning existed are pinned by ``pin_unpinned`` at the first
open that knows the installation's profile (a schema migration does not): to that
profile if its key matches, else to the built-in profile of the dispute's key.

``plan_upgrade`` says, for each open dispute pinned to other content, what moving it
to the current profile changes, or why it cannot move (its current stage, or a stage
in its history it still needs, is gone). ``upgrade_dispute`` moves one (one audited
event, clocks refreshed). Both read no dispute text: the command line's
``InstallationAdmin`` may run them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import cast

from drp_tui.domain.model import Status
from drp_tui.domain.policy import Policy, Stage, Timescale
from drp_tui.domain.policy_loader import PolicyError, builtin_keys, load_builtin
from drp_tui.services.common import event, refresh_clocks, service
from drp_tui.services.context import Ctx, pinned_policy, remember
from drp_tui.services.errors import DomainError, NotFound
from drp_tui.store import models as m

OPEN = [s.value for s in Status if s.is_open]


def _by(ctx: Ctx) -> str:
    os_user = getattr(ctx, "os_user", None)
    return f", at the command line by OS user '{os_user}'" if os_user else ""


def pin_in_force(ctx: Ctx, policy: Policy) -> str:
    """Keep ``policy``'s content (once) and return its digest, for a dispute raised under it.
    Call inside the write transaction that writes the dispute."""
    store_snapshot(policy, ctx)
    return policy.digest


def store_snapshot(policy: Policy, ctx: Ctx) -> None:
    remember(policy)
    if not m.PolicySnapshot.select().where(m.PolicySnapshot.digest == policy.digest).exists():
        (m.PolicySnapshot.insert(digest=policy.digest, key=policy.key, version=policy.version,
                                 content=policy.text, first_seen_at=ctx.now())
         .on_conflict_ignore().execute())


# --- disputes written before pinning -------------------------------------------------


def _legacy_policy(ctx: Ctx, key: str) -> Policy | None:
    if key == ctx.policy.key:
        return ctx.policy
    try:
        return load_builtin(key)
    except PolicyError:
        return None


@service
def pin_unpinned(ctx: Ctx) -> int:
    """Pin every dispute that has no pin yet to the profile it resolves to today (the
    installation's if the key matches, else the built-in of its key); one event each.
    Disputes whose key matches neither stay unpinned (``drp check`` lists them).
    Returns how many were pinned. Cheap when there are none."""
    rows = list(m.Dispute.select(m.Dispute.id, m.Dispute.reference, m.Dispute.policy_key, m.Dispute.policy_version,
                                 m.Dispute.child)
                .where(m.Dispute.policy_digest == "").order_by(m.Dispute.id))
    done = 0
    for d in rows:
        policy = _legacy_policy(ctx, d.policy_key)
        if policy is None:
            continue
        store_snapshot(policy, ctx)
        m.Dispute.update(policy_digest=policy.digest, policy_version=policy.version).where(
            m.Dispute.id == d.id).execute()
        m.note_write(m.Dispute, d.id)
        event(ctx, "pinned", f"{d.reference} pinned to the procedure it runs under: {policy.key} version "
              f"{policy.version} ({policy.digest[:12]}){_by(ctx)}", d,
              before={"policy_version": d.policy_version},
              after={"policy_key": policy.key, "policy_version": policy.version, "policy_digest": policy.digest})
        done += 1
    return done


def unpinned_count() -> int:
    return m.Dispute.select().where(m.Dispute.policy_digest == "").count()


def unpinnable(policy: Policy) -> dict[str, int]:
    """Unpinned disputes whose profile key is neither ``policy``'s nor a built-in's: key -> count.
    They cannot be pinned to what they started under (it is gone) and run under ``policy``."""
    out: dict[str, int] = {}
    keys = cast("list[tuple[str]]", list(m.Dispute.select(m.Dispute.policy_key)
                                          .where(m.Dispute.policy_digest == "").tuples()))
    for (gone,) in keys:
        if gone != policy.key and gone not in builtin_keys():
            out[gone] = out.get(gone, 0) + 1
    return out


# --- what moving to the current profile changes ------------------------------------


@dataclass(frozen=True)
class Move:
    """One open dispute pinned to other content than the current profile."""

    dispute_id: int
    reference: str
    from_key: str
    from_version: int
    from_digest: str
    changes: tuple[str, ...]  # readable lines: what differs for this dispute
    refused: str = ""  # why it cannot move ("" = it can)


def _ts(t: Timescale) -> str:
    return t.describe() if t.is_set else "none"


def _stage_rules(s: Stage) -> dict[str, str]:
    return {
        "label": s.label, "timescale": _ts(s.timescale), "responder": " / ".join(s.answering_levels) + (" (all)" if s.joint else "")
        + ("" if s.response_expected else " (no response expected)"),
        "informs": ", ".join(s.inform_levels) or "-", "meeting expected": str(s.meeting_expected).lower(),
        "needs approval": str(s.requires_approval).lower(), "informal": str(s.informal).lower(),
        "may start": str(s.may_start).lower(), "bypass target": str(s.bypass_target).lower(),
        **_stage_extras(s),
    }


def _stage_extras(s: Stage) -> dict[str, str]:
    """The optional stage keys, only where set (a profile without them compares as before)."""
    out: dict[str, str] = {}
    if s.inform_when:
        out["informs when"] = ", ".join(f"{c.level} if {c.when}" for c in s.inform_when)
    if s.inform_teams:
        out["informs teams"] = ", ".join(s.inform_teams)
    if s.response_to_levels:
        out["response to"] = ", ".join(s.response_to_levels)
    if s.meeting is not None:
        out["meeting"] = f"within {_ts(s.meeting.within)}, arranged by {s.meeting.arranged_by or 'the chair'}"
    if s.monitoring.is_set:
        out["monitoring"] = _ts(s.monitoring)
    return out


def _rules(p: Policy) -> dict[str, str]:
    r = p.rules
    caps = "; ".join(f"{c.working_days} working days {c.from_stage}..{c.to_stage or 'last'}" for c in r.caps)
    return {
        "raise window": _ts(r.raise_window), "raise window met by": r.raise_window_met_by.value,
        "negotiation window": _ts(r.negotiation_window), "monitoring meeting": _ts(r.monitoring_meeting),
        "immediate concern": _ts(r.immediate_concern), "immediate written record": _ts(r.immediate_written_record),
        "overall caps": caps or "none", "bypass": r.bypass.value, "Cafcass": r.cafcass.value,
        "extensions allowed": str(r.extensions_allowed).lower(),
        "extension needs a reason": str(r.extension_needs_reason).lower(),
        "due soon (working days)": str(r.due_soon_working_days), "approval level": r.approval_level or "none",
        "compliments": str(r.compliments).lower(), "siblings together": str(r.siblings_together).lower(),
    }


def _later(p: Policy, current: str) -> list[str]:
    try:
        return [s.key for s in p.stages[p.stage_index(current) + 1:]]
    except KeyError:
        return []


def diff(old: Policy, new: Policy, stages: list[str]) -> list[str]:
    """What differs between ``old`` and ``new`` for a dispute that has used ``stages`` (its
    history, current last) and may still reach the later ones: readable lines."""
    out: list[str] = []
    if (old.key, old.version) != (new.key, new.version):
        out.append(f"profile: {old.key} v{old.version} -> {new.key} v{new.version}")
    elif old.digest != new.digest:
        out.append(f"profile: {old.key} v{old.version}, content edited without a new version number")
    current = stages[-1] if stages else ""
    relevant = list(dict.fromkeys(stages + _later(old, current) + _later(new, current)))
    for key in relevant:
        try:
            before: dict[str, str] | None = _stage_rules(old.stage(key))
        except KeyError:
            before = None
        try:
            after: dict[str, str] | None = _stage_rules(new.stage(key))
        except KeyError:
            after = None
        if before is None and after is not None:
            out.append(f"stage {key}: new stage ({after['label']}, timescale {after['timescale']})")
        elif before is not None and after is None:
            used = " (in its history: shown by its key from now on)" if key in stages else ""
            out.append(f"stage {key}: removed ({before['label']}){used}")
        elif before is not None and after is not None:
            out += [f"stage {key}: {name} {before[name]} -> {after[name]}" for name in before
                    if before[name] != after[name]]
    old_r, new_r = _rules(old), _rules(new)
    out += [f"rule {name}: {old_r[name]} -> {new_r[name]}" for name in old_r if old_r[name] != new_r[name]]
    return out


def _history(dispute_id: int) -> list[str]:
    keys = [r.stage_key for r in m.StageRecord.select(m.StageRecord.stage_key)
            .where(m.StageRecord.dispute == dispute_id).order_by(m.StageRecord.seq)]
    return list(dict.fromkeys(keys))


def _refusal(new: Policy, current: str, stages: list[str]) -> str:
    """Why a dispute at ``current`` with history ``stages`` cannot move to ``new`` ("" = it can).

    Its current stage must exist. A stage of its history must too while ``new`` has an
    overall cap: the cap counts from when a stage at or after its start was sent, which a
    stage unknown to ``new`` cannot say. Otherwise a gone history stage is only a label."""
    known = {s.key for s in new.stages}
    if current not in known:
        return f"its current stage {current!r} does not exist in {new.key} v{new.version}"
    gone = [k for k in stages if k not in known]
    if gone and new.rules.caps:
        return (f"stage(s) of its history {', '.join(repr(k) for k in gone)} do not exist in "
                f"{new.key} v{new.version}, whose overall cap counts from the stages sent")
    return ""


def _plan_one(ctx: Ctx, d: m.Dispute) -> Move:
    old = ctx.policy_of(d)
    new = ctx.policy
    stages = _history(d.id)
    if d.current_stage not in stages:
        stages.append(d.current_stage)
    return Move(d.id, d.reference, d.policy_key, d.policy_version, d.policy_digest,
                tuple(diff(old, new, stages)), _refusal(new, d.current_stage, stages))


@service
def plan_upgrade(ctx: Ctx) -> list[Move]:
    """Every open dispute pinned to other content than ``ctx.policy``, with what moving it
    changes or why it cannot move. Reads no dispute text; changes nothing."""
    rows = (m.Dispute.select(m.Dispute.id, m.Dispute.reference, m.Dispute.policy_key, m.Dispute.policy_version,
                             m.Dispute.policy_digest, m.Dispute.current_stage, m.Dispute.start_stage)
            .where(m.Dispute.status.in_(OPEN) & (m.Dispute.policy_digest != ctx.policy.digest)
                   & (m.Dispute.policy_digest != ""))
            .order_by(m.Dispute.id))
    return [_plan_one(ctx, d) for d in rows]


@service
def upgrade_dispute(ctx: Ctx, reference: str) -> Move:
    """Move one open dispute (by reference) to ``ctx.policy``: one audited event, clocks
    refreshed. Refused (DomainError, nothing changed) where ``plan_upgrade`` refuses."""
    d = m.Dispute.get_or_none(m.Dispute.reference == reference)
    if d is None:
        raise NotFound(f"{reference}: no such dispute")
    if not Status(d.status).is_open:
        raise DomainError(f"{reference} is {Status(d.status).label}: only open disputes move")
    new = ctx.policy
    if d.policy_digest == new.digest:
        raise DomainError(f"{reference} already runs under {new.key} v{new.version}")
    move = _plan_one(ctx, d)
    if move.refused:
        raise DomainError(f"{reference}: {move.refused}")
    store_snapshot(new, ctx)
    m.Dispute.update(policy_key=new.key, policy_version=new.version, policy_digest=new.digest).where(
        m.Dispute.id == d.id).execute()
    m.note_write(m.Dispute, d.id)
    event(ctx, "procedure upgraded",
          f"{reference} moved from {move.from_key} v{move.from_version} to {new.key} v{new.version}"
          f"{_by(ctx)}", d,
          before={"policy_key": move.from_key, "policy_version": move.from_version, "policy_digest": move.from_digest},
          after={"policy_key": new.key, "policy_version": new.version, "policy_digest": new.digest,
                 "changes": list(move.changes)})
    d = m.Dispute.get_by_id(d.id)
    refresh_clocks(ctx, d)
    return move


# --- what 'drp check' reports ---------------------------------------------------------


@dataclass(frozen=True)
class PinReport:
    current: int  # open disputes on the current profile
    older: tuple[tuple[str, int, int], ...]  # (key, version, open disputes) pinned elsewhere
    unpinned: int
    unpinnable: tuple[tuple[str, int], ...]  # unpinned, whose profile key exists nowhere: (key, count)
    missing: tuple[str, ...]  # digests disputes are pinned to with no (loadable) snapshot
    bad_snapshots: tuple[str, ...]  # snapshots whose content does not hash to their digest


def pin_report(policy: Policy) -> PinReport:
    """Open disputes per profile version, against ``policy``. A read: no transaction needed."""
    import hashlib

    older: Counter[tuple[str, int]] = Counter()
    current = 0
    digests: set[str] = set()
    now_in_force: str = policy.digest
    rows = cast("list[tuple[str, int, str]]", list(
        m.Dispute.select(m.Dispute.policy_key, m.Dispute.policy_version, m.Dispute.policy_digest)
        .where(m.Dispute.status.in_(OPEN) & (m.Dispute.policy_digest != "")).tuples()))
    for pkey, pversion, pdigest in rows:
        digests.add(pdigest)
        if pdigest == now_in_force:
            current += 1
        else:
            older[(pkey, pversion)] += 1
    bad = tuple(s.digest for s in m.PolicySnapshot.select(m.PolicySnapshot.digest, m.PolicySnapshot.content)
                if hashlib.sha256(s.content.encode("utf-8")).hexdigest() != s.digest)
    missing = tuple(sorted(d for d in digests if d != now_in_force and pinned_policy(d) is None))
    return PinReport(current, tuple((k, v, n) for (k, v), n in sorted(older.items())), unpinned_count(),
                     tuple(sorted(unpinnable(policy).items())), missing, bad)
