"""Hostile input into the services: a DomainError (a message for a person) or success, never
anything else; and a refused call leaves the database exactly as it was (table by table,
row by row), apart from the one 'refused' audit event a PermissionDenied writes.

Each example is a valid call (right person, a dispute in the right state, sensible
dates) with zero, one or two of its arguments replaced by something hostile: huge
text, control characters, NUL, terminal escapes, markup, lone surrogates, invalid
dates, datetimes for dates, wrong types, out-of-range ids. So the search reaches past
the first check of each service.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.services import drafts, inbox, outcomes
from drp_tui.services import disputes as ds
from drp_tui.services.context import Ctx
from drp_tui.services.errors import DomainError, PermissionDenied
from drp_tui.store import audit_check
from drp_tui.store import backup as bk
from drp_tui.store import models as m
from drp_tui.store.models import database
from tests.factories import World

# CI: a fixed set of examples per service (the same every run). A deeper, random search:
#   DRP_FUZZ_EXAMPLES=2000 pytest tests/unit/test_fuzz_services.py
_DEEP = int(os.environ.get("DRP_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(max_examples=_DEEP or 30, deadline=None, derandomize=not _DEEP, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_CALENDAR = WorkingCalendar("ENG")


@pytest.fixture
def calendar() -> WorkingCalendar:
    return _CALENDAR


@pytest.fixture(params=["mosaic-iro", "durham-rp"])
def policy_key(request: pytest.FixtureRequest) -> str:
    """mosaic-iro (negotiation window, approvals) and durham-rp (extensions, monitoring)."""
    return str(request.param)


# ---------------------------------------------------------------- hostile values

CONTROL = "".join(chr(c) for c in [*range(0, 32), 127, *range(0x80, 0xA0)])
NASTY_TEXT = [
    "", " ", "\x00", "a\x00b", "\x1b[2J\x1b[H", "\x1b]0;pwned\x07", "\x9b31m red", "\r\n\r\n", "\t" * 50,
    "[bold red]loud[/]", "[/]", "[link=file:///etc/passwd]click[/link]", "[@click=app.quit]x[/]",
    "\u202eevil\u202c", "\u200b", "\ufeff", "\ud800", "a\udfffb", "\U0001f600" * 100, "\ufdfa" * 1000,
    "x" * 20_000, "x" * 20_001, "\n" * 30_000, "y" * 200, "y" * 201, "Robert'); DROP TABLE event;--",
    "%s %d {0} {name}", "../../etc/passwd", "0", "-1", "NaN",
]
WRONG_TYPES: list[Any] = [None, 0, -1, 1.5, float("nan"), True, b"bytes", ["list"], {"d": 1}, (1, 2),
                          date(2026, 1, 1), object()]
BIG_INTS = [0, -1, 2**31, 2**63 - 1, 2**63, 2**70, -(2**63) - 1]

hostile_text = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=60),  # includes lone surrogates
    st.text(alphabet=CONTROL + "ab\n", max_size=40),
    st.sampled_from(WRONG_TYPES),
)
hostile_date = st.one_of(
    st.sampled_from([date.min, date.max, date(1900, 1, 1), date(2026, 11, 24), date(9999, 12, 31),
                     "2026-11-23", "2026-13-45", "", "yesterday", 20261123, None, 1.5,
                     datetime(2026, 11, 20, 10, 0), datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc),
                     datetime.max, datetime.min]),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.just(timezone.utc)),
)
hostile_id = st.one_of(st.sampled_from(BIG_INTS), st.sampled_from(["1", "abc", "", None, 1.0, True, b"1", [1]]),
                       st.integers())
hostile_bool = st.one_of(st.booleans(), st.sampled_from([None, 0, 1, "yes", "", [], 2]))


class Pick:
    """Draws each argument: valid, or hostile for the one or two fields chosen for this example."""

    def __init__(self, data: st.DataObject, fields: list[str]) -> None:
        self.data = data
        self.hostile = data.draw(st.sets(st.sampled_from(fields), max_size=2), label="hostile fields")

    def __call__(self, name: str, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
        return self.data.draw(bad if name in self.hostile else good, label=name)


def good_text(*samples: str) -> st.SearchStrategy[str]:
    return st.sampled_from(samples or ("The plan is out of date.", "Agreed actions by Friday.", "Thanks"))


# ---------------------------------------------------------------- the world under attack


class Stage:
    """Makes disputes in whatever state a service needs, through the real services."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.policy = world.policy
        self.start = next(s for s in self.policy.starting_stages() if not s.requires_approval)
        self.responder = world.responder(self.start.key)
        self.people = [world.chair, world.other_chair, world.oversight, world.admin, world.worker, self.responder]
        self.new("responded")  # at least one action and notification exist
        self.action = m.Action.select().first().id
        self.notification = m.Notification.select().first().id

    def ctx(self, who: Any) -> Ctx:
        actor_id = who.id if isinstance(who, m.Staff) else who
        return Ctx(actor_id, self.policy, self.world.calendar, self.world.clock)

    def new(self, state: str) -> int:
        chair = self.ctx(self.world.chair)
        (did,) = ds.raise_dispute(chair, ds.RaiseInput(
            child_ids=[self.world.child.id], category=self.policy.categories[0].key, start_stage=self.start.key,
            issue_arose=date(2026, 11, 19), concern="Original concern."))
        if state in ("sent", "responded", "resolved"):
            ds.send(chair, did)
        if state in ("responded", "resolved"):
            ds.record_response(self.ctx(self.responder), did, "We will do it.",
                               actions=[ds.ActionInput("Update the plan", "Team manager", date(2026, 12, 4))])
        if state == "resolved":
            outcomes.decide(chair, did, resolved=True, comment="Fine")
        return did

    def one(self, state: str) -> int:
        """A dispute of the test chair's in ``state`` (a new one if none is left)."""
        d = (m.Dispute.select(m.Dispute.id).where((m.Dispute.status == state) & (m.Dispute.raised_by == self.world.chair.id))
             .order_by(m.Dispute.id.desc()).first())
        return d.id if d else self.new(state)

    def version(self, did: Any) -> Any:
        d = m.Dispute.get_or_none(m.Dispute.id == did) if isinstance(did, int) and 0 < did < 2**62 else None
        return d.version if d else 1

    def target(self, pick: Pick, state: str) -> tuple[Any, Any]:
        did = pick("dispute", st.just(self.one(state)), st.one_of(hostile_id, st.sampled_from(
            [self.one(s) for s in ("draft", "sent", "responded", "resolved") if s != state])))
        version = pick("version", st.just(self.version(did)), st.one_of(hostile_id, st.just(self.version(did) - 1)))
        return did, version

    def who(self, pick: Pick, good: m.Staff | None = None) -> Ctx:
        return self.ctx(pick("actor", st.just(good or self.world.chair),
                             st.one_of(st.sampled_from(self.people), hostile_id)))


