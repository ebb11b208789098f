"""``drp user ...`` and ``drp team ...`` through drp_tui.cli.main with a --db tmp path."""

from __future__ import annotations

import getpass
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from drp_tui.cli import main
from drp_tui.cli import users as cli_users
from drp_tui.services.passwords import verify_password
from drp_tui.store import models as m
from drp_tui.store.db import close_database

PW = "Sturdy-Password-42"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(cli_users, "current_os_login", lambda: "opsadmin")
    path = str(tmp_path / "cli.db")
    assert main(["--db", path, "init"]) == 0  # only 'drp init' creates a database
    close_database()
    yield path
    close_database()


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the person types at the getpass prompts, in order; the test fails if asked for more."""
    answers: list[str] = []
    prompts: list[str] = []

    def fake(prompt: str = "Password: ", stream: object = None) -> str:
        prompts.append(prompt)
        if not answers:
            raise AssertionError(f"unexpected password prompt {prompt!r}")
        return answers.pop(0)

    monkeypatch.setattr(getpass, "getpass", fake)
    return answers


def run(db: str, *argv: str) -> int:
    return main(["--db", db, *argv])


def one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith("drp: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err, (w, err)
    return err


def setup_teams(db: str, typed: list[str]) -> None:
    assert run(db, "team", "add", "IRO Service", "--kind", "iro_service") == 0
    assert run(db, "team", "add", "Social Care North") == 0
    typed += [PW, PW]
    assert run(db, "user", "add", "casey", "--name", "Casey Chair", "--role", "chair", "--team", "IRO Service") == 0
    typed += [PW, PW]
    assert run(db, "user", "add", "tina", "--name", "Tina Manager", "--role", "responder",
               "--team", "Social Care North", "--title", "Team Manager") == 0


def test_add_user_asks_twice_and_hashes(db: str, typed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    setup_teams(db, typed)
    out, err = capsys.readouterr()
    assert "added casey (chair)" in out and err == ""
    assert PW not in out + err
    s = m.Staff.get(m.Staff.username == "casey")
    assert s.team.name == "IRO Service" and s.password_hash.startswith("scrypt$")
    assert verify_password(PW, s.password_hash)
    e = m.Event.select().where(m.Event.kind == "account_added").order_by(m.Event.id).first()
    assert e.actor_id is None and "OS user 'opsadmin'" in e.summary and "command line" in e.summary


def test_add_user_passwords_must_match(db: str, typed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    typed += [PW, PW + "x"]
    assert run(db, "user", "add", "casey", "--name", "Casey", "--role", "chair") == 2
    one_line_error(capsys, "password", "do not match")
    assert not m.Staff.select().where(m.Staff.username == "casey").exists()


def test_add_user_password_stdin(db: str, monkeypatch: pytest.MonkeyPatch, typed: list[str],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PW + "\n"))
    assert run(db, "user", "add", "casey", "--name", "Casey", "--role", "chair", "--password-stdin") == 0
    assert verify_password(PW, m.Staff.get(m.Staff.username == "casey").password_hash)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    capsys.readouterr()
    assert run(db, "user", "add", "drew", "--name", "Drew", "--role", "chair", "--password-stdin") == 2
    one_line_error(capsys, "--password-stdin")


def test_add_user_weak_password(db: str, typed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    typed += ["short", "short"]
    assert run(db, "user", "add", "casey", "--name", "Casey", "--role", "chair") == 2
    one_line_error(capsys, "password: at least 10 characters")


@pytest.mark.parametrize(("argv", "words"), [
    (["user", "add", "casey", "--name", "C", "--role", "wizard"], ["--role", "'wizard' is not a role"]),
    (["user", "add", "Casey!", "--name", "C", "--role", "chair"], ["username:"]),
    (["user", "add", "casey", "--name", "C", "--role", "chair", "--no-password"], ["--no-password", "--os-login"]),
    (["user", "add", "casey", "--name", "C", "--role", "chair", "--team", "Nowhere", "--password-stdin"],
     ["team: there is no team 'Nowhere'"]),
    (["user", "disable", "ghost"], ["username: there is no staff account 'ghost'"]),
    (["user", "reset-password", "ghost"], ["username: there is no staff account 'ghost'"]),
    (["user", "set-role", "ghost", "chair"], ["username"]),
    (["user", "set-role", "casey", "king"], ["ROLE", "'king' is not a role"]),
    (["team", "add", "X", "--kind", "circus"], ["--kind", "circus"]),
    (["team", "set-level", "Nowhere", "team_manager", "casey"], ["team: there is no team 'Nowhere'"]),
    (["team", "show", "Nowhere"], ["team: there is no team 'Nowhere'"]),
])
def test_bad_input_one_line_exit_2(db: str, monkeypatch: pytest.MonkeyPatch, typed: list[str],
                                   capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PW + "\n"))
    assert run(db, *argv) == 2  # no password prompt either: typed is empty, a prompt would fail
    one_line_error(capsys, *words)


def test_existing_username_refused_before_the_password_is_asked(db: str, typed: list[str],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    setup_teams(db, typed)
    capsys.readouterr()
    assert run(db, "user", "add", "casey", "--name", "Another", "--role", "chair") == 2
    one_line_error(capsys, "USERNAME", "already taken")


def test_os_only_account(db: str, typed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(db, "user", "add", "casey", "--name", "Casey", "--role", "chair", "--os-login", "casey",
               "--no-password") == 0
    s = m.Staff.get(m.Staff.username == "casey")
    assert s.os_login == "casey" and s.password_hash == ""


def test_list(db: str, typed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    setup_teams(db, typed)
    assert run(db, "user", "disable", "tina") == 0
    capsys.readouterr()
    assert run(db, "user", "list") == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["USERNAME", "NAME", "ROLE", "TEAM", "STATUS", "OS", "LOGIN"]
    assert any(line.startswith("casey") and "active" in line and "IRO Service" in line for line in lines)
    assert any(line.startswith("tina") and "disabled" in line for line in lines)
    assert "scrypt" not in out and PW not in out
    assert run(db, "user", "list", "--active") == 0
    assert "tina" not in capsys.readouterr().out
    assert run(db, "user") == 0  # no action: the list
    assert "casey" in capsys.readouterr().out


def test_disable_enable_unlock_reset(db: str, typed: list[str], monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    setup_teams(db, typed)
    assert run(db, "team", "set-level", "Social Care North", "team_manager", "tina") == 0
    capsys.readouterr()
    assert run(db, "user", "disable", "tina", "--reason", "left") == 0
    out, err = capsys.readouterr()
    assert "disabled tina" in out and "warning: tina holds team_manager in Social Care North" in err
    assert run(db, "user", "disable", "tina") == 2
    one_line_error(capsys, "already disabled")
    assert run(db, "user", "enable", "tina") == 0
    assert m.Staff.get(m.Staff.username == "tina").active
    m.Staff.update(failed_logins=5).where(m.Staff.username == "tina").execute()
    assert run(db, "user", "unlock", "tina") == 0
    assert m.Staff.get(m.Staff.username == "tina").failed_logins == 0
    new = "Another-Sturdy-Pw-9"
    typed += [new, new]
    assert run(db, "user", "reset-password", "tina") == 0
    assert verify_password(new, m.Staff.get(m.Staff.username == "tina").password_hash)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PW + "\n"))
    assert run(db, "user", "reset-password", "tina", "--password-stdin") == 0
    assert verify_password(PW, m.Staff.get(m.Staff.username == "tina").password_hash)
    out, err = capsys.readouterr()
    assert new not in out + err and PW not in out + err
    kinds = [e.kind for e in m.Event.select().order_by(m.Event.id)]
    assert kinds[-5:] == ["account_disabled", "account_enabled", "account_unlocked", "password_reset",
                          "password_reset"]
    for e in m.Event.select():
        assert new not in e.summary + e.before + e.after


def test_set_role_team_and_os_login(db: str, typed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    setup_teams(db, typed)
    assert run(db, "user", "set-role", "casey", "oversight") == 0
    assert m.Staff.get(m.Staff.username == "casey").role == "oversight"
    assert run(db, "user", "set-team", "casey", "Social Care North") == 0
    assert m.Staff.get(m.Staff.username == "casey").team.name == "Social Care North"
    assert run(db, "user", "set-team", "casey", "-") == 0
    assert m.Staff.get(m.Staff.username == "casey").team_id is None
    assert run(db, "user", "set-os-login", "casey", "cchair") == 0
    assert m.Staff.get(m.Staff.username == "casey").os_login == "cchair"
    assert run(db, "user", "set-os-login", "casey", "-") == 0
    assert m.Staff.get(m.Staff.username == "casey").os_login is None
    out = capsys.readouterr().out
    assert "casey is now oversight" in out


def test_team_set_level_and_show(db: str, typed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    setup_teams(db, typed)
    capsys.readouterr()
    assert run(db, "team", "set-level", "Social Care North", "manager_of_everything", "tina") == 2
    one_line_error(capsys, "level: 'manager_of_everything' is not a level of mosaic-iro")
    assert run(db, "team", "set-level", "Social Care North", "team_manager", "casey") == 2
    one_line_error(capsys, "casey is a chair")
    assert run(db, "team", "set-level", "Social Care North", "team_manager", "tina") == 0
    assert "team_manager in Social Care North: tina" in capsys.readouterr().out
    assert run(db, "team", "show", "Social Care North") == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.strip().startswith("team_manager"))
    assert "Team Manager" in line and "Tina Manager (tina)" in line
    assert "members:" in out and "tina" in out.split("members:")[1]
    assert run(db, "team", "list") == 0
    out = capsys.readouterr().out
    assert "IRO Service" in out and "Social Care North" in out
    assert run(db, "team", "set-level", "Social Care North", "team_manager", "-") == 0
    assert "nobody (was tina)" in capsys.readouterr().out
    assert not m.TeamRole.select().exists()


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "user" in out and "team" in out


def test_reset_pin(db: str, typed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from drp_tui.services.passwords import hash_password

    assert run(db, "user", "add", "olly", "--name", "Olly Os", "--role", "chair", "--os-login", "olly",
               "--no-password") == 0
    assert run(db, "user", "reset-pin", "olly") == 2
    one_line_error(capsys, "olly has no unlock PIN")
    m.Staff.update(unlock_pin_hash=hash_password("462913", n=2**10)).where(m.Staff.username == "olly").execute()
    assert run(db, "user", "reset-pin", "olly") == 0
    assert "unlock PIN of olly cleared" in capsys.readouterr().out
    assert m.Staff.get(m.Staff.username == "olly").unlock_pin_hash == ""
    last = m.Event.select().order_by(m.Event.id.desc()).first()
    assert last.kind == "unlock_pin_reset" and "OS user 'opsadmin'" in last.summary
