"""``drp report --from --to --format -o FILE``: the pack written for oversight, refused for a chair."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from drp_tui.cli import main
from drp_tui.store import models as m
from tests.unit.test_cli_dispute import Cli, cli  # noqa: F401  (fixture)
from tests.unit.test_cli_dispute import raise_at, send_and_respond  # noqa: F401
from tests.factories import PASSWORD


def report(c: Cli, who: str, *argv: str) -> tuple[int, str, str]:
    c.capsys.readouterr()
    c.monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    status = main(["--db", str(c.db), "--config", str(c.config), "report", *argv, "--as", who, "--password-stdin"])
    out, err = c.capsys.readouterr()
    return status, out, err


def _events(kind: str) -> list[m.Event]:
    return list(m.Event.select().where(m.Event.kind == kind).order_by(m.Event.id))


def test_oversight_writes_each_format(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    raise_at(cli, "informal")
    m.Team.update(name="=1+1").where(m.Team.name == "Test Social Care").execute()
    xlsx = tmp_path / "pack.xlsx"
    status, out, err = report(cli, "over1", "--from", "01/04/2026", "--to", "2027-03-31", "-o", str(xlsx))
    assert status == 0, err
    assert out.startswith("Wrote the report pack (xlsx, 1 dispute raised Wed 1 Apr 2026 to Wed 31 Mar 2027)")
    wb = load_workbook(xlsx)
    team = wb["By team (the child's team)"]
    assert team.cell(row=3, column=1).value == "'=1+1" and team.cell(row=3, column=1).data_type == "s"
    assert [c.value for c in wb["Disputes raised by month"][10]] == ["Nov 2026", 1, 0]
    pdf = tmp_path / "pack.bin"
    status, _out, err = report(cli, "over1", "--from", "2026-04-01", "--to", "2027-03-31", "--format", "pdf",
                               "-o", str(pdf))
    assert status == 0, err
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    for title in ("Disputes raised by month", "Stage reached", "Resolved at stage", "Timeliness of responses",
                  "Time to resolution", "Themes (categories of concern)", "By team (the child's team)",
                  "Cafcass referrals", "Year on year"):
        assert title in text
    status, _out, err = report(cli, "over1", "--from", "2026-04-01", "--to", "2027-03-31", "-o",
                               str(tmp_path / "pack.csv"))
    assert status == 0 and (tmp_path / "pack.csv").read_bytes().startswith("\ufeff".encode())
    assert [e.summary.split(" for ")[0] for e in _events("export")] == [
        "Wrote the report pack (xlsx)", "Wrote the report pack (pdf)", "Wrote the report pack (csv)"]
    assert oct(xlsx.stat().st_mode & 0o777) == oct(0o600)


def test_refused_for_a_chair_no_file_and_audited(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "pack.xlsx"
    status, stdout, err = report(cli, "chair1", "--from", "2026-04-01", "--to", "2027-03-31", "-o", str(out))
    assert status == 2 and stdout == ""
    assert err == "drp report: Reports are for the IRO service manager (oversight).\n"
    assert not out.exists() and _events("export") == []
    assert "refused" in _events("refused")[-1].summary


@pytest.mark.parametrize(("argv", "says"), [
    (("--from", "2026-11-30", "--to", "2026-11-01", "-o", "x.csv"), "To: 2026-11-01 is before From"),
    (("--from", "31/02/2026", "--to", "2026-11-01", "-o", "x.csv"), "--from: '31/02/2026' is not a day"),
    (("--from", "2026-11-01", "--to", "2026-11-30", "-o", "x.txt"), "--format: which one?"),
    (("--from", "2026-11-01", "--to", "2026-11-30", "-o", "no/such/x.csv"), "-o: no folder"),
])
def test_bad_input_names_the_field(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                   argv: tuple[str, ...], says: str) -> None:
    monkeypatch.chdir(tmp_path)
    status, stdout, err = report(cli, "over1", *argv)
    assert status == 2 and stdout == "" and says in err, err
    assert _events("export") == [] and not list(tmp_path.glob("x.*"))
