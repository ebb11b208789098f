"""The README's real-use steps, exactly as written there, from ``drp init`` to an imported caseload.

The lines are read from README.md (the ``sh`` block after "Real use:"), comments and the
bare ``drp`` that opens the desk left out, and each is run through ``drp_tui.cli.main``
with a fresh database in a temporary folder, from the repository's root (where the
``examples/`` files are). Then the desk's own read for the chair shows the imported children.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from drp_tui.cli import main
from drp_tui.cli import users as cli_users
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import reads
from drp_tui.services.context import Ctx
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database
from tests.conftest import FROZEN_NOW

ROOT = Path(__file__).resolve().parents[2]


def real_use_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Real use:\s*\n+```sh\n(.*?)```", text, re.DOTALL)
    assert block, "README.md has no ```sh block after 'Real use:'"
    lines = []
    for line in block.group(1).splitlines():
        command = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if command:
            lines.append(command)
    return lines


def test_the_readme_lines_are_the_ones_this_test_expects_to_find() -> None:
    lines = real_use_lines()
    assert lines[0] == "drp init" and lines[-1] == "drp"
    assert any(line.startswith("drp import children ") for line in lines)
    assert all(line.split()[0] == "drp" for line in lines)


def test_real_use_steps_run_verbatim_and_the_chair_sees_the_imported_children(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run_real_use(str(tmp_path / "real.db"), monkeypatch, capsys)


def test_real_use_steps_on_postgresql(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The same lines with the database a PostgreSQL URL (as ``db = "postgresql://..."`` in the config)."""
    from tests.pg import scratch_database

    with scratch_database() as url:
        run_real_use(url, monkeypatch, capsys)


def run_real_use(db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(cli_users, "current_os_login", lambda: "opsadmin")
    monkeypatch.setenv("DRP_DB", db)  # the README's lines name no database: the default one, here a temp file
    said: dict[str, str] = {}
    for line in real_use_lines():
        argv = shlex.split(line)[1:]
        if not argv:
            continue  # the bare 'drp' opens the desk (the check below reads what it would show)
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 0, f"{line!r} exited {code}: {err}"
        said[line] = out
        close_database()
    dry = next(out for line, out in said.items() if "--dry-run" in line)
    assert "new: 8 (not written)" in dry and "dry run: nothing was written" in dry
    real = next(out for line, out in said.items() if line.startswith("drp import children") and "--dry-run" not in line)
    assert "new: 8\n" in real
    imported = next(out for line, out in said.items() if line.startswith("drp import disputes"))
    assert "new: 3\n" in imported and re.search(r"OLD-0117 -> DRP-2026-\d{4}", imported)
    assert re.search(r"set-up code for cpatel: [A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", "".join(said.values()))
    open_database(db)
    try:
        chloe = m.Staff.get(m.Staff.username == "cpatel")
        assert chloe.setup_code_hash and not chloe.password_hash  # she chooses her password at first sign-in
        ctx = Ctx(chloe.id, load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW))
        lines = reads.children(ctx)
        expected = sorted(c.case_number for c in m.Child.select().where(m.Child.chair == chloe.id))
        assert sorted(line.child.case_number for line in lines) == expected
        assert expected == ["EX1001", "EX1002", "EX1003", "EX1004"]  # EX1003's chair is named "Chloe Patel"
        siblings = {line.child.case_number: line.siblings for line in lines}
        assert siblings["EX1001"] == ("Oscar Fenwick",)
        assert m.Child.select().count() == 8
        assert m.TeamRole.select().count() == 10  # the levels column of examples/staff.csv
        mine = m.Dispute.select().where(m.Dispute.raised_by == chloe.id)
        assert sorted(d.imported_ref for d in mine) == ["OLD-0093", "OLD-0117", "OLD-0118"]
        assert {d.status for d in mine} == {"sent", "responded", "resolved"}
    finally:
        close_database()
