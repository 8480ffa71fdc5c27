"""Who receives what: the documented recipient rules."""

from __future__ import annotations

from datetime import date

import pandas as pd

from salesops.batch.plan import DeliveryConfig
from salesops.delivery.recipients import Person, parcels


def test_recipients_follow_the_documented_rules():
    config = DeliveryConfig(sender="s@example.com", copy_managers=True)

    def person(pid, region, manager=None, role="rep", email=True, end=None):
        address = f"{pid.lower()}@example.com" if email else None
        return Person(
            pid, f"Name {pid}", address, region, role=role, manager_id=manager, end_date=end
        )

    everyone = {
        p.id: p
        for p in [
            person("M1", "East", role="manager"),
            person("M2", "West", role="manager", end=pd.Timestamp("2026-01-31")),  # left
            person("R1", "East", "M1"),
            person("R2", "West", "M2"),
            person("R3", "North", "M1", email=False),
            Person(
                "R4",
                "Name R4",
                "r1@example.com",
                "East",
                role="rep",
                manager_id="M1",
                end_date=None,
            ),  # shared
        ]
    }
    reports = [
        ("performance_review", "rep:R1"),
        ("performance_review", "rep:R2"),
        ("performance_review", "rep:R9"),
        ("team_review", "region:East"),
        ("team_review", "region:West"),
        ("team_review", "region:North"),
        ("team_review", "region:South"),
    ]
    got = {
        (p.report, p.scope, p.person or p.name, p.why): p.problem or p.left
        for p in parcels(config, reports, everyone, date(2026, 10, 5))
    }
    shared = "r1@example.com is shared by 2 people in reps"
    assert got == {
        ("performance_review", "rep:R1", "R1", "own"): shared,
        ("performance_review", "rep:R1", "M1", "copy"): None,
        ("performance_review", "rep:R2", "R2", "own"): None,
        ("performance_review", "rep:R2", "M2", "copy"): "2026-01-31",
        ("performance_review", "rep:R9", "rep:R9", "own"): "not in reps",
        ("team_review", "region:East", "M1", "team"): None,
        ("team_review", "region:West", "M2", "team"): "2026-01-31",
        ("team_review", "region:West", "manager of West", "team"): (
            "no current manager leads this region"
        ),
        ("team_review", "region:North", "M1", "team"): None,  # R3 reports to M1 from North
        ("team_review", "region:South", "manager of South", "team"): (
            "no current manager leads this region"
        ),
    }
