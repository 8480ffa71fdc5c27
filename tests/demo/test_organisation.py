"""The demo's organisation: names unique at any size."""

from __future__ import annotations


def test_names_are_unique_at_any_size(demo_tables):
    from salesops.demo.organisation import name

    reps = [name(i, 42) for i in range(1, 6_000)]  # ids of a 2,000-seat demo
    managers = [name(i, 42, manager=True) for i in range(5)]
    assert len(set(reps + managers)) == len(reps) + len(managers)
    assert demo_tables.reps["email"].is_unique  # and so every address reaches one person
