"""Peewee models: the schema at the head of the migrations in ``migrations/``.

Timestamps are stored as UTC (``UTCDateTimeField``) and returned timezone-aware.
The schema is created and changed only by the migration runner
(``drp_tui.store.db.migrate``); a test checks the two agree.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    SQL,
    Model,
    TextField,
)

database = DatabaseProxy()


class UTCDateTimeField(DateTimeField):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive UTC."""

    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: Any) -> Any:
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


# Rows written through the models in this thread since the audit trail last looked
# (store.audit records a digest of each covered row in the event of the change).
_written = threading.local()


def note_write(model: type[Model], row_id: Any, deleted: bool = False) -> None:
    rows = getattr(_written, "rows", None)
    if rows is None:
        rows = _written.rows = {}
    rows[(model, row_id)] = deleted


def take_writes() -> dict[tuple[type[Model], Any], bool]:
    """The rows written since the last call (model, id) -> deleted, and forget them."""
    rows = getattr(_written, "rows", None) or {}
    _written.rows = {}
    return rows


class BaseModel(Model):
    if TYPE_CHECKING:  # made by peewee: the auto-increment primary key (a row's id: an int)
        id: AutoField[int]
        _dirty: set[str]  # (peewee's own: the fields changed since the last save)

    class Meta:
        database = database
        legacy_table_names = False

    def save(self, *args: Any, **kwargs: Any) -> Any:
        n = super().save(*args, **kwargs)
        note_write(type(self), self.get_id())
        return n

    def delete_instance(self, *args: Any, **kwargs: Any) -> Any:
        row_id = self.get_id()
        n = super().delete_instance(*args, **kwargs)
        note_write(type(self), row_id, deleted=True)
        return n


class Team(BaseModel):
    name = CharField(unique=True)
    kind = CharField(default="social_care")  # social_care | iro_service


class Staff(BaseModel):
    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        team_id: ForeignKeyField[int | None]

    username = CharField(unique=True)
    name = CharField()
    role = CharField()  # chair | responder | oversight | admin
    title = CharField(default="")
    email = CharField(default="")
    team = ForeignKeyField(Team, null=True, backref="staff", on_delete="RESTRICT")
    active = BooleanField(default=True)
    password_hash = CharField(default="")
    failed_logins = IntegerField(default=0)
    locked_until = UTCDateTimeField(null=True)
    os_login = CharField(null=True, unique=True)
    created_at = UTCDateTimeField()
    unlock_pin_hash = CharField(default="")  # auth = "os": the desk PIN that unlocks the idle lock
    last_sign_in_at = UTCDateTimeField(null=True)
    last_failed_at = UTCDateTimeField(null=True)  # failed_logins counts failures since the last sign-in
    setup_code_hash = CharField(default="")  # a one-time code to choose the first password (scrypt hash)
    setup_code_until = UTCDateTimeField(null=True)  # ... valid until then


class TeamRole(BaseModel):
    """The management chain: which staff member holds each responder level."""

    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        team_id: ForeignKeyField[int]
        staff_id: ForeignKeyField[int]

    team = ForeignKeyField(Team, backref="roles", on_delete="CASCADE")
    level = CharField()
    staff = ForeignKeyField(Staff, backref="team_roles", on_delete="RESTRICT")

    class Meta:
        indexes = ((("team", "level"), True),)


class SiblingGroup(BaseModel):
    name = CharField()


class Child(BaseModel):
    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        team_id: ForeignKeyField[int]
        chair_id: ForeignKeyField[int | None]
        social_worker_id: ForeignKeyField[int | None]
        sibling_group_id: ForeignKeyField[int | None]
        lead_team_id: ForeignKeyField[int | None]

    case_number = CharField(unique=True)
    name = CharField()
    legal_status = CharField()  # CLA | CP | CIN
    date_of_birth = DateField(null=True)
    team = ForeignKeyField(Team, backref="children", on_delete="RESTRICT")
    chair = ForeignKeyField(Staff, null=True, backref="chaired", on_delete="RESTRICT")
    social_worker = ForeignKeyField(Staff, null=True, backref="allocated", on_delete="RESTRICT")
    sibling_group = ForeignKeyField(SiblingGroup, null=True, backref="children", on_delete="SET NULL")
    lead_team = ForeignKeyField(Team, null=True, backref="led_children", on_delete="RESTRICT")
    closed_on = DateField(null=True)  # no longer open to the service (kept, with its history)


