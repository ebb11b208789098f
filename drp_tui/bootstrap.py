"""Build what every command needs from args: config, database, policy, calendar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from drp_tui.config import Config, ConfigError, load_config, resolve_db
from drp_tui.domain.calendar import HolidaySource, WorkingCalendar
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_loader import PolicyError, resolve_policy
from drp_tui.store.db import StoreError, open_database

if TYPE_CHECKING:
    import argparse


class SetupError(Exception):
    """Config, policy or database problem: one line for the user, exit 2."""


@dataclass(frozen=True)
class Setup:
    config: Config
    db_target: str
    policy: Policy
    calendar: WorkingCalendar


def load_setup(args: argparse.Namespace, *, open_db: bool = True, db_override: str | None = None,
               create: bool = False) -> Setup:
    """``create``: only ``drp init`` (and ``drp demo`` for its own file) may create the
    database; every other command refuses a missing one (exit 2) rather than start an
    empty database where a real one was expected."""
    try:
        config = load_config(getattr(args, "config", None))
        policy = resolve_policy(config.policy)
    except (ConfigError, PolicyError) as exc:
        raise SetupError(str(exc)) from None
    target = db_override or resolve_db(getattr(args, "db", None), config)
    calendar = WorkingCalendar(config.nation, config.closures, holidays=holiday_source())
    if open_db:
        try:
            # A database named by the caller (the demo's) never uses the installation's key file.
            open_database(target, shared_group=config.shared_group, create=create,
                          audit_key=None if db_override else config.audit_key)
        except StoreError as exc:
            raise SetupError(str(exc)) from None
        except Exception as exc:  # driver errors: say which database, not a traceback
            raise SetupError(f"cannot open database {redact(target)}: {type(exc).__name__}: {exc}") from None
        calendar = _with_stored_closures(calendar, config)
        pin_old_disputes(policy, calendar)
    return Setup(config, target, policy, calendar)


def _with_stored_closures(calendar: WorkingCalendar, config: Config) -> WorkingCalendar:
    """The administrator's closure days (kept in the database) on top of the config file's."""
    from drp_tui.store.queries import closure_days  # (the read side: once a database is open)

    if not closure_days():  # the usual start: none kept, and the closures service is not loaded
        return calendar
    from drp_tui.services.closures import calendar_with_closures  # (only with closure days kept)

    return calendar_with_closures(config.nation, config.closures, holidays=calendar.holiday_source)


def holiday_source() -> HolidaySource:
    """Where a session's bank holidays come from: the ``holidays`` package's answers, kept
    between starts in the user cache folder (drp_tui/holiday_cache.py)."""
    from drp_tui.holiday_cache import cached_holidays

    return cached_holidays()


def pin_old_disputes(policy: Policy, calendar: WorkingCalendar) -> int:
    """Disputes written before pinning (migration 0007 leaves them unpinned: a migration
    does not know the installation's profile) are pinned here, at the first open that
    does: to this profile if the key matches, else to the built-in of their key."""
    from drp_tui.store.queries import any_unpinned  # (the read side: once a database is open)

    if not any_unpinned():  # the usual start: nothing to pin, and the pinning service is not loaded
        return 0
    from drp_tui.domain.timeutil import SystemClock
    from drp_tui.services import pinning  # (only with a dispute to pin: not at every start)
    from drp_tui.services.auth import current_os_login
    from drp_tui.services.errors import DomainError
    from drp_tui.services.permissions import InstallationAdmin

    try:
        ctx = InstallationAdmin(None, policy, calendar, SystemClock(),  # type: ignore[arg-type]
                                os_user=current_os_login())
        return pinning.pin_unpinned(ctx)
    except DomainError:  # e.g. a read-only or busy database: they resolve by key until the next open
        return 0


def redact(target: str) -> str:
    """A database URL without its password, for messages."""
    if "://" in target and "@" in target:
        scheme, rest = target.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return target
