"""The caseload at 80x24 under every built-in profile (demo data of that profile, frozen clock): rows and
stages tell apart at 80 columns, with the profile's short stage labels and short references.

Accept changes only after looking at the SVGs: ``pytest tests/snapshots/test_snap_profiles.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.snapshots.test_snap_screens import SIZE
from tests.ui.conftest import demo_template, make_app  # noqa: F401  (fixtures)
from tests.ui.screens_helpers import settle

PROFILES = ("durham-rp", "knowsley-dr", "mosaic-cpc", "mosaic-iro", "tower-hamlets-alerts")


async def _loaded(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("6")  # all the chair's disputes, of every stage
    await settle(pilot, rounds=6)


@pytest.mark.parametrize("policy_key", PROFILES)
def test_caseload_at_80_columns(policy_key: str, snap_compare: Any, make_app: Any) -> None:
    assert snap_compare(make_app("cpatel", policy_key=policy_key), terminal_size=SIZE, run_before=_loaded)


HOME_USERS = ("cpatel", "dwhitlow", "osman")  # a chair, a manager who responds, the IRO service manager (oversight)


@pytest.mark.parametrize("policy_key", PROFILES)
@pytest.mark.parametrize("user", HOME_USERS)
def test_home_at_80_columns(user: str, policy_key: str, snap_compare: Any, make_app: Any) -> None:
    """My work, the first screen after sign-in, for each kind of person under each built-in profile."""
    assert snap_compare(make_app(user, policy_key=policy_key, home="work"), terminal_size=SIZE, run_before=settle)
