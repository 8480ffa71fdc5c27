"""How the canonical tables relate: which column of a table refers to another's ids, and
which date places a table's rows in time (:mod:`salesops.data.model` has their columns).
"""

from __future__ import annotations

# The date that places each table's rows in time. Quotas are set ahead of the months they
# cover, so only they are kept past a period's end.
DATE_COLUMNS: dict[str, str] = {
    "opportunities": "created_date",
    "opportunity_history": "changed_at",
    "quotas": "month",
    "leads": "created_at",
    "activities": "started_at",
    "forecast_submissions": "submitted_at",
}
SET_IN_ADVANCE = ("quotas",)

# Which column of a table refers to the id of another: (table, referred table) -> column.
# reps.manager_id is left out: a manager may sit outside the loaded scope.
REFERENCES: dict[tuple[str, str], str] = {
    ("opportunities", "reps"): "owner_id",
    ("quotas", "reps"): "rep_id",
    ("leads", "reps"): "owner_id",
    ("activities", "reps"): "rep_id",
    ("forecast_submissions", "reps"): "owner_id",
    ("opportunity_history", "opportunities"): "opportunity_id",
    ("leads", "opportunities"): "opportunity_id",
    ("activities", "opportunities"): "opportunity_id",
}
# The tables of a rep's own rows, by the column that names the rep (deals aside).
REP_TABLES = {t: c for (t, to), c in REFERENCES.items() if to == "reps" and t != "opportunities"}
