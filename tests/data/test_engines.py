"""Every kind of source (CSV, Parquet, Excel, DuckDB, PostgreSQL) gives the same tables,
and files that are not what they claim are named, never a traceback."""

from __future__ import annotations

import os
import shutil
import signal
import time

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import copy_tables, same_tables

import salesops as so
from salesops.data import engines
from salesops.data.sources import Source
from salesops.errors import ConfigError


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
    same_tables(tiny, so.load(parquet))
    same_tables(tiny, so.load(excel))


def test_one_excel_workbook_with_a_sheet_per_table(tiny, tiny_dir, tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    with pd.ExcelWriter(folder / "crm.xlsx") as writer:
        for csv in tiny_dir.glob("*.csv"):
            pd.read_csv(csv).to_excel(writer, sheet_name=csv.stem, index=False)
    same_tables(tiny, so.load(folder))


def test_duckdb_file_matches_csv(tiny, tiny_dir, tmp_path):
    path = tmp_path / "tiny.duckdb"
    with duckdb.connect(str(path)) as con:
        for csv in tiny_dir.glob("*.csv"):
            con.execute(f"CREATE TABLE {csv.stem} AS SELECT * FROM read_csv('{csv}')")
    same_tables(tiny, so.load(path))


@pytest.mark.postgres
def test_postgresql_matches_csv(tiny, tiny_dir, postgres_url):
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as con:
        copy_tables(tiny_dir, con)
    same_tables(tiny, so.load(postgres_url))
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


# -- files that are not what they claim ---------------------------------------------------


def test_open_sources_share_one_database_but_never_each_others_tables(tiny_dir, tmp_path):
    """Every source of a process is a connection to one in-memory DuckDB (opening a
    database costs ~20 ms): what one source reads is its own (TEMP views, registered
    frames), and closing it takes them away."""
    other = tmp_path / "other"
    shutil.copytree(tiny_dir, other)
    reps = other / "reps.csv"
    reps.write_text(reps.read_text().splitlines()[0] + "\nX1,Only Here,West,,rep,x@example.com,,\n")
    views = "SELECT count(*) AS n FROM duckdb_views() WHERE temporary AND NOT internal"
    with Source(tiny_dir) as a, Source(other) as b:
        assert len(a.read("reps")) == 5 and list(b.read("reps")["rep_id"]) == ["X1"]
        a.engine.register("mine", pd.DataFrame({"x": [1]}))
        with pytest.raises(duckdb.CatalogException):
            b.engine.query("SELECT * FROM mine", {})
        assert b.engine.query(views, {})["n"].iloc[0] == 7  # its seven files, no more
    with Source(tiny_dir) as c:  # a and b closed: their views went with them
        assert c.engine.query(views, {})["n"].iloc[0] == 7


def test_a_database_file_is_read_as_it_is_when_opened(small_db, tmp_path):
    """A database file is attached for as long as its source is open, then detached: a
    file replaced between two loads is read anew, and one replaced in the middle of a
    load is refused, never read half old, half new."""
    path = tmp_path / "crm.duckdb"
    shutil.copy(small_db, path)
    before = so.load(path).opportunities["amount"].sum()
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE opportunities SET amount = amount + 1")
        priced = con.execute("SELECT count(amount) FROM opportunities").fetchall()[0][0]
    assert so.load(path).opportunities["amount"].sum() == before + priced
    with Source(path) as src:
        shutil.copy(small_db, tmp_path / "new.duckdb")
        (tmp_path / "new.duckdb").replace(path)
        with pytest.raises(ConfigError, match="changed while it was read"):
            src.engine.evict()


def test_no_duckdb_database_crosses_a_fork(tiny_dir):
    """The runner's workers are forked copies of it, and DuckDB is not fork-safe: the
    process's database is closed before a fork while no source is open, and the child
    opens its own."""
    Source(tiny_dir).close()  # the process's database is open; no source is
    assert engines._DATABASE is not None
    child = os.fork()
    if child == 0:  # the child: a load of its own, then out without Python's clean-up
        code = 1
        try:
            code = 0 if len(so.load(tiny_dir).opportunities) == 10 else 2
        finally:
            os._exit(code)
    assert engines._DATABASE is None  # closed in the parent before the fork
    deadline = time.monotonic() + 60
    while (done := os.waitpid(child, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    if done[0] == 0:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the forked child hung")
    assert os.waitstatus_to_exitcode(done[1]) == 0
    with Source(tiny_dir) as src:  # and the parent opens a new one
        assert len(src.read("reps")) == 5
