"""SQL text: a name or a value from a CRM is always quoted, never SQL."""

from __future__ import annotations

import duckdb

from salesops.data.sql import ident, literal, quote


def test_names_and_values_are_quoted_by_doubling_their_quotes():
    assert quote('Deal "Stage"') == '"Deal ""Stage"""'
    assert ident("crm.deals") == '"crm"."deals"'
    assert literal("O'Brien") == "'O''Brien'"


def test_a_hostile_name_and_value_round_trip_through_duckdb():
    name, value = 'x"; DROP TABLE t; --', "'); DROP TABLE t; --"
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE t (a INTEGER)")
    con.execute(f"CREATE TABLE {quote(name)} AS SELECT {literal(value)} AS {quote(name)}")
    assert con.execute(f"SELECT {quote(name)} FROM {ident(name)}").fetchall() == [(value,)]
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(0,)]  # t is still there
