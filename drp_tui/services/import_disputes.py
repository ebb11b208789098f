"""Disputes already running, in from an authority's old tracker (a spreadsheet saved as CSV).

``import_disputes`` is one ``@service`` (one transaction, audited), for the installation's
administrator, like the other imports (``services.imports``):

* each row is one dispute: the child (case number), the chair, the category, the dates
  the issue arose and the dispute was raised, the stage it has reached and the day that
  stage was sent, its status, and, where they apply, the day a response came, the day it
  was closed and its outcome. Categories and stages are the keys or the labels of the
  procedure in force; statuses are the desk's words (a ``--map`` can name the tracker's);
* an imported dispute is **pinned** to the procedure in force, gets a reference of this
  desk (the old one is kept as ``imported_ref`` and shown in its history), and from then
  on is like any other: its stage's response clock runs from the day that stage was sent,
  it is counted in reports, and the chair carries on with it in the desk;
* **upsert by the old reference**: a row already imported, unchanged, changes nothing. A
  row that now differs from what was imported is refused (named, with the fields): once
  imported, the desk's record is the one kept, and changes are made there;
* **all or nothing**, as for the other imports: every row is checked before anything is
  written; ``skip_bad`` writes the good rows; ``dry_run`` checks and reports only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from drp_tui.domain.deadlines import compute_due
from drp_tui.domain.forms import MAX_TEXT
from drp_tui.domain.model import Role, Status
from drp_tui.domain.policy import Policy, Stage
from drp_tui.domain.timeutil import LONDON, utc
from drp_tui.services.common import event, level_holder, service, touch
from drp_tui.services.context import Ctx
from drp_tui.services.csvfiles import CsvFile, norm_header, parse_date
from drp_tui.services.disputes import _next_reference
from drp_tui.services.imports import Change, ImportReport, _Directory, _file_problems, _key
from drp_tui.services.pinning import pin_in_force
from drp_tui.services.permissions import acting_admin
from drp_tui.store import models as m

DISPUTE_FIELDS = ("reference", "case_number", "chair", "category", "issue_arose", "raised_on", "stage",
                  "stage_sent_on", "status", "response_on", "closed_on", "outcome", "concern")
DISPUTE_REQUIRED = ("reference", "case_number", "chair", "category", "raised_on", "stage", "status")
DISPUTE_ALIASES = {"old_reference": "reference", "ref": "reference", "case": "case_number",
                   "date_raised": "raised_on", "raised": "raised_on", "date_issue_arose": "issue_arose",
                   "stage_reached": "stage", "sent_on": "stage_sent_on", "date_sent": "stage_sent_on",
                   "response_received": "response_on", "date_closed": "closed_on", "closed": "closed_on"}

# The words a tracker uses for a dispute's state, and the desk's status for each ("open":
# sent if the stage reached has a sent date, else not yet sent).
STATUS_WORDS: dict[str, Status | None] = {
    "draft": Status.DRAFT, "not sent": Status.DRAFT, "open": None, "sent": Status.SENT,
    "awaiting response": Status.SENT, "responded": Status.RESPONDED, "response received": Status.RESPONDED,
    "resolved": Status.RESOLVED, "withdrawn": Status.WITHDRAWN, "cafcass": Status.CAFCASS,
    "referred to cafcass": Status.CAFCASS,
}
IMPORTED_RESPONSE = "(The response was recorded in the old tracker before this dispute was imported.)"
MAX_REF = 64


@dataclass
class _Plan:
    line: int
    values: dict[str, Any]  # what the row says, normalised (also what the import event keeps)
    child: m.Child
    chair: m.Staff
    stage: Stage
    status: Status
    responder: m.Staff | None


def _match(policy_items: Any, text: str) -> Any:
    """A category or stage by its key or its label, whatever the case and spacing."""
    k = norm_header(text)
    for item in policy_items:
        if norm_header(item.key) == k or norm_header(item.label) == k:
            return item
    return None


def _noon(day: date) -> datetime:
    """A day the tracker gives (no time): midday in London, so it stays that day in every zone."""
    return utc(datetime(day.year, day.month, day.day, 12, tzinfo=LONDON))


def _row(values: dict[str, str], policy: Policy, people: _Directory, children: dict[str, m.Child],
         today: date) -> tuple[dict[str, Any], list[tuple[str, str]], tuple[m.Child, m.Staff, Stage, Status] | None]:
    problems: list[tuple[str, str]] = []
    out: dict[str, Any] = {}

    def text(col: str, limit: int) -> str:
        v = values.get(col, "")
        if len(v) > limit:
            problems.append((col, f"too long ({len(v)} characters; at most {limit})"))
            return ""
        if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in v):
            problems.append((col, "has control characters"))
            return ""
        return v

    def day(col: str) -> date | None:
        v = values.get(col, "")
        if not v:
            return None
        try:
            d = parse_date(v)
        except ValueError as exc:
            problems.append((col, str(exc)))
            return None
        if d > today:
            problems.append((col, f"{d.strftime('%d/%m/%Y')} is in the future"))
            return None
        return d

    ref = text("reference", MAX_REF)
    if not ref and "reference" not in dict(problems):
        problems.append(("reference", "is empty"))
    out["reference"] = ref
    child = children.get(values.get("case_number", ""))
    if child is None:
        cn = values.get("case_number", "")
        problems.append(("case_number", f"there is no child with case number '{cn}' (import the children first)"
                         if cn else "is empty"))
    out["case_number"] = values.get("case_number", "")
    chair, why = people.person(values.get("chair", ""), (Role.CHAIR,), "the chair") if values.get("chair") \
        else (None, "is empty")
    if chair is None:
        problems.append(("chair", why))
    out["chair"] = chair.username if chair is not None else ""
    cat = _match(policy.categories, values.get("category", ""))
    if cat is None:
        problems.append(("category", f"'{values.get('category', '')}' is not a category of {policy.name} "
                         f"(one of: {', '.join(c.key for c in policy.categories)})"))
    out["category"] = cat.key if cat is not None else ""
    stage = _match(policy.stages, values.get("stage", ""))
    if stage is None:
        problems.append(("stage", f"'{values.get('stage', '')}' is not a stage of {policy.name} "
                         f"(one of: {', '.join(s.key for s in policy.stages)})"))
    out["stage"] = stage.key if stage is not None else ""
    word = _key(values.get("status", ""))
    status: Status | None = None
    if word not in STATUS_WORDS:
        problems.append(("status", (f"'{values.get('status', '')}' is not a status" if word else "is empty")
                         + f" (one of: {', '.join(STATUS_WORDS)}; a --map can name the tracker's words)"))
    raised, arose = day("raised_on"), day("issue_arose")
    sent, responded, closed = day("stage_sent_on"), day("response_on"), day("closed_on")
    if raised is None and "raised_on" not in dict(problems):
        problems.append(("raised_on", "is empty"))
    arose = arose or raised
    if raised and arose and arose > raised:
        problems.append(("issue_arose", "is after the day it was raised"))
    if raised and sent and sent < raised:
        problems.append(("stage_sent_on", "is before the day it was raised"))
    if sent and responded and responded < sent:
        problems.append(("response_on", "is before the day the stage was sent"))
    if raised and closed and closed < raised:
        problems.append(("closed_on", "is before the day it was raised"))
    if word in STATUS_WORDS:
        named = STATUS_WORDS[word]
        status = named if named is not None else (Status.SENT if sent else Status.DRAFT)
        if status is Status.DRAFT and sent:
            problems.append(("stage_sent_on", f"is given, but the status '{values['status']}' says not sent"))
        if status in (Status.SENT, Status.RESPONDED) and not sent and "stage_sent_on" not in dict(problems):
            problems.append(("stage_sent_on", f"is needed: the status '{values['status']}' says the stage was sent"))
        if status is Status.RESPONDED and not responded and "response_on" not in dict(problems):
            problems.append(("response_on", "is needed: the status says a response was received"))
        if status in (Status.DRAFT, Status.SENT) and responded:
            problems.append(("response_on", f"is given, but the status '{values['status']}' says no response yet"))
        if status.is_open and closed:
            problems.append(("closed_on", f"is given, but the status '{values['status']}' is open"))
        if not status.is_open and not closed and "closed_on" not in dict(problems):
            problems.append(("closed_on", f"is needed: the status '{values['status']}' is closed"))
    out.update(status=status.value if status else "", raised_on=raised, issue_arose=arose, stage_sent_on=sent,
               response_on=responded, closed_on=closed,
               outcome=text("outcome", MAX_TEXT), concern=text("concern", MAX_TEXT))
    if problems or child is None or chair is None or stage is None or status is None:
        return out, problems, None
    return out, problems, (child, chair, stage, status)


def _kept(values: dict[str, Any]) -> dict[str, Any]:
    """What the import event keeps of a row (dates as ISO text), to know the row again."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if k != "line"}


