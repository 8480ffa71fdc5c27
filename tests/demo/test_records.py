"""What the demo's reps log around their deals (salesops.demo.records): leads, activities,
quotas and forecast submissions of one small chunk (2 seats, a year to 31 Oct 2026),
checked against its people and deals."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops.data.stages import Stages
from salesops.demo import deals, records
from salesops.demo.database import Chunk, DemoConfig
from salesops.demo.organisation import ACTIVITY_KINDS, Organisation, people

CONFIG = DemoConfig(reps=2, opportunities=60, years=1, chunk_seats=2)
AS_OF = pd.Timestamp(CONFIG.as_of)


@pytest.fixture(scope="module")
def made() -> tuple[Chunk, pd.DataFrame, pd.DataFrame]:
    org = Organisation(CONFIG)
    chunk = Chunk(org, org.chunks()[0], Stages.read())
    staff = people(chunk)
    opps, _ = deals.deals(chunk, staff)
    return chunk, staff, opps


def test_each_inbound_deal_has_the_lead_it_came_from(made):
    chunk, staff, opps = made
    leads = records.leads(chunk, staff, opps)
    assert leads["lead_id"].is_unique and set(leads["owner_id"]) <= set(staff["rep_id"])
    converted = leads.dropna(subset=["opportunity_id"]).set_index("opportunity_id")
    inbound = opps[opps["lead_source"] != "Outbound"].set_index("opportunity_id")
    assert set(converted.index) == set(inbound.index)
    created = inbound.loc[converted.index, "created_date"]
    # a lead arrives 1 s to 20 days before its deal's day, and converts on that day
    assert (converted["created_at"] < created).all()
    assert (converted["created_at"] >= created - pd.Timedelta(days=20)).all()
    assert (converted["converted_at"].dt.normalize() == created).all()
    answered = leads.dropna(subset=["first_response_at"])
    assert (answered["first_response_at"] >= answered["created_at"]).all()
    assert (leads["created_at"] < AS_OF + pd.Timedelta(days=1)).all()


def test_activities_are_of_the_known_kinds_and_link_only_the_reps_own_deals(made):
    chunk, staff, opps = made
    acts = records.activities(chunk, staff, opps)
    assert acts["activity_id"].is_unique and set(acts["kind"]) <= set(ACTIVITY_KINDS)
    linked = acts.dropna(subset=["opportunity_id"])
    owner = opps.set_index("opportunity_id")["person"]
    rep = staff["rep_id"].to_numpy()[owner.loc[linked["opportunity_id"]].to_numpy()]
    assert (rep == linked["rep_id"].to_numpy()).all()
    assert set(linked["kind"]) <= set(ACTIVITY_KINDS[:4])  # selling kinds only


def test_a_quota_for_every_month_each_rep_holds_the_seat(made):
    """From the first month that starts after hire (or the history's start, 1 Nov 2025) to
    the month of leaving (or the end of 2026), one quota a month, in whole hundreds,
    above 0: someone hired on 16 Jan gets quotas from February."""
    chunk, staff, _ = made
    quotas = records.quotas(chunk, staff)
    start = pd.Timestamp("2025-11-01")
    for _, person in staff.iterrows():
        first = max(person["hire_date"], start)
        last = pd.Timestamp("2026-12-31") if pd.isna(person["end_date"]) else person["end_date"]
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        own = quotas[quotas["rep_id"] == person["rep_id"]]
        assert len(own) == months - (first.day > 1), person["rep_id"]
    assert (quotas["amount"] > 0).all() and (quotas["amount"] % 100 == 0).all()


def test_each_rep_submits_a_commit_and_a_larger_best_case_a_month(made):
    chunk, staff, opps = made
    subs = records.submissions(chunk, staff, opps)
    pairs = subs.pivot_table(
        index=["owner_id", "period"], columns="category", values="amount", aggfunc="sum"
    )
    assert list(pairs.columns) == ["best_case", "commit"]
    assert (pairs["best_case"] >= pairs["commit"]).all()
    assert (subs["period"] <= "2026-10").all()
    assert (subs["submitted_at"].dt.day == 3).all()  # the month's 1st + 2 days + 9 to 16 h