class Counter(BaseModel):
    """Reference numbers: unique per installation, prefix and year."""

    prefix = CharField()
    year = IntegerField()
    last = IntegerField(default=0)

    class Meta:
        indexes = ((("prefix", "year"), True),)


class Dispute(BaseModel):
    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        child_id: ForeignKeyField[int]
        raised_by_id: ForeignKeyField[int]
        responder_id: ForeignKeyField[int | None]
        updated_by_id: ForeignKeyField[int | None]

    reference = CharField(unique=True)
    child = ForeignKeyField(Child, backref="disputes", on_delete="RESTRICT")
    raised_by = ForeignKeyField(Staff, backref="raised", on_delete="RESTRICT")
    issue_arose = DateField()
    raised_on = DateField()
    category = CharField()
    policy_key = CharField()
    policy_version = IntegerField()
    # The exact profile content the dispute runs under (PolicySnapshot.digest); "" only for
    # a dispute written before pinning that has not been pinned yet (see services.pinning).
    policy_digest = CharField(default="", index=True)
    facts = CharField(default="")  # keys of the procedure's yes/no facts that hold, comma-separated
    start_stage = CharField()
    current_stage = CharField()
    status = CharField(index=True)
    immediate = BooleanField(default=False)
    link_group = CharField(null=True, index=True)  # sibling disputes raised together
    concern = TextField(default="")
    impact = TextField(default="")
    wanted = TextField(default="")
    timescales = TextField(default="")
    child_wishes = TextField(default="")
    against_wishes = BooleanField(default=False)
    child_informed_on = DateField(null=True)
    child_informed_how = TextField(default="")
    outcome = TextField(default="")
    responder = ForeignKeyField(Staff, null=True, backref="awaiting", on_delete="RESTRICT")
    next_due_at = UTCDateTimeField(null=True, index=True)
    next_due_kind = CharField(default="")
    paused = BooleanField(default=False)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    updated_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    closed_at = UTCDateTimeField(null=True)
    version = IntegerField(default=1)
    imported_ref = CharField(null=True, unique=True)  # its reference in the old tracker it was imported from

    class Meta:
        # An UPDATE writes only the columns this session changed (never a stale copy of
        # the others); services.common.touch also guards it with the version read.
        only_save_dirty = True


class StageRecord(BaseModel):
    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        dispute_id: ForeignKeyField[int]
        responder_id: ForeignKeyField[int | None]
        response_by_id: ForeignKeyField[int | None]
        approval_by_id: ForeignKeyField[int | None]

    dispute = ForeignKeyField(Dispute, backref="stage_records", on_delete="RESTRICT")
    stage_key = CharField()
    seq = IntegerField()
    sent_at = UTCDateTimeField(null=True)
    responder = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    inform = CharField(default="")  # comma-separated staff ids copied for information
    due_at = UTCDateTimeField(null=True)
    due_date = DateField(null=True)
    chair_concern = TextField(default="")
    chair_impact = TextField(default="")
    chair_wanted = TextField(default="")
    chair_timescales = TextField(default="")
    response = TextField(default="")
    response_at = UTCDateTimeField(null=True)
    response_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    response_on_behalf = BooleanField(default=False)
    decision = CharField(null=True)
    decision_comment = TextField(default="")
    decision_at = UTCDateTimeField(null=True)
    extension_until = UTCDateTimeField(null=True)
    extension_reason = TextField(default="")
    negotiation_until = UTCDateTimeField(null=True)
    negotiation_note = TextField(default="")
    approval_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    approval_at = UTCDateTimeField(null=True)
    started_at = UTCDateTimeField(null=True)  # when the dispute reached this stage (migration 0012)

    class Meta:
        indexes = ((("dispute", "seq"), True),)
        only_save_dirty = True  # writes only the columns changed (see Dispute)


class StageResponse(BaseModel):
    """One responder's own response to a stage answered jointly (``responders = "all"``).

    A row per responder is made when the stage is sent (``response_at`` empty); it is
    filled when that responder (or the chair, on their behalf) records their response."""

    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        stage_record_id: ForeignKeyField[int]
        responder_id: ForeignKeyField[int]
        recorded_by_id: ForeignKeyField[int | None]

    stage_record = ForeignKeyField(StageRecord, backref="responses", on_delete="RESTRICT")
    responder = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")
    response = TextField(default="")
    response_at = UTCDateTimeField(null=True)
    recorded_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    on_behalf = BooleanField(default=False)

    class Meta:
        table_name = "stage_response"
        indexes = ((("stage_record", "responder"), True),)


