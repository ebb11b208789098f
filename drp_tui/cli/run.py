"""`drp` / `drp run`: open the desk."""

from __future__ import annotations

import argparse
from dataclasses import replace

from drp_tui.bootstrap import Setup, SetupError, load_setup
from drp_tui.cli import UsageError, resume_collector
from drp_tui.domain.policy import Policy


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="open the desk (the default command)")
    p.set_defaults(func=run_desk)


def run_desk(args: argparse.Namespace) -> int:
    try:
        setup = load_setup(args)
    except SetupError as exc:
        raise UsageError(str(exc)) from None
    return open_desk(setup, plain=bool(getattr(args, "plain", False)))


def open_desk(setup: Setup, *, policy: Policy | None = None, sign_in_as: str | None = None,
              plain: bool = False) -> int:
    """``plain``: plain mode (``--plain``) whatever the config says (``plain = true`` there also turns it on)."""
    try:
        from drp_tui.ui.app import DrpApp
    except ImportError:  # the desk is not built yet: say what is there
        from drp_tui.store.queries import caseload_count, CaseloadQuery

        print(f"{caseload_count(CaseloadQuery(view='all'))} disputes in the database; the desk is not built yet.")
        return 0
    if plain and not setup.config.plain:
        setup = replace(setup, config=replace(setup.config, plain=True))
    app = DrpApp(setup, policy=policy or setup.policy, sign_in_as=sign_in_as, settle_heap=True)
    resume_collector()  # (paused by main for the imports and the setup: what they made is frozen now, settle_heap)
    app.run()
    return int(app.return_code or 0)
