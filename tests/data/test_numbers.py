"""Numbers written as text: one decimal mark and one currency per column."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TINY, validate_cli

from salesops.analytics import metrics
from salesops.data.numbers import COMMA, POINT, Format, column_format, read, typed
from salesops.data.sources import load
from salesops.data.stages import Stages
from salesops.errors import DataError

STAGES = Stages.read()


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


def test_money_with_one_mark_before_three_digits_reads_it_between_thousands():
    """Only "$10,000" and "$5,000": refused as ambiguous (thousands, or ten dollars?), the
    most common way to write an amount was not read at all. Money is not written to three
    decimals: the mark is between thousands, a comma or a point alike."""
    dollars = read(pd.Series(["$10,000", "$5,000", "$950", None]))
    assert dollars.values.tolist()[:3] == [10_000, 5_000, 950] and dollars.rules() == []
    assert dollars.format.mark == POINT
    euros = read(pd.Series(["10.000 €", "5.000 €"]))
    assert euros.values.tolist() == [10_000, 5_000] and euros.format.mark == COMMA
    assert read(pd.Series(["1,234", "2,500"])).values.tolist() == [1_234, 2_500]


def test_a_column_whose_marks_disagree_is_ambiguous_and_not_read():
    """ "10,000" and "10.000": one of them is ten thousand, the other ten, and nothing tells
    which; plain decimals ("1.234") are no money, and read as thousands by no rule."""
    found = read(pd.Series(["10,000", "10.000", "100", None]))
    assert found.values.isna().all()
    [(rule, rows)] = found.rules()
    assert rule.startswith(
        'could be read with either decimal mark: no value tells whether "10,000"'
    )
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


# -- through a load: an export whose amounts are written as money -----------------------


SWAP = str.maketrans(",.", ".,")  # 1,234.50 as 1.234,50


def written(folder: Path, table: str, column: str, how: Callable[[float], str]) -> None:
    """Write ``folder``'s ``table.column`` as ``how`` writes each number of the tiny CRM's
    (empty cells stay)."""
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    plain = pd.read_csv(TINY / f"{table}.csv", dtype=str, keep_default_na=False)[column]
    filled = plain != ""
    frame.loc[filled, column] = plain[filled].astype(float).map(how)
    frame.to_csv(path, index=False)


def money_copy(target: Path, how: Callable[[float], str]) -> Path:
    """The tiny CRM with every amount written by ``how``."""
    folder = Path(shutil.copytree(TINY, target))
    for table in ("opportunities", "opportunity_history", "quotas", "forecast_submissions"):
        written(folder, table, "amount", how)
    return folder


def same_numbers(folder: Path, scope: str = "company") -> None:
    """``folder`` loads as the tiny CRM of plain numbers does: the same amounts, bookings."""
    read, plain = load(folder, scope=scope), load(TINY, scope=scope)
    for table in ("opportunities", "opportunity_history", "quotas", "forecast_submissions"):
        got, want = getattr(read, table)["amount"], getattr(plain, table)["amount"]
        pd.testing.assert_series_equal(got, want, check_names=False)
    for quarter in ("2026-Q3", "2026-Q4"):
        won = metrics.bookings(read.opportunities, quarter, stages=read.stages)
        assert won == metrics.bookings(plain.opportunities, quarter, stages=plain.stages)


def test_an_export_of_amounts_written_as_money_loads_as_plain_numbers(tmp_path, capsys):
    """Every amount written "$10,000.00": the same deals, quotas and bookings as the
    export of plain numbers (Q3 by hand: O1 10,000 + O4 8,000 + O5 50,000), and validate
    says how the column was read."""
    folder = money_copy(tmp_path / "crm", "${:,.2f}".format)
    assert pd.read_csv(folder / "opportunities.csv")["amount"][0] == "$10,000.00"
    same_numbers(folder)
    assert metrics.bookings(load(folder).opportunities, "2026-Q3", stages=STAGES) == 68_000
    code, out = validate_cli(folder, capsys)
    assert code == 0
    assert (
        'opportunities.amount is written as money ("$10,000.00"): read as numbers with a '
        "decimal point, $ dropped (no conversion)"
    ) in out


def test_an_export_of_decimal_commas_and_spaces_between_thousands_loads_alike(tmp_path):
    def euros(amount: float) -> str:  # 10 000,00 € (a narrow no-break space, as Excel's)
        return f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",") + "\u00a0€"

    same_numbers(money_copy(tmp_path / "crm", euros))


def test_a_regions_rows_are_read_with_the_whole_columns_decimal_mark(tmp_path):
    """East's amounts alone ("10.000 €", ...) do not tell a point between thousands from a
    decimal point; West's "50.000,00 €" does, for the whole column: East's read 10,000."""
    folder = money_copy(tmp_path / "crm", lambda v: f"{v:,.2f} €".translate(SWAP))
    written(folder, "opportunities", "amount", lambda v: f"{v:,.0f} €".translate(SWAP))
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    assert deals["amount"].tolist()[:2] == ["10.000 €", "5.000 €"]
    deals.loc[deals["opportunity_id"] == "O5", "amount"] = "50.000,00 €"
    deals.to_csv(folder / "opportunities.csv", index=False)
    same_numbers(folder, scope="region:East")
    same_numbers(folder, scope="rep:R1")


def test_an_export_of_amounts_in_two_currencies_is_refused_naming_them(tmp_path, capsys):
    """Dollars and euros summed would be a number in no currency: the column is not read,
    and validate names both currencies, with their rows, and exits 1."""
    folder = money_copy(tmp_path / "crm", "${:,.2f}".format)
    edit = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    edit.loc[edit["region"] == "West", "amount"] = "€1.000,00"
    edit.to_csv(folder / "opportunities.csv", index=False)
    code, out = validate_cli(folder, capsys)
    assert code == 1
    assert (
        'opportunities.amount: holds amounts in more than one currency ("$" (5 rows), "€" '
        "(5 rows)): not read, as their sum would add one currency to another; convert them "
        "to one, or map a column that holds one: 10 rows (e.g. O1, O2, O3, O4, O5)"
    ) in out
    with pytest.raises(DataError, match="more than one currency"):  # East alone: dollars only
        load(folder, scope="region:East")
