"""What report sections need (salesops.data.coverage), written once."""

from __future__ import annotations

import dataclasses

import pytest

from salesops.data import coverage
from salesops.reports import display


def test_a_section_takes_its_needs_from_the_one_table():
    assert coverage.needs_of("Stage conversion") == ("opportunity_history",)
    assert coverage.needs_of("The commission statement") == ("opportunities.amount", "quotas")

    @display.section("Ramping reps")
    def ramping(ctx):
        return "numbers"

    assert ramping.needs == ("reps.hire_date",)


def test_the_waterfall_is_available_without_history_with_its_limits():
    """Built from created and close dates without a stage history: validate says which of
    its steps will read – instead of calling the whole section empty."""
    assert coverage.needs_of("The pipeline waterfall") == ("opportunities",)
    lines = coverage.warnings({"opportunity_history"})
    assert "the pipeline waterfall" not in lines[0]
    assert lines[-1] == (
        "no `opportunity_history` table: the pipeline waterfall's deals pulled in, pushed "
        "out and amount changes (its start, created, won, lost and end come from the "
        "deals' created and close dates) will read –"
    )


def test_a_section_listed_nowhere_is_refused_when_declared():
    """A renamed section cannot lose its needs without a word."""
    with pytest.raises(ValueError, match="'Pipeline waterfal' is in no entry"):
        display.section("Pipeline waterfal")


def test_validate_names_every_section_a_missing_table_empties():
    lines = coverage.warnings({"quotas", "reps.hire_date"})
    assert lines == [
        "no `quotas` table: quota attainment, attainment among peers, attainment across the "
        "team, the commission statement, the cost of incentive pay will say so",
        "no values in `reps.hire_date`: ramping reps, tenure, the plan's measured ramp will say so",
    ]


def test_what_is_not_shown_is_listed_apart_and_counted_in_words():
    """The rep review read "Not shown: quota attainment, pipeline coverage, next quarter,
    ..." (one KPI or two?) and "Not shown: win rate. They need ..." for one KPI."""
    import pandas as pd

    from salesops.data.model import Tables

    tables = Tables(pd.DataFrame(), pd.DataFrame(), absent=frozenset({"quotas"}))
    needs = {"Attainment": ["quotas"], "Pipeline coverage, next quarter": ["quotas"]}
    gone, said = coverage.not_shown(tables, needs)
    assert gone == list(needs)
    assert said == (
        "Not shown: attainment; pipeline coverage, next quarter. They need the `quotas` "
        "table, which this source does not have."
    )
    _, said = coverage.not_shown(tables, {"Attainment": ["quotas"]})
    assert (
        said
        == "Not shown: attainment. It needs the `quotas` table, which this source does not have."
    )


def test_what_a_section_lacks_reads_as_a_list():
    """Several needs were chained "A and B and C, which this source does not have", and a
    stage need read "lost deals (this source holds none), which this source does not
    have". Each need keeps its name; the tables and columns are one series, and each
    stage need says why it is missing, after "; and"."""
    import pandas as pd

    from salesops.data.model import LOST_DEALS, QUALIFIED_DEALS, Tables

    lacking = ["activities", "leads.first_response_at", "quotas", LOST_DEALS]
    assert coverage.sentence("They", lacking) == (
        "They need the `activities` table, `leads.first_response_at` and the `quotas` "
        "table, which this source does not have; and lost deals, of which this source "
        "holds none."
    )
    assert coverage.sentence("Win rate", [LOST_DEALS]) == (
        "Win rate needs lost deals, of which this source holds none."
    )
    assert coverage.sentence("Sales velocity", [LOST_DEALS, QUALIFIED_DEALS, "quotas"]) == (
        "Sales velocity needs the `quotas` table, which this source does not have; lost "
        "deals, of which this source holds none; and a stage marked qualified (`qualified: "
        "true`), which this source's stage list does not have."
    )
    tables = Tables(
        pd.DataFrame({"stage": ["Won"]}), pd.DataFrame(),
        absent=frozenset({"quotas", "leads", "activities", LOST_DEALS}),
    )  # fmt: skip
    needs = {"Attainment": ["quotas"], "Win rate": [LOST_DEALS], "Lead response": ["leads"]}
    assert coverage.not_shown(tables, needs)[1] == (
        "Not shown: attainment, win rate, lead response. They need the `leads` table and the "
        "`quotas` table, which this source does not have; and lost deals, of which this "
        "source holds none."
    )


def test_reps_whose_home_region_holds_no_deal_are_warned_of(tiny):
    """The tiny CRM's reps sit in the regions of their deals: nothing to say. Moved to a
    home region of no deal (the CRM and Sales Pipelines export: deals by the customer's
    country, one team of sellers), their reviews find no peers (8 of 8 failed before
    tests/reports/test_performance_review.py's fix): validate names them and the two ways
    out."""
    assert coverage.homeless_reps(tiny) is None
    reps = tiny.reps.assign(region=tiny.reps["region"].replace({"West": "Europe"}))
    said = coverage.homeless_reps(dataclasses.replace(tiny, reps=reps))
    assert said is not None and said.startswith(
        "2 of the 4 reps who own deals have a home region that holds no deal (Europe; the "
        "deals' regions: East, West): their performance reviews find no peers to compare "
        "them with."
    )
    assert "leave `region` out of the deals' columns" in said
