"""Operations: ``drp audit verify``, ``drp backup``, ``drp restore``, ``drp check``, ``drp migrate status``.

Exit status: 0 all well; 1 a problem was found (each printed on its own line);
2 a usage or setup problem (one line on stderr). Output names rows by id and
tables by name only: never a child's or a person's details.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from peewee import PeeweeException

from drp_tui.bootstrap import Setup, SetupError, load_setup, redact
from drp_tui.cli import UsageError
from drp_tui.domain.timeutil import SystemClock
from drp_tui.store import audit
from drp_tui.store import backup as bk
from drp_tui.store.db import StoreError, close_database, open_database, schema_status, sqlite_path, write_txn
from drp_tui.store.models import database


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("audit", help="audit trail: 'drp audit verify' checks the hash chain")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = asub.add_parser("verify", help="check that no event was edited, inserted, deleted, reordered or cut "
                                       "off, and that no covered row changed since its last event")
    v.set_defaults(func=run_audit_verify)
    r = asub.add_parser("rekey", help="create the audit key file (and head file) if there is none")
    r.set_defaults(func=run_audit_rekey)
    g = asub.add_parser("digest", help="each event's digest (its link in the chain), to check an evidence bundle")
    g.add_argument("event_ids", nargs="+", type=int, metavar="EVENT", help="an event's number")
    g.set_defaults(func=run_audit_digest)
    a = asub.add_parser("access", help="who opened a child's disputes or history (ids, who and when)")
    a.add_argument("case_number", metavar="CASE_NUMBER", help="the child's case number")
    a.set_defaults(func=run_audit_access)

    p = sub.add_parser("backup", help="write a consistent copy of the database (safe while in use)")
    p.add_argument("path", metavar="PATH", help="backup file to create (or a folder: a dated name is chosen)")
    p.add_argument("--force", action="store_true", help="replace PATH if it exists")
    p.set_defaults(func=run_backup)

    p = sub.add_parser("restore", help="replace the database with a checked backup")
    p.add_argument("path", metavar="PATH", help="backup file written by 'drp backup'")
    p.add_argument("--force", action="store_true", help="restore even if sessions have the database open")
    p.set_defaults(func=run_restore)

    p = sub.add_parser("check", help="integrity, foreign keys, audit chain, migrations, permissions")
    p.set_defaults(func=run_check)

    p = sub.add_parser("migrate", help="schema migrations: 'drp migrate status'")
    msub = p.add_subparsers(dest="migrate_command", metavar="ACTION", required=True)
    s = msub.add_parser("status", help="list applied and pending migrations")
    s.set_defaults(func=run_migrate_status)


# ---------------------------------------------------------------- helpers


def _setup(args: argparse.Namespace) -> Setup:
    try:
        return load_setup(args, open_db=False)
    except SetupError as exc:
        raise UsageError(str(exc)) from None


def _open(setup: Setup, *, check_perms: bool = True) -> None:
    """Open the database without migrating it (these commands report; ``drp init`` changes)."""
    path = sqlite_path(setup.db_target)
    if path is not None and not path.exists():
        raise UsageError(f"{path} does not exist (create it with: drp init)")
    try:
        open_database(setup.db_target, migrate=False, shared_group=setup.config.shared_group,
                      check_perms=check_perms, audit_key=setup.config.audit_key)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:  # a driver error: which database and what kind, no traceback
        raise UsageError(f"cannot open database {redact(setup.db_target)}: {type(exc).__name__}") from None


def _sqlite_only(setup: Setup, doing: str) -> Path:
    path = sqlite_path(setup.db_target)
    if path is None:
        raise UsageError(f"{doing} works on a SQLite file; for a server database use its own tools "
                         "(PostgreSQL: pg_dump / pg_restore)")
    return path


def _print_lines(lines: list[bk.CheckLine]) -> int:
    for line in lines:
        print(f"{'ok     ' if line.ok else 'PROBLEM'}  {line.name}: {line.detail}")
    return 0 if bk.ok(lines) else 1


# ---------------------------------------------------------------- commands


def run_audit_verify(args: argparse.Namespace) -> int:
    setup = _setup(args)
    _open(setup)
    try:
        lines = bk.audit_lines(database.obj)
    except (sqlite3.DatabaseError, PeeweeException) as exc:
        print(f"drp: cannot read the audit trail: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        close_database()
    if bk.ok(lines):
        print(f"OK: {lines[0].detail}")
        return 0
    for line in lines:
        print(line.detail)
    return 1


def run_backup(args: argparse.Namespace) -> int:
    setup = _setup(args)
    path = _sqlite_only(setup, "backup")
    try:
        if path.exists():
            from drp_tui.store.db import check_permissions

            check_permissions(path, setup.config.shared_group)
            # Recorded first, so that the backup holds the record of its own making.
            _record(setup, "backup", f"Backup requested: {Path(args.path).name or args.path}")
        result = bk.backup_database(path, Path(args.path), force=args.force,
                                    shared_group=setup.config.shared_group)
    except (StoreError, bk.BackupError) as exc:
        print(f"drp: backup: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as exc:
        print(f"drp: backup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"backup written: {result.path} ({result.size:,} bytes, {result.pages:,} pages, "
          f"{result.seconds:.2f} s, integrity ok)")
    key = audit.files()
    if key is not None:
        print(f"the audit key file {key[0]} is not in the backup: keep a copy of it apart from the backups")
    return 0


def _record(setup: Setup, kind: str, summary: str) -> None:
    """An operator's event (no staff account) in the database, e.g. a backup taken."""
    try:
        open_database(setup.db_target, migrate=False, shared_group=setup.config.shared_group,
                      audit_key=setup.config.audit_key)
        with write_txn():
            audit.append(SystemClock().now(), None, kind, summary)
    except (StoreError, sqlite3.Error, PeeweeException, OSError) as exc:
        print(f"drp: could not record the {kind} in the audit trail: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        close_database()


def run_restore(args: argparse.Namespace) -> int:
    setup = _setup(args)
    path = _sqlite_only(setup, "restore")
    close_database()  # never hold the target open here: see backup.sessions_live
    audit.configure(setup.db_target, setup.config.audit_key, setup.config.shared_group)  # the backup is checked with it
    try:
        result = bk.restore_database(Path(args.path), path, force=args.force,
                                     shared_group=setup.config.shared_group)
    except bk.BackupError as exc:
        print(f"drp: restore: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"drp: restore failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if result.kept:
        print(f"the database as it was is kept at {result.kept}")
    print(f"restored {path} from {result.restored_from} ({result.seconds:.2f} s)")
    try:  # bring an older backup's schema up to date, record the restore, reset the head, check everything
        open_database(setup.db_target, shared_group=setup.config.shared_group, audit_key=setup.config.audit_key)
        with write_txn():
            audit.append(SystemClock().now(), None, "restore",
                         f"Database restored from backup {result.restored_from.name}")
        audit.write_head(force=True)  # the restored chain's end is the end now
        return _print_lines(bk.run_checks(database.obj, path, setup.config.shared_group))
    except (StoreError, sqlite3.Error, PeeweeException) as exc:
        print(f"drp: the restored database could not be opened: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        close_database()


def run_audit_rekey(args: argparse.Namespace) -> int:
    setup = _setup(args)
    _open(setup)
    try:
        if not all(applied for _, applied in schema_status(database.obj)):
            raise UsageError("the database schema is not up to date; run: drp init")
        path, created = audit.create_key(shared_group=setup.config.shared_group, now=SystemClock().now())
        if not created:
            audit.write_head()
            print(f"the audit key file exists already: {path} (nothing changed)")
            return 0
        print(f"audit key created: {path}")
        heads = audit.files()
        if heads:
            print(f"head file: {heads[1]}")
        print("keep a copy of the key file apart from the database backups")
        return 0
    finally:
        close_database()


def run_audit_digest(args: argparse.Namespace) -> int:
    """``event N: DIGEST`` for each event asked for (no content: ids and digests only)."""
    setup = _setup(args)
    _open(setup)
    try:
        found = audit.digests(list(args.event_ids))
    finally:
        close_database()
    missing = 0
    for n in args.event_ids:
        if n in found:
            print(f"event {n}: {found[n][1]}")
        else:
            print(f"event {n}: no such event")
            missing += 1
    return 1 if missing else 0


def run_audit_access(args: argparse.Namespace) -> int:
    setup = _setup(args)
    _open(setup)
    try:
        from drp_tui.store import models as m
        from drp_tui.domain.timeutil import format_london
        from drp_tui.store.access_log import accesses  # (this command only: not for every command's start)

        child = m.Child.get_or_none(m.Child.case_number == args.case_number)
        if child is None:
            print(f"drp: no child with case number {args.case_number}", file=sys.stderr)
            return 1
        rows = accesses(child.id)
        print(f"child id {child.id}: {len(rows)} access(es)")
        for a in rows:
            who = f"staff {a.actor_id} ({a.username})" if a.actor_id is not None else "operator"
            print(f"{format_london(a.at)}  event {a.event_id}  {who}  {a.summary}")
        return 0
    finally:
        close_database()


def run_check(args: argparse.Namespace) -> int:
    setup = _setup(args)
    path = sqlite_path(setup.db_target)
    print(f"database: {redact(setup.db_target)}")
    if path is not None and path.exists():
        perms = bk.permission_lines(path, setup.config.shared_group)
        if not bk.ok(perms):
            # Opening would give SQLite's new -wal/-shm files the same open permissions.
            _print_lines(perms)
            print("PROBLEM  other checks: not run until the permissions are fixed")
            return 1
    _open(setup)
    try:
        lines = bk.run_checks(database.obj, path, setup.config.shared_group)
        lines += procedure_lines(setup)
        lines += mail_lines(setup)
    except (sqlite3.DatabaseError, PeeweeException) as exc:
        lines = [bk.CheckLine("database", False, f"cannot be read: {type(exc).__name__}: {exc}")]
    finally:
        close_database()
    return _print_lines(lines)


def procedure_lines(setup: Setup) -> list[bk.CheckLine]:
    """Which procedure the open disputes run under. Disputes on older profile versions are
    reported, not a problem (they keep the rules they started under); a pinned profile
    whose stored content is missing or altered is."""
    from drp_tui.services import pinning

    if not all(applied for _, applied in schema_status(database.obj)):
        return []  # the migrations line says so already
    policy = setup.policy
    rep = pinning.pin_report(policy)
    lines = [bk.CheckLine("procedures", True, f"{rep.current} open dispute(s) on the current profile "
                                              f"{policy.key} v{policy.version}")]
    if rep.older:
        each = ", ".join(f"{key} v{version}: {n}" for key, version, n in rep.older)
        total = sum(n for _, _, n in rep.older)
        lines.append(bk.CheckLine("procedures", True, f"{total} open dispute(s) on older profile versions ({each}); "
                                                      "they keep those rules: run drp policies upgrade to move them"))
    waiting = rep.unpinned - sum(n for _, n in rep.unpinnable)
    if waiting:
        lines.append(bk.CheckLine("procedures", True, f"{waiting} dispute(s) written before pinning, not "
                                                      "pinned yet: pinned at the next open of the desk or drp user"))
    if rep.unpinnable:
        each = ", ".join(f"{key}: {n}" for key, n in rep.unpinnable)
        lines.append(bk.CheckLine("procedures", False, f"dispute(s) written before pinning under a profile key that "
                                                       f"exists nowhere now ({each}): they run under "
                                                       f"{policy.key} v{policy.version}; configure their profile "
                                                       "and open the desk once to pin them"))
    if rep.missing:
        lines.append(bk.CheckLine("procedures", False, f"{len(rep.missing)} pinned profile(s) missing or unreadable: "
                                                       + ", ".join(d[:12] for d in rep.missing)))
    if rep.bad_snapshots:
        lines.append(bk.CheckLine("procedures", False, "profile snapshot(s) whose content no longer matches its "
                                                       "digest: " + ", ".join(d[:12] for d in rep.bad_snapshots)))
    return lines


def mail_lines(setup: Setup) -> list[bk.CheckLine]:
    """The e-mail outbox ('drp notify'): mail given up after its last attempt, or waiting to be
    tried again after a failure, is a problem (someone should look at the mail relay or at a
    person's e-mail address); mail queued and not yet sent is not."""
    from drp_tui.services import notify

    if not all(applied for _, applied in schema_status(database.obj)):
        return []
    st = notify.outbox_state(SystemClock().now())
    if setup.config.mail is None and not (st.pending or st.failed or st.stuck):
        return [bk.CheckLine("mail", True, "off (no [mail] table in the config)")]
    lines = [bk.CheckLine("mail", True, f"{st.pending - st.retrying} mail(s) queued to send")]
    why = f" (last failure: {st.last_error})" if st.last_error else ""
    if st.retrying:
        lines.append(bk.CheckLine("mail", False, f"{st.retrying} mail(s) failed and wait to be tried again{why}"))
    if st.failed:
        lines.append(bk.CheckLine("mail", False, f"{st.failed} mail(s) given up after their last attempt{why}"))
    if st.stuck:
        lines.append(bk.CheckLine("mail", False, f"{st.stuck} mail(s) claimed by a run of drp notify that did not "
                                                 "finish; the next run sends them again"))
    if setup.config.mail is None and st.pending:
        lines.append(bk.CheckLine("mail", False, "mail is off (no [mail] table) but mail is queued"))
    pw = setup.config.mail.password_file if setup.config.mail is not None else None
    if pw is not None:
        try:
            mode = Path(pw).stat().st_mode
        except OSError as exc:
            lines.append(bk.CheckLine("mail", False, f"password_file {pw}: {exc.strerror or type(exc).__name__}"))
        else:
            if mode & 0o004:
                lines.append(bk.CheckLine("mail", False, f"password_file {pw} can be read by every user on this "
                                                         f"machine; fix it with: chmod o-rwx {pw}"))
    return lines


def run_migrate_status(args: argparse.Namespace) -> int:
    setup = _setup(args)
    _open(setup)
    try:
        status = schema_status(database.obj)
    finally:
        close_database()
    print(f"database: {redact(setup.db_target)}")
    for name, applied in status:
        print(f"  {'applied' if applied else 'pending'}  {name}")
    pending = sum(1 for _, applied in status if not applied)
    print(f"{pending} pending" + (" (apply with: drp init)" if pending else ""))
    return 0
