"""Signing in: scrypt hashes, lock-out on the injected clock, disabled accounts, OS log-in,
and no password in clear anywhere in the database files."""

from __future__ import annotations

import base64
import getpass
import re
from pathlib import Path

import pytest

from drp_tui.services import accounts, auth
from drp_tui.services.auth import AuthError, authenticate, authenticate_os
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
    assert a.value.message == b.value.message == "Unknown user name or wrong password."
    failed = events("login_failed")
    assert len(failed) == 2
    assert "unknown user name" in failed[0].summary and "nobody" not in failed[0].summary
    assert "chair1" in failed[1].summary and failed[1].actor_id is None


def test_lock_out_after_five_failures_then_unlock_after_the_period(world: World) -> None:
    for i in range(4):
        with pytest.raises(AuthError, match="wrong password"):
            authenticate("chair1", f"wrong-{i}", world.clock.now())
    assert m.Staff.get_by_id(world.chair.id).failed_logins == 4  # the count was committed
    with pytest.raises(AuthError) as fifth:
        authenticate("chair1", "wrong-5", world.clock.now())
    assert "locked for 15 minutes" in fifth.value.message
    with pytest.raises(AuthError) as locked:  # even the right password, while locked
        authenticate("chair1", PASSWORD, world.clock.now())
    assert "Too many failed attempts" in locked.value.message and "15 more minute" in locked.value.message
    world.clock.advance(minutes=10)
    with pytest.raises(AuthError, match="5 more minute"):
        authenticate("chair1", PASSWORD, world.clock.now())
    assert [e.kind for e in m.Event.select().order_by(m.Event.id)][-2:] == ["login_refused", "login_refused"]
    assert "locked" in events("login_failed")[-1].summary
    world.clock.advance(minutes=5, seconds=1)
    assert authenticate("chair1", PASSWORD, world.clock.now()).id == world.chair.id
    s = m.Staff.get_by_id(world.chair.id)
    assert s.failed_logins == 0 and s.locked_until is None


def test_success_resets_the_failure_count(world: World) -> None:
    for _ in range(4):
        with pytest.raises(AuthError):
            authenticate("chair1", "nope-nope", world.clock.now())
    authenticate("chair1", PASSWORD, world.clock.now())
    with pytest.raises(AuthError, match="wrong password"):
        authenticate("chair1", "nope-nope", world.clock.now())  # the count started again


def test_admin_reset_or_unlock_clears_a_lock_out(world: World) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            authenticate("chair1", "nope-nope", world.clock.now())
    accounts.unlock_user(world.ctx(world.admin), "chair1")
    assert authenticate("chair1", PASSWORD, world.clock.now()).id == world.chair.id


def test_disabled_account_refused(world: World) -> None:
    accounts.disable_user(world.ctx(world.admin), "chair1")
    with pytest.raises(AuthError, match="disabled; ask an administrator"):
        authenticate("chair1", PASSWORD, world.clock.now())
    with pytest.raises(AuthError) as wrong:  # only someone with the password learns it is disabled
        authenticate("chair1", "wrong-password", world.clock.now())
    assert wrong.value.message == auth.GENERIC
    assert "disabled" in events("login_refused")[-1].summary


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
