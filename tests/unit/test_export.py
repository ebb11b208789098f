"""Evidence bundles and case-note text (issue 13, items 2 and 3).

A dispute is walked through the services on the frozen clock (raised, sent, answered a working
day late with SMART actions, a conversation, not resolved, escalated); then it is written out.
The PDF's text is read back with pypdf; the HTML is checked for escaping; each export, and each
refused one, is checked in the audit trail. Working days are worked out here from the calendar,
never copied from the output.
"""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from drp_tui.cli import main
from drp_tui.cli import dispute as cli_dispute
from drp_tui.domain.timeutil import LONDON, format_date, london_date
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.services.bundle_files import latin1, to_html, to_pdf, write_bundle
from drp_tui.services.errors import PermissionDenied
from drp_tui.services.export import SECTION_TITLES, Block, Bundle, Section, Table, case_notes, export_child, export_dispute
from drp_tui.store import access_log, audit_check
from drp_tui.store import models as m
from drp_tui.store.db import close_database
from tests.factories import PASSWORD, World

CONCERN = "No contact <script>alert('x')</script> & <b>bold</b> for eight weeks \x1b[31m"
RESPONSE = "Contact booked \u201cfrom Monday\u201d \u2014 Zo\u00eb\u2019s visits \U0001F600 \u2460 resume."


def walk(world: World) -> int:
    """A dispute that went one stage up: sent Mon 23 Nov, answered late, not resolved, escalated."""
    policy = world.policy
    first = policy.stages[0]
    ctx = world.ctx()
    (did,) = ds.raise_dispute(ctx, ds.RaiseInput(
        child_ids=[world.child.id], category=policy.categories[0].key, start_stage=first.key,
        issue_arose=date(2026, 11, 20), concern=CONCERN, impact="She asks about him at every visit.",
        wanted="Dates agreed and shared."))
    ds.send(ctx, did)
    view = ds_view(did)
    due = view.stages[0].due_date
    assert due is not None
    late_day = world.calendar.add_working_days(due, 1)  # answered one working day after the due day
    world.clock.set(datetime(late_day.year, late_day.month, late_day.day, 15, 0, tzinfo=LONDON))
    ds.record_response(world.ctx(world.responder(first.key)), did, RESPONSE,
                       [ds.ActionInput("Book sibling contact", "Social Worker",
                                       world.calendar.add_working_days(late_day, 5))])
    outcomes.record_conversation(ctx, did, "Pat <i>Parent</i>", world.clock.now(), "phone", "Will attend", "")
    outcomes.decide(ctx, did, False, "No dates given")
    outcomes.escalate(ctx, did, None, "Not resolved")
    return int(did)


def ds_view(did: int) -> Any:
    from drp_tui.store.queries_dispute import get_dispute

    return get_dispute(did)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- the bundle -----------------------------------------------------------------------------------

def test_the_pdf_holds_every_section_and_the_chain_digests(world: World) -> None:
    did = walk(world)
    d = m.Dispute.get_by_id(did)
    bundle = export_dispute(world.ctx(), did)
    text = pdf_text(to_pdf(bundle))
    flat = squash(text)
    for title in SECTION_TITLES:
        assert squash(title) in flat, title
    for rec in m.StageRecord.select().where(m.StageRecord.dispute == did):
        assert squash(f"{d.reference}: {world.policy.stage(rec.stage_key).label}") in flat
    assert "Book sibling contact" in text and "No dates given" in text and "Will attend" in text
    events = list(m.Event.select().where((m.Event.dispute == did) & (m.Event.kind != "export")))
    assert len(events) >= 5
    for e in events:
        assert e.hash in flat, e.id  # every event's link in the chain, in full
    own = m.Event.get(m.Event.kind == "export")
    assert own.id == bundle.event_id and own.hash in flat
    assert "Howtoverify" in flat and "drpauditverify" in flat and "drpauditdigest" in flat
    # the export itself: who, what, when, with the reference and no names
    assert own.actor_id == world.chair.id and own.dispute_id == did and own.at == world.clock.now()
    assert d.reference in own.summary
    for name in (world.child.name, world.chair.name, world.child.case_number):
        assert name not in own.summary and name not in own.after
    assert audit_check.verify() == []


