"""Small modal dialogs: a yes/no confirmation and a form of a few fields.

Both are awaited with ``push_screen_wait`` from a worker (or given a callback).
Text shown in them may contain what someone typed: it is always shown plain.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from drp_tui.ui.widgets.form_fields import EditField, FieldProblem, FieldSpec, plain

DIALOG_CSS = """
ConfirmDialog, FormDialog { align: center middle; }
ConfirmDialog > Vertical, FormDialog > Vertical {
    width: 70; max-width: 100%; height: auto; max-height: 100%;
    border: round $primary; background: $surface; padding: 0 1;
}
ConfirmDialog .dialog-title, FormDialog .dialog-title { text-style: bold; margin-bottom: 1; }
FormDialog .dialog-intro { color: $text-muted; margin-bottom: 1; }
FormDialog .dialog-error { color: $error; text-style: bold; display: none; }
FormDialog .dialog-error.-shown { display: block; }
FormDialog VerticalScroll { height: auto; max-height: 16; }
ConfirmDialog .dialog-buttons, FormDialog .dialog-buttons { height: auto; align-horizontal: right; margin-top: 1; }
ConfirmDialog Button, FormDialog Button { margin-left: 2; }
"""


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question. Escape answers no."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape", "answer(False)", "Cancel", id="dialog.cancel"),
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

    Dates are checked here (YYYY-MM-DD) and returned as ``date``; ``error`` (key, message)
    shows a message from the last attempt next to the named field, with ``values`` kept.
    """

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "submit", "OK", priority=True, id="dialog.submit"),
    ]

    def __init__(self, title: str, fields: list[FieldSpec], *, intro: str = "", ok: str = "OK",
                 values: dict[str, Any] | None = None, error: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.title_text, self.intro, self.ok = title, intro, ok
        self.fields = [self._with_value(f, values) for f in fields]
        self.error = error

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
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_submit()
        else:
            self.dismiss(None)
