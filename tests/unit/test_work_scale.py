"""My work at scale: what it costs follows the person's work, not the number of disputes.

The same list as judging every dispute the person may see (``tests/unit/test_work.py``'s
slow way), when a chair has many times their disputes; the same number of statements for
a chair with few disputes and with many; no look-up that reads a whole table. (On
PostgreSQL: ``tests/unit/test_postgres.py``.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta


from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.services import work
from drp_tui.store import models as m
from drp_tui.store import queries_work
from drp_tui.store.visibility import one_snapshot
from tests.conftest import FROZEN_NOW
from tests.ui.conftest import demo_template  # noqa: F401  (the fixture: the demo database built once)
from tests.unit.test_work import ctx_for, demo, everything, key  # noqa: F401  (demo: the fixture)


def copy_disputes(raised_by: int, times: int) -> int:
    """Each dispute ``raised_by`` raised, ``times`` more times over (its stage records and their
    actions with it), as rows: a chair with many times the work. The number of copies made."""
    made = 0
    originals = list(m.Dispute.select().where(m.Dispute.raised_by == raised_by))
    for n in range(times):
        for d in originals:
            row = dict(d.__data__)
            row.pop("id")
            row.update(reference=f"{d.reference}-{n}", imported_ref=None)
            copy_id = m.Dispute.insert(row).execute()
            for r in m.StageRecord.select().where(m.StageRecord.dispute == d.id):
                rec = dict(r.__data__)
                rec.pop("id")
                rec["dispute"] = copy_id
                rec_id = m.StageRecord.insert(rec).execute()
                for a in m.Action.select().where(m.Action.stage_record == r.id):
                    act = dict(a.__data__)
                    act.pop("id")
                    act["stage_record"] = rec_id
                    m.Action.insert(act).execute()
            made += 1
    return made


def statements(call: Callable[[], object]) -> int:
    """How many SQL statements ``call`` sends to this thread's connection."""
    sent: list[str] = []
    conn = m.database.obj.connection()
    conn.set_trace_callback(sent.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    return len(sent)


def test_many_times_the_disputes_same_statements_and_the_sql_only_narrows(demo: WorkingCalendar) -> None:
    ctx = ctx_for("cpatel", demo)
    before = work.my_work(ctx)
    few = [statements(lambda: work.my_work(ctx)) for _ in range(2)]
    copies = copy_disputes(ctx.actor_id, 4)
    assert copies > 25
    after = work.my_work(ctx)
    many = [statements(lambda: work.my_work(ctx)) for _ in range(2)]
    assert len(after) >= 3 * len(before) > 0  # (fewer than 200 disputes to judge: none left out by the limit)
    assert many == few
    assert key(after) == key(everything(ctx))


def test_candidates_read_no_whole_table(demo: WorkingCalendar) -> None:
    ctx = ctx_for("cpatel", demo)
    copy_disputes(ctx.actor_id, 2)
    sent: list[str] = []
    db = m.database.obj
    original = db.execute_sql

    def keeping(sql: str, params: object = None, *args: object, **kwargs: object) -> object:
        sent.append(sql)
        return original(sql, params, *args, **kwargs)

    with one_snapshot():
        db.execute_sql = keeping  # type: ignore[method-assign]
        try:
            horizon = FROZEN_NOW + timedelta(days=45)
            queries_work.candidates(ctx.actor_id, horizon, horizon.date(), approver=False)
            sql = next(s for s in sent if "found" in s)
        finally:
            db.execute_sql = original  # type: ignore[method-assign]
        params = [ctx.actor_id] * sql.count("?")  # (any values: the plan is what is read)
        plan = [str(row[3]) for row in original("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
    whole = [step for step in plan if re.fullmatch(r"SCAN \w+", step) and step != "SCAN found"]
    assert whole == [], plan
    # the parts are appended, and the one set of ids drops repeats: no set of its own for a UNION
    assert not [step for step in plan if "TEMP B-TREE" in step and "ORDER BY" not in step], plan
