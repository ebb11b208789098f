"""Signing in: scrypt hashes, one message and one hash check for every refusal, progressive
delay (no hard lock-out) on the injected clock, failed attempts told at the next sign-in, the
unlock PIN under OS log-in, and no password in clear anywhere in the database files."""

from __future__ import annotations

import base64
import getpass
import re
import sys
from pathlib import Path

import pytest

from drp_tui.services import accounts, auth
from drp_tui.services.auth import AuthError, authenticate, authenticate_os
from drp_tui.services.errors import DomainError, PermissionDenied, ValidationError
from drp_tui.services.passwords import verify_password
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.store import models as m
from drp_tui.store.db import close_database
from tests.factories import PASSWORD, World

SECRET = "Zebra-Umbrella-7731"


def events(kind: str) -> list[m.Event]:
    return list(m.Event.select().where(m.Event.kind == kind).order_by(m.Event.id))


def cli(world: World) -> InstallationAdmin:
    return InstallationAdmin(None, world.policy, world.calendar, world.clock, os_user="root")  # type: ignore[arg-type]


def db_bytes(db_path: Path) -> bytes:
    """The database file and its WAL/SHM companions as stored on disk: while open
    (WAL not yet checkpointed) and again after closing (checkpointed)."""
    def read() -> bytes:
        out = b""
        for suffix in ("", "-wal", "-shm", "-journal"):
            p = Path(f"{db_path}{suffix}")
            if p.exists():
                out += p.read_bytes()
        return out

    while_open = read()
    close_database()
    return while_open + read()


def test_hash_is_scrypt_with_salt(world: World) -> None:
    accounts.add_user(world.ctx(world.admin), "newbie", "New Person", "chair", SECRET)
    stored = m.Staff.get(m.Staff.username == "newbie").password_hash
    algo, n, r, p, salt, dk = stored.split("$")
    assert algo == "scrypt" and int(n) >= 2**14 and int(r) == 8 and int(p) == 1
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(dk)) == 32
    assert verify_password(SECRET, stored) and not verify_password(SECRET + "x", stored)
    accounts.add_user(world.ctx(world.admin), "newbie2", "New Person", "chair", SECRET)
    assert m.Staff.get(m.Staff.username == "newbie2").password_hash != stored  # salted


def test_password_never_in_clear_in_the_database(world: World, db_path: Path) -> None:
    admin = world.ctx(world.admin)
    accounts.add_user(admin, "newbie", "New Person", "chair", SECRET)
    authenticate("newbie", SECRET, world.clock.now())
    with pytest.raises(AuthError):
        authenticate("newbie", SECRET + "-wrong", world.clock.now())
    with pytest.raises(AuthError):  # a password typed into the user-name box
        authenticate(SECRET + "-typo", "anything", world.clock.now())
    accounts.reset_password(admin, "newbie", SECRET[::-1])
    authenticate("newbie", SECRET[::-1], world.clock.now())
    for e in m.Event.select():
        text = e.summary + e.before + e.after
        assert SECRET not in text and SECRET[::-1] not in text and "scrypt$" not in text
    raw = db_bytes(db_path)
    for needle in (SECRET, SECRET[::-1], SECRET + "-wrong", SECRET + "-typo"):
        assert needle.encode() not in raw and needle.encode("utf-16-le") not in raw, needle


def test_sign_in_and_its_event(world: World) -> None:
    view = authenticate("chair1", PASSWORD, world.clock.now())
    assert view.id == world.chair.id
    ev = events("signed_in")[-1]
    assert ev.actor_id == world.chair.id


def test_unknown_user_and_wrong_password_look_the_same(world: World) -> None:
    with pytest.raises(AuthError) as a:
        authenticate("nobody", PASSWORD, world.clock.now())
    with pytest.raises(AuthError) as b:
        authenticate("chair1", "wrong-password", world.clock.now())
    assert a.value.message == b.value.message == auth.GENERIC
    assert auth.GENERIC == "User name or password not recognised, or the account cannot sign in now."
    failed = events("login_failed")
    assert len(failed) == 2
    assert "unknown user name" in failed[0].summary and "nobody" not in failed[0].summary
    assert "chair1" in failed[1].summary and failed[1].actor_id is None


