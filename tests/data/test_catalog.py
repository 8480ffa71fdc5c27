"""What a source holds (salesops.data.catalog): its tables and what it lacks, its scopes,
its as-of day; asked of the tiny CRM's CSV files (tests/fixtures/tiny), by hand."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY, hubspot_copy, validate_cli

from salesops.data.catalog import PERIOD_COLUMN, Catalog
from salesops.data.scopes import Scope
from salesops.data.sources import Source
from salesops.errors import ConfigError


@pytest.fixture(scope="module")
def src() -> Iterator[Catalog]:
    with Catalog(TINY) as catalog:
        yield catalog


def part(tmp_path: Path, *tables: str) -> Path:
    """A folder holding only ``tables`` of the tiny CRM."""
    folder = tmp_path / "crm"
    folder.mkdir()
    for table in tables:
        shutil.copy(TINY / f"{table}.csv", folder)
    return folder


def test_select_names_the_canonical_columns_of_a_table(src):
    sql, columns = src.select("quotas")
    assert columns == ["rep_id", "month", "amount"]
    assert sql.startswith("SELECT ") and 'FROM "quotas"' in sql


def test_a_source_with_every_table_and_value_lacks_nothing(src):
    assert src.problems() == [] and src.absent() == frozenset()


def test_absent_names_the_missing_tables_and_the_columns_without_a_value(tmp_path):
    """Reps and deals only, the deals' segment emptied: the five other tables are absent,
    and so is opportunities.segment, which sections depend on."""
    folder = part(tmp_path, "reps", "opportunities")
    deals = pd.read_csv(folder / "opportunities.csv")
    deals["segment"] = None
    deals.to_csv(folder / "opportunities.csv", index=False)
    with Catalog(folder) as catalog:
        assert catalog.select("leads") is None
        assert catalog.problems() == []  # the absent tables are optional
        assert catalog.absent() == {
            "activities",
            "forecast_submissions",
            "leads",
            "opportunity_history",
            "quotas",
            "opportunities.segment",
        }


def test_problems_name_a_missing_required_table_and_the_files_found(tmp_path):
    with Catalog(part(tmp_path, "reps")) as catalog:
        (failure,) = catalog.problems()
    assert failure.table == "opportunities"
    assert failure.rule == 'required table is missing: no file, sheet or table "opportunities"'
    assert failure.examples == ("reps.csv",)


def test_check_scope_takes_the_sources_spelling_of_a_region_or_rep(src):
    assert src.check_scope("company") == Scope.parse("company")
    assert src.check_scope("region:west") == Scope("region", "West")
    assert src.check_scope("rep:r3") == Scope("rep", "R3")


def test_check_scope_lists_what_the_source_has_when_it_lacks_the_scope(src):
    with pytest.raises(ConfigError, match="no region 'North' in .*; the regions are: East, West"):
        src.check_scope("region:North")
    with pytest.raises(ConfigError, match="no rep 'R9' in .*; it has 5 reps, e.g. M1, R1, R2, R3"):
        src.check_scope("rep:R9")


def test_scopes_are_the_regions_with_deals_and_the_employed_reps_with_deals(src):
    """R2 left on 15 Aug; M1 owns no deal."""
    assert src.scopes("region") == ["East", "West"]
    assert src.scopes("rep") == ["R1", "R3", "R4"]


def test_scopes_in_a_window_have_a_deal_active_in_it(src):
    """May 2026: deals created before 1 June and open or closed since 1 May are O5 (won
    30 Sep) and O10 (open), both Cara's (R3, West)."""
    may = (pd.Timestamp("2026-05-01"), pd.Timestamp("2026-06-01"))
    assert src.scopes("rep", may) == ["R3"]
    assert src.scopes("region", may) == ["West"]


def test_rep_ids_and_their_home_regions(src):
    assert src.rep_ids() == ["M1", "R1", "R2", "R3", "R4"]
    assert src.rep_regions() == {
        "M1": "East",
        "R1": "East",
        "R2": "East",
        "R3": "West",
        "R4": "West",
    }


def test_variants_count_the_rows_of_each_written_value(src):
    """5 deals in East and 5 in West, each written as it is read."""
    regions = src.variants()[("opportunities", "region")]
    assert regions.sort_values("written").to_dict("list") == {
        "written": ["East", "West"],
        "value": ["East", "West"],
        "n": [5, 5],
    }


def test_the_as_of_day_is_the_latest_event(src):
    """O9's stage changed to won on 10 Oct 2026 10:00, and it closed that day."""
    assert src.as_of() == pd.Timestamp("2026-10-10")
    assert src.late_closes() is None


def test_the_as_of_day_of_dates_written_as_text_is_their_latest(tmp_path):
    """Dates as DD/MM/YYYY text: the latest is not the greatest text ("31/07" > "10/10")."""
    folder = Path(shutil.copytree(TINY, tmp_path / "crm"))
    for table, column in PERIOD_COLUMN.items():
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%d/%m/%Y %H:%M")
        frame.to_csv(folder / f"{table}.csv", index=False)
    with Catalog(folder) as written, Catalog(TINY) as iso:
        assert written.as_of() == iso.as_of() == pd.Timestamp("2026-10-10")


