"""What each action on the dispute form does: its dialogs, then one service call.

Each flow is an ``async`` function run in the form's async worker (so dialogs can
be awaited with ``push_screen_wait``); the service call itself runs in a thread
worker via ``DisputeScreen.write``. A dialog whose values the service refuses is
shown again with the typed values and the message at the named field; what a dialog
holds when it is closed unsent comes back when it is opened again on this form
(forgotten only once the service has accepted it).

Saving is never sending: ctrl+s saves the chair's own text (``save``) or keeps a
responder's half-written response as a private draft (``save_draft``); recording
a response (``respond``) sends it to the chair for good, and asks first. A save that
meets someone else's newer save shows both versions and waits for a choice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.worker import WorkerFailed

from drp_tui.domain import forms
from drp_tui.domain.model import Status
from drp_tui.domain.moves import Move, responder_candidates
from drp_tui.domain.policy import BypassRule
from drp_tui.domain.timeutil import LONDON, day_text, format_date, format_due, format_london, london_date, to_london
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes as oc
from drp_tui.services.errors import ConflictError, ValidationError
from drp_tui.ui.screens.dialogs import ConflictDialog, FormDialog, Version
from drp_tui.ui.screens.dispute_sections import allowed
from drp_tui.ui.widgets.form_fields import FieldProblem, FieldSpec

if TYPE_CHECKING:
    from drp_tui.ui.screens.dispute import DisputeScreen

Call = tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]]
Build = Callable[[dict[str, Any]], Awaitable[Call | None]]
AWAITING = (Status.SENT, Status.RESPONDED, Status.NEGOTIATING)


async def dialog_loop(scr: DisputeScreen, title: str, fields: list[FieldSpec], build: Build, *,
                      intro: str = "", ok: str = "OK", memo: str | None = None) -> bool:
    """Show the dialog until the service accepts its values (True) or the person gives up (False).

    Its values are remembered on the form under ``memo`` (default: the title) whenever it
    closes unsent: refused, cancelled, or Escape after a refusal; they are forgotten on success."""
    memory = scr.dialog_memory
    key = memo or title
    values: dict[str, Any] | None = dict(memory[key]) if key in memory else None
    error: tuple[str, str] | None = None
    keys = {f.key for f in fields}
    while True:
        dialog = FormDialog(title, fields, intro=intro, ok=ok, values=values, error=error)
        data = await scr.app.push_screen_wait(dialog)
        if data is None:
            if dialog.typed:
                memory[key] = dialog.typed
            else:
                memory.pop(key, None)
            return False
        memory[key] = data  # kept until the service accepts it
        try:
            call = await build(data)
        except FieldProblem as problem:
            values, error = data, (problem.key, problem.message)
            continue
        if call is None:
            return False
        done, fn, args, kwargs = call
        success, result = await scr.write(done, fn, *args, **kwargs)
        if success:
            memory.pop(key, None)
            return True
        field = (getattr(result, "field", None) or "").replace(" ", "_")
        if isinstance(result, ConflictError):  # show their change, keep what was typed here
            scr.rebase()
            await scr.reload()
            values, error = data, ("", result.message)
        elif isinstance(result, ValidationError) and field in keys:
            values, error = data, (field, result.message)
        else:
            scr.show_error(result)
            return False


def _problem(scr: DisputeScreen, problem: FieldProblem) -> None:
    scr.say(problem.message, True)
    scr.field_error(problem.key, problem.message, problem.widget_id)


def unsaved_hint(scr: DisputeScreen) -> str:
    """What the keys do with typed text, in the words of this form's state."""
    if scr.editable.response:
        return "Not sent: ctrl+s saves a draft (only you see it); Escape, then r records and sends it"
    return "Unsaved changes: ctrl+s saves them (nothing is sent until you press s)"


async def close(scr: DisputeScreen) -> None:
    draft = scr.unsaved_draft()
    if draft and draft == scr.drafted:
        question = ("Your response is kept as a draft and has not been sent. Close the form?"
                    if scr.editable.response else "Your text is kept as a draft and has not been saved. Close the form?")
        if not await scr.ask(question, title="Not sent", yes="Close", no="Keep editing"):
            scr.say(unsaved_hint(scr) + ".")
            return
    elif draft and not await scr.ask(
            f"You have unsaved changes ({', '.join(sorted(draft))}). Discard them and close the form?",
            title="Unsaved changes", yes="Discard", no="Keep editing"):
        scr.say("Your changes are still here. " + unsaved_hint(scr) + ".")
        return
    scr.app.call_later(scr.dismiss, None)


