"""Source files: a CRM's own names mapped onto the canonical tables, and a source file
that cannot invent data (misspelt columns, defaults that chain, cycles refused)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import hubspot_copy, validate_cli

import salesops as so
from salesops.data.mapping import SourceSpec
from salesops.errors import ConfigError, DataError

OPEN_STAGES = ["Appointment Scheduled", "Qualified To Buy", "Contract Sent"]  # HubSpot's


def test_salesforce_mapping(tmp_path):
    tables = so.load("parameters/sources/salesforce.yml")
    opps = tables.opportunities.set_index("opportunity_id")
    assert opps.loc["0066g00000AAA04", "stage"] == "Discovery"  # "Needs Analysis"
    assert opps.loc["0066g00000AAA02", "forecast_category"] == "commit"
    assert opps.loc["0066g00000AAA01", "created_date"] == pd.Timestamp("2026-08-03")
    history = tables.opportunity_history
    assert set(history["forecast_category"]) == {
        "pipeline",
        "best_case",
        "closed",
        "commit",
        "omitted",
    }
    assert tables.reps.set_index("rep_id").loc["0056g000001USR1", "name"] == "Sam Seller"
    assert tables.leads is None


def test_hubspot_mapping():
    tables = so.load("parameters/sources/hubspot.yml", scope="rep:81234")
    opps = tables.opportunities.set_index("opportunity_id")
    assert list(opps.index) == ["9001", "9002"]  # numeric ids become text
    assert opps.loc["9002", "stage"] == "Negotiation"
    assert tables.opportunity_history is None


def test_unmapped_stage_is_reported_with_the_export_value(tmp_path):
    folder = tmp_path / "hubspot"
    shutil.copytree("tests/fixtures/exports/hubspot", folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str)
    deals.loc[0, "Deal Stage"] = "verbalyes"
    deals.to_csv(folder / "deals.csv", index=False)
    spec = SourceSpec.read("parameters/sources/hubspot.yml")
    spec = SourceSpec(spec.kind, str(folder), spec.name, spec.tables)
    with pytest.raises(
        DataError,
        match=r'opportunities.stage: stage "verbalyes" \(1 row\) is not a configured stage .*'
        r"map it in values.stage \(e.g. 9001\)",
    ):
        so.load(spec)


def test_missing_mapped_column_names_the_export_column(tmp_path):
    folder = tmp_path / "hubspot"
    shutil.copytree("tests/fixtures/exports/hubspot", folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str).drop(columns="Deal owner ID")
    deals.to_csv(folder / "deals.csv", index=False)
    spec = SourceSpec.read("parameters/sources/hubspot.yml")
    with pytest.raises(
        DataError,
        match='opportunities.owner_id: is mapped to "Deal owner ID", which deals does not have',
    ):
        so.load(SourceSpec(spec.kind, str(folder), spec.name, spec.tables))


# -- a source file cannot invent data ----------------------------------------------------


def test_a_misspelt_column_is_an_error_naming_the_closest_headers(tmp_path, capsys):
    source = hubspot_copy(tmp_path, lambda t: t["columns"].update(close_date="Close Dt"))
    code, printed = validate_cli(source, capsys)
    assert code == 1
    assert (
        'opportunities.close_date: is mapped to "Close Dt", which deals does not have '
        "(closest: Close Date, Create Date)" in printed
    )
    assert "filled" not in printed  # no default ran in its place


def test_a_mapped_column_the_export_lacks_is_an_error_not_an_empty_column(tmp_path, capsys):
    source = hubspot_copy(tmp_path, deals=lambda d: d.drop(columns="Amount"))
    code, printed = validate_cli(source, capsys)
    assert code == 1
    assert 'opportunities.amount: is mapped to "Amount", which deals does not have' in printed
    with pytest.raises(DataError, match="opportunities.amount: is mapped to"):
        so.load(source)


def test_defaults_for_a_column_the_export_lacks_are_refused_unless_said_on_purpose(tmp_path):
    def edit(table):
        del table["columns"]["close_date"]
        table["defaults"]["close_date"] = {"column": "created_date", "plus": "90 days"}

    with pytest.raises(DataError, match=r"opportunities.close_date: has defaults, but deals"):
        so.load(hubspot_copy(tmp_path / "a", edit))

    def on_purpose(table):
        edit(table)
        table["columns"]["close_date"] = None

    tables = so.load(hubspot_copy(tmp_path / "b", on_purpose))
    o = tables.opportunities
    assert (o["close_date"] == o["created_date"] + pd.Timedelta(days=90)).all()
    assert tables.filled["opportunities.close_date"][0] == len(o)


@pytest.mark.parametrize(
    ("column", "rule", "expected"),
    [
        ("close_date", {"value": "2027-12-31", "when": "open"}, pd.Timestamp("2027-12-31")),
        ("close_date", {"column": "Create Date", "plus": "30 days", "when": "open"}, None),
        ("amount", {"value": 1000, "when": "open"}, 1000.0),
        ("amount", {"value": "250.5", "when": "closed"}, 250.5),
        ("lead_source", {"value": "Unknown", "when": "open"}, "Unknown"),
        ("lead_source", {"column": "Pipeline"}, "Sales Pipeline"),
        ("owner_id", {"value": 81201, "when": "open"}, "81201"),
    ],
)
def test_every_rule_works_on_every_column_type(tmp_path, column, rule, expected):
    header = {"close_date": "Close Date", "amount": "Amount", "lead_source": "Original Source"}
    header["owner_id"] = "Deal owner ID"
    closed = ["Closed Won", "Closed Lost"]
    blank: list[str] = []

    def deals(frame):
        chosen = frame["Deal Stage"].isin(closed) == (rule.get("when") == "closed")
        if "when" not in rule:
            chosen[:] = True
        frame.loc[frame.index[chosen][:3], header[column]] = ""
        empty = chosen & (frame[header[column]] == "")
        blank.extend(frame.loc[empty, "Record ID"])
        return frame

    def edit(table):
        table["defaults"] = {**table.get("defaults", {}), column: rule}

    tables = so.load(hubspot_copy(tmp_path, edit, deals))
    o = tables.opportunities.set_index("opportunity_id")
    assert tables.filled[f"opportunities.{column}"][0] == len(blank) >= 3
    for deal in blank:
        want = expected
        if want is None:
            want = o.at[deal, "created_date"] + pd.Timedelta(days=30)
        assert o.at[deal, column] == want, deal


def test_a_literal_of_the_wrong_type_is_refused_when_the_file_is_read(tmp_path):
    edit = lambda t: t["defaults"].update(close_date={"value": "soon"})  # noqa: E731
    with pytest.raises(ConfigError, match=r"defaults.close_date: 'soon' is not a date"):
        SourceSpec.read(hubspot_copy(tmp_path, edit))


def test_defaults_chain_deals_without_any_date(tmp_path):
    """A deal with no dates at all: its created date comes from a constant, and the close
    date rule reads that filled created date."""
    dateless: list[str] = []

    def deals(frame):
        rows = frame.index[frame["Deal Stage"].isin(OPEN_STAGES)][:4]
        dateless.extend(frame.loc[rows, "Record ID"])
        frame.loc[rows, ["Create Date", "Close Date"]] = ""
        return frame

    def edit(table):  # the close-date rule is written before the rule it reads
        table["defaults"] = {
            "close_date": {"column": "created_date", "plus": "90 days", "when": "open"},
            "created_date": {"value": "2026-01-15"},
        }

    tables = so.load(hubspot_copy(tmp_path, edit, deals))
    o = tables.opportunities.set_index("opportunity_id")
    assert (o.loc[dateless, "created_date"] == pd.Timestamp("2026-01-15")).all()
    assert (o.loc[dateless, "close_date"] == pd.Timestamp("2026-04-15")).all()
    assert tables.filled["opportunities.created_date"][0] == 4


def test_when_open_reads_the_stage_its_own_default_filled(tmp_path):
    """A deal without a stage and without dates (the real HubSpot seed: no deal has a
    stage or a close date): the stage default says it is open, and the close-date rule
    with ``when: open`` reads that filled stage, not the empty one of the export."""
    stageless: list[str] = []

    def deals(frame):
        rows = frame.index[frame["Deal Stage"].isin(OPEN_STAGES)][:3]
        stageless.extend(frame.loc[rows, "Record ID"])
        frame.loc[rows, ["Deal Stage", "Close Date"]] = ""
        return frame

    def edit(table):  # written before the stage rule it reads
        table["defaults"] = {
            "close_date": {"column": "created_date", "plus": "90 days", "when": "open"},
            "stage": {"value": "Appointment Scheduled"},
        }

    tables = so.load(hubspot_copy(tmp_path, edit, deals))
    o = tables.opportunities.set_index("opportunity_id")
    assert (o.loc[stageless, "stage"] == "Appointment Scheduled").all()
    expected = o.loc[stageless, "created_date"] + pd.Timedelta(days=90)
    assert (o.loc[stageless, "close_date"] == expected).all()
    assert tables.filled["opportunities.close_date"][0] >= len(stageless) == 3


def test_defaults_that_read_each_other_are_refused(tmp_path, capsys):
    def edit(table):
        table["defaults"] = {
            "close_date": {"column": "created_date", "plus": "90 days"},
            "created_date": {"column": "close_date", "plus": "-90 days"},
        }

    code, printed = validate_cli(hubspot_copy(tmp_path, edit), capsys)
    assert code == 2
    assert "in a cycle (created_date -> close_date -> created_date)" in printed


def _blank_teams(source: Path, owners: int, rule: dict | None) -> tuple[list[str], Path]:
    """The first ``owners`` owners of the HubSpot copy without a team, and ``rule`` as the
    reps' region default; the ids of the owners left without one."""
    folder = source.parent
    frame = pd.read_csv(folder / "owners.csv", dtype=str, keep_default_na=False)
    frame.loc[frame.index[:owners], "Team"] = ""
    frame.to_csv(folder / "owners.csv", index=False)
    data = yaml.safe_load(source.read_text())
    if rule is not None:
        data["tables"]["reps"]["defaults"] = {"region": rule}
    source.write_text(yaml.safe_dump(data, sort_keys=False))
    return list(frame["Owner ID"][:owners]), source


