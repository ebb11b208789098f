"""The benchmarks' bulk database builder keeps up with the schema (a migration adding a
NOT NULL column once broke it unnoticed): a small database builds and reads back pinned."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from peewee import fn

from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database
from drp_tui.store.queries import CaseloadQuery, caseload_count, caseload_page

ROOT = Path(__file__).resolve().parents[2]


def built(tmp_path: Path, n: int = 50) -> tuple[Any, Path]:
    """``scripts/bench_caseload.py`` (imported from its folder) and a database it built of ``n`` disputes."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import bench_caseload
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    close_database()
    path = tmp_path / "bench.db"
    bench_caseload.build(path, n)
    return bench_caseload, path


def test_the_benchmark_builder_makes_a_caseload_the_desk_reads(tmp_path: Path) -> None:
    _, path = built(tmp_path)
    open_database(str(path))
    try:
        assert caseload_count(CaseloadQuery(view="all")) == 50
        assert m.Dispute.select().where(m.Dispute.policy_digest == "").count() == 0
        assert m.PolicySnapshot.select().count() == 1
    finally:
        close_database()


def test_the_benchmark_copies_its_database_into_postgresql(tmp_path: Path, pg_url: str) -> None:
    """``--pg``: the same figures on PostgreSQL, from the same rows (the copy keeps up with the schema)."""
    bench_caseload, path = built(tmp_path)
    bench_caseload.copy_to_postgres(path, pg_url)
    open_database(pg_url)
    try:
        assert caseload_count(CaseloadQuery(view="all")) == 50
        assert len(caseload_page(CaseloadQuery(view="all"), 0, 19)) == 19
        assert m.Dispute.select().where(m.Dispute.policy_digest == "").count() == 0
        team = m.Team.create(name="Made after the copy", kind="social_care")  # (ids go on past the copied rows)
        assert team.id == m.Team.select(fn.MAX(m.Team.id)).scalar()
    finally:
        close_database()
