"""``drp due DATE N [--nation ...] [--explain]`` through ``drp_tui.cli.main``."""

from __future__ import annotations

from pathlib import Path

import pytest

import drp_tui.config as config_module
from drp_tui.cli import main


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user or site config file unless a test writes one."""
    monkeypatch.delenv("DRP_CONFIG", raising=False)
    monkeypatch.setattr(config_module, "user_config_dir", lambda: tmp_path / "no-user-config")
    monkeypatch.setattr(config_module, "SITE_CONFIG", tmp_path / "no-site-config.toml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


@pytest.mark.parametrize(
    ("argv", "due"),
    [
        (["2026-12-24", "1"], "2026-12-29"),
        (["2026-12-24", "3"], "2026-12-31"),
        (["2026-12-24", "4"], "2027-01-04"),
        (["2025-12-24", "1"], "2025-12-29"),
        (["2026-11-21", "1"], "2026-11-23"),  # from a Saturday
        (["2026-11-23", "0"], "2026-11-23"),
        (["2026-04-02", "1"], "2026-04-07"),
        (["2026-04-02", "1", "--nation", "SCT"], "2026-04-06"),
        (["2026-04-02", "1", "--nation", "sct"], "2026-04-06"),  # case does not matter
        (["2025-12-31", "1", "--nation", "SCT"], "2026-01-05"),
        (["2026-03-16", "1", "--nation", "NIR"], "2026-03-18"),
        (["2026-07-10", "1", "--nation", "NIR"], "2026-07-14"),
        (["2026-07-10", "1", "--nation", "WLS"], "2026-07-13"),
        (["--nation", "ENG", "2026-11-20", "5"], "2026-11-27"),
        (["2026-11-23", "3650"], "2041-05-01"),  # the maximum N; checked day by day
    ],
)
def test_due_prints_date(capsys: pytest.CaptureFixture[str], argv: list[str], due: str) -> None:
    status, out, err = run(capsys, "due", *argv)
    assert status == 0
    assert out == [due]
    assert err == []


def test_explain_lists_every_day(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "due", "2026-12-24", "3", "--explain")
    assert status == 0 and err == []
    assert out == [
        "2026-12-31",
        "2026-12-25  skipped: Christmas Day",
        "2026-12-26  skipped: Saturday",
        "2026-12-27  skipped: Sunday",
        "2026-12-28  skipped: Boxing Day (observed)",
        "2026-12-29  working day 1",
        "2026-12-30  working day 2",
        "2026-12-31  working day 3",
    ]


def test_explain_scotland_new_year(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "due", "2026-12-31", "2", "--nation", "SCT", "--explain")
    assert status == 0
    assert out == [
        "2027-01-06",
        "2027-01-01  skipped: New Year's Day",
        "2027-01-02  skipped: Saturday",
        "2027-01-03  skipped: Sunday",
        "2027-01-04  skipped: New Year Holiday (observed)",
        "2027-01-05  working day 1",
        "2027-01-06  working day 2",
    ]


def test_explain_zero(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "due", "2026-12-26", "0", "--explain")
    assert status == 0
    assert out[0] == "2026-12-26"
    assert len(out) == 2 and "0" in out[1]


def test_config_closures_and_nation(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('nation = "SCT"\nclosures = [2026-12-29, 2026-12-30]\n', encoding="utf-8")
    status, out, _ = run(capsys, "--config", str(cfg), "due", "2026-12-24", "1", "--explain")
    assert status == 0
    assert out[0] == "2026-12-31"
    assert "2026-12-29  skipped: Local closure" in out
    assert "2026-12-30  skipped: Local closure" in out
    # the config's nation applies: Scotland has no Easter Monday
    status, out, _ = run(capsys, "--config", str(cfg), "due", "2026-04-02", "1")
    assert out == ["2026-04-06"]
    # --nation overrides the config's nation; the closures still apply
    status, out, _ = run(capsys, "--config", str(cfg), "due", "2026-04-02", "1", "--nation", "ENG")
    assert out == ["2026-04-07"]
    status, out, _ = run(capsys, "--config", str(cfg), "due", "2026-12-24", "1", "--nation", "ENG")
    assert out == ["2026-12-31"]


def test_config_from_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "env.toml"
    cfg.write_text("closures = [2026-11-24]\n", encoding="utf-8")
    monkeypatch.setenv("DRP_CONFIG", str(cfg))
    status, out, _ = run(capsys, "due", "2026-11-23", "1")
    assert (status, out) == (0, ["2026-11-25"])


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["24/12/2026", "3"], ["DATE", "YYYY-MM-DD"]),
        (["2026-12-24T10:00", "3"], ["DATE", "YYYY-MM-DD"]),
        (["tomorrow", "3"], ["DATE", "YYYY-MM-DD"]),
        (["2026-2-3", "3"], ["DATE", "YYYY-MM-DD"]),
        (["2026-02-30", "3"], ["DATE", "2026-02-30", "not a real date"]),
        (["2026-13-01", "3"], ["DATE", "not a real date"]),
        (["2026-12-24", "three"], ["N", "whole number"]),
        (["2026-12-24", "2.5"], ["N", "whole number"]),
        (["2026-12-24", "-3"], ["N", "negative"]),
        (["2026-12-24", "3651"], ["N", "too large", "3650"]),
        (["2026-12-24", "99999999999999999999"], ["N", "too large"]),
        (["2026-12-24"], ["N", "missing"]),
        ([], ["DATE", "missing"]),
        (["2026-12-24", "3", "--nation", "FRA"], ["--nation", "FRA", "ENG", "WLS", "SCT", "NIR"]),
        (["2026-12-24", "3", "--nation", ""], ["--nation", "ENG"]),
        (["9999-12-20", "30"], ["past 9999-12-31"]),
    ],
)
def test_errors_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    status, out, err = run(capsys, "due", *argv)
    assert status == 2
    assert out == []
    assert len(err) == 1, err
    assert err[0].startswith("drp due: ")
    for word in words:
        assert word in err[0]


def test_bad_config_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('nation = "FRA"\n', encoding="utf-8")
    status, out, err = run(capsys, "--config", str(cfg), "due", "2026-12-24", "1")
    assert status == 2 and out == []
    assert len(err) == 1 and err[0].startswith("drp due: ") and "nation" in err[0]


def test_missing_config_file_named_explicitly(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, "--config", str(tmp_path / "nope.toml"), "due", "2026-12-24", "1")
    assert status == 2 and out == []
    assert len(err) == 1 and err[0].startswith("drp due: ") and "not found" in err[0]


def test_help_mentions_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["due", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "drp due DATE N" in out and "--explain" in out and "--nation" in out
