"""Start-up loads what the first screen needs: no PostgreSQL driver for an SQLite file, no
migration runner when the schema is current; the driver is there when PostgreSQL is opened."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from drp_tui.store.db import close_database, open_database, pending_migrations


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_the_desk_on_an_sqlite_file_loads_no_postgresql_driver_and_no_migration_runner(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    open_database(str(path))  # created and migrated here
    close_database()
    loaded = run(
        "import sys\n"
        "import drp_tui.ui.app\n"
        "from drp_tui.store.db import open_database\n"
        f"open_database({str(path)!r}, create=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg2', 'psycopg')"
        " or m.startswith('playhouse.migrat')))\n")
    assert loaded == "[]"


def test_a_postgresql_database_gets_the_driver_as_peewees_own_import_would() -> None:
    found = run(
        "import drp_tui, peewee, sys\n"
        "assert peewee.psycopg2 is None and 'psycopg2' not in sys.modules\n"
        "from drp_tui.store import pgdriver\n"
        "pgdriver.load()\n"
        "import psycopg2.extensions as e, psycopg2.extras as x\n"
        "a = peewee.Psycopg2Adapter\n"
        "db = peewee.PostgresqlDatabase('drp_nowhere')\n"
        "db._adapter.check_driver()\n"  # (no server needed: only the driver is checked)
        "print(peewee.psycopg2 is sys.modules['psycopg2'], peewee.Json_pg2 is x.Json,"
        " (a.txn_idle, a.txn_inerror, a.txn_unknown) == (e.TRANSACTION_STATUS_IDLE, e.TRANSACTION_STATUS_INERROR,"
        " e.TRANSACTION_STATUS_UNKNOWN), type(db._adapter).__name__)\n")
    assert found == "True True True Psycopg2Adapter"


def test_pending_migrations_reads_the_files_against_the_history(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "m.db"))
    try:
        assert pending_migrations(db) is False
        last = db.execute_sql("SELECT name FROM schema_migration ORDER BY name DESC LIMIT 1").fetchone()[0]
        db.execute_sql("DELETE FROM schema_migration WHERE name = ?", (last,))
        assert pending_migrations(db) is True
    finally:
        close_database()
