"""Drafts: unsaved form text kept for its owner when the desk closes their screens.

The desk saves one when someone else signs in at the idle lock (or the owner signs
out) while a form still holds text. Drafts are private to their owner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from drp_tui.services.common import actor, clean_text, load, service
from drp_tui.services.context import Ctx
from drp_tui.services.errors import ValidationError
from drp_tui.store import models as m

MAX_PAYLOAD = 200_000  # characters of JSON in one draft


@dataclass(frozen=True)
class DraftView:
    id: int
    dispute_id: int | None
    payload: dict[str, object]
    reason: str
    saved_at: datetime


@service
def save_draft(ctx: Ctx, dispute_id: int | None, payload: dict[str, object], reason: str) -> int:
    """Keep ``payload`` (a form's fields) for the signed-in person; returns the draft id."""
    who = actor(ctx)
    if not isinstance(payload, dict):
        raise ValidationError("draft: the payload must be a mapping of field names to text", field="payload")
    try:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"draft: cannot be stored ({exc})", field="payload") from None
    if len(body) > MAX_PAYLOAD:
        raise ValidationError(f"draft: too long ({len(body)} characters; at most {MAX_PAYLOAD})", field="payload")
    if dispute_id is not None:
        load(dispute_id)  # refuses an unknown dispute
    d = m.Draft.create(owner=who, dispute=dispute_id, payload=body,
                       reason=clean_text(reason, "reason", short=True), saved_at=ctx.now())
    return int(d.id)


def my_drafts(ctx: Ctx) -> list[DraftView]:
    """The signed-in person's drafts, newest first."""
    q = m.Draft.select().where(m.Draft.owner == ctx.actor_id).order_by(m.Draft.saved_at.desc(), m.Draft.id.desc())
    return [DraftView(d.id, d.dispute_id, json.loads(d.payload), d.reason, d.saved_at) for d in q]
