"""Errors the services raise: each carries a message a chair would understand."""

from __future__ import annotations


class DomainError(Exception):
    """A move the procedure (or the data) does not allow. Nothing was changed."""

    title = "Not allowed"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    """Bad input: ``field`` names the field, the message says what is wrong."""

    title = "Please check"


class PermissionDenied(DomainError):
    title = "Not yours to do"


class NotFound(DomainError):
    title = "Not found"


class ConflictError(DomainError):
    """Someone else saved first (optimistic locking). Your text is kept."""

    title = "Changed by someone else"

    def __init__(self, message: str, *, changed_by: str = "", changed_at: str = "",
                 yours: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.yours = yours or {}


class Abandoned(DomainError):
    """A read given up because the desk is closing (its answer would never be shown)."""

    title = "Closing"


class StorageError(DomainError):
    """The database could not take the write (file gone, disk full, read-only, busy).
    Nothing was saved; the desk keeps the text on screen."""

    title = "Not saved"
