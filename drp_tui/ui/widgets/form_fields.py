"""Form building blocks shared by the dispute form, the raise form and the dialogs.

Everything a person typed is shown with :func:`plain` (never parsed as markup, control
characters made visible), and edited in plain Inputs / TextAreas.

Every text editor here stops accepting text at the services' limit (``MAX_TEXT`` for free
text, ``MAX_SHORT`` for short values): a keystroke or paste that would go past it is refused
whole and the field says so by name ("Issues of concern: at most 20,000 characters"), so
nothing typed is ever cut short later (by a save or a draft).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea
from textual.widgets.text_area import EditResult, Location

from drp_tui.domain.forms import MAX_SHORT, MAX_TEXT, Field
from drp_tui.domain.timeutil import DAY_HINT, day_text, format_date, london_today, parse_day
from drp_tui.ui.plain import is_plain
from drp_tui.ui.widgets.text import visible as _visible


def visible(text: str) -> str:
    """``text`` with control and invisible format characters (other than newline and tab) made
    visible: the one helper of ``ui.widgets.text``."""
    return _visible(text, keep_lines=True)


def plain(text: str, style: str = "") -> Content:
    """User text as Content: shown exactly as typed, never interpreted as markup."""
    return Content.styled(visible(text), style) if style else Content(visible(text))


def line(label: str, value: str, empty: str = "-") -> Content:
    """``Label: value`` with the label in bold and the value plain."""
    return Content.assemble((f"{label}: ", "bold"), plain(value) if value else (empty, "dim"))


class Tick(Checkbox):
    """A checkbox whose mark is a character, not only a colour (16 colours, NO_COLOR)."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802 - Textual's name
        return "X" if self.value else " "

    @property
    def BUTTON_LEFT(self) -> str:  # type: ignore[override]  # noqa: N802 - Textual's name
        return "[" if is_plain(self) else "▐"  # plain mode: [X] in ASCII

    @property
    def BUTTON_RIGHT(self) -> str:  # type: ignore[override]  # noqa: N802 - Textual's name
        return "]" if is_plain(self) else "▌"


class TooLong(Message):
    """A bounded editor refused text past its limit; ``message`` names the field."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


def too_long(label: str, limit: int) -> str:
    return f"{label}: at most {limit:,} characters"


class BoundedInput(Input):
    """An Input that refuses text past ``max_length`` and says so (naming ``label``), not only a bell."""

    def __init__(self, *args: Any, label: str = "This field", max_length: int = MAX_SHORT, **kwargs: Any) -> None:
        super().__init__(*args, max_length=max_length, **kwargs)
        self.label = label

    def replace(self, text: str, start: int, end: int) -> None:
        value = self.value
        start, end = sorted((max(0, start), min(len(value), end)))
        if self.max_length and len(value) - (end - start) + len(text) > self.max_length:
            self.restricted()
            self.post_message(TooLong(too_long(self.label, self.max_length)))
            return
        super().replace(text, start, end)


class BoundedTextArea(TextArea):
    """A TextArea that refuses a keystroke or paste which would take it past ``max_length`` characters."""

    def __init__(self, *args: Any, label: str = "This field", max_length: int = MAX_TEXT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label
        self.max_length = max_length

    def _replace_via_keyboard(self, insert: str, start: Location, end: Location) -> EditResult | None:
        if not self.read_only and self.max_length:
            removed = len(self.get_text_range(*sorted((start, end))))
            if len(self.text) - removed + len(insert) > self.max_length:
                self.app.bell()
                self.post_message(TooLong(too_long(self.label, self.max_length)))
                return None
        return super()._replace_via_keyboard(insert, start, end)


class FieldProblem(ValueError):
    """A value typed in a field that cannot be used; ``key`` names the field."""

    def __init__(self, key: str, message: str, widget_id: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.widget_id = widget_id


def parse_date(text: str, key: str, label: str, today: date | None = None) -> date | None:
    """``DD/MM/YYYY`` (or ``D/M/YYYY``, or ``YYYY-MM-DD``) → date; blank → None; anything else
    (a day the calendar does not have, a two-digit year) → FieldProblem naming the field."""
    text = text.strip()
    if not text:
        return None
    try:
        return parse_day(text, today)
    except ValueError as exc:
        raise FieldProblem(key, f"{label}: '{visible(text)}' {exc}") from None


def desk_today(widget: Widget) -> date | None:
    """London today from the desk's (injected) clock; None outside the desk (no "today" then)."""
    try:
        clock = getattr(getattr(widget.app, "desk", None), "clock", None)
    except Exception:  # noqa: BLE001 - not attached to an app yet
        return None
    return london_today(clock) if clock is not None else None


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: str = "text"  # text | long | date | choice | check
    value: Any = ""
    options: tuple[tuple[str, Any], ...] = ()
    required: bool = False
    hint: str = ""
    limit: int = 0  # characters the service accepts (0: MAX_TEXT for text, MAX_SHORT for a date)

    @property
    def max_length(self) -> int:
        return self.limit or (MAX_SHORT if self.kind == "date" else MAX_TEXT)

    @classmethod
    def of(cls, f: Field, value: Any = "", *, required: bool | None = None) -> FieldSpec:
        """The editor of the form schema's field ``f`` (the dispute form and the raise form alike)."""
        return cls(f.key, f.editor_label, f.kind.value, value, f.options,
                   required=f.required if required is None else required, limit=f.max_length)


