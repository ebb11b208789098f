"""The desk when its database file goes away (moved or deleted) under it: the save is
refused with the store's message on the form's status line, the typed text stays on
screen, and nothing is written anywhere (no new empty database at the path)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from drp_tui.domain.model import Status
from drp_tui.store import models as m
from tests.ui.test_dispute_form import fields, keys, message, open_form, pick, run


def test_a_save_after_the_file_has_gone_is_refused_and_the_text_is_kept(make_app: Any) -> None:
    app = make_app("cpatel")
    path = Path(app.desk.setup.db_target)
    moved = path.with_name("moved-away.db")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        before = m.StageRecord.get(m.StageRecord.dispute == did).chair_wanted
        version = m.Dispute.get_by_id(did).version
        form = await open_form(pilot, did)
        m.database.obj.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # (so the moved file is complete)
        os.rename(path, moved)  # someone moves the file while the desk is open
        fields(form)["chair_wanted"].set_raw("Contact plan typed after the move")
        await keys(pilot, "ctrl+s")
        assert message(form) == (f"The database file {path} has gone (moved or deleted). Nothing more will be "
                                 "saved; your text is kept. Ask your administrator.")
        shown = " ".join(" ".join(s.text for s in app.screen._compositor.render_strips()).split())
        assert "has gone (moved or deleted). Nothing more will be saved; your text is kept." in shown
        assert fields(form)["chair_wanted"].raw == "Contact plan typed after the move"
        assert form.unsaved_draft() == {"chair_wanted": "Contact plan typed after the move"}
        await keys(pilot, "ctrl+s")  # again: still refused, still kept
        assert "has gone" in message(form)
        assert not path.exists()  # never re-created empty
        # the session wrote nothing: what it reads is unchanged ...
        assert m.StageRecord.get(m.StageRecord.dispute == did).chair_wanted == before
        assert m.Dispute.get_by_id(did).version == version

    run(app, body)
    # ... and neither is the moved file
    with sqlite3.connect(moved) as con:
        texts = [r[0] for r in con.execute("SELECT chair_wanted FROM stage_record")]
    assert texts and "Contact plan typed after the move" not in texts