class Action(BaseModel):
    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        stage_record_id: ForeignKeyField[int]

    stage_record = ForeignKeyField(StageRecord, backref="actions", on_delete="RESTRICT")
    description = TextField()
    owner = CharField()
    due = DateField()
    done_on = DateField(null=True)


class Conversation(BaseModel):
    """An informal conversation before (or instead of) paper."""

    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        dispute_id: ForeignKeyField[int]
        recorded_by_id: ForeignKeyField[int]

    dispute = ForeignKeyField(Dispute, backref="conversations", on_delete="RESTRICT")
    with_whom = CharField()
    held_at = UTCDateTimeField()
    how = CharField()  # in person | phone | e-mail | Teams
    agreed = TextField(default="")
    timescale = CharField(default="")
    recorded_by = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")


class MonitoringMeeting(BaseModel):
    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        dispute_id: ForeignKeyField[int]
        recorded_by_id: ForeignKeyField[int | None]

    dispute = ForeignKeyField(Dispute, backref="monitoring", on_delete="RESTRICT")
    due_on = DateField()
    held_on = DateField(null=True)
    attendees = TextField(default="")
    outcome = TextField(default="")
    recorded_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")


class Meeting(BaseModel):
    """A meeting held at a stage the procedure expects one at."""

    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        dispute_id: ForeignKeyField[int]
        recorded_by_id: ForeignKeyField[int]

    dispute = ForeignKeyField(Dispute, backref="meetings", on_delete="RESTRICT")
    stage_key = CharField()
    held_on = DateField()
    attendees = TextField(default="")
    outcome = TextField(default="")
    recorded_by = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")
    recorded_at = UTCDateTimeField()


class Approval(BaseModel):
    """A decision on a gate of one stage record: an approver's approved / declined (with a
    reason) on a transition the procedure gates, or a party's "satisfied" before a stage
    closes. ``gate`` is ``on:level`` (e.g. ``bypass:qa_manager``) or ``close:party``."""

    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        dispute_id: ForeignKeyField[int]
        stage_record_id: ForeignKeyField[int]
        by_id: ForeignKeyField[int]

    dispute = ForeignKeyField(Dispute, backref="approvals", on_delete="RESTRICT")
    stage_record = ForeignKeyField(StageRecord, backref="approvals", on_delete="RESTRICT")
    gate = CharField()
    decision = CharField()  # approved | declined | satisfied
    reason = TextField(default="")
    by = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")
    at = UTCDateTimeField()


class CafcassStep(BaseModel):
    """Steps alongside the stages: legal advice sought, Cafcass consulted, a referral made, and
    the discussions a procedure asks for before a referral or legal advice (kind ``discussion``)."""

    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        dispute_id: ForeignKeyField[int]
        by_id: ForeignKeyField[int]
        with_staff_id: ForeignKeyField[int | None]

    dispute = ForeignKeyField(Dispute, backref="cafcass_steps", on_delete="RESTRICT")
    kind = CharField()  # legal_advice | cafcass_discussion | cafcass_referral | discussion
    at = UTCDateTimeField()  # when recorded
    note = TextField(default="")  # what happened; a discussion: what was said
    told = TextField(default="")  # who was told first
    by = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")
    before_step = CharField(default="")  # a discussion: the step it precedes (cafcass_referral | legal_advice)
    level = CharField(default="")  # a discussion: the level held by the person spoken to
    with_staff = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")  # a discussion: with whom
    held_at = UTCDateTimeField(null=True)  # a discussion: when it was held


class Compliment(BaseModel):
    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        child_id: ForeignKeyField[int]
        sender_id: ForeignKeyField[int]
        practitioner_id: ForeignKeyField[int | None]
        manager_id: ForeignKeyField[int | None]

    child = ForeignKeyField(Child, backref="compliments", on_delete="RESTRICT")
    sender = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")
    practitioner = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    manager = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    text = TextField()
    created_at = UTCDateTimeField()