class EditField(Vertical):
    """A label, one editor and the place its error message appears."""

    DEFAULT_CSS = """
    EditField { height: auto; margin-bottom: 1; }
    EditField > .ef-label { color: $text-muted; text-style: bold; }
    EditField > .ef-hint { color: $text-muted; }
    EditField > .ef-error { color: $text-error; text-style: bold; display: none; }
    EditField > .ef-words { color: $text-muted; }
    EditField.-error > .ef-error { display: block; }
    EditField > TextArea { height: auto; min-height: 3; max-height: 10; }
    EditField > Input, EditField > Select { width: 1fr; }
    EditField > Input, EditField > TextArea { background: $boost; }
    """

    def __init__(self, spec: FieldSpec, *, id_prefix: str = "f") -> None:
        super().__init__(id=f"{id_prefix}-{spec.key}-box", classes="edit-field")
        self.spec = spec
        self.editor_id = f"{id_prefix}-{spec.key}"

    def compose(self) -> ComposeResult:
        s = self.spec
        if s.kind != "check":
            label = s.label + (" *" if s.required else "") + (f" ({DAY_HINT})" if s.kind == "date" else "")
            yield Static(Content(label), classes="ef-label")
        if s.hint:
            yield Static(plain(s.hint), classes="ef-hint")
        yield self._editor()
        if s.kind == "date":
            yield Static(self.words(self.raw_text()), classes="ef-words")
        yield Static("", classes="ef-error")

    def _editor(self) -> Widget:
        s, wid = self.spec, self.editor_id
        if s.kind == "long":
            return BoundedTextArea(str(s.value or ""), id=wid, compact=True, soft_wrap=True, tab_behavior="focus",
                                   label=s.label, max_length=s.max_length)
        if s.kind == "choice":
            options = [(Text(label), value) for label, value in s.options]
            value = s.value if any(v == s.value for _, v in s.options) else Select.NULL
            return Select(options, id=wid, compact=True, value=value, prompt="(choose)", allow_blank=True)
        if s.kind == "check":
            return Tick(Content(s.label), bool(s.value), id=wid, compact=True)
        value = day_text(s.value) if isinstance(s.value, date) else str(s.value or "")
        placeholder = DAY_HINT if s.kind == "date" else ""
        return BoundedInput(value, id=wid, compact=True, placeholder=placeholder, select_on_focus=False,
                            label=s.label, max_length=s.max_length)

    def on_too_long(self, event: TooLong) -> None:
        event.stop()
        self._too_long = event.message
        self.show_error(event.message)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._clear_too_long()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._clear_too_long()
        if self.spec.kind == "date" and self.is_mounted:
            self.query_one(".ef-words", Static).update(self.words(event.value))

    def today(self) -> date | None:
        return desk_today(self)

    def raw_text(self) -> str:
        value = self.spec.value
        return day_text(value) if isinstance(value, date) else str(value or "")

    def words(self, text: str) -> Content:
        """The day typed, shown back in words (``= Fri 4 Dec 2026``); nothing until it is a day."""
        if not text.strip():
            return Content("")
        try:
            return Content(f"= {format_date(parse_day(text, self.today()))}")
        except ValueError:
            return Content("")

    def _clear_too_long(self) -> None:
        if getattr(self, "_too_long", ""):  # the limit's message goes once the text is accepted again
            self._too_long = ""
            self.show_error("")

    @property
    def editor(self) -> Widget:
        return self.query_one(f"#{self.editor_id}")

    @property
    def raw(self) -> Any:
        """What is in the editor now (text, bool, or the chosen option's value / None)."""
        w = self.editor
        if isinstance(w, TextArea):
            return w.text
        if isinstance(w, Select):
            return None if w.value is Select.NULL else w.value
        if isinstance(w, Checkbox):
            return w.value
        assert isinstance(w, Input)
        return w.value

    def set_raw(self, value: Any) -> None:
        w = self.editor
        if isinstance(w, TextArea):
            w.text = str(value or "")
        elif isinstance(w, Select):
            w.value = Select.NULL if value is None else value
        elif isinstance(w, Checkbox):
            w.value = bool(value)
        elif isinstance(w, Input):
            w.value = day_text(value) if isinstance(value, date) else str(value or "")

    def parsed(self) -> Any:
        """The value for a service: dates parsed, text as typed; FieldProblem if unusable."""
        s, raw = self.spec, self.raw
        if s.kind == "date":
            value: Any = parse_date(raw, s.key, s.label, self.today())
        else:
            value = raw
        if s.required and (value is None or isinstance(value, str) and not value.strip()):
            raise FieldProblem(s.key, f"{s.label}: is required")
        return value

    def show_error(self, message: str) -> None:
        self.query_one(".ef-error", Static).update(plain(message))
        self.set_class(bool(message), "-error")


