"""E-mail notifications (``drp notify``) against a real SMTP server on loopback (aiosmtpd).

The frozen "now" is Monday 23 November 2026, 10:00 London. A Stage 1 DRP (team manager,
5 working days) sent then is due by the end of Monday 30 November: the two-working-day
reminder falls on Thursday 26, the one-day reminder on Friday 27 (the weekend between does
not count), the breach from Tuesday 1 December, with the service manager (the next rung of
the chain) copied.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

import drp_tui.config as config_module
from drp_tui.cli import main
from drp_tui.cli import notify as notify_cli
from drp_tui.config import ConfigError, MailConfig, load_config
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import Due, reminder_step
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import LONDON, end_of_london_day_utc
from drp_tui.services import disputes as ds
from drp_tui.services import notify
from drp_tui.services.context import Ctx
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]
MON = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


@dataclass
class Inbox:
    """What the loopback server received: one entry per message."""

    got: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: Any) -> str:
        if address.startswith("gone"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.got.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=email_policy.default)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [msg for rcpts, msg in self.got if address in rcpts]

    def subjects(self) -> list[str]:
        return [subject(msg) for _, msg in self.got]


def subject(msg: EmailMessage) -> str:
    """The subject as a mail client shows it (a long one is folded onto a second line)."""
    return str(msg["Subject"]).strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    yield inbox, port
    ctl.stop()


@pytest.fixture
def smtp(server: tuple[Inbox, int]) -> tuple[Inbox, int]:
    server[0].got.clear()
    return server


def mail_cfg(port: int, **kw: Any) -> MailConfig:
    return MailConfig(host="127.0.0.1", sender="drp@example.org", port=port, starttls=False, **kw)


def addr(s: m.Staff) -> str:
    return f"{s.username}@example.org"


@pytest.fixture
def mailed(world: World) -> World:
    for s in m.Staff.select():
        s.email = addr(s)
        s.save()
    return world


def ops(world: World) -> Ctx:
    """The context 'drp notify' runs in: no staff account, the world's clock and calendar."""
    return Ctx(None, world.policy, world.calendar, world.clock)  # type: ignore[arg-type]


def raise_and_send(world: World, stage: str = "stage_1", child: m.Child | None = None) -> int:
    ctx = world.ctx()
    did = ds.raise_dispute(ctx, ds.RaiseInput(
        child_ids=[(child or world.child).id], category=world.policy.categories[0].key, start_stage=stage,
        issue_arose=date(2026, 11, 20), concern="The care plan is out of date."))[0]
    ds.send(ctx, did)
    return did


def at(world: World, day: int, month: int = 11, hour: int = 8) -> None:
    world.clock.set(datetime(2026, month, day, hour, 0, tzinfo=LONDON))


def outbox() -> list[m.MailOutbox]:
    return list(m.MailOutbox.select().order_by(m.MailOutbox.id))


def mail_events() -> list[m.Event]:
    return list(m.Event.select().where(m.Event.kind == notify.AUDIT_KIND).order_by(m.Event.id))


# ---------------------------------------------------------------- config


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_mail_table_is_read_and_off_when_absent(tmp_path: Path) -> None:
    assert load_config(str(write_config(tmp_path, 'nation = "ENG"\n'))).mail is None
    cfg = load_config(str(write_config(tmp_path, '[mail]\nhost = "smtp.example.org"\nfrom = "drp@example.org"\n'
                                                  'port = 25\nstarttls = false\nuser = "drp"\n'
                                                  'password_file = "/etc/drp-tui/smtp.pw"\n'
                                                  'remind_before = [1, 3]\nbody = "initials"\n'))).mail
    assert cfg == MailConfig(host="smtp.example.org", sender="drp@example.org", port=25, starttls=False, user="drp",
                             password_file="/etc/drp-tui/smtp.pw", remind_before=(3, 1), body="initials")
    assert load_config(str(write_config(tmp_path, '[mail]\nhost = "h"\nfrom = "a@b.org"\n'))).mail == MailConfig(
        host="h", sender="a@b.org")  # STARTTLS on port 587, reminders 2 and 1 working days before


