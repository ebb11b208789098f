"""Keys across the whole desk (issue 11, item 2).

- ``g``/``G``: first / last row in every list;
- the footer shows each mode's letter beside its F-key, and F5 Reports to oversight only;
- the caseload key (F2 or H) always returns to the caseload list, keeping typed text as a draft;
  pressed again on the list it does nothing;
- one meaning per key: every binding of every class of the desk is walked, and a key that means
  two things fails unless that double meaning is listed here on purpose;
- keys remapped from the config file's ``[keys]`` table (Textual's keymap, by binding id).
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.actions import parse as parse_action
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import DataTable

from drp_tui.domain.model import Status
from drp_tui.store import models as m
from drp_tui.ui.keys import APP_BINDINGS, LIST_BINDINGS, desk_bindings
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.history import HistoryScreen
from drp_tui.ui.widgets.caseload_table import CaseloadTable
from tests.ui.test_dispute_form import fields, keys, open_form, pick, run, screen_text, settle


# --- g / G ------------------------------------------------------------------------------------------
def test_g_and_shift_g_go_to_the_first_and_last_row_of_a_list(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        await keys(pilot, "C")  # the children list
        children = app.screen.query_one("#children-table", DataTable)
        children.focus()
        assert children.row_count > 3
        await keys(pilot, "G")
        assert children.cursor_row == children.row_count - 1
        await keys(pilot, "g")
        assert children.cursor_row == 0
        await keys(pilot, "j", "j", "shift+g")
        assert children.cursor_row == children.row_count - 1
        history = HistoryScreen(dispute_id=pick(Status.SENT, stage="informal", overdue=True,
                                                now=app.desk.clock.now()))
        app.push_screen(history)
        await settle(pilot)
        events = history.query_one("#events-table", DataTable)
        assert events.has_focus and events.row_count > 1
        await keys(pilot, "G")
        assert events.cursor_row == events.row_count - 1
        await keys(pilot, "g")
        assert events.cursor_row == 0

    run(app, body)


def test_g_and_shift_g_in_the_caseload_go_to_its_first_and_last_row(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        await keys(pilot, "6")  # every dispute
        table = app.screen.query_one(CaseloadTable)
        assert table.has_focus and table.row_count > 2
        await keys(pilot, "G")
        screen = app.screen
        assert isinstance(screen, CaseloadScreen)
        last_id = table.current_id
        assert table.cursor_row == table.row_count - 1
        await keys(pilot, "g")
        assert table.cursor_row == 0 and table.current_id != last_id

    run(app, body)


# --- the footer ----------------------------------------------------------------------------------------
def footer_line(app: Any) -> str:
    return screen_text(app).splitlines()[-1]


def test_the_footer_shows_the_letters_beside_the_f_keys(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        line = footer_line(app)
        assert "F2/L" in line and "F3/C" in line and "F4/I" in line
        assert "F5/R" not in line and "Reports" not in line  # a chair has no reports

    run(app, body, size=(120, 24))


def test_oversight_sees_f5_reports_in_the_footer(make_app: Any) -> None:
    app = make_app("osman")

    async def body(pilot: Pilot[Any]) -> None:
        line = footer_line(app)
        assert "F5/R" in line and "Reports" in line
        await keys(pilot, "f5")
        assert app.current_mode == "reports"

    run(app, body, size=(120, 24))


# --- the caseload key --------------------------------------------------------------------------------
def test_the_caseload_key_returns_to_the_list_not_the_last_dispute(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        await open_form(pilot, pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now()))
        await keys(pilot, "C")
        assert app.current_mode == "children"
        await keys(pilot, "f2")
        assert isinstance(app.screen, CaseloadScreen)  # the list, not the dispute opened before
        assert len(app.screen_stack) == 1
        await keys(pilot, "f2", "L")  # again on the list: still the list, nothing else happens
        assert isinstance(app.screen, CaseloadScreen) and len(app.screen_stack) == 1
        await open_form(pilot, pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now()))
        await keys(pilot, "L")  # from the dispute itself, by its letter
        assert isinstance(app.screen, CaseloadScreen) and len(app.screen_stack) == 1

    run(app, body)


def test_the_caseload_key_keeps_typed_text_as_a_draft(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        form = await open_form(pilot, did)
        fields(form)["chair_wanted"].set_raw("Typed before going home")
        await settle(pilot)
        assert form.unsaved_draft()
        drafts_before = m.Draft.select().count()
        await keys(pilot, "f2")
        assert isinstance(app.screen, CaseloadScreen) and len(app.screen_stack) == 1
        kept = list(m.Draft.select())
        assert len(kept) == drafts_before + 1
        assert "Typed before going home" in kept[-1].payload

    run(app, body)


# --- one meaning per key ----------------------------------------------------------------------------
# What a binding means, from its action: these actions all mean "close this / go back".
CLOSE = {"go_back", "back_or_quit", "back", "close", "cancel", "answer(False)", "choose('cancel')"}
SAME = {"scroll_home": "scroll_top", "scroll_end": "scroll_bottom", "select_cursor": "open"}

# Letters that mean different things on different screens, on purpose (each screen's own verbs and
# tab initials, shown in its footer and help). A new meaning for any key fails until it is added here.
INTENDED: dict[str, set[str]] = {
    "a": {"acknowledge", "flow('approve')", "tab('access')", "add"},  # admin: add (the screen's own verb)
    "c": {"compliment", "flow('cafcass')", "tab('clocks')", "close"},  # conflict dialog: cancel
    "d": {"flow('decide')", "discard"},
    "e": {"explain", "flow('escalate')", "close", "toggle_generic", "enable"},  # explanation: closes; help: editing keys
    "n": {"flow('negotiate')", "tab('numbers')", "close"},  # a yes/no question: n is no
    "o": {"sort", "flow('reopen')", "open", "tab('outstanding')"},
    "r": {"raise_dispute", "flow('respond')"},
    "s": {"flow('send')", "tab('stages')"},
    "t": {"flow('conversation')", "tab('timeline')", "choose('theirs')", "hand_over"},
    "m": {"flow('monitoring')", "choose('mine')", "move"},
    "x": {"flow('extension')", "remove", "export"},  # admin: disable an account ...; history: the evidence bundle
    "slash": {"filter", "find"},  # filter a list as you type / find children (admin), the same idea
    # the admin screen's tabs are digits, as the caseload's views are
    **{d: {f"view('{v}')", f"tab('{t}')"} for d, v, t in (
        ("1", "mine", "staff"), ("2", "awaiting", "teams"), ("3", "team", "children"), ("4", "overdue", "closures"),
        ("5", "resolved", "procedure"))},
    "ctrl+s": {"save", "save_draft", "send", "raise", "submit"},  # save or submit the form on screen
    "ctrl+r": {"reload", "remove_row"},  # remove_row: the SMART actions editor, on a form without reload
    "ctrl+o": {"sign_out"},
    "enter": {"open", "submit", "close", "done"},
    "down": {"cursor_down", "done", "to_list"},  # from a filter (or the finder), down moves into the list below it
    "escape": {"close", "done"},  # ... and escape leaves the filter for the list
    "f1": {"help", "close"},  # the help key closes the help again
    "question_mark": {"help", "close"},
    "ctrl+n": {"other_user", "add_row"},  # the lock screen (no form on show) / the SMART actions editor
}


def meaning(action: str) -> str:
    _ns, name, params = parse_action(action)
    whole = f"{name}({', '.join(repr(p) for p in params)})" if params else name
    if whole in CLOSE or name in CLOSE:
        return "close"
    return SAME.get(whole, whole)


def key_meanings() -> dict[str, dict[str, set[str]]]:
    """key -> meaning -> the classes that bind it so."""
    out: dict[str, dict[str, set[str]]] = {}
    for owner, b in desk_bindings():
        for key in b.key.split(","):
            key = key.strip()
            if len(key) == 1 and key.isupper():
                key = f"shift+{key.lower()}"
            out.setdefault(key, {}).setdefault(meaning(b.action), set()).add(owner)
    return out


def test_one_meaning_per_key_across_the_desk() -> None:
    found = key_meanings()
    assert "j" in found and "f2" in found and "o" in found  # the walk found the desk's classes
    problems = []
    for key, meanings in sorted(found.items()):
        if len(meanings) < 2:
            continue
        extra = set(meanings) - INTENDED.get(key, set()) - {"close"} if key in INTENDED else set(meanings)
        if key in INTENDED and not extra:
            continue
        problems.append(f"{key}: " + "; ".join(f"{mn} ({', '.join(sorted(o))})" for mn, o in meanings.items()))
    assert not problems, "keys with two meanings:\n" + "\n".join(problems)


def test_the_desk_wide_keys_mean_nothing_else_anywhere() -> None:
    found = key_meanings()
    for b in [*APP_BINDINGS, *LIST_BINDINGS]:
        assert isinstance(b, Binding)
        for key in b.key.split(","):
            key = f"shift+{key.lower()}" if len(key) == 1 and key.isupper() else key
            assert set(found[key]) <= {meaning(b.action), "close"} | INTENDED.get(key, set()), (key, found[key])


def test_the_meaning_check_catches_a_second_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: ``k`` bound to anything but "up" (as the conflict dialog once did) is found."""
    from drp_tui.ui import keys as keys_module

    real = keys_module.desk_bindings
    monkeypatch.setattr("tests.ui.test_keys_desk.desk_bindings",
                        lambda: [*real(), ("ConflictDialog", Binding("k", "choose('mine')", "Keep mine"))])
    with pytest.raises(AssertionError, match="k: "):
        test_one_meaning_per_key_across_the_desk()


