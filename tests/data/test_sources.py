"""Every source kind gives the same canonical tables; scope filters run in the engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from conftest import copy_tables
from pandas.testing import assert_frame_equal

import salesops as so
from salesops import cli
from salesops.data.mapping import SourceSpec
from salesops.data.sources import Source
from salesops.data.stages import UNKNOWN_OPEN, Stages
from salesops.errors import ConfigError, DataError

STAGES = Stages.read()  # parameters/stages.yml, the demo's
SELLING = so.settings().selling_activity_kinds  # the demo's selling kinds


def _same_tables(a: so.Tables, b: so.Tables) -> None:
    for name, frame in a.present().items():
        other = b.present()[name]
        key = list(frame.columns[:2])
        assert_frame_equal(
            frame.sort_values(key).reset_index(drop=True),
            other.sort_values(key).reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )


@pytest.fixture(scope="module")
def tiny(tiny_dir) -> so.Tables:
    return so.load(tiny_dir)


def test_csv_folder_loads_the_canonical_tables(tiny):
    assert len(tiny.opportunities) == 10 and len(tiny.reps) == 5
    assert tiny.opportunities["amount"].sum() == 154_000  # O8 has no amount yet
    assert tiny.opportunities["created_date"].dtype == "datetime64[ns]"
    assert tiny.opportunity_history["changed_at"].dt.hour.iloc[0] == 9


def test_parquet_and_excel_folders_match_csv(tiny, tiny_dir, tmp_path):
    parquet, excel = tmp_path / "parquet", tmp_path / "excel"
    parquet.mkdir(), excel.mkdir()
    for csv in tiny_dir.glob("*.csv"):
        frame = pd.read_csv(csv)
        frame.to_parquet(parquet / f"{csv.stem}.parquet")
        frame.to_excel(excel / f"{csv.stem}.xlsx", index=False)
    _same_tables(tiny, so.load(parquet))
    _same_tables(tiny, so.load(excel))


def test_one_excel_workbook_with_a_sheet_per_table(tiny, tiny_dir, tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    with pd.ExcelWriter(folder / "crm.xlsx") as writer:
        for csv in tiny_dir.glob("*.csv"):
            pd.read_csv(csv).to_excel(writer, sheet_name=csv.stem, index=False)
    _same_tables(tiny, so.load(folder))


def test_duckdb_file_matches_csv(tiny, tiny_dir, tmp_path):
    path = tmp_path / "tiny.duckdb"
    with duckdb.connect(str(path)) as con:
        for csv in tiny_dir.glob("*.csv"):
            con.execute(f"CREATE TABLE {csv.stem} AS SELECT * FROM read_csv('{csv}')")
    _same_tables(tiny, so.load(path))


@pytest.mark.postgres
def test_postgresql_matches_csv(tiny, tiny_dir, postgres_url):
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as con:
        copy_tables(tiny_dir, con)
    _same_tables(tiny, so.load(postgres_url))
    east = so.load(postgres_url, scope="region:East", period="2026-08")
    assert sorted(east.opportunities["opportunity_id"]) == ["O1", "O2", "O3", "O4"]
    assert sorted(east.reps["rep_id"]) == ["M1", "R1", "R2"]
    with Source(postgres_url) as src:
        src.load("rep:R3")
        sql, params = src.queries[0]
        assert ":scope" in sql and "R3" not in sql and params["scope"] == "R3"


@pytest.mark.postgres
def test_postgresql_connection_errors_are_plain(postgres_url):
    bad = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(ConfigError, match="cannot connect"):
        so.load(bad)


@pytest.mark.postgres
def test_a_password_is_in_no_connection_error(postgres_with_password, monkeypatch):
    url, password = postgres_with_password
    base, database = url.rsplit("/", 1)
    unreachable = f"postgresql://reporter@127.0.0.1:1/{database}?password={password}"
    wrong = base.replace("reporter@", f"reporter:{password}x@") + "/" + database
    for source in (unreachable, wrong):
        with pytest.raises(ConfigError, match="cannot connect") as caught:
            so.load(source)
        assert password not in str(caught.value), caught.value


@pytest.mark.postgres
def test_a_url_may_name_its_password_by_an_environment_variable(
    postgres_with_password, monkeypatch
):
    url, password = postgres_with_password
    source = url.replace("reporter@", "reporter:${CRM_PASSWORD}@")
    with pytest.raises(ConfigError, match=r"refers to \$\{CRM_PASSWORD\}, which is not set"):
        so.load(source)
    monkeypatch.setenv("CRM_PASSWORD", password)
    assert len(so.load(source).opportunities) == 10
    assert len(so.load(url + "?password=${CRM_PASSWORD}").opportunities) == 10
    with Source(source) as src:
        assert src.spec.label == source  # the reference is shown; its value never


def test_salesforce_mapping(tmp_path):
    tables = so.load("parameters/sources/salesforce.yml")
    opps = tables.opportunities.set_index("opportunity_id")
    assert opps.loc["0066g00000AAA04", "stage"] == "Discovery"  # "Needs Analysis"
    assert opps.loc["0066g00000AAA02", "forecast_category"] == "commit"
    assert opps.loc["0066g00000AAA01", "created_date"] == pd.Timestamp("2026-08-03")
    history = tables.opportunity_history
    assert set(history["forecast_category"]) == {
        "pipeline",
        "best_case",
        "closed",
        "commit",
        "omitted",
    }
    assert tables.reps.set_index("rep_id").loc["0056g000001USR1", "name"] == "Sam Seller"
    assert tables.leads is None


def test_hubspot_mapping():
    tables = so.load("parameters/sources/hubspot.yml", scope="rep:81234")
    opps = tables.opportunities.set_index("opportunity_id")
    assert list(opps.index) == ["9001", "9002"]  # numeric ids become text
    assert opps.loc["9002", "stage"] == "Negotiation"
    assert tables.opportunity_history is None


def test_unmapped_stage_is_reported_with_the_export_value(tmp_path):
    folder = tmp_path / "hubspot"
    shutil.copytree("tests/fixtures/exports/hubspot", folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str)
    deals.loc[0, "Deal Stage"] = "verbalyes"
    deals.to_csv(folder / "deals.csv", index=False)
    spec = SourceSpec.read("parameters/sources/hubspot.yml")
    spec = SourceSpec(spec.kind, str(folder), spec.name, spec.tables)
    with pytest.raises(
        DataError,
        match=r'opportunities.stage: stage "verbalyes" \(1 row\) is not a configured stage .*'
        r"map it in values.stage \(e.g. 9001\)",
    ):
        so.load(spec)


def test_missing_mapped_column_names_the_export_column(tmp_path):
    folder = tmp_path / "hubspot"
    shutil.copytree("tests/fixtures/exports/hubspot", folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str).drop(columns="Deal owner ID")
    deals.to_csv(folder / "deals.csv", index=False)
    spec = SourceSpec.read("parameters/sources/hubspot.yml")
    with pytest.raises(
        DataError,
        match='opportunities.owner_id: is mapped to "Deal owner ID", which deals does not have',
    ):
        so.load(SourceSpec(spec.kind, str(folder), spec.name, spec.tables))


# -- scope and period --------------------------------------------------------------------


def test_rep_scope_holds_only_that_rep(tiny_dir):
    tables = so.load(tiny_dir, scope="rep:R1")
    assert set(tables.opportunities["owner_id"]) == {"R1"}
    assert list(tables.reps["rep_id"]) == ["R1"]
    assert set(tables.opportunity_history["opportunity_id"]) == {"O1", "O2", "O3", "O9"}
    for frame, column in [
        (tables.quotas, "rep_id"),
        (tables.leads, "owner_id"),
        (tables.activities, "rep_id"),
        (tables.forecast_submissions, "owner_id"),
    ]:
        assert set(frame[column]) == {"R1"}


def test_region_scope(tiny_dir):
    tables = so.load(tiny_dir, scope="region:West")
    assert set(tables.opportunities["region"]) == {"West"}
    assert set(tables.reps["rep_id"]) == {"R3", "R4"}
    assert set(tables.activities["rep_id"]) == {"R3", "R4"}


def test_period_leaves_out_what_came_later(tiny_dir):
    tables = so.load(tiny_dir, period="2026-08")
    assert tables.opportunities["created_date"].max() < pd.Timestamp("2026-09-01")
    assert tables.opportunity_history["changed_at"].max() < pd.Timestamp("2026-09-01")
    assert len(tables.activities) == 0


def test_without_history_a_past_period_sees_no_later_close(tiny_dir, tmp_path):
    """The tiny CRM without its stage history, at the end of Aug 2026 (by hand): O2 (lost
    20 Sep) and O5 (won 30 Sep) were open then, in the first open stage; O7, O8 and O9,
    created in September, did not exist. Before, O5 counted as won and out of the
    pipeline: a later close leaked into August."""
    from salesops.analytics.pipeline import pipeline
    from salesops.reports.context import ReportContext

    folder = tmp_path / "tiny"
    shutil.copytree(tiny_dir, folder)
    (folder / "opportunity_history.csv").unlink()
    tables = so.load(folder, period="2026-08")
    o = tables.opportunities.set_index("opportunity_id")
    assert sorted(o.index) == ["O1", "O10", "O2", "O3", "O4", "O5", "O6"]
    assert tables.reopened == {"O2", "O5"}
    assert o.loc[["O2", "O5"], "stage"].tolist() == ["Prospecting", "Prospecting"]
    assert o.loc[["O1", "O4"], "stage"].tolist() == ["Closed Won", "Closed Won"]
    assert o.loc[["O2", "O5"], "forecast_category"].tolist() == ["pipeline", "pipeline"]
    pipe = pipeline(tables.opportunities, stages=tables.stages)
    assert (pipe["deals"], pipe["amount"]) == (5, 5000 + 20000 + 50000 + 30000 + 15000)
    said = ReportContext.of(tables, "2026-08").exported
    assert "2 deals that closed after the period's end count as open at it, in Prospecting" in said
    assert tables.stage_unknown == {"O2", "O5"}
    assert so.load(folder).reopened == frozenset()  # the whole history: as exported


def test_with_history_a_past_period_sees_each_deal_as_it_stood_at_its_end(tiny_dir):
    """The tiny CRM with its stage history, at the end of Aug 2026 (by hand from
    opportunity_history.csv): O2 (lost 20 Sep) was in Qualification due 30 Sep, O5 (won
    30 Sep) in Negotiation for 50,000 due 30 Sep (commit), O3 in Prospecting for 25,000
    (20,000 from 5 Sep), O6 in Prospecting (Negotiation from 1 Oct). Before, O2 and O5
    showed as closed and O3 and O6 in their stage of October; August's bookings (O1) are
    the same either way."""
    from salesops.analytics import metrics
    from salesops.analytics.pipeline import pipeline

    tables = so.load(tiny_dir, period="2026-08")
    o = tables.opportunities.set_index("opportunity_id")
    assert tables.reopened == {"O2", "O5"} and tables.stage_unknown == frozenset()
    then = o.loc[["O2", "O5", "O3", "O6"], ["stage", "amount", "forecast_category"]]
    assert then.values.tolist() == [
        ["Qualification", 5000.0, "pipeline"],
        ["Negotiation", 50000.0, "commit"],
        ["Prospecting", 25000.0, "pipeline"],
        ["Prospecting", 30000.0, "pipeline"],
    ]
    assert (o.loc[["O2", "O5"], "close_date"] == pd.Timestamp("2026-09-30")).all()
    assert o.loc[["O1", "O4", "O10"], "stage"].tolist() == ["Closed Won", "Closed Won", "Discovery"]
    assert metrics.bookings(tables.opportunities, "2026-08", stages=tables.stages) == 10_000
    pipe = pipeline(tables.opportunities, stages=tables.stages)  # O2, O3, O5, O6, O10
    assert (pipe["deals"], pipe["amount"]) == (5, 5000 + 25000 + 50000 + 30000 + 15000)
    said = so.ReportContext.of(tables, "2026-08").reopened
    assert said == (
        "; 2 deals that closed after the period's end count as open at it, in their stage "
        "then (from the stage history)"
    )
    # a load that leaves the history out still reads it for the deals' state
    unread = so.load(tiny_dir, period="2026-08", tables=["opportunities", "reps"])
    assert unread.opportunity_history is None and unread.reopened == {"O2", "O5"}
    assert unread.opportunities.equals(tables.opportunities)
    # a rep's load: her deals only
    cara = so.load(tiny_dir, scope="rep:R3", period="2026-08")
    assert cara.reopened == {"O5"}
    assert set(cara.opportunities["opportunity_id"]) == {"O5", "O6", "O10"}


def test_at_a_past_period_the_pipeline_of_the_loaded_deals_is_the_one_rebuilt_from_history(
    tiny_dir,
):
    """The pipeline as of a period's end from the stage history (pipeline_as_of) and the
    pipeline of the deals loaded for that period are the same, due in any window (every
    tiny deal has a history row from its creation). Before, at September's end O9 (won 10
    Oct) counted as won in the loaded deals and as open in the history's."""
    from salesops.analytics.pipeline import pipeline, pipeline_as_of

    for period in ["2026-07", "2026-08", "2026-09"]:
        tables = so.load(tiny_dir, period=period)
        end = so.Period.parse(period).end
        for window in [None, "2026-09", "2026-10", "2026-Q4"]:
            loaded = pipeline(tables.opportunities, window, stages=tables.stages)
            rebuilt = pipeline_as_of(tables.opportunity_history, end, window, stages=tables.stages)
            assert loaded.equals(rebuilt), (period, window)
            by_region = pipeline(tables.opportunities, window, "region", stages=tables.stages)
            rebuilt_by = pipeline_as_of(
                tables.opportunity_history, end, window, by="region",
                opportunities=tables.opportunities, stages=tables.stages,
            )  # fmt: skip
            pd.testing.assert_frame_equal(by_region, rebuilt_by, obj=f"{period} {window}")
    sept = pipeline(so.load(tiny_dir, period="2026-09").opportunities, "2026-10", stages=STAGES)
    assert (sept["deals"], sept["amount"]) == (2, 30000 + 12000)  # O6 and O9, due in October


