"""Signing in: password check with lock-out, or the OS login on a central box."""

from __future__ import annotations

from datetime import datetime, timedelta

from drp_tui.domain.model import StaffView
from drp_tui.services import audit
from drp_tui.services.errors import DomainError
from drp_tui.services.passwords import verify_password
from drp_tui.store import models as m
from drp_tui.store.db import write_txn
from drp_tui.store.queries import staff_view

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


class AuthError(DomainError):
    title = "Cannot sign in"


def authenticate(username: str, password: str, now: datetime) -> StaffView:
    """Check a password. Wrong user and wrong password give the same message."""
    generic = "Unknown user name or wrong password."
    with write_txn():
        s = m.Staff.get_or_none(m.Staff.username == (username or "").strip())
        if s is None:
            raise AuthError(generic)
        if not s.active:
            raise AuthError("This account is disabled; ask an administrator.")
        if s.locked_until is not None and s.locked_until > now:
            mins = max(1, int((s.locked_until - now).total_seconds() // 60) + 1)
            raise AuthError(f"Too many failed attempts: this account is locked for {mins} more minute(s).")
        if not s.password_hash or not verify_password(password or "", s.password_hash):
            s.failed_logins += 1
            locked = s.failed_logins >= MAX_FAILURES
            if locked:
                s.locked_until = now + LOCKOUT
                s.failed_logins = 0
            s.save()
            audit.append(now, s.id, "login_failed", "Sign-in failed" + (" - account locked" if locked else ""))
            if locked:
                raise AuthError(f"Too many failed attempts: this account is locked for {int(LOCKOUT.total_seconds() // 60)} minutes.")
            raise AuthError(generic)
        s.failed_logins = 0
        s.locked_until = None
        s.save()
        audit.append(now, s.id, "signed_in", "Signed in")
    return staff_view(s)


def authenticate_os(os_login: str, now: datetime) -> StaffView:
    """``auth = "os"``: the operating-system account names the staff account."""
    with write_txn():
        s = m.Staff.get_or_none(m.Staff.os_login == os_login)
        if s is None or not s.active:
            raise AuthError(f"No active staff account is linked to the login '{os_login}'; ask an administrator.")
        audit.append(now, s.id, "signed_in", "Signed in (OS login)")
    return staff_view(s)


def sign_in_without_password(username: str, now: datetime) -> StaffView:
    """For ``drp demo`` only: open the desk already signed in."""
    with write_txn():
        s = m.Staff.get(m.Staff.username == username)
        audit.append(now, s.id, "signed_in", "Signed in (demo)")
    return staff_view(s)