async def _keep_draft(scr: DisputeScreen, payload: dict[str, Any], reason: str) -> bool:
    """Keep ``payload`` as a Draft of the signed-in person (a thread worker); False if refused."""
    worker = scr.run_worker(partial(scr.drp.desk.save_draft, scr.dispute_id, payload, reason), thread=True,
                            group="dispute-write", exit_on_error=False)
    try:
        await worker.wait()
    except WorkerFailed as failed:
        scr.show_error(failed.error)
        return False
    scr.drp.data_changed()  # a drafts list elsewhere shows it; this form keeps its text
    return True


async def save_draft(scr: DisputeScreen) -> bool:
    """ctrl+s for a responder: keep the half-written response privately; nothing is sent."""
    if scr.ld is None:
        return False
    payload = scr.unsaved_draft()
    if not payload:
        scr.say("Nothing typed yet, so no draft was saved.")
        return False
    if not await _keep_draft(scr, payload, "saved as a draft (not sent)"):
        return False
    scr.drafted = payload
    when = format_london(scr.drp.desk.clock.now())
    who = "nothing is recorded" if scr.on_behalf else f"{scr.ld.view.raised_by_name} sees nothing"
    scr.say(f"Draft saved — not sent ({when}). Only you can see it; {who} until you record it (Escape, then r).")
    return True


async def save(scr: DisputeScreen, done: str = "Saved.") -> bool:
    if scr.ld is None:
        return False
    try:
        changes = scr.changes()
    except FieldProblem as problem:
        _problem(scr, problem)
        return False
    if not changes:
        scr.say("Nothing to save.")
        return True
    base = dict(scr.base_values)  # the fields as saved in the version this text was typed over
    ok, res = await scr.write(done, ds.update_draft, scr.ld.view.id, scr.base_version, changes,
                              on_success=scr.refill)
    if ok:
        scr.drafted = None
    elif isinstance(res, ConflictError):
        return await conflict(scr, res, base)
    else:
        scr.show_error(res)
    return ok


def _same(a: Any, b: Any) -> bool:
    return _shown(a) == _shown(b)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return day_text(value)
    if isinstance(value, list):
        return "\n".join(" / ".join(map(str, row)) for row in value)
    return str(value).strip()


def _theirs(scr: DisputeScreen, key: str) -> Any:
    """The value of ``key`` in the database now (the form was just reloaded)."""
    if key in scr._original:
        return scr._original[key]
    assert scr.ld is not None
    view = scr.ld.view
    if key.startswith("chair_"):
        return getattr(view.current, key, "") if view.current is not None else ""
    return getattr(view, key, "")


async def conflict(scr: DisputeScreen, err: ConflictError, base: dict[str, Any]) -> bool:
    """Someone saved first: show theirs and yours, field by field, and act only on an explicit choice.

    Until the person chooses, the form keeps comparing against the version they opened, so
    another ctrl+s meets the same question instead of overwriting."""
    await scr.reload()  # their text appears; the fields keep what was typed here; the base stays old
    if scr.ld is None:
        return False
    yours = {k: v for k, v in (scr.unsaved_draft() or {}).items() if k != "actions"}
    policy = scr.ld.policy
    rows = [Version(forms.label_of(policy, k), _shown(_theirs(scr, k)), _shown(v),
                    not _same(_theirs(scr, k), base.get(k, _theirs(scr, k))))
            for k, v in yours.items() if not _same(_theirs(scr, k), v)]
    rows.sort(key=lambda r: not r.they_changed)
    who, when = err.changed_by or "Someone", err.changed_at
    if not rows:  # what they saved is what was typed here: nothing left to save
        scr.rebase()
        scr.refill()
        await scr.reload()
        scr.say(f"{who} saved the same text as yours at {when}; nothing more to save.")
        return True
    choice = await scr.app.push_screen_wait(ConflictDialog(who, when, rows))
    if choice == "mine":
        scr.base_version = scr.ld.view.version  # knowingly, over theirs
        return await save(scr, f"Saved: your text replaced what {who} saved at {when}.")
    if choice == "theirs":
        payload = scr.unsaved_draft()
        if payload and not await _keep_draft(scr, payload, f"your text, kept when you took {who}'s version"):
            return False
        scr.rebase()
        scr.refill()
        await scr.reload()
        scr.drafted = None
        scr.say(f"The form shows what {who} saved at {when}; your text is kept as a draft.")
        return False
    scr.say(f"Not saved: {who} saved a newer version at {when}. Merge by hand if you like; "
            "ctrl+s shows both versions again and asks before overwriting theirs.", True)
    return False


