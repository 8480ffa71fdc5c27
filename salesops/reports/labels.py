"""What a reader sees instead of a column name: one mapping from the names that the
package's frames use to human labels, and the kind (unit) each is shown in.

A name that is not listed reads as a sentence (``days_past_close`` → "Days past
close", ``made after`` → "Made after"), so a new column never reaches a page in
snake_case; list it here when the
sentence is not what a sales-ops reader calls it, or to give it a unit.

>>> label("win_rate"), kind("win_rate")
('Win rate', 'pct')
>>> label("days_since_change"), label("commission"), label("Quinn Jensen")
('Days since change', 'Commission', 'Quinn Jensen')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

from salesops.data.model import TABLES

# name: (label, kind); kind is a salesops.reports.formatting.FORMATTERS key, or None for text
LABELS: dict[str, tuple[str, str | None]] = {
    "opportunity_id": ("Deal", None),
    "owner_id": ("Owner", None),
    "rep_id": ("Rep", None),
    "name": ("Name", None),
    "kpi": ("", None),
    "month": ("Month", None),
    "amount": ("Amount", "money"),
    "bookings": ("Bookings", "money"),
    "bookings_qtd": ("Bookings, quarter to date", "money"),
    "deals_won_qtd": ("Deals won, quarter to date", "number"),
    "attainment": ("Attainment", "pct"),
    "attainment_qtd": ("Attainment, quarter to date", "pct"),
    "quota": ("Quota", "money"),
    "win_rate": ("Win rate", "pct"),
    "win_probability": ("Win probability", "pct"),
    "stage_probability": ("Stage probability", "pct"),
    "calibrated": ("Calibrated probability", "pct"),
    "expected": ("Expected value", "money"),
    "average_deal_size": ("Average deal size", "money"),
    "cycle_days": ("Sales cycle", "days"),
    "open_pipeline": ("Open pipeline", "money"),
    "unpriced": ("Deals without an amount", "number"),
    "median_hours": ("Median response", "hours"),
    "p90_hours": ("90th percentile response", "hours"),
    "within_1h": ("Answered within 1 h", "pct"),
    "within_24h": ("Answered within 24 h", "pct"),
    "close_date": ("Close date", None),
    "days_pushed": ("Days pushed", "days"),
    "slipped_out": ("Slipped out", None),
    "lower_80": ("80% interval, low", "money"),
    "upper_80": ("80% interval, high", "money"),
    "lower_95": ("95% interval, low", "money"),
    "upper_95": ("95% interval, high", "money"),
    "last_12_months": ("Last 12 months", "money"),
    "next_12_months": ("Next 12 months", "money"),
    "next_quarter": ("Next quarter", "money"),
    "ramped_rep_months": ("Ramped rep-months", "decimal"),
    "comp_plan": ("Commission plan", None),
    "vs_previous": ("Against the previous period", "change"),
    "vs_last_year": ("Against last year", "change"),
    "mase": ("MASE", "decimal"),
    "wape": ("WAPE", "pct"),
    "mape": ("MAPE", "pct"),
    "bias": ("Bias", "change"),
    "velocity": ("Sales velocity (per day)", "money"),
    "coverage": ("Pipeline coverage", "ratio"),
    "conversion": ("Conversion", "pct"),
    "deals": ("Deals", "number"),
    "weighted": ("Weighted", "money"),
    "forecast": ("Forecast", "money"),
    "actual": ("Actual", "money"),
    "accuracy": ("Accuracy", "pct"),
    "target": ("Target", "money"),
    "gap": ("Gap", "money"),
    "capacity": ("Capacity", "money"),
    "current_reps": ("Capacity of current reps", "money"),
    "new_hires": ("Capacity of new hires", "money"),
    "commission": ("Commission", "money"),
    "accounts": ("Accounts", "number"),
    "minutes": ("Minutes", "number"),
    "share": ("Share", "pct"),
}
IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
PHRASE = re.compile(r"^[a-z][a-z0-9 ,()-]*$")  # "made after", "stage default"


def label(name: object) -> str:
    """The human label of a column or row name (its own text when it is not a name)."""
    if isinstance(name, str) and name in LABELS:
        return LABELS[name][0]
    if isinstance(name, str) and (IDENTIFIER.match(name) or PHRASE.match(name)):
        text = name.replace("_", " ")
        return text[0].upper() + text[1:]
    return "–" if _missing(name) else str(name)


def kind(name: object) -> str | None:
    """The kind a column is shown in when its view does not say, or None."""
    return LABELS[name][1] if isinstance(name, str) and name in LABELS else None


def kinds(names: Iterable[str], given: Mapping[str, str] | None = None) -> dict[str, str]:
    """The kind of each of ``names``, in their order: ``given``'s where LABELS has none
    or the report shows it otherwise, else LABELS'; for a view whose ``rows`` need a kind
    each (KPIs as rows), which do not fall back to LABELS as columns do.

    >>> kinds(["quota", "headcount"], {"headcount": "number"})
    {'quota': 'money', 'headcount': 'number'}

    Raises
    ------
    ValueError
        When ``given`` restates the kind LABELS gives a name (one home per fact), or a
        name has a kind in neither.
    """
    given = dict(given or {})
    restated = sorted(n for n, k in given.items() if kind(n) == k)
    if restated:
        raise ValueError(f"{', '.join(restated)}: the kind salesops.reports.labels.LABELS gives")
    found = {name: given.get(name) or kind(name) for name in names}
    unknown = [name for name, k in found.items() if k is None]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: no kind given, and none in LABELS")
    return {name: str(k) for name, k in found.items()}


# Row names that are values of the CRM's data: a deal, a rep, a stage, a product, a
# lead source... (every column of the data model, and "rep" for a person's name).
DATA_NAMES = frozenset({c for t in TABLES.values() for c in t.column_names} | {"rep", "deal"})
NOT_RECORDED = "(not recorded)"


def of_data(name: object) -> bool:
    """Whether rows named ``name`` (an index's name, ``lead source`` or ``lead_source``)
    hold values of the CRM's data, which are shown as the CRM has them, never relabelled
    (a deal id ``a06df170…`` stays lowercase, a product ``bed_bath_table`` keeps its
    underscores).

    >>> of_data("lead source"), of_data("stage"), of_data("kpi"), of_data(None)
    (True, True, False, False)
    """
    return isinstance(name, str) and name.lower().replace(" ", "_") in DATA_NAMES


def total_row(names: Iterable[object], label: str) -> str:
    """The name of a total row below rows named ``names`` (values of the CRM's data, a
    region say): ``label``, unless a row of the data bears it, so that the total never
    overwrites a real row (HubSpot's and Salesforce's one region is often "Company").

    >>> total_row(["East", "West"], "Company total"), total_row(["Company total"], "Company total")
    ('Company total', 'Company total, all regions')
    """
    taken, n = {str(name) for name in names}, 1
    out = label
    while out in taken:  # a region named like the total: say which row is the total
        out = f"{label}, all regions" if n == 1 else f"{label}, all regions ({n})"
        n += 1
    return out


def rep_names(reps: pd.DataFrame, ids: pd.Series) -> pd.Series:
    """The reps' names for ``ids`` (owner or rep ids), as the ``reps`` table has them (its
    first row per id with a name); an id without a name there stays the id, never blank:
    the one rule of every table that shows an owner (a report's, the dashboard's).

    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Alice Able", None]})
    >>> rep_names(reps, pd.Series(["R1", "R2", "R9"])).tolist()
    ['Alice Able', 'R2', 'R9']
    """
    named = reps.dropna(subset=["name"]).drop_duplicates("rep_id")
    return ids.map(named.set_index("rep_id")["name"]).fillna(ids).rename("owner")


def data_value(value: object) -> str:
    """A value of the CRM's data as a row name: as it is, or "(not recorded)"."""
    return NOT_RECORDED if _missing(value) else str(value)


def yes_no(value: object) -> object:
    """``True``/``False`` as "Yes"/"No" (anything else as it is)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
