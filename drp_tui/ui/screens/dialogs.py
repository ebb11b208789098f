"""Small modal dialogs: a yes/no confirmation, a form of a few fields, and a save conflict.

Both are awaited with ``push_screen_wait`` from a worker (or given a callback).
Text shown in them may contain what someone typed: it is always shown plain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from drp_tui.domain.timeutil import day_text
from drp_tui.ui.widgets.form_fields import EditField, FieldProblem, FieldSpec, plain

DIALOG_CSS = """
ConfirmDialog, FormDialog { align: center middle; }
ConfirmDialog > Vertical, FormDialog > Vertical {
    width: 70; max-width: 100%; height: auto; max-height: 100%;
    border: round $primary; background: $surface; padding: 0 1;
}
ConfirmDialog .dialog-title, FormDialog .dialog-title { text-style: bold; margin-bottom: 1; }
FormDialog .dialog-intro { color: $text-muted; margin-bottom: 1; }
FormDialog .dialog-error { color: $text-error; text-style: bold; display: none; }
FormDialog .dialog-error.-shown { display: block; }
FormDialog VerticalScroll { height: auto; max-height: 16; }
ConfirmDialog .dialog-buttons, FormDialog .dialog-buttons { height: auto; align-horizontal: right; margin-top: 1; }
ConfirmDialog Button, FormDialog Button { margin-left: 2; }
ConflictDialog { align: center middle; }
ConflictDialog > Vertical {
    width: 78; max-width: 100%; height: auto; max-height: 100%;
    border: round $warning; background: $surface; padding: 0 1;
}
ConflictDialog .dialog-title { text-style: bold; }
ConflictDialog .dialog-intro { color: $text-muted; margin-bottom: 1; }
ConflictDialog VerticalScroll { height: auto; max-height: 12; }
ConflictDialog .version { margin-bottom: 1; }
ConflictDialog .dialog-buttons { height: auto; margin-top: 1; }
ConflictDialog Button { width: 1fr; }
"""


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question. Escape answers no."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape,q", "answer(False)", "Cancel", key_display="Esc", id="dialog.cancel"),
        Binding("y", "answer(True)", "Yes", show=False, id="dialog.yes"),
        Binding("n", "answer(False)", "No", show=False, id="dialog.no"),
    ]

    def __init__(self, question: str, *, title: str = "Please confirm", yes: str = "Yes",
                 no: str = "No") -> None:
        super().__init__()
        self.question, self.title_text, self.yes, self.no = question, title, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.title_text), classes="dialog-title")
            yield Static(plain(self.question), id="question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(Content(f"{self.no} (n)"), id="no", compact=True)
                yield Button(Content(f"{self.yes} (y)"), id="yes", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")


class FormDialog(ModalScreen[dict[str, Any] | None]):
    """A few fields; ctrl+s (or the OK button) returns their values, Escape returns None.

    Dates are checked here (DD/MM/YYYY or YYYY-MM-DD) and returned as ``date``; ``error`` (key, message)
    shows a message from the last attempt next to the named field, with ``values`` kept.
    """

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape,q", "cancel", "Cancel", key_display="Esc", id="dialog.cancel"),
        Binding("ctrl+s", "submit", "OK", priority=True, id="dialog.submit"),
    ]

    def __init__(self, title: str, fields: list[FieldSpec], *, intro: str = "", ok: str = "OK",
                 values: dict[str, Any] | None = None, error: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.title_text, self.intro, self.ok = title, intro, ok
        self.fields = [self._with_value(f, values) for f in fields]
        self.error = error
        self._defaults = {f.key: _comparable(f.value) for f in fields}
        self.typed: dict[str, Any] = {}  # on cancel: what the fields held, if it is not just their defaults

    @staticmethod
    def _with_value(spec: FieldSpec, values: dict[str, Any] | None) -> FieldSpec:
        if values is None or spec.key not in values:
            return spec
        return FieldSpec(spec.key, spec.label, spec.kind, values[spec.key], spec.options, spec.required, spec.hint)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.title_text), classes="dialog-title")
            if self.intro:
                yield Static(plain(self.intro), classes="dialog-intro")
            with VerticalScroll(can_focus=False):
                for spec in self.fields:
                    yield EditField(spec, id_prefix="d")
            yield Static("", classes="dialog-error", id="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(Content("Cancel (esc)"), id="cancel", compact=True)
                yield Button(Content(f"{self.ok} (ctrl+s)"), id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        boxes = list(self.query(EditField))
        target = boxes[0] if boxes else None
        if self.error:
            key, message = self.error
            match = [b for b in boxes if b.spec.key == key]
            if match:
                match[0].show_error(message)
                target = match[0]
            else:
                self.query_one("#dialog-error", Static).update(plain(message))
                self.query_one("#dialog-error").add_class("-shown")
        if target is not None:
            target.editor.focus()
        else:
            self.query_one("#ok").focus()

    def values(self) -> dict[str, Any]:
        """Every field's value, parsed; raises FieldProblem for the first unusable one."""
        return {box.spec.key: box.parsed() for box in self.query(EditField)}

    def action_submit(self) -> None:
        for box in self.query(EditField):
            box.show_error("")
        try:
            result = self.values()
        except FieldProblem as problem:
            for box in self.query(EditField):
                if box.spec.key == problem.key:
                    box.show_error(problem.message)
                    box.editor.focus()
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self._keep_typed()
        self.dismiss(None)

    def _keep_typed(self) -> None:
        raw = {box.spec.key: box.raw for box in self.query(EditField)}
        if any(_comparable(v) != self._defaults.get(k) for k, v in raw.items()):
            self.typed = raw

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_submit()
        else:
            self.action_cancel()


