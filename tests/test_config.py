"""Configuration files: stages, settings and source files fail loudly and clearly."""

from __future__ import annotations

import pytest

from salesops.config import Settings, read_yaml
from salesops.data.mapping import SourceSpec
from salesops.data.stages import Stages
from salesops.errors import ConfigError


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