@pytest.mark.parametrize(("text", "says"), [
    ('[mail]\nhost = "h"\nfrom = "a@b.org"\nsmtp_host = "x"\n', "unknown key 'mail.smtp_host'"),
    ('[mail]\nfrom = "a@b.org"\n', "'mail.host' is missing"),
    ('[mail]\nhost = "h"\nfrom = "not an address"\n', "'mail.from' must be one e-mail address"),
    ('[mail]\nhost = "h"\nfrom = "a@b.org"\nport = "25"\n', "'mail.port' must be int"),
    ('[mail]\nhost = "h"\nfrom = "a@b.org"\nstarttls = "yes"\n', "'mail.starttls' must be bool"),
    ('[mail]\nhost = "h"\nfrom = "a@b.org"\nremind_before = [2, -1]\n', "'mail.remind_before' must be a list"),
    ('[mail]\nhost = "h"\nfrom = "a@b.org"\nbody = "full"\n', "'mail.body' must be \"minimal\" or \"initials\""),
    ('[mail]\nhost = "h"\nfrom = "a@b.org"\nuser = "drp"\n', "'mail.user' needs 'mail.password_file'"),
    ('mail = "smtp.example.org"\n', "'mail' must be a table"),
])
def test_bad_mail_config_names_file_and_key(tmp_path: Path, text: str, says: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(str(path))
    assert str(err.value).startswith(f"{path}: ") and says in str(err.value)


# ---------------------------------------------------------------- the domain's part


def test_reminder_days_are_working_days_before_the_due_day(calendar: WorkingCalendar) -> None:
    due = Due(end_of_london_day_utc(date(2026, 11, 30)), date(2026, 11, 30))  # Monday
    step = {d: reminder_step(due, datetime(2026, 11, d, 9, tzinfo=LONDON), calendar, (2, 1))
            for d in range(24, 31)}
    assert step == {24: None, 25: None, 26: 2, 27: 1, 28: 1, 29: 1, 30: 1}  # Thu, Fri (and the weekend after)
    assert reminder_step(due, datetime(2026, 11, 30, 9, tzinfo=LONDON), calendar, (2, 1, 0)) == 0
    assert reminder_step(due, datetime(2026, 12, 1, 0, 0, tzinfo=LONDON), calendar, (2, 1, 0)) is None  # a breach
    # Christmas: a response due on Tue 29 Dec 2026 is reminded two working days before on Wed 23 Dec
    xmas = Due(end_of_london_day_utc(date(2026, 12, 29)), date(2026, 12, 29))
    assert reminder_step(xmas, datetime(2026, 12, 23, 9, tzinfo=LONDON), calendar, (2,)) == 2
    assert reminder_step(xmas, datetime(2026, 12, 22, 9, tzinfo=LONDON), calendar, (2,)) is None


def test_manager_is_the_next_rung_of_the_same_chain() -> None:
    p = load_builtin("mosaic-iro")
    assert p.manager_level("social_worker") == "team_manager"
    assert p.manager_level("team_manager") == "service_manager"
    assert p.manager_level("director") is None  # the child's side ends there: not the IRO service
    assert p.manager_level("iro_service_manager") == "iro_head_of_service"
    assert p.manager_level("no_such_level") is None


# ---------------------------------------------------------------- the right mail at the right moment


def test_sent_reminders_breach_response_and_digest(mailed: World, smtp: tuple[Inbox, int]) -> None:
    w, (inbox, port) = mailed, smtp
    cfg = mail_cfg(port)
    did = raise_and_send(w)
    ref = m.Dispute.get_by_id(did).reference
    tm, sm, chair = w.levels["team_manager"], w.levels["service_manager"], w.chair

    def run() -> notify.Report:
        return notify.run(ops(w), cfg)

    # Monday: the stage is sent to the team manager (and the chair's digest lists nothing yet)
    rep = run()
    assert rep.sent == 1 and [x.kind for x in rep.queued] == ["sent"]
    [msg] = inbox.to(addr(tm))
    assert subject(msg) == f"{ref}: Stage 1 DRP sent to you, response due Mon 30 Nov 2026"
    assert msg["From"] == "drp@example.org" and msg["To"] == addr(tm)
    assert "Needed: your written response by Mon 30 Nov 2026." in msg.get_content()
    [row] = outbox()
    assert (row.kind, row.recipient_id, row.state, row.attempts, row.dispute_id) == ("sent", tm.id, "sent", 1, did)
    [ev] = mail_events()
    assert ev.dispute_id == did and ev.actor_id is None and f"to staff {tm.id}" in ev.summary

    # the same day again: nothing new
    assert run().sent == 0 and len(inbox.got) == 1

    # Wednesday: nothing; Thursday: two working days before; Friday: one
    digests: dict[int, list[tuple[list[str], str]]] = {}
    for day, expect in ((25, []), (26, [f"{ref}: response to Stage 1 DRP due in 2 working days (Mon 30 Nov 2026)"]),
                        (27, [f"{ref}: response to Stage 1 DRP due in 1 working day (Mon 30 Nov 2026)"]),
                        (28, []), (30, [])):
        at(w, day)
        inbox.got.clear()
        run()
        assert [s for s in inbox.subjects() if "digest" not in s] == expect, day
        assert all(rcpts == [addr(tm)] for rcpts, msg in inbox.got if "digest" not in subject(msg))
        digests[day] = [(rcpts, msg.get_content()) for rcpts, msg in inbox.got if "digest" in subject(msg)]
    # the chair's digest: Friday (due soon) and Monday (due today); none at the weekend
    assert {day for day, got in digests.items() if got} == {27, 30}
    [(rcpts, body)] = digests[30]
    assert rcpts == [addr(chair)] and f"- {ref}  Stage 1 DRP: due today" in body

    # Tuesday 1 December: breached; the service manager is copied
    at(w, 1, 12)
    inbox.got.clear()
    run()
    [(rcpts, msg)] = [(r, x) for r, x in inbox.got if "overdue" in subject(x)]
    assert subject(msg) == f"{ref}: response to Stage 1 DRP overdue (due Mon 30 Nov 2026)"
    assert sorted(rcpts) == sorted([addr(tm), addr(sm)]) and msg["Cc"] == addr(sm)
    breach = m.MailOutbox.get(m.MailOutbox.kind == "breach")
    assert breach.cc == str(sm.id) and breach.state == "sent"
    assert f"copied to staff {sm.id}" in mail_events()[-1].summary or any(
        f"copied to staff {sm.id}" in e.summary for e in mail_events())
    inbox.got.clear()
    run()
    assert not [s for s in inbox.subjects() if "overdue" in s]  # once per breach

    # the response arrives: the chair is told, and it heads the chair's next digest
    ds.record_response(w.ctx(tm), did, "We will hold a review this week.")
    inbox.got.clear()
    run()
    [told] = [x for x in inbox.to(addr(chair)) if "received" in subject(x)]
    assert subject(told) == f"{ref}: response to Stage 1 DRP received, your decision needed"
    digests = [x for x in inbox.to(addr(chair)) if "digest" in subject(x)]
    assert digests == []  # today's digest went out on the first run of the day
    at(w, 2, 12)
    inbox.got.clear()
    run()
    [digest] = inbox.to(addr(chair))
    assert subject(digest) == "DRP daily digest Wed 2 Dec 2026: 1 need you"
    assert f"- {ref}  Stage 1 DRP: response received: your decision" in digest.get_content()
    # every mail is a row sent once and an audit event
    rows = outbox()
    assert all(r.state == "sent" for r in rows) and len(mail_events()) == len(rows)
    assert len({(r.event, r.recipient_id) for r in rows}) == len(rows)


def test_a_first_run_after_the_due_day_sends_the_breach_alone(mailed: World, smtp: tuple[Inbox, int]) -> None:
    """Mail turned on (or runs missed) after the stage was due: not "sent to you" and "overdue" both."""
    w, (inbox, port) = mailed, smtp
    did = raise_and_send(w)
    ref = m.Dispute.get_by_id(did).reference
    tm = w.levels["team_manager"]
    at(w, 1, 12)
    rep = notify.run(ops(w), mail_cfg(port, digest=False))
    assert [x.kind for x in rep.queued] == ["breach"]
    assert [subject(x) for x in inbox.to(addr(tm))] == [f"{ref}: response to Stage 1 DRP overdue (due Mon 30 Nov 2026)"]
    assert {(r.kind, r.state) for r in outbox()} == {("sent", "skipped"), ("breach", "sent")}
    inbox.got.clear()
    assert notify.run(ops(w), mail_cfg(port, digest=False)).queued == [] and inbox.got == []
    assert len(mail_events()) == 1


def test_copies_for_information_follow_the_profile(mailed: World, smtp: tuple[Inbox, int]) -> None:
    w, (inbox, port) = mailed, smtp
    did = raise_and_send(w, stage="informal")  # the profile copies the social worker at the informal stage
    notify.run(ops(w), mail_cfg(port))
    ref = m.Dispute.get_by_id(did).reference
    [copy] = inbox.to(addr(w.worker))
    assert subject(copy) == f"{ref}: Informal DRP sent (for information)"
    assert m.MailOutbox.get(m.MailOutbox.recipient == w.worker.id).kind == "inform"
    assert [subject(x) for x in inbox.to(addr(w.levels["team_manager"]))] == [
        f"{ref}: Informal DRP sent to you, response due Mon 30 Nov 2026"]


def test_no_childs_name_in_any_subject_and_initials_only_when_asked(mailed: World, smtp: tuple[Inbox, int]) -> None:
    w, (inbox, port) = mailed, smtp
    w.child.name = "Zebedee Quartermaine"
    w.child.save()
    raise_and_send(w)
    notify.run(ops(w), mail_cfg(port))
    at(w, 1, 12)
    notify.run(ops(w), mail_cfg(port, body="initials"))
    assert len(inbox.got) >= 3  # sent, breach, digests
    for _, msg in inbox.got:
        assert "Zebedee" not in subject(msg) and "Quartermaine" not in subject(msg)
        assert "Quartermaine" not in msg.get_content()
    payloads = [x.get_content() for _, x in inbox.got]
    assert "Child: Z.Q." not in payloads[0]  # minimal: nothing about the child
    assert any("Child: Z.Q." in p for p in payloads[1:])  # initials: the initials only


# ---------------------------------------------------------------- never twice


def test_a_run_inside_another_runs_sending_sends_nothing_twice(mailed: World, smtp: tuple[Inbox, int]) -> None:
    """The second run starts while the first holds its claimed rows, before it has sent them."""
    w, (inbox, port) = mailed, smtp
    raise_and_send(w)
    raise_and_send(w, child=w.siblings[1])
    cfg = mail_cfg(port)
    inner: list[notify.Report] = []

    def connect_after_another_run(c: MailConfig) -> Any:
        inner.append(notify.run(ops(w), c))  # the other run: derives, queues, claims, sends
        return notify.smtp_connect(c)

    outer = notify.run(ops(w), cfg, connect=connect_after_another_run)
    assert inner[0].queued == [] and inner[0].due == 0 and inner[0].sent == 0
    assert outer.sent == 2 and len(inbox.got) == 2 and len(mail_events()) == 2


def race_two_runs(target: str, port: int, tmp_path: Path) -> list[str]:
    """Two ``drp notify`` processes on ``target``, released at the same moment; their output."""
    cfg = write_config(tmp_path, f'[mail]\nhost = "127.0.0.1"\nport = {port}\nfrom = "drp@example.org"\n'
                                 'starttls = false\n')
    argv = [MON.isoformat(), "--db", target, "--config", str(cfg), "notify"]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.notify_worker", *argv], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=str(ROOT)) for _ in range(2)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:  # both released at once
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(o.strip().endswith("exit 0") for o in outs), outs
    return outs


def assert_each_sent_once(outs: list[str], inbox: Inbox, n: int) -> None:
    rows = outbox()
    assert len(rows) == n and all(r.state == "sent" and r.attempts == 1 for r in rows)
    assert len(inbox.got) == n and len(mail_events()) == n
    totals = [re.search(r"^(\d+) queued, (\d+) sent$", o, re.MULTILINE) for o in outs]
    assert all(totals), outs
    assert sum(int(t[1]) for t in totals if t) == n and sum(int(t[2]) for t in totals if t) == n


def test_two_concurrent_drp_notify_processes_send_each_mail_once(mailed: World, smtp: tuple[Inbox, int],
                                                                 db_path: Path, tmp_path: Path) -> None:
    w, (inbox, port) = mailed, smtp
    for child in w.siblings:
        raise_and_send(w, child=child)
    close_database()
    outs = race_two_runs(str(db_path), port, tmp_path)
    open_database(str(db_path))
    assert_each_sent_once(outs, inbox, 3)


# ---------------------------------------------------------------- failures


def test_a_refused_connection_is_retried_later_and_shown_by_drp_check(
        mailed: World, smtp: tuple[Inbox, int], db_path: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    w, (inbox, port) = mailed, smtp
    did = raise_and_send(w)
    rep = notify.run(ops(w), mail_cfg(free_port()))  # nothing listens there
    assert (rep.sent, rep.retry, rep.errors) == (0, 1, ["connection refused"])
    [row] = outbox()
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "connection refused")
    assert row.next_try_at == MON + timedelta(minutes=5) and mail_events() == []

    # drp check names it
    monkeypatch.setattr(config_module, "user_config_dir", lambda: tmp_path / "no-user-config")
    monkeypatch.setattr(config_module, "SITE_CONFIG", tmp_path / "no-site-config.toml")
    close_database()
    status = main(["--db", str(db_path), "check"])
    out = capsys.readouterr().out
    assert status == 1
    assert "PROBLEM  mail: 1 mail(s) failed and wait to be tried again (last failure: connection refused)" in out
    open_database(str(db_path))

    # a minute later the server is back, but the mail waits for its back-off
    w.clock.advance(minutes=1)
    assert notify.run(ops(w), mail_cfg(port)).due == 0 and inbox.got == []
    w.clock.advance(minutes=4)
    rep = notify.run(ops(w), mail_cfg(port))
    assert rep.sent == 1 and len(inbox.got) == 1
    row = m.MailOutbox.get_by_id(row.id)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")
    assert [e.dispute_id for e in mail_events()] == [did]


def test_back_off_doubles_and_gives_up_after_max_attempts(mailed: World, smtp: tuple[Inbox, int]) -> None:
    w, _ = mailed, smtp
    raise_and_send(w)
    cfg = mail_cfg(free_port(), max_attempts=3)
    waits = []
    for _ in range(3):
        notify.run(ops(w), cfg)
        row = outbox()[0]
        waits.append(row.next_try_at - w.clock.now())
        w.clock.set(row.next_try_at)
    assert waits[:2] == [timedelta(minutes=5), timedelta(minutes=10)]
    assert (row.state, row.attempts) == ("failed", 3)
    assert notify.outbox_state(w.clock.now()).failed == 1
    assert notify.backoff(30) == timedelta(hours=6)


def test_a_person_without_an_address_is_a_failure_not_a_crash(mailed: World, smtp: tuple[Inbox, int]) -> None:
    w, (inbox, port) = mailed, smtp
    tm = w.levels["team_manager"]
    tm.email = ""
    tm.save()
    raise_and_send(w)
    rep = notify.run(ops(w), mail_cfg(port))
    assert rep.retry == 1 and rep.errors == [f"staff {tm.id} has no usable e-mail address"]
    assert inbox.got == [] and outbox()[0].state == "pending"


def test_a_refused_recipient_is_retried_and_the_others_are_sent(mailed: World, smtp: tuple[Inbox, int]) -> None:
    w, (inbox, port) = mailed, smtp
    tm = w.levels["team_manager"]
    tm.email = "gone@example.org"
    tm.save()
    raise_and_send(w)
    raise_and_send(w, stage="informal", child=w.siblings[1])  # the social worker is copied: that one goes
    rep = notify.run(ops(w), mail_cfg(port))
    assert (rep.sent, rep.retry, rep.errors) == (1, 2, ["recipient refused (SMTP 550)"])
    assert [rcpts for rcpts, _ in inbox.got] == [[addr(w.worker)]]
    states = {(r.recipient_id, r.kind): (r.state, r.attempts) for r in outbox()}
    assert states[(tm.id, "sent")] == ("pending", 1) and states[(w.worker.id, "inform")] == ("sent", 1)
    assert "gone@" not in " ".join(r.last_error for r in outbox())  # no address kept with the failure


def test_rows_claimed_by_a_run_that_died_are_sent_by_a_later_run(mailed: World, smtp: tuple[Inbox, int]) -> None:
    w, (inbox, port) = mailed, smtp
    raise_and_send(w)
    cfg = mail_cfg(port)
    notify.enqueue(ops(w), notify.derive(ops(w), cfg))
    assert len(notify.claim(ops(w), "died")) == 1  # ... and the run was killed before sending
    assert notify.run(ops(w), cfg).sent == 0  # a run soon after leaves it alone
    w.clock.advance(minutes=31)
    assert notify.outbox_state(w.clock.now()).stuck == 1
    rep = notify.run(ops(w), cfg)
    assert (rep.stale, rep.sent) == (1, 1) and len(inbox.got) == 1
    assert outbox()[0].state == "sent" and len(mail_events()) == 1


def test_it_signs_in_with_the_password_file(mailed: World, tmp_path: Path) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"drp", b"s3cret pass")
        seen.append((data.login, data.password))
        return AuthResult(success=ok)

    inbox, port = Inbox(), free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                     auth_require_tls=False)
    ctl.start()
    try:
        pw = tmp_path / "smtp.password"
        pw.write_text("s3cret pass\n", encoding="utf-8")
        raise_and_send(mailed)
        bad = tmp_path / "wrong.password"
        bad.write_text("nope\n", encoding="utf-8")
        rep = notify.run(ops(mailed), mail_cfg(port, user="drp", password_file=str(bad), timeout=3))  # (the test server answers a wrong LOGIN only at the timeout)
        assert (rep.sent, rep.retry) == (0, 1) and inbox.got == [] and seen[0] == (b"drp", b"nope")
        assert outbox()[0].last_error.startswith("SMTP")  # the kind of failure, never the password
        mailed.clock.advance(minutes=5)
        assert notify.run(ops(mailed), mail_cfg(port, user="drp", password_file=str(pw))).sent == 1
        assert seen[-1] == (b"drp", b"s3cret pass") and len(inbox.got) == 1
    finally:
        ctl.stop()


