"""One desk session in its own process, for the race tests (tests/unit/test_races.py).

``python -m tests.race_worker TARGET POLICY_KEY`` opens the database, prints ``ready``,
then runs one command per line read from stdin and answers one line each:

    save ACTOR DISPUTE VERSION TEXT   -> update_draft(concern=TEXT) at VERSION
    withdraw ACTOR DISPUTE            -> outcomes.withdraw (no version: as a quick action)
    respond ACTOR DISPUTE             -> disputes.record_response (no version)

Answers: ``ok ...``, ``conflict ...`` (ConflictError) or ``refused CLASS ...`` (another
DomainError). The parent writes the same round's command to both workers while both
are blocked reading stdin: that is the barrier; nothing here sleeps.
"""

from __future__ import annotations

import sys

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.services.context import Ctx
from drp_tui.services.errors import ConflictError, DomainError
from drp_tui.store.db import close_database, open_database
from tests.conftest import FROZEN_NOW


def main() -> int:
    target, policy_key = sys.argv[1], sys.argv[2]
    open_database(target, create=False)
    policy, calendar, clock = load_builtin(policy_key), WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW)
    print("ready", flush=True)
    for line in sys.stdin:
        parts = line.rstrip("\n").split(" ", 4)
        if parts[0] == "quit":
            break
        ctx = Ctx(int(parts[1]), policy, calendar, clock)
        did = int(parts[2])
        try:
            if parts[0] == "save":
                answer = f"ok {ds.update_draft(ctx, did, int(parts[3]), {'concern': parts[4]})}"
            elif parts[0] == "withdraw":
                outcomes.withdraw(ctx, did, "No longer needed: the plan was changed.")
                answer = "ok withdrawn"
            elif parts[0] == "respond":
                ds.record_response(ctx, did, f"Response from {ctx.actor_id}.")
                answer = "ok responded"
            else:
                answer = f"refused Unknown {parts[0]}"
        except ConflictError as exc:
            answer = f"conflict {exc.message}"
        except DomainError as exc:
            answer = f"refused {type(exc).__name__} {exc.message}"
        print(answer.replace("\n", " "), flush=True)
    close_database()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