def test_olist_may_2018_knows_no_win_after_may(tmp_path):
    """Olist (real, won-only, no stage history) at 2018-05: the deals won from June on
    (pandas on the raw files) were open at May's end, so no rep's first close is later
    (before, a rep's review for May 2018 said their first close was in Nov 2018)."""
    real = Path(__file__).parents[1] / "fixtures" / "exports" / "real" / "olist"
    deals = pd.read_csv(real / "olist_closed_deals_dataset.csv")
    leads = pd.read_csv(real / "olist_marketing_qualified_leads_dataset.csv")
    d = deals.merge(leads, on="mql_id")
    created = pd.to_datetime(d["first_contact_date"], format="%d-%m-%Y")
    won = pd.to_datetime(d["won_date"], format="%d-%m-%Y %H:%M")
    end = pd.Timestamp("2018-06-01")
    later = set(d.loc[(created < end) & (won >= end) & (won >= created), "mql_id"])
    tables = so.load(real / "source.yml", period="2018-05", on_invalid="quarantine")
    o = tables.opportunities
    assert len(later) == 177 and tables.reopened == later
    assert o.loc[o["stage"] == "Won", "close_date"].max() < end
    # its stage list names no open stage (the export holds none): open, stage unknown
    assert set(o.loc[o["stage"] == UNKNOWN_OPEN, "opportunity_id"]) == later
    assert tables.stages.open_names == [UNKNOWN_OPEN]


