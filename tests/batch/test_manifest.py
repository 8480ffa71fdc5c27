"""What a run leaves behind: the run log, appended to and never showing a password."""

from __future__ import annotations

import pytest

from batch.conftest import TINY, write_plan
from salesops import cli
from salesops.batch import manifest


def test_the_run_log_and_the_error_hide_a_password(tmp_path, capsys):
    plan = write_plan(tmp_path / "plan.yml", [{"notebook": TINY, "scopes": ["company"]}])
    out = tmp_path / "reports"
    source = "postgresql://ann@127.0.0.1:1/crm?sslmode=disable&Password=Sw0rdfish-7Qx"
    assert cli.main(["run", str(plan), "--source", source, "--out", str(out), "--quiet"]) == 2
    said = capsys.readouterr().err
    (logged,) = manifest.read_runs(out)
    assert "cannot connect to" in said and "cannot connect to" in logged["error"]
    assert "Sw0rdfish" not in said + (out / "runs.jsonl").read_text()


@pytest.mark.notebook
def test_the_run_log_records_every_run_and_is_only_appended(tiny_dir, tmp_path):
    plan = write_plan(
        tmp_path / "plan.yml",
        [
            {"notebook": TINY, "scopes": ["company"]},
            {"notebook": TINY, "scopes": ["region:East"], "parameters": {"fail": True}},
        ],
    )
    out = tmp_path / "reports"
    args = ["run", str(plan), "--source", str(tiny_dir), "--out", str(out), "--quiet"]
    assert cli.main(args) == 1
    first = (out / "runs.jsonl").read_text()
    assert cli.main([*args, "--only", "nothing-matches"]) == 2
    assert (out / "runs.jsonl").read_text().startswith(first)
    runs = manifest.read_runs(out)
    assert len(runs) == 2
    done, refused = runs
    assert done["plan"] == str(plan) and done["period"] == "2026-09"
    assert (done["done"], done["skipped"], done["failed"]) == (1, 0, 1)
    assert done["failures"] == ["tiny_report region:East"] and done["error"] is None
    assert done["user"] and done["host"] and done["started"] <= done["ended"]
    assert "no report matching 'nothing-matches'" in refused["error"]
