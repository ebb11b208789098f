"""Many sessions on one SQLite file: N processes x M operations, then exact counts.

    python scripts/load_test.py [--procs 20] [--ops 200] [--chairs 4] [--db PATH] [--seed 1]

Each worker is its own OS process (as every SSH session is on the central box)
and opens the database itself. Its operations are a mix of raise / update_draft /
send / record_response / decide, each made with the version the worker read a
moment before (optimistic locking), so workers collide on purpose. Every
operation must either commit or be refused with a DomainError (a message for a
person); anything else is a failure, and a "database is locked" reaching the
caller is counted separately.

Afterwards the database must hold exactly what the workers say they committed:
one dispute per committed raise, one event per committed operation (plus one
'refused' event per PermissionDenied), each dispute's version = 2 + the
operations committed on it, each dispute's concern = the text of its last
committed edit; and it must pass integrity, foreign-key and audit checks.
Prints counts and p50/p95/p99 latency. Exit status 0 only if everything matched.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

POLICY = "mosaic-iro"
START_STAGE = "stage_1"
CHILDREN_PER_CHAIR = 6


# ---------------------------------------------------------------- the world


def setup_world(path: Path, chairs: int, children_per_chair: int = CHILDREN_PER_CHAIR) -> dict[str, Any]:
    """A fresh database with a management chain, ``chairs`` chairs and their children."""
    from drp_tui.domain.model import Role
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.domain.timeutil import SystemClock
    from drp_tui.store import models as m
    from drp_tui.store.db import close_database, open_database, write_txn

    from drp_tui.store import audit

    policy = load_builtin(POLICY)
    open_database(str(path))
    audit.create_key()  # as drp init does: <db>.key and <db>.head
    now = SystemClock().now()
    with write_txn():
        sc = m.Team.create(name="Load Social Care", kind="social_care")
        iro = m.Team.create(name="Load IRO Service", kind="iro_service")

        def staff(username: str, role: Role, team: m.Team) -> m.Staff:
            return m.Staff.create(username=username, name=f"Person {username}", role=role.value,
                                  team=team, created_at=now)

        worker = staff("sw", Role.RESPONDER, sc)
        for i, level in enumerate(policy.levels):
            if level.holder == "allocated":
                m.TeamRole.create(team=sc, level=level.key, staff=worker)
                continue
            team = iro if level.holder == "chair_team" else sc
            m.TeamRole.create(team=team, level=level.key, staff=staff(f"lvl{i}", Role.RESPONDER, team))
        chair_ids, children = [], {}
        for c in range(chairs):
            chair = staff(f"chair{c}", Role.CHAIR, iro)
            chair_ids.append(chair.id)
            children[chair.id] = [
                m.Child.create(case_number=f"L{c:03d}{k:03d}", name=f"Child {c}.{k}", legal_status="CLA",
                               team=sc, chair=chair, social_worker=worker).id
                for k in range(children_per_chair)]
    close_database()
    return {"chairs": chair_ids, "children": {str(k): v for k, v in children.items()}}


# ---------------------------------------------------------------- one worker process


def worker_main(args: argparse.Namespace) -> int:
    """Runs in its own process: wait for 'go' on stdin, do the ops, print one JSON line."""
    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.domain.timeutil import SystemClock
    from drp_tui.services import disputes as ds
    from drp_tui.services import outcomes
    from drp_tui.services.context import Ctx
    from drp_tui.services.errors import DomainError, PermissionDenied
    from drp_tui.store import models as m
    from drp_tui.store.db import close_database, open_database

    world = json.loads(args.world)
    wid = args.worker
    rng = random.Random(args.seed * 1000 + wid)
    chair_id = world["chairs"][wid % len(world["chairs"])]
    my_children = world["children"][str(chair_id)]
    policy = load_builtin(POLICY)
    ctx = Ctx(chair_id, policy, WorkingCalendar("ENG"), SystemClock())
    open_database(args.db)
    # A session has shown its caseload (and so worked out this year's holidays) before it
    # first saves; do that here too, so the first write does not pay for it under the lock.
    ctx.calendar.add_working_days(ctx.today(), 5)
    print("ready", flush=True)
    sys.stdin.readline()  # the parent says go when every worker is ready

    results: list[dict[str, Any]] = []
    yesterday = ctx.today() - timedelta(days=1)

    def pick(where: Any) -> tuple[int, int] | None:
        rows = list(m.Dispute.select(m.Dispute.id, m.Dispute.version).where(where)
                    .order_by(m.Dispute.id.desc()).limit(8).tuples())
        return rng.choice(rows) if rows else None

    for k in range(args.ops):
        token = f"w{wid}-op{k}"
        r = rng.random()
        op, target, version = "raise", None, None
        if r < 0.40:
            got = pick((m.Dispute.raised_by == chair_id) & (m.Dispute.status == "draft"))
            if got:
                op, (target, version) = "update", got
        elif r < 0.60:
            got = pick((m.Dispute.raised_by == chair_id) & (m.Dispute.status == "draft"))
            if got:
                op, (target, version) = "send", got
        elif r < 0.80:
            got = pick(m.Dispute.status == "sent")  # any chair's: the responder acts
            if got:
                op, (target, version) = "respond", got
        elif r < 0.88:
            got = pick((m.Dispute.raised_by == chair_id) & (m.Dispute.status == "responded"))
            if got:
                op, (target, version) = "decide", got
        if args.think_ms:
            time.sleep(rng.expovariate(1 / args.think_ms) / 1000)  # a person between saves
        elif rng.random() < 0.5:
            time.sleep(rng.random() * 0.004)  # a person reading the screen: others may save meanwhile
        rec: dict[str, Any] = {"op": op, "did": target, "token": token}
        t0 = time.perf_counter()
        try:
            if op == "raise":
                ids = ds.raise_dispute(ctx, ds.RaiseInput(
                    child_ids=[rng.choice(my_children)], category="care_plan", start_stage=START_STAGE,
                    issue_arose=yesterday, concern=token))
                rec["did"] = ids[0]
            elif op == "update":
                rec["ver"] = ds.update_draft(ctx, target, version, {"concern": token})
            elif op == "send":
                ds.send(ctx, target, version=version)
            elif op == "respond":
                responder = (m.StageRecord.select(m.StageRecord.responder).where(m.StageRecord.dispute == target)
                             .order_by(m.StageRecord.seq.desc()).scalar())
                ds.record_response(ctx.as_actor(responder or chair_id), target, f"response {token}",
                                   version=version)
            elif op == "decide":
                outcomes.decide(ctx, target, resolved=rng.random() < 0.5, comment=f"decision {token}",
                                version=version)
            rec["ok"] = True
        except DomainError as exc:
            rec["ok"] = False
            rec["err"] = type(exc).__name__
            rec["denied"] = isinstance(exc, PermissionDenied)
            rec["msg"] = exc.message
        except Exception as exc:  # noqa: BLE001 - every other failure is what we are looking for
            rec["ok"] = False
            rec["err"] = type(exc).__name__
            rec["crash"] = True
            rec["locked"] = "database is locked" in str(exc) or "database is busy" in str(exc)
            rec["msg"] = str(exc)[:200]
        rec["ms"] = (time.perf_counter() - t0) * 1000
        results.append(rec)
    close_database()
    print(json.dumps(results), flush=True)
    return 0


# ---------------------------------------------------------------- the parent


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def verify(db: Path, results: list[dict[str, Any]]) -> list[str]:
    """Exact counts in the database against what the workers say they committed."""
    from drp_tui.store import backup as bk
    from drp_tui.store import models as m
    from drp_tui.store.db import close_database, open_database

    problems: list[str] = []
    committed = [r for r in results if r.get("ok")]
    by_op = Counter(r["op"] for r in committed)
    denied = sum(1 for r in results if r.get("denied"))
    open_database(str(db), migrate=False)
    try:
        n_disputes = m.Dispute.select().count()
        if n_disputes != by_op["raise"]:
            problems.append(f"disputes: {n_disputes} in the database, {by_op['raise']} raises committed")
        kinds = Counter(k for (k,) in m.Event.select(m.Event.kind).tuples())
        expected = {"raised": by_op["raise"], "edited": by_op["update"], "sent": by_op["send"],
                    "responded": by_op["respond"], "decided": by_op["decide"], "refused": denied}
        for kind, n in expected.items():
            if kinds.get(kind, 0) != n:
                problems.append(f"events '{kind}': {kinds.get(kind, 0)} in the database, {n} expected")
        extra = set(kinds) - set(expected)
        if extra:
            problems.append(f"unexpected event kinds: {sorted(extra)}")
        per_dispute: dict[int, int] = defaultdict(int)
        last_edit: dict[int, tuple[int, str]] = {}
        raised_token: dict[int, str] = {}
        for r in committed:
            if r["op"] == "raise":
                raised_token[r["did"]] = r["token"]
            else:
                per_dispute[r["did"]] += 1
            if r["op"] == "update" and (r["did"] not in last_edit or r["ver"] > last_edit[r["did"]][0]):
                last_edit[r["did"]] = (r["ver"], r["token"])
        for d in m.Dispute.select(m.Dispute.id, m.Dispute.version, m.Dispute.concern):
            want = 2 + per_dispute.get(d.id, 0)
            if d.version != want:
                problems.append(f"dispute {d.id}: version {d.version}, expected {want} (a lost or phantom write)")
            text = last_edit.get(d.id, (0, raised_token.get(d.id, "?")))[1]
            if d.concern != text:
                problems.append(f"dispute {d.id}: concern is {d.concern!r}, the last committed edit wrote {text!r}")
        for line in bk.run_checks(m.database.obj, db):
            if not line.ok:
                problems.append(f"{line.name}: {line.detail}")
    finally:
        close_database()
    return problems


def run(procs: int, ops: int, chairs: int, db: Path, seed: int, quiet: bool = False, think_ms: float = 0) -> int:
    t_setup = time.perf_counter()
    world = setup_world(db, chairs)
    setup_s = time.perf_counter() - t_setup
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "0", "--db", str(db),
           "--ops", str(ops), "--seed", str(seed), "--think-ms", str(think_ms), "--world", json.dumps(world)]
    children = []
    for w in range(procs):
        cmd[3] = str(w)
        children.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                         cwd=str(ROOT)))
    for p in children:
        line = p.stdout.readline() if p.stdout else ""
        if line.strip() != "ready":
            print(f"a worker did not start: {line!r}", file=sys.stderr)
            for q in children:
                q.kill()
            return 2
    t0 = time.perf_counter()
    for p in children:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    results: list[dict[str, Any]] = []
    failed_workers = 0
    for p in children:
        out, _ = p.communicate()
        if p.returncode != 0 or not out.strip():
            failed_workers += 1
            continue
        results.extend(json.loads(out.strip().splitlines()[-1]))
    wall = time.perf_counter() - t0

    committed = [r for r in results if r.get("ok")]
    refused = [r for r in results if not r.get("ok") and not r.get("crash")]
    crashes = [r for r in results if r.get("crash")]
    locked = [r for r in crashes if r.get("locked")]
    lat = [r["ms"] for r in results]
    print(f"load test: {procs} processes x {ops} operations on one SQLite file ({db}), "
          + (f"think time {think_ms:g} ms (mean) between operations" if think_ms else "no think time (saturation)"))
    print(f"  setup {setup_s:.1f} s, run {wall:.1f} s, "
          f"{len(results) / wall:.0f} operations/s overall")
    print(f"  operations: {len(results)} = {len(committed)} committed + {len(refused)} refused with a message"
          f" + {len(crashes)} failed ({len(locked)} 'database is locked')")
    ops_kinds = sorted({r['op'] for r in results})
    for op in ops_kinds:
        rs = [r for r in results if r["op"] == op]
        ok_n = sum(1 for r in rs if r.get("ok"))
        errs = Counter(r["err"] for r in rs if not r.get("ok"))
        ms = [r["ms"] for r in rs]
        print(f"  {op:8} {len(rs):5} ({ok_n} committed; refused: "
              + (", ".join(f"{k} {v}" for k, v in errs.most_common()) or "none")
              + f")  p50 {pct(ms, 50):.1f} ms  p99 {pct(ms, 99):.1f} ms")
    print(f"  latency (all): p50 {pct(lat, 50):.1f} ms  p95 {pct(lat, 95):.1f} ms  "
          f"p99 {pct(lat, 99):.1f} ms  max {max(lat or [0]):.1f} ms  mean {statistics.fmean(lat or [0]):.1f} ms")
    if not quiet:
        for r in refused[:3]:
            print(f"  e.g. refused {r['op']}: {r['err']}: {r['msg']}")
    for r in crashes[:10]:
        print(f"  FAILED {r['op']}: {r['err']}: {r['msg']}")
    problems = verify(db, results)
    if failed_workers:
        problems.append(f"{failed_workers} worker process(es) failed")
    if len(results) != procs * ops - failed_workers * ops:
        problems.append(f"{len(results)} results for {procs * ops} operations")
    if crashes:
        problems.append(f"{len(crashes)} operation(s) ended in an unexpected exception")
    for p in problems[:30]:
        print(f"  MISMATCH {p}")
    if len(problems) > 30:
        print(f"  ... {len(problems) - 30} more")
    print("  exact counts: " + ("OK (disputes, events by kind, versions, last edits, integrity, audit chain)"
                                if not problems else f"{len(problems)} problem(s)"))
    return 0 if not problems else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--procs", type=int, default=20)
    ap.add_argument("--ops", type=int, default=200)
    ap.add_argument("--chairs", type=int, default=4, help="chairs shared among the processes (collisions)")
    ap.add_argument("--db", help="database file to create (default: a temporary folder)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--think-ms", type=float, default=0,
                    help="mean pause between one process's operations (0: back to back, the worst case)")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--world", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        return worker_main(args)
    if args.db:
        db = Path(args.db)
        if db.exists():
            print(f"{db} exists; the load test needs a fresh file", file=sys.stderr)
            return 2
        return run(args.procs, args.ops, args.chairs, db, args.seed, args.quiet, args.think_ms)
    with tempfile.TemporaryDirectory(prefix="drp-load-") as tmp:
        os.chmod(tmp, 0o700)
        return run(args.procs, args.ops, args.chairs, Path(tmp) / "load.db", args.seed, args.quiet,
                   args.think_ms)


if __name__ == "__main__":
    raise SystemExit(main())