def test_latest_period_is_the_last_complete_month(tiny_dir):
    with Source(tiny_dir) as src:
        assert src.as_of() == pd.Timestamp("2026-10-10")
        assert so.Period.parse("latest", as_of=src.as_of()).label == "2026-09"


def test_unknown_scope_is_a_plain_error(tiny_dir):
    with pytest.raises(ConfigError, match="no region 'Mars'"):
        so.load(tiny_dir, scope="region:Mars")
    with pytest.raises(ConfigError, match="not a scope"):
        so.load(tiny_dir, scope="team:x")


def test_scope_values_are_bound_parameters_never_formatted(small_db):
    evil = "x' OR '1'='1"
    with Source(small_db) as src:
        with pytest.raises(ConfigError, match="no rep"):
            src.load(f"rep:{evil}")
        assert all(evil not in sql for sql, _ in src.queries)
        assert all(params.get("scope") == evil for _, params in src.queries)


def scan_profile(db, sql: str, params: dict, tmp_path) -> list[dict]:
    """The table scans DuckDB's profiler saw while running ``sql``."""
    out = tmp_path / "profile.json"
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"PRAGMA profiling_output = '{out}'")
        con.execute(sql, params).fetchall()
        con.execute("PRAGMA disable_profiling")
    scans, todo = [], json.loads(out.read_text())["operator"]
    while todo:
        node = todo.pop()
        todo += node.get("children", [])
        if node.get("type") == "TABLE_SCAN":
            scans.append(node)
    return scans


