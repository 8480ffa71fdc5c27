"""The demo database's tables and columns, and how each chunk numbers its ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salesops.demo.organisation import Organisation

SCHEMA = {
    "reps": "rep_id VARCHAR, name VARCHAR, region VARCHAR, manager_id VARCHAR, role VARCHAR, "
    "email VARCHAR, hire_date DATE, end_date DATE",
    "opportunities": "opportunity_id VARCHAR, account_id VARCHAR, owner_id VARCHAR, "
    "region VARCHAR, segment VARCHAR, product VARCHAR, lead_source VARCHAR, created_date DATE, "
    "close_date DATE, stage VARCHAR, amount DOUBLE, forecast_category VARCHAR",
    "opportunity_history": "opportunity_id VARCHAR, changed_at TIMESTAMP, stage VARCHAR, "
    "amount DOUBLE, close_date DATE, forecast_category VARCHAR",
    "quotas": "rep_id VARCHAR, month DATE, amount DOUBLE",
    "leads": "lead_id VARCHAR, created_at TIMESTAMP, source VARCHAR, owner_id VARCHAR, "
    "first_response_at TIMESTAMP, converted_at TIMESTAMP, opportunity_id VARCHAR",
    "activities": "activity_id VARCHAR, rep_id VARCHAR, started_at TIMESTAMP, kind VARCHAR, "
    "minutes DOUBLE, opportunity_id VARCHAR",
    "forecast_submissions": "owner_id VARCHAR, period VARCHAR, submitted_at TIMESTAMP, "
    "category VARCHAR, amount DOUBLE",
}


def id_base(first_seat: int, org: Organisation) -> int:
    """First id number for a chunk: chunks get disjoint, increasing id ranges."""
    per_seat = org.config.opportunities / max(org.config.reps, 1) * 2.5 + 200
    return int(first_seat * per_seat)


def columns(table: str) -> tuple[str, ...]:
    """The column names of a demo table, in order."""
    return tuple(part.split()[0] for part in SCHEMA[table].split(", "))
