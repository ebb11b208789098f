"""The benchmarks' bulk database builder keeps up with the schema (a migration adding a
NOT NULL column once broke it unnoticed): a small database builds and reads back pinned."""

from __future__ import annotations

import sys
from pathlib import Path

from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database
from drp_tui.store.queries import CaseloadQuery, caseload_count

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_builder_makes_a_caseload_the_desk_reads(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import bench_caseload
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    close_database()
    path = tmp_path / "bench.db"
    bench_caseload.build(path, 50)
    open_database(str(path))
    try:
        assert caseload_count(CaseloadQuery(view="all")) == 50
        assert m.Dispute.select().where(m.Dispute.policy_digest == "").count() == 0
        assert m.PolicySnapshot.select().count() == 1
    finally:
        close_database()
