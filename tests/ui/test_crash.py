"""No personal data in a crash: a short message with a reference on the terminal; the
details (type, file/line/function; no values, no locals) in a private log."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Static

from drp_tui import crash
from drp_tui.services import reads
from tests.ui.desk_helpers import desk_test, raw, settle

NAME = "Zebedee Quuxley-Test"
DOB = "2014-03-09"
REF = re.compile(r"Something went wrong \(ref ([0-9A-F]{6})\)")


class ReadsThenBreaks(Screen[None]):
    """Stands in for a screen with a bug: it reads a child, then fails with the child in scope."""

    def __init__(self, child_id: int) -> None:
        super().__init__()
        self.child_id = child_id

    def compose(self) -> Any:
        yield Static("loading")

    def on_mount(self) -> None:
        app: Any = self.app
        child = app.desk.call(reads.child, self.child_id)
        secret = {"name": child.name, "dob": child.date_of_birth}
        raise RuntimeError(f"stage missing for {child.name}, born {child.date_of_birth}: {secret}")


def _name_a_child(app: Any) -> int:
    with raw(app) as con:
        (child_id,) = con.execute("SELECT child_id FROM dispute WHERE raised_by_id = 3 LIMIT 1").fetchone()
        con.execute("UPDATE child SET name = ?, date_of_birth = ? WHERE id = ?", (NAME, DOB, child_id))
    return int(child_id)


def _check_log(log: Path, reference: str) -> str:
    assert log.exists()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert f"ref {reference}" in text
    assert NAME not in text and "Zebedee" not in text and DOB not in text and "2014" not in text.split("·")[-1]
    assert re.search(r"builtins\.(RuntimeError|ValueError|KeyError)", text)
    assert re.search(r'File ".*", line \d+, in \w+', text)
    return text


@desk_test
async def test_a_crash_shows_a_reference_and_logs_no_personal_data(make_app: Any, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("DRP_LOG_DIR", raising=False)
    app = make_app("cpatel")
    child_id = _name_a_child(app)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await app.push_screen(ReadsThenBreaks(child_id))
            await settle(pilot)
    out, err = capfd.readouterr()
    terminal = out + err
    assert NAME not in terminal and DOB not in terminal and "Traceback" not in terminal
    found = REF.search(terminal)
    assert found, terminal[-2000:]
    assert app.crash_message and found.group(1) in app.crash_message
    assert app.return_code == 1
    log = crash.log_path()
    assert str(log).startswith(str(tmp_path / "state"))
    _check_log(log, found.group(1))


@desk_test
async def test_a_failed_worker_shows_a_reference_not_its_text(make_app: Any, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRP_LOG_DIR", str(tmp_path / "logs"))
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)

        def broken() -> None:
            raise KeyError(f"{NAME} {DOB}")

        app.run_worker(broken, thread=True, exit_on_error=False, name="broken")
        await settle(pilot)
        messages = [str(n.message) for n in app._notifications]
        assert any(REF.search(m) for m in messages), messages
        assert not any(NAME in m for m in messages)
        ref = next(REF.search(m) for m in messages if REF.search(m)).group(1)  # type: ignore[union-attr]
    text = _check_log(tmp_path / "logs" / "crash.log", ref)
    assert "KeyError" in text


def test_the_real_command_line_prints_a_reference_only(tmp_path: Path, world: Any, db_path: Path) -> None:
    from drp_tui.store import models as m

    m.Child.update(name=NAME, date_of_birth=DOB).where(m.Child.id == world.child.id).execute()
    script = tmp_path / "broken_desk.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        from drp_tui.cli import main, run

        def broken_desk(args):  # the desk, with a bug: it fails with a child's data in scope
            from drp_tui.bootstrap import load_setup
            from drp_tui.store import models as m
            load_setup(args)
            child = m.Child.get(m.Child.name == {NAME!r})
            born = child.date_of_birth
            raise ValueError(f"cannot show {{child.name}} born {{born}}")

        run.run_desk = broken_desk
        sys.exit(main(["--db", sys.argv[1]]))
        """))
    env = {**os.environ, "DRP_LOG_DIR": str(tmp_path / "logs"), "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run([sys.executable, str(script), str(db_path)], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    terminal = done.stdout + done.stderr
    assert done.returncode == 1, terminal
    assert NAME not in terminal and DOB not in terminal and "Traceback" not in terminal
    found = REF.search(terminal)
    assert found, terminal
    _check_log(tmp_path / "logs" / "crash.log", found.group(1))


def test_the_log_is_group_readable_only_with_the_shared_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import grp

    monkeypatch.setenv("DRP_LOG_DIR", str(tmp_path / "shared"))
    group = grp.getgrgid(os.getgid()).gr_name
    try:
        try:
            raise LookupError(NAME)
        except LookupError as inner:
            raise RuntimeError(DOB) from inner
    except RuntimeError as caught:
        exc = caught
        reference = crash.record(exc, where="test", shared_group=group)
    log = tmp_path / "shared" / "crash.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o660
    text = log.read_text()
    assert f"ref {reference}" in text and "caused by: builtins.LookupError" in text
    assert NAME not in text and DOB not in text
    assert crash.user_message(exc) != str(exc) and REF.search(crash.user_message(exc))
