"""E-mail notifications, sent by ``drp notify`` (cron or a systemd timer) from the outbox.

Each run:

1. **derives** the mails the database's state calls for now (``derive``; reads only): a stage
   sent to a responder and awaiting them; the reminders N working days before its response
   is due (``[mail] remind_before``); the breach, with the responder's manager copied; a
   response received, to the chair (and the profile's response copies); the profile's
   for-information copies of a stage sent; a daily digest to each chair of what needs them;
2. **queues** them (``enqueue``): one row per (event, recipient), guarded by a unique key, so a
   second run, or two runs at once, queue nothing new;
3. **claims** the rows due (``claim``): one ``UPDATE ... WHERE state = 'pending'`` stamps them
   with this run's token, so two runs never send the same row;
4. **sends** each with smtplib and records it: the row ``sent`` and an audit event (who it was
   sent to by staff id, about which dispute, of which kind; never a name), or, on a failure,
   ``attempts + 1`` and ``next_try_at`` later (back-off) until ``max_attempts``, then ``failed``
   (``drp check`` names both).

Minimal personal data: a subject holds the reference, the stage and what is needed, never a
child's name; the body adds the due date and, with ``body = "initials"``, the child's initials.
Due days and working days come from ``domain.deadlines`` and the working calendar.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from drp_tui.config import MailConfig
from drp_tui.domain.deadlines import Due, deadlines, due_day, reminder_step, response_clock, worst_state
from drp_tui.domain.model import DueState, Status
from drp_tui.domain.policy import Policy, Stage
from drp_tui.domain.timeutil import format_date, london_date, utc
from drp_tui.services import audit
from drp_tui.services.common import holds_level, level_holder, response_copies_for
from drp_tui.services.context import Ctx
from drp_tui.store import models as m
from drp_tui.store.db import write_txn
from drp_tui.store.queries_dispute import dispute_views

if TYPE_CHECKING:
    from drp_tui.domain.views import DisputeView, StageView

SENT, REMINDER, BREACH, RESPONSE, INFORM, DIGEST = "sent", "reminder", "breach", "response", "inform", "digest"
KINDS = (SENT, REMINDER, BREACH, RESPONSE, INFORM, DIGEST)

PENDING, SENDING, DONE, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
# Found new together in one run, to the same responder about the same dispute, only the most
# pressing goes (a run that first sees a stage after its due day sends the breach alone, not
# "sent to you" as well); the others are kept as ``skipped`` rows so that they never go later.
PRESSING = {BREACH: 0, SENT: 1, REMINDER: 2}

BACKOFF_FIRST = timedelta(minutes=5)  # after the first failure; doubled after each, up to
BACKOFF_MAX = timedelta(hours=6)
STALE_CLAIM = timedelta(minutes=30)  # a run that claimed rows and died: they go back to pending

AUDIT_KIND = "mail_sent"


@dataclass(frozen=True)
class Mail:
    """One e-mail to one person about one event, as derived from the database."""

    event: str
    kind: str
    recipient_id: int
    subject: str
    body: str
    dispute_id: int | None = None
    cc: tuple[int, ...] = ()


@dataclass
class Report:
    """What one run did (or, dry, would do)."""

    queued: list[Mail] = field(default_factory=list)  # new rows (dry: would be new)
    due: int = 0  # rows due to be sent this run (dry: would be)
    sent: int = 0
    retry: int = 0  # failed this run, to be tried again later
    given_up: int = 0  # failed this run for the last time
    errors: list[str] = field(default_factory=list)  # kinds of failure (no names, no addresses)
    stale: int = 0  # claims of a run that died, released


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


Connect = Callable[[MailConfig], Any]  # a context manager yielding a Transport


# ---------------------------------------------------------------- what is needed, in words


def _due_words(due: Due) -> str:
    return format_date(due.day if due.day is not None else due_day(due.at))


def _initials(name: str) -> str:
    return "".join(part[0].upper() + "." for part in name.split() if part[:1].isalpha())


def _lines(cfg: MailConfig, policy: Policy, view: DisputeView, *lines: str) -> str:
    out = [f"{policy.vocabulary.process}: {view.reference}", *lines]
    if cfg.body == "initials":
        out.append(f"Child: {_initials(view.child.name) or '-'}")
    out += ["", "Open the desk (drp) to read the record and act on it.",
            "This message holds no personal details by design: please do not reply with any."]
    return "\n".join(out) + "\n"


def _stage(policy: Policy, key: str) -> Stage | None:
    return next((s for s in policy.stages if s.key == key), None)


def _label(policy: Policy, key: str) -> str:
    st = _stage(policy, key)
    return st.label if st is not None else key


def _awaited(cur: StageView) -> list[int]:
    """Who the current stage still awaits: its responder, or the joint responders still to respond."""
    if cur.responses:
        return [r.responder_id for r in cur.pending]
    return [cur.responder_id] if cur.responder_id is not None and cur.response_at is None else []


def _level_of(policy: Policy, stage: Stage, d: m.Dispute, who: m.Staff) -> str:
    """The level ``who`` answers ``stage`` as (the first of its answering levels they hold)."""
    return next((lv for lv in stage.answering_levels if holds_level(policy, lv, d, who)), stage.responder_level)


def manager_of(policy: Policy, stage: Stage, d: m.Dispute, responder: m.Staff) -> m.Staff | None:
    """The responder's manager: the holder of the next level up the chain from the level they
    answer ``stage`` as (skipping rungs nobody else holds), by ``common.level_holder``."""
    level = _level_of(policy, stage, d, responder)
    seen: set[str] = set()
    nxt = policy.manager_level(level)
    while nxt is not None and nxt not in seen:
        seen.add(nxt)
        who = level_holder(policy, nxt, d)
        if who is not None and who.id != responder.id:
            return who
        nxt = policy.manager_level(nxt)
    return None


# ---------------------------------------------------------------- deriving


def _active(ids: Iterable[int | None]) -> list[int]:
    wanted = [i for i in dict.fromkeys(ids) if i is not None]
    if not wanted:
        return []
    alive = {s.id for s in m.Staff.select(m.Staff.id).where(m.Staff.id.in_(wanted) & (m.Staff.active == True))}  # noqa: E712
    return [i for i in wanted if i in alive]


def _about_dispute(ctx: Ctx, cfg: MailConfig, view: DisputeView, row: m.Dispute) -> list[Mail]:
    policy = ctx.policy_of(view)
    cur = view.current
    if cur is None or cur.sent_at is None:
        return []
    out: list[Mail] = []
    label = _label(policy, cur.stage_key)
    stage = _stage(policy, cur.stage_key)
    ref = view.reference
    clock = response_clock(cur, view)
    due = clock[0] if clock is not None else None
    running = clock is not None and not clock[1]
    awaited = _awaited(cur) if view.status is Status.SENT else []
    answer = stage is None or stage.response_expected

    def mail(event: str, kind: str, to: Iterable[int | None], subject: str, *lines: str,
             cc: tuple[int, ...] = ()) -> None:
        body = _lines(cfg, policy, view, *lines)
        for rid in _active(to):
            out.append(Mail(f"{event}:{cur.id}", kind, rid, subject, body, view.id, cc))

    when = f", response due {_due_words(due)}" if due is not None else ""
    if answer:
        mail(SENT, SENT, awaited, f"{ref}: {label} sent to you{when}",
             f"{label} has been sent to you.",
             f"Needed: your written response{' by ' + _due_words(due) if due is not None else ''}.")
    else:
        mail(SENT, SENT, [cur.responder_id] if view.status.is_open else [], f"{ref}: {label} sent to you",
             f"{label} has been sent to you.", "Needed: nothing; it is for you to read.")
    if view.status.is_open:
        mail(INFORM, INFORM, cur.inform_ids, f"{ref}: {label} sent (for information)",
             f"{label} has been sent to its responder; you are copied for information.", "Needed: nothing.")

    if running and due is not None and awaited:
        if utc(ctx.now()) >= utc(due.at):
            for rid in _active(awaited):
                boss = manager_of(policy, stage, row, m.Staff.get_by_id(rid)) if stage is not None else None
                cc = tuple(_active([boss.id])) if boss is not None else ()
                body = _lines(cfg, policy, view, f"The response to {label} was due by {_due_words(due)} and has "
                              "not been received.", "Needed: your written response now.",
                              *(["Your manager is copied."] if cc else []))
                day = (due.day or due_day(due.at)).isoformat()
                out.append(Mail(f"{BREACH}:{day}:{cur.id}", BREACH, rid,
                                f"{ref}: response to {label} overdue (due {_due_words(due)})", body, view.id, cc))
        else:
            n = reminder_step(due, ctx.now(), ctx.calendar, cfg.remind_before)
            if n is not None:
                left = "today" if n == 0 else f"in {n} working day{'s' if n != 1 else ''}"
                day = (due.day or due_day(due.at)).isoformat()
                mail(f"{REMINDER}:{day}:{n}", REMINDER, awaited,
                     f"{ref}: response to {label} due {left} ({_due_words(due)})",
                     f"The response to {label} is due {left}: by {_due_words(due)}.",
                     "Needed: your written response.")
    if view.status is Status.RESPONDED and cur.response_at is not None:
        mail(RESPONSE, RESPONSE, [view.raised_by_id], f"{ref}: response to {label} received, your decision needed",
             f"The response to {label} has been received.", "Needed: your decision (resolved or not).")
        copies = [s.id for s in response_copies_for(policy, stage, row)] if stage is not None else []
        mail(RESPONSE, INFORM, [c for c in copies if c != view.raised_by_id],
             f"{ref}: response to {label} received (for information)",
             f"The response to {label} has been received; you are copied for information.", "Needed: nothing.")
    return out


def _needs(ctx: Ctx, view: DisputeView) -> str | None:
    """What an open dispute needs from its chair today, in words (None: nothing)."""
    if view.status is Status.RESPONDED:
        return "response received: your decision"
    if view.status is Status.DRAFT:
        return "not sent yet"
    state = worst_state(deadlines(view, ctx.policy_of(view), ctx.calendar, ctx.now(), ctx.due_soon_days))
    if state in (DueState.OVERDUE, DueState.DUE_TODAY, DueState.DUE_SOON):
        return state.label
    return None


def _digests(ctx: Ctx, cfg: MailConfig, views: list[DisputeView]) -> list[Mail]:
    today = london_date(utc(ctx.now()))
    if not cfg.digest or not ctx.calendar.is_working_day(today):
        return []
    per_chair: dict[int, list[str]] = {}
    for view in sorted(views, key=lambda v: v.reference):
        need = _needs(ctx, view)
        if need is None:
            continue
        policy = ctx.policy_of(view)
        who = f"  {_initials(view.child.name) or '-'}" if cfg.body == "initials" else ""
        per_chair.setdefault(view.raised_by_id, []).append(
            f"- {view.reference}  {_label(policy, view.current_stage)}: {need}{who}")
    out: list[Mail] = []
    for chair in _active(per_chair):
        items = per_chair[chair]
        subject = f"{ctx.policy.vocabulary.short} daily digest {format_date(today)}: {len(items)} need you"
        body = "\n".join([f"{ctx.policy.vocabulary.process}: what needs you today ({format_date(today)})", "",
                          *items, "", "Open the desk (drp) to act on them."]) + "\n"
        out.append(Mail(f"{DIGEST}:{today.isoformat()}", DIGEST, chair, subject, body))
    return out


def derive(ctx: Ctx, cfg: MailConfig) -> list[Mail]:
    """Every mail the database's state calls for at ``ctx.now()`` (already queued or not)."""
    rows = list(m.Dispute.select().where(m.Dispute.status.not_in(
        [Status.RESOLVED.value, Status.CAFCASS.value, Status.WITHDRAWN.value])).order_by(m.Dispute.id))
    out: list[Mail] = []
    views = dispute_views(row.id for row in rows)  # (in a fixed number of queries, not a few per dispute)
    for view, row in zip(views, rows, strict=True):
        out += _about_dispute(ctx, cfg, view, row)
    out += _digests(ctx, cfg, views)
    return out