# ---------------------------------------------------------------- the command


def test_drp_notify_dry_run_changes_nothing_then_a_run_sends(
        mailed: World, smtp: tuple[Inbox, int], db_path: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    w, (inbox, port) = mailed, smtp
    did = raise_and_send(w)
    ref = m.Dispute.get_by_id(did).reference
    tm = w.levels["team_manager"]
    close_database()
    monkeypatch.setattr(notify_cli, "CLOCK", w.clock)
    cfg = write_config(tmp_path, f'[mail]\nhost = "127.0.0.1"\nport = {port}\nfrom = "drp@example.org"\n'
                                 'starttls = false\n')
    assert main(["--db", str(db_path), "--config", str(cfg), "notify", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"would queue  sent      to staff {tm.id} ({tm.username}): "
                   f"{ref}: Stage 1 DRP sent to you, response due Mon 30 Nov 2026",
                   "dry run: 1 new mail(s) would be queued; 1 would be sent now; nothing was changed"]
    assert inbox.got == []
    open_database(str(db_path))
    assert outbox() == [] and mail_events() == []
    close_database()

    assert main(["--db", str(db_path), "--config", str(cfg), "notify"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 queued, 1 sent"
    assert len(inbox.got) == 1
    assert main(["--db", str(db_path), "--config", str(cfg), "notify"]) == 0
    assert capsys.readouterr().out.splitlines() == ["0 queued, 0 sent"]
    open_database(str(db_path))
    assert [r.state for r in outbox()] == ["sent"] and len(mail_events()) == 1


def test_drp_check_names_a_password_file_every_user_can_read(
        mailed: World, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    close_database()
    pw = tmp_path / "smtp.password"
    pw.write_text("s3cret\n", encoding="utf-8")
    pw.chmod(0o644)
    cfg = write_config(tmp_path, f'[mail]\nhost = "h"\nfrom = "a@b.org"\nuser = "drp"\npassword_file = "{pw}"\n')
    assert main(["--db", str(db_path), "--config", str(cfg), "check"]) == 1
    out = capsys.readouterr().out
    assert f"PROBLEM  mail: password_file {pw} can be read by every user on this machine" in out
    assert "ok       mail: 0 mail(s) queued to send" in out
    pw.chmod(0o600)
    assert main(["--db", str(db_path), "--config", str(cfg), "check"]) == 0
    assert "PROBLEM" not in capsys.readouterr().out


def test_drp_notify_says_mail_is_off_without_a_mail_table(
        mailed: World, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    close_database()
    cfg = write_config(tmp_path, 'nation = "ENG"\n')
    assert main(["--db", str(db_path), "--config", str(cfg), "notify"]) == 2
    assert "mail is off: the config file has no [mail] table" in capsys.readouterr().err
    open_database(str(db_path))
    assert outbox() == []


# ---------------------------------------------------------------- PostgreSQL


def test_the_outbox_on_postgresql(pg_url: str, clock: Any, calendar: WorkingCalendar,
                                  smtp: tuple[Inbox, int]) -> None:
    """Queue once (ON CONFLICT DO NOTHING), claim once (the guarded UPDATE), on PostgreSQL."""
    from drp_tui.store import audit as store_audit
    from drp_tui.store import audit_check
    from tests.factories import make_world

    inbox, port = smtp
    open_database(pg_url)
    try:
        store_audit.create_key()
        w = make_world(load_builtin("mosaic-iro"), calendar, clock)
        for s in m.Staff.select():
            s.email = addr(s)
            s.save()
        raise_and_send(w)
        raise_and_send(w, child=w.siblings[1])
        inner: list[notify.Report] = []

        def connect_after_another_run(c: MailConfig) -> Any:
            inner.append(notify.run(ops(w), c))
            return notify.smtp_connect(c)

        outer = notify.run(ops(w), mail_cfg(port), connect=connect_after_another_run)
        assert (inner[0].due, inner[0].sent, outer.sent) == (0, 0, 2)
        assert notify.enqueue(ops(w), notify.derive(ops(w), mail_cfg(port))) == []
        assert notify.run(ops(w), mail_cfg(port)).sent == 0
        assert len(inbox.got) == 2 and len(mail_events()) == 2
        assert [r.state for r in outbox()] == ["sent", "sent"]
        assert audit_check.verify() == []
    finally:
        close_database()


def test_two_concurrent_drp_notify_processes_on_postgresql(pg_url: str, clock: Any, calendar: WorkingCalendar,
                                                           smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    from drp_tui.store import audit as store_audit
    from drp_tui.store import audit_check
    from tests.factories import make_world

    inbox, port = smtp
    open_database(pg_url)
    try:
        store_audit.create_key()
        w = make_world(load_builtin("mosaic-iro"), calendar, clock)
        for s in m.Staff.select():
            s.email = addr(s)
            s.save()
        for child in w.siblings:
            raise_and_send(w, child=child)
    finally:
        close_database()
    outs = race_two_runs(pg_url, port, tmp_path)
    open_database(pg_url)
    try:
        assert_each_sent_once(outs, inbox, 3)
        assert audit_check.verify() == []
    finally:
        close_database()
