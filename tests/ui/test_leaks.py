"""Nothing leaks: a disabled account's open desk locks; admin sees no child; the palette
offers only the desk's commands; a crash shows a reference, never personal data;
user text shows as typed."""

from __future__ import annotations

from typing import Any

from drp_tui.ui.live import DISABLED
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.lock import LockScreen
from tests.ui.desk_helpers import child_names, desk_test, raw, screen_text, settle


@desk_test
async def test_a_disabled_accounts_open_desk_locks_at_the_next_poll(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.poll_now()
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen)
        names = child_names(app)
        assert any(n in screen_text(app) for n in names)  # the caseload is on show
        with raw(app) as con:  # an administrator disables the account from another session
            con.execute("UPDATE staff SET active = 0 WHERE username = 'cpatel'")
        await app.poll_now()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        text = screen_text(app)
        assert "Your account is disabled" in text
        assert not any(n in text for n in names)
        with raw(app) as con:  # the account is still disabled in the database; nothing was written for it
            assert con.execute("SELECT active FROM staff WHERE username = 'cpatel'").fetchone() == (0,)
        assert DISABLED in app.screen.shown_message


@desk_test
async def test_admins_children_and_caseload_show_no_child(make_app: Any) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        names = child_names(app)
        assert names
        text = screen_text(app)
        assert "no disputes: admin sees no case content" in text
        assert not any(n in text for n in names)
        await pilot.press("f3")
        await settle(pilot)
        assert app.current_mode == "children"
        text = screen_text(app)
        assert not any(n in text for n in names)
        assert app.screen.query_one("#children-table").row_count == 0
        assert "sees no child's details" in text
        with raw(app) as con:
            case_numbers = [r[0] for r in con.execute("SELECT case_number FROM child")]
        assert not any(c in text for c in case_numbers)


# --- the palette offers only the desk's commands ---------------------------------------------------
def _palette_prompts(app: Any) -> list[str]:
    from textual.command import CommandList

    options = app.screen.query_one(CommandList)
    return [str(getattr(o.prompt, "plain", o.prompt)).split("\n")[0] for o in options.options]


@desk_test
async def test_palette_has_no_screenshot_no_theme_list_and_one_quit(make_app: Any, tmp_path: Any,
                                                                   monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        prompts = _palette_prompts(app)
        assert any(p.startswith("Go to Caseload") for p in prompts)  # the list is really there
        lowered = [p.lower() for p in prompts]
        assert not any("screenshot" in p for p in lowered)
        assert not any(p.startswith("theme") or "change the current theme" in p for p in lowered)
        assert not any(p.startswith("keys") or p.startswith("maximize") for p in lowered)
        assert sum(1 for p in lowered if p.split(" (")[0].strip() == "quit") == 1
        for ch in "quit":
            await pilot.press(ch)
        await settle(pilot)
        assert [p for p in _palette_prompts(app) if "quit" in p.lower()] == ["Quit"]
        await pilot.press("escape")
        await settle(pilot)
        # only the desk's two themes exist; ctrl+t still toggles between them
        assert sorted(app.available_themes) == ["drp-16", "textual-dark"]
        assert list(app.get_system_commands(app.screen)) == []
        before = app.theme
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.theme != before and app.theme in ("drp-16", "textual-dark")
        app.action_change_theme()  # Textual's theme picker: not offered, toggles instead
        await settle(pilot)
        assert app.theme == before
        # no key or command can write a screenshot (the caseload, with children's names, to a file)
        downloads = tmp_path / "home" / "Downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        app.action_screenshot()
        app.deliver_screenshot()
        assert app.save_screenshot() == ""
        assert app.save_screenshot("x.svg", str(tmp_path)) == ""
        await app.run_action("screenshot")
        await settle(pilot)
        assert list(tmp_path.rglob("*.svg")) == []


# --- text shows as typed; filters match literally ----------------------------------------------------
def _rows(app: Any) -> list[tuple[str, ...]]:
    from drp_tui.ui.widgets.caseload_table import CaseloadTable

    table = app.screen.query_one(CaseloadTable)
    return [tuple(str(getattr(c, "plain", c)) for c in table.get_row_at(i)) for i in range(table.row_count)]


@desk_test
async def test_invisible_characters_show_as_markers_and_the_filter_is_literal(make_app: Any) -> None:
    app = make_app("cpatel")
    with raw(app) as con:
        ids = [r[0] for r in con.execute("SELECT child_id FROM dispute WHERE raised_by_id = 3 "
                                          "AND status = 'sent' ORDER BY next_due_at LIMIT 3")]
        con.execute("UPDATE child SET name = ? WHERE id = ?", ("Ann\u202eeiv", ids[0]))  # RLO
        con.execute("UPDATE child SET name = ? WHERE id = ?", ("100%_done", ids[1]))
        con.execute("UPDATE child SET name = ? WHERE id = ?", ("A_B", ids[2]))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Ann\u27e8U+202E\u27e9eiv" in text  # shown, not obeyed
        assert "\u202e" not in text and "\u202e" not in app.export_screenshot()
        screen = app.screen
        for typed, expected in (("%", {"100%_done"}), ("A_B", {"A_B"}), ("100%_", {"100%_done"})):
            screen.apply_filter(typed)
            await settle(pilot)
            shown = {c for row in _rows(app) for c in row}
            assert {n for n in ("100%_done", "A_B", "Ann\u27e8U+202E\u27e9eiv") if n in shown} == expected, typed
        screen.apply_filter("%%")
        await settle(pilot)
        assert _rows(app) == [] and "no disputes matching '%%'" in screen_text(app)