# ---------------------------------------------------------------- the outbox


def _known(mails: list[Mail]) -> set[tuple[str, int]]:
    keys: set[tuple[str, int]] = set()
    events = sorted({x.event for x in mails})
    for i in range(0, len(events), 500):
        q = (m.MailOutbox.select(m.MailOutbox.event, m.MailOutbox.recipient)
             .where(m.MailOutbox.event.in_(events[i:i + 500])).tuples())
        keys.update((str(t[0]), int(t[1])) for t in q.iterator())
    return keys


def new_mails(mails: list[Mail]) -> list[Mail]:
    """The mails no row of the outbox holds yet (by event and recipient)."""
    known = _known(mails)
    return [x for x in mails if (x.event, x.recipient_id) not in known]


def superseded(fresh: list[Mail]) -> set[Mail]:
    """Of new mails to one responder about one dispute, all but the most pressing (``PRESSING``)."""
    best: dict[tuple[int | None, int], Mail] = {}
    for x in fresh:
        if x.kind in PRESSING:
            key = (x.dispute_id, x.recipient_id)
            if key not in best or PRESSING[x.kind] < PRESSING[best[key].kind]:
                best[key] = x
    return {x for x in fresh if x.kind in PRESSING and best[(x.dispute_id, x.recipient_id)] is not x}