def test_disabled_account_looks_like_a_wrong_password(world: World) -> None:
    accounts.disable_user(world.ctx(world.admin), "chair1")
    messages = []
    for password in (PASSWORD, "wrong-password"):  # even the right password learns nothing
        with pytest.raises(AuthError) as info:
            authenticate("chair1", password, world.clock.now())
        messages.append(info.value.message)
    assert messages == [auth.GENERIC, auth.GENERIC]
    assert "chair1: account disabled" in events("login_failed")[-2].summary  # the administrator sees why


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool, int]]:
    """Every scrypt check: (the stored hash checked against, in a transaction?, writers' lock depth)."""
    from drp_tui.store import db as store_db

    calls: list[tuple[str, bool, int]] = []
    real = auth.run_check

    def counting(password: str, stored: str) -> bool:
        calls.append((stored, m.database.obj.in_transaction(), store_db._writer_depth))
        return real(password, stored)

    monkeypatch.setattr(auth, "run_check", counting)
    return calls


def test_every_refusal_takes_the_same_single_hash_check(world: World, hash_calls: list[tuple[str, bool, int]]) -> None:
    """Timing is matched by doing the same work: one scrypt check per attempt, a dummy one
    when there is no real hash (unknown name, account without a password)."""
    admin = world.ctx(world.admin)
    accounts.add_user(cli(world), "osonly", "Os Only", "chair", None, os_login="osonly")
    accounts.add_user(admin, "gone", "Gone Away", "chair", SECRET)
    accounts.disable_user(admin, "gone")
    real_hash = m.Staff.get(m.Staff.username == "chair1").password_hash
    attempts = [("nobody", PASSWORD, auth.dummy_hash()), ("", PASSWORD, auth.dummy_hash()),
                ("osonly", "", auth.dummy_hash()), ("chair1", "wrong-password", real_hash),
                ("gone", SECRET, m.Staff.get(m.Staff.username == "gone").password_hash)]
    for name, password, expected_hash in attempts:
        before = len(hash_calls)
        with pytest.raises(AuthError) as info:
            auth.sign_in(name, password, world.clock.now(), auth.Throttle())
        assert info.value.message == auth.GENERIC, name
        assert [c[0] for c in hash_calls[before:]] == [expected_hash], name
        world.clock.advance(minutes=5)  # no delay in play


def test_the_hash_check_runs_outside_any_transaction_and_the_writers_lock(
        world: World, hash_calls: list[tuple[str, bool, int]]) -> None:
    with pytest.raises(AuthError):
        authenticate("nobody", PASSWORD, world.clock.now())
    with pytest.raises(AuthError):
        authenticate("chair1", "wrong-password", world.clock.now())
    authenticate("chair1", PASSWORD, world.clock.now())
    assert len(hash_calls) == 3
    assert [(in_txn, depth) for _, in_txn, depth in hash_calls] == [(False, 0)] * 3


def _fail(world: World, name: str, throttle: auth.Throttle | None = None) -> str:
    with pytest.raises(AuthError) as info:
        auth.sign_in(name, "wrong-password", world.clock.now(), throttle)
    return info.value.message


def test_progressive_delay_per_account_from_stored_failures(world: World,
                                                            hash_calls: list[tuple[str, bool, int]]) -> None:
    """Each attempt from a fresh session (another terminal): the delay is the account's."""
    for _ in range(3):
        assert _fail(world, "chair1", auth.Throttle()) == auth.GENERIC  # no delay for the first three
    waits = []
    for _ in range(7):
        checks = len(hash_calls)
        message = _fail(world, "chair1", auth.Throttle())
        assert len(hash_calls) == checks, "a refused-for-now attempt checks no password"
        assert message.startswith(auth.GENERIC + " Wait ")
        waits.append(int(message.split("Wait ")[1].split(" ")[0]))
        world.clock.advance(seconds=waits[-1])
        assert _fail(world, "chair1", auth.Throttle()) == auth.GENERIC  # tried at the allowed time: checked
    assert waits == [1, 2, 4, 8, 16, 30, 30]  # doubling, capped at 30 s
    assert m.SignInFailure.select().count() == 10  # every checked failure, none of the refused-for-now


