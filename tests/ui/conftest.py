"""UI test fixtures: the demo database built once (frozen clock), copied per test.

``make_app(user="cpatel", size=...)`` gives a DrpApp on a fresh copy of the
demo data, signed in as ``user`` (None = at the log-in screen), clock frozen at
FROZEN_NOW. It opens on the caseload (config ``home = "caseload"``), where most tests
start; pass ``home="work"`` for the installed default, the "my work" home screen. Use ``app.desk.clock`` (a FrozenClock) to move time.
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drp_tui.bootstrap import Setup
from drp_tui.config import Config
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services.demo import build_demo
from drp_tui.store import audit
from drp_tui.store.db import close_database, open_database
from tests.conftest import FROZEN_NOW


def _build_template(path: Path, policy_key: str) -> None:
    open_database(str(path))
    audit.create_key()
    build_demo(load_builtin(policy_key), WorkingCalendar("ENG"), FROZEN_NOW)
    close_database()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Callable[[str], Path]:
    """The demo database of a profile, built once for the whole run: the test processes
    (pytest-xdist workers) share one folder, and the first to need a profile builds it under
    a lock while the others wait for it (building one takes seconds)."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if worker_id != "master" else base) / "demo-templates"
    shared.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}

    def get(policy_key: str = "mosaic-iro") -> Path:
        if policy_key not in made:
            path = shared / f"{policy_key}.db"
            done = shared / f"{policy_key}.done"
            with open(shared / f"{policy_key}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not done.exists():
                    _build_template(path, policy_key)
                    done.write_text("built\n", encoding="utf-8")
            made[policy_key] = path
        return made[policy_key]

    return get


@pytest.fixture
def make_app(tmp_path: Path, demo_template: Callable[[str], Path]) -> Iterator[Callable[..., object]]:
    from drp_tui.ui.app import DrpApp

    def factory(user: str | None = "cpatel", policy_key: str = "mosaic-iro", settle_heap: bool = False,
                **config: object) -> DrpApp:
        db = tmp_path / "desk.db"
        if not db.exists():
            template = demo_template(policy_key)
            shutil.copy(template, db)
            for suffix in (".key", ".head"):  # the template's audit key and head go with it
                shutil.copy(f"{template}{suffix}", f"{db}{suffix}")
        open_database(str(db))
        policy = load_builtin(policy_key)
        config.setdefault("home", "caseload")
        setup = Setup(Config(db=str(db), policy=policy_key, **config), str(db), policy,  # type: ignore[arg-type]
                      WorkingCalendar("ENG"))
        return DrpApp(setup, policy=policy, sign_in_as=user, clock=FrozenClock(FROZEN_NOW), settle_heap=settle_heap)

    yield factory
    close_database()
