"""Numbers written as text: one decimal mark and one currency per column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.data.numbers import COMMA, POINT, Format, column_format, read, typed


def numbers(*values: object, known: Format | None = None) -> list[float | None]:
    """The values read, None where not read."""
    read_ = read(pd.Series(values, dtype=object), known).values
    return [None if np.isnan(v) else v for v in read_]


def rules(*values: object, known: Format | None = None) -> list[tuple[str, list[bool]]]:
    found = read(pd.Series(values, dtype=object), known)
    return [(rule, rows.tolist()) for rule, rows in found.rules()]


def test_money_with_a_decimal_point_reads_as_numbers_and_drops_its_symbol():
    read_ = numbers("$10,000.00", "$5,000.50", "$250", None, "")
    assert read_ == [10_000.0, 5_000.5, 250.0, None, None]
    assert numbers("USD 10,000.00", "1,234.5 USD", "USD3.10") == [10_000.0, 1_234.5, 3.1]
    assert numbers("US$10,000.00", "£3.10") == [None, None]  # two currencies (below)
    found = read(pd.Series(["$10,000.00", "$5,000.50"]))
    assert found.format == Format(POINT, (("$", 2),), "$10,000.00")
    assert found.rules() == []


def test_money_with_a_decimal_comma_reads_in_that_convention():
    assert numbers("€1.234,50", "10.000,00 €", "€ 12,5", "7") == [1_234.5, 10_000.0, 12.5, 7.0]
    assert numbers("EUR 1.234,50", "12,5 EUR") == [1_234.5, 12.5]
    assert read(pd.Series(["€1.234,50", "12,5"])).format.mark == COMMA


def test_spaces_between_thousands_no_break_ones_too():
    values = ("10 000,00 €", "1\u00a0234,50 €", "2\u202f000\u202f000,00 €", "1 234,5\u00a0€")
    assert numbers(*values) == [10_000.0, 1_234.5, 2_000_000.0, 1_234.5]
    assert numbers("$1 234.50", "$10\u202f000.00") == [1_234.5, 10_000.0]


def test_negatives_by_a_minus_or_accounting_parentheses():
    values = ("(1,234.00)", "-$5.00", "$-7.25", "-1,000.50", "($2,500.00)", "\u22123.5")
    assert numbers(*values) == [-1_234.0, -5.0, -7.25, -1_000.5, -2_500.0, -3.5]
    assert numbers("(1.234,00 €)", "-12,5 €") == [-1_234.0, -12.5]


def test_plain_numbers_read_as_pandas_reads_them():
    plain = ("10000", "10000.5", "1e6", "-0.0", ".5", "+3", "inf")
    assert numbers(*plain) == pd.to_numeric(pd.Series(plain)).tolist()
    assert read(pd.Series(plain)).format.example is None  # nothing to say of them


def test_a_column_of_groups_alone_is_ambiguous_and_not_read():
    """Only "1,234" and "2,500": a thousand and more, or one and a bit? Nothing tells."""
    found = read(pd.Series(["1,234", "2,500", "100", None]))
    assert found.values.isna().all()
    [(rule, rows)] = found.rules()
    assert rule.startswith('could be read with either decimal mark: no value tells whether "1,234"')
    assert rows.tolist() == [True, True, True, False]  # "100" is not read either
    assert read(pd.Series(["1.234", "2.500"])).rules()[0][0].startswith("could be read")


@pytest.mark.parametrize(
    ("tells", "mark", "first"),
    [
        ("1,234.50", POINT, 1_234.0),  # decimals after the thousands
        ("1,234,567", POINT, 1_234.0),  # two groups
        ("0.5", POINT, 1_234.0),  # a decimal point with other than 3 digits after it
        ("12,5", COMMA, 1.234),  # a decimal comma with other than 3 digits after it
        ("1.234,50", COMMA, 1.234),
    ],
)
def test_one_value_tells_the_decimal_mark_of_the_whole_column(tells, mark, first):
    found = read(pd.Series(["1,234", "2,500", tells]))
    assert found.format.mark == mark and found.rules() == []
    assert found.values.iloc[0] == first


def test_a_value_written_in_the_other_convention_is_named_not_guessed():
    found = read(pd.Series(["1,234.50", "2,000.00", "12,5", "50k"]))
    assert found.values.tolist()[:2] == [1_234.5, 2_000.0]
    assert found.values.iloc[2:].isna().all()
    assert [(r, m.tolist()) for r, m in found.rules()] == [
        (
            "must be written with the column's one decimal mark, a decimal point (1,234.50), "
            'not as "12,5"',
            [False, False, True, False],
        )
    ]  # "50k" is no number at all: validation says "must be a number"


def test_a_column_of_more_than_one_currency_is_not_read_and_names_them():
    found = read(pd.Series(["$10.00", "€5,00", "$20.00", "7", None]))
    assert found.values.isna().all()
    [(rule, rows)] = found.rules()
    assert rule.startswith('holds amounts in more than one currency ("$" (2 rows), "€" (1 row))')
    assert rows.tolist() == [True, True, True, True, False]
    assert rules("USD 1.00", "EUR 2.00")[0][0].startswith(
        'holds amounts in more than one currency ("EUR" (1 row), "USD" (1 row))'
    )


def test_a_part_of_a_column_is_read_with_the_whole_columns_format():
    """A region's rows may hold only "1,234" (the whole column has "12,5") or only dollars
    (the whole column has euros too)."""
    assert numbers("1,234", known=Format(COMMA)) == [1.234]
    assert numbers("1,234", known=Format(POINT)) == [1_234.0]
    mixed = Format(None, (("$", 3), ("€", 2)), "$1.00")
    assert rules("$1,234.00", known=mixed)[0][0].startswith(
        'holds amounts in more than one currency ("$" (3 rows), "€" (2 rows))'
    )
    whole = column_format(pd.Series(["1,234", "12,5"]), pd.Series([40, 1]))
    assert whole == Format(COMMA, (), "1,234")


def test_numbers_typed_by_the_engine_or_among_text_are_taken_as_they_are():
    value, said = typed(pd.Series([1.5, None, 3.0]))
    assert value.tolist()[0] == 1.5 and said == []
    assert numbers(10_000.0, "$5,000.00", 7) == [10_000.0, 5_000.0, 7.0]


def test_the_note_says_what_was_read():
    assert Format(POINT, (("$", 9),), "$10,000.00").note("opportunities.amount") == (
        'opportunities.amount is written as money ("$10,000.00"): read as numbers with a '
        "decimal point, $ dropped (no conversion)"
    )
    assert Format(COMMA, (), "1.234,50").note("quotas.amount") == (
        'quotas.amount is written as text ("1.234,50"): read as numbers with a decimal comma'
    )
    assert Format(POINT).note("quotas.amount") is None  # plain numbers
