"""Bookings per group where unknown is not zero: a sum of the priced won deals, $0 without a
won deal, unknown when no won deal has an amount or before the data's first close."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics import bookings as bk
from salesops.analytics import gaps
from salesops.data.stages import Stages

STAGES = Stages.read()
Q4 = (pd.Timestamp("2026-10-01"), pd.Timestamp("2027-01-01"))


def _deals() -> pd.DataFrame:
    """A won 100 and a deal without an amount in Q4; B won two deals, neither priced; C
    lost one; D owns only an open deal. The first close is C's loss in September."""
    rows = [
        ("A", "Closed Won", 100.0, "2026-10-05"),
        ("A", "Closed Won", np.nan, "2026-11-05"),
        ("B", "Closed Won", np.nan, "2026-10-20"),
        ("B", "Closed Won", np.nan, "2026-12-01"),
        ("C", "Closed Lost", 50.0, "2026-09-10"),
        ("D", "Proposal", 70.0, "2026-12-20"),
    ]
    frame = pd.DataFrame(rows, columns=["owner_id", "stage", "amount", "close_date"])
    return frame.assign(close_date=pd.to_datetime(frame["close_date"]))


def test_a_groups_bookings_are_its_priced_wins_zero_without_a_win_unknown_without_amounts():
    got = bk.per_group(_deals(), Q4, ["A", "B", "C", "D"], stages=STAGES)
    # A: 100 (its unpriced win left out); B: won 2, none priced; C, D: won nothing: $0
    assert got["A"] == 100.0 and got["C"] == 0.0 and got["D"] == 0.0
    assert gaps.why(got["B"]) == "none of the deals won in 01 Oct 2026 to 31 Dec 2026 has an amount"
    assert got.dtype == object  # the Unknown keeps its reason
    # 3 of the 4 deals won in Q4 have no amount: the note beside the sums
    note = bk.left_out(_deals(), Q4, ["A", "B", "C", "D"], stages=STAGES)
    assert note == (
        "3 of 4 deals won in 01 Oct 2026 to 31 Dec 2026 have no amount and are left out "
        "of the sums."
    )
    assert bk.unpriced(_deals(), Q4, ["A"], stages=STAGES) == (1, 2)
    assert bk.left_out(_deals(), Q4, ["C", "D"], stages=STAGES) == ""


def test_a_window_before_the_first_close_is_unknown_for_every_group():
    # the data's first close is C's loss on 10 Sep 2026: a window ending by then is unknown
    summer = (pd.Timestamp("2026-06-01"), pd.Timestamp("2026-09-01"))
    got = bk.per_group(_deals(), summer, ["A", "C"], stages=STAGES)
    why = "01 Jun 2026 to 31 Aug 2026 is before Sep 2026, the month of the first closed deal"
    assert all(gaps.why(v).startswith(why) for v in got)
    assert bk.left_out(_deals(), summer, ["A", "C"], stages=STAGES) == ""  # said by the –
    # a window that reaches the first close speaks for what it holds: a known $0 for A
    august = (pd.Timestamp("2026-08-01"), pd.Timestamp("2026-10-01"))
    assert bk.per_group(_deals(), august, ["A"], stages=STAGES)["A"] == 0.0
    # nothing ever closed: every window is unknown
    open_only = _deals().assign(stage="Proposal")
    got = bk.per_group(open_only, Q4, ["A"], stages=STAGES)
    assert gaps.why(got["A"]) == "no bookings: the source holds no closed deal"
    # a start passed in (a review holds only the rep's rows) wins over the rows' own
    start = gaps.Start(pd.Period("2026-01", "M"), "the month of the first closed deal")
    assert bk.per_group(open_only, Q4, ["A"], stages=STAGES, start=start)["A"] == 0.0
