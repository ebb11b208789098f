"""Unexpected errors: a short message with a reference for the person, details in a private log.

Nothing personal may reach the terminal or the log: a traceback with locals (Rich's
default in Textual) would print a child's name, date of birth, social worker and
the dispute text. So an unexpected error is written to ``crash.log`` in the user
log folder (platformdirs; mode 0600, or 0660 with the installation's
``shared_group``) as: a reference, the exception's *type* and the stack as
file/line/function — no exception message, no locals, no source text. The person
sees ``Something went wrong (ref 7F3A2C) …`` and tells the administrator the
reference, who finds the entry in the log.

A :class:`~drp_tui.services.errors.DomainError` is not a crash: its message is
written for a chair and is shown as it is (:func:`user_message`).
"""

from __future__ import annotations

import os
import secrets
import traceback
from pathlib import Path
from types import TracebackType

import platformdirs

from drp_tui.config import APP_NAME
from drp_tui.domain.timeutil import SystemClock

LOG_NAME = "crash.log"
MAX_CHAIN = 5  # causes / contexts followed


def log_dir() -> Path:
    """``$DRP_LOG_DIR``, else the platformdirs user log folder (``~/.local/state/drp-tui/log``)."""
    explicit = os.environ.get("DRP_LOG_DIR")
    return Path(explicit) if explicit else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def log_path() -> Path:
    return log_dir() / LOG_NAME


def new_reference() -> str:
    return secrets.token_hex(3).upper()


def _frames(tb: TracebackType | None) -> list[str]:
    return [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in traceback.extract_tb(tb)]


def details(error: BaseException, reference: str, where: str) -> str:
    """The log entry: reference, where, exception types and frames. No messages, no values."""
    lines = [f"--- ref {reference} · {SystemClock().now().isoformat(timespec='seconds')} · {where} · pid {os.getpid()}",
             f"{type(error).__module__}.{type(error).__qualname__}"]
    lines += _frames(error.__traceback__)
    seen = {id(error)}
    link: BaseException | None = error
    for _ in range(MAX_CHAIN):
        assert link is not None
        nxt = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(nxt))
        word = "caused by" if link.__cause__ is nxt else "while handling"
        lines.append(f"{word}: {type(nxt).__module__}.{type(nxt).__qualname__}")
        lines += _frames(nxt.__traceback__)
        link = nxt
    return "\n".join(lines) + "\n"


def _open_private(path: Path, shared_group: str | None) -> int:
    mode = 0o660 if shared_group else 0o600
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o770 if shared_group else 0o700)
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, mode)
    try:
        os.fchmod(fd, mode)  # whatever the umask, and for a file made before
        if shared_group:
            import grp

            try:
                os.fchown(fd, -1, grp.getgrnam(shared_group).gr_gid)
            except (KeyError, PermissionError):
                pass
    except OSError:
        os.close(fd)
        raise
    return fd


def record(error: BaseException, *, where: str = "desk", shared_group: str | None = None) -> str:
    """Write ``error`` to the private log; return its reference (also if the log cannot be written)."""
    reference = new_reference()
    try:
        fd = _open_private(log_path(), shared_group)
        try:
            os.write(fd, details(error, reference, where).encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001 - the person still gets the reference
        pass
    return reference


def message(reference: str, *, kept_draft: bool = False) -> str:
    """What the person is told."""
    kept = "Your typed text was kept as a draft; " if kept_draft else ""
    return f"Something went wrong (ref {reference}). {kept}Tell your administrator the reference."


def user_message(error: BaseException | None, *, where: str = "desk", shared_group: str | None = None) -> str:
    """A refusal's own message (a DomainError is written for a chair); anything else is
    logged and becomes ``Something went wrong (ref …)`` — its text may hold field values."""
    from drp_tui.services.errors import DomainError

    if isinstance(error, DomainError):
        return error.message
    if error is None:
        return "Something went wrong."
    return message(record(error, where=where, shared_group=shared_group))
