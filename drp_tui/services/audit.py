"""The audit trail as the services use it (the chain itself lives in the store; checking it
is ``store.audit_check``'s, loaded when asked for)."""

from drp_tui.store.audit import append, create_key, to_json

__all__ = ["append", "create_key", "to_json"]
