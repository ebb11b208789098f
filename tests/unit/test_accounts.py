"""Staff accounts, teams and management chains (services.accounts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from drp_tui.domain.model import Role
from drp_tui.services import accounts
from drp_tui.services import disputes as ds
from drp_tui.services.context import Ctx
from drp_tui.services.errors import DomainError, PermissionDenied, ValidationError
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.store import models as m
from tests.factories import World

PW = "Sturdy-Password-42"


def cli(world: World, os_user: str = "opsadmin") -> InstallationAdmin:
    return InstallationAdmin(None, world.policy, world.calendar, world.clock, os_user=os_user)  # type: ignore[arg-type]


def last_event() -> m.Event:
    return m.Event.select().order_by(m.Event.id.desc()).get()


def bad(call: Callable[[], object], error: type[DomainError], *words: str, field: str | None = None) -> DomainError:
    before = m.Event.select().count(), m.Staff.select().count(), m.Team.select().count(), m.TeamRole.select().count()
    with pytest.raises(error) as info:
        call()
    after = m.Event.select().count(), m.Staff.select().count(), m.Team.select().count(), m.TeamRole.select().count()
    extra_events = 1 if isinstance(info.value, PermissionDenied) else 0
    assert after == (before[0] + extra_events, *before[1:])
    for w in words:
        assert w in info.value.message, (w, info.value.message)
    if field:
        assert info.value.field == field
    return info.value


# --- adding -----------------------------------------------------------------------------

def test_add_user_and_its_event(world: World) -> None:
    sid = accounts.add_user(world.ctx(world.admin), "pat.o-neil", "Pat O'Neil", "responder", PW,
                            team="Test Social Care", title="Team Manager", email="pat@example.org")
    s = m.Staff.get_by_id(sid)
    assert (s.username, s.name, s.role, s.team.name, s.title, s.active) == \
        ("pat.o-neil", "Pat O'Neil", "responder", "Test Social Care", "Team Manager", True)
    e = last_event()
    assert e.kind == "account_added" and e.actor_id == world.admin.id
    assert "pat.o-neil" in e.summary and "Ada Admin" in e.summary
    assert "password" not in e.after and "scrypt" not in e.after and PW not in e.after


def test_add_user_from_the_command_line_names_the_os_user(world: World) -> None:
    accounts.add_user(cli(world, "jsmith"), "newbie", "New Person", Role.CHAIR, PW)
    e = last_event()
    assert e.actor_id is None and "command line" in e.summary and "OS user 'jsmith'" in e.summary


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"username": "Bad Name"}, "username", ["lower-case"]),
    ({"username": "x"}, "username", ["2-64"]),
    ({"username": "chair1"}, "username", ["already taken"]),
    ({"name": "  "}, "name", ["required"]),
    ({"role": "wizard"}, "role", ["chair, responder, oversight, admin"]),
    ({"team": "Nowhere"}, "team", ["no team 'Nowhere'"]),
    ({"password": "short"}, "password", ["at least 10"]),
    ({"password": "aaaaaaaaaaaa"}, "password", ["repeated"]),
    ({"password": "newbie-is-my-password"}, "password", ["user name"]),
    ({"password": None}, "password", ["OS login"]),
    ({"os_login": "root", "password": None}, "os_login", ["root"]),
    ({"os_login": "bad login"}, "os_login", ["operating-system"]),
    ({"email": "not-an-address"}, "email", ["e-mail"]),
])
def test_add_user_bad_input(world: World, kwargs: dict[str, Any], field: str, words: list[str]) -> None:
    args: dict[str, Any] = {"username": "newbie", "name": "New Person", "role": "chair", "password": PW}
    args.update(kwargs)
    extra = {k: args.pop(k) for k in ("team", "os_login", "email") if k in args}
    bad(lambda: accounts.add_user(world.ctx(world.admin), args["username"], args["name"], args["role"],
                                  args["password"], **extra), ValidationError, *words, field=field)


def test_os_login_is_unique(world: World) -> None:
    admin = world.ctx(world.admin)
    accounts.add_user(admin, "one", "One", "chair", None, os_login="one")
    bad(lambda: accounts.add_user(admin, "two", "Two", "chair", PW, os_login="one"), ValidationError,
        "already linked to one", field="os_login")
    bad(lambda: accounts.link_os_login(admin, "chair1", "one"), ValidationError, "already linked", field="os_login")


def test_control_characters_are_stripped_from_names(world: World) -> None:
    sid = accounts.add_user(world.ctx(world.admin), "newbie", "New\x1b[31m Person\x07", "chair", PW)
    assert "\x1b" not in m.Staff.get_by_id(sid).name and "\x07" not in m.Staff.get_by_id(sid).name


# --- listing ------------------------------------------------------------------------------

def test_list_users(world: World) -> None:
    admin = world.ctx(world.admin)
    accounts.disable_user(admin, "chair2")
    users = accounts.list_users(admin)
    names = [u.username for u in users]
    assert names == sorted(names) and "chair2" in names
    chair2 = next(u for u in users if u.username == "chair2")
    assert not chair2.active and chair2.has_password
    assert "chair2" not in [u.username for u in accounts.list_users(admin, include_disabled=False)]
    worker = next(u for u in users if u.username == "sw1")
    assert ("Test Social Care", "social_worker") in worker.levels
    assert not any(hasattr(u, "password_hash") for u in users)


# --- disabling, enabling, unlocking, resetting ---------------------------------------------

def test_disable_warns_about_what_is_left_behind(world: World) -> None:
    tm = world.levels["team_manager"]
    assert world.child is not None
    did = ds.raise_dispute(world.ctx(), ds.RaiseInput([world.child.id], world.policy.categories[0].key, "stage_1",
                                                      world.clock.now().date(), "Drift."))[0]
    ds.send(world.ctx(), did)
    report = accounts.disable_user(world.ctx(world.admin), tm.username, "Left the authority")
    assert any("holds team_manager" in w for w in report.warnings)
    assert any("awaiting their response" in w for w in report.warnings)
    assert not m.Staff.get_by_id(tm.id).active
    e = last_event()
    assert e.kind == "account_disabled" and "Left the authority" in e.summary
    bad(lambda: accounts.disable_user(world.ctx(world.admin), "chair1"), DomainError, "has 1 open dispute",
        "hand them over", field="keep")
    report = accounts.disable_user(world.ctx(world.admin), "chair1", keep=True)
    assert any("chairs 1 open dispute" in w for w in report.warnings) and len(report.kept) == 1


def test_disable_refusals(world: World) -> None:
    admin = world.ctx(world.admin)
    bad(lambda: accounts.disable_user(admin, "admin1"), DomainError, "your own account")
    bad(lambda: accounts.disable_user(admin, "ghost"), ValidationError, "no staff account 'ghost'", field="username")
    accounts.disable_user(admin, "chair2")
    bad(lambda: accounts.disable_user(admin, "chair2"), DomainError, "already disabled")


def test_enable_clears_lock_and_is_audited(world: World) -> None:
    admin = world.ctx(world.admin)
    accounts.disable_user(admin, "chair2")
    m.Staff.update(failed_logins=3).where(m.Staff.username == "chair2").execute()
    accounts.enable_user(admin, "chair2")
    s = m.Staff.get(m.Staff.username == "chair2")
    assert s.active and s.failed_logins == 0 and s.locked_until is None
    assert last_event().kind == "account_enabled"
    bad(lambda: accounts.enable(admin, "chair2"), DomainError, "already enabled")


def test_reset_password(world: World) -> None:
    admin = world.ctx(world.admin)
    old = m.Staff.get_by_id(world.chair.id).password_hash
    m.Staff.update(failed_logins=4, locked_until=world.clock.now()).where(m.Staff.id == world.chair.id).execute()
    accounts.reset_password(admin, "chair1", PW)
    s = m.Staff.get_by_id(world.chair.id)
    assert s.password_hash != old and s.password_hash.startswith("scrypt$")
    assert s.failed_logins == 0 and s.locked_until is None
    e = last_event()
    assert e.kind == "password_reset" and PW not in e.summary + e.before + e.after and "scrypt" not in e.after
    bad(lambda: accounts.reset_password(admin, "chair1", "short"), ValidationError, "at least 10", field="password")


def test_unlock_when_not_locked(world: World) -> None:
    bad(lambda: accounts.unlock_user(world.ctx(world.admin), "chair1"), DomainError, "not locked")


# --- roles --------------------------------------------------------------------------------

def test_set_role(world: World) -> None:
    admin = world.ctx(world.admin)
    accounts.set_role(admin, "chair2", "oversight")
    assert m.Staff.get_by_id(world.other_chair.id).role == "oversight"
    e = last_event()
    assert e.kind == "role_changed" and "from chair to oversight" in e.summary


def test_set_role_refusals(world: World) -> None:
    admin = world.ctx(world.admin)
    bad(lambda: accounts.set_role(admin, "chair2", "wizard"), ValidationError, "role", field="role")
    bad(lambda: accounts.set_role(admin, "chair2", "chair"), DomainError, "already chair")
    bad(lambda: accounts.set_role(admin, "admin1", "chair"), DomainError, "your own role")
    tm = world.levels["team_manager"].username
    bad(lambda: accounts.set_role(admin, tm, "admin"), ValidationError, "holds team_manager", "an admin",
        field="role")
    bad(lambda: accounts.set_role(admin, tm, "chair"), ValidationError, "holds team_manager", field="role")
    assert world.child is not None
    ds.raise_dispute(world.ctx(), ds.RaiseInput([world.child.id], world.policy.categories[0].key, "stage_1",
                                                world.clock.now().date(), "Drift."))
    bad(lambda: accounts.set_role(admin, "chair1", "responder"), ValidationError, "1 open dispute", field="role")


# --- OS logins and teams --------------------------------------------------------------------

def test_link_and_unlink_os_login(world: World) -> None:
    admin = world.ctx(world.admin)
    accounts.link_os_login(admin, "chair1", "casey")
    assert m.Staff.get_by_id(world.chair.id).os_login == "casey"
    assert last_event().kind == "os_login_linked"
    bad(lambda: accounts.link_os_login(admin, "chair1", "casey"), DomainError, "already linked")
    accounts.link_os_login(admin, "chair1", None)
    assert m.Staff.get_by_id(world.chair.id).os_login is None
    accounts.add_user(admin, "osonly", "Os Only", "chair", None, os_login="osonly")
    bad(lambda: accounts.link_os_login(admin, "osonly", None), ValidationError, "no password", field="os_login")


def test_add_team_and_move_staff(world: World) -> None:
    admin = world.ctx(world.admin)
    tid = accounts.add_team(admin, "North Team", "social_care")
    assert m.Team.get_by_id(tid).name == "North Team" and last_event().kind == "team_added"
    bad(lambda: accounts.add_team(admin, "North Team"), ValidationError, "already exists", field="name")
    bad(lambda: accounts.add_team(admin, "South", "circus"), ValidationError, "social_care", field="kind")
    accounts.set_team(admin, "chair2", "North Team")
    assert m.Staff.get_by_id(world.other_chair.id).team_id == tid
    bad(lambda: accounts.set_team(admin, "chair2", tid), DomainError, "already in North Team")
    accounts.set_team(admin, "chair2", None)
    assert m.Staff.get_by_id(world.other_chair.id).team_id is None


def test_set_team_role_decides_who_receives_the_stage(world: World) -> None:
    admin = world.ctx(world.admin)
    new_tm = accounts.add_user(admin, "newtm", "Nia Manager", "responder", PW, team="Test Social Care")
    previous = accounts.set_team_role(admin, "Test Social Care", "team_manager", "newtm")
    assert previous == world.levels["team_manager"].username
    e = last_event()
    assert e.kind == "team_level_set" and "newtm" in e.summary and f"was {previous}" in e.summary
    assert world.child is not None
    did = ds.raise_dispute(world.ctx(), ds.RaiseInput([world.child.id], world.policy.categories[0].key, "stage_1",
                                                      world.clock.now().date(), "Drift."))[0]
    ds.send(world.ctx(), did)
    assert m.Dispute.get_by_id(did).responder_id == new_tm
    view = accounts.show_team(admin, "Test Social Care")
    assert dict(view.chain)["team_manager"].username == "newtm"
    assert [k for k, _ in view.chain][:2] == ["social_worker", "team_manager"]  # policy order
    assert accounts.set_team_role(admin, "Test Social Care", "team_manager", None) == "newtm"
    assert "team_manager" not in dict(accounts.show_team(admin, "Test Social Care").chain)


def test_set_team_role_refusals(world: World) -> None:
    admin = world.ctx(world.admin)
    bad(lambda: accounts.set_team_role(admin, "Test Social Care", "pope", "sw1"), ValidationError,
        "not a level of mosaic-iro", field="level")
    bad(lambda: accounts.set_team_role(admin, "Nowhere", "team_manager", "sw1"), ValidationError, "no team",
        field="team")
    bad(lambda: accounts.set_team_role(admin, "Test Social Care", "team_manager", "chair1"), ValidationError,
        "is a chair", field="username")
    bad(lambda: accounts.set_team_role(admin, "Test Social Care", "team_manager", "admin1"), ValidationError,
        "is an admin", field="username")
    tm = world.levels["team_manager"].username
    bad(lambda: accounts.set_team_role(admin, "Test Social Care", "team_manager", tm), DomainError, "already holds")
    accounts.disable_user(admin, "sw1")
    bad(lambda: accounts.set_team_role(admin, "Test Social Care", "service_manager", "sw1"), ValidationError,
        "disabled", field="username")
    accounts.set_team_role(admin, "Test Social Care", "director", None)
    bad(lambda: accounts.set_team_role(admin, "Test Social Care", "director", None), DomainError, "Nobody holds")


def test_list_teams(world: World) -> None:
    teams = accounts.list_teams(world.ctx(world.admin))
    assert [t.name for t in teams] == ["Test IRO Service", "Test Social Care"]
    iro = teams[0]
    assert {u.username for u in iro.members} >= {"chair1", "chair2", "over1", "admin1"}


# --- only administrators -----------------------------------------------------------------

ADMIN_CALLS: dict[str, Callable[[Ctx], object]] = {
    "add_user": lambda c: accounts.add_user(c, "newbie", "New", "chair", PW),
    "list_users": lambda c: accounts.list_users(c),
    "get_user": lambda c: accounts.get_user(c, "chair1"),
    "disable_user": lambda c: accounts.disable_user(c, "chair2"),
    "enable_user": lambda c: accounts.enable_user(c, "chair2"),
    "unlock_user": lambda c: accounts.unlock_user(c, "chair2"),
    "reset_password": lambda c: accounts.reset_password(c, "chair2", PW),
    "set_role": lambda c: accounts.set_role(c, "chair2", "oversight"),
    "link_os_login": lambda c: accounts.link_os_login(c, "chair2", "drew"),
    "set_team": lambda c: accounts.set_team(c, "chair2", None),
    "add_team": lambda c: accounts.add_team(c, "North"),
    "set_team_role": lambda c: accounts.set_team_role(c, "Test Social Care", "director", None),
    "list_teams": lambda c: accounts.list_teams(c),
    "show_team": lambda c: accounts.show_team(c, "Test Social Care"),
}


@pytest.mark.parametrize("who", ["chair", "oversight", "worker"])
@pytest.mark.parametrize("name", sorted(ADMIN_CALLS))
def test_only_an_administrator(world: World, name: str, who: str) -> None:
    actor = getattr(world, who)
    exc = bad(lambda: ADMIN_CALLS[name](world.ctx(actor)), PermissionDenied, "Only an administrator")
    e = last_event()
    assert e.kind == "refused" and e.actor_id == actor.id and exc.message in e.summary


def test_a_disabled_administrator_is_refused(world: World) -> None:
    other = accounts.add_user(world.ctx(world.admin), "admin2", "Second Admin", "admin", PW)
    accounts.disable_user(world.ctx(world.admin), other)
    bad(lambda: accounts.list_users(world.ctx(m.Staff.get_by_id(other))), PermissionDenied, "not active")


def test_staff_can_be_named_by_id(world: World) -> None:
    assert accounts.get_user(world.ctx(world.admin), world.chair.id).username == "chair1"