def test_due_against_actual_is_counted_in_working_days(world: World) -> None:
    did = walk(world)
    rec = m.StageRecord.select().where(m.StageRecord.dispute == did).order_by(m.StageRecord.seq).first()
    taken = world.calendar.working_days_between(london_date(rec.sent_at), london_date(rec.response_at))
    bundle = export_dispute(world.ctx(), did)
    (timeline,) = [s for s in bundle.sections if s.title.endswith(SECTION_TITLES[4])]
    table = next(it for it in timeline.items if hasattr(it, "rows") and it.headers[0] == "Stage")
    row = table.rows[0]
    n = world.policy.stage(rec.stage_key).timescale.working_days
    assert row[2] == f"{n} working days"
    assert row[3] == format_date(world.calendar.add_working_days(london_date(rec.sent_at), n))
    assert row[5] == str(taken) == str(n + 1) and row[6] == "responded 1 working day late"
    clocks = next(it for it in timeline.items if hasattr(it, "rows") and it.headers[0] == "Clock")
    (clock,) = [r for r in clocks.rows if r[0] == f"Response to {world.policy.stage(rec.stage_key).label}"]
    assert clock[5] == "responded 1 working day late"
    raised = next(r for r in clocks.rows if r[0].startswith(world.policy.vocabulary.short))
    window = world.policy.rules.raise_window
    if window.working_days is not None:  # sent on the Monday after the issue arose on a Friday
        assert raised[1] == window.describe()
        assert raised[4] == str(world.calendar.working_days_between(date(2026, 11, 20), date(2026, 11, 23)))


def test_the_html_escapes_markup_and_shows_control_characters(world: World) -> None:
    did = walk(world)
    page = to_html(export_dispute(world.ctx(), did))
    assert "<script>" not in page and "<b>bold</b>" not in page and "<i>Parent</i>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "\x1b" not in page  # (the services drop control characters from typed text)
    assert "default-src 'none'" in page  # no script would run even if one got through
    assert RESPONSE.replace("\U0001F600", "").split()[0] in page and "Zo\u00eb\u2019s" in page


def test_control_and_invisible_characters_are_shown_not_obeyed() -> None:
    bundle = Bundle("Evil\x1b[31m", "R-1", (Section("S", (Block("Name", "exe.\u202eevil"), Table(("a",), (("<x>\x07",),)))),),
                    1, "d" * 64, False)
    page = to_html(bundle)
    assert "\x1b" not in page and "\u202e" not in page and "\x07" not in page
    assert "Evil&lt;U+001B&gt;[31m" in page and "exe.&lt;U+202E&gt;evil" in page and "&lt;x&gt;&lt;U+0007&gt;" in page
    assert "exe.<U+202E>evil" in pdf_text(to_pdf(bundle))


def test_characters_the_core_font_lacks_are_replaced_not_fatal(world: World) -> None:
    did = walk(world)
    text = pdf_text(to_pdf(export_dispute(world.ctx(), did)))
    assert '"from Monday" - Zo\u00eb\'s visits <U+1F600>' in text
    assert latin1("\u2460") == "1" and latin1("\u202e") == "<U+202E>" and latin1("\x1b") == "<U+001B>"


def test_redaction_replaces_staff_names_by_their_level(world: World) -> None:
    did = walk(world)
    bundle = export_dispute(world.ctx(), did, redact=True)
    everything = "\n".join(bundle.texts())
    staff = list(m.Staff.select())
    for s in staff:
        assert s.name not in everything, s.name
    assert world.child.name in everything  # the child is the subject, not a third party
    assert "Parent" not in everything and "[person spoken to]" in everything  # a conversation's other party
    responder = world.responder(world.policy.stages[0].key)
    level = world.policy.stages[0].responder_level
    assert f"[{world.policy.level_label(level)}]" in everything, responder.name
    assert f"[{world.policy.vocabulary.chair_title}]" in everything
    assert "redacted" in m.Event.get(m.Event.kind == "export").summary


def test_an_export_by_someone_who_may_not_read_it_is_refused_and_audited(world: World) -> None:
    did = walk(world)
    before = m.Event.select().count()
    for who in (world.other_chair, world.admin):
        with pytest.raises(PermissionDenied):
            export_dispute(world.ctx(who), did)
        refused = m.Event.select().order_by(m.Event.id.desc()).first()
        assert refused.kind == "refused" and refused.actor_id == who.id and refused.dispute_id == did
        assert "export dispute refused" in refused.summary
    with pytest.raises(PermissionDenied):
        export_child(world.ctx(world.other_chair), world.child.id)
    assert m.Event.select().order_by(m.Event.id.desc()).first().kind == "refused"
    assert m.Event.select().count() == before + 3
    assert not m.Event.select().where(m.Event.kind == "export").exists()


def test_a_childs_bundle_holds_each_dispute_they_may_see(world: World, tmp_path: Path) -> None:
    did = walk(world)
    ref = m.Dispute.get_by_id(did).reference
    bundle = export_child(world.ctx(), world.child.id)
    pdf, html = write_bundle(bundle, tmp_path / "out")
    assert pdf.parent == html.parent == tmp_path / "out" and pdf.read_bytes().startswith(b"%PDF")
    assert oct(pdf.stat().st_mode & 0o777) == "0o600"
    flat = squash(pdf_text(pdf.read_bytes()))
    assert squash(f"{ref}: {SECTION_TITLES[1]}") in flat and world.child.case_number in flat
    ev = m.Event.get(m.Event.kind == "export")
    assert ev.child_id == world.child.id and ev.dispute_id is None and world.child.case_number in ev.summary
    # the export is part of the child's access record
    assert [a.event_id for a in access_log.accesses(world.child.id)][-1] == ev.id


