"""The plan's headcount (:mod:`salesops.reports.headcount`): what the capacity model
assumed and what it measured, on exports with and without hire and end dates."""

from __future__ import annotations

import pandas as pd
from analytics.test_planning import EXPORT, NO_DATES

from reports.test_planning import export_context
from salesops.analytics import gaps
from salesops.reports import headcount, planning


def test_the_plan_says_what_it_measured():
    hired = NO_DATES.assign(hire_date=pd.to_datetime(["2015-01-01", "2017-02-01", None]))
    ctx = export_context(hired, frozenset(), growth=0.1)
    ramp, attrition = planning.assumptions(ctx)
    assert ramp == "ramp measured from the hire dates of reps hired within the data"
    assert attrition == "attrition 0.0% a month, measured from end dates over the last 3 years"


def test_an_export_without_hire_or_end_dates_is_planned_on_stated_assumptions(tmp_path):
    EXPORT.to_csv(tmp_path / "opportunities.csv", index=False)
    NO_DATES.drop(columns=["hire_date", "end_date", "role"]).to_csv(
        tmp_path / "reps.csv", index=False
    )
    ctx = planning.context(str(tmp_path), "company", "2017-12", simulations=50)
    assert {"reps.hire_date", "reps.end_date"} <= ctx.tables.absent
    ramp, attrition = planning.assumptions(ctx)
    assert ramp.endswith(
        "because the source has no hire dates; today's sellers count as fully ramped"
    )
    assert attrition == (
        "attrition 2.0% a month assumed (setting `attrition_monthly`), because the source has "
        "no end dates"
    )


def test_the_gap_is_target_minus_capacity_unknown_when_either_is():
    assert headcount.gap_of(1_000.0, 400.0) == 600.0
    assert headcount.gap_of(300.0, 400.0) == -100.0  # capacity above the target: negative
    target, capacity = gaps.Unknown("no target"), gaps.Unknown("no productivity")
    assert headcount.gap_of(target, 400.0) is target
    assert headcount.gap_of(1_000.0, capacity) is capacity
    assert headcount.gap_of(target, capacity) is target  # the target's reason first