def enqueue(ctx: Ctx, mails: list[Mail]) -> list[Mail]:
    """Queue the mails not queued before, all in one transaction; the (event, recipient) key
    makes a mail queued by another run at the same moment a no-op here. Returns the new ones
    to be sent (not those ``superseded``, which are kept as skipped)."""
    fresh = new_mails(mails)
    if not fresh:
        return []  # the usual run: nothing new, no write transaction
    now = ctx.now()
    made: list[Mail] = []
    with write_txn():
        fresh = new_mails(fresh)  # again inside the transaction: another run may have just queued them
        skip = superseded(fresh)
        for x in fresh:
            n = (m.MailOutbox.insert(event=x.event, kind=x.kind, recipient=x.recipient_id,
                                     cc=",".join(str(c) for c in x.cc), dispute=x.dispute_id, subject=x.subject,
                                     body=x.body, state=SKIPPED if x in skip else PENDING, attempts=0,
                                     next_try_at=now, created_at=now)
                 .on_conflict_ignore().execute())
            if n and x not in skip:
                made.append(x)
    return made


def release_stale(ctx: Ctx) -> int:
    """Rows a run claimed and never finished (it died): pending again."""
    cutoff = ctx.now() - STALE_CLAIM
    q = m.MailOutbox.select(m.MailOutbox.id).where((m.MailOutbox.state == SENDING) & (m.MailOutbox.claimed_at < cutoff))
    if not q.exists():
        return 0
    with write_txn():
        return int(m.MailOutbox.update(state=PENDING, claim=None, claimed_at=None)
                   .where((m.MailOutbox.state == SENDING) & (m.MailOutbox.claimed_at < cutoff)).execute())


