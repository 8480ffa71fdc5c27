"""Pipeline efficiency at the period's end, by hand on the tiny CRM."""

from __future__ import annotations

import pytest

import salesops as so
from salesops.analytics import efficiency
from salesops.data.periods import Period

STAGES = so.Stages.read()


def test_pipeline_efficiency_holds_at_the_period_end(tiny_dir):
    tables = so.load(tiny_dir, period="2026-09")  # October's changes are not known yet
    e = efficiency.pipeline_efficiency(
        tables, Period.parse("2026-09"), tables.stages or so.Stages.read()
    )
    value = e["value"]
    # On 30 Sep, O3 (Proposal) and O10 (Discovery) were qualified; O6 and O9 were still
    # Prospecting. Won in the 12 months: O1, O4, O5 (68,000; cycles 45, 60, 152 days);
    # lost: O2, O7. So 2 x 0.6 x 22,666.67 / 85.67 days = 317.51 a day.
    assert value["Qualified open deals"] == 2
    assert value["Win rate"] == pytest.approx(0.6)
    assert value["Average deal size"] == pytest.approx(68_000 / 3)
    assert value["Sales cycle (mean)"] == pytest.approx(257 / 3)
    assert value["Sales velocity (per day)"] == pytest.approx(2 * 0.6 * 68_000 / 257)
    # Due in October, as of 30 Sep: O6 30,000 + O9 12,000 against 12,000 + 20,000 + 10,000
    assert value["Open pipeline due next period"] == 42_000
    assert value["Quota of the next period"] == 42_000
    assert value["Pipeline coverage"] == 1.0
    # Leads created from 1 Oct 2025 to 30 Sep 2026: 6, of which L1, L2 and L5 converted
    assert value["Lead-to-deal conversion"] == 0.5
    assert e["kind"]["Sales velocity (per day)"] == "money"
