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
        lines.append(f"  {name:<22} {len(frame):>10,} rows{span}")
    reps, opps = tables.reps, tables.opportunities
    sellers = reps[reps["rep_id"].isin(opps["owner_id"])]
    active = sellers["end_date"].isna()
    lines += ["", "Regions:"]
    for region, group in opps.groupby("region"):
        in_region = sellers[sellers["region"] == region]
        n_active = int(active[in_region.index].sum())
        lines.append(
            f"  {region:<12} {len(group):>8,} deals  {n_active:>3} active reps "
            f"({len(in_region)} over the history)"
        )
    managers = int((reps["role"] == "manager").sum())
    idle = int((~reps["rep_id"].isin(opps["owner_id"]) & (reps["role"] != "manager")).sum())
    line = f"Reps: {int(active.sum())} active, {int((~active).sum())} left, "
    line += plural(managers, "manager")
    if idle:  # in the people file, but owners of no deal: neither active sellers nor gone
        line += f"; {idle:,} of the {len(reps):,} people own no deal and are not counted"
    lines += ["", line]
    if tables.set_aside:  # --on-invalid quarantine: what is not counted above
        lines += ["", "Set aside (rows that break a rule; salesops validate lists why):"]
        lines += [f"  {name:<22} {len(rows):>10,} rows" for name, rows in tables.set_aside.items()]
    return "\n".join(lines)