async def send(scr: DisputeScreen) -> None:
    if scr.ld is None or scr.ld.view.current is None:
        return
    if scr.unsaved_draft() and not await save(scr):
        return
    ld = scr.ld
    assert ld.view.current is not None
    stage = ld.policy.stage(ld.view.current.stage_key)
    level = ld.policy.responders_label(stage)
    who = responder_candidates(ld.view, ld.policy, stage)
    if stage.responder_levels and not stage.joint and len(who) > 1:
        # any one of several may answer: the chair picks (the move allows only these)
        fields = [FieldSpec("to", "Send to", "choice", who[0][0], tuple((name, sid) for sid, name in who),
                            required=True)]

        async def build(data: dict[str, Any]) -> Call:
            sibs = await scr.ask_siblings("send", (Status.DRAFT,))
            name = dict(who).get(data["to"], "")
            return (f"{stage.label} sent to {name}.", ds.send, (ld.view.id,),
                    {"version": scr.base_version, "include_siblings": sibs, "to": data["to"]})

        await dialog_loop(scr, f"Send section {stage.section} ({stage.label})", fields, build, ok="Send",
                          intro=f"Any one of: {level}. A sent section cannot be edited.")
        return
    if stage.chair_sets_timescale:  # the procedure leaves the stage's length to the chair: ask for the day agreed
        sibs = await scr.ask_siblings("send", (Status.DRAFT,))
        usual = stage.timescale.describe() if stage.timescale.is_set else "no timescale"
        fields = [FieldSpec("due_on", "Response due by (the day agreed)", "date")]

        async def build(data: dict[str, Any]) -> Call:
            return (f"{stage.label} sent to the {level}.", ds.send, (ld.view.id,),
                    {"version": scr.base_version, "include_siblings": sibs, "due_on": data["due_on"] or None})

        await dialog_loop(scr, "Send", fields, build, ok="Send",
                          intro=f"Send section {stage.section} ({stage.label}) to the {level}? A sent section cannot "
                                f"be edited. Its length is yours to set: give the day agreed, or leave it empty for "
                                f"the usual {usual}.")
        return
    if not await scr.ask(f"Send section {stage.section} ({stage.label}) to the {level}? "
                         "A sent section cannot be edited.", title="Send", yes="Send", no="Cancel"):
        return
    sibs = await scr.ask_siblings("send", (Status.DRAFT,))
    ok, res = await scr.write(f"{stage.label} sent to the {level}.", ds.send, ld.view.id,
                              version=scr.base_version, include_siblings=sibs)
    if not ok:
        scr.show_error(res)


async def respond(scr: DisputeScreen) -> None:
    ld = scr.ld
    if ld is None or ld.view.current is None or not scr.editable.response:
        return
    try:
        text, actions = scr.response_input()
    except FieldProblem as problem:
        _problem(scr, problem)
        return
    cur = ld.view.current
    label = ld.policy.stage(cur.stage_key).label
    if scr.on_behalf and len(cur.pending) > 1:  # answered jointly: whose response the chair is recording
        pending = tuple((r.responder_name, r.responder_id) for r in cur.pending)
        fields = [FieldSpec("for_id", "On behalf of", "choice", pending[0][1], pending, required=True)]

        async def build(data: dict[str, Any]) -> Call:
            name = next(n for n, i in pending if i == data["for_id"])
            return (f"Response from {name} recorded.", ds.record_response, (ld.view.id, text, actions),
                    {"on_behalf": True, "version": scr.base_version, "for_id": data["for_id"],
                     "on_success": scr.after_response})

        if await dialog_loop(scr, f"Record a response to {label}", fields, build, ok="Record and send",
                             intro="Each responder records their own; choose whose response this is. "
                                   "It cannot be changed afterwards."):
            scr.drafted = None
        return
    behalf = f" on behalf of {(cur.pending[0].responder_name if cur.pending else cur.responder_name)}" \
        if scr.on_behalf else ""
    if not await scr.ask(f"Record this response to {label}{behalf} with {len(actions)} SMART action(s) and "
                         f"send it to {ld.view.raised_by_name}? It cannot be changed afterwards.",
                         title="Record and send the response", yes="Record and send", no="Keep editing"):
        scr.say("Not sent. " + unsaved_hint(scr) + ".")
        return
    sibs = await scr.ask_siblings("record this same response", (Status.SENT, Status.NEGOTIATING))  # typed once
    ok, res = await scr.write(f"Response recorded and sent to {ld.view.raised_by_name}.", ds.record_response,
                              ld.view.id, text, actions, on_behalf=scr.on_behalf, version=scr.base_version,
                              include_siblings=sibs, on_success=scr.after_response)
    if ok:
        scr.drafted = None
    else:
        scr.show_error(res)


