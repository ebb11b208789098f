"""Imports of children, teams and staff on files shaped like real exports (made up, no real people),
one child at a time, and one-time set-up codes."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from drp_tui.cli import main
from drp_tui.cli import users as cli_users
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import accounts, auth, imports
from drp_tui.services.csvfiles import CsvFile, FileProblem, load_map, read_csv
from drp_tui.services.errors import DomainError, ValidationError
from drp_tui.services.passwords import normalise_code, verify_password
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.store import audit_check
from drp_tui.store import models as m
from tests.conftest import FROZEN_NOW

ROOT = Path(__file__).resolve().parents[2]
MOSAIC_MAP = ROOT / "examples" / "maps" / "mosaic.toml"
LL_MAP = ROOT / "examples" / "maps" / "liquidlogic.toml"

HEADER = "case_number,name,date_of_birth,legal_status,team,social_worker,chair,family_id,lead_team"
ROWS = [
    "C1001,Maisie Fenwick,14/03/2013,CLA,North Team,swilson,cpatel,F1,North Team",
    "C1002,Oscar Fenwick,2015-09-02,CLA,North Team,Sam Wilson,Chloe Patel,F1,",
    "C1003,Riya Desai,21/07/2011,CP,South Team,swilson,cpatel,,",
]


@pytest.fixture
def ctx(db_path: Path) -> InstallationAdmin:
    c = InstallationAdmin(None, load_builtin("mosaic-iro"), WorkingCalendar("ENG"),  # type: ignore[arg-type]
                          FrozenClock(FROZEN_NOW), os_user="opsadmin")
    accounts.add_team(c, "IRO Service", "iro_service")
    accounts.add_team(c, "North Team")
    accounts.add_team(c, "South Team")
    accounts.add_user(c, "cpatel", "Chloe Patel", "chair", "Sturdy-Password-42", team="IRO Service")
    accounts.add_user(c, "swilson", "Sam Wilson", "responder", "Sturdy-Password-42", team="North Team")
    return c


def children_file(*rows: str, header: str = HEADER, encoding: str = "utf-8", bom: bool = False,
                  newline: str = "\r\n", column_map: Path | None = None) -> CsvFile:
    text = newline.join([header, *rows]) + newline
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)
    cmap = load_map(column_map, imports.CHILD_FIELDS) if column_map else None
    return read_csv(data, imports.CHILD_FIELDS, imports.CHILD_REQUIRED, cmap)


def events(kind: str | None = None) -> list[m.Event]:
    q = m.Event.select().order_by(m.Event.id)
    return list(q.where(m.Event.kind == kind) if kind else q)


# --- children ---------------------------------------------------------------------------------

def test_utf8_with_bom_and_both_date_forms(ctx: InstallationAdmin) -> None:
    report = imports.import_children(ctx, children_file(*ROWS, bom=True))
    assert report.new == ("C1001", "C1002", "C1003") and report.written and not report.problems
    maisie = m.Child.get(m.Child.case_number == "C1001")
    assert maisie.name == "Maisie Fenwick" and maisie.date_of_birth == date(2013, 3, 14)
    assert maisie.chair.username == "cpatel" and maisie.social_worker.username == "swilson"
    assert maisie.lead_team.name == "North Team" and maisie.team.name == "North Team"
    oscar = m.Child.get(m.Child.case_number == "C1002")
    assert oscar.date_of_birth == date(2015, 9, 2)
    assert oscar.chair_id == maisie.chair_id and oscar.social_worker_id == maisie.social_worker_id  # by full name
    assert oscar.sibling_group_id == maisie.sibling_group_id is not None  # same family id: siblings
    assert m.Child.get(m.Child.case_number == "C1003").sibling_group_id is None
    added = events("child_added")
    assert [e.child_id for e in added] == [maisie.id, oscar.id, m.Child.get(m.Child.case_number == "C1003").id]
    assert "by import" in added[0].summary and "OS user 'opsadmin'" in added[0].summary
    assert len(events("children_imported")) == 1
    assert audit_check.verify() == []


def test_windows_1252_with_a_mapped_export_and_its_status_words(ctx: InstallationAdmin) -> None:
    header = "Person ID,Full Name,Date of Birth,Legal Status,Allocated Team,Allocated Worker,IRO / CP Chair,Ethnicity"
    f = children_file("P-77,Zoë Brontë,01/02/2014,Looked After Child,north team,swilson,cpatel,White British",
                      "P-78,  Chloë   Renée ,03/04/2012, child protection plan ,South Team,,cpatel,",
                      header=header, encoding="cp1252", column_map=MOSAIC_MAP)
    assert f.encoding == "Windows-1252"
    report = imports.import_children(ctx, f)
    assert report.new == ("P-77", "P-78"), report.problems
    zoe = m.Child.get(m.Child.case_number == "P-77")
    assert zoe.name == "Zoë Brontë" and zoe.legal_status == "CLA" and zoe.team.name == "North Team"
    chloe = m.Child.get(m.Child.case_number == "P-78")
    assert chloe.name == "Chloë Renée" and chloe.legal_status == "CP" and chloe.social_worker_id is None


def test_the_other_example_map_reads_its_headers_too(ctx: InstallationAdmin) -> None:
    header = "LCS ID,Forename,Surname,DOB,Category,Responsible Team,Key Worker,Reviewing Officer,Household ID"
    f = children_file("L1,Ayo,Bello,2012-05-06,LAC,North Team,swilson,cpatel,H9",
                      "L2,,Okoro,2012-05-06,CPP,North Team,swilson,cpatel,H9",
                      "L3,Ben,Cole,2012-05-06,Unknown,North Team,swilson,cpatel,", header=header,
                      column_map=LL_MAP)
    report = imports.import_children(ctx, f, skip_bad=True)
    assert report.new == ("L1", "L2")
    ayo = m.Child.get(m.Child.case_number == "L1")
    assert ayo.name == "Ayo Bello" and ayo.legal_status == "CLA"  # the name from two columns
    okoro = m.Child.get(m.Child.case_number == "L2")
    assert okoro.name == "Okoro" and okoro.legal_status == "CP" and okoro.sibling_group_id == ayo.sibling_group_id
    assert [p.text() for p in report.problems][0].startswith(
        "line 4, column 'Category': 'Unknown' is not a legal status")


@pytest.mark.parametrize("where", [0, 1, 3])
def test_one_bad_row_anywhere_is_named_by_line_and_column_and_nothing_is_written(
        ctx: InstallationAdmin, where: int) -> None:
    rows = list(ROWS)
    rows.insert(where, "C2000,Bad Date,31/02/2014,CLA,North Team,swilson,cpatel,,")
    before = len(events())
    report = imports.import_children(ctx, children_file(*rows))
    assert [p.text() for p in report.problems] == [
        f"line {where + 2}, column 'date_of_birth': '31/02/2014' is not a day of the calendar "
        "(DD/MM/YYYY or YYYY-MM-DD)"]
    assert not report.written and m.Child.select().count() == 0 and len(events()) == before


def test_each_kind_of_problem_names_its_column_in_the_files_own_words(ctx: InstallationAdmin) -> None:
    header = "Person ID,Full Name,Date of Birth,Legal Status,Allocated Team,Allocated Worker,IRO / CP Chair"
    f = children_file("P1,A Child,01/01/2015,Adopted,North Team,swilson,cpatel",
                      "P2,,01/01/2015,CLA,Nowhere Team,swilson,cpatel",
                      "P3,C Child,01/01/15,CLA,North Team,cpatel,swilson",
                      "P1,D Child,01/01/2015,CLA,North Team,,",
                      header=header, column_map=MOSAIC_MAP)
    report = imports.import_children(ctx, f)
    texts = [p.text() for p in report.problems]
    assert texts[0].startswith("line 2, column 'Legal Status': 'Adopted' is not a legal status")
    assert texts[1] == "line 3, column 'Full Name': is empty"
    assert texts[2].startswith("line 3, column 'Allocated Team': there is no team 'Nowhere Team'")
    assert texts[3].startswith("line 4, column 'Date of Birth': '01/01/15': give the year in full")
    assert "line 4, column 'Allocated Worker': Chloe Patel (cpatel) is a chair" in texts[4]
    assert "line 4, column 'IRO / CP Chair': Sam Wilson (swilson) is a responder" in texts[5]
    assert texts[6] == "line 5, column 'Person ID': P1 is also on line 2"
    assert m.Child.select().count() == 0


def test_blank_lines_and_stray_spaces_count_in_the_line_numbers(ctx: InstallationAdmin) -> None:
    f = children_file("", "  C1001 , Maisie   Fenwick ,14/03/2013, cla ,North Team,swilson,cpatel,,", ",,,,,,,,",
                      "", "C1002,Oscar,2015-09-02,CLA,North Team,nobody,,,", newline="\n")
    report = imports.import_children(ctx, f)
    assert [p.text() for p in report.problems] == [
        "line 6, column 'social_worker': there is no staff account with the user name or name 'nobody'"]
    report = imports.import_children(ctx, children_file(
        "", "  C1001 , Maisie   Fenwick ,14/03/2013, cla ,North Team,swilson,cpatel,,", ",,,,,,,,"))
    assert report.new == ("C1001",)
    assert m.Child.get(m.Child.case_number == "C1001").name == "Maisie Fenwick"


def test_reimport_changes_nothing_and_a_changed_row_updates_and_records_an_event(ctx: InstallationAdmin) -> None:
    imports.import_children(ctx, children_file(*ROWS))
    before = len(events())
    again = imports.import_children(ctx, children_file(*ROWS, bom=True))
    assert again.new == () and again.changed == () and again.unchanged == 3 and not again.written
    assert len(events()) == before
    moved = ROWS[0].replace("North Team,swilson,cpatel,F1,North Team", "South Team,swilson,cpatel,F1,North Team")
    report = imports.import_children(ctx, children_file(moved, *ROWS[1:]))
    assert [(c.key, c.fields) for c in report.changed] == [("C1001", ("team",))] and report.unchanged == 2
    maisie = m.Child.get(m.Child.case_number == "C1001")
    assert maisie.team.name == "South Team"
    ev = events("child_changed")
    assert len(ev) == 1 and ev[0].child_id == maisie.id
    assert '"North Team"' in ev[0].before and '"South Team"' in ev[0].after
    assert audit_check.verify() == []


def test_a_column_the_file_does_not_have_is_left_as_stored(ctx: InstallationAdmin) -> None:
    imports.import_children(ctx, children_file(*ROWS))
    short = [",".join(r.split(",")[:7]) for r in ROWS]
    report = imports.import_children(ctx, children_file(*short, header=",".join(HEADER.split(",")[:7])))
    assert report.unchanged == 3 and report.changed == ()
    assert m.Child.get(m.Child.case_number == "C1001").sibling_group_id is not None


def test_full_export_reports_children_missing_from_it_and_deletes_nothing(ctx: InstallationAdmin) -> None:
    imports.import_children(ctx, children_file(*ROWS))
    report = imports.import_children(ctx, children_file(*ROWS[:2]), full=True)
    assert report.not_in_file == ("C1003",) and m.Child.select().count() == 3
    assert imports.import_children(ctx, children_file(*ROWS[:2])).not_in_file == ()  # without --full: not asked


def test_skip_bad_writes_the_good_rows_and_lists_the_rest(ctx: InstallationAdmin) -> None:
    report = imports.import_children(ctx, children_file(ROWS[0], "C9,X,01/01/2015,CLA,Nowhere,,,,", ROWS[2]),
                                     skip_bad=True)
    assert report.new == ("C1001", "C1003") and report.written and [p.line for p in report.problems] == [3]
    assert sorted(c.case_number for c in m.Child.select()) == ["C1001", "C1003"]


def test_dry_run_writes_nothing(ctx: InstallationAdmin) -> None:
    before = len(events())
    report = imports.import_children(ctx, children_file(*ROWS), dry_run=True)
    assert report.new == ("C1001", "C1002", "C1003") and not report.written
    assert m.Child.select().count() == 0 and m.SiblingGroup.select().count() == 0 and len(events()) == before


def test_file_level_problems() -> None:
    with pytest.raises(FileProblem, match="no column 'legal_status'"):
        read_csv(b"case_number,name,team\nC1,A,B\n", imports.CHILD_FIELDS, imports.CHILD_REQUIRED)
    with pytest.raises(FileProblem, match="neither UTF-8 nor Windows-1252"):
        read_csv(b"case_number\x81,name\n", imports.CHILD_FIELDS, imports.CHILD_REQUIRED)
    with pytest.raises(FileProblem, match="twice"):
        read_csv(b"name,Name\n", imports.TEAM_FIELDS, imports.TEAM_REQUIRED)
    with pytest.raises(FileProblem, match="empty"):
        read_csv(b"\r\n\r\n", imports.TEAM_FIELDS, imports.TEAM_REQUIRED)


def test_the_command_line_names_line_and_column_and_exits_1(
        ctx: InstallationAdmin, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli_users, "current_os_login", lambda: "opsadmin")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(("\r\n".join([HEADER, ROWS[0], "C5,Y,2099-01-01,CLA,North Team,,,,"]) + "\r\n").encode())
    assert main(["--db", str(db_path), "import", "children", str(bad)]) == 1
    out, err = capsys.readouterr()
    assert "line 3, column 'date_of_birth': 01/01/2099 is in the future" in err
    assert "nothing was written" in err and m.Child.select().count() == 0
    good = tmp_path / "good.csv"
    good.write_bytes(("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("cp1252"))
    assert main(["--db", str(db_path), "import", "children", str(good)]) == 0
    out, err = capsys.readouterr()
    assert "new: 3\nchanged: 0\nunchanged: 0\nnot in file: 0" in out
    assert main(["--db", str(db_path), "import", "children", str(good), "--full"]) == 0
    assert "new: 0\nchanged: 0\nunchanged: 3\nnot in file: 0" in capsys.readouterr().out


# --- one child at a time -------------------------------------------------------------------------

def test_child_add_edit_move_close_on_the_command_line(
        ctx: InstallationAdmin, db_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli_users, "current_os_login", lambda: "opsadmin")
    db = ["--db", str(db_path)]
    assert main([*db, "child", "add", "C77", "--name", "Nell Park", "--legal-status", "cla", "--team", "North Team",
                 "--date-of-birth", "05/06/2016", "--chair", "Chloe Patel"]) == 0
    c = m.Child.get(m.Child.case_number == "C77")
    assert c.legal_status == "CLA" and c.date_of_birth == date(2016, 6, 5) and c.chair.username == "cpatel"
    assert main([*db, "child", "add", "C77", "--name", "X", "--legal-status", "CLA", "--team", "North Team"]) == 2
    assert "case number: C77 is already a child's" in capsys.readouterr().err
    assert main([*db, "child", "edit", "C77", "--social-worker", "swilson", "--name", "Nell  Park-Lee"]) == 0
    assert "name, social_worker changed" in capsys.readouterr().out
    assert main([*db, "child", "move", "C77", "--team", "South Team"]) == 0
    c = m.Child.get(m.Child.case_number == "C77")
    assert c.team.name == "South Team" and c.name == "Nell Park-Lee" and c.social_worker.username == "swilson"
    assert main([*db, "child", "move", "C77", "--team", "Nowhere"]) == 2
    assert "team: there is no team 'Nowhere'" in capsys.readouterr().err
    assert main([*db, "child", "close", "C77", "--reason", "moved away", "--on", "20/11/2026"]) == 0
    assert m.Child.get(m.Child.case_number == "C77").closed_on == date(2026, 11, 20)
    assert main([*db, "child", "close", "C77"]) == 2
    kinds = [e.kind for e in m.Event.select().where(m.Event.child == c.id).order_by(m.Event.id)]
    assert kinds == ["child_added", "child_changed", "child_moved", "child_closed"]
    # an import listing the child again opens it again
    report = imports.import_children(ctx, children_file("C77,Nell Park-Lee,05/06/2016,CLA,South Team,swilson,cpatel,,"))
    assert [(x.key, x.fields) for x in report.changed] == [("C77", ("open",))]
    assert m.Child.get(m.Child.case_number == "C77").closed_on is None


def test_single_child_services_refuse_bad_values_by_field(ctx: InstallationAdmin) -> None:
    with pytest.raises(ValidationError) as exc:
        imports.add_child(ctx, "C1", "A", "CLA", "North Team", date_of_birth="1970-01-01")
    assert exc.value.field == "date_of_birth" and "more than 30 years ago" in exc.value.message
    imports.add_child(ctx, "C1", "A", "CLA", "North Team")
    with pytest.raises(DomainError, match="already has those values"):
        imports.edit_child(ctx, "C1", {"name": "A"})
    with pytest.raises(ValidationError, match="case number"):
        imports.edit_child(ctx, "C1", {"case_number": "C2"})


# --- teams and staff ------------------------------------------------------------------------------

def staff_file(*rows: str, header: str = "User name,Name,E-mail,Role,Team,Title,Levels") -> CsvFile:
    data = ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")
    return read_csv(data, imports.STAFF_FIELDS, imports.STAFF_REQUIRED, None, imports.STAFF_ALIASES)


STAFF = [
    "tquinn,Tom Quinn,tom@example.org,responder,North Team,Team Manager,team_manager@North Team",
    "mdavies,Mark Davies,mark@example.org,responder,North Team,Service Manager,"
    "service_manager@North Team;Service Manager@south team",
    "jokafor,Jide Okafor,jide@example.org,chair,IRO Service,IRO,",
]


def test_teams_import_upserts_by_name(ctx: InstallationAdmin) -> None:
    data = b"Name,Kind\r\nNorth Team,social_care\r\nWest Team,\r\nIRO Service,iro service\r\n"
    f = read_csv(data, imports.TEAM_FIELDS, imports.TEAM_REQUIRED)
    report = imports.import_teams(ctx, f)
    assert report.new == ("West Team",) and report.unchanged == 2 and report.not_in_file == ("South Team",)
    again = imports.import_teams(ctx, f)
    assert again.new == () and again.unchanged == 3
    bad = read_csv(b"name,kind\r\nEast Team,hospital\r\n", imports.TEAM_FIELDS, imports.TEAM_REQUIRED)
    assert [p.text() for p in imports.import_teams(ctx, bad).problems] == [
        "line 2, column 'kind': 'hospital' is not a kind of team (one of social_care, iro_service)"]


def test_staff_import_with_levels_and_one_time_set_up_codes(ctx: InstallationAdmin) -> None:
    report = imports.import_staff(ctx, staff_file(*STAFF))
    assert report.new == ("tquinn", "mdavies", "jokafor") and report.not_in_file == ("cpatel", "swilson")
    codes = dict(report.codes)
    assert sorted(codes) == ["jokafor", "mdavies", "tquinn"]
    for username, code in codes.items():
        s = m.Staff.get(m.Staff.username == username)
        assert s.password_hash == "" and code not in s.setup_code_hash
        assert verify_password(normalise_code(code), s.setup_code_hash)
        assert s.setup_code_until == FROZEN_NOW + timedelta(days=imports.SETUP_CODE_DAYS)
    held = {(tr.team.name, tr.level): tr.staff.username for tr in m.TeamRole.select()}
    assert held == {("North Team", "team_manager"): "tquinn", ("North Team", "service_manager"): "mdavies",
                    ("South Team", "service_manager"): "mdavies"}
    assert all(code not in e.summary + e.before + e.after for e in events() for code in codes.values())
    again = imports.import_staff(ctx, staff_file(*STAFF))
    assert again.new == () and again.changed == () and again.unchanged == 3 and again.codes == ()
    # the team manager level passes to someone else; Tom gives it up in the same file
    swap = [STAFF[0].replace(",team_manager@North Team", ","),
            STAFF[1].replace("service_manager@North Team;", "service_manager@North Team;team_manager@North Team;"),
            STAFF[2]]
    report = imports.import_staff(ctx, staff_file(*swap))
    assert sorted((c.key, c.fields) for c in report.changed) == [("mdavies", ("levels",)), ("tquinn", ("levels",))]
    assert m.TeamRole.get(level="team_manager").staff.username == "mdavies"
    assert audit_check.verify() == []


def test_staff_problems_are_named_and_nothing_is_written(ctx: InstallationAdmin) -> None:
    rows = [STAFF[0], "Bad Name,X,,responder,,,", "jo,Jo,,chair,North Team,,team_manager@North Team",
            "kim,Kim,,responder,,,director@Nowhere", "lee,Lee,,responder,,,tea_boy@North Team",
            "tquinn,Tom again,,responder,,,"]
    report = imports.import_staff(ctx, staff_file(*rows))
    texts = [p.text() for p in report.problems]
    assert texts[0].startswith("line 3, column 'User name': 'Bad Name' is not a user name")
    assert texts[1] == "line 4, column 'Levels': a chair cannot hold a management level (only responder or oversight)"
    assert texts[2].startswith("line 5, column 'Levels': there is no team 'Nowhere'")
    assert texts[3].startswith("line 6, column 'Levels': 'tea_boy' is not a level of mosaic-iro")
    assert texts[4] == "line 7, column 'User name': tquinn is also on line 2"
    assert m.Staff.select().count() == 2 and m.TeamRole.select().count() == 0


def test_under_os_sign_in_new_accounts_are_linked_to_their_os_login(ctx: InstallationAdmin) -> None:
    report = imports.import_staff(ctx, staff_file(STAFF[2]), auth="os")
    assert report.codes == () and report.os_linked == (("jokafor", "jokafor"),)
    s = m.Staff.get(m.Staff.username == "jokafor")
    assert s.os_login == "jokafor" and s.setup_code_hash == "" and s.password_hash == ""


# --- signing in with a set-up code -----------------------------------------------------------------

def test_first_sign_in_with_the_code_then_a_password_of_ones_own(ctx: InstallationAdmin) -> None:
    code = dict(imports.import_staff(ctx, staff_file(STAFF[2])).codes)["jokafor"]
    now = FROZEN_NOW
    with pytest.raises(auth.AuthError):
        auth.sign_in("jokafor", "WRONG-CODE-HERE", now)
    done = auth.sign_in("jokafor", code.lower().replace("-", " "), now)  # typed loosely: same code
    assert done.needs_password and done.user.username == "jokafor"
    with pytest.raises(ValidationError, match="at least 10"):
        auth.choose_password(done.user.id, "short", now, "short")
    with pytest.raises(ValidationError, match="differ"):
        auth.choose_password(done.user.id, "Kettle-Drum-2026", now, "Kettle-Drum-2027")
    auth.choose_password(done.user.id, "Kettle-Drum-2026", now, "Kettle-Drum-2026")
    s = m.Staff.get(m.Staff.username == "jokafor")
    assert s.setup_code_hash == "" and verify_password("Kettle-Drum-2026", s.password_hash)
    with pytest.raises(auth.AuthError):  # the code is used up
        auth.sign_in("jokafor", code, now)
    assert not auth.sign_in("jokafor", "Kettle-Drum-2026", now).needs_password
    with pytest.raises(auth.AuthError, match="already been used"):  # never a way to change a password
        auth.choose_password(s.id, "Another-Pass-99", now, "Another-Pass-99")
    assert [e.kind for e in events() if e.actor_id == s.id] == ["signed_in", "password_chosen", "signed_in"]
    assert audit_check.verify() == []


def test_an_expired_set_up_code_does_not_sign_in(ctx: InstallationAdmin) -> None:
    code = dict(imports.import_staff(ctx, staff_file(STAFF[2])).codes)["jokafor"]
    later = FROZEN_NOW + timedelta(days=imports.SETUP_CODE_DAYS, minutes=1)
    with pytest.raises(auth.AuthError) as exc:
        auth.sign_in("jokafor", code, later)
    assert exc.value.message == auth.GENERIC
    assert "set-up code has expired" in events("login_failed")[-1].summary
    fresh = imports.issue_setup_code(ctx, "jokafor")
    assert auth.sign_in("jokafor", fresh, FROZEN_NOW).needs_password


def test_user_add_with_a_set_up_code(ctx: InstallationAdmin, db_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli_users, "current_os_login", lambda: "opsadmin")
    assert main(["--db", str(db_path), "user", "add", "nnew", "--name", "Nia New", "--role", "chair",
                 "--setup-code"]) == 0
    out = capsys.readouterr().out
    code = out.split("set-up code for nnew: ")[1].split()[0]
    assert auth.sign_in("nnew", code, FROZEN_NOW).needs_password
    assert main(["--db", str(db_path), "user", "list"]) == 0
    assert "(set-up code issued)" in capsys.readouterr().out
    with pytest.raises(DomainError, match="already has a password"):
        imports.issue_setup_code(ctx, "cpatel")


def test_set_password_on_the_command_line_with_the_code(
        ctx: InstallationAdmin, db_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import io

    code = dict(imports.import_staff(ctx, staff_file(STAFF[2])).codes)["jokafor"]
    db = ["--db", str(db_path)]
    monkeypatch.setattr("sys.stdin", io.StringIO("NOPE-NOPE-NOPE\nKettle-Drum-2026\n"))
    assert main([*db, "user", "set-password", "jokafor", "--password-stdin"]) == 2
    assert "not recognised" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{code}\nKettle-Drum-2026\n"))
    assert main([*db, "user", "set-password", "jokafor", "--password-stdin"]) == 0
    assert "the set-up code is used up" in capsys.readouterr().out
    assert verify_password("Kettle-Drum-2026", m.Staff.get(m.Staff.username == "jokafor").password_hash)
    monkeypatch.setattr("sys.stdin", io.StringIO("Kettle-Drum-2026\nAnother-Pass-99\n"))
    assert main([*db, "user", "set-password", "jokafor", "--password-stdin"]) == 2
    assert "not a set-up code" in capsys.readouterr().err


def test_a_closed_child_leaves_the_chairs_children_list_and_comes_back_when_imported_again(
        ctx: InstallationAdmin) -> None:
    from drp_tui.services import reads
    from drp_tui.services.context import Ctx

    imports.import_children(ctx, children_file(*ROWS))
    chloe = m.Staff.get(m.Staff.username == "cpatel")
    mine = Ctx(chloe.id, ctx.policy, ctx.calendar, ctx.clock)
    assert sorted(x.child.case_number for x in reads.children(mine)) == ["C1001", "C1002", "C1003"]
    imports.close_child(ctx, "C1003", "moved to another authority")
    assert sorted(x.child.case_number for x in reads.children(mine)) == ["C1001", "C1002"]
    imports.import_children(ctx, children_file(*ROWS))
    assert sorted(x.child.case_number for x in reads.children(mine)) == ["C1001", "C1002", "C1003"]


def test_staff_import_on_the_command_line_prints_each_code_once(
        ctx: InstallationAdmin, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli_users, "current_os_login", lambda: "opsadmin")
    path = tmp_path / "staff.csv"
    path.write_text("\r\n".join(["User name,Name,E-mail,Role,Team,Title,Levels", *STAFF, "x y,Bad,,chair,,,"]),
                    encoding="utf-8-sig")
    db = ["--db", str(db_path)]
    assert main([*db, "import", "staff", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "line 5, column 'User name': 'x y' is not a user name" in err and "set-up code" not in out
    assert m.Staff.select().count() == 2
    assert main([*db, "import", "staff", str(path), "--skip-bad"]) == 0
    out = capsys.readouterr().out
    codes = dict(line.removeprefix("set-up code for ").split(": ") for line in out.splitlines()
                 if line.startswith("set-up code for "))
    assert sorted(codes) == ["jokafor", "mdavies", "tquinn"]
    for username, code in codes.items():
        assert verify_password(normalise_code(code), m.Staff.get(m.Staff.username == username).setup_code_hash)
    assert main([*db, "import", "staff", str(path), "--skip-bad"]) == 0
    assert "set-up code for" not in capsys.readouterr().out  # existing accounts: no new code


def test_hostile_values_are_refused_by_field_and_nothing_is_written(ctx: InstallationAdmin) -> None:
    imports.add_child(ctx, "C1", "A Child", "CLA", "North Team")
    with pytest.raises(ValidationError) as exc:
        imports.edit_child(ctx, "C1", {"name": 5})  # type: ignore[dict-item]
    assert exc.value.field == "name"
    with pytest.raises(ValidationError) as exc:
        imports.add_child(ctx, "C2", "Evil\x1b[2JName", "CLA", "North Team")
    assert exc.value.field == "name" and "control characters" in exc.value.message
    f = children_file("C3,Ok\x07Name,,CLA,North Team,,,,", "C4,B,,CLA,\x1b[31mRed Team,,,,")
    report = imports.import_children(ctx, f)
    assert [p.text() for p in report.problems][0] == "line 2, column 'name': has control characters"
    assert m.Child.select().count() == 1
