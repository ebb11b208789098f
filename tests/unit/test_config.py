"""Installation config: defaults, every key, errors that name the file and the key,
where the config file comes from, and where the database comes from
(``--db`` > ``$DRP_DB`` > config ``db`` > the user data folder)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import drp_tui.config as config_module
from drp_tui.cli import main
from drp_tui.config import Config, ConfigError, config_file, default_db_path, load_config, resolve_db
from drp_tui.store.db import close_database


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No user or site config file unless a test writes one; returns the user config folder."""
    user = tmp_path / "user-config"
    monkeypatch.delenv("DRP_CONFIG", raising=False)
    monkeypatch.delenv("DRP_DB", raising=False)
    monkeypatch.setattr(config_module, "user_config_dir", lambda: user)
    monkeypatch.setattr(config_module, "SITE_CONFIG", tmp_path / "site" / "config.toml")
    return user


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- defaults and keys ------------------------------------------------------------------------

def test_defaults_without_a_config_file() -> None:
    assert config_file() is None
    cfg = load_config()
    assert cfg == Config()
    assert (cfg.db, cfg.policy, cfg.nation, cfg.closures, cfg.idle_lock_minutes, cfg.auth, cfg.shared_group,
            cfg.due_soon_working_days, cfg.path) == (None, "mosaic-iro", "ENG", (), 5, "password", None, None, None)


