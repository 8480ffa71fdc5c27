"""What an export's deal amounts mean: an export that prices every lost deal at 0, and won
deals above it, records what a deal booked, not what it was worth (the Maven CRM export's
``close_value``, "revenue from the deal"). A lost deal's amount there is unknown, not $0.

The rule is decided on the whole source, once (:meth:`salesops.data.catalog.Catalog.absent`
holds :data:`LOST_AMOUNTS` when it holds): at least :data:`ZEROED_LOST` lost deals with an
amount, every one of them 0, and a won deal above 0. Each load then blanks the amounts of
its lost deals (:func:`unprice_lost`): the pipeline waterfall's lost step and the pipeline
of past days leave them out and count them beside, as for any deal without an amount,
and ``salesops validate`` says so (:func:`unpriced_lost`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.data import numbers
from salesops.data.model import Tables
from salesops.data.sql import literal
from salesops.data.stages import Stages

# In Tables.absent when the source's amounts of lost deals are not deal values (see above).
LOST_AMOUNTS = "opportunities.amount of lost deals"
ZEROED_LOST = 5  # a few lost deals at 0 may be worth 0; five or more, all at 0, are not


def priced_lost_sql(deals: str, stages: Stages, *, amount: str) -> str | None:
    """One boolean of SQL on ``deals`` (a query of the canonical opportunities): false
    exactly when the source prices its lost deals at 0 only (the module's rule), so that
    :data:`LOST_AMOUNTS` is absent then. ``amount`` is the amount column as a number, in
    the engine's dialect (DuckDB's ``TRY_CAST``: an amount that does not read as a number,
    ``$0.00`` as text, is no zero). None when the stage list has no won or lost stage."""
    if not stages.lost_names or stages.won is None:
        return None
    lost = ", ".join(map(literal, stages.lost_names))
    zeroed = (
        f"(SELECT count({amount}) >= {ZEROED_LOST} AND count({amount}) = "
        f"sum(CASE WHEN {amount} = 0 THEN 1 ELSE 0 END) FROM ({deals}) AS d "
        f"WHERE stage IN ({lost}))"
    )
    won = literal(stages.won)
    won = f"EXISTS (SELECT 1 FROM ({deals}) AS w WHERE stage = {won} AND {amount} > 0)"
    return f"NOT ({zeroed} AND {won})"


def priced_lost(counted: pd.DataFrame, stages: Stages) -> bool:
    """:func:`priced_lost_sql`'s rule on an amount column of text (money, ``$0.00``, which the
    engine does not read as a number), read as validation reads it (one format for the
    whole column: :mod:`salesops.data.numbers`). ``counted`` holds the column's values
    ``v`` as text, with the ``stage`` and the number of deals ``n`` of each.

    >>> counted = pd.DataFrame({"stage": ["Lost", "Won", "Open"],
    ...                         "v": ["$0.00", "$1,234.50", "$10.00"], "n": [5, 1, 2]})
    >>> priced_lost(counted, Stages.from_dict({"stages": [{"name": "Open", "probability": 0.5},
    ...     {"name": "Won", "probability": 1, "closed": True, "won": True},
    ...     {"name": "Lost", "probability": 0, "closed": True}]}))
    False
    """
    if not stages.lost_names or stages.won is None:
        return True
    whole = numbers.column_format(counted["v"], counted["n"])
    amount = numbers.read(counted["v"], whole).values
    lost = counted["stage"].isin(stages.lost_names) & amount.notna()
    zeroed = int(counted.loc[lost, "n"].sum()) >= ZEROED_LOST and bool(amount[lost].eq(0).all())
    return not (zeroed and bool(((counted["stage"] == stages.won) & (amount > 0)).any()))


def unprice_lost(tables: Tables) -> None:
    """Blank, in place, the amounts of ``tables``' lost deals, and of the stage history's
    rows in a lost stage at 0, when the source prices lost deals at 0 only
    (:data:`LOST_AMOUNTS` in ``tables.absent``); nothing otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> stages = Stages.from_dict({"stages": [{"name": "Open", "probability": 0.5},
    ...     {"name": "Won", "probability": 1, "closed": True, "won": True},
    ...     {"name": "Lost", "probability": 0, "closed": True}]})
    >>> deals = pd.DataFrame({"stage": ["Won", "Lost", "Open"], "amount": [5.0, 0.0, 7.0]})
    >>> tables = Tables(deals, pd.DataFrame(), stages=stages, absent=frozenset({LOST_AMOUNTS}))
    >>> unprice_lost(tables)
    >>> tables.opportunities["amount"].tolist()
    [5.0, nan, 7.0]
    """
    if LOST_AMOUNTS not in tables.absent or tables.stages is None:
        return
    lost = tables.stages.lost_names
    deals = tables.opportunities
    tables.opportunities = deals.assign(amount=deals["amount"].mask(deals["stage"].isin(lost)))
    history = tables.opportunity_history
    if history is not None and "amount" in history:
        zeroed = history["stage"].isin(lost) & history["amount"].eq(0)
        if zeroed.any():
            history = history.copy()  # keeps the frame's attributes (sorted by deal)
            history.loc[zeroed, "amount"] = np.nan
            tables.opportunity_history = history


def unpriced_lost(tables: Tables) -> str | None:
    """For ``salesops validate``: the warning for a source whose lost deals are all priced
    at 0 (:func:`unprice_lost` blanked them), or None.

    Examples
    --------
    >>> import pandas as pd
    >>> stages = Stages.from_dict({"stages": [{"name": "Open", "probability": 0.5},
    ...     {"name": "Won", "probability": 1, "closed": True, "won": True},
    ...     {"name": "Lost", "probability": 0, "closed": True}]})
    >>> deals = pd.DataFrame({"stage": ["Won", "Lost", "Lost"], "amount": [5.0, None, None]})
    >>> tables = Tables(deals, pd.DataFrame(), stages=stages, absent=frozenset({LOST_AMOUNTS}))
    >>> print(unpriced_lost(tables))  # doctest: +NORMALIZE_WHITESPACE
    every lost deal has an amount of 0 (2 here) and won deals have theirs: the amount is what
    a deal booked, not what it was worth, so a lost deal's amount is unknown, not $0. The
    pipeline waterfall's lost step and the pipeline of past days leave lost deals out and
    count them beside. If the export keeps a deal's value in another column, map it as
    `amount`
    """
    if LOST_AMOUNTS not in tables.absent or tables.stages is None:
        return None
    count = int(tables.opportunities["stage"].isin(tables.stages.lost_names).sum())
    return (
        f"every lost deal has an amount of 0 ({count:,} here) and won deals have theirs: the "
        "amount is what a deal booked, not what it was worth, so a lost deal's amount is "
        "unknown, not $0. The pipeline waterfall's lost step and the pipeline of past days "
        "leave lost deals out and count them beside. If the export keeps a deal's value in "
        "another column, map it as `amount`"
    )
