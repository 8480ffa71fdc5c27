"""Errors for people (:mod:`salesops.errors`): how a broken rule and a data error read."""

from __future__ import annotations

import pytest

from salesops.errors import ConfigError, DataError, RuleFailure, SalesopsError


def test_an_id_holding_a_comma_is_quoted_among_the_examples():
    """The CRM and Sales Pipelines export names its deals by organization: the list read
    "Skaboo, Kovacek, Hermiston and McCullough, Yozio", four ids or three."""
    ids = ("Skaboo", "Kovacek, Hermiston and McCullough", "Yozio")
    failure = RuleFailure("opportunities", "close_date", "must not be empty", 3, examples=ids)
    assert str(failure) == (
        "opportunities.close_date: must not be empty: 3 rows "
        '(e.g. Skaboo, "Kovacek, Hermiston and McCullough", Yozio)'
    )


def test_a_rule_broken_by_rows_names_how_many_and_a_few_ids():
    failure = RuleFailure("opportunities", "amount", "must be >= 0", 1, examples=("O7",))
    assert str(failure) == "opportunities.amount: must be >= 0: 1 row (e.g. O7)"
    many = RuleFailure(
        "opportunities", "amount", "must be >= 0", 1234, examples=tuple(f"O{i}" for i in range(7))
    )
    # five of the seven ids; the count with a thousands separator
    assert str(many) == "opportunities.amount: must be >= 0: 1,234 rows (e.g. O0, O1, O2, O3, O4)"
    bare = RuleFailure("reps", "rep_id", "must be unique", 2)
    assert str(bare) == "reps.rep_id: must be unique: 2 rows"


def test_a_rule_broken_by_one_value_leads_with_it():
    failure = RuleFailure(
        "opportunities", "stage", "is not a stage of stages.yml", 3, examples=("O1", "O2"),
        value="Won (old)",
    )  # fmt: skip
    assert str(failure) == (
        'opportunities.stage: stage "Won (old)" (3 rows) is not a stage of stages.yml (e.g. O1, O2)'
    )


def test_a_rule_about_the_tables_shape_names_what_was_found():
    failure = RuleFailure("-", "-", "needs a table of deals", 0, examples=tuple("abcdef"))
    assert str(failure) == "-.-: needs a table of deals (found: a, b, c, d, e, ...)"
    assert str(RuleFailure("reps", "-", "is empty", 0)) == "reps.-: is empty"


def test_rows_are_kept_for_setting_aside_but_not_compared_or_shown():
    a = RuleFailure("t", "c", "r", 1, examples=("x",), rows=(4,))
    b = RuleFailure("t", "c", "r", 1, examples=("x",), rows=(9,))
    assert a == b and a.rows == (4,) and "rows=" not in repr(a)


def test_a_data_error_reports_every_failure_and_gives_one_line_reasons():
    failures = [
        RuleFailure("quotas", "amount", "rep R7 needs a positive quota", 1, examples=("2026-10",)),
        RuleFailure("reps", "-", "is empty", 0),
    ]
    error = DataError(failures, source="crm/")
    assert isinstance(error, SalesopsError) and error.failures == failures
    assert (
        str(error)
        == error.report()
        == (
            "2 data rule(s) failed in crm/:\n"
            "  - quotas.amount: rep R7 needs a positive quota: 1 row (e.g. 2026-10)\n"
            "  - reps.-: is empty"
        )
    )
    assert error.reason() == "rep R7 needs a positive quota (2026-10); is empty"
    assert DataError([]).report() == "0 data rule(s) failed:"


def test_a_config_error_is_a_salesops_error():
    with pytest.raises(SalesopsError, match="bad plan"):
        raise ConfigError("bad plan")