def test_rep_slice_is_filtered_inside_the_scan(small_db, tmp_path):
    with Source(small_db) as src:
        rep = src.scopes("rep")[0]
        tables = src.load(f"rep:{rep}")
        sql, params = src.queries[0]
    assert "owner_id = $scope" in sql
    (scan,) = scan_profile(small_db, sql, params, tmp_path)
    with duckdb.connect(str(small_db), read_only=True) as con:
        total = con.execute("SELECT count(*) FROM opportunities").fetchone()[0]
    # The filter runs inside the table scan: only the rep's rows ever leave the engine.
    assert "owner_id" in scan["extra_info"]["Filters"]
    assert scan["intermediate_rows"] == len(tables.opportunities) < total / 5


def test_history_of_a_rep_is_read_by_id_range(small_db, tmp_path):
    with Source(small_db) as src:
        rep = src.scopes("rep")[-1]
        tables = src.load(f"rep:{rep}")
        sql, params = next(q for q in src.queries if "lo" in q[1])
    ids = tables.opportunities["opportunity_id"]
    assert (params["lo"], params["hi"]) == (ids.min(), ids.max())
    scans = scan_profile(small_db, sql, params, tmp_path)
    history_scan = next(
        s for s in scans if s["extra_info"]["Table"].endswith("opportunity_history")
    )
    assert "opportunity_id" in history_scan["extra_info"]["Filters"]


