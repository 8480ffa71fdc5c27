"""Deals in more than one currency (salesops.data.currencies): refused, naming them, unless
the amounts read are converted to one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from conftest import TINY, validate_cli

import salesops as so
from salesops.analytics import metrics


def _with_currencies(tmp_path: Path, codes: list[str], header: str = "CurrencyIsoCode") -> Path:
    """The tiny CRM with each deal's currency in a column, ``codes`` in turn."""
    crm = Path(shutil.copytree(TINY, tmp_path / "crm"))
    deals = pd.read_csv(crm / "opportunities.csv", dtype=str)
    deals[header] = [codes[i % len(codes)] for i in range(len(deals))]
    deals.to_csv(crm / "opportunities.csv", index=False)
    return crm


def test_amounts_in_two_currencies_are_refused_naming_them(tmp_path, capsys):
    """Dollars and euros were summed as one: Q3's bookings read 68,000 of O1's $10,000,
    O4's €8,000 and O5's $50,000. Now validate refuses, naming the currencies and rows."""
    crm = _with_currencies(tmp_path, ["USD", "EUR", "usd "])
    code, out = validate_cli(crm, capsys)
    assert code == 1
    assert (
        'opportunities.amount: is in 2 currencies ("CurrencyIsoCode": USD (7 rows) and EUR '
        "(3 rows)), which cannot be added: map a column of amounts converted to one currency"
    ) in out


def test_one_currency_in_any_case_passes(tmp_path):
    crm = _with_currencies(tmp_path, ["USD", " usd"], header="Deal currency code")
    tables = so.load(str(crm))
    assert metrics.bookings(tables.opportunities, "2026-Q3", stages=tables.stages) == 68_000


def test_amounts_converted_to_one_currency_pass(tmp_path):
    """Salesforce's report has the deal's own currency and "Amount (converted)": mapped as
    the amount, the deals' currencies do not matter."""
    crm = _with_currencies(tmp_path, ["USD", "EUR"])
    deals = pd.read_csv(crm / "opportunities.csv", dtype=str)
    deals = deals.rename(columns={"amount": "Amount (converted)"})
    deals.to_csv(crm / "opportunities.csv", index=False)
    source = tmp_path / "source.yml"
    source.write_text(
        f"name: converted\nkind: files\nlocation: {crm}\ntables:\n  opportunities:\n"
        '    columns:\n      amount: "Amount (converted)"\n'
    )
    tables = so.load(str(source))
    assert metrics.bookings(tables.opportunities, "2026-Q3", stages=tables.stages) == 68_000