def _as_imported(d: m.Dispute) -> dict[str, Any] | None:
    """The row a dispute was imported from, as its import event kept it."""
    e = (m.Event.select(m.Event.after).where((m.Event.dispute == d.id) & (m.Event.kind == "imported"))
         .order_by(m.Event.id).first())
    if e is None or not e.after:
        return None
    try:
        row = json.loads(e.after).get("row")
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def _write(ctx: Ctx, policy: Policy, digest: str, p: _Plan, by: str) -> m.Dispute:
    v = p.values
    now = ctx.now()
    raised: date = v["raised_on"]
    ref = _next_reference(policy.vocabulary.reference_prefix, raised.year)
    d = m.Dispute.create(
        reference=ref, child=p.child, raised_by=p.chair, issue_arose=v["issue_arose"], raised_on=raised,
        category=v["category"], policy_key=policy.key, policy_version=policy.version, policy_digest=digest,
        start_stage=p.stage.key, current_stage=p.stage.key, status=p.status.value, concern=v["concern"],
        outcome=v["outcome"], closed_at=_noon(v["closed_on"]) if v["closed_on"] else None,
        imported_ref=v["reference"], created_at=now, updated_at=now, updated_by=ctx.actor_id,
    )
    sent_at = _noon(v["stage_sent_on"]) if v["stage_sent_on"] else None
    due = compute_due(sent_at, p.stage.timescale, ctx.calendar) if sent_at and p.stage.timescale.is_set else None
    m.StageRecord.create(
        dispute=d, stage_key=p.stage.key, seq=1, sent_at=sent_at, responder=p.responder,
        due_at=due.at if due else None, due_date=due.day if due else None, chair_concern=v["concern"],
        response=IMPORTED_RESPONSE if v["response_on"] else "",
        response_at=_noon(v["response_on"]) if v["response_on"] else None)
    event(ctx, "imported",
          f"{ref} imported {by} from the old tracker, where it was {v['reference']}: {p.stage.label}, "
          f"{p.status.label}", d, after={"row": _kept(v), "line": p.line})
    touch(ctx, d)  # its clocks, as for any dispute
    return d


