"""Who may do what: the rules that hold across every service, in one place.

Who may make which move on a dispute (only the chair who raised it sends it; only
the manager a stage was sent to responds to it; oversight approves and reopens only
within its own team; a holder of the approval level approves only where they hold
it) is decided in one place, ``domain.moves``; each service asks it through
``common.require_move``. ``check`` runs first, inside the same transaction, from
``common.service``:

* an administrator manages accounts and teams, never dispute content;
* the command line (``InstallationAdmin``) manages accounts and teams only;
* a disabled or unknown account does nothing.

``visible_to`` / ``can_see`` are the read side's rule (screens and queries): a
dispute is visible to: the chair who raised it; the child's chair and
allocated social worker; every manager a stage of it was sent or copied to,
who responded or approved; anyone notified about it; oversight (the IRO service
manager) of the raising chair's own team or of the child's team; and the
holders of a management level in the raising chair's own team (the IRO service's
chain). Administrators see no dispute content.

Every refusal is a ``PermissionDenied``; ``common.service`` rolls back and
leaves one ``refused`` audit event.
"""

from __future__ import annotations

from dataclasses import dataclass

from drp_tui.domain.model import Role
from drp_tui.services.context import Ctx
from drp_tui.services.errors import PermissionDenied
from drp_tui.store import models as m
from drp_tui.store.visibility import can_see, visible_to  # noqa: F401  (the read side's rule)

# Service modules (and single services elsewhere) that touch dispute content.
CONTENT_MODULES = frozenset({"drp_tui.services.disputes", "drp_tui.services.outcomes"})
CONTENT_SERVICES = frozenset({"send_compliment"})

CLI_NOT_CONTENT = "The command line manages staff accounts and teams, not dispute content."
INACTIVE = "Your account is not active; ask an administrator."


@dataclass
class InstallationAdmin(Ctx):
    """The installation's administrator at the command line (``drp user``/``drp team``):
    whoever can run ``drp`` on the box with access to the database. Not a staff
    account: ``actor_id`` is None and the audit events name ``os_user``."""

    os_user: str = ""


def is_installation_admin(ctx: Ctx) -> bool:
    return isinstance(ctx, InstallationAdmin)


def staff_of(ctx: Ctx) -> m.Staff | None:
    """The acting staff row, or None (command line, or an id that does not exist)."""
    if ctx.actor_id is None:
        return None
    return m.Staff.get_or_none(m.Staff.id == ctx.actor_id)


def require_admin(ctx: Ctx, doing: str) -> m.Staff | None:
    """An active administrator, or the command line. Returns the staff row (None for the CLI)."""
    if is_installation_admin(ctx):
        return None
    who = staff_of(ctx)
    if who is None or not who.active:
        raise PermissionDenied(INACTIVE)
    if Role(who.role) is not Role.ADMIN:
        raise PermissionDenied(f"Only an administrator can {doing}.")
    return who


def acting_admin(ctx: Ctx, doing: str) -> tuple[m.Staff | None, str]:
    """``require_admin``, and how the audit trail names who did it: "by <name> (<username>)", or
    the command line's OS user."""
    who = require_admin(ctx, doing)
    if who is not None:
        return who, f"by {who.name} ({who.username})"
    os_user = ctx.os_user if isinstance(ctx, InstallationAdmin) else ""
    return who, f"at the command line by OS user '{os_user or 'unknown'}'"


def check(ctx: Ctx, action: str, module: str, dispute_id: int | None) -> None:
    """The cross-cutting rules, run before a service's own checks. Raises PermissionDenied."""
    content = module in CONTENT_MODULES or action in CONTENT_SERVICES
    if is_installation_admin(ctx):
        if content or dispute_id is not None:
            raise PermissionDenied(CLI_NOT_CONTENT)
        return
    who = staff_of(ctx)
    if who is None or not who.active:
        raise PermissionDenied(INACTIVE)
    if content and Role(who.role) is Role.ADMIN:
        from drp_tui.domain.moves import ADMIN_NOT_CONTENT  # (the moves' own text; not loaded at start)

        raise PermissionDenied(ADMIN_NOT_CONTENT)


__all__ = ["InstallationAdmin", "is_installation_admin", "require_admin", "visible_to", "can_see", "check",
           "staff_of"]
