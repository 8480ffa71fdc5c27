"""Every report of the monthly and annual plans prints well: read back from its PDF, no
text past the margin, no tall rows, no heading alone at a page's foot, no page but the
last under a quarter full, no machine values (see print_quality.py)."""

from __future__ import annotations

import pytest

from integration.print_quality import problems
from salesops import cli


@pytest.mark.notebook
@pytest.mark.parametrize("plan", ["monthly", "annual"])
def test_every_report_of_the_plan_prints_well(plan, demo_db, tmp_path):
    out = tmp_path / "reports"
    args = ["run", f"parameters/{plan}.yml", "--formats", "pdf", "--out", str(out)]
    assert cli.main(args) == 0
    pdfs = sorted(out.glob("*/*/*.pdf"))
    assert len(pdfs) >= (52 if plan == "monthly" else 6)
    found = {str(p.relative_to(out)): problems(p) for p in pdfs}
    assert {name: p for name, p in found.items() if p} == {}
