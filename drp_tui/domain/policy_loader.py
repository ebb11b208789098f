"""Load policy profiles (TOML) into :class:`Policy`, strictly, and check them.

Loading refuses anything it does not understand: unknown or missing keys,
wrong types, negative numbers, duplicate keys, references to unknown levels or
stages. Every :class:`PolicyError` message reads ``FILE: KEY.PATH: problem``;
array entries count from 0, so ``stages[2]`` is the third ``[[stages]]``.

``drp_tui.domain.policy_check`` then reports what a *valid* profile still gets
wrong or leaves open.

A reserved top-level table ``[local]`` holds an authority's own documentation keys
(any content): it is kept (:attr:`Policy.local`, and in the pinned text) and ignored
by the engine. Any other key the format does not know still fails.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
import difflib
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from drp_tui.domain.policy import (
    APPROVAL_ON, BASE_STATUSES, CHAIR, RESPONDERS_ALL, RESPONDERS_ANY, ClockFrom, RaiseMetBy,
    BypassRule, CafcassRule, Category, Level, Policy, Rules, Stage, Timescale, Vocabulary,
)

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from drp_tui.domain.policy_parts import Copy, Meeting, OverallCap

SHORT_LABEL_MAX = 12  # the caseload's Stage column at 80 columns
STATUSES = BASE_STATUSES  # the built-in legal statuses (a profile's [[statuses]] add to them)
_STATUS_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
LEVEL_HOLDERS = ("team", "chair_team", "allocated")  # see Level.holder
_PROFILE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


class PolicyError(ValueError):
    """A bad profile: the message names the file, the key path and the problem."""


# --- value readers: (reader, value, path) -> converted value ---------------
class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, what: str) -> NoReturn:
        raise PolicyError(f"{self.source}: {path or '(top level)'}: {what}")

    def table(self, value: Any, path: str, spec: Mapping[str, tuple[Any, bool]]) -> dict[str, Any]:
        """Check a table against ``spec`` (key -> (reader, required)); return converted values."""
        if not isinstance(value, dict):
            self.fail(path, f"must be a table, got {_type_name(value)}")
        for k in value:
            if k not in spec:
                close = difflib.get_close_matches(k, list(spec), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                local = "; an authority's own documentation keys go in the [local] table" if not path else ""
                self.fail(_join(path, k), f"unknown key ({hint}expected one of: {', '.join(spec)}){local}")
        out: dict[str, Any] = {}
        for k, (reader, required) in spec.items():
            if k in value:
                out[k] = reader(self, value[k], _join(path, k))
            elif required:
                self.fail(_join(path, k), "missing required key")
        return out

    def tables(self, value: Any, path: str, spec: Mapping[str, tuple[Any, bool]]) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            self.fail(path, f"must be an array of tables, got {_type_name(value)}")
        return [self.table(v, f"{path}[{i}]", spec) for i, v in enumerate(value)]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array", dict: "a table"}


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


Read = Callable[[_Reader, Any, str], Any]


def _typed(kind: type, desc: str) -> Read:
    def read(r: _Reader, v: Any, path: str) -> Any:
        if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
            r.fail(path, f"must be {desc}, got {_type_name(v)}")
        if isinstance(v, int) and v < 0:
            r.fail(path, f"must not be negative, got {v}")
        return v

    return read


_text, _int, _bool = _typed(str, "a string"), _typed(int, "an integer"), _typed(bool, "true or false")


def _name(r: _Reader, v: Any, path: str) -> str:
    text: str = _text(r, v, path)
    if not text.strip():
        r.fail(path, "must not be empty")
    return text


def _pattern(regex: re.Pattern[str], hint: str) -> Read:
    def read(r: _Reader, v: Any, path: str) -> str:
        text: str = _text(r, v, path)
        if not regex.match(text):
            r.fail(path, f"{v!r} is not a valid key ({hint})")
        return text

    return read


def _one_of(values: tuple[str, ...], convert: Callable[[str], Any] = str) -> Read:
    def read(r: _Reader, v: Any, path: str) -> Any:
        if _text(r, v, path) not in values:
            r.fail(path, f"{v!r} is not allowed (expected one of: {', '.join(values)})")
        return convert(v)

    return read


def _list_of(item: Read) -> Read:
    def read(r: _Reader, v: Any, path: str) -> tuple[Any, ...]:
        if not isinstance(v, list):
            r.fail(path, f"must be an array, got {_type_name(v)}")
        return tuple(item(r, x, f"{path}[{i}]") for i, x in enumerate(v))

    return read


def _enum(cls: type[Enum]) -> Read:
    return _one_of(tuple(m.value for m in cls), cls)


_ident = _pattern(_IDENT, "lower-case letters, digits and _, starting with a letter")
_profile_key = _pattern(_PROFILE_KEY, "lower-case letters, digits, - and _")
_status = _pattern(_STATUS_KEY, "a legal status: CLA, CP, CIN or a key of [[statuses]]")
_status_key = _pattern(_STATUS_KEY, "letters, digits, _ and -, starting with a letter")


def _copy(r: _Reader, v: Any, path: str) -> str | Copy:
    """An ``inform_levels`` entry: a level key, or ``{ level = "...", when = "FACT" }``."""
    if isinstance(v, dict):
        got = r.table(v, path, {"level": (_ident, True), "when": (_ident, True)})
        from drp_tui.domain.policy_parts import Copy  # (a profile that names one: not at start)

        return Copy(got["level"], got["when"])
    text: str = _ident(r, v, path)
    return text


def _meeting(r: _Reader, v: Any, path: str) -> Meeting:
    got = r.table(v, path, {"within": (_timescale, False), "arranged_by": (_ident, False)})
    from drp_tui.domain.policy_parts import Meeting  # (a profile that names one: not at start)

    return Meeting(**got)


_UNITS = ("working_days", "calendar_days", "hours")


def _timescale(r: _Reader, v: Any, path: str, *, anchored: bool = False) -> Timescale:
    """``{ working_days = N }``, ``{ calendar_days = N }`` or ``{ hours = N }`` (one unit); where a
    window may be counted from a recorded event (a stage's timescale, the raise window), also
    ``from = "sent" | "issue_arose" | "formal_start" | "conversation"``."""
    spec: dict[str, tuple[Any, bool]] = {u: (_int, False) for u in _UNITS}
    if anchored:
        spec["from"] = (_enum(ClockFrom), False)
    got = r.table(v, path, spec)
    units = [u for u in _UNITS if u in got]
    if len(units) > 1:
        r.fail(path, f"give one unit ({' or '.join(_UNITS)}), not {' and '.join(units)}")
    if "from" in got and not units:
        r.fail(_join(path, "from"), "a window counted from an event needs its length too "
                                    f"({' or '.join(_UNITS)})")
    start = got.pop("from", None)
    return Timescale(**got, start=start)


def _window(r: _Reader, v: Any, path: str) -> Timescale:
    return _timescale(r, v, path, anchored=True)


def _cap(r: _Reader, v: Any, path: str) -> OverallCap:
    from drp_tui.domain.policy_parts import OverallCap  # (a profile that names one: not at start)

    return OverallCap(**r.table(v, path, _CAP))


_VOCAB = {f: (_name, False) for f in Vocabulary.__dataclass_fields__}
_LEVEL = {"key": (_ident, True), "label": (_name, True), "holder": (_one_of(LEVEL_HOLDERS), False)}
_FACT = {"key": (_ident, True), "label": (_name, True)}
_STATUS = {"key": (_status_key, True), "label": (_name, True)}
_CATEGORY = {"key": (_ident, True), "label": (_name, True), "description": (_text, False)}
_STAGE: dict[str, tuple[Any, bool]] = {
    "key": (_ident, True),
    "label": (_name, True),
    "section": (_int, True),
    "responder_level": (_ident, False),  # this, or responder_levels: exactly one of the two
    "responder_levels": (_list_of(_ident), False),
    "responders": (_one_of((RESPONDERS_ANY, RESPONDERS_ALL)), False),
    "response_expected": (_bool, False),
    "inform_levels": (_list_of(_copy), False),
    "inform_teams": (_list_of(_name), False),
    "response_to_levels": (_list_of(_ident), False),
    "meeting": (_meeting, False),
    "monitoring": (_timescale, False),
    "timescale": (_window, False),
    **{f: (_bool, False) for f in ("meeting_expected", "may_start", "bypass_target", "requires_approval", "informal",
                                   "chair_sets_timescale")},
    "guidance": (_text, False),
    "short_label": (_name, False),
    **{f: (_list_of(_ident), False) for f in ("sent_by", "escalated_by", "closed_by")},
    "close_needs_all": (_bool, False),
}
_APPROVAL: dict[str, tuple[Any, bool]] = {
    "on": (_one_of(APPROVAL_ON), True), "level": (_ident, True), "to": (_ident, False), "from": (_ident, False),
    "source": (_text, False),
}
_CAP = {"working_days": (_int, True), "from_stage": (_ident, True), "to_stage": (_ident, False), "label": (_text, False)}
_RULES: dict[str, tuple[Any, bool]] = {
    "raise_window": (_window, False),
    **{f: (_timescale, False) for f in ("negotiation_window", "monitoring_meeting")},
    **{f: (_timescale, False) for f in ("immediate_concern", "immediate_written_record")},
    "raise_window_met_by": (_enum(RaiseMetBy), False),
    "bypass": (_enum(BypassRule), False),
    "caps": (_list_of(_cap), False),
    "cafcass": (_enum(CafcassRule), False),
    "cafcass_tell_levels": (_list_of(_ident), False),
    "legal_advice_tell_levels": (_list_of(_ident), False),
    "cafcass_after_stages": (_list_of(_ident), False),
    **{f: (_bool, False) for f in ("cafcass_ends_dispute", "extensions_allowed", "extension_needs_reason", "compliments", "siblings_together")},
    "due_soon_working_days": (_int, False),
    "not_for": (_text, False),
    "approval_level": (_ident, False),
}
def _local(r: _Reader, v: Any, path: str) -> dict[str, Any]:
    """``[local]``: the authority's own keys, any content, kept as written (never read by the engine)."""
    if not isinstance(v, dict):
        r.fail(path, f"must be a table ([local]) of your own keys, got {_type_name(v)}")
    return v


_TOP: dict[str, tuple[Any, bool]] = {
    "key": (_profile_key, True),
    "name": (_name, True),
    "version": (_int, True),
    "source": (_name, True),
    "applies_to": (_list_of(_status), True),
    "notes": (_list_of(_name), False),
    "vocabulary": (lambda r, v, p: r.table(v, p, _VOCAB), False),
    "levels": (lambda r, v, p: r.tables(v, p, _LEVEL), True),
    "categories": (lambda r, v, p: r.tables(v, p, _CATEGORY), True),
    "stages": (lambda r, v, p: r.tables(v, p, _STAGE), True),
    "rules": (lambda r, v, p: r.table(v, p, _RULES), False),
    "facts": (lambda r, v, p: r.tables(v, p, _FACT), False),
    "statuses": (lambda r, v, p: r.tables(v, p, _STATUS), False),
    "approvals": (lambda r, v, p: r.tables(v, p, _APPROVAL), False),
    "local": (_local, False),
}


# --- building a Policy -------------------------------------------------------
def _unique(r: _Reader, rows: list[dict[str, Any]], path: str, what: str) -> dict[str, int]:
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row["key"] in seen:
            r.fail(f"{path}[{i}].key", f"duplicate {what} key {row['key']!r} (first at {path}[{seen[row['key']]}])")
        seen[row["key"]] = i
    return seen


def policy_from_dict(data: Mapping[str, Any], source: str = "<profile>", text: str | None = None) -> Policy:
    """Validate parsed TOML ``data`` and build a :class:`Policy`; ``source`` names it in errors.

    ``text``: the content it was parsed from (kept as :attr:`Policy.text`, what disputes
    are pinned to); without it, canonical JSON of ``data`` (which :func:`policy_from_text` reads)."""
    r = _Reader(source)
    top = r.table(dict(data), "", _TOP)
    if top["version"] < 1:
        r.fail("version", f"must be 1 or more, got {top['version']}")
    if not top["applies_to"]:
        r.fail("applies_to", "must name at least one legal status")
    for name in ("levels", "stages"):
        if not top[name]:
            r.fail(name, "must have at least one entry")
    levels = _unique(r, top["levels"], "levels", "level")
    stages = _unique(r, top["stages"], "stages", "stage")
    _unique(r, top["categories"], "categories", "category")
    facts = _unique(r, top.get("facts", []), "facts", "fact")
    own = _unique(r, top.get("statuses", []), "statuses", "status")
    for i, row in enumerate(top.get("statuses", [])):
        if row["key"].upper() in STATUSES:
            r.fail(f"statuses[{i}].key", f"{row['key']!r} is a built-in legal status already (CLA, CP, CIN)")
    known = {s.upper(): s for s in STATUSES} | {k.upper(): k for k in own}
    for i, st in enumerate(top["applies_to"]):
        if st.upper() not in known:
            r.fail(f"applies_to[{i}]", f"{st!r} is not allowed (expected one of: {', '.join(known.values())})")
    top["applies_to"] = tuple(known[st.upper()] for st in top["applies_to"])

    def level_ref(key: str, path: str) -> None:
        if key not in levels:
            r.fail(path, f"unknown level {key!r} (levels: {', '.join(levels)})")

    sections: dict[int, int] = {}
    for i, st in enumerate(top["stages"]):
        p = f"stages[{i}]"
        one, many = st.get("responder_level"), st.get("responder_levels")
        if one is None and many is None:
            r.fail(f"{p}.responder_level", "missing required key (or give responder_levels instead)")
        if one is not None and many is not None:
            r.fail(f"{p}.responder_levels", "give responder_level or responder_levels, not both")
        if one is not None:
            level_ref(one, f"{p}.responder_level")
        else:
            if not many:
                r.fail(f"{p}.responder_levels", "must name at least one level")
            for j, lv in enumerate(many):
                level_ref(lv, f"{p}.responder_levels[{j}]")
                if lv in many[:j]:
                    r.fail(f"{p}.responder_levels[{j}]", f"level {lv!r} is listed twice")
            st["responder_level"] = many[0]
        if st.get("responders") == RESPONDERS_ALL and many is None:
            r.fail(f"{p}.responders", 'responders = "all" needs responder_levels (the levels that answer jointly)')
        if st.get("response_expected") is False and st.get("responders") == RESPONDERS_ALL:
            r.fail(f"{p}.responders", 'a stage with response_expected = false has no responders to wait for; '
                                      'leave out responders = "all"')
        plain: list[str] = []
        when: list[Copy] = []
        for j, entry in enumerate(st.get("inform_levels", ())):
            # a level key, or a Copy (checked as "not a key": the class is loaded only when a profile names one)
            lv = entry if isinstance(entry, str) else entry.level
            level_ref(lv, f"{p}.inform_levels[{j}]")
            if isinstance(entry, str):
                plain.append(entry)
            else:
                if entry.when not in facts:
                    r.fail(f"{p}.inform_levels[{j}].when", f"unknown fact {entry.when!r} "
                           f"(facts: {', '.join(facts) or 'none; declare it in [[facts]]'})")
                when.append(entry)
        if "inform_levels" in st:
            st["inform_levels"] = tuple(plain)
            st["inform_when"] = tuple(when)
        for j, lv in enumerate(st.get("response_to_levels", ())):
            level_ref(lv, f"{p}.response_to_levels[{j}]")
        meeting = st.get("meeting")
        if meeting is not None:
            if meeting.arranged_by:
                level_ref(meeting.arranged_by, f"{p}.meeting.arranged_by")
            st["meeting_expected"] = True
        if len(st.get("short_label", "")) > SHORT_LABEL_MAX:
            r.fail(f"{p}.short_label", f"at most {SHORT_LABEL_MAX} characters (it stands in for the label in the "
                                       f"caseload at 80 columns), got {len(st['short_label'])}")
        if st["section"] < 2:
            r.fail(f"{p}.section", f"must be 2 or more (section 1 is the chair's opening section), got {st['section']}")
        if st["section"] in sections:
            r.fail(f"{p}.section", f"section {st['section']} is already used by stages[{sections[st['section']]}]")
        sections[st["section"]] = i
        for name in ("sent_by", "escalated_by", "closed_by"):
            parties = st.get(name)
            if parties is None:
                continue
            if not parties:
                r.fail(f"{p}.{name}", f'must name at least one party ("{CHAIR}" or a level key)')
            for j, party in enumerate(parties):
                if party != CHAIR:
                    level_ref(party, f"{p}.{name}[{j}]")
    if not any(st.get("may_start", True) for st in top["stages"]):
        r.fail("stages", "no stage has may_start = true, so no dispute could ever be raised")

    rules = top.get("rules", {})
    for i, cap in enumerate(rules.get("caps", ())):
        for end in ("from_stage", "to_stage"):
            key = getattr(cap, end)
            if key is not None and key not in stages:
                r.fail(f"rules.caps[{i}].{end}", f"unknown stage {key!r} (stages: {', '.join(stages)})")
        if cap.to_stage is not None and stages[cap.to_stage] < stages[cap.from_stage]:
            r.fail(f"rules.caps[{i}].to_stage", f"stage {cap.to_stage!r} comes before from_stage {cap.from_stage!r}")
    for name in ("cafcass_tell_levels", "legal_advice_tell_levels"):
        for j, lv in enumerate(rules.get(name, ())):
            level_ref(lv, f"rules.{name}[{j}]")
    for j, key in enumerate(rules.get("cafcass_after_stages", ())):
        if key not in stages:
            r.fail(f"rules.cafcass_after_stages[{j}]", f"unknown stage {key!r} (stages: {', '.join(stages)})")
    if "approval_level" in rules:
        level_ref(rules["approval_level"], "rules.approval_level")
    for i, ap in enumerate(top.get("approvals", ())):
        p = f"approvals[{i}]"
        level_ref(ap["level"], f"{p}.level")
        for end in ("to", "from"):
            if end in ap and ap[end] not in stages:
                r.fail(f"{p}.{end}", f"unknown stage {ap[end]!r} (stages: {', '.join(stages)})")
        if ap["on"] == "cafcass_referral" and ("to" in ap or "from" in ap):
            r.fail(p, "a Cafcass referral approval has no 'to' or 'from' stage")
        if ap["on"] == "raise" and "from" in ap:
            r.fail(f"{p}.from", "raising has no 'from' stage (use 'to': the stage raised at)")
        if ap["on"] == "raise" and "to" in ap and not top["stages"][stages[ap["to"]]].get("may_start", True):
            r.fail(f"{p}.to", f"stage {ap['to']!r} has may_start = false, so no dispute is raised there")
        if ap["on"] == "escalate" and "to" in ap and "from" in ap and stages[ap["to"]] != stages[ap["from"]] + 1:
            r.fail(f"{p}.to", f"escalating from {ap['from']!r} goes to the next stage, not {ap['to']!r} "
                              '(a jump further is on = "bypass")')
        if ap["on"] == "bypass" and "to" in ap and "from" in ap and stages[ap["to"]] <= stages[ap["from"]] + 1:
            r.fail(f"{p}.to", f"bypassing from {ap['from']!r} must jump past the next stage, not to {ap['to']!r} "
                              '(the next stage is on = "escalate")')

    return Policy(
        **{k: top[k] for k in ("key", "name", "version", "source", "applies_to")},
        vocabulary=Vocabulary(**top.get("vocabulary", {})),
        levels=tuple(Level(**row) for row in top["levels"]),
        categories=tuple(Category(**row) for row in top["categories"]),
        stages=tuple(Stage(**row) for row in top["stages"]),  # lists of parties are tuples already
        rules=Rules(**rules),
        path=source,
        notes=top.get("notes", ()),
        **_named_parts(top),
        local=top.get("local", {}),
        text=text if text is not None else json.dumps(data, sort_keys=True, ensure_ascii=False, default=str),
    )


def _named_parts(top: Mapping[str, Any]) -> dict[str, Any]:
    """The profile's facts, extra legal statuses and approval gates (checked already), for the
    :class:`Policy`; none named: nothing (the Policy's empty defaults)."""
    if not any(top.get(name) for name in ("facts", "statuses", "approvals")):
        return {}
    # (built only when a profile names one: the default profile names none, so not at start)
    from drp_tui.domain.policy_parts import Approval, ChildStatus, Fact

    return {
        "facts": tuple(Fact(**row) for row in top.get("facts", [])),
        "statuses": tuple(ChildStatus(**row) for row in top.get("statuses", [])),
        "approvals": tuple(Approval(ap["on"], ap["level"], to_stage=ap.get("to", ""), from_stage=ap.get("from", ""),
                                    source=ap.get("source", "")) for ap in top.get("approvals", [])),
    }


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Load and validate one profile file; raises :class:`PolicyError`."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    return _parse(raw.decode("utf-8", errors="replace"), str(path))


def _parse(text: str, source: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from exc
    return policy_from_dict(data, source, text)


def policy_from_text(text: str, source: str) -> Policy:
    """A profile from the content kept in :attr:`Policy.text` (TOML, or the canonical JSON
    :func:`policy_from_dict` keeps when it had no text: a TOML document never starts with ``{``)."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PolicyError(f"{source}: not valid JSON: {exc}") from exc
        return policy_from_dict(data, source, text)
    return _parse(text, source)


def _builtin_dir() -> Traversable:
    """The shipped profiles: the package's ``policies`` folder (a plain folder in any installed
    package, read without ``importlib.resources``, which costs ~20 ms to load at every start);
    through ``importlib.resources`` if the package is not a folder (a zip)."""
    here = Path(__file__).resolve().parent.parent / "policies"
    if here.is_dir():
        return here
    from importlib import resources

    return resources.files("drp_tui").joinpath("policies")


def builtin_keys() -> list[str]:
    """Keys of the profiles shipped with the package, sorted."""
    return sorted(p.name[: -len(".toml")] for p in _builtin_dir().iterdir() if p.name.endswith(".toml"))


@cache
def load_builtin(key: str) -> Policy:
    """Load a shipped profile by key; raises :class:`PolicyError` if there is none."""
    if key not in builtin_keys():
        raise PolicyError(f"{key}: no built-in policy of that name (built-ins: {', '.join(builtin_keys())})")
    res = _builtin_dir().joinpath(f"{key}.toml")
    return _parse(res.read_text(encoding="utf-8"), str(res))


def resolve_policy(spec: str) -> Policy:
    """``spec`` is a built-in key or the path of a TOML profile."""
    if spec in builtin_keys():
        return load_builtin(spec)
    if spec.endswith(".toml") or os.sep in spec or Path(spec).exists():
        return load_policy(spec)
    raise PolicyError(f"{spec}: neither a built-in policy ({', '.join(builtin_keys())}) nor a .toml file")


def __getattr__(name: str) -> Any:
    """The checks of a loaded profile live in ``policy_check``; re-exported here for older callers,
    imported on first use (not at start-up: loading a profile does not need them)."""
    if name in ("SEVERITIES", "Finding", "check_policy"):
        from drp_tui.domain import policy_check

        return getattr(policy_check, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
