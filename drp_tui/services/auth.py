"""Signing in, locking and unlocking: tell a guesser nothing, never hold the database.

Rules (each has a test in tests/unit/test_auth.py):

* Unknown user name, wrong password, disabled account, account without a
  password: the same message (``GENERIC``) and the same work: exactly one scrypt
  check each (against a dummy hash when there is no real one).
* No hard lock-out (nobody at one terminal can lock a colleague out everywhere):
  after ``FREE_TRIES`` failures, attempts are refused until a delay has passed
  (1 s, doubling, at most 30 s), counted both per session (the desk process, a
  :class:`Throttle`) and per typed name (stored failure times, for unknown names
  too, so the wait says nothing about whether an account exists). Time comes
  from the injected clock.
* The scrypt check runs outside any transaction and outside the writers' lock:
  read the hash, verify, then one short write transaction for the counters and
  the audit event.
* The owner is told of failed attempts at their next successful sign-in (or
  unlock), once: the count is cleared in the same transaction.
* Under ``auth = "os"`` the idle lock needs the person's unlock PIN (set at the
  first sign-in, stored as a scrypt hash), or the OS password through PAM when a
  PAM binding is installed (``pip install drp-tui[pam]``).

Nothing here ever stores, logs or puts in a message the password or PIN typed,
nor a typed user name that matches no account (it may be a password typed into
the wrong box): failures are keyed by a digest of the name.
"""

from __future__ import annotations

import getpass
import hashlib
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from drp_tui.domain.model import StaffView
from drp_tui.domain.timeutil import format_london
from drp_tui.services import audit
from drp_tui.services.errors import DomainError, ValidationError
from drp_tui.services.passwords import hash_password, normalise_code, verify_password
from drp_tui.store import models as m
from drp_tui.store.db import write_txn
from drp_tui.store.queries import staff_view

GENERIC = "User name or password not recognised, or the account cannot sign in now."
PIN_WRONG = "Unlock PIN not recognised."
MAX_PASSWORD = 1024
MIN_PIN = 6
MAX_PIN = 128
FREE_TRIES = 3  # failures before any delay
FIRST_DELAY = 1.0  # seconds, doubling with each further failure ...
MAX_DELAY = 30.0  # ... up to this
WINDOW = timedelta(hours=1)  # failures older than this are forgotten (and pruned)
CHECK_NICE = 19  # CPU priority of password checks (lowest): they use only CPU time nobody else wants

_dummy_hash: list[str] = []


class AuthError(DomainError):
    title = "Cannot sign in"


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in or unlock: who, and what they must be told (may be empty)."""

    user: StaffView
    notice: str = ""
    needs_pin: bool = False  # auth = "os": no unlock PIN set yet
    needs_password: bool = False  # signed in with a one-time set-up code: choose a password first


# --- the delay ---------------------------------------------------------------------------

def backoff(failures: int) -> timedelta:
    """How long to wait after ``failures`` failures in a row before the next attempt."""
    if failures < FREE_TRIES:
        return timedelta(0)
    return timedelta(seconds=min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - FREE_TRIES)))


@dataclass
class Throttle:
    """The failures of one session (one desk process): a delay whatever name is typed."""

    failures: list[datetime] = field(default_factory=list)

    def failed(self, now: datetime) -> None:
        self.failures = [t for t in self.failures if t > now - WINDOW] + [now]

    def succeeded(self) -> None:
        self.failures = []

    def next_allowed(self, now: datetime) -> datetime | None:
        recent = [t for t in self.failures if t > now - WINDOW]
        if len(recent) < FREE_TRIES:
            return None
        return max(recent) + backoff(len(recent))


def name_key(name: str) -> str:
    """The key failures of a typed name are stored under (a digest, never the name)."""
    return "n:" + hashlib.sha256(("drp sign-in\n" + name.casefold()).encode("utf-8", "replace")).hexdigest()[:40]


def pin_key(staff_id: int) -> str:
    return f"pin:{staff_id}"


def _stored_next_allowed(key: str, now: datetime) -> datetime | None:
    times: list[datetime] = [r.at for r in m.SignInFailure.select(m.SignInFailure.at)
             .where((m.SignInFailure.key == key) & (m.SignInFailure.at > now - WINDOW))]
    if len(times) < FREE_TRIES:
        return None
    return max(times) + backoff(len(times))


def wait_seconds(key: str, now: datetime, throttle: Throttle | None) -> int:
    """Seconds to wait before ``key`` may be tried again from this session (0 = now)."""
    times = [t for t in (_stored_next_allowed(key, now), throttle.next_allowed(now) if throttle else None)
             if t is not None]
    if not times or max(times) <= now:
        return 0
    return max(1, math.ceil((max(times) - now).total_seconds()))


def _wait_message(message: str, seconds: int) -> str:
    return f"{message} Wait {seconds} second{'s' if seconds != 1 else ''} before trying again."


def _record_failure(key: str, now: datetime, staff_id: int | None) -> None:
    """Inside a write transaction: one stored failure (old ones pruned), and the owner's count."""
    m.SignInFailure.delete().where(m.SignInFailure.at <= now - WINDOW).execute()
    m.SignInFailure.create(key=key, at=now)
    if staff_id is not None:
        m.Staff.update(failed_logins=m.Staff.failed_logins + 1, last_failed_at=now).where(
            m.Staff.id == staff_id).execute()