def test_every_key(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", """
db = "/srv/drp/drp.db"
policy = "durham-rp"
nation = "WLS"
closures = [2026-12-29, 2026-12-30]
idle_lock_minutes = 10
auth = "os"
shared_group = "drp"
due_soon_working_days = 2
""")
    cfg = load_config(str(path))
    assert cfg == Config(db="/srv/drp/drp.db", policy="durham-rp", nation="WLS",
                         closures=(date(2026, 12, 29), date(2026, 12, 30)), idle_lock_minutes=10, auth="os",
                         shared_group="drp", due_soon_working_days=2, path=str(path))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('db = 3', "'db' must be str"),
        ('db = ""', "'db' must not be empty"),
        ('policy = ["mosaic-iro"]', "'policy' must be str"),
        ('policy = "  "', "'policy' must not be empty"),
        ('auth = "kerberos"', "'auth' must be \"password\" or \"os\""),
        ('auth = true', "'auth' must be str"),
        ('shared_group = 100', "'shared_group' must be str"),
        ('nation = "FRA"', "'nation' must be one of ENG, WLS, SCT, NIR"),
        ('nation = "eng"', "'nation' must be one of"),
        ('nation = 1', "'nation' must be str"),
        ('idle_lock_minutes = "5"', "'idle_lock_minutes' must be int"),
        ('idle_lock_minutes = true', "'idle_lock_minutes' must be int"),
        ('idle_lock_minutes = 2.5', "'idle_lock_minutes' must be int"),
        ('idle_lock_minutes = -1', "'idle_lock_minutes' must not be negative"),
        ('due_soon_working_days = -2', "'due_soon_working_days' must not be negative"),
        ('due_soon_working_days = "1"', "'due_soon_working_days' must be int"),
        ('closures = "2026-12-29"', "'closures' must be a list of dates"),
        ('closures = ["2026-12-29"]', "'closures' must be a list of dates"),
        ('closures = [2026-12-29T09:00:00]', "'closures' must be a list of dates"),
        ('colour = "blue"', "unknown key 'colour'"),
    ],
)
def test_bad_values_name_the_file_and_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path / "bad.toml", text + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    message = str(info.value)
    assert message.startswith(f"{path}: ") and key in message, message
    assert "\n" not in message


def test_unknown_key_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"known: audit_key, auth, closures, db, due_soon_working_days, home, "
                                          r"idle_lock_minutes, keys, mail, nation, plain, policy, retention, shared_group, theme"):
        load_config(str(write(tmp_path / "c.toml", "colour = 1\n")))


def test_home_is_my_work_unless_set_to_the_caseload(tmp_path: Path) -> None:
    assert load_config(str(write(tmp_path / "a.toml", "nation = 'ENG'\n"))).home == "work"
    assert load_config(str(write(tmp_path / "b.toml", "home = 'caseload'\n"))).home == "caseload"
    with pytest.raises(ConfigError, match=r"'home' must be one of work, caseload, not 'inbox'"):
        load_config(str(write(tmp_path / "c.toml", "home = 'inbox'\n")))


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found") as info:
        load_config(str(tmp_path / "missing.toml"))
    assert str(tmp_path / "missing.toml") in str(info.value)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(str(write(tmp_path / "broken.toml", "db = \n")))
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"db = '\xff\xfe'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(str(binary))
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot read the config file") as info:
        load_config(str(folder))
    assert str(info.value).startswith(f"{folder}: ")


# --- where the config file comes from ------------------------------------------------------------

def test_config_file_precedence(tmp_path: Path, no_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = write(config_module.SITE_CONFIG, 'policy = "knowsley-dr"\n')
    assert config_file() == site and load_config().policy == "knowsley-dr"
    user = write(no_config / "config.toml", 'policy = "durham-rp"\n')
    assert config_file() == user and load_config().path == str(user)
    env = write(tmp_path / "env.toml", 'policy = "mosaic-cpc"\n')
    monkeypatch.setenv("DRP_CONFIG", str(env))
    assert config_file() == env and load_config().policy == "mosaic-cpc"
    explicit = write(tmp_path / "explicit.toml", 'policy = "tower-hamlets-alerts"\n')
    assert config_file(str(explicit)) == explicit and load_config(str(explicit)).policy == "tower-hamlets-alerts"
    # a DRP_CONFIG that names a missing file is an error, not a silent fallback
    monkeypatch.setenv("DRP_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match="config file not found"):
        load_config()


# --- where the database comes from ---------------------------------------------------------------

def test_resolve_db_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = Config(db="/from/config.db")
    monkeypatch.setenv("DRP_DB", "/from/env.db")
    assert resolve_db("/from/cli.db", cfg) == "/from/cli.db"
    assert resolve_db(None, cfg) == "/from/env.db"
    monkeypatch.delenv("DRP_DB")
    assert resolve_db(None, cfg) == "/from/config.db"
    assert resolve_db(None, Config()) == str(default_db_path())
    assert default_db_path().name == "drp.db" and str(tmp_path) in str(default_db_path())  # HOME is the test's
    monkeypatch.setenv("DRP_DB", "")  # set but empty: as if unset
    assert resolve_db(None, cfg) == "/from/config.db"
    assert resolve_db("postgresql://drp@db/drp", cfg) == "postgresql://drp@db/drp"


def test_db_precedence_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write(tmp_path / "c.toml", f'db = "{tmp_path / "config.db"}"\n')

    def init(*argv: str) -> str:
        try:
            assert main(["--config", str(cfg), *argv, "init"]) == 0
        finally:
            close_database()
        return capsys.readouterr().out.splitlines()[0]

    assert init() == f"database: {tmp_path / 'config.db'}"
    monkeypatch.setenv("DRP_DB", str(tmp_path / "env.db"))
    assert init() == f"database: {tmp_path / 'env.db'}"
    assert init("--db", str(tmp_path / "cli.db")) == f"database: {tmp_path / 'cli.db'}"
    assert all((tmp_path / n).exists() for n in ("config.db", "env.db", "cli.db"))


def test_bad_config_through_the_cli_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write(tmp_path / "c.toml", 'nation = "XX"\n')
    assert main(["--config", str(cfg), "--db", str(tmp_path / "x.db"), "init"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(cfg) in err and "'nation'" in err
    assert not (tmp_path / "x.db").exists()


def test_theme_key(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('theme = "drp-16"\n', encoding="utf-8")
    assert load_config(str(f)).theme == "drp-16"
    f.write_text("theme = 16\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="theme"):
        load_config(str(f))
