"""PostgreSQL for tests: the server named by DRP_TEST_PG_URL, or a skip saying why.

In CI (``CI=true``) a missing URL is a failure, not a skip: CI starts a server, so
a PostgreSQL test that did not run is a broken CI, not a passing one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_URL = os.environ.get("DRP_TEST_PG_URL", "")


def require_pg() -> str:
    if not PG_URL:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("DRP_TEST_PG_URL is not set in CI: the PostgreSQL tests must run there")
        pytest.skip("DRP_TEST_PG_URL not set (no PostgreSQL server here)")
    return PG_URL


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new empty database on the test server (its URL), dropped afterwards: tests
    running in parallel never share one."""
    import psycopg2

    base = require_pg()
    name = f"drptest_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(base)
    admin.autocommit = True
    try:
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def only_on(engine: str, why: str) -> None:
    """Skip the rest of a two-engine test (``either_world``) unless the open database is ``engine``
    ("sqlite" or "postgresql"): ``why`` says which mechanism the other engine has instead."""
    from peewee import SqliteDatabase

    from drp_tui.store import models as m

    if isinstance(m.database.obj, SqliteDatabase) != (engine == "sqlite"):
        pytest.skip(why)