def _due_rows(now: datetime) -> Any:
    return m.MailOutbox.select().where((m.MailOutbox.state == PENDING) & (m.MailOutbox.next_try_at <= now))


def claim(ctx: Ctx, token: str) -> list[m.MailOutbox]:
    """Take every row due now for this run: one UPDATE guarded by ``state = 'pending'``, so a row
    another run took first (committed before ours, or waited for on PostgreSQL) is not taken."""
    now = ctx.now()
    if not _due_rows(now).exists():
        return []
    with write_txn():
        m.MailOutbox.update(state=SENDING, claim=token, claimed_at=now).where(
            (m.MailOutbox.state == PENDING) & (m.MailOutbox.next_try_at <= now)).execute()
    return list(m.MailOutbox.select().where((m.MailOutbox.claim == token) & (m.MailOutbox.state == SENDING))
                .order_by(m.MailOutbox.id))


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 5 minutes, doubled each time, at most 6 hours."""
    wait: timedelta = BACKOFF_FIRST * (2 ** min(max(0, attempts - 1), 16))
    return min(wait, BACKOFF_MAX)


def _mark_sent(ctx: Ctx, row: m.MailOutbox, token: str) -> None:
    """The row sent, and the audit event of the mail that went. Recorded whatever became of the
    claim meanwhile (a run this slow may have had its claim released): the mail did go."""
    now = ctx.now()
    with write_txn():
        m.MailOutbox.update(state=DONE, sent_at=now, attempts=m.MailOutbox.attempts + 1, last_error="",
                            claim=token).where((m.MailOutbox.id == row.id) & (m.MailOutbox.state != DONE)).execute()
        d = m.Dispute.get_or_none(m.Dispute.id == row.dispute_id) if row.dispute_id is not None else None
        ref = d.reference if d is not None else "-"
        cc = f", copied to staff {row.cc}" if row.cc else ""
        audit.append(now, None, AUDIT_KIND, f"Mail sent ({row.kind}) about {ref} to staff {row.recipient_id}{cc}",
                     dispute_id=row.dispute_id, after={"outbox": row.id, "event": row.event, "kind": row.kind,
                                                       "to": row.recipient_id, "cc": row.cc})


def _mark_failed(ctx: Ctx, cfg: MailConfig, row: m.MailOutbox, token: str, error: str, report: Report) -> None:
    attempts = int(row.attempts) + 1
    last = attempts >= cfg.max_attempts
    with write_txn():
        m.MailOutbox.update(state=FAILED if last else PENDING, attempts=attempts, claim=None,
                            next_try_at=ctx.now() + backoff(attempts), last_error=error[:200]).where(
            (m.MailOutbox.id == row.id) & (m.MailOutbox.claim == token)).execute()
    if last:
        report.given_up += 1
    else:
        report.retry += 1
    if error not in report.errors:
        report.errors.append(error)


def _error(exc: BaseException) -> str:
    """The kind of a failure, never its text (a server's message may echo an address)."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({c for c, _ in exc.recipients.values()})
        return f"recipient refused (SMTP {', '.join(str(c) for c in codes)})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}{f' (SMTP {code})' if code else ''}"


def _address(staff_id: int) -> str | None:
    s = m.Staff.get_or_none(m.Staff.id == staff_id)
    addr = (s.email or "").strip() if s is not None else ""
    if not addr or "@" not in addr or any(c.isspace() or c in "<>,;\"" or ord(c) < 32 for c in addr):
        return None
    return addr


def _message(cfg: MailConfig, row: m.MailOutbox, to: str, cc: list[str], now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = to
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(utc(now))
    msg["Message-ID"] = make_msgid(idstring=f"drp-outbox-{row.id}", domain=cfg.sender.rsplit("@", 1)[-1])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row.body)
    return msg


def password(cfg: MailConfig) -> str | None:
    if cfg.password_file is None:
        return None
    return Path(cfg.password_file).read_text(encoding="utf-8").strip("\r\n")


class _Smtp:
    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp

    def send(self, message: EmailMessage) -> None:
        self.smtp.send_message(message)


@contextmanager
def smtp_connect(cfg: MailConfig) -> Iterator[Transport]:
    """One SMTP session for the run: STARTTLS (certificate checked) and a login when configured."""
    with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout) as smtp:
        if cfg.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if cfg.user:
            smtp.login(cfg.user, password(cfg) or "")
        yield _Smtp(smtp)


