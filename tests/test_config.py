"""Configuration files: stages, settings and source files fail loudly and clearly."""

from __future__ import annotations

import pytest

from salesops.config import Settings, read_yaml
from salesops.data.mapping import SourceSpec
from salesops.data.stages import Stages
from salesops.errors import ConfigError

GOOD = [
    {"name": "Open", "probability": 0.2},
    {"name": "Won", "probability": 1, "closed": True, "won": True},
    {"name": "Lost", "probability": 0, "closed": True},
]


def test_the_shipped_stages():
    stages = Stages.read()
    assert stages.won == "Closed Won"
    assert stages.lost_names == ["Closed Lost"]
    assert stages.open_names[0] == "Prospecting"
    assert stages.qualified_names == ["Discovery", "Proposal", "Negotiation"]
    assert stages.probabilities["Proposal"] == 0.5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {0: {"name": "Open", "probability": 1.5}},
            r"stages #1 \(Open\).probability: must be a number between 0 and 1, got 1.5",
        ),
        ({0: {"name": "Open"}}, r"stages #1 \(Open\).probability: is required"),
        ({0: {"probability": 0.2}}, "stages #1.name: is required"),
        (
            {1: {"name": "Won", "probability": 1, "closed": True}},
            "exactly one stage must be closed and won",
        ),
        ({2: {"name": "Won", "probability": 0, "closed": True}}, "stage names repeat"),
        ({0: {"name": "Open", "probability": 0.2, "colour": "red"}}, "colour: unknown key"),
        (
            {0: {"name": "Open", "probability": 0.2, "forecast_category": "maybe"}},
            "forecast_category: must be 'pipeline', 'best_case'.*got 'maybe'",
        ),
    ],
)
def test_broken_stage_files(change, message):
    stages = [dict(s) for s in GOOD]
    for index, value in change.items():
        stages[index] = value
    with pytest.raises(ConfigError, match=message):
        Stages.from_dict({"stages": stages}, origin="stages.yml")


def test_a_stage_list_with_no_open_stage_is_valid():
    """An export of won (or closed) deals only has no open stage: its pipeline sections say
    so (``salesops.data.model.OPEN_DEALS``) rather than refusing the source."""
    stages = Stages.from_dict({"stages": GOOD[1:]})
    assert stages.open_names == [] and stages.won == GOOD[1]["name"]


def test_broken_yaml_names_the_file_and_line(tmp_path):
    path = tmp_path / "plan.yml"
    path.write_text("stages:\n  - name: Open\n    probability: [0.2\n")
    with pytest.raises(ConfigError, match=r"plan.yml: not valid YAML at line \d+"):
        read_yaml(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot read .*nowhere.yml"):
        Stages.read(tmp_path / "nowhere.yml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "excel", "location": "x"}, "kind must be one of duckdb, files, sql"),
        ({"kind": "files"}, "'location' must name"),
        (
            {"kind": "files", "location": "x", "tables": {"deals": {}}},
            "tables.deals: unknown table",
        ),
        (
            {
                "kind": "files",
                "location": "x",
                "tables": {"reps": {"columns": {"fullname": "Name"}}},
            },
            r"\['fullname'\] are not columns of reps",
        ),
        ({"kind": "files", "location": "x", "tables": {"reps": {"form": "User"}}}, "unknown keys"),
        ({"kind": "files", "location": "x", "extra": 1}, "unknown keys"),
        (["not", "a", "mapping"], "expected a mapping"),
    ],
)
def test_broken_source_files(data, message):
    with pytest.raises(ConfigError, match=message):
        SourceSpec.from_dict(data, origin="sources/crm.yml")


def test_source_resolution(tmp_path):
    assert SourceSpec.resolve(None).kind == "duckdb"
    assert SourceSpec.resolve("postgresql://u:secret@db/crm").kind == "sql"
    assert "secret" not in SourceSpec.resolve("postgresql://u:secret@db/crm").label
    assert SourceSpec.resolve(tmp_path).kind == "files"
    assert SourceSpec.resolve(tmp_path / "x.duckdb").kind == "duckdb"
    assert SourceSpec.resolve("parameters/sources/hubspot.yml").name == "HubSpot export"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fiscal_year_start_month": 13}, "fiscal_year_start_month: must be 1..12, got 13"),
        ({"fiscal_year_start_month": "5"}, "fiscal_year_start_month: must be a whole number"),
        ({"selling_activity_kinds": "call"}, "selling_activity_kinds: must be a list of names"),
        ({"stale_after_days": 0}, "stale_after_days: must be a positive whole number"),
        ({"ramp_months": -1}, "ramp_months: must be a whole number of months, got -1"),
        ({"attrition_monthly": 1.5}, "attrition_monthly: must be a monthly share from 0"),
        ({"max_hire_share": 0}, "max_hire_share: must be a share of the team above 0"),
    ],
)
def test_broken_settings(data, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_dict(data)
