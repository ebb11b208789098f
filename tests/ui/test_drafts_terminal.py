"""The real desk under a pseudo-terminal: the connection drops (or the desk is told to stop)
while a form holds typed text; the text is in the database as a draft, and the desk exits cleanly.

POSIX only (pty). Waits are reads of the terminal with a deadline, never sleeps.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import sqlite3
import struct
import sys
import termios
import time
from pathlib import Path

import pytest

pty = pytest.importorskip("pty")

TYPED = "Hangup kept this"


class Terminal:
    def __init__(self, db: Path, home: Path) -> None:
        env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "c"), XDG_DATA_HOME=str(home / "d"),
                   TERM="xterm-256color", COLUMNS="80", LINES="24")
        for var in ("DRP_DB", "DRP_CONFIG", "DRP_DEMO_DB", "NO_COLOR"):
            env.pop(var, None)
        pid, fd = pty.fork()
        if pid == 0:  # the desk: a fresh demo database, signed in as its chair
            os.execve(sys.executable, [sys.executable, "-m", "drp_tui", "--db", str(db), "demo"], env)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.out = b""

    def wait_for(self, marker: bytes, timeout: float = 90) -> None:
        end = time.monotonic() + timeout
        while marker not in self.out:
            left = end - time.monotonic()
            assert left > 0, f"{marker!r} never appeared; last output: {self.out[-400:]!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.out += os.read(self.fd, 65536)
                except OSError:  # the desk has gone
                    break
        assert marker in self.out, marker

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def drain(self, timeout: float = 30) -> None:
        """Read until the desk closes its side (its last output is the terminal put back)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], end - time.monotonic())
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.out += chunk

    def kill(self) -> None:
        """After a failed test: leave no desk running."""
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

    def exit_code(self, timeout: float = 60) -> int:
        """The desk's exit code; a desk still running ``timeout`` seconds after it was told to end fails
        the test (and is killed) instead of hanging it. Waits on the process's own descriptor (Linux)."""
        opener = getattr(os, "pidfd_open", None)
        if opener is not None:
            pidfd = opener(self.pid)
            try:
                ended, _, _ = select.select([pidfd], [], [], timeout)
            finally:
                os.close(pidfd)
            if not ended:
                self.kill()
                raise AssertionError(f"the desk had not ended {timeout:.0f} s after it was told to")
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def _type_into_a_form(term: Terminal) -> None:
    term.wait_for(b"My work")  # home
    term.out = b""
    term.type("L")  # the caseload, once its first page is on screen
    term.wait_for(b"rows 1")
    term.out = b""
    term.type("\r")  # open the first dispute of the caseload
    term.wait_for(b"You raised this")  # loading (the chair's own dispute, from "Mine")
    for attempt in range(10):  # "i" goes into the first field once the fields are there
        term.out = b""
        term.type("i")
        try:
            term.wait_for(b"wishes", timeout=5)  # its label: the child's wishes and feelings
            break
        except AssertionError:
            if attempt == 9:
                raise
    term.type(TYPED)
    term.wait_for(b"kept this")


def _drafts(db: Path) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT s.username, d.payload, d.reason FROM draft d JOIN staff s ON s.id = d.owner_id"
                           ).fetchall()
    finally:
        con.close()


def test_the_connection_drops_the_typed_text_is_a_draft_and_the_desk_exits_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    term = Terminal(db, tmp_path)
    try:
        _type_into_a_form(term)
    except AssertionError:
        term.kill()
        raise
    os.close(term.fd)  # the SSH connection drops: the kernel hangs up the terminal (SIGHUP)
    assert term.exit_code() == 0
    ((who, payload, reason),) = _drafts(db)
    assert who == "cpatel" and TYPED in json.loads(payload).values() and reason == "connection dropped (SIGHUP)"


def test_sigterm_keeps_the_text_and_puts_the_terminal_back(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    term = Terminal(db, tmp_path)
    try:
        _type_into_a_form(term)
    except AssertionError:
        term.kill()
        raise
    term.out = b""
    os.kill(term.pid, signal.SIGTERM)
    term.drain()
    assert term.exit_code() == 0
    assert b"\x1b[?1049l" in term.out  # the alternate screen is left: the terminal is as it was
    ((who, payload, reason),) = _drafts(db)
    assert who == "cpatel" and TYPED in json.loads(payload).values() and reason == "desk stopped (SIGTERM)"
    os.close(term.fd)