def deliver(ctx: Ctx, cfg: MailConfig, rows: list[m.MailOutbox], token: str, report: Report,
            connect: Connect = smtp_connect) -> None:
    """Send the claimed rows over one connection; a failure to connect fails each (to retry later)."""
    if not rows:
        return
    try:
        with connect(cfg) as transport:
            for row in rows:
                to = _address(row.recipient_id)
                if to is None:
                    _mark_failed(ctx, cfg, row, token, f"staff {row.recipient_id} has no usable e-mail address", report)
                    continue
                cc = [a for a in (_address(int(c)) for c in row.cc.split(",") if c) if a is not None]
                try:
                    transport.send(_message(cfg, row, to, cc, ctx.now()))
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused,
                        smtplib.SMTPNotSupportedError) as exc:
                    _mark_failed(ctx, cfg, row, token, _error(exc), report)
                    continue
                _mark_sent(ctx, row, token)
                report.sent += 1
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        # the connection (or the session) failed: every row not yet sent is tried again later
        for row in rows:
            fresh = m.MailOutbox.get_by_id(row.id)
            if fresh.state == SENDING and fresh.claim == token:
                _mark_failed(ctx, cfg, fresh, token, _error(exc), report)


def run(ctx: Ctx, cfg: MailConfig, *, dry_run: bool = False, connect: Connect = smtp_connect) -> Report:
    """One ``drp notify``: derive, queue, claim, send. Dry: says what would be queued and sent, writes nothing."""
    report = Report()
    mails = derive(ctx, cfg)
    if dry_run:
        fresh = new_mails(mails)
        skip = superseded(fresh)
        report.queued = [x for x in fresh if x not in skip]
        report.due = _due_rows(ctx.now()).count() + len(report.queued)
        return report
    report.queued = enqueue(ctx, mails)
    report.stale = release_stale(ctx)
    token = secrets.token_hex(8)
    rows = claim(ctx, token)
    report.due = len(rows)
    deliver(ctx, cfg, rows, token, report, connect)
    return report


# ---------------------------------------------------------------- for 'drp check'


@dataclass(frozen=True)
class OutboxState:
    pending: int
    retrying: int  # pending after at least one failure
    failed: int  # given up
    stuck: int  # claimed by a run longer ago than STALE_CLAIM
    last_error: str


def outbox_state(now: datetime) -> OutboxState:
    q = m.MailOutbox
    pending = q.select().where(q.state == PENDING).count()
    retrying = q.select().where((q.state == PENDING) & (q.attempts > 0)).count()
    failed = q.select().where(q.state == FAILED).count()
    stuck = q.select().where((q.state == SENDING) & (q.claimed_at < now - STALE_CLAIM)).count()
    last = (q.select(q.last_error).where((q.last_error != "") & (q.state != DONE))
            .order_by(q.next_try_at.desc()).first())
    return OutboxState(pending, retrying, failed, stuck, last.last_error if last is not None else "")
