"""What every report says of the data's date and of the numbers it cannot know, on the
export shapes of tests/fixtures/exports/crm (issue 28): one as-of day in a report's heading,
body and summary; no 0 for a number whose inputs are missing, and a reason for every
null of a summary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import salesops as so
from salesops.reports import (
    forecast,
    metrics,
    performance_review,
    pipeline_health,
    planning,
    team_review,
)
from salesops.storage import json_text

CRM = Path(__file__).parents[1] / "fixtures" / "exports" / "crm"
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
    body = pipeline_health.pipeline_by_stage(ctx).attrs["view"].caption + forecast.notes(ctx).data
    assert _dates(body) <= {day}
    assert "as exported on 18 Nov 2026, after the period's end" in body
    region = so.ReportContext.load(src, "region:East", period, comp_plan="default")
    assert _dates(team_review.title(region).data) == {day}
    assert team_review.summary(region)["as_of"] == metrics.summary(ctx)["as_of"]


# null on purpose, with its meaning documented: an assumption that was measured
MEANINGFUL_NULLS = re.compile(r"^assumed\.")


def _nulls(value: object, where: str = "") -> list[str]:
    """The places of every null of a summary, as ``json_text`` names them."""
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _nulls(v, f"{where}.{k}" if where else k)]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in _nulls(v, f"{where}[{i}]")]
    return []


def _summaries(shape: str) -> tuple[so.Tables, dict[str, dict]]:
    src = source(shape)
    tables = so.load(src)
    region = sorted(tables.reps["region"].dropna().unique())[0]
    region_ctx = so.ReportContext.load(src, f"region:{region}", "latest", comp_plan="default")
    owners = tables.opportunities["owner_id"].value_counts()
    rep_ctx = performance_review.context(src, f"rep:{owners.index[0]}", "latest")
    plan = planning.context(src, "company", "latest", simulations=50)
    made = {
        "team_review": team_review.summary(region_ctx),
        "performance_review": performance_review.summary(rep_ctx),
        "planning": planning.summary(plan),
    }
    return tables, {kind: json.loads(json_text(summary)) for kind, summary in made.items()}


@pytest.mark.parametrize("shape", SHAPES)
def test_no_summary_shows_a_number_it_cannot_know(shape):
    """Issue 28: the team review said commission $0 and 0 ramping reps on exports without
    quotas or hire dates, and its nulls, the performance review's and the plan's gave no
    reason. Every null now has its one-line reason under "unknown", and a number whose
    inputs the export lacks is null, not 0."""
    tables, made = _summaries(shape)
    for kind, summary in made.items():
        unknown = summary.get("unknown", {})
        for place in _nulls({k: v for k, v in summary.items() if k != "unknown"}):
            if not MEANINGFUL_NULLS.match(place):
                assert unknown.get(place), f"{shape} {kind}: {place} is null with no reason"
        assert all(isinstance(r, str) and r and "\n" not in r for r in unknown.values())
        assert summary["as_of"] == "2026-10-31", kind
    team, review, plan = made["team_review"], made["performance_review"], made["planning"]
    if not tables.has("quotas"):
        assert team["commission_total"] is None  # was 0.0
        assert "quotas" in team["unknown"]["commission_total"]
        assert "quotas" in team["unknown"]["attainment_qtd_median"]
        assert team["capacity"]["target"] is None and team["capacity"]["gap"] is None
        assert review["payable"] is None and "quotas" in review["unknown"]["payable"]
        assert set(review["attainment"].values()) == {None}
        assert "`quotas` table" in review["unknown"]["percentiles.Quota attainment"]
    else:
        assert isinstance(team["commission_total"], float)
    if not tables.has("reps.hire_date"):
        assert team["capacity"]["ramping"] is None  # was 0.0
        assert "reps.hire_date" in team["unknown"]["capacity.ramping"]
    else:
        assert isinstance(team["capacity"]["ramping"], float)
    assert (
        plan["target_basis"] == "forecast" and "because the plan states no" in plan["target_from"]
    )
