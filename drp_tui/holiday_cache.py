"""Bank holidays kept between starts: the ``holidays`` package's answers in a small JSON file.

Loading the package's United Kingdom calendar costs about 13 MB and 50-70 ms at every start
(the module and the Islamic, Hindu and Chinese calendar tables it brings), for a handful of
dates a year. The answers, per (nation, year), are kept in ``bank-holidays.json`` in the user
cache folder (platformdirs), keyed by the installed package's version and its United Kingdom
module's size and time: after an upgrade (or any change to that module) the file no longer
matches and every answer is worked out again. The package stays the one source of bank
holidays: this file only ever holds what it said.

A missing, unreadable, corrupt or foreign file is ignored (and written afresh); a cache folder
that cannot be written leaves the answers in memory only. No error ever reaches the caller.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from drp_tui.domain.calendar import NATIONS, HolidaySource, package_holidays

FILE_NAME = "bank-holidays.json"
FORMAT = 1
AHEAD = 2  # a miss works out this many years either side too, so that one write serves a while


def cache_dir() -> Path:
    """The user cache folder (``$XDG_CACHE_HOME/drp-tui`` or ``~/.cache/drp-tui`` on Linux)."""
    import platformdirs

    from drp_tui.config import APP_NAME

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def package_key() -> str | None:
    """Which ``holidays`` package is installed, read without importing it: its version (from
    its ``.dist-info`` folder, else a version written in its ``version.py``) and its United
    Kingdom module's size and time. None if the package is not found."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("holidays")
        if spec is None or not spec.submodule_search_locations:
            return None
        package = Path(list(spec.submodule_search_locations)[0])
        uk = (package / "countries" / "united_kingdom.py").stat()
        version = _dist_version(package) or _written_version(package / "version.py")
    except (OSError, ValueError, ImportError):
        return None
    if version is None:
        return None
    return f"{version}|{uk.st_size}|{uk.st_mtime_ns}"


def _dist_version(package: Path) -> str | None:
    """The version in ``holidays-<version>.dist-info/METADATA`` beside the package."""
    for entry in os.scandir(package.parent):
        if entry.name.startswith("holidays-") and entry.name.endswith(".dist-info"):
            metadata = Path(entry.path) / "METADATA"
            try:
                with metadata.open(encoding="utf-8") as f:
                    for line in f:
                        if line.startswith("Version:"):
                            return line.split(":", 1)[1].strip()
                        if not line.strip():
                            break
            except OSError:
                continue
    return None


def _written_version(path: Path) -> str | None:
    """``__version__ = "0.62"`` written in the package's ``version.py`` (older releases)."""
    import re

    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    return found.group(1) if found else None


class HolidayCache:
    """A :data:`~drp_tui.domain.calendar.HolidaySource` that keeps the package's answers in
    ``folder/bank-holidays.json``. Safe to share between threads."""

    def __init__(self, folder: Path, key: str | None, compute: HolidaySource = package_holidays) -> None:
        self.folder = folder
        self.path = folder / FILE_NAME
        self.key = key
        self._compute = compute
        self._lock = threading.Lock()
        self._years: dict[str, dict[date, str]] | None = None  # "ENG:2026" -> {date: name}

    def __call__(self, nation: str, year: int) -> Mapping[date, str]:
        with self._lock:
            if self._years is None:
                self._years = self._read()
            found = self._years.get(f"{nation}:{year}")
            if found is not None:
                return dict(found)
            for y in range(year - AHEAD, year + AHEAD + 1):
                name = f"{nation}:{y}"
                if name not in self._years and 1 <= y <= 9999:
                    self._years[name] = dict(self._compute(nation, y))
            if self.key is not None:
                self._write(self._years)
            return dict(self._years[f"{nation}:{year}"])

    def _read(self) -> dict[str, dict[date, str]]:
        if self.key is None:
            return {}
        try:
            with self.path.open(encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return {}
        return _parsed(data, self.key)

    def _write(self, years: dict[str, dict[date, str]]) -> None:
        data = {"format": FORMAT, "holidays": self.key,
                "years": {k: {d.isoformat(): n for d, n in v.items()} for k, v in sorted(years.items())}}
        tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tmp.open("w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=True, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError:  # an unwritable cache folder: the answers stay in memory
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass


def _parsed(data: object, key: str) -> dict[str, dict[date, str]]:
    """The years in a file written by this module for this package, else nothing."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("holidays") != key:
        return {}
    years = data.get("years")
    if not isinstance(years, dict):
        return {}
    out: dict[str, dict[date, str]] = {}
    try:
        for name, days in years.items():
            nation, _, year = name.partition(":")
            if nation not in NATIONS or not year.isdigit() or not isinstance(days, dict):
                return {}
            parsed: dict[date, str] = {}
            for day, why in days.items():
                d = date.fromisoformat(day)
                if d.year != int(year) or not isinstance(why, str) or not why:
                    return {}
                parsed[d] = why
            out[name] = parsed
    except (TypeError, ValueError):
        return {}
    return out


def cached_holidays() -> HolidaySource:
    """A bank holiday source for a session: the package's answers, kept in the user cache
    folder between starts (the file is read at its first question)."""
    return HolidayCache(cache_dir(), package_key())