class Notification(BaseModel):
    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        recipient_id: ForeignKeyField[int]
        dispute_id: ForeignKeyField[int | None]
        compliment_id: ForeignKeyField[int | None]

    recipient = ForeignKeyField(Staff, backref="notifications", on_delete="RESTRICT")
    kind = CharField()  # request | response | info | compliment | reminder | decision
    text = TextField()
    dispute = ForeignKeyField(Dispute, null=True, backref="notifications", on_delete="RESTRICT")
    compliment = ForeignKeyField(Compliment, null=True, backref="+", on_delete="RESTRICT")
    created_at = UTCDateTimeField()
    read_at = UTCDateTimeField(null=True)
    acknowledged_at = UTCDateTimeField(null=True)
    dedupe = CharField(null=True, unique=True)  # reminders: one per clock and state

    class Meta:
        indexes = ((("recipient", "read_at"), False),)


class Event(BaseModel):
    """Append-only history. Rows are chained by hash (see store.audit)."""

    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        actor_id: ForeignKeyField[int | None]
        dispute_id: ForeignKeyField[int | None]
        child_id: ForeignKeyField[int | None]

    at = UTCDateTimeField()
    actor = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    kind = CharField()
    dispute = ForeignKeyField(Dispute, null=True, backref="events", on_delete="RESTRICT")
    child = ForeignKeyField(Child, null=True, backref="events", on_delete="RESTRICT")
    summary = TextField()
    before = TextField(default="")
    after = TextField(default="")
    prev_hash = CharField(default="")
    hash = CharField(default="")
    row_digests = TextField(default="")  # digests of the rows this change left: [[table, id, sha256], ...]


class Draft(BaseModel):
    """Unsaved form text kept for its owner: one per owner per form (a dispute, or a child's raise form)."""

    if TYPE_CHECKING:  # made by peewee: each foreign key's id (on a row: an int)
        owner_id: ForeignKeyField[int]
        dispute_id: ForeignKeyField[int | None]
        child_id: ForeignKeyField[int | None]

    owner = ForeignKeyField(Staff, backref="drafts", on_delete="RESTRICT")
    dispute = ForeignKeyField(Dispute, null=True, backref="+", on_delete="RESTRICT")
    child = ForeignKeyField(Child, null=True, backref="+", on_delete="RESTRICT")  # a raise form's child
    payload = TextField()
    reason = CharField(default="")
    saved_at = UTCDateTimeField()


class SignInFailure(BaseModel):
    """One failed sign-in, keyed by a digest of the name typed (known account or not).

    Only for the progressive delay: rows older than an hour are pruned. The typed
    name itself is never stored (it may be a password typed into the wrong box).
    """

    key = CharField()
    at = UTCDateTimeField()

    class Meta:
        indexes = ((("key", "at"), False),)


class PolicySnapshot(BaseModel):
    """A profile's content as loaded (the TOML text), kept for the disputes pinned to it.

    Content-addressed: ``digest`` is the SHA-256 of ``content``, so a row never changes
    (``drp check`` recomputes it) and one content is stored once."""

    digest = CharField(unique=True)
    key = CharField()
    version = IntegerField()
    content = TextField()
    first_seen_at = UTCDateTimeField()

    class Meta:
        table_name = "policy_snapshot"


class ClosureDay(BaseModel):
    """A local closure day set by an administrator (the config file's ``closures`` count too)."""

    if TYPE_CHECKING:
        added_by_id: ForeignKeyField[int | None]

    day = DateField(unique=True)
    reason = CharField()
    added_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    added_at = UTCDateTimeField()

    class Meta:
        table_name = "closure_day"


class RetentionHold(BaseModel):
    """A legal hold on a dispute's record: while one is not released, it is not disposed of."""

    if TYPE_CHECKING:
        dispute_id: ForeignKeyField[int]
        placed_by_id: ForeignKeyField[int | None]
        released_by_id: ForeignKeyField[int | None]

    dispute = ForeignKeyField(Dispute, backref="+", on_delete="RESTRICT")
    reason = TextField()
    placed_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    placed_at = UTCDateTimeField()
    released_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    released_at = UTCDateTimeField(null=True)
    release_reason = TextField(default="")

    class Meta:
        table_name = "retention_hold"


class Disposal(BaseModel):
    """A dispute whose personal content was disposed of at the end of its retention period.

    The dispute row stays (its reference, dates and the audit trail's events point at it),
    emptied of text; its stages, responses, actions, meetings and steps are deleted."""

    if TYPE_CHECKING:
        dispute_id: ForeignKeyField[int]
        disposed_by_id: ForeignKeyField[int | None]

    dispute = ForeignKeyField(Dispute, unique=True, backref="+", on_delete="RESTRICT")
    reason = TextField()
    closed_on = DateField()
    due_on = DateField()
    disposed_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    disposed_at = UTCDateTimeField()

    class Meta:
        table_name = "disposal"