def test_the_delay_needs_no_account_and_says_nothing_about_one(world: World) -> None:
    known, unknown = [], []
    for _ in range(4):
        known.append(_fail(world, "chair1", auth.Throttle()))
        unknown.append(_fail(world, "no-such-person", auth.Throttle()))
    assert known == unknown
    assert known[-1] == auth.GENERIC + " Wait 1 second before trying again."
    keys = [r.key for r in m.SignInFailure.select()]
    assert all(k.startswith("n:") for k in keys) and not any("no-such" in k for k in keys)


def test_progressive_delay_per_session_whatever_name_is_typed(world: World) -> None:
    session = auth.Throttle()
    for name in ("anna", "ben", "cara"):
        assert _fail(world, name, session) == auth.GENERIC
    assert _fail(world, "dev", session) == auth.GENERIC + " Wait 1 second before trying again."
    assert _fail(world, "dev", auth.Throttle()) == auth.GENERIC  # another terminal is not slowed
    world.clock.advance(seconds=1)
    assert _fail(world, "dev", session) == auth.GENERIC


def test_no_hard_lock_out_the_owner_gets_in_once_the_delay_has_passed(world: World) -> None:
    for _ in range(20):
        _fail(world, "chair1", auth.Throttle())
        world.clock.advance(seconds=30)
    assert authenticate("chair1", PASSWORD, world.clock.now(), auth.Throttle()).id == world.chair.id
    s = m.Staff.get_by_id(world.chair.id)
    assert s.locked_until is None and s.failed_logins == 0
    assert not m.SignInFailure.select().where(m.SignInFailure.key == auth.name_key("chair1")).exists()


def test_failed_attempts_are_told_at_the_next_sign_in_then_cleared(world: World) -> None:
    for _ in range(2):
        _fail(world, "chair1")
        world.clock.advance(minutes=1)
    _fail(world, "chair1")
    world.clock.advance(hours=3)
    first = auth.sign_in("chair1", PASSWORD, world.clock.now())
    assert first.notice == ("3 failed sign-in attempts since your last sign-in, "
                            "last at Mon 23 Nov 2026 10:02.")
    assert auth.sign_in("chair1", PASSWORD, world.clock.now()).notice == ""  # told once
    s = m.Staff.get_by_id(world.chair.id)
    assert s.failed_logins == 0 and s.last_failed_at is None and s.last_sign_in_at is not None


def test_success_resets_the_delay(world: World) -> None:
    session = auth.Throttle()
    for _ in range(3):
        _fail(world, "chair1", session)
    world.clock.advance(seconds=1)
    authenticate("chair1", PASSWORD, world.clock.now(), session)
    assert session.failures == []
    assert _fail(world, "chair1", session) == auth.GENERIC  # counting starts again


def test_admin_unlock_clears_the_delay(world: World) -> None:
    for _ in range(5):
        _fail(world, "chair1", auth.Throttle())
    accounts.unlock_user(world.ctx(world.admin), "chair1")
    assert authenticate("chair1", PASSWORD, world.clock.now()).id == world.chair.id
    assert events("account_unlocked")


def test_account_without_password_cannot_sign_in_by_password(world: World) -> None:
    accounts.add_user(cli(world), "osonly", "Os Only", "chair", None, os_login="osonly")
    with pytest.raises(AuthError):
        authenticate("osonly", "", world.clock.now())


# --- auth = "os" -------------------------------------------------------------------------