CHECKED = ("case_number", "chair", "category", "issue_arose", "raised_on", "stage", "stage_sent_on", "status",
           "response_on", "closed_on", "outcome", "concern")


@service
def import_disputes(ctx: Ctx, f: CsvFile, *, dry_run: bool = False, skip_bad: bool = False) -> ImportReport:
    """Disputes already running (or closed) from an old tracker's CSV (see the module text)."""
    _who, by = acting_admin(ctx, "import disputes")
    policy = ctx.policy
    people = _Directory()
    today = ctx.today()
    children = {c.case_number: c for c in m.Child.select()}
    imported = {d.imported_ref: d for d in m.Dispute.select().where(m.Dispute.imported_ref.is_null(False))}
    seen: dict[str, int] = {}
    bad: list[tuple[int, str, str]] = []
    plans: list[_Plan] = []
    unchanged = 0
    for row in f.rows:
        values, problems, found = _row(row.values, policy, people, children, today)
        ref = values["reference"]
        if ref and ref in seen:
            problems.append(("reference", f"{ref} is also on line {seen[ref]}"))
        elif ref:
            seen[ref] = row.line
        before = imported.get(ref) if ref else None
        if before is not None and not problems:
            was = _as_imported(before) or {}
            now_row = _kept(values)
            differs = [k for k in CHECKED if was.get(k) != now_row.get(k)]
            if not differs:
                unchanged += 1
                continue
            problems.append(("reference", f"{ref} was imported as {before.reference} and this row now differs in "
                             f"{', '.join(k.replace('_', ' ') for k in differs)}; the desk's record is the one "
                             "kept: change it there"))
        if problems or found is None:
            bad.extend((row.line, col, text) for col, text in problems)
            continue
        child, chair, stage, status = found
        responder = None
        if status in (Status.SENT, Status.RESPONDED):
            probe = m.Dispute(child=child, raised_by=chair)
            responder = level_holder(policy, stage.responder_level, probe)
            if responder is None:
                bad.append((row.line, "stage", f"no one holds the {policy.level_label(stage.responder_level)} "
                            f"role for {child.team.name}, who answers {stage.label} (drp import staff, with levels)"))
                continue
        plans.append(_Plan(row.line, values, child, chair, stage, status, responder))
    found_problems = _file_problems(f, bad)
    write = not dry_run and (skip_bad or not found_problems) and bool(plans)
    new: list[str] = [p.values["reference"] for p in plans]
    made: list[Change] = []
    if write:
        digest = pin_in_force(ctx, policy)
        for p in plans:
            d = _write(ctx, policy, digest, p, by)
            made.append(Change(p.values["reference"], (d.reference,)))
        event(ctx, "disputes_imported",
              f"Disputes imported {by}: {len(plans)} new, {unchanged} unchanged"
              + (f", {len(found_problems)} problem(s) skipped" if found_problems else ""),
              after={"new": len(plans), "unchanged": unchanged,
                     "skipped_lines": sorted({p.line for p in found_problems})})
    return ImportReport("disputes", len(f.rows), tuple(new), (), unchanged, (), tuple(found_problems), write,
                        dry_run, references=tuple((c.key, c.fields[0]) for c in made))
