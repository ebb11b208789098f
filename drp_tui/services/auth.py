"""Signing in: password check with lock-out, or the OS login on a central box.

Nothing here ever stores, logs or puts in a message the password typed. Every
failed or refused sign-in leaves an audit event (without the password, and
without the user name typed when no account has it: it may be a password
typed into the wrong box).
"""

from __future__ import annotations

import getpass
import math
import os
from datetime import datetime, timedelta

from drp_tui.domain.model import StaffView
from drp_tui.services import audit
from drp_tui.services.errors import DomainError
from drp_tui.services.passwords import hash_password, verify_password
from drp_tui.store import models as m
from drp_tui.store.db import write_txn
from drp_tui.store.queries import staff_view

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
GENERIC = "Unknown user name or wrong password."
MAX_PASSWORD = 1024

_dummy_hash: list[str] = []


class AuthError(DomainError):
    title = "Cannot sign in"


def _burn(password: str) -> None:
    """Spend the time a real check takes, so an unknown name is not told apart by timing."""
    if not _dummy_hash:
        _dummy_hash.append(hash_password(os.urandom(16).hex()))
    verify_password(password, _dummy_hash[0])


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def authenticate(username: str, password: str, now: datetime) -> StaffView:
    """Check a password. Wrong user and wrong password give the same message.

    Five failures in a row lock the account for 15 minutes (``now`` is injected).
    A disabled account is named as disabled only to someone who knows its password.
    """
    name = (username or "").strip()
    password = password or ""
    if len(password) > MAX_PASSWORD:
        password = password[:MAX_PASSWORD]  # a long paste fails like any other wrong password
    error: str | None = None
    view: StaffView | None = None
    with write_txn():  # the outcome is committed, then reported: a raise here would undo the count
        s = m.Staff.get_or_none(m.Staff.username == name) if name else None
        if s is None:
            _burn(password)
            audit.append(now, None, "login_failed", "Sign-in failed: unknown user name")
            error = GENERIC
        elif s.locked_until is not None and s.locked_until > now:
            audit.append(now, None, "login_refused", f"Sign-in refused for {s.username}: account locked")
            error = ("Too many failed attempts: this account is locked for "
                     f"{_minutes_left(s.locked_until, now)} more minute(s). Try again later or ask an administrator.")
        elif not s.password_hash or not verify_password(password, s.password_hash):
            s.failed_logins += 1
            tries = s.failed_logins
            locked = tries >= MAX_FAILURES
            if locked:
                s.locked_until = now + LOCKOUT
                s.failed_logins = 0
            s.save()
            audit.append(now, None, "login_failed",
                         f"Sign-in failed for {s.username} ({tries} of {MAX_FAILURES})"
                         + (f" - account locked for {int(LOCKOUT.total_seconds() // 60)} minutes" if locked else ""))
            error = (f"Too many failed attempts: this account is locked for {int(LOCKOUT.total_seconds() // 60)} "
                     "minutes. Try again later or ask an administrator." if locked else GENERIC)
        elif not s.active:
            audit.append(now, None, "login_refused", f"Sign-in refused for {s.username}: account disabled")
            error = "This account is disabled; ask an administrator."
        else:
            s.failed_logins = 0
            s.locked_until = None
            s.save()
            audit.append(now, s.id, "signed_in", "Signed in")
            view = staff_view(s)
    if error is not None or view is None:
        raise AuthError(error or GENERIC)
    return view


def current_os_login() -> str:
    """The login name of the account running this process.

    On POSIX this comes from the real user id, never from $USER/$LOGNAME (which
    anyone can set); elsewhere it falls back to ``getpass.getuser()``.
    """
    try:
        import pwd
    except ImportError:  # Windows: no user database to ask
        return getpass.getuser()
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return getpass.getuser()


def authenticate_os(os_login: str | None, now: datetime) -> StaffView:
    """``auth = "os"``: the operating-system account names the staff account.

    ``os_login`` must be the account running this process (``current_os_login``);
    pass None to use it. A name taken from the environment that does not match
    the process's real user is refused.
    """
    real = current_os_login()
    login = real if os_login is None else os_login
    error: str | None = None
    view: StaffView | None = None
    with write_txn():
        s = m.Staff.get_or_none(m.Staff.os_login == login) if login else None
        if login != real:
            audit.append(now, None, "login_refused",
                         f"OS sign-in refused: '{login}' is not the account running this session ('{real}')")
            error = (f"The login '{login}' is not the account running this session ('{real}'); "
                     "sign in from your own account.")
        elif s is None:
            audit.append(now, None, "login_refused", f"OS sign-in refused: no staff account linked to '{login}'")
            error = f"No staff account is linked to the login '{login}'; ask an administrator."
        elif not s.active:
            audit.append(now, None, "login_refused", f"OS sign-in refused for {s.username}: account disabled")
            error = f"The staff account linked to '{login}' is disabled; ask an administrator."
        else:
            audit.append(now, s.id, "signed_in", f"Signed in (OS login '{login}')")
            view = staff_view(s)
    if error is not None or view is None:
        raise AuthError(error or "Cannot sign in.")
    return view


def sign_in_without_password(username: str, now: datetime) -> StaffView:
    """For ``drp demo`` only: open the desk already signed in."""
    with write_txn():
        s = m.Staff.get(m.Staff.username == username)
        audit.append(now, s.id, "signed_in", "Signed in (demo)")
    return staff_view(s)
