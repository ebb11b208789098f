"""Staff accounts, teams and their management chains: the administrator's work.

Every function is a ``@service`` (one IMMEDIATE transaction). Only an active
administrator, or the installation's administrator at the command line
(``permissions.InstallationAdmin``), may call them; anyone else gets a
``PermissionDenied`` (and a ``refused`` audit event). Each change appends one
audit event naming who did it; no password, hash or salt ever goes into an
event, a message or a return value.

Staff are named by user name (``str``) or id (``int``); teams by name or id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drp_tui.domain.model import Role, Status
from drp_tui.domain.policy_check import Installation, TeamCover
from drp_tui.services.auth import name_key, pin_key
from drp_tui.services.common import clean_text, event, service
from drp_tui.services.context import Ctx
from drp_tui.services.errors import DomainError, ValidationError
from drp_tui.services.passwords import hash_password
from drp_tui.services.permissions import InstallationAdmin, acting_admin, require_admin
from drp_tui.store import models as m

USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
OS_LOGIN_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}\$?$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
TEAM_KINDS = ("social_care", "iro_service")
LEVEL_ROLES = (Role.RESPONDER, Role.OVERSIGHT)  # who may hold a level of a management chain
OPEN = [s.value for s in Status if s.is_open]


@dataclass(frozen=True)
class AccountView:
    """One staff account as the administrator sees it (never the password hash)."""

    id: int
    username: str
    name: str
    role: Role
    title: str
    email: str
    team_id: int | None
    team: str
    active: bool
    locked_until: datetime | None
    failed_logins: int
    os_login: str | None
    has_password: bool
    levels: tuple[tuple[str, str], ...]  # (team name, level key) held in management chains
    has_setup_code: bool = False  # a one-time code to choose the first password is waiting

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True)
class TeamView:
    id: int
    name: str
    kind: str
    members: tuple[AccountView, ...]
    chain: tuple[tuple[str, AccountView], ...]  # (level key, holder) in level order of the policy


@dataclass(frozen=True)
class ChangeReport:
    """What a change left for the administrator to sort out (shown, never blocking)."""

    warnings: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # disable with keep: references of the open disputes left with the account


# --- helpers ------------------------------------------------------------------

def check_username(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("username: must be text", field="username")
    name = value.strip()
    if not USERNAME_RE.match(name):
        raise ValidationError(
            "username: 2-64 characters, lower-case letters, digits, '.', '-' or '_', starting with a letter",
            field="username")
    return name


def _os_login(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not OS_LOGIN_RE.match(value.strip()):
        raise ValidationError("os login: an operating-system login name (letters, digits, '.', '-', '_', '@')",
                              field="os_login")
    login = value.strip()
    if login == "root":
        raise ValidationError("os login: the root account cannot be linked to a staff account", field="os_login")
    return login


def _role(value: object) -> Role:
    try:
        return Role(value.value if isinstance(value, Role) else str(value).strip().lower())
    except ValueError:
        raise ValidationError(f"role: must be one of {', '.join(r.value for r in Role)}", field="role") from None


def check_new_password(password: object, username: str = "") -> str:
    """A new password: 10 to 1024 characters, not the user name, not one repeated character."""
    if not isinstance(password, str):
        raise ValidationError("password: must be text", field="password")
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"password: at least {MIN_PASSWORD} characters", field="password")
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"password: at most {MAX_PASSWORD} characters", field="password")
    if len(set(password)) == 1:
        raise ValidationError("password: not one character repeated", field="password")
    if username and username.lower() in password.lower():
        raise ValidationError("password: must not contain the user name", field="password")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise ValidationError("password: no control characters", field="password")
    return password


def staff_account(ref: object, field: str = "username") -> m.Staff:
    """The staff row named by id or user name; a ValidationError naming ``field`` if none."""
    s: m.Staff | None = None
    if isinstance(ref, int) and not isinstance(ref, bool):
        s = m.Staff.get_or_none(m.Staff.id == ref)
    elif isinstance(ref, str):
        s = m.Staff.get_or_none(m.Staff.username == ref.strip())
    if s is None:
        raise ValidationError(f"{field}: there is no staff account '{ref}'", field=field)
    return s


_staff = staff_account


def _team(ref: object, field: str = "team") -> m.Team:
    t: m.Team | None = None
    if isinstance(ref, int) and not isinstance(ref, bool):
        t = m.Team.get_or_none(m.Team.id == ref)
    elif isinstance(ref, str):
        t = m.Team.get_or_none(m.Team.name == ref.strip())
    if t is None:
        raise ValidationError(f"{field}: there is no team '{ref}'", field=field)
    return t


def _levels_held(s: m.Staff) -> list[m.TeamRole]:
    return list(m.TeamRole.select(m.TeamRole, m.Team).join(m.Team).where(m.TeamRole.staff == s.id)
                .order_by(m.Team.name, m.TeamRole.level))


def _open_raised(s: m.Staff) -> int:
    return int(m.Dispute.select().where((m.Dispute.raised_by == s.id) & m.Dispute.status.in_(OPEN)).count())


def _awaiting(s: m.Staff) -> int:
    return int(m.Dispute.select().where((m.Dispute.responder == s.id) & m.Dispute.status.in_(OPEN)).count())


def _team_name(s: m.Staff) -> str | None:
    t = s.team
    return t.name if t is not None else None


def account_view(s: m.Staff) -> AccountView:
    return AccountView(
        id=s.id, username=s.username, name=s.name, role=Role(s.role), title=s.title, email=s.email,
        team_id=s.team_id, team=_team_name(s) or "", active=bool(s.active),
        locked_until=s.locked_until, failed_logins=int(s.failed_logins), os_login=s.os_login,
        has_password=bool(s.password_hash),
        levels=tuple((tr.team.name, tr.level) for tr in _levels_held(s)),
        has_setup_code=bool(s.setup_code_hash),
    )


def _after(s: m.Staff) -> dict[str, Any]:
    """What an audit event records of an account: never password material."""
    return {"username": s.username, "name": s.name, "role": s.role, "title": s.title,
            "team": _team_name(s), "active": bool(s.active), "os_login": s.os_login}


# --- accounts -----------------------------------------------------------------

@service
def add_user(ctx: Ctx, username: str, name: str, role: Role | str, password: str | None = None, *,
             team: int | str | None = None, title: str = "", email: str = "",
             os_login: str | None = None, setup_code: bool = False) -> int:
    """Create a staff account. A password is required unless the account signs in by its OS login,
    or ``setup_code``: a one-time set-up code follows (``imports.issue_setup_code``)."""
    who, by = acting_admin(ctx, "add staff accounts")
    uname = check_username(username)
    full = clean_text(name, "name", required=True, short=True)
    r = _role(role)
    job = clean_text(title, "title", short=True)
    mail = clean_text(email, "email", short=True)
    if mail and ("@" not in mail or any(ch.isspace() for ch in mail)):
        raise ValidationError("email: not an e-mail address", field="email")
    login = _os_login(os_login)
    if password is None or password == "":
        if login is None and not setup_code:
            raise ValidationError("password: give a password, or link an OS login for an account that "
                                  "signs in without one", field="password")
        pw_hash = ""
    else:
        pw_hash = hash_password(check_new_password(password, uname))
    t = _team(team) if team not in (None, "") else None
    if m.Staff.select().where(m.Staff.username == uname).exists():
        raise ValidationError(f"username: '{uname}' is already taken", field="username")
    if login is not None:
        other = m.Staff.get_or_none(m.Staff.os_login == login)
        if other is not None:
            raise ValidationError(f"os login: '{login}' is already linked to {other.username}", field="os_login")
    s = m.Staff.create(username=uname, name=full, role=r.value, title=job, email=mail, team=t,
                       password_hash=pw_hash, os_login=login, created_at=ctx.now())
    event(ctx, "account_added", f"Account {uname} ({r.value}) added {by}", after=_after(s))
    return int(s.id)


@service
def list_users(ctx: Ctx, include_disabled: bool = True) -> list[AccountView]:
    """Every staff account, by user name (disabled ones too unless asked not to)."""
    acting_admin(ctx, "list staff accounts")
    q = m.Staff.select().order_by(m.Staff.username)
    if not include_disabled:
        q = q.where(m.Staff.active == True)  # noqa: E712
    return [account_view(s) for s in q]


@service
def get_user(ctx: Ctx, user: int | str) -> AccountView:
    acting_admin(ctx, "look at staff accounts")
    return account_view(_staff(user))


@service
def disable_user(ctx: Ctx, user: int | str, reason: str = "", keep: bool = False) -> ChangeReport:
    """Disable an account: it can no longer sign in or act. Nothing is deleted.

    A chair with open disputes is refused (hand them over to another chair first,
    ``handover.hand_over``) unless ``keep``: then the disputes stay with the disabled
    account, and the event and the report say which. The report warns about what
    else the account leaves behind (disputes awaiting its response, levels held in
    management chains, children it chairs).
    """
    who, by = acting_admin(ctx, "disable staff accounts")
    s = _staff(user)
    if who is not None and s.id == who.id:
        raise DomainError("You cannot disable your own account; ask another administrator.")
    if not s.active:
        raise DomainError(f"{s.username} is already disabled.")
    why = clean_text(reason, "reason", short=True)
    kept = [d.reference for d in m.Dispute.select(m.Dispute.reference)
            .where((m.Dispute.raised_by == s.id) & m.Dispute.status.in_(OPEN)).order_by(m.Dispute.id)]
    if kept and not keep:
        raise DomainError(f"Chair {s.username} has {len(kept)} open dispute(s) ({', '.join(kept[:5])}"
                          f"{', ...' if len(kept) > 5 else ''}): hand them over to another chair first, "
                          "or disable the account keeping them (they stay with it, unattended).", field="keep")
    warnings = _leaves_behind(s)
    s.active = False
    s.save()
    left = f"; {len(kept)} open dispute(s) kept with the account: {', '.join(kept)}" if kept else ""
    event(ctx, "account_disabled", f"Account {s.username} disabled {by}" + (f": {why}" if why else "") + left,
          before={"active": True}, after={"active": False, "warnings": list(warnings), "kept": kept})
    return ChangeReport(tuple(warnings), tuple(kept))


def _leaves_behind(s: m.Staff) -> list[str]:
    out = []
    n = _open_raised(s)
    if n:
        out.append(f"{s.username} chairs {n} open dispute(s), kept with the disabled account; "
                   "hand them over to another chair.")
    n = int(m.Child.select().where((m.Child.chair == s.id) & m.Child.closed_on.is_null()).count())
    if n:
        out.append(f"{s.username} chairs {n} child(ren); hand them over to another chair.")
    n = _awaiting(s)
    if n:
        out.append(f"{s.username} has {n} dispute(s) awaiting their response.")
    for tr in _levels_held(s):
        out.append(f"{s.username} holds {tr.level} in {tr.team.name}; give that level to someone else.")
    return out


@service
def enable_user(ctx: Ctx, user: int | str) -> None:
    """Enable a disabled account (and clear any lock-out)."""
    who, by = acting_admin(ctx, "enable staff accounts")
    s = _staff(user)
    if s.active and s.locked_until is None:
        raise DomainError(f"{s.username} is already enabled.")
    s.active = True
    s.failed_logins = 0
    s.locked_until = None
    s.save()
    event(ctx, "account_enabled", f"Account {s.username} enabled {by}", before={"active": False},
          after={"active": True})


enable = enable_user


def _delay_keys(s: m.Staff) -> list[str]:
    return [name_key(s.username), pin_key(s.id)]


@service
def unlock_user(ctx: Ctx, user: int | str) -> None:
    """Clear the sign-in delay after failed sign-ins (there is no hard lock-out), without
    changing the password or PIN. The owner is no longer told of those failures."""
    who, by = acting_admin(ctx, "unlock staff accounts")
    s = _staff(user)
    delayed = m.SignInFailure.select().where(m.SignInFailure.key.in_(_delay_keys(s))).exists()
    if s.locked_until is None and not s.failed_logins and not delayed:
        raise DomainError(f"{s.username} is not locked.")
    m.SignInFailure.delete().where(m.SignInFailure.key.in_(_delay_keys(s))).execute()
    s.failed_logins = 0
    s.locked_until = None
    s.save()
    event(ctx, "account_unlocked", f"Account {s.username} unlocked {by}")


@service
def reset_unlock_pin(ctx: Ctx, user: int | str) -> None:
    """Clear an account's unlock PIN (``auth = "os"``): the person sets a new one at their next
    sign-in. A desk locked now cannot be unlocked by PIN; it can only be signed out."""
    who, by = acting_admin(ctx, "reset unlock PINs")
    s = _staff(user)
    if not s.unlock_pin_hash:
        raise DomainError(f"{s.username} has no unlock PIN.")
    s.unlock_pin_hash = ""
    s.save()
    m.SignInFailure.delete().where(m.SignInFailure.key == _delay_keys(s)[1]).execute()
    event(ctx, "unlock_pin_reset", f"Unlock PIN of {s.username} reset {by}")


@service
def reset_password(ctx: Ctx, user: int | str, new_password: str) -> None:
    """Set a new password (the administrator tells the person); clears any lock-out."""
    who, by = acting_admin(ctx, "reset passwords")
    s = _staff(user)
    pw_hash = hash_password(check_new_password(new_password, s.username))
    s.password_hash = pw_hash
    s.failed_logins = 0
    s.locked_until = None
    s.save()
    event(ctx, "password_reset", f"Password of {s.username} reset {by}")


@service
def set_role(ctx: Ctx, user: int | str, role: Role | str) -> ChangeReport:
    """Change an account's role. Refused while the change would strand work:
    a chair with open disputes stays a chair; a level holder cannot become a chair or admin."""
    who, by = acting_admin(ctx, "change roles")
    s = _staff(user)
    new = _role(role)
    old = Role(s.role)
    if new is old:
        raise DomainError(f"{s.username} is already {new.value}.")
    if who is not None and s.id == who.id:
        raise DomainError("You cannot change your own role; ask another administrator.")
    if old is Role.CHAIR:
        n = _open_raised(s)
        if n:
            raise ValidationError(f"role: {s.username} chairs {n} open dispute(s); they stay a chair until "
                                  "those are closed or passed to another chair", field="role")
    if new not in LEVEL_ROLES:
        held = _levels_held(s)
        if held:
            tr = held[0]
            raise ValidationError(f"role: {s.username} holds {tr.level} in {tr.team.name}; {'an' if new is Role.ADMIN else 'a'} {new.value} "
                                  "cannot hold a management level - give it to someone else first", field="role")
    warnings = []
    if old is Role.RESPONDER and _awaiting(s):
        warnings.append(f"{s.username} still has {_awaiting(s)} dispute(s) awaiting their response.")
    s.role = new.value
    s.save()
    event(ctx, "role_changed", f"Role of {s.username} changed from {old.value} to {new.value} {by}",
          before={"role": old.value}, after={"role": new.value})
    return ChangeReport(tuple(warnings))


@service
def link_os_login(ctx: Ctx, user: int | str, os_login: str | None) -> None:
    """Link (or, with None, unlink) the OS login that signs this account in when ``auth = "os"``."""
    who, by = acting_admin(ctx, "link OS logins")
    s = _staff(user)
    login = _os_login(os_login)
    if login == s.os_login:
        raise DomainError(f"{s.username} is already " + (f"linked to '{login}'." if login else "unlinked."))
    if login is not None:
        other = m.Staff.get_or_none(m.Staff.os_login == login)
        if other is not None:
            raise ValidationError(f"os login: '{login}' is already linked to {other.username}", field="os_login")
    if login is None and not s.password_hash:
        raise ValidationError(f"os login: {s.username} has no password; set one before unlinking its OS login",
                              field="os_login")
    before = s.os_login
    s.os_login = login
    s.save()
    what = f"linked to OS login '{login}'" if login else "unlinked from its OS login"
    event(ctx, "os_login_linked", f"Account {s.username} {what} {by}", before={"os_login": before},
          after={"os_login": login})


@service
def set_team(ctx: Ctx, user: int | str, team: int | str | None) -> None:
    """Move an account to a team (or to none). Oversight sees and approves within its team."""
    who, by = acting_admin(ctx, "move staff between teams")
    s = _staff(user)
    t = _team(team) if team not in (None, "") else None
    if (t.id if t else None) == s.team_id:
        raise DomainError(f"{s.username} is already in " + (t.name if t else "no team") + ".")
    before = _team_name(s)
    s.team = t
    s.save()
    event(ctx, "team_changed", f"{s.username} moved to " + (t.name if t else "no team") + f" {by}",
          before={"team": before}, after={"team": t.name if t else None})


# --- teams and management chains ------------------------------------------------

@service
def add_team(ctx: Ctx, name: str, kind: str = "social_care") -> int:
    who, by = acting_admin(ctx, "add teams")
    tname = clean_text(name, "team name", required=True, short=True)
    if kind not in TEAM_KINDS:
        raise ValidationError(f"kind: must be one of {', '.join(TEAM_KINDS)}", field="kind")
    if m.Team.select().where(m.Team.name == tname).exists():
        raise ValidationError(f"team name: '{tname}' already exists", field="name")
    t = m.Team.create(name=tname, kind=kind)
    event(ctx, "team_added", f"Team {tname} ({kind}) added {by}", after={"team": tname, "kind": kind})
    return int(t.id)


@service
def set_team_role(ctx: Ctx, team: int | str, level: str, staff: int | str | None) -> str | None:
    """Say who holds ``level`` (a level of the policy in force) in ``team``'s management chain.

    ``staff`` None clears the level. Returns the previous holder's user name.
    """
    who, by = acting_admin(ctx, "set management chains")
    t = _team(team)
    keys = [lv.key for lv in ctx.policy.levels]
    if level not in keys:
        raise ValidationError(f"level: '{level}' is not a level of {ctx.policy.key} (one of {', '.join(keys)})",
                              field="level")
    label = ctx.policy.level_label(level)
    current = m.TeamRole.get_or_none((m.TeamRole.team == t.id) & (m.TeamRole.level == level))
    previous = current.staff.username if current else None
    if staff is None or staff == "":
        if current is None:
            raise DomainError(f"Nobody holds {label} in {t.name}.")
        current.delete_instance()
        event(ctx, "team_level_set", f"{label} in {t.name} cleared (was {previous}) {by}",
              before={"team": t.name, "level": level, "staff": previous}, after={"staff": None})
        return previous
    s = _staff(staff)
    if not s.active:
        raise ValidationError(f"username: {s.username} is disabled", field="username")
    if Role(s.role) not in LEVEL_ROLES:
        raise ValidationError(f"username: {s.username} is {'an' if s.role == Role.ADMIN.value else 'a'} "
                              f"{s.role}; a management level is held by a "
                              "responder or oversight account", field="username")
    if current is not None and current.staff_id == s.id:
        raise DomainError(f"{s.username} already holds {label} in {t.name}.")
    if current is None:
        m.TeamRole.create(team=t, level=level, staff=s)
    else:
        current.staff = s
        current.save()
    event(ctx, "team_level_set", f"{label} in {t.name}: {s.username}" + (f" (was {previous})" if previous else "")
          + f" {by}", before={"team": t.name, "level": level, "staff": previous},
          after={"team": t.name, "level": level, "staff": s.username})
    return previous


@service
def list_teams(ctx: Ctx) -> list[TeamView]:
    acting_admin(ctx, "list teams")
    return [_team_view(ctx, t) for t in m.Team.select().order_by(m.Team.name)]


@service
def show_team(ctx: Ctx, team: int | str) -> TeamView:
    acting_admin(ctx, "look at teams")
    return _team_view(ctx, _team(team))


def _team_view(ctx: Ctx, t: m.Team) -> TeamView:
    members = tuple(account_view(s) for s in m.Staff.select().where(m.Staff.team == t.id).order_by(m.Staff.username))
    order = {lv.key: i for i, lv in enumerate(ctx.policy.levels)}
    roles = sorted(m.TeamRole.select().where(m.TeamRole.team == t.id),
                   key=lambda tr: (order.get(tr.level, len(order)), tr.level))
    chain = tuple((tr.level, account_view(tr.staff)) for tr in roles)
    return TeamView(t.id, t.name, t.kind, members, chain)


__all__ = [
    "AccountView", "TeamView", "ChangeReport", "InstallationAdmin", "check_new_password", "check_username", "account_view",
    "add_user", "list_users", "get_user", "disable_user", "enable_user", "enable", "unlock_user",
    "reset_password", "reset_unlock_pin", "set_role", "link_os_login", "set_team", "add_team", "set_team_role",
    "list_teams", "show_team",
]


@service
def installation_chains(ctx: Ctx) -> Installation:
    """What ``drp policies check --installation`` checks a profile against: per team, the
    levels an active member holds, how many children it has (and how many of them have no
    active allocated social worker), its active chairs and oversight accounts. Counts and
    team names only: no child and no person is named."""
    require_admin(ctx, "check the installation's management chains")
    holds: dict[int, set[str]] = {}
    for tr in (m.TeamRole.select(m.TeamRole.team, m.TeamRole.level).join(m.Staff)
               .where(m.Staff.active == True)):  # noqa: E712
        holds.setdefault(tr.team_id, set()).add(tr.level)
    children: dict[int, int] = {}
    unallocated: dict[int, int] = {}
    active = {s.id for s in m.Staff.select(m.Staff.id).where(m.Staff.active == True)}  # noqa: E712
    for c in m.Child.select(m.Child.team, m.Child.social_worker):
        children[c.team_id] = children.get(c.team_id, 0) + 1
        if c.social_worker_id not in active:
            unallocated[c.team_id] = unallocated.get(c.team_id, 0) + 1
    staff: dict[tuple[int | None, str], int] = {}
    for s in m.Staff.select(m.Staff.team, m.Staff.role).where((m.Staff.active == True)  # noqa: E712
                                                              & m.Staff.team.is_null(False)):
        key = (s.team_id, s.role)
        staff[key] = staff.get(key, 0) + 1
    teams = [TeamCover(name=t.name, kind=t.kind, holds=frozenset(holds.get(t.id, ())),
                       children=children.get(t.id, 0), unallocated=unallocated.get(t.id, 0),
                       chairs=staff.get((t.id, Role.CHAIR.value), 0),
                       oversight=staff.get((t.id, Role.OVERSIGHT.value), 0),
                       members=sum(n for (team, _role), n in staff.items() if team == t.id))
             for t in m.Team.select().order_by(m.Team.name)]
    return Installation(tuple(teams))
