"""Every key of the desk, in one place, each with an id (remappable with ``set_keymap``).

Chosen to work in PuTTY, Windows Terminal and over SSH: function keys F1-F4 (PuTTY
sends ESC[11~..ESC[14~, which Textual reads), plain ctrl+letter, and single
characters only where no text field has focus (a focused Input swallows them).

Function keys have letter twins (some SSH clients and terminals swallow F-keys): ``H`` home
(my work: what needs me now; F7), ``L`` the caseload (the lists), ``C`` children, ``I`` inbox, ``R`` reports,
``A`` admin (F8, administrator only) — capitals, free on every screen (the screens' own letters are lower case), working wherever no text field has focus. ``j``/``k``
move down/up in every table, ``q`` closes the screen (at home: quit, asking about unsaved text).
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

# --- the whole desk (DrpApp.BINDINGS) -------------------------------------------
MODE_KEYS = {"caseload": "f2", "children": "f3", "inbox": "f4", "reports": "f5", "admin": "f8"}
MODE_LETTERS = {"caseload": "L", "children": "C", "inbox": "I", "reports": "R", "admin": "M"}  # the F-keys' twins
HOME_MODE = "work"  # "My work": what needs the signed-in person now (the first screen after sign-in)
HOME_KEYS = "H,shift+h,f7"  # H for home (F7 where a letter is awkward)
DESK_MODES = (HOME_MODE, *MODE_KEYS)  # the modes that hold a signed-in person's screens

MODE_TIPS = {"caseload": "My disputes: the lists by view", "children": "Children: raise a dispute",
             "inbox": "Requests, reminders, for information",
             "reports": "Reports and the supervision list (oversight only)",
             "admin": "Staff, teams, children, closure days, the procedure (administrator only)"}

APP_BINDINGS: list[BindingType] = [
    Binding(HOME_KEYS, f"mode('{HOME_MODE}')", "My work", key_display="H", show=False, id="mode.work",
            tooltip="Home: what needs you now, worst first"),
    # Shown in the footer as "F2/L": the F-key and its letter twin (Reports only where the desk allows it).
    *[Binding(key, f"mode('{mode}')", mode.title(), key_display=f"{key.upper()}/{MODE_LETTERS[mode]}",
              id=f"mode.{mode}", tooltip=MODE_TIPS[mode]) for mode, key in MODE_KEYS.items()],
    *[Binding(f"{letter},shift+{letter.lower()}", f"mode('{mode}')", mode.title(), key_display=letter,
              show=False, id=f"mode.{mode}.letter", tooltip=MODE_TIPS[mode]) for mode, letter in MODE_LETTERS.items()],
    Binding("f1,question_mark", "help", "Help", key_display="?", id="app.help",
            tooltip="Every key of the desk and of this screen"),
    Binding("ctrl+l", "lock", "Lock", id="app.lock", priority=True, tooltip="Lock the desk now (password or PIN to unlock)"),
    Binding("escape", "go_back", "Back", show=False, id="app.back", tooltip="Close this screen"),
    Binding("q", "back_or_quit", "Back / quit", show=False, id="app.q",
            tooltip="Close this screen like Esc; at home (my work), quit (asks about unsaved text)"),
    Binding("ctrl+t", "toggle_theme", "16 colours", show=False, id="app.theme",
            tooltip="Switch to or from the 16-colour theme"),
    Binding("ctrl+o", "sign_out", "Sign out", show=False, id="app.sign_out",
            tooltip="Sign out (unsaved text is kept as a draft)"),
    Binding("f6", "drafts", "Drafts", key_display="F6", show=False, id="app.drafts",
            tooltip="My drafts: unsaved text kept for me"),
    Binding("ctrl+f", "find", "Find", show=False, id="app.find", priority=True,
            tooltip="Find a child or dispute by name, case number or reference"),
]

# --- the caseload (CaseloadScreen.BINDINGS) -------------------------------------
VIEW_KEYS = {"mine": "1", "awaiting": "2", "team": "3", "overdue": "4", "resolved": "5", "all": "6"}
VIEW_LABELS = {"mine": "Mine", "awaiting": "Awaiting me", "team": "Team", "overdue": "Overdue",
               "resolved": "Resolved", "all": "All"}

CASELOAD_BINDINGS: list[BindingType] = [
    Binding("slash", "filter", "Filter", key_display="/", id="caseload.filter",
            tooltip="Filter by reference, child, case number or category"),
    Binding("o", "sort", "Sort", show=False, id="caseload.sort",
            tooltip="Order by due date, reference, child or stage"),
    Binding("right_square_bracket", "next_view", "Next view", key_display="]", show=False,
            id="caseload.next_view"),
    Binding("left_square_bracket", "prev_view", "Previous view", key_display="[", show=False,
            id="caseload.prev_view"),
    Binding("ctrl+r", "reload", "Reload", show=False, id="caseload.reload", tooltip="Reload from the database"),
    *[Binding(key, f"view('{view}')", VIEW_LABELS[view], show=False, id=f"caseload.view.{view}")
      for view, key in VIEW_KEYS.items()],
]

# --- every table of the desk (DeskTable.BINDINGS, on top of DataTable's own) ----
LIST_BINDINGS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False, id="list.down"),
    Binding("k", "cursor_up", "Up", show=False, id="list.up"),
    Binding("g", "scroll_top", "First row", show=False, id="list.top"),
    Binding("G,shift+g", "scroll_bottom", "Last row", key_display="G", show=False, id="list.bottom"),
]

# --- the caseload table (CaseloadTable.BINDINGS, on top of DeskTable's) -------
TABLE_BINDINGS: list[BindingType] = [
    Binding("enter", "select_cursor", "Open", key_display="⏎", id="caseload.open",
            tooltip="Open the dispute under the cursor"),
    Binding("pagedown", "page_down", "Next page", show=False, id="caseload.page_down"),
    Binding("pageup", "page_up", "Previous page", show=False, id="caseload.page_up"),
    Binding("home,ctrl+home", "scroll_top", "First page", show=False, id="caseload.first"),
    Binding("end,ctrl+end", "scroll_bottom", "Last page", show=False, id="caseload.last"),
]

FILTER_BINDINGS: list[BindingType] = [
    Binding("down,escape", "done", "To the list", show=False, id="caseload.filter_done"),
]

# --- log-in, lock, help -----------------------------------------------------------
LOGIN_BINDINGS: list[BindingType] = [
    Binding("ctrl+q", "app.quit", "Quit", id="login.quit", priority=True),
]

LOCK_BINDINGS: list[BindingType] = [
    Binding("ctrl+n", "other_user", "Someone else", id="lock.other_user",
            tooltip="Sign in as someone else (this session's screens are closed; unsaved text is kept)"),
    Binding("ctrl+o", "sign_out", "Sign out", id="lock.sign_out",
            tooltip="Sign out of this locked desk (unsaved text is kept as a draft)"),
    Binding("ctrl+q", "app.quit", "Quit", id="lock.quit", priority=True),
]

HELP_BINDINGS: list[BindingType] = [
    Binding("escape,q,f1,question_mark", "close", "Close", key_display="Esc", id="help.close"),
    Binding("e", "toggle_generic", "Editing keys", id="help.editing",
            tooltip="Show or hide the generic editing keys of text fields and tables"),
]

PLACEHOLDER_BINDINGS: list[BindingType] = []


# --- the administrator's screen (AdminScreen.BINDINGS) ---------------------------
ADMIN_TABS = {"staff": "1", "teams": "2", "children": "3", "closures": "4", "procedure": "5"}
ADMIN_TAB_LABELS = {"staff": "Staff", "teams": "Teams", "children": "Children", "closures": "Closure days",
                    "procedure": "Procedure"}

ADMIN_BINDINGS: list[BindingType] = [
    *[Binding(key, f"tab('{tab}')", ADMIN_TAB_LABELS[tab], show=False, id=f"admin.tab.{tab}")
      for tab, key in ADMIN_TABS.items()],
    Binding("a", "add", "Add", id="admin.add", tooltip="Add an account, team, child or closure day"),
    Binding("x", "remove", "Disable/close", id="admin.remove",
            tooltip="Disable the account, close the child, remove the closure day"),
    Binding("e", "enable", "Enable", show=False, id="admin.enable", tooltip="Enable a disabled account"),
    Binding("u", "setup_code", "Set-up code", show=False, id="admin.setup_code",
            tooltip="A new one-time set-up code for the account (shown once)"),
    Binding("t", "hand_over", "Hand over", show=False, id="admin.hand_over",
            tooltip="Hand a chair's open disputes and children to another chair"),
    Binding("l", "level", "Level holder", show=False, id="admin.level",
            tooltip="Who holds a level of the team's management chain"),
    Binding("m", "move", "Move child", show=False, id="admin.move", tooltip="Move the child to another team"),
    Binding("slash", "find", "Find", key_display="/", show=False, id="admin.find",
            tooltip="Find children by case number, team or chair"),
    Binding("ctrl+r", "reload", "Reload", show=False, id="admin.reload"),
]
# --- the history screen: its record written out (HistoryScreen.BINDINGS, with the screen's own) ---
HISTORY_EXPORT_BINDINGS: list[BindingType] = [
    Binding("P,shift+p", "case_note", "Copy case note", key_display="P", show=False, id="history.case_note",
            tooltip="Copy the case-note text of the highlighted stage (else of the whole dispute) to paste into "
                    "the child's record; it is also shown on screen"),
    Binding("x", "export", "Export", show=False, id="history.export",
            tooltip="Write the evidence bundle (PDF and HTML) into the exports folder of your data folder"),
]


# --- every key of the desk, for the help, the keymap check and the tests -------------------
def desk_bindings() -> list[tuple[str, Binding]]:
    """(owner class name, binding) for every binding the desk's own classes declare.

    Walks the modules of ``drp_tui.ui`` (imported here, at call time: they import this
    module) and reads each class's own ``BINDINGS``."""
    import importlib
    import inspect
    import pkgutil

    import drp_tui.ui as ui_package

    found: list[tuple[str, Binding]] = []
    seen: set[int] = set()
    for info in pkgutil.walk_packages(ui_package.__path__, "drp_tui.ui."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if not cls.__module__.startswith("drp_tui.ui") or id(cls) in seen:
                continue
            seen.add(id(cls))
            for b in cls.__dict__.get("BINDINGS", ()):
                if isinstance(b, Binding):
                    found.append((cls.__name__, b))
    return found


def binding_ids() -> set[str]:
    """Every binding id the ``[keys]`` table of the config file may remap."""
    return {b.id for _owner, b in desk_bindings() if b.id}
