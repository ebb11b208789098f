"""An authority's teams, staff and children in from CSV files, and kept current; one child at a time too.

Each import is one ``@service`` (one transaction, audited), for the installation's
administrator at the command line or an administrator of the desk:

* **upsert by key** (a child's case number, a team's name, a person's user name):
  a row like what is stored changes nothing; a changed row updates the record and
  records an event naming the fields; a new row adds one. Nothing is ever deleted:
  records missing from a full export are *reported* (``not_in_file``).
* **all or nothing**: every row is checked (format, then against the database) before
  anything is written; one bad row, and nothing is written, unless ``skip_bad``
  (the good rows are written, the bad ones listed). ``dry_run`` checks and reports only.
* a column the file does not have leaves that field as stored (an export without
  ``family_id`` does not break sibling groups up).
* people are named in a file by **user name, else full name** (an error if two
  accounts share that name); teams by name. Case and spacing do not matter.

New staff accounts get no password from a file: each gets a one-time set-up code
(``passwords.new_setup_code``; only its scrypt hash is stored, valid ``SETUP_CODE_DAYS``),
shown once to the administrator, with which the person chooses a password at their
first sign-in; or, where ``auth = "os"``, the account is linked to its OS login.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from drp_tui.domain.model import Role, Status
from drp_tui.domain.policy import BASE_STATUSES
from drp_tui.services import accounts
from drp_tui.services.accounts import (
    LEVEL_ROLES, OS_LOGIN_RE, TEAM_KINDS, USERNAME_RE,
)
from drp_tui.services.common import event, service
from drp_tui.services.context import Ctx
from drp_tui.services.csvfiles import CsvFile, Problem, clean_cell, norm_header, parse_date
from drp_tui.services.errors import DomainError, NotFound, ValidationError
from drp_tui.services.passwords import hash_setup_code, new_setup_code
from drp_tui.services.permissions import acting_admin
from drp_tui.store import models as m

LEGAL_STATUSES = BASE_STATUSES  # a profile's [[statuses]] add to these (Policy.legal_statuses)
MAX_AGE_YEARS = 30  # a date of birth further back is a typing mistake
SETUP_CODE_DAYS = 14
BATCH = 400  # case numbers per look-up of the ids just inserted

CHILD_FIELDS = ("case_number", "name", "date_of_birth", "legal_status", "team", "social_worker", "chair",
                "family_id", "lead_team")
CHILD_REQUIRED = ("case_number", "name", "legal_status", "team")
TEAM_FIELDS = ("name", "kind")
TEAM_REQUIRED = ("name",)
STAFF_FIELDS = ("username", "name", "email", "role", "team", "title", "levels", "os_login")
STAFF_REQUIRED = ("username", "name", "role")
STAFF_ALIASES = {"user_name": "username", "user": "username", "e_mail": "email", "full_name": "name",
                 "job_title": "title"}
OPEN = [s.value for s in Status if s.is_open]


@dataclass(frozen=True)
class Change:
    key: str  # case number, team name or user name
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ImportReport:
    what: str  # children | teams | staff | disputes
    rows: int
    new: tuple[str, ...] = ()
    changed: tuple[Change, ...] = ()
    unchanged: int = 0
    not_in_file: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    written: bool = False
    dry_run: bool = False
    codes: tuple[tuple[str, str], ...] = ()  # (user name, set-up code): shown once, never stored in clear
    os_linked: tuple[tuple[str, str], ...] = ()  # (user name, OS login) under auth = "os"
    references: tuple[tuple[str, str], ...] = ()  # disputes: (the old tracker's reference, the desk's)

    @property
    def skipped(self) -> int:
        return len({p.line for p in self.problems})


# --- who and which team, by name ------------------------------------------------------------------

def _key(text: str) -> str:
    return clean_cell(text).casefold()


class _Directory:
    """Teams and staff, loaded once per import, looked up by the names people write."""

    def __init__(self) -> None:
        self.teams = {_key(t.name): t for t in m.Team.select()}
        self.team_names = {t.id: t.name for t in self.teams.values()}
        staff = list(m.Staff.select())
        self.by_username = {s.username: s for s in staff}
        self.by_id = {s.id: s for s in staff}
        self.by_name: dict[str, list[m.Staff]] = {}
        for s in staff:
            self.by_name.setdefault(_key(s.name), []).append(s)

    def team(self, text: str) -> tuple[m.Team | None, str]:
        t = self.teams.get(_key(text))
        if t is None:
            return None, f"there is no team '{text}' (add it first: drp team add, or drp import teams)"
        return t, ""

    def person(self, text: str, roles: Iterable[Role], what: str) -> tuple[m.Staff | None, str]:
        s = self.by_username.get(text.strip()) or self.by_username.get(text.strip().lower())
        if s is None:
            found = self.by_name.get(_key(text), [])
            if len(found) > 1:
                users = ", ".join(sorted(x.username for x in found))
                return None, f"{len(found)} accounts are named '{text}' ({users}); give the user name"
            s = found[0] if found else None
        if s is None:
            return None, f"there is no staff account with the user name or name '{text}'"
        allowed = tuple(roles)
        if Role(s.role) not in allowed:
            return None, (f"{s.name} ({s.username}) is {'an' if s.role[0] in 'aeiou' else 'a'} {s.role}; "
                          f"{what} must be {' or '.join(r.value for r in allowed)}")
        if not s.active:
            return None, f"{s.name} ({s.username}) is disabled"
        return s, ""

    def username(self, staff_id: int | None) -> str:
        s = self.by_id.get(staff_id) if staff_id is not None else None
        return s.username if s is not None else ""


# --- children --------------------------------------------------------------------------------------

# Stored attribute of a child per column, and how a change is shown.
CHILD_ATTRS = {"name": "name", "date_of_birth": "date_of_birth", "legal_status": "legal_status",
               "team": "team_id", "social_worker": "social_worker_id", "chair": "chair_id",
               "family_id": "family", "lead_team": "lead_team_id"}


def _child_values(values: dict[str, str], present: Iterable[str], people: _Directory,
                  today: date, statuses: tuple[str, ...] = LEGAL_STATUSES) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The stored values a row (or a command) gives, for the columns present; and its problems.
    ``statuses``: the legal statuses accepted (CLA, CP, CIN and those the procedure in force names)."""
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    cols = set(present)

    def text(col: str, required: bool, limit: int = 200) -> str | None:
        v = values.get(col, "")
        if required and not v:
            problems.append((col, "is empty"))
            return None
        if len(v) > limit:
            problems.append((col, f"too long ({len(v)} characters; at most {limit})"))
            return None
        if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in v):
            problems.append((col, "has control characters"))
            return None
        return v

    cn = text("case_number", True, 64)
    if cn is not None:
        out["case_number"] = cn
    if "name" in cols:
        v = text("name", True)
        if v is not None:
            out["name"] = v
    if "legal_status" in cols:
        v = values.get("legal_status", "")
        known = {st.upper(): st for st in statuses}
        if v.upper() in known:
            out["legal_status"] = known[v.upper()]
        else:
            problems.append(("legal_status", (f"'{v}' is not a legal status" if v else "is empty")
                             + f" (one of {', '.join(statuses)}; a --map can name the export's words)"))
    if "date_of_birth" in cols:
        v = values.get("date_of_birth", "")
        if not v:
            out["date_of_birth"] = None
        else:
            try:
                dob = parse_date(v)
            except ValueError as exc:
                problems.append(("date_of_birth", str(exc)))
            else:
                if dob > today:
                    problems.append(("date_of_birth", f"{dob.strftime('%d/%m/%Y')} is in the future"))
                elif dob.year < today.year - MAX_AGE_YEARS:
                    problems.append(("date_of_birth", f"{dob.strftime('%d/%m/%Y')} is more than "
                                     f"{MAX_AGE_YEARS} years ago; check the year"))
                else:
                    out["date_of_birth"] = dob
    for col, required in (("team", True), ("lead_team", False)):
        if col not in cols:
            continue
        v = values.get(col, "")
        if not v:
            if required:
                problems.append((col, "is empty"))
            else:
                out[CHILD_ATTRS[col]] = None
            continue
        t, why = people.team(v)
        if t is None:
            problems.append((col, why))
        else:
            out[CHILD_ATTRS[col]] = t.id
    for col, roles in (("chair", (Role.CHAIR,)), ("social_worker", (Role.RESPONDER, Role.OVERSIGHT))):
        if col not in cols:
            continue
        v = values.get(col, "")
        if not v:
            out[CHILD_ATTRS[col]] = None
            continue
        s, why = people.person(v, roles, "the " + col.replace("_", " "))
        if s is None:
            problems.append((col, why))
        else:
            out[CHILD_ATTRS[col]] = s.id
    if "family_id" in cols:
        v = text("family_id", False, 64)
        if v is not None:
            out["family"] = v
    return out, problems


