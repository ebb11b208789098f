"""Start-up loads what the first screen needs: no migration runner when the schema is current.

(PostgreSQL's driver is installed only with the ``postgres`` extra, for a PostgreSQL database;
an SQLite installation has none to load.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from drp_tui.store.db import close_database, open_database, pending_migrations


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_the_desk_on_a_current_sqlite_file_loads_no_migration_runner(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    open_database(str(path))  # created and migrated here
    close_database()
    loaded = run(
        "import sys\n"
        "import drp_tui.ui.app\n"
        "from drp_tui.store.db import open_database\n"
        f"open_database({str(path)!r}, create=False)\n"
        "print(sorted(m for m in sys.modules if m.startswith('playhouse.migrat')))\n")
    assert loaded == "[]"


def test_pending_migrations_reads_the_files_against_the_history(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "m.db"))
    try:
        assert pending_migrations(db) is False
        last = db.execute_sql("SELECT name FROM schema_migration ORDER BY name DESC LIMIT 1").fetchone()[0]
        db.execute_sql("DELETE FROM schema_migration WHERE name = ?", (last,))
        assert pending_migrations(db) is True
    finally:
        close_database()