class MailOutbox(BaseModel):
    """One e-mail to one person about one event (``drp notify``): queued once, claimed by one run,
    sent, or retried with back-off. ``(event, recipient)`` is unique, so deriving the same event
    again (a second run, two runs at once) queues nothing new."""

    if TYPE_CHECKING:
        recipient_id: ForeignKeyField[int]
        dispute_id: ForeignKeyField[int | None]

    event = CharField()  # e.g. sent:12, remind:12:2:2026-12-04, breach:12:<due>, response:12, digest:2026-11-23
    kind = CharField()  # sent | reminder | breach | response | inform | digest
    recipient = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")
    cc = CharField(default="")  # staff ids copied (comma-separated): the manager at a breach
    dispute = ForeignKeyField(Dispute, null=True, backref="+", on_delete="RESTRICT")
    subject = TextField()
    body = TextField()
    state = CharField(default="pending", index=True)  # pending | sending | sent | failed (given up) | skipped
    attempts = IntegerField(default=0)
    next_try_at = UTCDateTimeField()
    claim = CharField(null=True)  # the run that claimed it (sending)
    claimed_at = UTCDateTimeField(null=True)
    sent_at = UTCDateTimeField(null=True)
    last_error = TextField(default="")  # kind of failure only: never a name or an address
    created_at = UTCDateTimeField()

    class Meta:
        table_name = "mail_outbox"
        indexes = ((("event", "recipient"), True),)


ALL_MODELS: list[type[BaseModel]] = [
    Team, Staff, TeamRole, SiblingGroup, Child, Counter, Dispute, StageRecord, StageResponse, Action,
    Conversation, MonitoringMeeting, CafcassStep, Approval, Compliment, Notification, Event, Draft,
    SignInFailure, PolicySnapshot, ClosureDay, Meeting, MailOutbox, RetentionHold, Disposal,
]


def bulk_insert(model: type[BaseModel], fields: list[Any], rows: list[tuple[Any, ...]]) -> None:
    """Many rows at once (an import): one prepared INSERT, run for every row.

    Values go through each field's ``db_value`` as peewee would convert them; building
    peewee's SQL once per value costs more than the insert itself at tens of thousands
    of rows. Rows written this way are not noticed by the audit trail: the caller
    calls ``note_write`` for each once it knows their ids."""
    if not rows:
        return
    db = database.obj
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join(db.param for _ in fields)
    sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'
    converted = [tuple(f.db_value(v) for f, v in zip(fields, row, strict=True)) for row in rows]
    cursor = db.cursor()
    cursor.executemany(sql, converted)


# Indexes peewee's field options cannot say (built by migration 0014_perf; the same text here).
DISPUTE_DUE_ORDER = ('CREATE INDEX IF NOT EXISTS "dispute_due_order" ON "dispute" '
                     '(("next_due_at" IS NULL), "next_due_at", "id")')  # the caseload's "by due date" order
STAGE_RECORD_INFORMED = ('CREATE INDEX IF NOT EXISTS "stage_record_informed" ON "stage_record" '
                         '("inform", "dispute_id") WHERE "inform" <> \'\'')  # only records with copies
# The caseload's other orders (built by migration 0019_caseload_orders; the same text here).
DISPUTE_STAGE_ORDER = 'CREATE INDEX IF NOT EXISTS "dispute_stage_order" ON "dispute" ("current_stage", "id")'
CHILD_NAME_ORDER = 'CREATE INDEX IF NOT EXISTS "child_name_order" ON "child" ("name", "id")'
DISPUTE_RAISED_DUE = ('CREATE INDEX IF NOT EXISTS "dispute_raised_due" ON "dispute" '
                      '("raised_by_id", ("next_due_at" IS NULL), "next_due_at", "id")')  # "Mine" by due date
DISPUTE_RAISED_REFERENCE = ('CREATE INDEX IF NOT EXISTS "dispute_raised_reference" ON "dispute" '
                            '("raised_by_id", "reference")')
DISPUTE_RAISED_STAGE = ('CREATE INDEX IF NOT EXISTS "dispute_raised_stage" ON "dispute" '
                        '("raised_by_id", "current_stage", "id")')
