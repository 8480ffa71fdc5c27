"""What report sections need (salesops.data.coverage), written once."""

from __future__ import annotations

import pytest

from salesops.data import coverage
from salesops.reports import display


def test_a_section_takes_its_needs_from_the_one_table():
    assert coverage.needs_of("The pipeline waterfall") == ("opportunity_history",)
    assert coverage.needs_of("The commission statement") == ("opportunities.amount", "quotas")

    @display.section("Ramping reps")
    def ramping(ctx):
        return "numbers"

    assert ramping.needs == ("reps.hire_date",)


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
