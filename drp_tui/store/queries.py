"""Read side: queries that return frozen domain objects (never model rows).

One dispute's full view, the children's, the inbox's and the history's are read in
``store.queries_dispute`` (their view classes are not loaded at the desk's start)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from peewee import JOIN, SQL, Case, Expression, Field, NodeList, SqliteDatabase, Tuple, Value, fn

from drp_tui.domain.model import DisputeRow, Role, StaffView, Status
from drp_tui.domain.reading import CaseloadQuery as CaseloadQuery  # (its home is the domain)
from drp_tui.store import models as m
from drp_tui.store.visibility import children_visible_to, viewer, visible_to

if TYPE_CHECKING:
    from datetime import date

def staff_view(s: m.Staff) -> StaffView:
    return StaffView(s.id, s.username, s.name, Role(s.role), s.team_id, s.title, s.active)


def get_staff(staff_id: int) -> StaffView:
    return staff_view(m.Staff.get_by_id(staff_id))


def find_staff(username: str) -> StaffView | None:
    s = m.Staff.get_or_none(m.Staff.username == username)
    return staff_view(s) if s else None


def list_staff(active_only: bool = False) -> list[StaffView]:
    q = m.Staff.select().order_by(m.Staff.name)
    if active_only:
        q = q.where(m.Staff.active == True)  # noqa: E712
    return [staff_view(s) for s in q]


def staff_names(ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {s.id: s.name for s in m.Staff.select(m.Staff.id, m.Staff.name).where(m.Staff.id.in_(values_in(ids)))}


def matches(field, text: str) -> Expression:  # type: ignore[no-untyped-def]
    """``field`` contains ``text`` literally, case-insensitively: ``%``, ``_`` and ``\\`` match
    themselves (peewee's ``contains`` escapes them with an ESCAPE clause; SQLite and PostgreSQL)."""
    return field.contains(text)


def child_team_ids(*, viewer_id: int) -> tuple[int, ...]:
    """The teams of the children ``children_for(viewer_id=...)`` lists (open to the service)."""
    q = (m.Child.select(m.Child.team).distinct()
         .where(m.Child.closed_on.is_null() & children_visible_to(viewer(viewer_id))))
    return tuple(sorted(int(team) for (team,) in cast("Iterable[tuple[int]]", q.tuples())))


def _in_rows(lhs: Any, query: Any, op: str = "IN") -> Any:
    """``lhs IN (query)`` (or ``NOT IN``), the same SQL text as peewee's ``in_``, written once: peewee
    writes each ``IN (SELECT ...)`` twice (once to see whether it is empty), and so a subquery's
    own subqueries four times ("Awaiting me": ~4 ms of Python for every page, more than its read).
    PostgreSQL: ``IN`` is written ``= ANY(ARRAY(query))``, the same rows, read once as a list of
    values an index can look up: an OR of such terms ("Awaiting me") is then read by the indexes
    of each term (a bitmap OR), not by testing every dispute the person may see."""
    if op == "IN" and not isinstance(m.database.obj, SqliteDatabase):
        return NodeList((lhs, SQL("= ANY(ARRAY"), NodeList((query,), parens=True), SQL(")")))
    return NodeList((lhs, SQL(op), query), parens=True)


def awaiting_reply(staff_id: int | None) -> Expression:
    """A condition on ``Dispute`` rows: the current stage awaits a response from ``staff_id``
    (its one responder, or one of its joint responders who has not yet responded)."""
    sr, rec, cur = m.StageResponse, m.StageRecord, m.Dispute.alias()
    # (one set of ids from the person's joint responses, not a look-up per sent dispute)
    joint = (sr.select(rec.dispute).join(rec, on=(sr.stage_record == rec.id))
             .join(cur, on=((cur.id == rec.dispute) & (cur.current_stage == rec.stage_key)))
             .where((sr.responder == staff_id) & sr.response_at.is_null()))
    sent = m.Dispute.status == Status.SENT.value  # (each branch on its own index: an OR of ANDs)
    return (sent & (m.Dispute.responder == staff_id)) | (sent & _in_rows(m.Dispute.id, joint))


def values_in(values: Sequence[Any]) -> SQL:
    """``IN`` these ids, as one node (peewee builds a node for each value of a list, slower than
    the database answers: ~1 ms per hundred). ``values`` not empty.

    On SQLite, one parameter: the ids as a JSON array, read by ``json_each``. The statement is
    then the same for any number of ids, and the connection's statement cache keeps one small
    statement, not one with a placeholder per id (for My work's 200 disputes, the dozen
    statements of ``dispute_views`` kept about 0.4 MB for the session). Elsewhere (PostgreSQL),
    one placeholder per value."""
    if isinstance(m.database.obj, SqliteDatabase):
        return SQL("(SELECT value FROM json_each(?))", [json.dumps(list(values))])
    return SQL("(" + ", ".join([m.database.param] * len(values)) + ")", list(values))


# --- the caseload ------------------------------------------------------------

VIEWS = ("mine", "awaiting", "team", "overdue", "resolved", "all")


def _caseload_columns():  # type: ignore[no-untyped-def]
    """Every column a caseload row shows (read for one page's ids only)."""
    Responder = m.Staff.alias()
    SR = m.StageRecord.alias()
    last_sent = (SR.select(fn.MAX(SR.sent_at)).where(SR.dispute == m.Dispute.id))
    return (
        m.Dispute.select(
            m.Dispute.id, m.Dispute.reference, m.Dispute.category, m.Dispute.current_stage,
            m.Dispute.status, m.Dispute.next_due_at, m.Dispute.next_due_kind, m.Dispute.paused,
            m.Dispute.raised_by, m.Dispute.responder, m.Dispute.policy_key, m.Dispute.policy_digest,
            m.Child.name.alias("child_name"),
            m.Child.case_number, Responder.name.alias("responder_name"),
            last_sent.alias("sent_at"),
        )
        .join(m.Child, on=(m.Dispute.child == m.Child.id))
        .switch(m.Dispute)
        .join(Responder, JOIN.LEFT_OUTER, on=(m.Dispute.responder == Responder.id))
        .switch(m.Dispute)
    )


@lru_cache(maxsize=64)
def _columns_sql(engine: str, param: str, n: int) -> tuple[str, Any]:
    """The SQL of :func:`_caseload_columns` for ``n`` ids (its only parameters), and the query it
    was written from (for its rows' converters): written once per database engine and number of
    ids, as peewee took 1.5 ms to write it for every page, longer than the database took to answer."""
    query = _caseload_columns().where(m.Dispute.id.in_(list(range(n)))).dicts()
    sql, params = query.sql()
    assert params == list(range(n)), "the ids are the columns query's only parameters"
    return sql, query


LEAD_TEXT = 3  # characters of filter text from which the person's disputes lead the query

OPEN_STATUSES = tuple(s.value for s in Status if s.is_open)
CLOSED_STATUSES = tuple(s.value for s in Status if not s.is_open)


def _status_among(statuses: Sequence[str]) -> Expression:
    """``status`` is one of ``statuses``, written ``(status || '') IN ('a', 'b')`` with the values in
    the SQL text: the very terms the partial indexes over open and over closed disputes are built on
    (migration 0022), which a planner matches only as written (never through a placeholder). The
    ``|| ''`` keeps SQLite off the plain ``status`` index (it would read every closed or open
    dispute and sort them all, instead of walking the order's index). The values are the
    ``Status`` enum's own (lower-case words), never user text."""
    assert all(re.fullmatch(r"[a-z_]+", v) for v in statuses)
    return m.Dispute.status.concat(SQL("''")).in_(SQL("(" + ", ".join(f"'{v}'" for v in statuses) + ")"))


def _walks_children(q: CaseloadQuery) -> bool:
    """Does the view's query walk the children in name order ("by child"), rather than read the
    person's own disputes (by their index) and sort those? In the views no index of the person's
    own leads: "all" and "team", and "overdue" and "resolved" read without a person (oversight)."""
    return q.view in ("all", "team") or (q.view in ("overdue", "resolved") and q.staff_id is None)


def _raised_or_awaited(staff_id: int) -> Expression:
    """Disputes this person raised or whose response awaits them, written as the one side alone
    when no dispute is on the other (a chair is seldom a dispute's responder, a manager raises
    none): that side's index in the view's order then leads and the page stops after its rows,
    where the OR read every one of the person's disputes and sorted them (two look-ups of one
    index entry each decide it; the rows are the same)."""
    D = m.Dispute
    raised, awaited = D.raised_by == staff_id, D.responder == staff_id
    if not D.select(D.id).where(awaited).exists():
        return raised
    if not D.select(D.id).where(raised).exists():
        return awaited
    return raised | awaited


def _caseload_select(q: CaseloadQuery, *, count: bool = False):  # type: ignore[no-untyped-def]
    """The disputes of the view ``q`` (their ids: which and in what order, nothing else);
    ``count``: for counting them (no order to walk: the person's own disputes may lead)."""
    sel: Any = m.Dispute.select(m.Dispute.id)
    looked_up = bool(q.text) and _few_match(q.text)  # (then the text's matches need no child row)
    if q.sort == "child" and _walks_children(q) and not count:
        # "By child" in the views no index of the person's own leads: the children in name order
        # (index child_name_order), each one's disputes (dispute_child_id), stopping after the
        # page. A CROSS JOIN is SQLite's way to keep that order of the loops (PostgreSQL plans
        # it as an inner join); left to the planner, it read every dispute and sorted them all
        # (~100 ms at 100,000; ~350 ms for "overdue" without a person) to show 19. (The other
        # views read the person's own disputes, by their index, and sort those.)
        sel = m.Child.select(m.Dispute.id).join(m.Dispute, JOIN.CROSS).where(m.Dispute.child == m.Child.id)
    elif q.view == "team" or (q.text and not looked_up) or (q.sort == "child" and not count):  # (the child's row only where it is read)
        sel = sel.join(m.Child, on=(m.Dispute.child == m.Child.id)).switch(m.Dispute)
    if q.view == "mine":
        sel = sel.where((m.Dispute.raised_by == q.staff_id) & m.Dispute.status.in_(list(OPEN_STATUSES)))
    elif q.view == "awaiting":
        sel = sel.where(_awaiting(q.staff_id))
    elif q.view == "team":
        # ``team_id + 0`` (SQLite): a test of each row the order's index walks (most disputes are a
        # team's), never the team's every child and dispute read and sorted before the first row
        # (PostgreSQL plans by the column's figures, which ``+ 0`` would hide from it); the open
        # statuses as the partial index over open disputes has them (by due date, read from either
        # end: from the end, not every closed dispute first).
        team = m.Child.team + 0 if isinstance(m.database.obj, SqliteDatabase) else m.Child.team
        sel = sel.where(team.in_(list(q.team_ids)) & _status_among(OPEN_STATUSES))
    elif q.view == "overdue":
        sel = sel.where(m.Dispute.next_due_at < q.now)
        if q.staff_id is not None:
            sel = sel.where(_raised_or_awaited(q.staff_id))
    elif q.view == "resolved":
        # (the closed disputes' own partial indexes, in each order: never every open one first)
        sel = sel.where(_status_among(CLOSED_STATUSES))
        if q.staff_id is not None:
            sel = sel.where(m.Dispute.raised_by == q.staff_id)
    if q.viewer_id is not None:
        # A text of a few characters or more matches few disputes: the person's own lead (read
        # first, then sorted) rather than walking every dispute in the order for a page of
        # matches; a character or two matches many, found soon along the order. (Only in the
        # views no index of the person's own leads: Mine, Awaiting, Overdue and Resolved start
        # from the person's own raised or awaited disputes, fewer than all they may see.)
        lead = q.view in ("all", "team") and (count or len(q.text) >= LEAD_TEXT)
        # (Mine, and Overdue and Resolved with a person: only disputes that person raised or awaits)
        own_of = q.staff_id if q.view in ("mine", "overdue", "resolved") else None
        sel = sel.where(visible_to(viewer(q.viewer_id), lead=lead, own_of=own_of))
    if q.text:
        own = matches(m.Dispute.reference, q.text) | matches(m.Dispute.category, q.text)
        child = matches(m.Child.name, q.text) | matches(m.Child.case_number, q.text)
        if looked_up:
            # (PostgreSQL, few matches: the matching children and disputes looked up by their trigram
            # indexes, each an index term of one OR, read before the view's other conditions)
            sel = sel.where(own | _in_rows(m.Dispute.child, m.Child.select(m.Child.id).where(child)))
        elif isinstance(m.database.obj, SqliteDatabase):
            sel = sel.where(own | child)
        else:
            # PostgreSQL: the same test written as one CASE, the dispute's own columns first. An OR
            # across the dispute and its child is a join clause the planner estimates again for each
            # join it weighs (3-4.5 ms of planning for every filter keystroke, the read itself 2 ms);
            # the CASE is estimated once, and the rows it keeps are the same.
            sel = sel.where(Case(None, [(own, SQL("true"))], child))
    return sel


FEW = 2000  # children, and disputes, matching a filter's text, up to which they are looked up first
TRIGRAM_INDEXES = ("child_name_trgm", "child_case_number_trgm", "dispute_reference_trgm", "dispute_category_trgm")
_trigrams: dict[int, bool] = {}  # id(database) -> has the trigram indexes (migration 0024)


def _few_match(text: str) -> bool:
    """PostgreSQL, with the trigram indexes (migration 0024): does ``text`` (of ``LEAD_TEXT``
    characters or more) match at most ``FEW`` children and ``FEW`` disputes? Then the filter
    looks them up first (1-2 ms), where reading every dispute the person may see took 80-110 ms
    at 100,000; when it matches many, walking the view's order finds a page of them soon (and a
    list of them all would cost more). Two short counts, each stopping at ``FEW + 1``."""
    db = m.database.obj
    if isinstance(db, SqliteDatabase) or len(text) < LEAD_TEXT:
        return False
    if id(db) not in _trigrams:
        names = ", ".join(f"'{n}'" for n in TRIGRAM_INDEXES)
        found = db.execute_sql(f"SELECT count(*) FROM pg_indexes WHERE indexname IN ({names})").fetchone()[0]
        _trigrams[id(db)] = int(found) == len(TRIGRAM_INDEXES)
    if not _trigrams[id(db)]:
        return False
    C, D = m.Child, m.Dispute
    kids = C.select(C.id).where(matches(C.name, text) | matches(C.case_number, text)).limit(FEW + 1)
    own = D.select(D.id).where(matches(D.reference, text) | matches(D.category, text)).limit(FEW + 1)
    return kids.count() <= FEW and own.count() <= FEW


def _awaiting(staff_id: int | None) -> Expression:
    """The caseload's "Awaiting me": a response awaited from this person (sent to them, or to
    them among a stage's joint responders and not yet given, or further actions agreed with
    them), a response awaiting their decision (they raised it), or a stage awaiting their agreement (they were asked, and it is not yet agreed, declined by them, or sent)."""
    D, SR, SRR = m.Dispute, m.StageRecord, m.StageResponse
    answering = (SR.select(SR.dispute).where(SR.responder == staff_id)
                 | SR.select(SR.dispute).join(SRR, on=(SRR.stage_record == SR.id)).where(SRR.responder == staff_id))
    asked = m.Notification.select(m.Notification.dispute).where(
        (m.Notification.recipient == staff_id) & (m.Notification.kind == "approval"))
    decided = m.Approval.select(m.Approval.stage_record).where(m.Approval.by == staff_id)
    # (tested for each draft the person was asked about, by its own stage records: as a list,
    # every unsent stage record of every dispute was read for each query, ~30 ms at 100,000)
    unagreed = fn.EXISTS(SR.select(SR.id).where((SR.dispute == D.id) & SR.sent_at.is_null()
                                                & SR.approval_by.is_null() & _in_rows(SR.id, decided, "NOT IN")))
    return (awaiting_reply(staff_id)
            | ((D.status == Status.NEGOTIATING.value) & _in_rows(D.id, answering))
            | ((D.raised_by == staff_id) & D.status.in_([Status.RESPONDED.value, Status.NEGOTIATING.value]))
            | ((D.status == Status.DRAFT.value) & _in_rows(D.id, asked) & unagreed))


def caseload_count(q: CaseloadQuery) -> int:
    """How many disputes the view holds (reads every one of them: not for every key press)."""
    return int(_caseload_select(q, count=True).count())


def _caseload_order(sort: str) -> list[Any]:
    orders: dict[str, list[Any]] = {
        "due": [m.Dispute.next_due_at.is_null(), m.Dispute.next_due_at, m.Dispute.id],  # index dispute_due_order
        "reference": [m.Dispute.reference],
        "child": [m.Child.name, m.Dispute.id],
        "stage": [m.Dispute.current_stage, m.Dispute.id],
    }
    return orders[sort]


def _seek_condition(q: CaseloadQuery, order: list[Any]) -> Expression | None:
    """Rows after (``>``), from (``>=``) or before (``<``) the dispute ``q.seek_id`` in the order
    ``order``, as one row-value comparison on the order's own columns (so the order's index is
    entered at that row, not walked from the top). None when that dispute is gone."""
    anchor = (m.Dispute.select(*order).join(m.Child, on=(m.Dispute.child == m.Child.id))
              .where(m.Dispute.id == q.seek_id).tuples().first())
    if anchor is None:
        return None
    keys, values = list(order), list(anchor)
    if q.sort == "due" and values[1] is None:  # no deadline (they sort last, by id): the flag and the id
        keys, values = [keys[0], keys[2]], [values[0], values[2]]
    params = [Value(v, converter=k.db_value) if isinstance(k, Field) else Value(v) for k, v in zip(keys, values, strict=True)]
    if q.sort in ("reference", "stage") and q.view == "awaiting":
        # (``|| ''``: not a range on the order's index for a part of "Awaiting me"'s OR to enter:
        # that part walked every dispute the person raised past the row, not its few by status)
        keys[0] = keys[0].concat(SQL("''"))
    left, right = Tuple(*keys), Tuple(*params)
    return {"after": left > right, "from": left >= right, "before": left < right}[q.seek]


def caseload_page(q: CaseloadQuery, offset: int, limit: int,
                  stage_label: dict[str, str] | None = None, *, total: int | None = None) -> list[DisputeRow]:
    """Rows ``offset`` .. ``offset + limit`` of the view, in its order.

    First only the page's ids (walking the order's index where there is one, and stopping
    after the page), then the shown columns of those ids alone. With ``q.seek`` the page is
    found by keyset instead of ``offset``: the ``limit`` rows after, from or before the
    dispute ``q.seek_id`` in the view's order, or the view's last ``limit`` rows (``"last"``);
    if that dispute is gone, ``offset`` is used. With ``total`` (the view's size, when
    known) a page by offset in the second half is read from the end, backwards."""
    order = _caseload_order(q.sort)
    backwards = [o.desc() for o in order]
    cond = _seek_condition(q, order) if q.seek in ("after", "from", "before") and q.seek_id is not None else None
    if q.seek == "last" or q.seek == "before" and cond is not None:
        sel = _caseload_select(q) if cond is None else _caseload_select(q).where(cond)
        ids = [i for (i,) in sel.order_by(*backwards).limit(limit).tuples()][::-1]
    elif cond is not None:
        ids = [i for (i,) in _caseload_select(q).where(cond).order_by(*order).limit(limit).tuples()]
    elif total is not None and offset > total // 2:
        back = max(0, total - offset - limit)
        take = max(0, min(limit, total - offset))
        found = _caseload_select(q).order_by(*backwards).offset(back).limit(take)
        ids = [i for (i,) in found.tuples()][::-1]
    else:
        ids = [i for (i,) in _caseload_select(q).order_by(*order).offset(offset).limit(limit).tuples()]
    if not ids:
        return []
    by_id: dict[int, dict[str, Any]] = {}
    db = m.database.obj
    for i in range(0, len(ids), 500):  # (a bound on the query's parameters)
        some = ids[i:i + 500]
        sql, query = _columns_sql(type(db).__name__, db.param, len(some))
        # (its rows made into dicts as peewee's own ``.dicts()`` makes them: each field's converter)
        by_id.update((r["id"], r) for r in query._get_cursor_wrapper(db.execute_sql(sql, some)))
    labels = stage_label or {}
    out = []
    for r in (by_id[i] for i in ids if i in by_id):
        sent = r["sent_at"]
        if isinstance(sent, str):  # aggregate bypasses the field converter
            sent = m.StageRecord.sent_at.python_value(sent)
        elif sent is not None and sent.tzinfo is None:
            sent = m.StageRecord.sent_at.python_value(sent)
        out.append(DisputeRow(
            id=r["id"], reference=r["reference"], child_name=r["child_name"],
            case_number=r["case_number"], category=r["category"], stage_key=r["current_stage"],
            stage_label=labels.get(r["current_stage"], r["current_stage"]),
            status=Status(r["status"]), with_whom=r["responder_name"] or "",
            sent_at=sent, next_due_at=r["next_due_at"], next_due_kind=r["next_due_kind"],
            paused=r["paused"], raised_by_id=r["raised_by"], responder_id=r["responder"],
            policy_key=r["policy_key"], policy_digest=r["policy_digest"],
        ))
    return out


# --- the inbox ---------------------------------------------------------------------

def sent_dedupes(keys: Sequence[str], chunk: int = 500) -> set[str]:
    """Those of ``keys`` that a notification already carries as its dedupe key (one query per
    ``chunk`` keys). Written as SQL: peewee takes longer to build an IN list of thousands than the
    database takes to answer it. The keys go in as ``values_in`` puts them: on SQLite one JSON
    parameter, so the connection keeps one small statement, not one with 500 placeholders (and
    another for the last, shorter chunk): the sign-in's reminders, which check a chair's
    thousands of due disputes, made the desk's peak 0.65 MB higher, most of it those two."""
    table = m.Notification._meta.table_name
    found: set[str] = set()
    for i in range(0, len(keys), chunk):
        among = values_in(list(keys[i:i + chunk]))
        cursor = m.database.execute_sql(f"SELECT dedupe FROM {table} WHERE dedupe IN {among.sql}", among.params)
        found.update(str(row[0]) for row in cursor.fetchall())
    return found


def unread_count(staff_id: int) -> int:
    return (m.Notification.select().where((m.Notification.recipient == staff_id)
                                          & m.Notification.read_at.is_null()).count())


def levels_of(staff_id: int) -> frozenset[tuple[str, int]]:
    """The management levels a person holds: (level key, team id)."""
    return frozenset((tr.level, tr.team_id) for tr in
                     m.TeamRole.select(m.TeamRole.level, m.TeamRole.team).where(m.TeamRole.staff == staff_id))


def disputes_for_child(child_id: int) -> list[int]:
    return [d.id for d in m.Dispute.select(m.Dispute.id).where(m.Dispute.child == child_id).order_by(m.Dispute.id)]


def closure_days() -> dict[date, str]:
    """The closure days kept in the database (an administrator's): {day: reason}, in day order."""
    return {c.day: c.reason for c in m.ClosureDay.select().order_by(m.ClosureDay.day)}


def any_unpinned() -> bool:
    """Is any dispute still unpinned (written before pinning: ``services.pinning``)? Asked at every
    start, so it stops at the first one instead of counting them all."""
    return bool(m.Dispute.select(m.Dispute.id).where(m.Dispute.policy_digest == "").exists())
