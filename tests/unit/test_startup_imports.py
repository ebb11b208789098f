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


NOT_AT_START = (
    "holidays",  # the bank holidays come from the user cache folder once kept (drp_tui/holiday_cache.py)
    "drp_tui.services.export", "drp_tui.services.bundle_files",  # an evidence bundle, when one is written
    "drp_tui.ui.screens.help",  # F1, when asked for
    "drp_tui.ui.screens.lock", "drp_tui.ui.screens.credentials",  # the lock screen, when the desk locks
    "drp_tui.ui.screens.login",  # the log-in screen: not when signed in already (the OS login, the demo)
    "importlib.resources", "zipfile",  # the built-in profiles are read from the package's folder
    # the caseload's first page judges no moves and fills no form: the moves (My work, a dispute's
    # keys), the forms' fields and limits (a form, a draft kept), My work's list, the read trail (a
    # dispute opened) and the retention rule (a config that sets one) are loaded when first used
    "drp_tui.domain.moves", "drp_tui.domain.forms", "drp_tui.domain.retention",
    "drp_tui.services.work", "drp_tui.store.queries_work", "drp_tui.services.access",
    # the caseload's rows are not a dispute's view: one dispute's full view (and a child's, the
    # inbox's, the history's) and the reads that build them load when a dispute is opened
    "drp_tui.domain.views", "drp_tui.store.queries_dispute",
    # the sign-in appends audit events; checking the chain (drp audit verify, drp check) and reading
    # a child's access record (oversight's history) load when asked for
    "drp_tui.store.audit_check", "drp_tui.store.access_log",
    "drp_tui.store.queries_screens",  # the children screen's counts, a compliment's recipients, the reports' facts
    "drp_tui.services.drafts",  # counted once the first page is on show (LiveMixin.first_page_shown), or kept
    "drp_tui.services.pinning",  # only a start with a dispute to pin (bootstrap.pin_old_disputes; test_cli_start)
    "drp_tui.domain.policy_parts",  # approval gates, facts, meetings, caps ...: only a profile that names one
)


def test_the_desk_started_signed_in_to_its_first_page_loads_none_of_what_it_does_not_show(
        tmp_path: Path) -> None:
    """The desk, signed in (as the OS login or the demo does), until its first caseload page is shown
    (its bank holidays kept by an earlier start): none of NOT_AT_START is loaded."""
    from datetime import UTC, datetime

    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.holiday_cache import cached_holidays
    from drp_tui.services.demo import build_demo

    path = tmp_path / "desk.db"
    open_database(str(path))
    try:
        build_demo(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    finally:
        close_database()
    cached_holidays()("ENG", 2026)  # an earlier start (in this test's own cache folder: $XDG_CACHE_HOME)
    out = run(
        "import sys\n"
        "from datetime import datetime, timezone\n"
        "from pathlib import Path\n"
        "import drp_tui.ui.app\n"
        "from drp_tui.bootstrap import Setup, holiday_source\n"
        "from drp_tui.config import Config\n"
        "from drp_tui.domain.calendar import WorkingCalendar\n"
        "from drp_tui.domain.policy_loader import load_builtin\n"
        "from drp_tui.domain.timeutil import FrozenClock\n"
        "from drp_tui.store.db import open_database\n"
        "from drp_tui.ui.app import DrpApp\n"
        f"path = {str(path)!r}\n"
        "open_database(path)\n"
        "policy = load_builtin('mosaic-iro')\n"
        "setup = Setup(Config(db=path, idle_lock_minutes=0, home='caseload'), path, policy,\n"
        "              WorkingCalendar('ENG', holidays=holiday_source()))\n"
        "class Probe(DrpApp):\n"
        "    CSS_PATH = str(Path(drp_tui.ui.app.__file__).parent / DrpApp.CSS_PATH)\n"
        # Checked as the desk is told its first page is on screen, before what follows it starts (the
        # sign-in's drafts count and reminders: LiveMixin.first_page_shown), so nothing races the check.
        "    def first_page_shown(self):\n"
        f"        print(type(self.screen).__name__, sorted(m for m in {NOT_AT_START!r} if m in sys.modules))\n"
        "        self.exit()\n"
        "now = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)\n"
        "Probe(setup, policy=policy, sign_in_as='cpatel', clock=FrozenClock(now)).run(headless=True, size=(80, 24))\n")
    assert out == "CaseloadScreen []"