@pytest.fixture
def stage(world: World) -> Stage:
    return Stage(world)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    db = database.obj
    tables = [r[0] for r in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: db.execute_sql(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}


def attempt(call: Callable[[], Any]) -> None:
    """Run one call: success, or a DomainError that changed nothing (but a 'refused' event)."""
    before = snapshot()
    try:
        call()
    except DomainError as exc:
        assert isinstance(exc.message, str) and exc.message.strip()
        after = snapshot()
        if isinstance(exc, PermissionDenied):
            new = after["event"][len(before["event"]):]
            assert len(new) == 1 and new[0][3] == "refused", new
            after["event"] = after["event"][: len(before["event"])]
        assert after == before, "a refused call changed the database"
    # Anything else propagates: hypothesis shrinks it and the test fails, naming the input.


@pytest.fixture(autouse=True)
def chain_still_holds(world: World) -> Iterator[None]:
    yield
    assert audit_check.verify() == []
    db = database.obj
    assert db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []


TEXT = st.one_of(good_text(), hostile_text)


# ---------------------------------------------------------------- the services


@SETTINGS
@given(data=st.data())
def test_raise_dispute(stage: Stage, data: st.DataObject) -> None:
    w = stage.world
    pick = Pick(data, ["actor", "children", "category", "start_stage", "issue_arose", "raised_on", "concern",
                       "impact", "wanted", "timescales", "child_wishes", "against_wishes", "immediate"])
    inp = ds.RaiseInput(
        child_ids=pick("children", st.sampled_from([[w.child.id], [s.id for s in w.siblings]]), st.one_of(
            st.lists(hostile_id, max_size=3),
            st.sampled_from([[], [w.child.id, w.child.id], [w.other_child.id], "12", None, 5, (w.child.id,)]))),
        category=pick("category", st.sampled_from([c.key for c in stage.policy.categories]), hostile_text),
        start_stage=pick("start_stage", st.just(stage.start.key),
                         st.one_of(st.sampled_from([s.key for s in stage.policy.stages]), hostile_text)),
        issue_arose=pick("issue_arose", st.sampled_from([date(2026, 11, 20), date(2025, 1, 31)]), hostile_date),
        raised_on=pick("raised_on", st.sampled_from([None, date(2026, 11, 23)]), hostile_date),
        concern=pick("concern", good_text(), hostile_text), impact=pick("impact", good_text(), hostile_text),
        wanted=pick("wanted", good_text(), hostile_text), timescales=pick("timescales", good_text(), hostile_text),
        child_wishes=pick("child_wishes", good_text(), hostile_text),
        against_wishes=pick("against_wishes", st.booleans(), hostile_bool),
        immediate=pick("immediate", st.booleans(), hostile_bool))
    ctx = stage.who(pick)
    attempt(lambda: ds.raise_dispute(ctx, inp))


FORM_KEYS = ["concern", "impact", "wanted", "timescales", "child_wishes", "child_informed_how", "issue_arose",
             "raised_on", "category", "against_wishes", "child_informed_on", "immediate", "chair_concern",
             "chair_impact", "chair_wanted", "chair_timescales"]
FORM_VALUES = st.one_of(good_text(), st.sampled_from([date(2026, 11, 20), True, False, "care_plan"]))


@SETTINGS
@given(data=st.data())
def test_update_draft(stage: Stage, data: st.DataObject) -> None:
    pick = Pick(data, ["actor", "dispute", "version", "keys", "values", "changes"])
    did, version = stage.target(pick, "draft")
    keys = pick("keys", st.lists(st.sampled_from(FORM_KEYS), min_size=1, max_size=4, unique=True),
                st.lists(hostile_text.filter(lambda k: isinstance(k, (str, int, bytes))), min_size=1, max_size=2))
    values = [pick("values", FORM_VALUES, st.one_of(hostile_text, hostile_date, hostile_bool)) for _ in keys]
    changes = pick("changes", st.just(dict(zip(keys, values, strict=True))), st.sampled_from([None, [], "concern", 3]))
    ctx = stage.who(pick)
    attempt(lambda: ds.update_draft(ctx, did, version, changes))


@SETTINGS
@given(data=st.data())
def test_send(stage: Stage, data: st.DataObject) -> None:
    pick = Pick(data, ["actor", "dispute", "version", "siblings"])
    did, version = stage.target(pick, "draft")
    siblings = pick("siblings", st.booleans(), hostile_bool)
    ctx = stage.who(pick)
    attempt(lambda: ds.send(ctx, did, version=version, include_siblings=siblings))


@SETTINGS
@given(data=st.data())
def test_record_response(stage: Stage, data: st.DataObject) -> None:
    pick = Pick(data, ["actor", "dispute", "version", "text", "actions", "description", "owner", "due", "on_behalf"])
    did, version = stage.target(pick, "sent")
    n = data.draw(st.integers(0, 2), label="n actions")
    actions = pick("actions", st.just([ds.ActionInput(
        pick("description", good_text("Update the plan"), hostile_text),
        pick("owner", good_text("Team manager"), hostile_text),
        pick("due", st.sampled_from([date(2026, 12, 4), date(2026, 11, 23)]), hostile_date)) for _ in range(n)]),
        st.sampled_from([None, "abc", [1], 5, [None]]))
    on_behalf = pick("on_behalf", st.just(False), hostile_bool)
    text = pick("text", good_text(), hostile_text)
    ctx = stage.who(pick, stage.responder)
    attempt(lambda: ds.record_response(ctx, did, text, actions=actions, on_behalf=on_behalf, version=version))


@SETTINGS
@given(data=st.data())
def test_decide(stage: Stage, data: st.DataObject) -> None:
    pick = Pick(data, ["actor", "dispute", "version", "resolved", "comment", "siblings"])
    did, version = stage.target(pick, "responded")
    resolved = pick("resolved", st.booleans(), hostile_bool)
    comment = pick("comment", good_text(), hostile_text)
    siblings = pick("siblings", st.booleans(), hostile_bool)
    ctx = stage.who(pick)
    attempt(lambda: outcomes.decide(ctx, did, resolved=resolved, comment=comment, version=version,
                                    include_siblings=siblings))


@SETTINGS
@given(data=st.data())
def test_agree_extension(stage: Stage, data: st.DataObject) -> None:
    pick = Pick(data, ["actor", "dispute", "version", "until", "reason"])
    did, version = stage.target(pick, "sent")
    until = pick("until", st.sampled_from([date(2026, 12, 18), date(2027, 1, 8), date(2026, 12, 25)]), hostile_date)
    reason = pick("reason", good_text("More time helps the child's plan"), hostile_text)
    ctx = stage.who(pick)
    attempt(lambda: outcomes.agree_extension(ctx, did, until, reason, version=version))


@SETTINGS
@given(data=st.data())
def test_negotiate_escalate_withdraw_reopen_approve(stage: Stage, data: st.DataObject) -> None:
    action = data.draw(st.sampled_from(["negotiate", "escalate", "withdraw", "reopen", "approve"]), label="action")
    pick = Pick(data, ["actor", "dispute", "version", "text", "target"])
    state = {"negotiate": "responded", "escalate": "responded", "withdraw": "sent", "reopen": "resolved",
             "approve": "draft"}[action]
    did, version = stage.target(pick, state)
    text = pick("text", good_text(), hostile_text)
    target = pick("target", st.one_of(st.none(), st.sampled_from([s.key for s in stage.policy.stages])), hostile_text)
    ctx = stage.who(pick, stage.world.oversight if action == "approve" else None)
    calls = {
        "negotiate": lambda: outcomes.agree_negotiation(ctx, did, text, version=version),
        "escalate": lambda: outcomes.escalate(ctx, did, target_stage=target, comment=text, version=version),
        "withdraw": lambda: outcomes.withdraw(ctx, did, text, version=version),
        "reopen": lambda: outcomes.reopen(ctx, did, text),
        "approve": lambda: outcomes.approve_stage(ctx, did, text),
    }
    attempt(calls[action])


@SETTINGS
@given(data=st.data())
def test_cafcass_monitoring_conversation_action(stage: Stage, data: st.DataObject) -> None:
    action = data.draw(st.sampled_from(["cafcass", "monitoring", "conversation", "action"]), label="action")
    pick = Pick(data, ["actor", "dispute", "kind", "text", "told", "when", "how", "action_id"])
    did, _ = stage.target(pick, {"monitoring": "resolved"}.get(action, "sent"))
    text = pick("text", good_text(), hostile_text)
    told = pick("told", good_text("Service manager, 20 Nov"), hostile_text)
    ctx = stage.who(pick)
    calls = {
        "cafcass": lambda: outcomes.cafcass_step(
            ctx, did, pick("kind", st.sampled_from(list(outcomes.CAFCASS_KINDS)), hostile_text), text, told=told),
        "monitoring": lambda: outcomes.record_monitoring(
            ctx, did, pick("when", st.just(date(2026, 11, 20)), hostile_date), text, attendees=told),
        "conversation": lambda: outcomes.record_conversation(
            ctx, did, told, pick("when", st.just(datetime(2026, 11, 20, 10, tzinfo=timezone.utc)), hostile_date),
            pick("how", st.sampled_from(["in person", "phone", "e-mail", "Teams"]), hostile_text), text,
            timescale=told),
        "action": lambda: outcomes.complete_action(
            ctx, pick("action_id", st.just(stage.action), hostile_id),
            done_on=pick("when", st.sampled_from([None, date(2026, 11, 20)]), hostile_date)),
    }
    attempt(calls[action])


@SETTINGS
@given(data=st.data())
def test_inbox_and_drafts(stage: Stage, data: st.DataObject) -> None:
    action = data.draw(st.sampled_from(["compliment", "read", "ack", "draft"]), label="action")
    pick = Pick(data, ["actor", "id", "text", "payload", "dispute"])
    ctx = stage.who(pick, stage.responder if action in ("read", "ack") else None)
    text = pick("text", good_text(), hostile_text)
    draft_of = pick("dispute", st.one_of(st.none(), st.just(stage.one("draft"))), hostile_id)  # before the call
    calls = {
        "compliment": lambda: inbox.send_compliment(
            ctx, pick("id", st.just(stage.world.child.id), hostile_id), text),
        "read": lambda: inbox.mark_read(ctx, pick("id", st.just(stage.notification), hostile_id)),
        "ack": lambda: inbox.acknowledge(ctx, pick("id", st.just(stage.notification), hostile_id)),
        "draft": lambda: drafts.save_draft(
            ctx, draft_of,
            pick("payload", st.dictionaries(st.sampled_from(FORM_KEYS), good_text(), max_size=3),
                 st.one_of(st.dictionaries(st.sampled_from(FORM_KEYS), hostile_text, max_size=3),
                           st.sampled_from([None, "x", [1], {"k": object()}, {"k": "x" * 300_000}]))),
            text),
    }
    attempt(calls[action])


# ---------------------------------------------------------------- what is left behind


def test_accepted_text_is_stored_clean(stage: Stage) -> None:
    """Hostile text that is accepted loses control characters and lone surrogates; markup stays text."""
    did = stage.one("draft")
    ds.update_draft(stage.ctx(stage.world.chair), did, stage.version(did),
                    {"concern": "A\x00B\x1b[31mC\x85D\ud800E [b]F[/b]\r\nG\t"})
    assert m.Dispute.get_by_id(did).concern == "AB[31mCDE [b]F[/b]\nG"


def test_wrong_actor_ids_are_refused_and_recorded(stage: Stage) -> None:
    did = stage.one("draft")
    for actor_id in (None, "1", 2**70, -1, 1.5, True):
        ctx = stage.ctx(actor_id)
        attempt(lambda: ds.send(ctx, did))  # noqa: B023 - called at once
    refused = list(m.Event.select().where(m.Event.kind == "refused"))
    assert len(refused) == 6 and all(e.actor_id is None for e in refused)


def test_the_file_is_sound_after_a_hostile_run(stage: Stage, db_path: Path) -> None:
    lines = bk.run_checks(database.obj, db_path)
    assert bk.ok(lines), lines
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT count(*) FROM dispute").fetchone()[0] >= 1
    con.close()
