"""The audit trail as the services use it (the chain itself lives in the store)."""

from drp_tui.store.audit import AuditProblem, append, create_key, to_json, verify

__all__ = ["AuditProblem", "append", "create_key", "to_json", "verify"]
