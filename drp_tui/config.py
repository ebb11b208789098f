"""Installation config: a typed dataclass read from TOML, with platformdirs paths.

Where things come from, first match wins:
- config file: ``--config FILE``, else ``$DRP_CONFIG``, else the user config
  folder's ``config.toml``, else the site file ``/etc/drp-tui/config.toml``;
- database: ``--db``, else ``$DRP_DB``, else ``db`` in the config file, else
  ``drp.db`` in the platformdirs user data folder.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs


if TYPE_CHECKING:  # (the retention rule is read only from a config that sets one: not at start)
    from drp_tui.domain.retention import RetentionRule

APP_NAME = "drp-tui"
SITE_CONFIG = Path("/etc/drp-tui/config.toml")
NATIONS = ("ENG", "WLS", "SCT", "NIR")


HOMES = ("work", "caseload")  # what 'home' may name: the first screen after sign-in


class ConfigError(Exception):
    """A bad config file: the message names the file, the key and the problem."""


MAIL_BODIES = ("minimal", "initials")


@dataclass(frozen=True)
class MailConfig:
    """The ``[mail]`` table: how ``drp notify`` reaches the SMTP relay, and what it sends.
    No table: mail is off."""

    host: str
    sender: str  # the From address (the key is ``from``)
    port: int = 587
    starttls: bool = True
    user: str | None = None
    password_file: str | None = None  # the SMTP password, one line, in a file only the service reads
    remind_before: tuple[int, ...] = (2, 1)  # working days before a response is due (0: on the day)
    body: str = "minimal"  # "minimal": reference, stage, due date, what is needed; "initials": + child's initials
    digest: bool = True  # a daily digest to each chair of what needs them (working days)
    max_attempts: int = 10  # then the mail is given up (and 'drp check' says so)
    timeout: int = 30  # seconds for the SMTP connection


_MAIL_KEYS = {"host": str, "from": str, "port": int, "starttls": bool, "user": str, "password_file": str,
              "remind_before": list, "body": str, "digest": bool, "max_attempts": int, "timeout": int}


def _mail(path: Path, value: object) -> MailConfig:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: 'mail' must be a table: [mail] then host = \"smtp.example.org\" ...")
    for key, v in value.items():
        kind = _MAIL_KEYS.get(key)
        if kind is None:
            raise ConfigError(f"{path}: unknown key 'mail.{key}' (known: {', '.join(sorted(_MAIL_KEYS))})")
        _expect(path, f"mail.{key}", v, kind)
        if kind is str and not str(v).strip():
            raise ConfigError(f"{path}: 'mail.{key}' must not be empty")
    for key in ("host", "from"):
        if key not in value:
            raise ConfigError(f"{path}: 'mail.{key}' is missing (mail is sent only with both host and from)")
    sender = str(value["from"])
    if "@" not in sender or any(c.isspace() or c in "<>,;" for c in sender.strip()):
        raise ConfigError(f"{path}: 'mail.from' must be one e-mail address like drp@example.org, not {sender!r}")
    port = value.get("port", 587)
    if not 0 < int(port) < 65536:
        raise ConfigError(f"{path}: 'mail.port' must be between 1 and 65535, not {port!r}")
    before = value.get("remind_before", [2, 1])
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 20 for n in before):
        raise ConfigError(f"{path}: 'mail.remind_before' must be a list of working days from 0 to 20, "
                          f"like [2, 1], not {before!r}")
    body = value.get("body", "minimal")
    if body not in MAIL_BODIES:
        raise ConfigError(f"{path}: 'mail.body' must be \"minimal\" or \"initials\", not {body!r}")
    if "user" in value and "password_file" not in value:
        raise ConfigError(f"{path}: 'mail.user' needs 'mail.password_file' (the file holding the SMTP password)")
    for key in ("max_attempts", "timeout"):
        if key in value and int(value[key]) < 1:
            raise ConfigError(f"{path}: 'mail.{key}' must be at least 1, not {value[key]!r}")
    return MailConfig(host=str(value["host"]).strip(), sender=sender.strip(), port=int(port),
                      starttls=bool(value.get("starttls", True)), user=value.get("user"),
                      password_file=value.get("password_file"),
                      remind_before=tuple(sorted(set(before), reverse=True)), body=str(body),
                      digest=bool(value.get("digest", True)), max_attempts=int(value.get("max_attempts", 10)),
                      timeout=int(value.get("timeout", 30)))


@dataclass(frozen=True)
class Config:
    db: str | None = None
    policy: str = "mosaic-iro"  # a built-in profile key, or a path to a TOML file
    nation: str = "ENG"
    closures: tuple[date, ...] = ()  # local closure days (not working days)
    idle_lock_minutes: int = 5
    auth: str = "password"  # or "os": the OS login names the staff account
    shared_group: str | None = None  # group that may read the database (shared mode)
    due_soon_working_days: int | None = None  # overrides the profile's value
    theme: str | None = None  # a Textual theme name, e.g. "drp-16" for 16-colour terminals
    audit_key: str | None = None  # audit key file (default: <db>.key; see docs/DEPLOYMENT.md)
    home: str = "work"  # the first screen after sign-in: "work" (what needs me now) or "caseload"
    plain: bool = False  # plain mode for screen readers: no box drawing or decorative glyphs (also --plain)
    keys: dict[str, str] = field(default_factory=dict)  # [keys]: binding id -> keys, e.g. "mode.inbox" = "f4,i"
    retention: RetentionRule | None = None  # [retention]: how long closed records are kept (None: not set)
    mail: MailConfig | None = None  # [mail]: e-mail from 'drp notify' (None: mail is off)
    path: str | None = None  # where this config was read from
    extra: dict[str, object] = field(default_factory=dict)


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return user_data_dir() / "drp.db"


def config_file(explicit: str | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("DRP_CONFIG")
    if env:
        return Path(env)
    user = user_config_dir() / "config.toml"
    if user.exists():
        return user
    if SITE_CONFIG.exists():
        return SITE_CONFIG
    return None


def _expect(path: Path, key: str, value: object, kind: type | tuple[type, ...]) -> None:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{path}: '{key}' must be {names}, not {value!r}")


def load_config(explicit: str | None = None) -> Config:
    path = config_file(explicit)
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:  # a folder, no permission ...
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    known = {f for f in Config.__dataclass_fields__ if f not in ("path", "extra")}
    kwargs: dict[str, object] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{path}: unknown key '{key}' (known: {', '.join(sorted(known))})")
        if key in ("db", "policy", "auth", "shared_group", "theme", "audit_key", "home"):
            _expect(path, key, value, str)
            if key in ("db", "policy", "audit_key") and not str(value).strip():
                raise ConfigError(f"{path}: '{key}' must not be empty (leave it out for the default)")
        elif key in ("idle_lock_minutes", "due_soon_working_days"):
            _expect(path, key, value, int)
            if int(value) < 0:
                raise ConfigError(f"{path}: '{key}' must not be negative")
        elif key == "plain":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: 'plain' must be true or false, not {value!r}")
        elif key == "nation":
            _expect(path, key, value, str)
            if value not in NATIONS:
                raise ConfigError(f"{path}: 'nation' must be one of {', '.join(NATIONS)}, not {value!r}")
        elif key == "keys":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: 'keys' must be a table, e.g. [keys] then \"mode.inbox\" = \"f4,i\"")
            for name, keys in value.items():
                if not isinstance(keys, str) or not keys.strip() or any(not k.strip() for k in keys.split(",")):
                    raise ConfigError(f"{path}: keys.'{name}' must be keys separated by commas, like \"f4,i\", "
                                      f"not {keys!r}")
            value = {str(k): str(v).replace(" ", "") for k, v in value.items()}
        elif key == "closures":
            # a TOML date-time is a datetime (a date subclass): which London day would it be?
            if not isinstance(value, list) or not all(
                    isinstance(d, date) and not isinstance(d, datetime) for d in value):
                raise ConfigError(f"{path}: 'closures' must be a list of dates like [2026-12-29]")
            value = tuple(value)
        elif key == "retention":
            from drp_tui.domain.retention import rule_from_table

            try:
                value = rule_from_table(value, f"{path}: retention")
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        elif key == "mail":
            value = _mail(path, value)
        kwargs[key] = value
    if kwargs.get("home", "work") not in HOMES:
        raise ConfigError(f"{path}: 'home' must be one of {', '.join(HOMES)}, not {kwargs['home']!r}")
    if kwargs.get("auth", "password") not in ("password", "os"):
        raise ConfigError(f"{path}: 'auth' must be \"password\" or \"os\"")
    return Config(path=str(path), **kwargs)  # type: ignore[arg-type]


def resolve_db(cli_db: str | None, config: Config) -> str:
    """The database to open: --db, $DRP_DB, config, else the default file."""
    return cli_db or os.environ.get("DRP_DB") or config.db or str(default_db_path())
