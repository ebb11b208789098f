"""PostgreSQL's driver is loaded only when a PostgreSQL database is opened.

peewee imports psycopg2 (or psycopg) as it loads, if installed: about 12 MB and tens of
milliseconds in every desk process, though most desks use an SQLite file. ``defer()`` (run
by ``drp_tui/__init__.py``, before anything imports peewee) hides the drivers while peewee
loads; ``load()`` (``store.db.make_database``, for a PostgreSQL URL) imports the driver and
gives peewee what its own import would have set. Nothing else changes: with the driver
loaded, peewee behaves exactly as if it had found it at import.
"""

from __future__ import annotations

import sys
from types import ModuleType

DRIVERS = ("psycopg2", "psycopg")


def defer() -> None:
    """Import peewee without the PostgreSQL drivers (once, before anyone else imports it)."""
    if "peewee" in sys.modules:
        return
    hidden = [name for name in DRIVERS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # (an import of it raises ImportError)
    try:
        import peewee  # noqa: F401
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def load() -> None:
    """The PostgreSQL driver, for peewee, as its import would have found it (psycopg2 first,
    as peewee prefers it). Without either installed, peewee says the driver is not found."""
    import peewee

    if getattr(peewee, "psycopg2", None) is not None or getattr(peewee, "psycopg", None) is not None:
        return
    try:
        import psycopg2
        from psycopg2 import extensions
        from psycopg2.extras import Json, register_uuid
    except ImportError:
        _load_psycopg3(peewee)
        return
    register_uuid()
    for name, value in (("psycopg2", psycopg2), ("pg_extensions", extensions), ("pg_register_uuid", register_uuid),
                        ("Json_pg2", Json)):
        setattr(peewee, name, value)
    adapter = peewee.Psycopg2Adapter
    adapter.txn_idle = extensions.TRANSACTION_STATUS_IDLE
    adapter.txn_inerror = extensions.TRANSACTION_STATUS_INERROR
    adapter.txn_unknown = extensions.TRANSACTION_STATUS_UNKNOWN


def _load_psycopg3(peewee: ModuleType) -> None:
    try:
        import psycopg  # type: ignore[import-not-found, unused-ignore]
        from psycopg.pq import TransactionStatus  # type: ignore[import-not-found, unused-ignore]
        from psycopg.types.json import Json, Jsonb  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return
    for name, value in (("psycopg", psycopg), ("TransactionStatus", TransactionStatus), ("Json_pg3", Json),
                        ("Jsonb_pg3", Jsonb)):
        setattr(peewee, name, value)
    adapter = peewee.Psycopg3Adapter
    adapter.txn_idle = TransactionStatus.IDLE
    adapter.txn_inerror = TransactionStatus.INERROR
    adapter.txn_unknown = TransactionStatus.UNKNOWN
