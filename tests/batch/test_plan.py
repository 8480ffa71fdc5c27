"""Batch plans (:mod:`salesops.batch.plan`): what a plan file may say, each mistake named
before any kernel starts, and the notebooks' parameters read without papermill."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from batch.conftest import TINY
from salesops.batch import plan as plans
from salesops.batch.plan import BatchPlan, matches, notebook_parameters
from salesops.data.scopes import Scope
from salesops.errors import ConfigError

NOTEBOOKS = Path(__file__).parents[1] / "fixtures" / "notebooks"


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ({"notebook": "nowhere"}, "does not exist"),
        ({"notebook": TINY, "parameters": {"colour": "red"}}, r"unknown parameters \['colour'\]"),
        ({"notebook": TINY, "parameters": {"scope": "company"}}, "set by the runner"),
        ({"notebook": str(NOTEBOOKS / "no_parameters")}, "no cell tagged 'parameters'"),
        ({"notebook": TINY, "scopes": ["team:x"]}, "not a scope"),
        ({"notebook": TINY, "when": "monthly"}, "unknown keys"),
        ({"notebook": TINY, "reads": "world"}, "'reads' must be one of scope, region, company"),
    ],
)
def test_plan_errors_name_the_problem(report, message):
    with pytest.raises(ConfigError, match=message):
        BatchPlan.from_dict({"reports": [report]}, origin="plan.yml")


def test_parameters_are_read_as_papermill_reads_them(tmp_path):
    import papermill as pm

    for notebook in [*Path("notebooks").glob("*.ipynb"), *NOTEBOOKS.glob("*.ipynb")]:
        found = pm.inspect_notebook(str(notebook))
        assert notebook_parameters(notebook) == (list(found) if found else None), notebook
    broken = json.loads((NOTEBOOKS / "tiny_report.ipynb").read_text())
    next(c for c in broken["cells"] if c["cell_type"] == "code")["source"] = "period = (\n"
    (tmp_path / "broken.ipynb").write_text(json.dumps(broken))
    with pytest.raises(ConfigError, match="parameters cell of broken.ipynb is not valid Python"):
        BatchPlan.from_dict({"reports": [{"notebook": str(tmp_path / "broken")}]})
    (tmp_path / "empty.ipynb").write_text("not json")
    with pytest.raises(ConfigError, match="empty.ipynb is not a notebook"):
        BatchPlan.from_dict({"reports": [{"notebook": str(tmp_path / "empty")}]})


def test_plan_level_errors():
    with pytest.raises(ConfigError, match="formats must be some of"):
        BatchPlan.from_dict({"formats": ["docx"], "reports": [{"notebook": TINY}]})
    with pytest.raises(ConfigError, match="'reports' must be a non-empty list"):
        BatchPlan.from_dict({"reports": []})
    with pytest.raises(ConfigError, match="unknown keys"):
        BatchPlan.from_dict({"reports": [{"notebook": TINY}], "schedule": "daily"})


def test_the_shipped_plans_are_valid():
    plan = BatchPlan.read("parameters/monthly.yml")
    assert plan.reports[0].name == "metrics" and "region:*" in plan.reports[0].scopes
    assert [r.name for r in plan.reports] == [
        "metrics",
        "forecast",
        "team_review",
        "performance_review",
    ]
    annual = BatchPlan.read("parameters/annual.yml")
    assert [(r.name, r.reads) for r in annual.reports] == [("planning", "company")]


def test_only_patterns():
    assert matches("metrics", "metrics", "region:EMEA")
    assert matches("metrics:rep:*,forecast", "forecast", "company")
    assert not matches("metrics:rep:*", "metrics", "company")


def test_a_broken_delivery_section_is_named():
    plan = {"reports": [{"notebook": "metrics", "scopes": ["company"]}], "formats": ["pdf"]}
    sender = {"sender": "x@example.com", "reps": [], "managers": []}
    cases = [
        ({**sender, "reps": ["performance_reviw"]}, "delivery.reps: 'performance_reviw' is not"),
        ({**sender, "attach": "link"}, "delivery: attach: link needs a base_url"),
        ({**sender, "colour": "red"}, "plan.yml: delivery: colour: unknown key"),
        ({"reps": [], "managers": []}, "plan.yml: delivery: sender: is required"),
        ({**sender, "addresses": [{"to": "vp", "reports": []}]}, "'vp' is not an email address"),
    ]
    for delivery, expected in cases:
        with pytest.raises(ConfigError, match=re.escape(expected)):
            BatchPlan.from_dict({**plan, "delivery": delivery}, "plan.yml")
    with pytest.raises(ConfigError, match="the plan's formats lack pdf"):
        BatchPlan.from_dict({**plan, "formats": ["html"], "delivery": sender})


def test_formats_may_be_a_comma_separated_string():
    assert plans.check_formats(" html, pdf ,") == ["html", "pdf"]
    assert plans.check_formats(("ipynb",)) == ["ipynb"]
    for bad in ("", "html,docx", [" "]):
        with pytest.raises(ConfigError, match="formats must be some of html, pdf, ipynb"):
            plans.check_formats(bad, "plan.yml")


def test_a_plan_reads_its_defaults_and_a_notebook_name_with_its_suffix():
    plan = BatchPlan.from_dict({"reports": [{"notebook": TINY + ".ipynb", "scopes": "company"}]})
    (spec,) = plan.reports
    assert (spec.name, spec.scopes, spec.reads, dict(spec.parameters)) == (
        "tiny_report", ("company",), "scope", {},
    )  # fmt: skip
    assert (plan.period, plan.source, plan.formats, plan.delivery) == (
        "latest", None, ("html", "ipynb"), None,
    )  # fmt: skip
    with pytest.raises(ConfigError, match="expected a mapping with 'reports'"):
        BatchPlan.from_dict(["reports"], "plan.yml")
    with pytest.raises(ConfigError, match="plan.yml: reports #1: needs a 'notebook'"):
        BatchPlan.from_dict({"reports": [{"scopes": ["company"]}]}, "plan.yml")
    with pytest.raises(ConfigError, match="'parameters' must be a mapping"):
        BatchPlan.from_dict({"reports": [{"notebook": TINY, "parameters": [1]}]})


def test_the_scope_whose_data_a_report_reads():
    """A rep's review that reads its region reads R1's region, East; a rep of no known
    region reads their own data; a report that reads the company reads every row."""
    spec = plans.ReportSpec("review", Path("review.ipynb"), ("rep:*",), reads="region")
    region_of = {"R1": "East"}
    assert spec.data_scope(Scope.parse("rep:R1"), region_of) == Scope("region", "East")
    assert spec.data_scope(Scope.parse("rep:R9"), region_of) == Scope.parse("rep:R9")
    assert spec.data_scope(Scope.parse("region:West"), region_of) == Scope.parse("region:West")
    company = plans.ReportSpec("forecast", Path("f.ipynb"), ("region:*",), reads="company")
    assert company.data_scope(Scope.parse("region:West"), region_of) == Scope("company")
    own = plans.ReportSpec("metrics", Path("m.ipynb"), ("rep:*",))
    assert own.data_scope(Scope.parse("rep:R1"), region_of) == Scope.parse("rep:R1")


def test_notebook_defaults_are_the_literals_of_the_parameters_cell(tmp_path):
    cell = 'period = "latest"\nn: int = 3\nflag: bool\nwhen = today()\na = b = [1, 2]\n'
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {"tags": ["parameters"]}, "source": "x = 1"},
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": [cell]},
        ]
    }
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook))
    # the markdown cell is not the parameters cell; an annotation without a value is None,
    # and so is a default that is not a literal (today())
    assert plans.notebook_defaults(path) == {
        "period": "latest", "n": 3, "flag": None, "when": None, "a": [1, 2], "b": [1, 2],
    }  # fmt: skip
    path.write_text(json.dumps({"cells": []}))
    assert plans.notebook_parameters(path) is None and plans.notebook_defaults(path) == {}


def test_a_fixed_recipient_needs_an_email_address():
    named = plans.Named(to="vp@example.com", reports=("metrics:company",))
    assert named.name is None
    with pytest.raises(ValueError, match="'<vp>' is not an email address"):
        plans.Named(to="<vp>", reports=())