class ActionsEditor(Vertical):
    """SMART actions: rows of what / who / by when, with rows added and removed by key."""

    DEFAULT_CSS = """
    ActionsEditor { height: auto; margin-bottom: 1; }
    ActionsEditor .actions-head { color: $text-muted; text-style: bold; }
    ActionsEditor .action-row { height: 1; margin-bottom: 1; }
    ActionsEditor .action-row Input { margin-right: 1; background: $boost; }
    ActionsEditor .a-what { width: 1fr; }
    ActionsEditor .a-who { width: 18; }
    ActionsEditor .a-due { width: 12; }
    ActionsEditor .ef-error { color: $text-error; text-style: bold; }
    ActionsEditor Button { min-width: 5; }
    """
    BINDINGS = [
        Binding("ctrl+n", "add_row", "Add action", id="actions.add"),
        Binding("ctrl+r", "remove_row", "Remove action", id="actions.remove"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]] | None = None, *, id: str = "actions") -> None:
        super().__init__(id=id)
        self._initial = rows or [("", "", "")]
        self._serial = 0

    def compose(self) -> ComposeResult:
        yield Static(Content(f"SMART actions: what / who / by when ({DAY_HINT})"), classes="actions-head")
        for row in self._initial:
            yield self._row(row)
        yield Button(Content("+ Add action"), id="actions-add", compact=True)
        yield Static("", classes="ef-error")

    def _row(self, row: tuple[str, str, str]) -> Horizontal:
        self._serial += 1
        n = self._serial
        return Horizontal(
            BoundedInput(row[0], placeholder="what", classes="a-what", compact=True, id=f"act-{n}-what",
                         label="SMART action what", max_length=MAX_TEXT),
            BoundedInput(row[1], placeholder="who", classes="a-who", compact=True, id=f"act-{n}-who",
                         label="SMART action who", max_length=MAX_SHORT),
            BoundedInput(row[2], placeholder=DAY_HINT, classes="a-due", compact=True, id=f"act-{n}-due",
                         label="SMART action by when", max_length=MAX_SHORT),
            Button(Content("x"), classes="a-remove", compact=True, tooltip="Remove this action"),
            classes="action-row",
        )

    def row_widgets(self) -> list[Horizontal]:
        return list(self.query(".action-row").results(Horizontal))

    def rows(self) -> list[tuple[str, str, str]]:
        return [tuple(i.value for i in r.query(Input)) for r in self.row_widgets()]  # type: ignore[misc]

    def parsed(self) -> list[tuple[str, str, date]]:
        """Filled rows as (what, who, due); blank rows skipped; a half-filled row is a FieldProblem."""
        out = []
        for n, row in enumerate(self.row_widgets(), 1):
            what, who, due = (i.value.strip() for i in row.query(Input))
            if not (what or who or due):
                continue
            missing = [name for name, v in (("what", what), ("who", who), ("by when", due)) if not v]
            inputs = list(row.query(Input))
            if missing:
                idx = ("what", "who", "by when").index(missing[0])
                raise FieldProblem("actions", f"action {n}: fill in {', '.join(missing)}", inputs[idx].id)
            day = parse_date(due, "actions", f"action {n} by when", desk_today(self))
            assert day is not None
            out.append((what, who, day))
        return out

    def set_rows(self, rows: list[tuple[str, str, str]]) -> None:
        for r in self.row_widgets():
            r.remove()
        button = self.query_one("#actions-add")
        for row in rows or [("", "", "")]:
            self.mount(self._row(row), before=button)

    def show_error(self, message: str) -> None:
        self.query_one(".ef-error", Static).update(plain(message))

    def on_too_long(self, event: TooLong) -> None:
        event.stop()
        self.show_error(event.message)

    def action_add_row(self) -> None:
        row = self._row(("", "", ""))
        self.mount(row, before=self.query_one("#actions-add"))
        self.call_after_refresh(lambda: row.query_one(Input).focus())

    def action_remove_row(self) -> None:
        focused = self.screen.focused
        for row in self.row_widgets():
            if focused is not None and (focused is row or row in focused.ancestors):
                self._remove(row)
                return
        rows = self.row_widgets()
        if rows:
            self._remove(rows[-1])

    def _remove(self, row: Horizontal) -> None:
        if len(self.row_widgets()) == 1:
            for i in row.query(Input):
                i.value = ""
            return
        row.remove()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "actions-add":
            self.action_add_row()
        elif event.button.has_class("a-remove") and event.button.parent is not None:
            self._remove(event.button.parent)  # type: ignore[arg-type]
