"""What report sections need (salesops.data.coverage), written once."""

from __future__ import annotations

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