def _comparable(value: Any) -> Any:
    if isinstance(value, date):
        return day_text(value)
    return "" if value is None else value


@dataclass(frozen=True)
class Version:
    """One field of a save conflict: what is saved now (theirs) and what was typed here (yours)."""

    label: str
    theirs: str
    yours: str
    they_changed: bool = True  # False: theirs is what the field held when you started typing


class ConflictDialog(ModalScreen[str]):
    """Someone saved first: theirs and yours, field by field. Returns "mine", "theirs" or "cancel"."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape,c,q", "choose('cancel')", "Cancel / merge by hand", id="conflict.cancel"),
        Binding("m", "choose('mine')", "Keep mine", show=False, id="conflict.mine"),
        Binding("t", "choose('theirs')", "Take theirs", show=False, id="conflict.theirs"),
    ]

    def __init__(self, who: str, when: str, rows: list[Version]) -> None:
        super().__init__()
        self.who, self.when, self.rows = who, when, rows

    def compose(self) -> ComposeResult:
        n = len(self.rows)
        with Vertical():
            yield Static(Content(f"Changed by {self.who} while you were typing"), classes="dialog-title")
            yield Static(plain(f"{self.who} saved this dispute at {self.when}. Nothing of yours is saved yet. "
                               f"{n} field{'s differ' if n > 1 else ' differs'}:"), classes="dialog-intro")
            with VerticalScroll(id="versions"):
                for row in self.rows:
                    yield Static(self._version(row), classes="version")
            with Vertical(classes="dialog-buttons"):
                yield Button(Content("Keep mine (overwrite theirs) (m)"), id="mine", compact=True)
                yield Button(Content("Take theirs (my text kept as a draft) (t)"), id="theirs", compact=True)
                yield Button(Content("Cancel / merge by hand (esc)"), id="cancel", variant="primary",
                             compact=True)

    def _version(self, row: Version) -> Content:
        note = (f"changed by {self.who}, {self.when}" if row.they_changed
                else "they did not change this field; it differs from yours")
        return Content.assemble((row.label, "bold"), (f"  ({note})", "dim"),
                                ("\nTheirs (saved now): ", "bold $text-warning"), plain(row.theirs or "(empty)"),
                                ("\nYours (not saved):  ", "bold $text-success"), plain(row.yours or "(empty)"))

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or "cancel")
