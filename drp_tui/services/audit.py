"""The audit trail as the services use it (the chain itself lives in the store)."""

from drp_tui.store.audit import AuditProblem, append, to_json, verify

__all__ = ["AuditProblem", "append", "to_json", "verify"]