# --- case notes ---------------------------------------------------------------------------------------

def test_case_note_text_for_each_step(world: World) -> None:
    did = walk(world)
    ref = m.Dispute.get_by_id(did).reference
    notes = case_notes(world.ctx(), did)
    steps = [n.step for n in notes]
    assert steps[:3] == ["raised", "stage", "response"] and "decision" in steps and "conversation" in steps
    first = world.policy.stages[0].label
    for n in notes:
        assert n.text.startswith(f"{world.policy.vocabulary.process} {ref}: ")
        assert all(ch in "\n" or ch.isprintable() for ch in n.text)
    response = notes[steps.index("response")].text
    assert f"response to {first}" in response and "Book sibling contact" in response
    assert "(responded 1 working day late)" in response
    ev = m.Event.select().order_by(m.Event.id.desc()).first()
    assert ev.kind == "export" and ev.summary == f"Exported case-note text: {ref}" and ev.actor_id == world.chair.id
    stage_id = m.StageRecord.select().where(m.StageRecord.dispute == did).order_by(m.StageRecord.seq).first().id
    only = case_notes(world.ctx(), did, stage_id)
    assert {n.step for n in only} == {"stage", "response", "decision"}


# --- the command line ------------------------------------------------------------------------------------

def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Path, config: Path, who: str,
        *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    status = main(["--db", str(db), "--config", str(config), "export", *argv, "--as", who, "--password-stdin"])
    out, err = capsys.readouterr()
    return status, out, err


def test_drp_export_writes_pdf_and_html_and_refuses_and_records(world: World, db_path: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    did = walk(world)
    ref = m.Dispute.get_by_id(did).reference
    config = tmp_path / "drp.toml"
    config.write_text('policy = "mosaic-iro"\nnation = "ENG"\n', encoding="utf-8")
    close_database()
    monkeypatch.setattr(cli_dispute, "CLOCK", world.clock)
    try:
        status, out, err = run(capsys, monkeypatch, db_path, config, "chair1", "dispute", ref.lower(), "-o",
                               str(tmp_path / "bundles"))
        assert status == 0, err
        made = sorted((tmp_path / "bundles").iterdir())
        assert [p.suffix for p in made] == [".html", ".pdf"] and str(made[1]) in out
        assert ref in made[0].read_text(encoding="utf-8")
        ev = m.Event.select().where(m.Event.kind == "export").order_by(m.Event.id.desc()).first()
        assert ev.dispute_id == did and ev.actor_id == world.chair.id

        status, out, err = run(capsys, monkeypatch, db_path, config, "chair1", "child", world.child.case_number,
                               "-o", str(tmp_path / "kid.pdf"), "--json", "--redact")
        assert status == 0 and json.loads(out)["html"] == str(tmp_path / "kid.html")
        assert (tmp_path / "kid.pdf").exists() and world.chair.name not in (tmp_path / "kid.html").read_text("utf-8")

        status, out, err = run(capsys, monkeypatch, db_path, config, "chair2", "dispute", ref, "-o",
                               str(tmp_path / "no"))
        assert status == 2 and out == "" and err.startswith("drp export: ") and not (tmp_path / "no").exists()
        last = m.Event.select().order_by(m.Event.id.desc()).first()
        assert last.kind == "refused" and last.dispute_id == did and last.actor_id == world.other_chair.id

        for ref_like in ("DRP-1999-0001", "DRP-%", ref.replace("-", "_")):
            status, out, err = run(capsys, monkeypatch, db_path, config, "chair1", "dispute", ref_like, "-o",
                                   str(tmp_path / "no"))
            assert status == 2 and "REF: no dispute" in err

        blocker = tmp_path / "a-file"
        blocker.write_text("", encoding="utf-8")
        status, out, err = run(capsys, monkeypatch, db_path, config, "chair1", "dispute", ref, "-o",
                               str(blocker / "inside"), "--json")
        assert status == 2 and json.loads(out) == {"ok": False, "error": "--out: cannot write there: "
                                                   "NotADirectoryError", "field": "out"}

        status, out, err = run(capsys, monkeypatch, db_path, config, "chair1", "casenote", ref, "--stage", "1")
        assert status == 0 and out.startswith(f"{world.policy.vocabulary.process} {ref}: ") and "Book sibling" in out
        assert m.Event.select().order_by(m.Event.id.desc()).first().summary == f"Exported case-note text: {ref}"

        capsys.readouterr()
        own = m.Event.select().where(m.Event.kind == "export").order_by(m.Event.id).first()
        assert main(["--db", str(db_path), "--config", str(config), "audit", "digest", str(own.id)]) == 0
        assert capsys.readouterr().out == f"event {own.id}: {own.hash}\n"
    finally:
        close_database()
