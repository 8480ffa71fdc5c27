"""The demo's deals and their stage history (salesops.demo.deals): the arithmetic by hand,
and one small chunk's deals checked against its people."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from salesops.data.stages import Stages
from salesops.demo import deals
from salesops.demo.database import Chunk, DemoConfig
from salesops.demo.organisation import Organisation, people

# Two seats, a year of history to 31 Oct 2026 (from 1 Nov 2025), about 60 deals.
CONFIG = DemoConfig(reps=2, opportunities=60, years=1, chunk_seats=2)


@pytest.fixture(scope="module")
def chunk() -> Chunk:
    org = Organisation(CONFIG)
    return Chunk(org, org.chunks()[0], Stages.read())


def test_calendar_month_is_one_to_twelve():
    when = np.array(["2026-01-15", "2026-12-31", "2025-10-01"], dtype="M8[D]")
    assert deals.calendar_month(when).tolist() == [1, 12, 10]


def test_decreasing_weights_fall_from_2_to_0_6_and_sum_to_one():
    """2, 1.3, 0.6 over their sum 3.9."""
    assert deals.decreasing(3) == pytest.approx([2 / 3.9, 1.3 / 3.9, 0.6 / 3.9])


def test_expected_size_mixes_in_the_neighbouring_segments():
    """SMB in NA-East: 0.95 * 9,000 + 0.05 * 38,000 = 10,450. Mid-Market in LATAM (0.7):
    (0.95 * 38,000 + 0.05 * (9,000 + 140,000) / 2) * 0.7 = 27,877.5. Both times the
    lognormal mean exp(0.3² / 2 + 0.15² / 2) = exp(0.05625)."""
    got = deals.expected_size(np.array([0, 1]), np.array([0, 4]))
    assert got == pytest.approx(np.array([10_450, 27_877.5]) * math.exp(0.05625))


def test_deal_segments_step_only_to_a_neighbour_about_one_time_in_twenty():
    rng = np.random.default_rng(1)
    own = np.repeat([0, 1, 2], 10_000)
    got = deals.deal_segments(rng, own)
    assert set(zip(own, got, strict=True)) <= {
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
        (1, 2),
        (2, 1),
        (2, 2),
    }
    assert 0.04 < (got != own).mean() < 0.06  # OFF_SEGMENT = 0.05; sd 0.0013


def test_intensity_counts_the_days_each_person_held_the_seat_each_month(chunk):
    """Hired 16 Jan 2026, left 10 Mar: January from the 16th (16 days), February (28),
    March to the 10th (10), none of April."""
    person = pd.DataFrame(
        {
            "hire_date": pd.to_datetime(["2026-01-16"]),
            "until": np.array(["2026-03-10"], dtype="M8[D]"),
            "segment": [0],
        }
    )
    months = np.arange(np.datetime64("2026-01"), np.datetime64("2026-05"))
    rate, lo, days = deals.intensity(chunk, person, months)
    assert days.tolist() == [[16, 28, 10, 0]]
    assert lo[0, :3].astype("M8[D]").astype(str).tolist() == [
        "2026-01-16",
        "2026-02-01",
        "2026-03-01",
    ]
    assert rate[0, 3] == 0 and (rate[0, :3] > 0).all()


def test_holder_is_whoever_held_the_seat_then_else_the_fallback(chunk):
    """Seat 0: A from 1 Jan 2024 to 30 Jun 2025, B from 1 Aug 2025. 15 Jul 2025 is
    between them: the fallback (9)."""
    seat_people = pd.DataFrame(
        {
            "seat": [0, 0],
            "hire_date": pd.to_datetime(["2024-01-01", "2025-08-01"]),
            "until": np.array(["2025-06-30", "2026-10-31"], dtype="M8[D]"),
        }
    )
    when = np.array(["2025-03-01", "2025-07-15", "2026-01-01"], dtype="M8[D]")
    got = deals.holder(chunk, seat_people, np.zeros(3, int), when, fallback=[9, 9, 9])
    assert got.tolist() == [0, 9, 1]


def test_a_chunks_deals_belong_to_its_people_and_their_history_ends_in_their_state(chunk):
    staff = people(chunk)
    opps, history = deals.deals(chunk, staff)
    assert opps["opportunity_id"].is_unique and len(opps) > 0
    assert set(opps["owner_id"]) <= set(staff["rep_id"])
    assert (opps["created_date"] <= pd.Timestamp(CONFIG.as_of)).all()
    assert (opps["amount"] > 0).all() and set(opps["stage"]) <= set(chunk.stages.names)
    last = history.sort_values("changed_at").groupby("opportunity_id").last()
    state = opps.set_index("opportunity_id").loc[last.index]
    assert (last["stage"] == state["stage"]).all()
