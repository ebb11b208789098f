"""Children imported per second: ``drp import children`` on a made-up 50,000-row export.

    python scripts/bench_import.py [--rows 50000] [--keep DIR]

Builds a fresh database (``drp init``, teams and staff through ``drp import``), writes a
CSV of ``--rows`` made-up children (Windows-1252, DD/MM/YYYY, sibling groups, chairs
and social workers named by user name or full name), then runs the whole command as a
separate process, twice: the first import (every child new) and the same file again
(every child unchanged). Prints rows per second of wall time and the process's peak
memory (``/usr/bin/time -v`` when it is there, else the child's ru_maxrss).
Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = ["Amara", "Ben", "Chloë", "Dylan", "Esme", "Finn", "Grace", "Harvey", "Isla", "Jack", "Kayla", "Leo",
         "Maya", "Noah", "Olivia", "Piotr", "Rosa", "Sami", "Tia", "Zoë"]
LAST = ["Brook", "Carter", "Dunn", "Evans", "Fenwick", "Gill", "Hart", "Iqbal", "Jones", "Khan", "Lowe",
        "Mills", "Nash", "O'Neill", "Price", "Reid", "Shah", "Todd", "Walsh", "Young"]
TEAMS = [f"Children's Team {n}" for n in ("North", "South", "East", "West")]
STATUSES = ["CLA", "CP", "CIN"]


def drp(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "drp_tui", "--db", db, *args], cwd=ROOT, text=True,
                          capture_output=True, check=False)


def build(folder: Path, rows: int) -> tuple[str, Path]:
    db = str(folder / "bench.db")
    env_ok = drp(db, "init")
    if env_ok.returncode:
        sys.exit(env_ok.stderr)
    (folder / "teams.csv").write_text("name,kind\nIRO Service,iro_service\n"
                                      + "".join(f"{t},social_care\n" for t in TEAMS), encoding="utf-8")
    staff = ["username,name,role,team"]
    staff += [f"chair{i},Chair Person {i},chair,IRO Service" for i in range(20)]
    staff += [f"sw{i},Social Worker {i},responder,{TEAMS[i % 4]}" for i in range(80)]
    (folder / "staff.csv").write_text("\n".join(staff) + "\n", encoding="utf-8")
    for what in ("teams", "staff"):
        done = drp(db, "import", what, str(folder / f"{what}.csv"))
        if done.returncode:
            sys.exit(done.stderr)
    rng = random.Random(7)
    lines = ["case_number,name,date_of_birth,legal_status,team,social_worker,chair,family_id,lead_team"]
    for n in range(rows):
        team = TEAMS[n % 4]
        family = f"FAM{n // 3}" if n % 5 < 3 else ""
        sw = f"sw{rng.randrange(80)}" if n % 2 else f"Social Worker {rng.randrange(80)}"
        lines.append(f"C{100000 + n},{rng.choice(FIRST)} {rng.choice(LAST)},"
                     f"{rng.randrange(1, 28):02d}/{rng.randrange(1, 13):02d}/{2008 + rng.randrange(17)},"
                     f"{STATUSES[n % 3]},{team},{sw},chair{rng.randrange(20)},{family},{team if family else ''}")
    csv_path = folder / "children.csv"
    csv_path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return db, csv_path


def timed(db: str, csv_path: Path) -> tuple[float, str, str]:
    """(seconds, peak memory text, stdout) of one ``drp import children`` process."""
    cmd = [sys.executable, "-m", "drp_tui", "--db", db, "import", "children", str(csv_path)]
    gnu_time = shutil.which("time") if Path("/usr/bin/time").exists() else None
    if gnu_time:
        cmd = ["/usr/bin/time", "-v", *cmd]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(done.stdout + done.stderr)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if peak:
        kb = int(peak.group(1))
    else:
        kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, f"{kb / 1024:.0f} MB", done.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--keep", metavar="DIR", help="build in DIR and keep it (default: a temporary folder)")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="drp-bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_DATA_HOME", str(folder / "data"))
    os.environ.setdefault("XDG_CONFIG_HOME", str(folder / "config"))
    try:
        db, csv_path = build(folder, args.rows)
        size = csv_path.stat().st_size / (1024 * 1024)
        print(f"{args.rows} rows, {size:.1f} MB (Windows-1252, DD/MM/YYYY)")
        for label in ("first import (all new)", "same file again (all unchanged)"):
            seconds, peak, out = timed(db, csv_path)
            summary = " / ".join(line for line in out.splitlines() if re.match(r"(new|changed|unchanged):", line))
            print(f"{label}: {seconds:.1f} s, {args.rows / seconds:,.0f} children/s, peak {peak}  [{summary}]")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
