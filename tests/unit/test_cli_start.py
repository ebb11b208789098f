"""`drp` with no command opens the desk without importing the command modules, and with the
collector paused for the desk's imports and setup only."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from drp_tui.cli import desk_args, main


def test_desk_args_are_the_options_before_any_command() -> None:
    args = desk_args(["--db", "x.db", "--config", "c.toml", "--plain"])
    assert args is not None
    assert (args.db, args.config, args.plain) == ("x.db", "c.toml", True)
    assert desk_args([]) is not None


@pytest.mark.parametrize("argv", [["report"], ["--db", "x.db", "check"], ["--help"], ["-h"], ["--db"], ["--bogus"]])
def test_a_command_help_or_bad_option_goes_to_the_whole_parser(argv: list[str]) -> None:
    assert desk_args(argv) is None


def test_a_missing_option_value_is_explained_by_the_whole_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--db"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --db: expected one argument" in err
    assert "COMMAND" in err  # the whole parser's usage line, which names the commands


def test_opening_the_desk_imports_no_command_module() -> None:
    """Each command module imports its own services (reports, exports, imports...): some 300 ms and
    a few MB that a desk never uses. A command still imports its module, and --help all of them."""
    probe = (
        "import sys\n"
        "import drp_tui.cli as cli, drp_tui.cli.run as run\n"
        "run.run_desk = lambda args: print(' '.join(sorted(m for m in sys.modules if m.startswith('drp_tui.cli.'))))\n"
        "cli.main(sys.argv[1:])\n"
    )

    def commands_imported(*argv: str) -> set[str]:
        out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True)
        return set(out.stdout.split())

    assert commands_imported("--db", "x.db") == {"drp_tui.cli.run"}
    assert commands_imported() == {"drp_tui.cli.run"}
    assert "drp_tui.cli.report" in commands_imported("run")  # a command: the whole parser, every module


def test_the_collector_is_paused_for_the_desk_only_and_always_resumed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import drp_tui.cli.run as run

    assert gc.isenabled()
    seen: list[bool] = []
    original = run.run_desk
    try:
        run.run_desk = lambda args: seen.append(gc.isenabled()) or 0  # type: ignore[assignment]
        assert main(["--db", str(tmp_path / "x.db")]) == 0
        assert seen == [False]  # the desk's imports and setup
        assert gc.isenabled()  # and running again once main returns, however it ends

        def fails(args):  # type: ignore[no-untyped-def]
            seen.append(gc.isenabled())
            raise RuntimeError("boom")
        run.run_desk = fails  # type: ignore[assignment]
        assert main(["--db", str(tmp_path / "x.db")]) == 1
        assert seen[-1] is False and gc.isenabled()
        assert main(["--db", str(tmp_path / "x.db"), "init"]) == 0 and gc.isenabled()  # a command: never paused
    finally:
        run.run_desk = original  # type: ignore[assignment]


def test_open_desk_resumes_the_collector_once_the_desk_is_made(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import drp_tui.cli as cli
    import drp_tui.cli.run as run
    import drp_tui.ui.app as ui_app

    made: list[bool] = []

    class NoDesk:
        return_code = 0

        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            made.append(gc.isenabled())

        def run(self) -> None:
            made.append(gc.isenabled())

    monkeypatch.setattr(ui_app, "DrpApp", NoDesk)
    cli.pause_collector()
    try:
        setup = type("S", (), {"config": type("C", (), {"plain": False})(), "policy": None})()
        assert run.open_desk(setup) == 0  # type: ignore[arg-type]
    finally:
        cli.resume_collector()
    assert made == [False, True]  # made with the collector paused, run with it running
    assert gc.isenabled()


def test_pausing_the_collector_first_collects_the_garbage_of_importing_datetime() -> None:
    """Python 3.11's ``datetime`` defines its classes in Python, then replaces them with the C
    ones: the Python ones are garbage, collected before the pause (not frozen with the desk)."""
    out = subprocess.run([sys.executable, "-c", (
        "import gc, sys\n"
        "import drp_tui.cli as cli\n"
        "assert 'datetime' not in sys.modules\n"
        "cli.pause_collector()\n"
        "gc.set_debug(gc.DEBUG_SAVEALL)\n"
        "print(gc.isenabled(), 'datetime' in sys.modules, gc.collect())\n")],
        capture_output=True, text=True, check=True)
    paused, imported, garbage = out.stdout.split()
    assert (paused, imported) == ("False", "True")
    assert int(garbage) < 50  # (without the collection first: some 300 objects, datetime's classes)


def desk_started(path, shown: str) -> str:  # type: ignore[no-untyped-def]
    """Start ``drp --db PATH`` in a new process as far as its setup (the desk itself is not opened)
    and return what the expression ``shown`` (of ``setup`` and ``sys``) printed then."""
    probe = (
        "import sys\n"
        "import drp_tui.cli as cli, drp_tui.cli.run as run\n"
        f"run.open_desk = lambda setup, **kw: print({shown})\n"
        "cli.main(sys.argv[1:])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, "--db", str(path)], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_desk_s_setup_reads_the_closure_days_without_the_closures_or_accounts_service(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every start reads the closure days kept in the database (a store query); the closures
    service is loaded only when there are some, to build the calendar with them, and never the
    accounts service and the installation checks it imports (some 0.4 MB): only an
    administrator's change needs them."""
    from datetime import UTC, date, datetime

    from drp_tui.store import models as m
    from drp_tui.store.db import close_database, open_database

    path = tmp_path / "desk.db"
    assert main(["--db", str(path), "init"]) == 0

    def started() -> str:
        return desk_started(path, "' '.join(sorted(m for m in sys.modules if m in ('drp_tui.services.closures', "
                                  "'drp_tui.services.accounts', 'drp_tui.domain.policy_check'))), "
                                  "setup.calendar.why_not_working(__import__('datetime').date(2027, 1, 4))")

    assert started() == "None"  # none kept: neither service (4 January 2027 is a working day)
    open_database(str(path), create=False)
    try:
        m.ClosureDay.create(day=date(2027, 1, 4), reason="Office move",
                            added_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    finally:
        close_database()
    assert started() == "drp_tui.services.closures Local closure: Office move"  # in the calendar


def test_the_desk_s_setup_loads_the_pinning_service_only_with_a_dispute_to_pin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every start asks whether a dispute is still unpinned (a store query); the pinning service
    (its upgrade plans and reports) is loaded only when one is, to pin it."""
    from datetime import UTC, datetime

    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.services.demo import build_demo
    from drp_tui.store import models as m
    from drp_tui.store.db import close_database, open_database

    path = tmp_path / "desk.db"
    open_database(str(path))
    try:
        build_demo(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    finally:
        close_database()

    def pinning_loaded() -> str:
        return desk_started(path, "'drp_tui.services.pinning' in sys.modules")

    assert pinning_loaded() == "False"  # every dispute pinned
    open_database(str(path), create=False)
    try:
        first = m.Dispute.select(m.Dispute.id).order_by(m.Dispute.id).first()
        m.Dispute.update(policy_digest="").where(m.Dispute.id == first.id).execute()
    finally:
        close_database()
    assert pinning_loaded() == "True"  # one written before pinning: pinned at this start
    assert pinning_loaded() == "False"  # and only once