async def decide(scr: DisputeScreen) -> None:
    ld = scr.ld
    assert ld is not None and ld.view.current is not None
    cur = ld.view.current
    label = ld.policy.stage(cur.stage_key).label
    fields = [FieldSpec("resolved", "Is it resolved?", "choice", None,
                        (("Yes: resolved, finalise it", True), ("No: not resolved", False)), required=True),
              FieldSpec("comments", "Comments (required when not resolved)", "long")]

    async def build(data: dict[str, Any]) -> Call | None:
        sibs = await scr.ask_siblings("record this decision", (Status.RESPONDED, Status.NEGOTIATING))
        word = "resolved" if data["resolved"] else "not resolved"
        return (f"Decision recorded: {label} {word}.", oc.decide, (ld.view.id, data["resolved"], data["comments"]),
                {"version": scr.base_version, "include_siblings": sibs})

    await dialog_loop(scr, f"Decision on the response to {label}", fields, build, ok="Record decision",
                      intro=f"Response from {cur.responder_name}: {cur.response[:200]}")


async def negotiate(scr: DisputeScreen) -> None:
    ld = scr.ld
    assert ld is not None
    window = ld.policy.rules.negotiation_window.describe()
    fields = [FieldSpec("what_was_agreed", "What was discussed and agreed, with timescales", "long", required=True)]

    async def build(data: dict[str, Any]) -> Call:
        return (f"Further negotiation agreed ({window}).", oc.agree_negotiation, (ld.view.id, data["what_was_agreed"]),
                {"version": scr.base_version})

    await dialog_loop(scr, "Agree further negotiation", fields, build, ok="Record",
                      intro=f"Further actions must be done within {window}; the manager is told.")


async def extension(scr: DisputeScreen) -> None:
    ld = scr.ld
    assert ld is not None and ld.view.current is not None
    cur = ld.view.current
    due = cur.extension_until or cur.due_at
    needs_reason = ld.policy.rules.extension_needs_reason  # the procedure may not ask for one
    fields = [FieldSpec("until", "Extend the response to", "date", required=True),
              FieldSpec("benefit_to_the_child", "Benefit to the child of the extra time", "long",
                        required=needs_reason)]

    async def build(data: dict[str, Any]) -> Call:
        return (f"Extension agreed to {format_date(data['until'])}.", oc.agree_extension,
                (ld.view.id, data["until"], data["benefit_to_the_child"]), {"version": scr.base_version})

    await dialog_loop(scr, "Agree an extension", fields, build, ok="Agree extension",
                      intro=f"Response due {format_due(due) if due else '-'}. Record what the extra time "
                            "gains for the child and the further enquiries needed"
                            + ("." if needs_reason else " (optional in this procedure)."))


async def escalate(scr: DisputeScreen) -> None:
    ld = scr.ld
    assert ld is not None and ld.view.current is not None
    p, cur = ld.policy, ld.view.current
    targets = p.escalation_targets(cur.stage_key)
    options = tuple((f"Section {s.section}: {s.label} ({p.responders_label(s)})", s.key) for s in targets)
    rule = {BypassRule.NONE: "This procedure escalates to the next stage only.",
            BypassRule.ANY: "This procedure lets you go to any later stage.",
            BypassRule.LISTED: "You may go to the next stage, or straight to a stage the procedure allows."}
    fields = [FieldSpec("target", "Escalate to", "choice", targets[0].key if targets else None, options, required=True),
              FieldSpec("comment", "Why the response does not resolve it", "long",
                        hint="Required when a response was received and not yet decided.")]

    async def build(data: dict[str, Any]) -> Call:
        sibs = await scr.ask_siblings("escalate", AWAITING)
        target = p.stage(data["target"])
        return (f"Escalated to {target.label}" + (": it needs approval before sending." if target.requires_approval
                                                  else "; write the section and send it."),
                oc.escalate, (ld.view.id, data["target"], data["comment"]),
                {"version": scr.base_version, "include_siblings": sibs})

    await dialog_loop(scr, f"Escalate from {p.stage(cur.stage_key).label}", fields, build, ok="Escalate",
                      intro=rule[p.rules.bypass])