def _close_on(day: str, stage: str = "Closed Won"):
    """A deals edit: the first deal in ``stage`` closes on ``day``."""

    def deals(frame):
        frame.loc[frame.index[frame["Deal Stage"] == stage][0], "Close Date"] = day
        return frame

    return deals


def test_the_as_of_day_is_the_latest_event_closes_included(tmp_path):
    """The as-of day is the latest day something happened: a deal created (18 Nov 2026,
    the export's latest), or a closed deal's close (moved to 05 Dec). Open deals' expected
    close dates (up to 21 Jan 2027 in this export) are plans and never count."""
    with Source(hubspot_copy(tmp_path / "as-is")) as src:
        assert src.as_of() == pd.Timestamp("2026-11-18") and src.late_closes() is None
    with Source(hubspot_copy(tmp_path / "won", deals=_close_on("2026-12-05 00:00"))) as src:
        assert src.as_of() == pd.Timestamp("2026-12-05")
    lost = _close_on("2026-12-07 00:00", "Closed Lost")
    with Source(hubspot_copy(tmp_path / "lost", deals=lost)) as src:
        assert src.as_of() == pd.Timestamp("2026-12-07")
    late_plan = _close_on("2027-06-01 00:00", "Contract Sent")
    with Source(hubspot_copy(tmp_path / "plan", deals=late_plan)) as src:
        assert src.as_of() == pd.Timestamp("2026-11-18")


@pytest.mark.parametrize(
    ("header", "as_of"), [("_fivetran_start", "2026-10-10"), ("changed", "2026-12-31")]
)
def test_a_connectors_sync_time_is_no_event_of_the_as_of_day(tiny_dir, tmp_path, header, as_of):
    """A history whose ``changed_at`` is read from a connector's column (a leading
    underscore: ``_fivetran_start``) says when the rows were copied, not when deals
    changed: its latest day (31 Dec) does not move the as-of day; the same column under a
    CRM's name does."""
    folder = tmp_path / "export"
    shutil.copytree(tiny_dir, folder)
    history = pd.read_csv(folder / "opportunity_history.csv", dtype=str)
    later = history.iloc[[-1]].assign(changed_at="2026-12-31 09:00:00")
    history = pd.concat([history, later]).rename(columns={"changed_at": header})
    history.to_csv(folder / "opportunity_history.csv", index=False)
    (folder / "source.yml").write_text(
        "kind: files\nlocation: .\ntables:\n  opportunity_history:\n"
        f"    columns:\n      changed_at: {header}\n"
    )
    with Source(folder / "source.yml") as src:
        assert src.as_of() == pd.Timestamp(as_of)


@pytest.mark.parametrize(
    ("rule", "as_of"),
    [
        ("{value: '2027-06-01', when: open}", "2026-10-10"),  # a constant: invented
        ("{column: close_date, plus: 90 days, when: open}", "2026-10-10"),  # moved: invented
        ("{column: close_date, when: open}", "2026-12-15"),  # the export's own date: an event
    ],
)
def test_a_date_a_default_invented_is_no_event_of_the_as_of_day(tiny_dir, tmp_path, rule, as_of):
    """The Maven CRM export's Prospecting deals have no created date; the docs' recipe
    states one (``created_date: {value: ..., when: open}``). That date moved the as-of day
    to it, and ``latest`` to a month with no data. Open deals O3, O6, O8 and O10 lose their
    created dates here: a constant or a date moved by ``plus`` is invented and does not
    count (the tiny CRM's as-of day stays 10 Oct 2026, O9's close); a date copied from
    another column of the export does (O8's planned close, 15 Dec 2026, as its creation)."""
    folder = shutil.copytree(tiny_dir, tmp_path / "export")
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str)
    deals.loc[~deals["stage"].str.startswith("Closed"), "created_date"] = None
    deals.to_csv(folder / "opportunities.csv", index=False)
    (folder / "source.yml").write_text(
        "kind: files\nlocation: .\ntables:\n  opportunities:\n"
        f"    defaults:\n      created_date: {rule}\n"
    )
    with Source(folder / "source.yml") as src:
        assert src.as_of() == pd.Timestamp(as_of)


def test_a_close_far_after_every_other_event_is_left_out_and_named(tmp_path, capsys):
    """A closed deal dated 2099 (a typo) does not move the as-of day, which would make
    every month until then "latest"; validate names it."""
    source = hubspot_copy(tmp_path, deals=_close_on("2099-01-05 00:00"))
    with Source(source) as src:
        assert src.as_of() == pd.Timestamp("2026-11-18")
    code, printed = validate_cli(source, capsys)
    assert code == 0
    assert (
        "warning: opportunities.close_date: 1 closed deal(s) dated after 2027-11-18 (up to "
        "2099-01-05), more than 365 days after the latest other event (2026-11-18): left out "
        "of the data's as-of day; check their dates" in printed
    )