# The person's raised disputes by status, with their next deadline and child (built by migration
# 0022_view_indexes, in place of 0021's dispute_raised_status_due, which replaced 0020's
# dispute_raised_status), and a person's notifications by kind (0021; the same text here).
DISPUTE_RAISED_STATUS_CHILD = ('CREATE INDEX IF NOT EXISTS "dispute_raised_status_child" ON "dispute" '
                               '("raised_by_id", "status", "next_due_at", "child_id")')
NOTIFICATION_RECIPIENT_KIND = ('CREATE INDEX IF NOT EXISTS "notification_recipient_kind" ON "notification" '
                               '("recipient_id", "kind", "dispute_id")')
ACTION_OPEN_DUE = ('CREATE INDEX IF NOT EXISTS "action_open_due" ON "action" ("due", "stage_record_id") '
                   'WHERE "done_on" IS NULL')  # only the actions not yet done
# The open and the closed disputes, each in a caseload view's order (partial indexes, built by
# migration 0022_view_indexes; the same text here). Their condition is the caseload query's own term.
DISPUTE_OPEN_DUE = ('CREATE INDEX IF NOT EXISTS "dispute_open_due" ON "dispute" '
                    '(("next_due_at" IS NULL), "next_due_at", "id") '
                    'WHERE ("status" || \'\') IN (\'draft\', \'sent\', \'responded\', \'negotiating\')')
DISPUTE_CLOSED_DUE = ('CREATE INDEX IF NOT EXISTS "dispute_closed_due" ON "dispute" '
                      '(("next_due_at" IS NULL), "next_due_at", "id") '
                      'WHERE ("status" || \'\') IN (\'resolved\', \'cafcass\', \'withdrawn\')')
DISPUTE_CLOSED_REFERENCE = ('CREATE INDEX IF NOT EXISTS "dispute_closed_reference" ON "dispute" ("reference") '
                            'WHERE ("status" || \'\') IN (\'resolved\', \'cafcass\', \'withdrawn\')')
DISPUTE_CLOSED_STAGE = ('CREATE INDEX IF NOT EXISTS "dispute_closed_stage" ON "dispute" ("current_stage", "id") '
                        'WHERE ("status" || \'\') IN (\'resolved\', \'cafcass\', \'withdrawn\')')
DISPUTE_CLOSED_RAISED_DUE = ('CREATE INDEX IF NOT EXISTS "dispute_closed_raised_due" ON "dispute" '
                             '("raised_by_id", ("next_due_at" IS NULL), "next_due_at", "id") '
                             'WHERE ("status" || \'\') IN (\'resolved\', \'cafcass\', \'withdrawn\')')
# A responder's disputes with what their views test and sort by, and the stage records sent to a
# person with their dispute (built by migration 0022_view_indexes; the same text here).
DISPUTE_RESPONDER_COVER = ('CREATE INDEX IF NOT EXISTS "dispute_responder_cover" ON "dispute" ("responder_id", '
                           '"next_due_at", "status", "child_id", "current_stage", "reference") '
                           'WHERE "responder_id" IS NOT NULL')
STAGE_RECORD_RESPONDER_DISPUTE = ('CREATE INDEX IF NOT EXISTS "stage_record_responder_dispute" ON "stage_record" '
                                  '("responder_id", "dispute_id")')
Dispute.add_index(SQL(DISPUTE_DUE_ORDER))
StageRecord.add_index(SQL(STAGE_RECORD_INFORMED))
Dispute.add_index(SQL(DISPUTE_STAGE_ORDER))
Dispute.add_index(SQL(DISPUTE_RAISED_DUE))
Dispute.add_index(SQL(DISPUTE_RAISED_REFERENCE))
Dispute.add_index(SQL(DISPUTE_RAISED_STAGE))
Dispute.add_index(SQL(DISPUTE_RAISED_STATUS_CHILD))
Notification.add_index(SQL(NOTIFICATION_RECIPIENT_KIND))
Action.add_index(SQL(ACTION_OPEN_DUE))
Child.add_index(SQL(CHILD_NAME_ORDER))
Dispute.add_index(SQL(DISPUTE_OPEN_DUE))
Dispute.add_index(SQL(DISPUTE_CLOSED_DUE))
Dispute.add_index(SQL(DISPUTE_CLOSED_REFERENCE))
Dispute.add_index(SQL(DISPUTE_CLOSED_STAGE))
Dispute.add_index(SQL(DISPUTE_CLOSED_RAISED_DUE))
Dispute.add_index(SQL(DISPUTE_RESPONDER_COVER))
StageRecord.add_index(SQL(STAGE_RECORD_RESPONDER_DISPUTE))