def _stored(c: m.Child, groups: dict[int, str]) -> dict[str, Any]:
    return {"name": c.name, "date_of_birth": c.date_of_birth, "legal_status": c.legal_status,
            "team_id": c.team_id, "social_worker_id": c.social_worker_id, "chair_id": c.chair_id,
            "family": groups.get(c.sibling_group_id, "") if c.sibling_group_id is not None else "",
            "lead_team_id": c.lead_team_id}


def _shown(attr: str, value: Any, people: _Directory) -> Any:
    if value is None or value == "":
        return None
    if attr in ("team_id", "lead_team_id"):
        return people.team_names.get(value, str(value))
    if attr in ("chair_id", "social_worker_id"):
        return people.username(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _column(attr: str) -> str:
    return next(col for col, a in CHILD_ATTRS.items() if a == attr)


class _Children:
    """Writes children: sibling groups by family id, events with the fields changed."""

    def __init__(self, ctx: Ctx, people: _Directory, by: str) -> None:
        self.ctx, self.people, self.by = ctx, people, by
        self.groups = {g.id: g.name for g in m.SiblingGroup.select()}
        self.group_ids = {name: gid for gid, name in self.groups.items()}

    def group(self, family: str) -> int | None:
        if not family:
            return None
        gid = self.group_ids.get(family)
        if gid is None:
            gid = int(m.SiblingGroup.create(name=family).id)
            self.group_ids[family] = gid
            self.groups[gid] = family
        return gid

    def diff(self, c: m.Child, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        stored = _stored(c, self.groups)
        out = {a: (stored[a], v) for a, v in values.items() if a in stored and stored[a] != v}
        if c.closed_on is not None and values.get("_reopen"):
            out["open"] = (False, True)
        return out

    def _attrs(self, values: dict[str, Any]) -> dict[str, Any]:
        attrs = {a: v for a, v in values.items() if a in CHILD_ATTRS.values() and a != "family"}
        if "family" in values:
            attrs["sibling_group_id"] = self.group(values["family"])
        return attrs

    def add(self, values: dict[str, Any], how: str) -> m.Child:
        attrs = self._attrs(values)
        c = m.Child.create(case_number=values["case_number"], **attrs)
        event(self.ctx, "child_added", f"Child {c.case_number} added{' ' + how if how else ''} {self.by}", child_id=int(c.id),
              after={k: _shown(a, v, self.people) for k, a in CHILD_ATTRS.items()
                     if (v := values.get(a)) is not None})
        return c

    def add_many(self, rows: list[dict[str, Any]], how: str) -> None:
        """``add`` for many children at once: one prepared INSERT each, then one event per child."""
        families = sorted({v["family"] for v in rows if v.get("family")} - set(self.group_ids))
        m.bulk_insert(m.SiblingGroup, [m.SiblingGroup.name], [(name,) for name in families])
        for i in range(0, len(families), BATCH):
            groups_query: Any = (m.SiblingGroup.select(m.SiblingGroup.id, m.SiblingGroup.name)
                                 .where(m.SiblingGroup.name.in_(families[i:i + BATCH])).tuples())
            for gid, name in groups_query:
                if name not in self.group_ids:
                    self.group_ids[name], self.groups[gid] = gid, name
                    m.note_write(m.SiblingGroup, gid)
        made: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for values in rows:
            attrs = self._attrs(values)
            attrs["case_number"] = values["case_number"]
            made.append((values, attrs))
        columns = ["case_number", "name", "legal_status", "date_of_birth", "team_id", "chair_id",
                   "social_worker_id", "sibling_group_id", "lead_team_id"]
        fields = [getattr(m.Child, c[:-3] if c.endswith("_id") else c) for c in columns]
        m.bulk_insert(m.Child, fields, [tuple(attrs.get(c) for c in columns) for _, attrs in made])
        for i in range(0, len(made), BATCH):
            batch = made[i:i + BATCH]
            query: Any = (m.Child.select(m.Child.case_number, m.Child.id)
                          .where(m.Child.case_number.in_([attrs["case_number"] for _, attrs in batch])).tuples())
            ids: dict[str, int] = dict(query)
            for values, attrs in batch:
                child_id = int(ids[attrs["case_number"]])
                m.note_write(m.Child, child_id)  # the audit trail digests the row, as for a save()
                event(self.ctx, "child_added", f"Child {attrs['case_number']} added{' ' + how if how else ''} "
                      f"{self.by}", child_id=child_id,
                      after={k: _shown(a, v, self.people) for k, a in CHILD_ATTRS.items()
                             if (v := values.get(a)) is not None})

    def update(self, c: m.Child, changes: dict[str, tuple[Any, Any]], how: str, kind: str = "child_changed") -> None:
        values = {a: new for a, (_, new) in changes.items() if a != "open"}
        for a, v in self._attrs(values).items():
            setattr(c, a, v)
        if "open" in changes:
            c.closed_on = None
        c.save()
        names = [("open to the service" if a == "open" else _column(a).replace("_", " ")) for a in changes]
        event(self.ctx, kind, f"Child {c.case_number}: {', '.join(names)} changed{' ' + how if how else ''} {self.by}",
              child_id=int(c.id),
              before={("open" if a == "open" else _column(a)): _shown(a, old, self.people)
                      for a, (old, _) in changes.items()},
              after={("open" if a == "open" else _column(a)): _shown(a, new, self.people)
                     for a, (_, new) in changes.items()})


def _file_problems(f: CsvFile, line_problems: list[tuple[int, str, str]]) -> list[Problem]:
    """The problems of each row, by line, then in the order of the file's columns."""
    order = {col: i for i, col in enumerate(f.headers)}
    found = sorted(line_problems, key=lambda x: (x[0], order.get(x[1], -1)))
    out = list(f.problems) + [Problem(line, f.header(col) if col else "", text) for line, col, text in found]
    return sorted(out, key=lambda p: p.line)


@service
def import_children(ctx: Ctx, f: CsvFile, *, dry_run: bool = False, skip_bad: bool = False,
                    full: bool = False) -> ImportReport:
    """Children from a case management system's export (see the module text).

    ``full``: the file is the whole caseload: open children not in it are listed
    (never closed or deleted; ``drp child close`` does that, one by one)."""
    who, by = acting_admin(ctx, "import children")
    people = _Directory()
    today = ctx.today()
    present = [c for c in CHILD_FIELDS if c in f.headers]
    existing = {c.case_number: c for c in m.Child.select()}
    kids = _Children(ctx, people, by)
    seen: dict[str, int] = {}
    bad: list[tuple[int, str, str]] = []
    plans: list[tuple[m.Child | None, dict[str, Any]]] = []
    for row in f.rows:
        values, problems = _child_values(row.values, present, people, today, ctx.policy.legal_statuses)
        cn = values.get("case_number")
        if cn is not None and cn in seen:
            problems.append(("case_number", f"{cn} is also on line {seen[cn]}"))
        elif cn is not None:
            seen[cn] = row.line
        if problems:
            bad.extend((row.line, col, text) for col, text in problems)
            continue
        plans.append((existing.get(cn or ""), values))
    found = _file_problems(f, bad)
    new: list[str] = []
    changed: list[Change] = []
    unchanged = 0
    write = not dry_run and (skip_bad or not found)
    adding: list[dict[str, Any]] = []
    for c, values in plans:
        if c is None:
            new.append(values["case_number"])
            adding.append(values)
            continue
        values["_reopen"] = True  # in the export: open to the service
        diff = kids.diff(c, values)
        if not diff:
            unchanged += 1
            continue
        changed.append(Change(c.case_number, tuple(("open" if a == "open" else _column(a)) for a in diff)))
        if write:
            kids.update(c, diff, "by import")
    if write and adding:
        kids.add_many(adding, "by import")
    missing = tuple(sorted(cn for cn, c in existing.items() if cn not in seen and c.closed_on is None)) \
        if full else ()
    report = ImportReport("children", len(f.rows), tuple(new), tuple(changed), unchanged, missing,
                          tuple(found), write and bool(new or changed), dry_run)
    if write and (new or changed):
        event(ctx, "children_imported",
              f"Children imported {by}: {len(new)} new, {len(changed)} changed, {unchanged} unchanged"
              + (f", {len(found)} problem(s) skipped" if found else ""),
              after={"new": len(new), "changed": len(changed), "unchanged": unchanged,
                     "not_in_file": len(missing), "skipped_lines": sorted({p.line for p in found})})
    return report


# --- one child at a time -----------------------------------------------------------------------------

def _one_child(case_number: str) -> m.Child:
    c = m.Child.get_or_none(m.Child.case_number == clean_cell(case_number or ""))
    if c is None:
        raise NotFound(f"case number: there is no child '{case_number}'")
    return c


def _refuse(problems: list[tuple[str, str]]) -> None:
    if problems:
        col, text = problems[0]
        raise ValidationError(f"{col.replace('_', ' ')}: {text}", field=col)


@service
def add_child(ctx: Ctx, case_number: str, name: str, legal_status: str, team: str, *,
              date_of_birth: str = "", chair: str = "", social_worker: str = "", family_id: str = "",
              lead_team: str = "") -> int:
    """Add one child (the same checks as the import). Dates as DD/MM/YYYY or YYYY-MM-DD."""
    who, by = acting_admin(ctx, "add children")
    raw = {"case_number": case_number, "name": name, "legal_status": legal_status, "team": team,
           "date_of_birth": date_of_birth, "chair": chair, "social_worker": social_worker,
           "family_id": family_id, "lead_team": lead_team}
    raw = {k: clean_cell(v or "") for k, v in raw.items()}
    people = _Directory()
    values, problems = _child_values(raw, CHILD_FIELDS, people, ctx.today(), ctx.policy.legal_statuses)
    _refuse(problems)
    if m.Child.select().where(m.Child.case_number == values["case_number"]).exists():
        raise ValidationError(f"case number: {values['case_number']} is already a child's "
                              "(change it with 'drp child edit')", field="case_number")
    return int(_Children(ctx, people, by).add(values, "").id)


@service
def edit_child(ctx: Ctx, case_number: str, changes: dict[str, str], *, kind: str = "child_changed") -> tuple[str, ...]:
    """Change some of a child's fields (column names as in the import: name, date_of_birth,
    legal_status, team, social_worker, chair, family_id, lead_team; "" clears an optional one).
    Returns the fields that changed; nothing changed is a DomainError."""
    who, by = acting_admin(ctx, "change children's records")
    if kind not in ("child_changed", "child_moved"):
        raise ValidationError("kind: child_changed or child_moved", field="kind")
    c = _one_child(case_number)
    unknown = sorted(set(changes) - set(CHILD_FIELDS) - {"case_number"})
    if unknown or "case_number" in changes:
        raise ValidationError(f"{(unknown or ['case_number'])[0].replace('_', ' ')}: not a field that can be "
                              "changed", field=(unknown or ["case_number"])[0])
    if not changes:
        raise ValidationError("nothing to change: give at least one field", field="changes")
    for k, v in changes.items():
        if v is not None and not isinstance(v, str):
            raise ValidationError(f"{k.replace('_', ' ')}: must be text", field=k)
    raw = {k: clean_cell(v or "") for k, v in changes.items()}
    raw["case_number"] = c.case_number
    people = _Directory()
    values, problems = _child_values(raw, [*changes, "case_number"], people, ctx.today(),
                                     ctx.policy.legal_statuses)
    _refuse(problems)
    kids = _Children(ctx, people, by)
    diff = kids.diff(c, values)
    if not diff:
        raise DomainError(f"Child {c.case_number} already has those values; nothing was changed.")
    kids.update(c, diff, "", kind)
    return tuple(_column(a) for a in diff)


@service
def close_child(ctx: Ctx, case_number: str, reason: str = "", on: date | None = None) -> None:
    """The child is no longer open to the service: kept, with its history (an import
    that lists the child again opens it again). Refused while it has open disputes."""
    who, by = acting_admin(ctx, "close children's records")
    c = _one_child(case_number)
    if c.closed_on is not None:
        raise DomainError(f"Child {c.case_number} was already closed on {c.closed_on.strftime('%d/%m/%Y')}.")
    n = m.Dispute.select().where((m.Dispute.child == c.id) & m.Dispute.status.in_(OPEN)).count()
    if n:
        raise DomainError(f"Child {c.case_number} has {n} open dispute(s): they are resolved or closed first.")
    day = on or ctx.today()
    if day > ctx.today():
        raise ValidationError("on: cannot be in the future", field="on")
    why = clean_cell(reason or "")[:200]
    c.closed_on = day
    c.save()
    event(ctx, "child_closed", f"Child {c.case_number} closed to the service {by}" + (f": {why}" if why else ""),
          child_id=int(c.id), before={"open": True}, after={"open": False, "closed_on": day.isoformat()})


# --- teams -------------------------------------------------------------------------------------------

def _team_kind(text: str) -> str | None:
    v = norm_header(text) if text else "social_care"
    return v if v in TEAM_KINDS else None


@service
def import_teams(ctx: Ctx, f: CsvFile, *, dry_run: bool = False, skip_bad: bool = False) -> ImportReport:
    """Teams by name (``kind``: social_care, the default, or iro_service)."""
    who, by = acting_admin(ctx, "import teams")
    existing = {_key(t.name): t for t in m.Team.select()}
    has_kind = "kind" in f.headers
    seen: dict[str, int] = {}
    bad: list[tuple[int, str, str]] = []
    plans: list[tuple[str, str]] = []
    for row in f.rows:
        name, kind_text = row.values["name"], row.values.get("kind", "")
        problems = []
        if not name:
            problems.append(("name", "is empty"))
        elif len(name) > 200:
            problems.append(("name", f"too long ({len(name)} characters; at most 200)"))
        elif _key(name) in seen:
            problems.append(("name", f"'{name}' is also on line {seen[_key(name)]}"))
        kind = _team_kind(kind_text)
        if kind is None:
            problems.append(("kind", f"'{kind_text}' is not a kind of team (one of {', '.join(TEAM_KINDS)})"))
        if problems:
            bad.extend((row.line, col, text) for col, text in problems)
            continue
        seen[_key(name)] = row.line
        plans.append((name, kind or "social_care"))
    found = _file_problems(f, bad)
    write = not dry_run and (skip_bad or not found)
    new: list[str] = []
    changed: list[Change] = []
    unchanged = 0
    for name, kind in plans:
        t = existing.get(_key(name))
        if t is None:
            new.append(name)
            if write:
                m.Team.create(name=name, kind=kind)
                event(ctx, "team_added", f"Team {name} ({kind}) added by import {by}",
                      after={"team": name, "kind": kind})
        elif has_kind and t.kind != kind:
            changed.append(Change(t.name, ("kind",)))
            if write:
                before = t.kind
                t.kind = kind
                t.save()
                event(ctx, "team_changed", f"Team {t.name}: kind changed from {before} to {kind} by import {by}",
                      before={"team": t.name, "kind": before}, after={"team": t.name, "kind": kind})
        else:
            unchanged += 1
    missing = tuple(sorted(t.name for k, t in existing.items() if k not in seen))
    return ImportReport("teams", len(f.rows), tuple(new), tuple(changed), unchanged, missing, tuple(found),
                        write and bool(new or changed), dry_run)


# --- staff and their levels ----------------------------------------------------------------------------

@dataclass
class _StaffPlan:
    line: int
    username: str
    values: dict[str, Any]  # name, email, role, team_id, title, os_login (for the columns present)
    levels: set[tuple[int, str]] | None  # None: the file has no levels column
    level_text: dict[tuple[int, str], str] = field(default_factory=dict)


def _levels(ctx: Ctx, text: str, people: _Directory) -> tuple[set[tuple[int, str]], dict[tuple[int, str], str], str]:
    """``level@Team;level@Team`` -> {(team id, level key)}; a level by key or label."""
    by_key = {lv.key.casefold(): lv.key for lv in ctx.policy.levels}
    by_key.update({_key(lv.label): lv.key for lv in ctx.policy.levels})
    out: set[tuple[int, str]] = set()
    shown: dict[tuple[int, str], str] = {}
    for part in (p.strip() for p in text.replace("|", ";").split(";")):
        if not part:
            continue
        level_text, at, team_text = part.partition("@")
        if not at or not team_text.strip():
            return set(), {}, f"'{part}': write each level as level@team, e.g. team_manager@North Team"
        level = by_key.get(_key(level_text)) or by_key.get(level_text.strip().casefold())
        if level is None:
            keys = ", ".join(lv.key for lv in ctx.policy.levels)
            return set(), {}, f"'{level_text.strip()}' is not a level of {ctx.policy.key} (one of {keys})"
        t, why = people.team(team_text)
        if t is None:
            return set(), {}, why
        out.add((t.id, level))
        shown[(t.id, level)] = f"{level}@{t.name}"
    return out, shown, ""


def _staff_row(ctx: Ctx, v: dict[str, str], present: set[str], people: _Directory, auth: str,
               line: int) -> tuple[_StaffPlan | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    username = v["username"].strip().lower()
    if not USERNAME_RE.match(username):
        problems.append(("username", f"'{v['username']}' is not a user name (2-64 lower-case letters, digits, "
                         "'.', '-' or '_', starting with a letter)"))
    values: dict[str, Any] = {}
    if not v["name"]:
        problems.append(("name", "is empty"))
    elif len(v["name"]) > 200 or any(ord(ch) < 32 for ch in v["name"]):
        problems.append(("name", "too long or has control characters"))
    else:
        values["name"] = v["name"]
    try:
        role = Role(v["role"].strip().lower())
        values["role"] = role.value
    except ValueError:
        role = None
        problems.append(("role", f"'{v['role']}' is not a role (one of {', '.join(r.value for r in Role)})"
                         if v["role"] else "is empty"))
    if "email" in present:
        mail = v.get("email", "")
        if mail and ("@" not in mail or " " in mail or len(mail) > 200):
            problems.append(("email", f"'{mail}' is not an e-mail address"))
        else:
            values["email"] = mail
    if "title" in present:
        values["title"] = v.get("title", "")[:200]
    if "team" in present:
        if v.get("team"):
            t, why = people.team(v["team"])
            if t is None:
                problems.append(("team", why))
            else:
                values["team_id"] = t.id
        else:
            values["team_id"] = None
    login = v.get("os_login", "") if "os_login" in present else ""
    if login:
        if not OS_LOGIN_RE.match(login) or login == "root":
            problems.append(("os_login", f"'{login}' is not an OS login this desk can link"))
        else:
            values["os_login"] = login
    levels: set[tuple[int, str]] | None = None
    shown: dict[tuple[int, str], str] = {}
    if "levels" in present:
        levels, shown, why = _levels(ctx, v.get("levels", ""), people)
        if why:
            problems.append(("levels", why))
        elif levels and role is not None and role not in LEVEL_ROLES:
            problems.append(("levels", f"a {role.value} cannot hold a management level (only "
                             f"{' or '.join(r.value for r in LEVEL_ROLES)})"))
    if problems:
        return None, problems
    return _StaffPlan(line, username, values, levels, shown), []


def _held(staff_id: int) -> set[tuple[int, str]]:
    return {(tr.team_id, tr.level) for tr in m.TeamRole.select().where(m.TeamRole.staff == staff_id)}


@service
def import_staff(ctx: Ctx, f: CsvFile, *, dry_run: bool = False, skip_bad: bool = False,
                 auth: str = "password", prepared: dict[str, tuple[str, str]] | None = None) -> ImportReport:
    """Staff by user name: name, e-mail, role, team, title, OS login and the levels held
    (``levels``: ``level@Team;level@Team``; with the column, the file says every level
    the person holds: one not listed is given up). New accounts get a one-time set-up
    code (returned once in ``codes``), or under ``auth = "os"`` their OS login (the
    ``os_login`` column, else the user name). ``prepared``: user name -> (code, its hash) made
    by ``prepare_codes`` before the transaction (scrypt is slow on purpose: the writers' lock
    is not held while it runs); a new account without one gets its code made here."""
    who, by = acting_admin(ctx, "import staff")
    people = _Directory()
    present = set(f.headers)
    seen: dict[str, int] = {}
    claimed: dict[tuple[int, str], tuple[int, str]] = {}
    bad: list[tuple[int, str, str]] = []
    plans: list[_StaffPlan] = []
    logins = {s.os_login: s.username for s in people.by_username.values() if s.os_login}
    for row in f.rows:
        plan, problems = _staff_row(ctx, row.values, present, people, auth, row.line)
        if plan is not None:
            if plan.username in seen:
                problems.append(("username", f"{plan.username} is also on line {seen[plan.username]}"))
            for key in sorted(plan.levels or ()):
                if key in claimed:
                    problems.append(("levels", f"{plan.level_text[key]} is also given on line {claimed[key][0]}"))
            s = people.by_username.get(plan.username)
            if s is None and auth == "os":
                plan.values.setdefault("os_login", plan.username)
            login = plan.values.get("os_login")
            if login and logins.get(login, plan.username) != plan.username:
                problems.append(("os_login" if "os_login" in present else "username",
                                 f"the OS login '{login}' is already linked to {logins[login]}"))
            if s is not None and plan.values.get("role") != s.role:
                problems.extend(_role_change_problems(s, plan))
        if problems:
            bad.extend((row.line, col, text) for col, text in problems)
            continue
        assert plan is not None
        seen[plan.username] = row.line
        for key in plan.levels or ():
            claimed[key] = (row.line, plan.username)
        if plan.values.get("os_login"):
            logins[plan.values["os_login"]] = plan.username
        plans.append(plan)
    found = _file_problems(f, bad)
    write = not dry_run and (skip_bad or not found)
    new: list[str] = []
    changed: list[Change] = []
    codes: list[tuple[str, str]] = []
    linked: list[tuple[str, str]] = []
    unchanged = 0
    held_before = {s_id: _held(s_id) for s_id in people.by_id}
    # Levels first given up (so two people can swap levels in one file), then the accounts, then levels taken.
    if write:
        for plan in plans:
            s = people.by_username.get(plan.username)
            if s is None or plan.levels is None:
                continue
            for team_id, level in sorted(held_before[s.id] - plan.levels):
                m.TeamRole.get((m.TeamRole.team == team_id) & (m.TeamRole.level == level)).delete_instance()
                team = people.team_names.get(team_id)
                event(ctx, "team_level_set", f"{level} in {team} given up by {s.username} (import) {by}",
                      before={"team": team, "level": level, "staff": s.username}, after={"staff": None})
    for plan in plans:
        s = people.by_username.get(plan.username)
        if s is None:
            new.append(plan.username)
            if write:
                s = _add_account(ctx, plan, by, codes, linked, (prepared or {}).get(plan.username))
        else:
            fields = [k for k, v in plan.values.items() if getattr(s, k) != v]
            levels_changed = plan.levels is not None and plan.levels != held_before[s.id]
            if not fields and not levels_changed:
                unchanged += 1
                continue
            shown = [("team" if k == "team_id" else k) for k in fields] + (["levels"] if levels_changed else [])
            changed.append(Change(plan.username, tuple(shown)))
            if write and fields:
                def named(k: str, v: Any) -> Any:
                    return people.team_names.get(v) if k == "team_id" and v is not None else v
                before = {("team" if k == "team_id" else k): named(k, getattr(s, k)) for k in fields}
                after = {("team" if k == "team_id" else k): named(k, plan.values[k]) for k in fields}
                for k in fields:
                    setattr(s, k, plan.values[k])
                s.save()
                event(ctx, "account_changed", f"Account {s.username}: {', '.join(shown)} changed by import {by}",
                      before=before, after=after)
        if write and plan.levels is not None:
            assert s is not None
            for key in sorted(plan.levels - _held(s.id)):
                _take_level(ctx, s, key, plan.level_text[key], by)
    missing = tuple(sorted(u for u, s in people.by_username.items()
                           if u not in seen and s.active and Role(s.role) is not Role.ADMIN))
    report = ImportReport("staff", len(f.rows), tuple(new), tuple(changed), unchanged, missing, tuple(found),
                          write and bool(new or changed), dry_run, tuple(codes), tuple(linked))
    if write and (new or changed):
        event(ctx, "staff_imported", f"Staff imported {by}: {len(new)} new, {len(changed)} changed, "
              f"{unchanged} unchanged", after={"new": list(new), "changed": [c.key for c in changed]})
    return report


def _role_change_problems(s: m.Staff, plan: _StaffPlan) -> list[tuple[str, str]]:
    if s.role == Role.CHAIR.value:
        n = m.Dispute.select().where((m.Dispute.raised_by == s.id) & m.Dispute.status.in_(OPEN)).count()
        if n:
            return [("role", f"{s.username} chairs {n} open dispute(s); they stay a chair until those are "
                     "closed or passed to another chair")]
    new = Role(plan.values["role"])
    if new not in LEVEL_ROLES and (plan.levels if plan.levels is not None else _held(s.id)):
        return [("role", f"{s.username} holds a management level; a {new.value} cannot "
                 "(give the level to someone else, or list no levels for them)")]
    return []


def prepare_codes(usernames: Iterable[str]) -> dict[str, tuple[str, str]]:
    """A set-up code and its hash for each user name, made outside any transaction."""
    out = {}
    for username in usernames:
        code = new_setup_code()
        out[username] = (code, hash_setup_code(code))
    return out


def _add_account(ctx: Ctx, plan: _StaffPlan, by: str, codes: list[tuple[str, str]],
                 linked: list[tuple[str, str]], made: tuple[str, str] | None = None) -> m.Staff:
    v = plan.values
    login = v.get("os_login")
    code_hash, until = "", None
    if not login:
        code, code_hash = made or prepare_codes([plan.username])[plan.username]
        until = ctx.now() + timedelta(days=SETUP_CODE_DAYS)
        codes.append((plan.username, code))
    else:
        linked.append((plan.username, login))
    s = m.Staff.create(username=plan.username, name=v["name"], role=v["role"], title=v.get("title", ""),
                       email=v.get("email", ""), team=v.get("team_id"), os_login=login, password_hash="",
                       setup_code_hash=code_hash, setup_code_until=until, created_at=ctx.now())
    how = f"linked to OS login '{login}'" if login else "with a one-time set-up code"
    event(ctx, "account_added", f"Account {s.username} ({s.role}) added by import, {how}, {by}",
          after={"username": s.username, "name": s.name, "role": s.role, "title": s.title,
                 "team": s.team.name if s.team is not None else None, "active": True, "os_login": login})
    return s


def _take_level(ctx: Ctx, s: m.Staff, key: tuple[int, str], shown: str, by: str) -> None:
    team_id, level = key
    current = m.TeamRole.get_or_none((m.TeamRole.team == team_id) & (m.TeamRole.level == level))
    previous = current.staff.username if current is not None else None
    if current is None:
        m.TeamRole.create(team=team_id, level=level, staff=s.id)
    else:
        current.staff = s
        current.save()
    event(ctx, "team_level_set", f"{shown}: {s.username}" + (f" (was {previous})" if previous else "")
          + f" by import {by}", before={"level": shown, "staff": previous},
          after={"level": shown, "staff": s.username})


# --- set-up codes ------------------------------------------------------------------------------------

def _issue_code(ctx: Ctx, s: m.Staff, by: str) -> str:
    if not s.active:
        raise ValidationError(f"username: {s.username} is disabled", field="username")
    if s.password_hash:
        raise DomainError(f"{s.username} already has a password; reset it with 'drp user reset-password'.")
    code = new_setup_code()
    s.setup_code_hash = hash_setup_code(code)
    s.setup_code_until = ctx.now() + timedelta(days=SETUP_CODE_DAYS)
    s.save()
    event(ctx, "setup_code_issued", f"One-time set-up code issued for {s.username} {by}")
    return code


@service
def issue_setup_code(ctx: Ctx, user: str) -> str:
    """A new one-time set-up code for an account (a new person, or one who lost theirs): returned
    once, stored hashed, valid ``SETUP_CODE_DAYS`` days. Only for an account without a password
    (a forgotten password is reset with 'drp user reset-password')."""
    who, by = acting_admin(ctx, "issue set-up codes")
    s = m.Staff.get_or_none(m.Staff.username == (user or "").strip())
    if s is None:
        raise ValidationError(f"username: there is no staff account '{user}'", field="username")
    return _issue_code(ctx, s, by)


@service
def add_user_with_setup_code(ctx: Ctx, username: str, name: str, role: str, *, team: str | None = None,
                             title: str = "", email: str = "", os_login: str | None = None) -> str:
    """``accounts.add_user`` without a password, and its one-time set-up code, in one transaction."""
    who, by = acting_admin(ctx, "add staff accounts")
    add = accounts.add_user.__wrapped__  # type: ignore[attr-defined]  # within this service's transaction
    staff_id = add(ctx, username, name, role, None, team=team, title=title, email=email, os_login=os_login,
                   setup_code=True)
    return _issue_code(ctx, m.Staff.get_by_id(staff_id), by)


__all__ = ["CHILD_FIELDS", "CHILD_REQUIRED", "Change", "ImportReport", "LEGAL_STATUSES", "SETUP_CODE_DAYS",
           "STAFF_ALIASES", "STAFF_FIELDS", "STAFF_REQUIRED", "TEAM_FIELDS", "TEAM_REQUIRED", "add_child",
           "add_user_with_setup_code", "prepare_codes",
           "close_child", "edit_child", "import_children", "import_staff", "import_teams", "issue_setup_code"]
