"""Dates written as text: one format per column, read from all of its values."""

from __future__ import annotations

import pandas as pd

import salesops as so


def test_a_rep_whose_dates_are_all_ambiguous_reads_them_in_the_whole_columns_format(tmp_path):
    """Olist writes dates DD-MM-YYYY: a rep whose only deal is dated 12-01-2018 cannot
    tell day from month on their own rows; the format read on the whole column can. The
    real Olist export failed three reps' reviews this way."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "opportunities.csv").write_text(
        "opportunity_id,owner_id,region,created_date,close_date,stage,amount\n"
        "d1,A,North,12-01-2018,06-11-2018,Closed Won,100\n"
        "d2,B,North,25-01-2018,28-02-2018,Closed Won,200\n"
    )
    (folder / "reps.csv").write_text("rep_id,name,region\nA,Ann Lee,North\nB,Bo Sun,North\n")
    tables = so.load(folder, scope="rep:A")
    deal = tables.opportunities.iloc[0]
    assert (deal["created_date"], deal["close_date"]) == (
        pd.Timestamp("2018-01-12"),
        pd.Timestamp("2018-11-06"),
    )
