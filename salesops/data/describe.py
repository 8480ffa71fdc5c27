"""A plain-text overview of what a source holds."""

from __future__ import annotations

import pandas as pd

from salesops.data.model import Tables
from salesops.data.relations import DATE_COLUMNS
from salesops.words import plural


def describe(label: str, tables: Tables, as_of: pd.Timestamp) -> str:
    """Tables with row counts and date ranges, then regions and reps.

    Parameters
    ----------
    label
        Name of the source, for the heading.
    tables
        The loaded tables.
    as_of
        The data's as-of day.
    """
    lines = [f"Source: {label} (data as of {as_of:%Y-%m-%d})", "", "Tables:"]
    for name, frame in tables.items():
        if frame is None:
            lines.append(f"  {name:<22} (not in this source)")
            continue
        dates = frame[DATE_COLUMNS[name]] if name in DATE_COLUMNS else None
        span = ""
        if dates is not None and dates.notna().any():
            span = f"  {dates.min():%Y-%m-%d} .. {dates.max():%Y-%m-%d}"
        lines.append(f"  {name:<22} {_counted(len(frame), 'row')}{span}")
    reps, opps = tables.reps, tables.opportunities
    sellers = reps[reps["rep_id"].isin(opps["owner_id"])]
    active = sellers["end_date"].isna()
    lines += ["", "Regions:"]
    for region, group in opps.groupby("region"):
        in_region = sellers[sellers["region"] == region]
        n_active = int(active[in_region.index].sum())
        lines.append(
            f"  {region:<12} {_counted(len(group), 'deal', 8)}  {n_active:>3} active "
            f"{'rep ' if n_active == 1 else 'reps'} ({len(in_region)} over the history)"
        )
    managers = int((reps["role"] == "manager").sum())
    idle = int((~reps["rep_id"].isin(opps["owner_id"]) & (reps["role"] != "manager")).sum())
    line = f"Reps: {int(active.sum())} active, {int((~active).sum())} left, "
    line += plural(managers, "manager")
    if idle:  # in the people file, but owners of no deal: neither active sellers nor gone
        own = "owns no deal and is" if idle == 1 else "own no deal and are"
        line += f"; {idle:,} of the {len(reps):,} people {own} not counted"
    lines += ["", line]
    if tables.set_aside:  # --on-invalid quarantine: what is not counted above
        lines += ["", "Set aside (rows that break a rule; salesops validate lists why):"]
        lines += [f"  {name:<22} {_counted(len(n), 'row')}" for name, n in tables.set_aside.items()]
    return "\n".join(line.rstrip() for line in lines)


def _counted(n: int, noun: str, width: int = 10) -> str:
    """``n`` right-aligned in ``width`` and ``noun``, plural unless ``n`` is 1, padded to
    the plural's width so that the columns after it stay aligned."""
    return f"{n:>{width},} {noun if n == 1 else noun + 's':<{len(noun) + 1}}"
