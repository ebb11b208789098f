"""Drafts: unsaved form text kept for its owner when the desk closes their screens.

The desk saves one when someone else signs in at the idle lock, the owner signs out or
quits, or the session ends (the terminal hangs up, the process is told to stop) while a
form still holds text. Drafts are private to their owner.

One draft per owner per form: a dispute's form (``dispute_id``) or a child's raise form
(``child_id``); saving again replaces the older one. The payload is what the screen's
``unsaved_draft()`` returned (field key -> text, ticks, choices; ``actions`` -> SMART rows);
every text in it is bounded by the same limits the services apply (``MAX_TEXT`` /
``MAX_SHORT``), and the forms refuse longer text at input, so a draft is never cut short.
A draft leaves when its owner discards it or saves the form it was restored into
(``remove_draft``, with an audit event).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from drp_tui.services.common import actor, clean_text, event, load, service, valid_id
from drp_tui.services.context import Ctx
from drp_tui.services.errors import NotFound, PermissionDenied, ValidationError
from drp_tui.store import models as m

MAX_KEYS = 60  # fields in one form's payload
MAX_ROWS = 200  # SMART action rows
SHORT_KEYS = frozenset({"category", "start_stage", "issue_arose", "raised_on"})  # choices and dates


@dataclass(frozen=True)
class DraftView:
    id: int
    dispute_id: int | None
    payload: dict[str, object]
    reason: str
    saved_at: datetime
    child_id: int | None = None
    title: str = ""  # what the draft belongs to, e.g. "DRP-2026-0004 (Ruby Stone)"

    @property
    def form(self) -> str:
        return "dispute" if self.dispute_id is not None else "raise" if self.child_id is not None else "other"


def _check_value(key: str, value: object) -> None:
    """Every text in a payload within the field limits (a ValidationError naming the field otherwise)."""
    from drp_tui.domain.forms import MAX_SHORT, MAX_TEXT  # (the forms' limits: loaded when a draft is kept)

    if value is None or isinstance(value, (bool, int, float)):
        return
    if isinstance(value, str):
        limit = MAX_SHORT if key in SHORT_KEYS else MAX_TEXT
        if len(value) > limit:
            raise ValidationError(f"{key.replace('_', ' ')}: at most {limit:,} characters", field=key)
        return
    if key == "actions" and isinstance(value, (list, tuple)):
        if len(value) > MAX_ROWS:
            raise ValidationError(f"actions: at most {MAX_ROWS} rows", field="actions")
        for n, row in enumerate(value, 1):
            if not isinstance(row, (list, tuple)) or len(row) != 3 or not all(isinstance(x, str) for x in row):
                raise ValidationError(f"action {n}: must be what / who / by when", field="actions")
            for part, text, limit in zip(("what", "who", "by when"), row, (MAX_TEXT, MAX_SHORT, MAX_SHORT), strict=True):
                if len(text) > limit:
                    raise ValidationError(f"action {n} {part}: at most {limit:,} characters", field="actions")
        return
    raise ValidationError(f"{key.replace('_', ' ')}: cannot be kept in a draft", field=key)


def _body(payload: object) -> str:
    from drp_tui.domain.forms import MAX_SHORT

    if not isinstance(payload, dict) or not payload:
        raise ValidationError("draft: the payload must be a mapping of field names to text", field="payload")
    if len(payload) > MAX_KEYS:
        raise ValidationError(f"draft: at most {MAX_KEYS} fields", field="payload")
    for key, value in payload.items():
        if not isinstance(key, str) or not key or len(key) > MAX_SHORT:
            raise ValidationError("draft: field names must be short text", field="payload")
        _check_value(key, value)
    try:
        return json.dumps(payload, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"draft: cannot be stored ({exc})", field="payload") from None


def _same_form(owner: int, dispute_id: int | None, child_id: int | None) -> object:
    q = m.Draft.owner == owner
    if dispute_id is not None:
        return q & (m.Draft.dispute == dispute_id)
    q = q & m.Draft.dispute.is_null()
    return q & (m.Draft.child == child_id) if child_id is not None else q & m.Draft.child.is_null()


@service
def save_draft(ctx: Ctx, dispute_id: int | None, payload: dict[str, object], reason: str,
               child_id: int | None = None) -> int:
    """Keep ``payload`` (a form's fields) for the signed-in person, replacing their older draft of
    the same form (the dispute's, or the child's raise form); returns the draft id."""
    who = actor(ctx)
    body = _body(payload)
    why = clean_text(reason, "reason", short=True)
    ref = ""
    if dispute_id is not None:
        ref = load(dispute_id).reference  # refuses an unknown dispute
        child_id = None
    elif child_id is not None:
        kid = m.Child.get_or_none(m.Child.id == valid_id(child_id)) if valid_id(child_id) else None
        if kid is None:
            raise NotFound(f"Child {child_id} does not exist.")
        ref = f"raise form for child {kid.case_number}"
    replaced = m.Draft.delete().where(_same_form(who.id, dispute_id, child_id)).execute()
    d = m.Draft.create(owner=who, dispute=dispute_id, child=child_id, payload=body, reason=why, saved_at=ctx.now())
    event(ctx, "draft_saved", f"Unsaved text kept as a draft ({ref or 'no form'}; {why or 'no reason given'})"
          + (" replacing the older one" if replaced else ""))
    return int(d.id)


@service
def remove_draft(ctx: Ctx, draft_id: int, why: str = "discarded") -> None:
    """The owner discards a draft, or has saved the form it was restored into (``why``)."""
    who = actor(ctx)
    d = m.Draft.get_or_none(m.Draft.id == valid_id(draft_id)) if valid_id(draft_id) else None
    if d is None:
        raise NotFound("That draft is no longer there.")
    if d.owner_id != who.id:
        raise PermissionDenied("A draft is private to the person who typed it.")
    ref = _title(d, short=True)
    d.delete_instance()
    event(ctx, "draft_removed", f"Draft removed ({ref or 'no form'}): {clean_text(why, 'why', short=True)}")


def _title(d: m.Draft, short: bool = False) -> str:
    """What a draft belongs to (``short``: no child's name, for the audit trail)."""
    if d.dispute_id:
        dispute = m.Dispute.get_by_id(d.dispute_id)
        return str(dispute.reference) if short else f"{dispute.reference} ({m.Child.get_by_id(dispute.child_id).name})"
    if d.child_id:
        kid = m.Child.get_by_id(d.child_id)
        return f"raise form for child {kid.case_number}" if short else f"Raise form: {kid.name} ({kid.case_number})"
    return ""


def _view(d: m.Draft) -> DraftView:
    return DraftView(d.id, d.dispute_id, json.loads(d.payload), d.reason, d.saved_at, d.child_id,
                     _title(d) or "Form")


def my_drafts(ctx: Ctx) -> list[DraftView]:
    """The signed-in person's drafts, newest first."""
    q = m.Draft.select().where(m.Draft.owner == ctx.actor_id).order_by(m.Draft.saved_at.desc(), m.Draft.id.desc())
    return [_view(d) for d in q]


def draft_count(ctx: Ctx) -> int:
    return int(m.Draft.select().where(m.Draft.owner == ctx.actor_id).count())


def draft_for(ctx: Ctx, *, dispute_id: int | None = None, child_id: int | None = None) -> DraftView | None:
    """The signed-in person's draft of one form (a dispute's, or a child's raise form), if any."""
    if ctx.actor_id is None or (dispute_id is None and child_id is None):
        return None
    d = (m.Draft.select().where(_same_form(ctx.actor_id, dispute_id, None if dispute_id is not None else child_id))
         .order_by(m.Draft.saved_at.desc(), m.Draft.id.desc()).first())
    return _view(d) if d is not None else None