def test_since_loads_less_and_changes_no_metric(small_db):
    from salesops.analytics import metrics as m
    from salesops.analytics import movement
    from salesops.analytics import pipeline as pl

    full = so.load(small_db, "company", "2026-09")
    part = so.load(small_db, "company", "2026-09", since="2026-07-01")
    assert len(part.opportunities) < len(full.opportunities) / 2
    assert len(part.opportunity_history) < len(full.opportunity_history) / 2
    for t in (full, part):
        o, h = t.opportunities, t.opportunity_history
        t.numbers = [
            m.bookings(o, "2026-Q3", stages=STAGES),
            m.win_rate(o, "2026-08", stages=STAGES),
            m.time_selling(t.activities, "2026-09", selling_kinds=SELLING),
            m.lead_response(t.leads, "2026-09")["p90_hours"],
            pl.pipeline(o, stages=STAGES)["amount"],
            pl.pipeline_as_of(h, "2026-07-01", stages=STAGES)["weighted"],
            pl.pipeline_as_of(h, "2026-08-15", stages=STAGES)["amount"],
            *movement.waterfall(h, "2026-08", "2026-Q3", stages=STAGES)["amount"],
            movement.slippage(h, "2026-09", stages=STAGES)["days_pushed"].sum(),
            len(pl.stale_deals(o, "2026-09-30", h, stale_days=30, stages=STAGES)),
            *movement.funnel(h, o, ("2026-07-01", "2026-10-01"), stages=STAGES)["deals"],
        ]
    assert part.numbers == pytest.approx(full.numbers, nan_ok=True)


