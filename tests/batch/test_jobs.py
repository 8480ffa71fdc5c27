"""What a run has to do: what re-runs when code or configuration changes, and what each
report's fingerprint covers."""

from __future__ import annotations

import json

import pytest
import yaml

from batch.conftest import edit, statuses, write_plan
from salesops import fingerprint
from salesops.batch import manifest, runner
from salesops.batch.plan import BatchPlan
from salesops.batch.runner import RunOptions

# -- what re-runs -------------------------------------------------------------------------


@pytest.mark.notebook
def test_a_configuration_change_re_runs_exactly_the_reports_that_read_it(home, monkeypatch):
    plan = write_plan(
        home / "plan.yml",
        [
            {"notebook": "metrics", "scopes": ["company"]},
            {"notebook": "team_review", "scopes": ["region:East"]},
            {"notebook": "performance_review", "scopes": ["rep:R1"], "reads": "region"},
        ],
    )
    out, crm = home / "reports", str(home / "crm")

    def again() -> tuple[dict, dict]:
        _, results = runner.run(BatchPlan.read(plan), out, RunOptions(source=crm, workers=2))
        assert all(r.status != "failed" for r in results), [r.error for r in results]
        return statuses(results), {(r.report, r.scope): r.reason for r in results}

    def payable() -> float:
        summary = out / "2026-09" / "rep-R1" / "performance_review.json"
        return json.loads(summary.read_text())["payable"]

    status, reason = again()
    assert set(status.values()) == {"done"} and set(reason.values()) == {"first run"}
    before = payable()
    status, _ = again()
    assert set(status.values()) == {"skipped"}

    # The commission plan: only the two reviews re-run, with the new numbers.
    edit(home / "parameters" / "comp_plan.yml", "rate: 0.04", "rate: 0.06")
    status, reason = again()
    assert status == {
        ("metrics", "company"): "skipped",
        ("team_review", "region:East"): "done",
        ("performance_review", "rep:R1"): "done",
    }
    assert reason[("performance_review", "rep:R1")] == "changed: parameters/comp_plan.yml"
    # R1's quarter to September: $10,000 booked against $32,000 of quota (31%), all of it
    # in the decelerator band. August paid 50% of $10,000 at the decelerator rate and 50% at
    # the base rate; the quarter's true-up re-computes the $10,000 at the decelerator rate
    # alone, so September pays (rate - (rate + 8%) / 2) x $10,000 = -$200 at 4%, -$100 at 6%.
    assert (before, payable()) == (-200.0, -100.0)

    # A stage's probability: every report reads stages.
    edit(home / "parameters" / "stages.yml", "probability: 0.50", "probability: 0.55")
    status, reason = again()
    assert set(status.values()) == {"done"}
    assert set(reason.values()) == {"changed: parameters/stages.yml"}

    # One notebook: only its reports.
    edit(home / "notebooks" / "metrics.ipynb", "# Sales metrics", "# Sales metrics, monthly")
    status, reason = again()
    assert status[("metrics", "company")] == "done" and list(status.values()).count("done") == 1
    assert reason[("metrics", "company")] == "changed: notebook"

    # The package's code: everything.
    monkeypatch.setattr(fingerprint, "code_hash", lambda: "a-new-release")
    status, reason = again()
    assert set(status.values()) == {"done"} and set(reason.values()) == {"changed: code"}

    entry = manifest.load(out / "2026-09")[("performance_review", "rep:R1")]
    assert entry["inputs"]["code"] == "a-new-release"
    assert set(entry["inputs"]["config"]) == {
        "parameters/stages.yml",
        "parameters/settings.yml",
        "parameters/comp_plan.yml",
    }


def test_what_a_report_reads_is_named_in_its_fingerprint(home):
    """Stages and settings for every report, the source file, and every YAML file that a
    parameter names, with the notebook's default when the plan does not set it."""
    plan = write_plan(
        home / "plan.yml",
        [
            {"notebook": "metrics", "scopes": ["company"]},
            {"notebook": "planning", "scopes": ["company"], "reads": "company"},
            {
                "notebook": "performance_review",
                "scopes": ["rep:R1"],
                "parameters": {"comp_plan": "parameters/comp_plan_variant.yml"},
            },
        ],
    )
    source = home / "parameters" / "sources" / "tiny.yml"
    source.write_text(
        yaml.safe_dump({"name": "tiny", "kind": "files", "location": str(home / "crm")})
    )
    _, jobs = runner.plan_jobs(
        BatchPlan.read(plan), home / "reports", RunOptions(source=str(source))
    )
    config = {job.report: set(job.inputs["config"]) for job in jobs}
    everyone = {
        "parameters/stages.yml",
        "parameters/settings.yml",
        "parameters/sources/tiny.yml",
    }
    assert config == {
        "metrics": everyone,
        "planning": everyone | {"parameters/comp_plan.yml", "parameters/comp_plan_variant.yml"},
        "performance_review": everyone | {"parameters/comp_plan_variant.yml"},
    }
    assert fingerprint.code_hash() == fingerprint.code_hash()  # once per process, cached
    again = runner.plan_jobs(
        BatchPlan.read(plan), home / "reports", RunOptions(source=str(source))
    )[1]
    assert [j.fingerprint for j in again] == [j.fingerprint for j in jobs]
    edit(source, "name: tiny", "name: tiny CRM")
    third = runner.plan_jobs(
        BatchPlan.read(plan), home / "reports", RunOptions(source=str(source))
    )[1]
    assert all(a.fingerprint != b.fingerprint for a, b in zip(jobs, third, strict=True))


# -- one run at a time --------------------------------------------------------------------


# -- publishable outputs ------------------------------------------------------------------


# -- bad rows set aside ---------------------------------------------------------------------