async def approve(scr: DisputeScreen) -> None:
    ld = scr.ld
    assert ld is not None and ld.view.current is not None
    label = ld.policy.stage(ld.view.current.stage_key).label
    fields = [FieldSpec("approve", "Your decision", "choice", True,
                        (("Approve", True), ("Decline (say why below)", False)), required=True),
              FieldSpec("note", "Note (the reason, when you decline)", "text")]

    async def build(data: dict[str, Any]) -> Call:
        if data["approve"] is False:
            return (f"Declined: {label} may not be sent.", oc.decline_approval, (ld.view.id, data["note"]), {})
        return (f"Agreed: {label} may be sent.", oc.approve_stage, (ld.view.id, data["note"]), {})

    await dialog_loop(scr, f"Agree {label}", fields, build, ok="Record decision",
                      intro=f"{ld.view.raised_by_name} asks your agreement to "
                            + (f"send {label}" if ld.view.current.sent_at is None else "a referral to Cafcass")
                            + f" for {ld.view.reference}.")


async def cafcass(scr: DisputeScreen) -> None:
    ld = scr.ld
    assert ld is not None
    kinds = {k: v for k, v in oc.CAFCASS_KINDS.items() if allowed(ld, Move(k))}  # only the steps allowed now
    if allowed(ld, Move.DISCUSSION):  # the discussions the procedure asks for before a step
        kinds["discussion"] = "Record a discussion the procedure asks for first"
    tell = sorted(set(ld.policy.tell_levels("cafcass_referral")) | set(ld.policy.tell_levels("legal_advice")))
    hint = ("The procedure asks you to discuss it with " + ", ".join(ld.policy.level_label(x) for x in tell)
            + " first: record each discussion as its own step." if tell else "")
    fields = [FieldSpec("kind", "Step", "choice", None, tuple((v, k) for k, v in kinds.items()), required=True),
              FieldSpec("note", "What and why (a discussion: what was said)", "long", required=True),
              FieldSpec("told", "Who was told first, and when", "text", hint=hint)]
    said: list[str] = []

    async def build(data: dict[str, Any]) -> Call | None:
        if data["kind"] == "discussion":
            said.append(str(data["note"] or ""))
            return None
        return (f"Recorded: {oc.CAFCASS_KINDS[data['kind']]}.", oc.cafcass_step,
                (ld.view.id, data["kind"], data["note"], data["told"]), {})

    await dialog_loop(scr, "Legal advice and Cafcass", fields, build, ok="Record",
                      intro="Seeking legal advice, discussing with Cafcass and referring are separate steps.")
    if said:
        await discussion(scr, said[0])


async def discussion(scr: DisputeScreen, said: str = "") -> None:
    """A discussion the procedure asks for before a step: with a person holding the level, when, what was said."""
    ld = scr.ld
    assert ld is not None
    v = ld.moves.get(Move.DISCUSSION)
    options: list[tuple[str, str]] = []
    for before in (v.targets if v is not None else ()):
        for level, pid, name, _user in scr.drp.desk.call(oc.discussion_partners, ld.view.id, before):
            options.append((f"{name} ({ld.policy.level_label(level)}), before {oc.DISCUSSION_BEFORE[before]}",
                            f"{before}|{level}|{pid}"))
    now = to_london(scr.drp.desk.clock.now())
    fields = [FieldSpec("with", "With whom (and before which step)", "choice", options[0][1] if options else None,
                        tuple(options), required=True),
              FieldSpec("held_date", "Date", "date", now.date(), required=True),
              FieldSpec("held_time", "Time (HH:MM)", "text", now.strftime("%H:%M"), required=True),
              FieldSpec("said", "What was said", "long", said, required=True)]

    async def build(data: dict[str, Any]) -> Call:
        try:
            at = time.fromisoformat(str(data["held_time"]).strip())
        except ValueError:
            raise FieldProblem("held_time", f"time: '{data['held_time']}' is not a time; type it as HH:MM") from None
        before, level, pid = str(data["with"] or "||").split("|")
        held = datetime.combine(data["held_date"], at, tzinfo=LONDON).astimezone(UTC)
        return ("Discussion recorded.", oc.record_discussion,
                (ld.view.id, before, level, int(pid) if pid.isdigit() else None, held, data["said"]), {})

    await dialog_loop(scr, "Record a discussion", fields, build, ok="Record",
                      intro="No one holds the level the procedure names: ask an administrator." if not options else "")


