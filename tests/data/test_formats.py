"""The formats of a source's text columns, read once on the whole export column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from conftest import TINY

from salesops.data.numbers import COMMA, NUMBER_FORMATS, Format, read
from salesops.data.sources import Source
from salesops.data.validation import DATE_FORMATS


def test_a_regions_rows_get_the_formats_of_the_whole_columns(tmp_path):
    """West's "50.000,00 €" tells the whole column's decimal comma, which East's rows
    ("10.000 €", "5.000 €", ...) are handed with, with the column's example for the note
    (and its close dates' format, DD/MM/YYYY)."""
    folder = Path(shutil.copytree(TINY, tmp_path / "crm"))
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    deals["amount"] = deals["amount"].map(lambda v: f"{int(v):,} €".replace(",", ".") if v else v)
    deals.loc[deals["opportunity_id"] == "O5", "amount"] = "50.000,00 €"
    deals["close_date"] = pd.to_datetime(deals["close_date"]).dt.strftime("%d/%m/%Y")
    deals.to_csv(folder / "opportunities.csv", index=False)
    with Source(folder) as src:
        east = src.raw("region:East")["opportunities"]
        assert read(east["amount"]).format.mark == COMMA  # alone: money's thousands
        src.formats.attach({"opportunities": east})
        assert east.attrs[DATE_FORMATS] == {"close_date": "DD/MM/YYYY"}
        assert east.attrs[NUMBER_FORMATS] == {"amount": Format(COMMA, (("€", 9),), "10.000 €")}
        assert src.formats.notes() == [
            'opportunities.amount is written as money ("10.000 €"): read as numbers with a '
            "decimal comma, € dropped (no conversion)"
        ]


def test_numbers_and_dates_typed_by_the_engine_get_no_format():
    with Source(TINY) as src:
        raw = src.raw()
        src.formats.attach(raw)
        assert all(not f.attrs[NUMBER_FORMATS] for f in raw.values())
        assert src.formats.notes() == []