def _succeeded(s_id: int, key: str, now: datetime) -> str:
    """Inside a write transaction: clear the delay and the count; return the notice for the owner."""
    s = m.Staff.get_by_id(s_id)
    notice = ""
    if s.failed_logins:
        n = int(s.failed_logins)
        notice = (f"{n} failed sign-in attempt{'s' if n != 1 else ''} since your last sign-in"
                  + (f", last at {format_london(s.last_failed_at)}" if s.last_failed_at else "") + ".")
    m.Staff.update(failed_logins=0, last_failed_at=None, locked_until=None, last_sign_in_at=now).where(
        m.Staff.id == s_id).execute()
    m.SignInFailure.delete().where(m.SignInFailure.key == key).execute()
    return notice


# --- the hash check, outside any transaction -------------------------------------------------

def dummy_hash() -> str:
    """A hash with the real parameters, for names with no password: same work, same time."""
    if not _dummy_hash:
        _dummy_hash.append(hash_password(os.urandom(16).hex()))
    return _dummy_hash[0]


def _lowest_priority() -> None:
    """Make the calling thread yield the CPU to everything else (Linux: nice is per thread)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), CHECK_NICE)
    except (AttributeError, OSError):  # not Linux/BSD, or not allowed: full priority, still correct
        pass


_checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drp-password-check",
                              initializer=_lowest_priority)


def run_check(secret: str, stored: str) -> bool:
    """One scrypt check on a thread at the lowest CPU priority.

    A flood of failing sign-ins then takes only CPU time nobody else wants: other
    people's saves (at normal priority) are not slowed by it, and a genuine
    sign-in on a quiet machine is as fast as ever. Never called inside a
    transaction (the caller holds no lock while it waits).
    """
    return _checker.submit(lambda: verify_password(secret, stored)).result()


def _check(secret: str, stored: str) -> bool:
    """Exactly one scrypt check, against ``stored`` or (when empty) the dummy hash."""
    if not stored:
        run_check(secret, dummy_hash())
        return False
    return run_check(secret, stored)


# --- password sign-in --------------------------------------------------------------------------

def sign_in(username: str, password: str, now: datetime, throttle: Throttle | None = None, *,
            unlocking_id: int | None = None) -> SignedIn:
    """Check a user name and password. Every refusal is ``GENERIC`` (plus a wait, if any).

    ``unlocking_id``: the person whose locked desk this is; if they are the one
    signing in, the event is ``unlocked`` rather than ``signed_in``.
    """
    name = (username or "").strip()
    password = (password or "")[:MAX_PASSWORD]  # a long paste fails like any other wrong password
    dummy_hash()  # made before any branch, so the first unknown name costs no more than the rest
    key = name_key(name)
    s = m.Staff.get_or_none(m.Staff.username == name) if name else None  # a read: no lock held
    wait = wait_seconds(key, now, throttle)
    if wait:
        raise AuthError(_wait_message(GENERIC, wait))
    # An account without a password but with a one-time set-up code: the code is checked
    # instead (still exactly one scrypt check), and the person then chooses a password.
    by_code = s is not None and not s.password_hash and bool(s.setup_code_hash) and unlocking_id is None
    if by_code:
        assert s is not None
        ok = _check(normalise_code(password), s.setup_code_hash)  # outside any transaction
    else:
        ok = _check(password, s.password_hash if s is not None else "")
    expired = by_code and ok and s is not None and (s.setup_code_until is None or s.setup_code_until <= now)
    if s is not None and ok and s.active and not expired:
        with write_txn():
            notice = _succeeded(s.id, key, now)
            if unlocking_id == s.id:
                audit.append(now, s.id, "unlocked", "Unlocked the desk (password)")
            elif by_code:
                audit.append(now, s.id, "signed_in", "Signed in with a one-time set-up code")
            else:
                audit.append(now, s.id, "signed_in", "Signed in")
            view = staff_view(m.Staff.get_by_id(s.id))
        if throttle is not None:
            throttle.succeeded()
        return SignedIn(view, notice, needs_password=by_code)
    if s is None:
        summary = "Sign-in failed: unknown user name"
    elif expired:
        summary = f"Sign-in failed for {s.username}: the one-time set-up code has expired"
    elif ok:
        summary = f"Sign-in failed for {s.username}: account disabled"
    elif by_code:
        summary = f"Sign-in failed for {s.username}: wrong set-up code"
    elif not s.password_hash:
        summary = f"Sign-in failed for {s.username}: the account has no password (OS login only)"
    else:
        summary = f"Sign-in failed for {s.username}: wrong password"
    with write_txn():
        _record_failure(key, now, s.id if s is not None else None)
        audit.append(now, None, "login_failed", summary)
    if throttle is not None:
        throttle.failed(now)
    raise AuthError(GENERIC)


def authenticate(username: str, password: str, now: datetime, throttle: Throttle | None = None) -> StaffView:
    """``sign_in`` for callers that need only the person."""
    return sign_in(username, password, now, throttle).user


# --- auth = "os" ------------------------------------------------------------------------------------

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


def sign_in_os(os_login: str | None, now: datetime) -> SignedIn:
    """``auth = "os"``: the operating-system account names the staff account.

    ``os_login`` must be the account running this process (``current_os_login``);
    pass None to use it. A name taken from the environment that does not match
    the process's real user is refused. ``needs_pin`` says the person has no
    unlock PIN yet (the desk asks them to set one before it opens).
    """
    real = current_os_login()
    login = real if os_login is None else os_login
    s = m.Staff.get_or_none(m.Staff.os_login == login) if login else None
    error: str | None = None
    result: SignedIn | None = None
    with write_txn():
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
            notice = _succeeded(s.id, pin_key(s.id), now)
            audit.append(now, s.id, "signed_in", f"Signed in (OS login '{login}')")
            fresh = m.Staff.get_by_id(s.id)
            result = SignedIn(staff_view(fresh), notice, needs_pin=not fresh.unlock_pin_hash)
    if error is not None or result is None:
        raise AuthError(error or "Cannot sign in.")
    return result


def authenticate_os(os_login: str | None, now: datetime) -> StaffView:
    return sign_in_os(os_login, now).user


def check_pin(pin: object, confirm: object | None = None) -> str:
    """A new unlock PIN: 6 to 128 characters (digits or anything else), not one repeated character."""
    if not isinstance(pin, str) or not pin:
        raise ValidationError("PIN: enter an unlock PIN", field="pin")
    if len(pin) < MIN_PIN:
        raise ValidationError(f"PIN: at least {MIN_PIN} characters or digits", field="pin")
    if len(pin) > MAX_PIN:
        raise ValidationError(f"PIN: at most {MAX_PIN} characters", field="pin")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in pin):
        raise ValidationError("PIN: no control characters", field="pin")
    if len(set(pin)) == 1:
        raise ValidationError("PIN: not one character repeated", field="pin")
    if pin in "0123456789012345678909876543210":
        raise ValidationError("PIN: not a run of digits like 123456", field="pin")
    if confirm is not None and confirm != pin:
        raise ValidationError("Confirm PIN: the two PINs differ; type the same PIN twice", field="confirm")
    return pin


def set_unlock_pin(staff_id: int, pin: str, now: datetime, confirm: str | None = None) -> None:
    """The signed-in person sets (or changes) their own unlock PIN. Hashed before the transaction."""
    digest = hash_password(check_pin(pin, confirm))
    with write_txn():
        s = m.Staff.get_or_none(m.Staff.id == staff_id)
        if s is None or not s.active:
            raise AuthError("Your account is not active; ask an administrator.")
        had = bool(s.unlock_pin_hash)
        m.Staff.update(unlock_pin_hash=digest).where(m.Staff.id == staff_id).execute()
        audit.append(now, staff_id, "unlock_pin_set", "Unlock PIN changed" if had else "Unlock PIN set")


def choose_password(staff_id: int, password: str, now: datetime, confirm: str | None = None) -> None:
    """After signing in with a one-time set-up code: the person's own password, once.

    Refused unless the account still has a set-up code and no password (so this
    cannot change anyone's password); the code is used up in the same transaction.
    Hashed before the transaction."""
    from drp_tui.services.accounts import check_new_password  # accounts imports this module

    s = m.Staff.get_or_none(m.Staff.id == staff_id)
    if s is None or not s.active:
        raise AuthError("Your account is not active; ask an administrator.")
    check_new_password(password, s.username)
    if confirm is not None and confirm != password:
        raise ValidationError("Confirm password: the two passwords differ; type the same password twice",
                              field="confirm")
    digest = hash_password(password)
    with write_txn():
        fresh = m.Staff.get_or_none(m.Staff.id == staff_id)
        if fresh is None or not fresh.active or fresh.password_hash or not fresh.setup_code_hash:
            raise AuthError("This account's set-up code has already been used; sign in with your password.")
        fresh.password_hash = digest
        fresh.setup_code_hash = ""
        fresh.setup_code_until = None
        fresh.save()  # through the model: the audit trail digests the row
        audit.append(now, staff_id, "password_chosen", "Password chosen with the one-time set-up code")


def has_unlock_pin(staff_id: int) -> bool:
    s = m.Staff.get_or_none(m.Staff.id == staff_id)
    return bool(s is not None and s.unlock_pin_hash)


def pam_available() -> bool:
    return _pam_checker() is not None


def _pam_checker() -> Callable[[str, str], bool] | None:
    """The OS password check, when the optional ``python-pam`` package is installed."""
    try:
        import pam  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    checker = getattr(pam, "authenticate", None) or getattr(pam.pam(), "authenticate", None)
    if checker is None:
        return None

    def check(login: str, password: str) -> bool:
        try:
            return bool(checker(login, password))
        except Exception:  # noqa: BLE001 - PAM misconfigured: not a proof
            return False

    return check


def unlock_with_pin(staff_id: int, pin: str, now: datetime, throttle: Throttle | None = None) -> SignedIn:
    """``auth = "os"``: the owner unlocks their locked desk with their unlock PIN (or OS password via PAM).

    An empty PIN is refused without a check. Wrong PINs count towards the delay
    (per session and per account) and towards the notice at the next sign-in.
    """
    if not pin:
        raise ValidationError("PIN: enter your unlock PIN (a bare Enter does not unlock)", field="pin")
    pin = pin[:MAX_PASSWORD]
    s = m.Staff.get_or_none(m.Staff.id == staff_id)
    if s is None or not s.active:
        raise AuthError("This account cannot sign in now; sign out (ctrl+o) and ask an administrator.")
    pam_check = _pam_checker() if s.os_login else None
    if not s.unlock_pin_hash and pam_check is None:
        raise AuthError("No unlock PIN is set for this account, so the desk cannot be unlocked: "
                        "sign out (ctrl+o; unsaved text is kept as a draft) and start the desk again.")
    key = pin_key(staff_id)
    wait = wait_seconds(key, now, throttle)
    if wait:
        raise AuthError(_wait_message(PIN_WRONG if s.unlock_pin_hash else GENERIC, wait))
    ok = bool(s.unlock_pin_hash) and _check(pin, s.unlock_pin_hash)  # outside any transaction
    how = "unlock PIN"
    if not ok and pam_check is not None and s.os_login:
        ok, how = pam_check(s.os_login, pin), "OS password"
    if ok:
        with write_txn():
            notice = _succeeded(staff_id, key, now)
            audit.append(now, staff_id, "unlocked", f"Unlocked the desk ({how})")
            view = staff_view(m.Staff.get_by_id(staff_id))
        if throttle is not None:
            throttle.succeeded()
        return SignedIn(view, notice)
    with write_txn():
        _record_failure(key, now, staff_id)
        audit.append(now, None, "unlock_failed", f"Unlock refused for {s.username}: wrong unlock PIN")
    if throttle is not None:
        throttle.failed(now)
    raise AuthError(PIN_WRONG)


# --- lock and sign-out events --------------------------------------------------------------------

def record(staff_id: int, kind: str, summary: str, now: datetime) -> None:
    """One event of the desk's session (``locked``, ``signed_out``) in a short transaction of its own."""
    with write_txn():
        audit.append(now, staff_id, kind, summary)


def sign_in_without_password(username: str, now: datetime) -> StaffView:
    """For ``drp demo`` only: open the desk already signed in."""
    with write_txn():
        s = m.Staff.get(m.Staff.username == username)
        audit.append(now, s.id, "signed_in", "Signed in (demo)")
    return staff_view(s)
