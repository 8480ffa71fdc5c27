"""Who sold, and when: the people who sell, the reps employed in a window, and the deals
active in one, the one rule that the team review, peers, capacity, a plan's ``rep:*`` and
``region:*`` and the dashboard's pickers share."""

from __future__ import annotations

import pandas as pd


def sellers(reps: pd.DataFrame) -> pd.DataFrame:
    """The people of ``reps`` who sell: role ``rep``, or no role (managers do not)."""
    return reps[reps["role"].fillna("rep") == "rep"]


def active_reps(
    reps: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp] | None = None
) -> pd.DataFrame:
    """The sellers among ``reps`` (role ``rep``, or no role) who are active: still employed
    (no ``end_date``) without a ``window``; with a ``window`` ``[start, end)``, employed at
    some point of it (hired before its end, not left before its start).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["M", "A", "B"], "role": ["manager", None, "rep"],
    ...     "hire_date": pd.to_datetime(["2020-01-01", "2021-01-01", "2021-01-01"]),
    ...     "end_date": pd.to_datetime([None, None, "2026-08-15"])})
    >>> list(active_reps(reps)["rep_id"])
    ['A']
    >>> list(active_reps(reps, (pd.Timestamp("2026-08-01"), pd.Timestamp("2026-09-01")))["rep_id"])
    ['A', 'B']
    """
    selling = sellers(reps)
    if window is None:
        return selling[selling["end_date"].isna()]
    start, end = window
    hired = selling["hire_date"].isna() | (selling["hire_date"] < end)
    return selling[hired & (selling["end_date"].isna() | (selling["end_date"] >= start))]


def active_deals(
    opportunities: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    open_names: list[str],
) -> pd.Series:
    """Which deals were active in ``window`` ``[start, end)``: created before its end (or
    on an unknown day), and still open (a stage of ``open_names``) or closed on or after
    its start. Their owners sold in the window.

    Examples
    --------
    >>> deals = pd.DataFrame({"stage": ["Won", "Won", "Open", "Open"],
    ...     "created_date": pd.to_datetime(["2026-01-05", "2026-06-01", "2026-09-01", None]),
    ...     "close_date": pd.to_datetime(["2026-02-01", "2026-08-10", None, None])})
    >>> window = (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-01"))
    >>> list(active_deals(deals, window, ["Open"]))
    [False, True, False, True]
    """
    start, end = window
    o = opportunities
    created = o["created_date"].isna() | (o["created_date"] < end)
    return created & (o["stage"].isin(open_names) | (o["close_date"] >= start))


# A fan-out over reps or regions (`rep:*`, `region:*` of a batch plan, the dashboard's rep
# picker) lists those with a deal active in the 12 months to the period's end: a person or
# a region whose deals are all older, or later, would get a report with nothing in it that
# still looks finished.
ACTIVE_MONTHS = 12


def active_in(
    opportunities: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    open_names: list[str],
    column: str = "owner_id",
) -> set[str]:
    """The values of ``column`` (``owner_id``: the reps; ``region``: the regions) of the
    deals active in ``window`` (:func:`active_deals`): who or where sold in it.

    Examples
    --------
    >>> deals = pd.DataFrame({"owner_id": ["A", "B"], "region": ["East", "West"],
    ...     "stage": ["Won", "Won"], "created_date": pd.to_datetime(["2024-01-05", "2026-06-01"]),
    ...     "close_date": pd.to_datetime(["2024-02-01", "2026-08-10"])})
    >>> window = (pd.Timestamp("2025-09-01"), pd.Timestamp("2026-09-01"))
    >>> active_in(deals, window, ["Open"]), active_in(deals, window, ["Open"], "region")
    ({'B'}, {'West'})
    """
    active = active_deals(opportunities, window, open_names)
    return set(opportunities.loc[active, column].dropna().astype(str))
