"""The dashboard's reps and deals (:mod:`salesops.reports.leaderboard`): a rep's share of
the team's bookings and the top open deals, by hand."""

from __future__ import annotations

import re

import pandas as pd
from conftest import once

import salesops as so
from salesops.analytics import gaps
from salesops.data.stages import Stages
from salesops.reports import dashboard
from salesops.reports.dashboard import Dashboard
from salesops.reports.leaderboard import rep_share

STAGES = Stages.read()  # parameters/stages.yml, the demo's


def test_a_reps_share_of_a_team_that_booked_nothing_is_unknown():
    """A lost, B won $0 and C nothing: 0 / 0 is no share (it read 0 for everyone, whose
    forecasts then summed to $0, not the region's)."""
    import pandas as pd

    from salesops.analytics import gaps
    from salesops.reports.leaderboard import rep_share

    deals = pd.DataFrame(
        {
            "owner_id": ["A", "B"],
            "stage": ["Closed Lost", "Closed Won"],
            "amount": [10.0, 0.0],
            "close_date": pd.Timestamp("2026-06-15"),
        }
    )
    window = (pd.Timestamp("2026-01-01"), pd.Timestamp("2027-01-01"))
    team = pd.Index(["A", "B", "C"])
    got = rep_share(deals, window, team, "A", stages=STAGES)
    assert gaps.why(got) == (
        "no seller booked anything in 01 Jan 2026 to 31 Dec 2026, so no rep has a share"
    )
    deals.loc[1, "amount"] = 30.0
    assert rep_share(deals, window, team, "B", stages=STAGES) == 1.0
    assert rep_share(deals, window, team, "C", stages=STAGES) == 0.0


def test_a_top_deal_without_an_amount_has_an_unknown_expected_value(tiny_dir):
    """Dan's (R4's) open O8 has no amount: its expected value read $0, beside an amount
    of "–"; both read "–" with the reason, and it comes last."""
    board = dashboard.top_deals(Dashboard(once(so.load, str(tiny_dir)), "2026-09"))
    row = re.search(r">O8</th>(.*?)</tr>", board, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[3] == cells[5] == "–"
    assert "– stands for what cannot be known: the deal has no amount" in board
    assert board.rindex("</th>") < board.index(">O8</th>") + 10  # the last row


def test_a_reps_share_is_unknown_when_a_sellers_bookings_are():
    """A won 30 and 10 (40), B won a deal without an amount: B's bookings are unknown, so
    A's share is not 40 / 40 = 100%; priced, B's 60 makes A's share 40 / 100."""
    deals = pd.DataFrame(
        {
            "owner_id": ["A", "A", "B"],
            "stage": "Closed Won",
            "amount": [30.0, 10.0, None],
            "close_date": pd.to_datetime(["2026-02-01", "2026-03-01", "2026-03-15"]),
        }
    )
    window = (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01"))
    team = pd.Index(["A", "B"])
    why = gaps.why(rep_share(deals, window, team, "A", stages=STAGES))
    assert why is not None and why.startswith(
        "the bookings of 1 of 2 sellers over 01 Jan 2026 to 31 Mar 2026 are unknown ("
    )
    assert why.endswith("), so no rep's share of them is known")
    deals.loc[2, "amount"] = 60.0
    assert rep_share(deals, window, team, "A", stages=STAGES) == 0.4
