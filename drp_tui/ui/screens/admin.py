"""The administrator's screen: staff, teams and their management chain, children, closure days
and the procedure in force, without SQL (F8 or M; administrator only).

Every change goes through the same services as ``drp user|team|child|closure`` (the same
checks, the same audit events). An administrator manages accounts and configuration, not
dispute content: children are listed by case number, never by name, and no dispute is shown.

Tabs ``1``-``5``; ``a`` adds (an account, a team, a child, a closure day, by tab); ``x``
disables an account, closes a child or removes a closure day; ``e`` enables an account; ``u``
gives an account a new one-time set-up code (shown once); ``t`` hands a chair's open work to
another chair; ``l`` sets who holds a level of the highlighted team's chain; ``m`` moves a
child to another team; ``/`` finds children.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane
from textual.worker import WorkerFailed

from drp_tui.crash import user_message
from drp_tui.domain.model import Role
from drp_tui.domain.timeutil import format_date
from drp_tui.services import accounts, admin, closures, handover, imports
from drp_tui.services.errors import DomainError, ValidationError
from drp_tui.ui.screens.mode import ModeScreen
from drp_tui.ui.keys import ADMIN_BINDINGS, ADMIN_TAB_LABELS, ADMIN_TABS
from drp_tui.ui.screens.dialogs import ConfirmDialog, FormDialog
from drp_tui.ui.widgets.form_fields import FieldProblem, FieldSpec
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.tables import DeskTable
from drp_tui.ui.widgets.text import safe_text, visible
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp

ROLES = tuple((r.value, r.value) for r in Role)
TEAM_KINDS = tuple((k, k) for k in accounts.TEAM_KINDS)


class _Data:
    """What the screen shows, read in one worker."""

    def __init__(self, users: list[accounts.AccountView], teams: list[accounts.TeamView],
                 children: list[admin.AdminChild], days: list[closures.ClosureView], proc: admin.Procedure) -> None:
        self.users, self.teams, self.children, self.days, self.proc = users, teams, children, days, proc


class AdminScreen(ModeScreen):
    CSS_PATH = "../tcss/screens.tcss"
    BINDINGS = ADMIN_BINDINGS
    TITLE = "Administration"

    def __init__(self) -> None:
        super().__init__()
        self.data: _Data | None = None
        self.search = ""
        self.team_rows: list[tuple[accounts.TeamView, str]] = []  # (team, level key or "") per row

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("Administration", id="admin-title", classes="screen-title")
        with TabbedContent(initial="staff", id="admin-tabs"):
            for tab, key in ADMIN_TABS.items():
                with TabPane(f"{ADMIN_TAB_LABELS[tab]} ({key})", id=tab):
                    if tab == "procedure":
                        with VerticalScroll(id="admin-procedure-scroll"):
                            yield Static("", id="admin-procedure")
                    else:
                        yield DeskTable(id=f"admin-{tab}", cursor_type="row", zebra_stripes=True)
        yield Static("", id="admin-message", classes="detail")
        yield DeskFooter()

    def on_mount(self) -> None:
        columns = {
            "staff": (("User", 10), ("Name", 18), ("Role", 9), ("Team", 16), ("State", 14)),
            "teams": (("Team", 20), ("Level", 24), ("Held by", 22)),
            "children": (("Case no.", 10), ("Status", 6), ("Team", 18), ("Lead team", 14), ("Chair", 9),
                         ("Open", 8)),
            "closures": (("Day", 16), ("Reason", 34), ("Added by", 18)),
        }
        for tab, cols in columns.items():
            table = self.query_one(f"#admin-{tab}", DeskTable)
            for label, width in cols:
                table.add_column(label, width=width)
        self.query_one("#admin-staff", DeskTable).focus()
        self.refresh_data()

    # --- loading ----------------------------------------------------------------------------
    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="admin-load", exit_on_error=False)
    def _load(self) -> None:
        desk = self.desk_app.desk
        try:
            data = _Data(desk.call(accounts.list_users), desk.call(accounts.list_teams),
                         desk.call(admin.children, self.search),
                         desk.call(closures.list_closures, desk.setup.config.closures), desk.call(admin.procedure))
        except DomainError as err:
            self.app.call_from_thread(self.say, f"{err.title}: {err.message}", True)
            return
        except Exception as err:  # a fault: said in words, never a traceback with values
            self.app.call_from_thread(self.say, user_message(err), True)
            return
        self.app.call_from_thread(self._show, data)

    def _show(self, d: _Data) -> None:
        if not self.is_attached:
            return
        self.data = d
        now = self.desk_app.desk.clock.now()
        self._fill("staff", [
            (u.username, u.name, u.role.value, u.team or "-", _state(u, now)) for u in d.users])
        self.team_rows = []
        rows: list[tuple[str, ...]] = []
        policy = self.desk_app.desk.policy
        for t in d.teams:
            if not t.chain:
                self.team_rows.append((t, ""))
                rows.append((t.name, f"({t.kind.replace('_', ' ')}; no levels)", ""))
            for i, (level, holder) in enumerate(t.chain):
                self.team_rows.append((t, level))
                rows.append((t.name if i == 0 else "", policy.level_label(level), f"{holder.name} ({holder.username})"))
        self._fill("teams", rows)
        self._fill("children", [
            (c.case_number, c.legal_status, c.team, c.lead_team or "-", c.chair or "-",
             "open" if c.closed_on is None else f"closed {c.closed_on.strftime('%d/%m/%y')}") for c in d.children])
        self._fill("closures", [(format_date(c.day), c.reason or "-", c.added_by) for c in d.days])
        self.query_one("#admin-procedure", Static).update(_procedure_text(d.proc))
        found = f" · children matching '{visible(self.search)}'" if self.search else ""
        self.query_one("#admin-title", Static).update(Text(
            f"Administration · {len(d.users)} accounts, {len(d.teams)} teams, {len(d.children)} children{found}",
            no_wrap=True, end=""))

    def _fill(self, tab: str, rows: list[tuple[str, ...]]) -> None:
        table = self.query_one(f"#admin-{tab}", DeskTable)
        at = table.cursor_row
        table.clear()
        for row in rows:
            table.add_row(*(safe_text(cell) for cell in row))
        if table.row_count:
            table.move_cursor(row=min(max(at, 0), table.row_count - 1), animate=False)

    # --- messages --------------------------------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        if self.is_attached:
            self.query_one("#admin-message", Static).update(
                Text(visible(text), style="bold red" if error else "", end=""))

    # --- what is highlighted ---------------------------------------------------------------------
    @property
    def tab(self) -> str:
        return self.query_one("#admin-tabs", TabbedContent).active or "staff"

    def _row(self, tab: str) -> int | None:
        table = self.query_one(f"#admin-{tab}", DeskTable)
        return table.cursor_row if table.row_count and 0 <= table.cursor_row < table.row_count else None

    def _user(self) -> accounts.AccountView | None:
        i = self._row("staff")
        return self.data.users[i] if self.data is not None and i is not None and i < len(self.data.users) else None

    def _team(self) -> tuple[accounts.TeamView, str] | None:
        i = self._row("teams")
        return self.team_rows[i] if i is not None and i < len(self.team_rows) else None

    def _child(self) -> admin.AdminChild | None:
        i = self._row("children")
        ok = self.data is not None and i is not None and i < len(self.data.children)
        return self.data.children[i] if ok and self.data is not None and i is not None else None

    def _day(self) -> closures.ClosureView | None:
        i = self._row("closures")
        return self.data.days[i] if self.data is not None and i is not None and i < len(self.data.days) else None

    # --- running a change ---------------------------------------------------------------------------
    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        worker = self.run_worker(partial(self.desk_app.desk.call, fn, *args, **kwargs), thread=True,
                                 group="admin-write", exit_on_error=False)
        try:
            return True, await worker.wait()
        except WorkerFailed as failed:
            return False, failed.error

    async def _form(self, title: str, fields: list[FieldSpec], run: Callable[[dict[str, Any]], Any], *,
                    ok: str, intro: str = "") -> Any:
        """The dialog until the service accepts it (its result) or the person gives up (None).
        A refusal naming a field is shown next to it, with what was typed kept."""
        values: dict[str, Any] | None = None
        error: tuple[str, str] | None = None
        keys = {f.key for f in fields}
        while True:
            data = await self.app.push_screen_wait(FormDialog(title, fields, intro=intro, ok=ok, values=values,
                                                              error=error))
            if data is None:
                return None
            try:
                fn, args, kwargs = run(data)
            except FieldProblem as problem:
                values, error = data, (problem.key, problem.message)
                continue
            done, result = await self._call(fn, *args, **kwargs)
            if done:
                self.desk_app.data_changed()
                return result if result is not None else True
            field = (getattr(result, "field", None) or "").replace(" ", "_")
            message = result.message if isinstance(result, DomainError) else user_message(result)
            if isinstance(result, ValidationError) and field in keys:
                values, error = data, (field, message)
                continue
            values, error = data, ("", message)

    async def _ask(self, question: str, yes: str) -> bool:
        return bool(await self.app.push_screen_wait(ConfirmDialog(question, yes=yes, no="Cancel")))

    async def _simple(self, done: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        ok, result = await self._call(fn, *args, **kwargs)
        if not ok:
            self.say(result.message if isinstance(result, DomainError) else user_message(result), True)
            return None
        self.say(done)
        self.desk_app.data_changed()
        return result if result is not None else True

    # --- keys ---------------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one("#admin-tabs", TabbedContent).active = tab
        target = "#admin-procedure-scroll" if tab == "procedure" else f"#admin-{tab}"
        self.query_one(target).focus()

    def action_reload(self) -> None:
        self.refresh_data()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.say("")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        on_tab = {"add": ("staff", "teams", "children", "closures"), "remove": ("staff", "children", "closures"),
                  "enable": ("staff",), "setup_code": ("staff",), "hand_over": ("staff",), "level": ("teams",),
                  "move": ("children",), "find": ("children",)}
        if action in on_tab and self.is_mounted:
            return self.tab in on_tab[action]
        return True

    @work(exclusive=True, group="admin-dialog")
    async def action_add(self) -> None:
        tab = self.tab
        if tab == "staff":
            await self._add_account()
        elif tab == "teams":
            team = await self._form("Add a team", [
                FieldSpec("name", "Team name", required=True, limit=200),
                FieldSpec("kind", "Kind", "choice", "social_care", TEAM_KINDS, required=True)],
                lambda v: (accounts.add_team, (v["name"], v["kind"]), {}), ok="Add team")
            if team is not None:
                self.say("Team added.")
        elif tab == "children":
            teams = tuple((t.name, t.name) for t in (self.data.teams if self.data else []))
            statuses = tuple((s, s) for s in self.desk_app.desk.policy.legal_statuses)
            child = await self._form("Add a child", [
                FieldSpec("case_number", "Case number", required=True, limit=64),
                FieldSpec("name", "Name", required=True, limit=200),
                FieldSpec("legal_status", "Legal status", "choice", statuses[0][1] if statuses else "", statuses,
                          required=True),
                FieldSpec("team", "Team", "choice", teams[0][1] if teams else "", teams, required=True),
                FieldSpec("date_of_birth", "Date of birth", "date"),
                FieldSpec("chair", "Chair (user name)", limit=200)],
                lambda v: (imports.add_child, (v["case_number"], v["name"], v["legal_status"], v["team"]),
                           {"date_of_birth": v["date_of_birth"].isoformat() if v.get("date_of_birth") else "",
                            "chair": v.get("chair") or ""}), ok="Add child")
            if child is not None:
                self.say("Child added.")
        elif tab == "closures":
            day = await self._form("Add a closure day", [
                FieldSpec("day", "Day", "date", required=True),
                FieldSpec("reason", "Reason", required=True, limit=200)],
                lambda v: (closures.add_closure, (v["day"], v["reason"]), {}), ok="Add closure day",
                intro="Not a working day for deadlines worked out from now on; due dates already given stay.")
            if day is not None:
                desk = self.desk_app.desk
                desk.calendar = await self._calendar()
                self.say(f"Closure day {format_date(day)} added.")

    async def _calendar(self) -> Any:
        desk = self.desk_app.desk
        worker = self.run_worker(partial(closures.calendar_with_closures, desk.calendar.nation,
                                         desk.setup.config.closures, desk.calendar.holiday_source),
                                 thread=True, group="admin-write")
        return await worker.wait()

    async def _add_account(self) -> None:
        teams = (("", "(none)"),) + tuple((t.name, t.name) for t in (self.data.teams if self.data else []))
        code = await self._form("Add a staff account", [
            FieldSpec("username", "User name", required=True, limit=64),
            FieldSpec("name", "Full name", required=True, limit=200),
            FieldSpec("role", "Role", "choice", "chair", ROLES, required=True),
            FieldSpec("team", "Team", "choice", "", tuple((v, k) for k, v in teams)),
            FieldSpec("email", "E-mail", limit=200)],
            lambda v: (imports.add_user_with_setup_code, (v["username"], v["name"], v["role"]),
                       {"team": v.get("team") or None, "email": v.get("email") or ""}),
            ok="Add account", intro="No password here: the person gets a one-time set-up code, shown once, "
                                    "to choose their own at their first sign-in.")
        if isinstance(code, str):
            await self._show_code(code)

    async def _show_code(self, code: str) -> None:
        self.say("Account ready: give the person their set-up code (shown once).")
        await self.app.push_screen_wait(ConfirmDialog(
            f"One-time set-up code: {code}\n\nShown once: give it to the person; they type it as their password "
            f"at their first sign-in, within {imports.SETUP_CODE_DAYS} days, and choose their own.",
            title="Set-up code", yes="Done", no="Close"))

    @work(exclusive=True, group="admin-dialog")
    async def action_remove(self) -> None:
        tab = self.tab
        if tab == "staff":
            u = self._user()
            if u is None:
                return
            if not u.active:
                self.say(f"{u.username} is already disabled.", True)
                return
            done = await self._form(f"Disable {u.username}", [FieldSpec("reason", "Reason", required=True, limit=200)],
                                    lambda v: (accounts.disable_user, (u.username, v["reason"]), {}), ok="Disable",
                                    intro="A chair with open disputes is refused: hand them over first (t).")
            if done is not None:
                self.say(f"{u.username} disabled.")
        elif tab == "children":
            c = self._child()
            if c is None:
                return
            done = await self._form(f"Close child {c.case_number}", [FieldSpec("reason", "Reason", limit=200)],
                                    lambda v: (imports.close_child, (c.case_number, v.get("reason") or ""), {}),
                                    ok="Close child", intro="Kept with its history; refused while it has open "
                                                            "disputes. An import listing the child opens it again.")
            if done is not None:
                self.say(f"Child {c.case_number} closed.")
        elif tab == "closures":
            d = self._day()
            if d is None:
                return
            if d.from_config:
                self.say("That closure day is in the config file: change it there.", True)
                return
            if await self._ask(f"Remove the closure day {format_date(d.day)}?", "Remove"):
                if await self._simple(f"Closure day {format_date(d.day)} removed.", closures.remove_closure, d.day):
                    self.desk_app.desk.calendar = await self._calendar()

    @work(exclusive=True, group="admin-dialog")
    async def action_enable(self) -> None:
        u = self._user()
        if u is not None:
            await self._simple(f"{u.username} enabled.", accounts.enable_user, u.username)

    @work(exclusive=True, group="admin-dialog")
    async def action_setup_code(self) -> None:
        u = self._user()
        if u is None:
            return
        code = await self._simple(f"New set-up code for {u.username}.", imports.issue_setup_code, u.username)
        if isinstance(code, str):
            await self._show_code(code)

    @work(exclusive=True, group="admin-dialog")
    async def action_hand_over(self) -> None:
        u = self._user()
        if u is None:
            return
        chairs = tuple((x.username, f"{x.name} ({x.username})") for x in (self.data.users if self.data else [])
                       if x.role is Role.CHAIR and x.active and x.username != u.username)
        if not chairs:
            self.say("There is no other active chair to hand over to.", True)
            return
        report = await self._form(f"Hand over {u.username}'s open work", [
            FieldSpec("new", "To chair", "choice", chairs[0][0], tuple((label, key) for key, label in chairs),
                      required=True)],
            lambda v: (handover.hand_over, (u.username, v["new"]), {}), ok="Hand over",
            intro="Open disputes and children pass to the new chair; they and each responder are told. "
                  "Closed disputes stay.")
        if isinstance(report, handover.HandoverReport):
            self.say(f"Handed over to {report.new}: {len(report.disputes)} open dispute(s), "
                     f"{len(report.children)} child(ren).")

    @work(exclusive=True, group="admin-dialog")
    async def action_level(self) -> None:
        picked = self._team()
        if picked is None:
            return
        team, level = picked
        policy = self.desk_app.desk.policy
        levels = tuple((lv.label, lv.key) for lv in policy.levels)
        done = await self._form(f"Who holds a level in {team.name}", [
            FieldSpec("level", "Level", "choice", level or levels[0][1], levels, required=True),
            FieldSpec("username", "User name (empty: nobody)", limit=64)],
            lambda v: (accounts.set_team_role, (team.name, v["level"], v.get("username") or None), {}),
            ok="Set level holder")
        if done is not None:
            self.say(f"Management chain of {team.name} changed.")

    @work(exclusive=True, group="admin-dialog")
    async def action_move(self) -> None:
        c = self._child()
        if c is None:
            return
        teams = tuple((t.name, t.name) for t in (self.data.teams if self.data else []))
        done = await self._form(f"Move child {c.case_number}", [
            FieldSpec("team", "To team", "choice", c.team, teams, required=True)],
            lambda v: (imports.edit_child, (c.case_number, {"team": v["team"]}), {"kind": "child_moved"}),
            ok="Move child")
        if done is not None:
            self.say(f"Child {c.case_number} moved.")

    @work(exclusive=True, group="admin-dialog")
    async def action_find(self) -> None:
        data = await self.app.push_screen_wait(FormDialog(
            "Find children", [FieldSpec("search", "Case number, team or chair (empty: all)", value=self.search,
                                        limit=64)], ok="Find"))
        if data is not None:
            self.search = (data.get("search") or "").strip()
            self.refresh_data()

    @on(DataTable.RowSelected, "#admin-staff")
    def _account(self) -> None:
        u = self._user()
        if u is not None:
            levels = ", ".join(f"{self.desk_app.desk.policy.level_label(lv)} ({team})" for team, lv in u.levels)
            self.say(f"{u.name} · {u.role.value} · {u.email or 'no e-mail'}"
                     + (f" · holds {levels}" if levels else ""))


def _state(u: accounts.AccountView, now: Any) -> str:
    if not u.active:
        return "disabled"
    if u.locked(now):
        return "locked"
    if u.has_setup_code and not u.has_password:
        return "set-up code"
    if not u.has_password and not u.os_login:
        return "no sign-in"
    return "active"


def _procedure_text(p: admin.Procedure) -> Text:
    text = Text(end="")
    text.append(f"{p.name}\n", style="bold")
    text.append(f"key {p.key} · version {p.version}" + (" · built in" if not p.path else "") + "\n")
    text.append(f"source: {p.source}\n")
    if p.path:
        text.append(f"loaded from {p.path}\n")
    text.append(f"\nOpen disputes on this version: {p.pins.current}\n")
    for key, version, n in p.pins.older:
        text.append(f"Open disputes on {key} version {version}: {n} (drp policies upgrade)\n")
    if p.pins.unpinned:
        text.append(f"Not yet pinned: {p.pins.unpinned}\n")
    errors = [f for f in p.findings if f.severity == "error"]
    warnings = [f for f in p.findings if f.severity == "warning"]
    text.append(f"\nChecks: {len(errors)} error(s), {len(warnings)} warning(s), "
                f"{len(p.findings) - len(errors) - len(warnings)} note(s)\n", style="bold")
    for f in p.findings:
        if f.severity != "note":
            text.append(f"- {f.severity}: {visible(f.message)}\n")
    text.append("\nThe procedure in force is set in the config file (policy = ...); "
                "'drp policies check --installation' prints the notes too.")
    return text