@pytest.fixture
def as_os_user(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Pretend the process runs as the named OS account (both the uid lookup and getpass)."""
    login = ["casey"]
    monkeypatch.setattr(auth, "current_os_login", lambda: login[0])
    monkeypatch.setattr(getpass, "getuser", lambda: login[0])
    return login


def test_os_login_maps_to_the_account(world: World, as_os_user: list[str]) -> None:
    accounts.link_os_login(world.ctx(world.admin), "chair1", "casey")
    assert authenticate_os(None, world.clock.now()).id == world.chair.id
    assert authenticate_os(getpass.getuser(), world.clock.now()).id == world.chair.id  # as the desk calls it
    assert "OS login 'casey'" in events("signed_in")[-1].summary


def test_unknown_os_login_refused(world: World, as_os_user: list[str]) -> None:
    as_os_user[0] = "mallory"
    with pytest.raises(AuthError) as info:
        authenticate_os(None, world.clock.now())
    assert info.value.message == "No staff account is linked to the login 'mallory'; ask an administrator."
    assert "mallory" in events("login_refused")[-1].summary


def test_os_login_of_a_disabled_account_refused(world: World, as_os_user: list[str]) -> None:
    admin = world.ctx(world.admin)
    accounts.link_os_login(admin, "chair1", "casey")
    accounts.disable_user(admin, "chair1")
    with pytest.raises(AuthError, match="disabled"):
        authenticate_os(None, world.clock.now())


def test_os_login_from_the_environment_must_match_the_real_user(world: World, as_os_user: list[str]) -> None:
    """$USER can be set by anyone: a name that is not the process's real account is refused."""
    accounts.link_os_login(world.ctx(world.admin), "chair1", "casey")
    accounts.link_os_login(world.ctx(world.admin), "chair2", "drew")
    with pytest.raises(AuthError, match="not the account running this session"):
        authenticate_os("drew", world.clock.now())


def test_current_os_login_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    pwd = pytest.importorskip("pwd")
    import os

    monkeypatch.setenv("USER", "someone-else")
    monkeypatch.setenv("LOGNAME", "someone-else")
    assert auth.current_os_login() == pwd.getpwuid(os.getuid()).pw_name
    assert re.match(r"^[\w.@$-]+$", auth.current_os_login())


def test_os_sign_in_asks_for_a_pin_until_one_is_set(world: World, as_os_user: list[str]) -> None:
    accounts.link_os_login(world.ctx(world.admin), "chair1", "casey")
    assert auth.sign_in_os(None, world.clock.now()).needs_pin
    auth.set_unlock_pin(world.chair.id, "462913", world.clock.now(), "462913")
    assert not auth.sign_in_os(None, world.clock.now()).needs_pin
    stored = m.Staff.get_by_id(world.chair.id).unlock_pin_hash
    assert stored.startswith("scrypt$") and "462913" not in stored and verify_password("462913", stored)
    assert events("unlock_pin_set")[-1].actor_id == world.chair.id


@pytest.mark.parametrize(("pin", "confirm", "field", "words"), [
    ("", "", "pin", "enter an unlock PIN"),
    ("12345", "12345", "pin", "at least 6"),
    ("111111", "111111", "pin", "repeated"),
    ("123456", "123456", "pin", "run of digits"),
    ("462913", "462914", "confirm", "differ"),
    ("4629\x0713", "4629\x0713", "pin", "control"),
])
def test_a_bad_pin_is_refused_naming_the_field(world: World, pin: str, confirm: str, field: str,
                                               words: str) -> None:
    with pytest.raises(ValidationError) as info:
        auth.set_unlock_pin(world.chair.id, pin, world.clock.now(), confirm)
    assert info.value.field == field and words in info.value.message
    assert m.Staff.get_by_id(world.chair.id).unlock_pin_hash == ""  # nothing half-saved
    assert not events("unlock_pin_set")


def test_unlock_needs_the_pin(world: World) -> None:
    auth.set_unlock_pin(world.chair.id, "462913", world.clock.now(), "462913")
    with pytest.raises(ValidationError, match="bare Enter") as bare:
        auth.unlock_with_pin(world.chair.id, "", world.clock.now())
    assert bare.value.field == "pin" and not events("unlock_failed")  # nothing to check, nothing counted
    with pytest.raises(AuthError) as wrong:
        auth.unlock_with_pin(world.chair.id, "462914", world.clock.now())
    assert wrong.value.message == auth.PIN_WRONG
    failed = events("unlock_failed")[-1]
    assert failed.actor_id is None and "chair1" in failed.summary and "462914" not in failed.summary
    done = auth.unlock_with_pin(world.chair.id, "462913", world.clock.now())
    assert done.user.id == world.chair.id
    assert done.notice.startswith("1 failed sign-in attempt since your last sign-in")
    assert events("unlocked")[-1].actor_id == world.chair.id
    assert "unlock PIN" in events("unlocked")[-1].summary


def test_wrong_pins_are_delayed_too(world: World) -> None:
    auth.set_unlock_pin(world.chair.id, "462913", world.clock.now(), "462913")
    session = auth.Throttle()
    for pin in ("000001", "000002", "000003"):
        with pytest.raises(AuthError):
            auth.unlock_with_pin(world.chair.id, pin, world.clock.now(), session)
    with pytest.raises(AuthError, match="Wait 1 second"):  # even the right one, until the wait is over
        auth.unlock_with_pin(world.chair.id, "462913", world.clock.now(), session)
    world.clock.advance(seconds=1)
    assert auth.unlock_with_pin(world.chair.id, "462913", world.clock.now(), session).user.id == world.chair.id


def test_no_pin_set_means_no_unlock(world: World) -> None:
    with pytest.raises(AuthError, match="No unlock PIN is set"):
        auth.unlock_with_pin(world.chair.id, "462913", world.clock.now())


def test_the_os_password_unlocks_when_pam_is_there(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    accounts.link_os_login(world.ctx(world.admin), "chair1", "casey")
    auth.set_unlock_pin(world.chair.id, "462913", world.clock.now(), "462913")
    tried: list[tuple[str, str]] = []
    monkeypatch.setattr(auth, "_pam_checker", lambda: lambda login, pw: tried.append((login, pw)) or pw == "os-pass")
    assert auth.unlock_with_pin(world.chair.id, "os-pass", world.clock.now()).user.id == world.chair.id
    assert tried == [("casey", "os-pass")] and "OS password" in events("unlocked")[-1].summary
    with pytest.raises(AuthError):
        auth.unlock_with_pin(world.chair.id, "not-it", world.clock.now())


def test_admin_resets_the_pin(world: World) -> None:
    auth.set_unlock_pin(world.chair.id, "462913", world.clock.now(), "462913")
    accounts.reset_unlock_pin(cli(world), "chair1")
    assert not auth.has_unlock_pin(world.chair.id)
    assert "Unlock PIN of chair1 reset" in events("unlock_pin_reset")[-1].summary
    with pytest.raises(DomainError, match="no unlock PIN"):
        accounts.reset_unlock_pin(cli(world), "chair1")
    with pytest.raises(PermissionDenied):
        accounts.reset_unlock_pin(world.ctx(world.chair), "chair2")


def test_lock_and_sign_out_are_events(world: World) -> None:
    auth.record(world.chair.id, "locked", "Desk locked (ctrl+l)", world.clock.now())
    auth.record(world.chair.id, "signed_out", "Signed out", world.clock.now())
    assert [(e.kind, e.actor_id) for e in m.Event.select().order_by(m.Event.id)][-2:] == [
        ("locked", world.chair.id), ("signed_out", world.chair.id)]
    from drp_tui.store.audit_check import verify
    assert verify() == []


def test_the_check_runs_on_a_lowest_priority_thread() -> None:
    """So a flood of failing sign-ins cannot take CPU from other people's saves."""
    import os
    import threading

    seen: list[tuple[str, int]] = []

    def probe() -> None:
        tid = threading.get_native_id()
        seen.append((threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, tid)
                     if hasattr(os, "getpriority") else 19))

    auth._checker.submit(probe).result()
    name, nice = seen[0]
    assert name.startswith("drp-password-check") and threading.current_thread().name != name
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        assert nice == auth.CHECK_NICE > 0
    assert auth.run_check("x", auth.dummy_hash()) is False
