"""Screenshots for the README: the desk on fresh demo data at a frozen clock, as SVG.

    python scripts/screenshots.py [--out assets] [--size 100x30]

Writes ``home.svg`` (my work, the first screen after sign-in), ``caseload.svg`` and
``form.svg`` (the most overdue dispute of the demo chair). Runs headless; nothing is read from or written to
the user's own config or data folders.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import tempfile
from datetime import datetime
from pathlib import Path

from drp_tui.bootstrap import Setup
from drp_tui.config import Config
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import LONDON, FrozenClock
from drp_tui.services.demo import build_demo
from drp_tui.store.db import close_database, open_database

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)  # a Monday morning, as in the tests
ROOT = Path(__file__).resolve().parent.parent


async def settle(pilot: object) -> None:
    from textual.worker import WorkerCancelled

    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(4):
        await pilot.pause()  # type: ignore[attr-defined]
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            pass
    await pilot.pause()  # type: ignore[attr-defined]


async def shoot(db: Path, out: Path, size: tuple[int, int], policy_key: str) -> list[Path]:
    from drp_tui.ui.app import DrpApp
    from drp_tui.ui.screens.caseload import CaseloadScreen
    from drp_tui.ui.widgets.caseload_table import CaseloadTable

    policy = load_builtin(policy_key)
    setup = Setup(Config(db=str(db), policy=policy_key, idle_lock_minutes=0), str(db), policy,
                  WorkingCalendar("ENG"))
    app = DrpApp(setup, policy=policy, sign_in_as="cpatel", clock=FrozenClock(NOW))
    written: list[Path] = []
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        from drp_tui.ui.screens.work import WorkScreen

        assert isinstance(app.screen, WorkScreen), app.screen
        written.append(out / "home.svg")
        written[-1].write_text(app.export_screenshot(title="drp-tui: my work"), encoding="utf-8")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen), app.screen
        written.append(out / "caseload.svg")
        written[-1].write_text(app.export_screenshot(title="drp-tui: caseload"), encoding="utf-8")
        if importlib.util.find_spec("drp_tui.ui.screens.dispute") is not None:
            first = app.screen.query_one(CaseloadTable).current_id
            if first is not None:
                app.open_dispute(first)
                await settle(pilot)
                written.append(out / "form.svg")
                written[-1].write_text(app.export_screenshot(title="drp-tui: dispute form"), encoding="utf-8")
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "assets"), help="folder for the SVGs (default: assets/)")
    ap.add_argument("--size", default="100x30", help="terminal size, COLSxROWS (default 100x30)")
    ap.add_argument("--policy", default="mosaic-iro", help="built-in profile for the demo data")
    args = ap.parse_args()
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        open_database(str(db))
        try:
            build_demo(load_builtin(args.policy), WorkingCalendar("ENG"), NOW)
            for path in asyncio.run(shoot(db, out, (cols, rows), args.policy)):
                print(f"wrote {path}")
        finally:
            close_database()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
