"""What the report sections' tests share: the tiny CRM's company context for September
2026 as the metrics report loads it (``company``; test_forecast has its own), that CRM as
a real export often is (``unpriced``), and its 2027 plan (``plan``)."""

from __future__ import annotations

import pytest
from conftest import once, unpriced_copy

import salesops as so
from salesops.reports import planning


@pytest.fixture
def company(tiny_dir) -> so.ReportContext:
    return once(so.ReportContext.load, str(tiny_dir), "company", "2026-09")


@pytest.fixture
def unpriced(tmp_path) -> so.ReportContext:
    """tiny as a real export often is (:func:`conftest.unpriced_copy`)."""
    return so.ReportContext.load(str(unpriced_copy(tmp_path / "crm")), "company", "2026-09")


@pytest.fixture
def plan(tiny_dir):
    return once(
        planning.context, str(tiny_dir), "company", "2026-09", hires=[1, 0, 0, 0], simulations=50
    )
