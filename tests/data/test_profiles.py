"""What the columns of an export look like (salesops.data.profiles): column profiles read
by hand-made numbers, and the engine's answers on small CSV files (the tiny CRM's, and one
written here)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from conftest import TINY

from salesops.data import profiles
from salesops.data.engines import DuckDBEngine
from salesops.data.mapping import SourceSpec
from salesops.data.profiles import ColumnProfile, not_a_segment

# Four records: one date written day first as text (one missing), a kind of record.
DATED = "id,when,kind\n1,26-02-2018 19:58,Lead\n2,01-03-2018 08:00,Opportunity\n"
DATED += "3,15-03-2018 10:00,Lead\n4,,Lead\n"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    folder = tmp_path_factory.mktemp("export")
    for table in ("opportunities", "opportunity_history", "leads", "reps"):
        shutil.copy(TINY / f"{table}.csv", folder)
    (folder / "dated.csv").write_text(DATED)
    engine = DuckDBEngine(SourceSpec("files", str(folder)))
    yield engine
    engine.close()


def column(type_: str = "VARCHAR", rows: int = 10, distinct: int = 2, **kw) -> ColumnProfile:
    return ColumnProfile("c", type_, rows, distinct, nulls=kw.pop("nulls", 0), **kw)


def test_an_id_is_filled_and_unique():
    assert column(distinct=10).is_unique
    assert not column(distinct=10, nulls=1).is_unique  # a row without one
    assert not column(rows=0, distinct=0).is_unique  # no row: nothing to tell


def test_money_is_many_different_non_negative_numbers_not_an_id():
    """10 rows, 9 filled: more than min(10, 9 // 2) = 4 distinct values."""
    assert column("DOUBLE", distinct=5, nulls=1, minimum="0.5").is_money
    assert not column("DOUBLE", distinct=4, nulls=1, minimum="0.5").is_money  # too few
    assert not column("DOUBLE", distinct=9, minimum="-3").is_money  # negative
    assert not column("BIGINT", distinct=10, minimum="1").is_money  # a numeric id
    assert column("DECIMAL(18,2)", distinct=10, minimum="1").is_money
    assert not column("VARCHAR", distinct=10).is_money


def test_few_values_repeat_at_least_three_times_on_average():
    """2 to 30 distinct text values, each row's value shared: distinct * 3 <= filled."""
    assert column(distinct=3, rows=9).is_few
    assert not column(distinct=4, rows=9).is_few
    assert not column(distinct=1).is_few
    assert not column("DATE", distinct=2).is_few
    assert not column(distinct=3, rows=9, date_format="DD-MM-YYYY").is_few


def test_stage_like_counts_the_few_values_that_read_like_stages():
    values = {"Closed Won": 4, "Demo booked": 3, "Paris": 3}
    assert column(distinct=3, rows=10, values=values).stage_like == 2
    assert column(distinct=10, rows=10, values=values).stage_like == 0  # not few


def test_a_column_is_a_date_when_typed_so_or_read_so():
    assert column("TIMESTAMP WITH TIME ZONE").is_date
    assert column(date_format="DD/MM/YYYY").is_date
    assert not column().is_date
    assert column(rows=10, nulls=3).filled == 7


def test_a_segment_of_record_kinds_or_of_one_value_is_not_one():
    kinds = column(distinct=2, rows=10, values={"Leads": 4, "Opportunity": 6})
    assert (
        not_a_segment(kinds)
        == "its values name a record's kind (Leads, Opportunity), not a segment"
    )
    one = column(distinct=2, rows=100, values={"SMB": 96, "Enterprise": 4})
    assert not_a_segment(one) == "one value (SMB) for 96% of the deals with one"
    single = column(distinct=1, rows=5, minimum="Retail")  # no values kept: its minimum
    assert not_a_segment(single) == "one value (Retail) for every deal with one"
    split = column(distinct=2, rows=10, values={"SMB": 6, "Enterprise": 4})
    assert not_a_segment(split) is None


def test_profile_reads_types_counts_few_values_and_text_dates(engine):
    """dated.csv: `id` 4 distinct numbers; `when` text read as DD-MM-YYYY dates, 3 filled,
    its earliest 26 Feb 2018; `kind` 2 values, Lead 3 times."""
    found = profiles.profile(engine, "dated")
    assert found.name == "dated" and found.rows == 4 and found.headers == ["id", "when", "kind"]
    ids, when, kind = found.columns.values()
    assert (ids.type, ids.distinct, ids.is_unique) == ("BIGINT", 4, True)
    assert (when.type, when.nulls, when.date_format) == ("VARCHAR", 1, "DD-MM-YYYY")
    assert when.minimum == "2018-02-26 19:58:00" and when.is_date
    assert kind.values == {"Lead": 3, "Opportunity": 1}


def test_exact_distinct_counts_each_value_once(engine):
    assert profiles.exact_distinct(engine, "opportunities", "owner_id") == 4  # R1-R4


def test_overlap_is_the_share_of_values_found_in_the_other_table(engine):
    """Every deal's owner is a rep; of the 4 owners, R1, R3 and R4 own leads: 3/4."""
    assert profiles.overlap(engine, "opportunities", "owner_id", other="reps", key="rep_id") == 1
    share = profiles.overlap(engine, "opportunities", "owner_id", other="leads", key="owner_id")
    assert share == 0.75