# --- remapped from the config file ------------------------------------------------------------------
def test_keys_are_remapped_from_the_config_file(make_app: Any) -> None:
    app = make_app("cpatel", keys={"mode.inbox": "f4,ctrl+b", "list.top": "g,0", "no.such.key": "f9"})

    async def body(pilot: Pilot[Any]) -> None:
        assert "no.such.key" in " ".join(str(n.message) for n in app._notifications)
        await keys(pilot, "ctrl+b")
        assert app.current_mode == "inbox"
        await keys(pilot, "L")
        table = app.screen.query_one(CaseloadTable)
        await keys(pilot, "j", "j", "0")
        assert table.cursor_row == 0

    run(app, body)


def test_a_bad_keys_table_names_the_key(tmp_path: Any) -> None:
    from drp_tui.config import ConfigError, load_config

    path = tmp_path / "config.toml"
    path.write_text('[keys]\n"mode.inbox" = ""\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="keys.'mode.inbox'"):
        load_config(str(path))
    path.write_text('[keys]\n"mode.inbox" = "f4, i"\n', encoding="utf-8")
    assert load_config(str(path)).keys == {"mode.inbox": "f4,i"}



def test_every_key_id_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "KEYS.md").read_text(encoding="utf-8")
    missing = sorted({b.id for _o, b in desk_bindings() if b.id and f"`{b.id}`" not in doc})
    assert not missing, f"docs/KEYS.md does not name: {missing}"
