"""The command line: help texts, exit codes, and plain messages instead of tracebacks."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from salesops import cli


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str) -> Ran:
    """``salesops *args`` in this process (argparse's exits included): what a subprocess
    would show, without starting Python again for each call."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # --help, or a usage error
            code = exc.code if isinstance(exc.code, int) else 2
    return Ran(code, out.getvalue(), err.getvalue())


def test_the_module_runs_as_a_command():
    """``python -m salesops.cli`` (what the ``salesops`` script runs) starts and exits 0."""
    result = subprocess.run(
        [sys.executable, "-m", "salesops.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "validate" in result.stdout


def test_help_lists_every_command():
    out = run("--help").stdout
    for command in ("demo", "validate", "summary"):
        assert command in out


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (
            "demo",
            ["--reps", "--opportunities", "--years", "--as-of", "--seed", "--if-missing", "--path"],
        ),
        ("validate", ["--source", "--scope", "--period"]),
        ("summary", ["--source"]),
    ],
)
def test_every_option_is_explained(command, options):
    out = run(command, "--help").stdout
    for option in options:
        assert option in out


def test_validate_good_data(tiny_dir, capsys):
    assert cli.main(["validate", "--source", str(tiny_dir)]) == 0
    assert "all rules pass" in capsys.readouterr().out


def test_summary(tiny_dir, capsys):
    assert cli.main(["summary", "--source", str(tiny_dir)]) == 0
    out = capsys.readouterr().out
    assert "opportunities" in out and "10 rows" in out
    assert "East" in out and "West" in out
    assert "Reps: 3 active, 1 left, 1 manager\n" in out + "\n"


def test_summary_counts_the_people_who_own_no_deal(tiny_dir, tmp_path, capsys):
    """The Maven CRM export lists 35 sales agents, 5 of whom own no deal: the summary said
    "Reps: 30 active, 0 left, 0 managers" and the 5 were nowhere."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    with (crm / "reps.csv").open("a") as reps:
        reps.write("R5,Eve Idle,East,M1,rep,,2024-01-01,\n")
    assert cli.main(["summary", "--source", str(crm)]) == 0
    out = capsys.readouterr().out
    assert (
        "Reps: 3 active, 1 left, 1 manager; 1 of the 6 people owns no deal and is not counted"
        in out
    )


def test_summary_of_a_source_that_needs_the_quarantine(capsys):
    """Olist has one deal won before its lead's first contact: summary refused it with no
    way round; with --on-invalid quarantine it counts the rest and says what it set aside."""
    olist = Path(__file__).parent / "fixtures" / "exports" / "real" / "olist" / "source.yml"
    assert cli.main(["summary", "--source", str(olist)]) == 1
    assert "close_date: must not be before created_date" in capsys.readouterr().err
    assert cli.main(["summary", "--source", str(olist), "--on-invalid", "quarantine"]) == 0
    out = capsys.readouterr().out
    assert "841 deals" in out and "Set aside" in out and "1 rows" in out


def test_missing_database_says_how_to_build_it(tmp_path):
    result = run("validate", "--source", str(tmp_path / "nope.duckdb"))
    assert result.returncode == 2
    assert "database not found" in result.stderr and "Traceback" not in result.stderr


def test_bad_period_and_scope_exit_non_zero(tiny_dir):
    for args in (["--period", "2026-13"], ["--scope", "team:x"]):
        result = run("validate", "--source", str(tiny_dir), *args)
        assert result.returncode == 2 and result.stderr.startswith("salesops: ")


def test_a_run_refused_before_any_report_says_one_line_and_draws_no_bar(tiny_dir, tmp_path):
    """A bad --period: before, an empty progress bar ("0report [00:00, ?report/s]") came
    before the message; the bar is now drawn when the first report ends."""
    plan = tmp_path / "plan.yml"
    plan.write_text("reports:\n  - notebook: metrics\n    scopes: [company]\n")
    out = str(tmp_path / "reports")
    result = run("run", str(plan), "--source", str(tiny_dir), "--out", out, "--period", "2026-13")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "salesops: period '2026-13' is not a period: use a month (2026-10), a quarter "
        "(2026-Q3), a year (2026), a fiscal year (FY2027, FY2027-Q1) or 'latest'"
    ]


def test_demo_writes_and_skips_when_present(tmp_path, capsys):
    path = tmp_path / "d.duckdb"
    assert cli.main(["demo", "--path", str(path), "--reps", "3", "--opportunities", "200"]) == 0
    assert path.exists() and "wrote" in capsys.readouterr().out
    assert cli.main(["demo", "--path", str(path), "--if-missing"]) == 0
    assert "already" in capsys.readouterr().out


def test_demo_rejects_nonsense_sizes(tmp_path, capsys):
    assert cli.main(["demo", "--path", str(tmp_path / "d.duckdb"), "--reps", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_a_strict_run_on_bad_rows_fails_once_before_any_report(tiny_dir, tmp_path):
    """A deal with a negative amount: the run refused it in every report, one after the
    other (12 notebooks, 42 s on Salesforce's export); now the source is checked once
    before any report starts, the rule is named once, and the way on is said."""
    import shutil

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    deals = (crm / "opportunities.csv").read_text()
    (crm / "opportunities.csv").write_text(deals.replace("Closed Lost,5000", "Closed Lost,-5000"))
    plan = tmp_path / "plan.yml"
    plan.write_text("reports:\n  - notebook: metrics\n    scopes: [company]\n")
    out = tmp_path / "reports"
    result = run("run", str(plan), "--source", str(crm), "--out", str(out), "--period", "2026-09")
    assert result.returncode == 1
    assert result.stderr.count("amount: must be >= 0") == 1
    assert "--on-invalid quarantine" in result.stderr and "Traceback" not in result.stderr
    assert not list(out.glob("2026-09/*/*"))  # no report started


def test_an_empty_required_value_points_to_defaults(tiny_dir, tmp_path):
    """An open deal without a close date: validate named the rule ("must not be empty")
    but not the way on (HubSpot's and Odoo's exports); it now says `defaults:` fills it."""
    import shutil

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    deals = (crm / "opportunities.csv").read_text()
    (crm / "opportunities.csv").write_text(deals.replace("2026-11-30,Proposal", ",Proposal"))
    result = run("validate", "--source", str(crm))
    assert result.returncode == 1 and "close_date" in result.stderr
    assert "must not be empty" in result.stderr and "`defaults:`" in result.stderr
    assert "--on-invalid quarantine" in result.stderr


def test_validate_warns_when_no_open_deal_has_an_amount(tiny_dir, tmp_path, capsys):
    """The Maven CRM export prices won and lost deals only (its close_value is the
    revenue of a closed deal): validate passed without a word, and every pipeline figure
    of the run read –. Tiny's open deals O3, O6 and O10 lose their amounts (O8 has none)."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    deals = pd.read_csv(crm / "opportunities.csv")
    deals.loc[deals["opportunity_id"].isin(["O3", "O6", "O10"]), "amount"] = None
    deals.to_csv(crm / "opportunities.csv", index=False)
    assert cli.main(["validate", "--source", str(crm)]) == 0
    out = capsys.readouterr().out
    assert "warning: none of the 4 open deals has an amount: the open pipeline" in out
    assert cli.main(["validate", "--source", str(tiny_dir)]) == 0
    assert "warning: 1 of the 4 open deals has no amount" in capsys.readouterr().out


def test_a_crm_value_never_acts_on_the_terminal(tmp_path, capsys):
    """`salesops map` lists each stage as the export writes it, before any rule is
    checked: a stage holding terminal escapes cleared the screen and set the window's
    title. Every command's output now names them."""
    from conftest import TINY

    crm = Path(shutil.copytree(TINY, tmp_path / "crm"))
    deals = pd.read_csv(crm / "opportunities.csv")
    deals.loc[deals["stage"] == "Proposal", "stage"] = "Proposal\x1b]0;pwned\x07"
    deals.to_csv(crm / "opportunities.csv", index=False)
    assert cli.main(["map", str(crm), "--out", str(tmp_path / "source.yml")]) == 0
    out = capsys.readouterr().out
    assert "Proposal<U+001B>]0;pwned<U+0007>" in out
    assert "\x1b" not in out and "\x07" not in out


def test_the_command_starts_without_pandas():
    """`salesops --help` and every command's start import no pandas (0.3 s): a module the
    CLI's errors use (markup, for terminal-safe text) had made every start pay it."""
    code = "import sys, salesops.cli; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