@pytest.mark.postgres
def test_since_works_on_postgresql(small_db, postgres_url):
    from salesops.analytics import movement

    admin = sa.create_engine(
        postgres_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as con:
        con.execute(sa.text("CREATE DATABASE demo_since"))
    postgres_url = postgres_url.rsplit("/", 1)[0] + "/demo_since"
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with duckdb.connect(str(small_db), read_only=True) as con, engine.begin() as pg:
        for table in ("opportunities", "opportunity_history", "reps"):
            con.execute(f"SELECT * FROM {table}").df().to_sql(
                table, pg, if_exists="replace", index=False
            )

    full = so.load(postgres_url, "region:EMEA", "2026-09")
    part = so.load(postgres_url, "region:EMEA", "2026-09", since="2026-08-01")
    assert len(part.opportunity_history) < len(full.opportunity_history)
    for period in ("2026-08", "2026-09"):
        assert movement.waterfall(part.opportunity_history, period, stages=STAGES).equals(
            movement.waterfall(full.opportunity_history, period, stages=STAGES)
        )


@pytest.mark.parametrize("scope", ["region:East", "region:West", "rep:R3"])
def test_a_scope_cut_from_the_company_is_what_loading_it_gives(tiny_dir, scope):
    company = so.load(str(tiny_dir), "company", "2026-09")
    cut, loaded = company.for_scope(scope), so.load(str(tiny_dir), scope, "2026-09")
    for name, frame in loaded.present().items():
        pd.testing.assert_frame_equal(
            getattr(cut, name).reset_index(drop=True), frame.reset_index(drop=True), obj=name
        )


def test_a_load_reads_only_the_tables_asked_for(tiny_dir, tmp_path):
    shutil.copytree(tiny_dir, tmp_path / "crm")
    activities = tmp_path / "crm" / "activities.csv"
    activities.write_text(activities.read_text().replace("call,30,O3", "call,-30,O3"))
    with pytest.raises(DataError, match="activities"):
        so.load(str(tmp_path / "crm"))
    tables = so.load(str(tmp_path / "crm"), tables=["opportunities", "quotas"])
    assert tables.reps is not None and tables.quotas is not None  # the required ones always
    assert tables.activities is None and tables.leads is None  # unread, and so unchecked
    assert_frame_equal(tables.opportunities, so.load(str(tiny_dir)).opportunities)


def test_a_load_leaves_no_cached_blocks_of_the_database_file(small_db):
    def cached(con) -> int:
        return con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()[0][0]

    with so.open_source(str(small_db)) as src:
        con = src.engine.con
        limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        src.read("opportunity_history"), src.read("activities")
        held = cached(con)  # DuckDB keeps the blocks it read
        src.engine.evict()
        assert cached(con) < held and cached(con) <= 1 << 20
        assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == limit
        tables = src.load("company", "latest")  # evicts after each table, and reads again
        assert cached(con) <= 1 << 20 and len(tables.opportunity_history) > 0


# -- a source file cannot invent data ----------------------------------------------------

HUBSPOT = Path(__file__).parents[1] / "fixtures" / "exports" / "crm" / "hubspot"
OPEN_STAGES = ["Appointment Scheduled", "Qualified To Buy", "Contract Sent"]


def _hubspot(tmp_path: Path, edit=None, deals=None) -> Path:
    """A copy of the HubSpot-shaped export whose source file ``edit`` changes (on the
    parsed YAML) and whose deals ``deals`` changes (on the raw CSV frame)."""
    folder = tmp_path / "hubspot"
    shutil.copytree(HUBSPOT, folder)
    if deals is not None:
        frame = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
        frame = deals(frame)
        frame.to_csv(folder / "deals.csv", index=False)
    if edit is not None:
        data = yaml.safe_load((folder / "source.yml").read_text())
        edit(data["tables"]["opportunities"])
        (folder / "source.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder / "source.yml"


def _validate(source: Path, capsys) -> tuple[int, str]:
    code = cli.main(["validate", "--source", str(source)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err


def test_a_misspelt_column_is_an_error_naming_the_closest_headers(tmp_path, capsys):
    source = _hubspot(tmp_path, lambda t: t["columns"].update(close_date="Close Dt"))
    code, printed = _validate(source, capsys)
    assert code == 1
    assert (
        'opportunities.close_date: is mapped to "Close Dt", which deals does not have '
        "(closest: Close Date, Create Date)" in printed
    )
    assert "filled" not in printed  # no default ran in its place


def test_a_mapped_column_the_export_lacks_is_an_error_not_an_empty_column(tmp_path, capsys):
    source = _hubspot(tmp_path, deals=lambda d: d.drop(columns="Amount"))
    code, printed = _validate(source, capsys)
    assert code == 1
    assert 'opportunities.amount: is mapped to "Amount", which deals does not have' in printed
    with pytest.raises(DataError, match="opportunities.amount: is mapped to"):
        so.load(source)


def test_defaults_for_a_column_the_export_lacks_are_refused_unless_said_on_purpose(tmp_path):
    def edit(table):
        del table["columns"]["close_date"]
        table["defaults"]["close_date"] = {"column": "created_date", "plus": "90 days"}

    with pytest.raises(DataError, match=r"opportunities.close_date: has defaults, but deals"):
        so.load(_hubspot(tmp_path / "a", edit))

    def on_purpose(table):
        edit(table)
        table["columns"]["close_date"] = None

    tables = so.load(_hubspot(tmp_path / "b", on_purpose))
    o = tables.opportunities
    assert (o["close_date"] == o["created_date"] + pd.Timedelta(days=90)).all()
    assert tables.filled["opportunities.close_date"][0] == len(o)


@pytest.mark.parametrize(
    ("column", "rule", "expected"),
    [
        ("close_date", {"value": "2027-12-31", "when": "open"}, pd.Timestamp("2027-12-31")),
        ("close_date", {"column": "Create Date", "plus": "30 days", "when": "open"}, None),
        ("amount", {"value": 1000, "when": "open"}, 1000.0),
        ("amount", {"value": "250.5", "when": "closed"}, 250.5),
        ("lead_source", {"value": "Unknown", "when": "open"}, "Unknown"),
        ("lead_source", {"column": "Pipeline"}, "Sales Pipeline"),
        ("owner_id", {"value": 81201, "when": "open"}, "81201"),
    ],
)
def test_every_rule_works_on_every_column_type(tmp_path, column, rule, expected):
    header = {"close_date": "Close Date", "amount": "Amount", "lead_source": "Original Source"}
    header["owner_id"] = "Deal owner ID"
    closed = ["Closed Won", "Closed Lost"]
    blank: list[str] = []

    def deals(frame):
        chosen = frame["Deal Stage"].isin(closed) == (rule.get("when") == "closed")
        if "when" not in rule:
            chosen[:] = True
        frame.loc[frame.index[chosen][:3], header[column]] = ""
        empty = chosen & (frame[header[column]] == "")
        blank.extend(frame.loc[empty, "Record ID"])
        return frame

    def edit(table):
        table["defaults"] = {**table.get("defaults", {}), column: rule}

    tables = so.load(_hubspot(tmp_path, edit, deals))
    o = tables.opportunities.set_index("opportunity_id")
    assert tables.filled[f"opportunities.{column}"][0] == len(blank) >= 3
    for deal in blank:
        want = expected
        if want is None:
            want = o.at[deal, "created_date"] + pd.Timedelta(days=30)
        assert o.at[deal, column] == want, deal


def test_a_literal_of_the_wrong_type_is_refused_when_the_file_is_read(tmp_path):
    edit = lambda t: t["defaults"].update(close_date={"value": "soon"})  # noqa: E731
    with pytest.raises(ConfigError, match=r"defaults.close_date: 'soon' is not a date"):
        SourceSpec.read(_hubspot(tmp_path, edit))


def test_defaults_chain_deals_without_any_date(tmp_path):
    """A deal with no dates at all: its created date comes from a constant, and the close
    date rule reads that filled created date."""
    dateless: list[str] = []

    def deals(frame):
        rows = frame.index[frame["Deal Stage"].isin(OPEN_STAGES)][:4]
        dateless.extend(frame.loc[rows, "Record ID"])
        frame.loc[rows, ["Create Date", "Close Date"]] = ""
        return frame

    def edit(table):  # the close-date rule is written before the rule it reads
        table["defaults"] = {
            "close_date": {"column": "created_date", "plus": "90 days", "when": "open"},
            "created_date": {"value": "2026-01-15"},
        }

    tables = so.load(_hubspot(tmp_path, edit, deals))
    o = tables.opportunities.set_index("opportunity_id")
    assert (o.loc[dateless, "created_date"] == pd.Timestamp("2026-01-15")).all()
    assert (o.loc[dateless, "close_date"] == pd.Timestamp("2026-04-15")).all()
    assert tables.filled["opportunities.created_date"][0] == 4


def test_when_open_reads_the_stage_its_own_default_filled(tmp_path):
    """A deal without a stage and without dates (the real HubSpot seed: no deal has a
    stage or a close date): the stage default says it is open, and the close-date rule
    with ``when: open`` reads that filled stage, not the empty one of the export."""
    stageless: list[str] = []

    def deals(frame):
        rows = frame.index[frame["Deal Stage"].isin(OPEN_STAGES)][:3]
        stageless.extend(frame.loc[rows, "Record ID"])
        frame.loc[rows, ["Deal Stage", "Close Date"]] = ""
        return frame

    def edit(table):  # written before the stage rule it reads
        table["defaults"] = {
            "close_date": {"column": "created_date", "plus": "90 days", "when": "open"},
            "stage": {"value": "Appointment Scheduled"},
        }

    tables = so.load(_hubspot(tmp_path, edit, deals))
    o = tables.opportunities.set_index("opportunity_id")
    assert (o.loc[stageless, "stage"] == "Appointment Scheduled").all()
    expected = o.loc[stageless, "created_date"] + pd.Timedelta(days=90)
    assert (o.loc[stageless, "close_date"] == expected).all()
    assert tables.filled["opportunities.close_date"][0] >= len(stageless) == 3


def test_defaults_that_read_each_other_are_refused(tmp_path, capsys):
    def edit(table):
        table["defaults"] = {
            "close_date": {"column": "created_date", "plus": "90 days"},
            "created_date": {"column": "close_date", "plus": "-90 days"},
        }

    code, printed = _validate(_hubspot(tmp_path, edit), capsys)
    assert code == 2
    assert "in a cycle (created_date -> close_date -> created_date)" in printed


def _blank_teams(source: Path, owners: int, rule: dict | None) -> tuple[list[str], Path]:
    """The first ``owners`` owners of the HubSpot copy without a team, and ``rule`` as the
    reps' region default; the ids of the owners left without one."""
    folder = source.parent
    frame = pd.read_csv(folder / "owners.csv", dtype=str, keep_default_na=False)
    frame.loc[frame.index[:owners], "Team"] = ""
    frame.to_csv(folder / "owners.csv", index=False)
    data = yaml.safe_load(source.read_text())
    if rule is not None:
        data["tables"]["reps"]["defaults"] = {"region": rule}
    source.write_text(yaml.safe_dump(data, sort_keys=False))
    return list(frame["Owner ID"][:owners]), source


def test_a_derived_column_reads_the_other_tables_filled_values(tmp_path):
    """A deal's region is derived from its owner's; an owner without a team takes the
    reps' region default, and the derivation reads that filled region, not the empty one
    of the export (so those owners' deals are in that region's reports)."""
    blank, source = _blank_teams(_hubspot(tmp_path), 2, {"value": "Central"})
    tables = so.load(source)
    reps = tables.reps.set_index("rep_id")
    assert (reps.loc[blank, "region"] == "Central").all()
    deals = tables.opportunities[tables.opportunities["owner_id"].isin(blank)]
    assert len(deals) > 0 and (deals["region"] == "Central").all()
    central = so.load(source, scope="region:Central").opportunities
    assert set(deals["opportunity_id"]) <= set(central["opportunity_id"])


def test_defaults_and_derivations_across_tables_in_a_cycle_are_refused(tmp_path, capsys):
    """The reps' region from their first deal's region, which is derived from the reps'
    region: each would read the other."""
    _, source = _blank_teams(_hubspot(tmp_path), 2, {"first": "opportunities.region"})
    code, printed = _validate(source, capsys)
    assert code == 2
    assert (
        "in a cycle (reps.region -> opportunities.region -> reps.region)" in printed
        or "in a cycle (opportunities.region -> reps.region -> opportunities.region)" in printed
    )


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
    with Source(_hubspot(tmp_path / "as-is")) as src:
        assert src.as_of() == pd.Timestamp("2026-11-18") and src.late_closes() is None
    with Source(_hubspot(tmp_path / "won", deals=_close_on("2026-12-05 00:00"))) as src:
        assert src.as_of() == pd.Timestamp("2026-12-05")
    lost = _close_on("2026-12-07 00:00", "Closed Lost")
    with Source(_hubspot(tmp_path / "lost", deals=lost)) as src:
        assert src.as_of() == pd.Timestamp("2026-12-07")
    late_plan = _close_on("2027-06-01 00:00", "Contract Sent")
    with Source(_hubspot(tmp_path / "plan", deals=late_plan)) as src:
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


def test_a_close_far_after_every_other_event_is_left_out_and_named(tmp_path, capsys):
    """A closed deal dated 2099 (a typo) does not move the as-of day, which would make
    every month until then "latest"; validate names it."""
    source = _hubspot(tmp_path, deals=_close_on("2099-01-05 00:00"))
    with Source(source) as src:
        assert src.as_of() == pd.Timestamp("2026-11-18")
    code, printed = _validate(source, capsys)
    assert code == 0
    assert (
        "warning: opportunities.close_date: 1 closed deal(s) dated after 2027-11-18 (up to "
        "2099-01-05), more than 365 days after the latest other event (2026-11-18): left out "
        "of the data's as-of day; check their dates" in printed
    )


# -- files that are not what they claim ---------------------------------------------------


def test_a_utf16_export_with_its_mark_loads_as_it_is(tiny, tiny_dir, tmp_path):
    folder = tmp_path / "utf16"
    shutil.copytree(tiny_dir, folder)
    reps = folder / "reps.csv"
    reps.write_text(reps.read_text(encoding="utf-8"), encoding="utf-16")  # Excel's "Unicode text"
    _same_tables(tiny, so.load(folder))


def test_encoding_is_set_in_the_source_file(tiny_dir, tmp_path):
    folder = tmp_path / "latin"
    shutil.copytree(tiny_dir, folder)
    reps = pd.read_csv(folder / "reps.csv", dtype=str, keep_default_na=False)
    reps.loc[reps["rep_id"] == "R2", "name"] = "Zoë Müller"
    reps.to_csv(folder / "reps.csv", index=False, encoding="latin-1")
    with pytest.raises(DataError, match="reps.csv is not UTF-8 at line 4"):
        so.load(folder)
    (folder / "source.yml").write_text("kind: files\nlocation: .\nencoding: latin-1\n")
    tables = so.load(folder / "source.yml")
    assert tables.reps.set_index("rep_id").at["R2", "name"] == "Zoë Müller"
    with pytest.raises(ConfigError, match="encoding must be one of utf-8, utf-16, latin-1"):
        SourceSpec.from_dict({"kind": "files", "location": ".", "encoding": "ebcdic"})


def test_a_bad_line_far_into_a_file_is_named_not_a_traceback(tiny_dir, tmp_path, capsys):
    """DuckDB samples the start of a file; a latin-1 byte after it fails at query time."""
    folder = tmp_path / "late"
    shutil.copytree(tiny_dir, folder)
    frame = pd.read_csv(folder / "activities.csv", dtype=str, keep_default_na=False)
    many = pd.concat([frame] * 6000, ignore_index=True)
    many["activity_id"] = [f"X{i}" for i in range(len(many))]
    text = many.to_csv(index=False).encode() + "X-late,R1,2026-09-01 10:00:00,café,5,\n".encode(
        "latin-1"
    )
    (folder / "activities.csv").write_bytes(text)
    code = cli.main(["validate", "--source", str(folder)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"activities.csv is not UTF-8 at line {len(many) + 2}" in err


def test_a_broken_file_no_table_reads_is_left_alone(tiny, tiny_dir, tmp_path):
    folder = tmp_path / "extra"
    shutil.copytree(tiny_dir, folder)
    (folder / "notes.csv").write_bytes(b"")
    _same_tables(tiny, so.load(folder))


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
