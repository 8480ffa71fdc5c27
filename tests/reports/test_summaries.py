"""What every report says of the data's date and of the numbers it cannot know, on the
export shapes of tests/data/exports/crm (issue 28): one as-of day in a report's heading,
body and summary; no 0 for a number whose inputs are missing, and a reason for every
null of a summary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import salesops as so
from salesops.reports import forecast, metrics, performance_review, planning, team_review
from salesops.storage import json_text

CRM = Path(__file__).parents[1] / "data" / "exports" / "crm"
SHAPES = ["salesforce", "hubspot", "pipedrive", "zoho", "spreadsheet"]


def source(shape: str) -> str:
    return str(CRM / shape / "source.yml")


def _dates(text: str) -> set[str]:
    return set(re.findall(r"data as of (\d{1,2} \w{3} \d{4})", text))


@pytest.mark.parametrize("period", ["latest", "2026-06"])
def test_one_as_of_day_in_heading_body_and_summary(period):
    """The HubSpot export was taken on 18 Nov 2026: a report on October (or June) is as of
    the period's last day in its heading and its summary, and a section that shows deals as
    exported names the export's day as such, not as the report's "data as of"."""
    src = source("hubspot")
    ctx = so.ReportContext.load(src, "company", period)
    assert f"{ctx.tables.as_of:%Y-%m-%d}" == "2026-11-18"  # the setting we meant
    day = f"{ctx.as_of:%d %b %Y}"
    assert ctx.as_of == ctx.period.last_day
    heading = metrics.title(ctx).data
    assert _dates(heading) == {day}  # was 18 Nov 2026: the export's day, not the period's
    assert metrics.summary(ctx)["as_of"] == f"{ctx.as_of:%Y-%m-%d}"  # was 2026-11-18
    body = metrics.pipeline_by_stage(ctx).attrs["view"].caption + forecast.notes(ctx).data
    assert _dates(body) <= {day}
    assert "as exported on 18 Nov 2026, after the period's end" in body
    region = so.ReportContext.load(src, "region:East", period, comp_plan="default")
    assert _dates(team_review.title(region).data) == {day}
    assert team_review.summary(region)["as_of"] == metrics.summary(ctx)["as_of"]