async def _reason(scr: DisputeScreen, title: str, done: str, fn: Callable[..., Any], ok: str, **kw: Any) -> None:
    ld = scr.ld
    assert ld is not None

    async def build(data: dict[str, Any]) -> Call:
        return done, fn, (ld.view.id, data["reason"]), dict(kw)

    await dialog_loop(scr, title, [FieldSpec("reason", "Reason", "long", required=True)], build, ok=ok)


async def withdraw(scr: DisputeScreen) -> None:
    await _reason(scr, "Withdraw this dispute", "Withdrawn.", oc.withdraw, "Withdraw", version=scr.base_version)


async def reopen(scr: DisputeScreen) -> None:
    await _reason(scr, "Reopen this dispute", "Reopened.", oc.reopen, "Reopen")


async def monitoring(scr: DisputeScreen) -> None:
    ld = scr.ld
    assert ld is not None
    today = london_date(scr.drp.desk.clock.now())
    fields = [FieldSpec("held_on", "Held on", "date", today, required=True),
              FieldSpec("outcome", "Outcome: have the agreed actions been achieved?", "long", required=True),
              FieldSpec("attendees", "Who attended", "text")]

    async def build(data: dict[str, Any]) -> Call:
        return ("Monitoring meeting recorded.", oc.record_monitoring,
                (ld.view.id, data["held_on"], data["outcome"], data["attendees"]), {})

    await dialog_loop(scr, "Record a monitoring meeting", fields, build, ok="Record")


async def meeting(scr: DisputeScreen) -> None:
    ld = scr.ld
    assert ld is not None
    today = london_date(scr.drp.desk.clock.now())
    fields = [FieldSpec("held_on", "Held on", "date", today, required=True),
              FieldSpec("attendees", "Who attended", "text", required=True),
              FieldSpec("outcome", "Outcome: what was agreed", "long", required=True)]

    async def build(data: dict[str, Any]) -> Call:
        return ("Meeting recorded.", oc.record_meeting,
                (ld.view.id, data["held_on"], data["attendees"], data["outcome"]), {"version": scr.base_version})

    await dialog_loop(scr, "Record the stage's meeting", fields, build, ok="Record")


async def conversation(scr: DisputeScreen) -> None:
    ld = scr.ld
    assert ld is not None
    now = to_london(scr.drp.desk.clock.now())
    hows = ("in person", "phone", "e-mail", "Teams")
    fields = [FieldSpec("with_whom", "With whom", "text", required=True),
              FieldSpec("held_date", "Date", "date", now.date(), required=True),
              FieldSpec("held_time", "Time (HH:MM)", "text", now.strftime("%H:%M"), required=True),
              FieldSpec("how", "How", "choice", None, tuple((h, h) for h in hows), required=True),
              FieldSpec("what_was_agreed", "What was agreed", "long", required=True),
              FieldSpec("timescale", "By when", "text")]

    async def build(data: dict[str, Any]) -> Call:
        try:
            at = time.fromisoformat(str(data["held_time"]).strip())
        except ValueError:
            raise FieldProblem("held_time", f"time: '{data['held_time']}' is not a time; type it as HH:MM") from None
        held = datetime.combine(data["held_date"], at, tzinfo=LONDON).astimezone(UTC)
        return ("Conversation recorded.", oc.record_conversation,
                (ld.view.id, data["with_whom"], held, data["how"], data["what_was_agreed"], data["timescale"]), {})

    await dialog_loop(scr, "Record a conversation", fields, build, ok="Record")


async def action_done(scr: DisputeScreen) -> None:
    ld = scr.ld
    assert ld is not None
    verdict = ld.moves.get(Move.ACTION_DONE)
    mine = set(verdict.targets) if verdict is not None else set()
    acts = [a for s in ld.view.stages for a in s.actions if a.done_on is None and str(a.id) in mine]
    options = tuple((f"{a.description[:44]} ({a.owner}, by {format_date(a.due)})", a.id) for a in acts)
    today = london_date(scr.drp.desk.clock.now())
    fields = [FieldSpec("action", "Action", "choice", acts[0].id if len(acts) == 1 else None, options, required=True),
              FieldSpec("done_on", "Done on", "date", today, required=True)]

    async def build(data: dict[str, Any]) -> Call:
        return "Action marked done.", oc.complete_action, (data["action"], data["done_on"]), {}

    await dialog_loop(scr, "Mark an action done", fields, build, ok="Mark done")
