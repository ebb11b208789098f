"""Drive a Textual app under a real pseudo-terminal, the way an SSH session does.

``PtyApp`` starts a child program (``tests/ui/burst_child.py``) on the slave side
of a pty sized 80x24 and writes whole bursts (one ``os.write``, so the app's input
thread gets them in one read) to the master side. The child reports what each
field received as JSON lines on a separate pipe. Waiting is always bounded and
event-driven: ``select`` on the pipe (and on the pty, which is drained so the
child never blocks writing its screen), never a fixed sleep.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class PtyApp:
    def __init__(self, kind: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.report_r, report_w = os.pipe()
        child_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24",
                     **(env or {})}
        child_env.pop("TEXTUAL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.burst_child", kind, str(report_w), *args],
            stdin=slave, stdout=slave, stderr=slave, pass_fds=(report_w,), cwd=ROOT,
            env=child_env, start_new_session=True, close_fds=True)
        os.close(slave)
        os.close(report_w)
        self._buffer = b""
        self.screen_bytes = 0

    def send(self, data: bytes) -> None:
        """One burst: a single write, as a fast typist's packet arrives over SSH."""
        os.write(self.master, data)

    def report(self, timeout: float = 10.0) -> Any:
        """The child's next JSON line; drains the screen output while waiting."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no report from the app within {timeout}s")
            ready, _, _ = select.select([self.master, self.report_r], [], [], left)
            if self.master in ready:
                try:
                    self.screen_bytes += len(os.read(self.master, 65536))
                except OSError:  # the child closed its terminal
                    pass
            if self.report_r in ready:
                chunk = os.read(self.report_r, 65536)
                if not chunk:
                    raise EOFError(f"the app ended (exit {self.proc.wait(timeout)})")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for fd in (self.master, self.report_r):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
