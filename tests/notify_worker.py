"""One ``drp notify`` in its own process, for the concurrency test (tests/unit/test_notify.py).

``python -m tests.notify_worker ISO_NOW ARG...`` freezes the command's clock at ISO_NOW,
prints ``ready``, waits for one line on stdin (the parent writes it to every worker at
once: the barrier; nothing sleeps), then runs ``drp ARG...`` and prints ``exit N``. Only the
``notify`` command is loaded (the whole command line would import the desk too: slow to start).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from drp_tui.cli import notify
from drp_tui.domain.timeutil import FrozenClock


def main() -> int:
    notify.CLOCK = FrozenClock(datetime.fromisoformat(sys.argv[1]))
    parser = argparse.ArgumentParser(prog="drp")
    parser.add_argument("--db")
    parser.add_argument("--config")
    notify.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(sys.argv[2:])
    print("ready", flush=True)
    sys.stdin.readline()
    status = args.func(args)
    print(f"exit {status}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
