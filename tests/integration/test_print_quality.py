"""Every report of the monthly and annual plans prints well: read back from its PDF, no
text past the margin, no tall rows, no heading alone at a page's foot, no page but the
last under a quarter full, no machine values (see print_quality.py)."""

from __future__ import annotations

import pytest

from integration.print_quality import problems
from salesops import cli


def assert_prints_well(pdfs: list, at_least: int) -> None:
    assert len(pdfs) >= at_least
    found = {f"{p.parent.name}/{p.name}": problems(p) for p in pdfs}
    assert {name: p for name, p in found.items() if p} == {}


@pytest.mark.notebook
def test_every_report_of_the_monthly_plan_prints_well(demo_monthly):
    assert_prints_well(sorted(demo_monthly.glob("*/*.pdf")), 52)


@pytest.mark.notebook
def test_every_report_of_the_annual_plan_prints_well(demo_db, tmp_path):
    out = tmp_path / "reports"
    args = ["run", "parameters/annual.yml", "--formats", "pdf", "--out", str(out)]
    assert cli.main(args) == 0
    assert_prints_well(sorted(out.glob("*/*/*.pdf")), 6)