def test_a_derived_column_reads_the_other_tables_filled_values(tmp_path):
    """A deal's region is derived from its owner's; an owner without a team takes the
    reps' region default, and the derivation reads that filled region, not the empty one
    of the export (so those owners' deals are in that region's reports)."""
    blank, source = _blank_teams(hubspot_copy(tmp_path), 2, {"value": "Central"})
    tables = so.load(source)
    reps = tables.reps.set_index("rep_id")
    assert (reps.loc[blank, "region"] == "Central").all()
    deals = tables.opportunities[tables.opportunities["owner_id"].isin(blank)]
    assert len(deals) > 0 and (deals["region"] == "Central").all()
    central = so.load(source, scope="region:Central").opportunities
    assert set(deals["opportunity_id"]) <= set(central["opportunity_id"])


def test_defaults_and_derivations_across_tables_in_a_cycle_are_refused(tmp_path, capsys):
    """The reps' region from their first deal's region, which is derived from the reps'
    region: each would read the other."""
    _, source = _blank_teams(hubspot_copy(tmp_path), 2, {"first": "opportunities.region"})
    code, printed = validate_cli(source, capsys)
    assert code == 2
    assert (
        "in a cycle (reps.region -> opportunities.region -> reps.region)" in printed
        or "in a cycle (opportunities.region -> reps.region -> opportunities.region)" in printed
    )
