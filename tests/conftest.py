"""Shared fixtures: the tiny hand-made CRM, a small demo database, a PostgreSQL server."""

from __future__ import annotations

import copy
import dataclasses
import fcntl
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pytest
import yaml
from pandas.testing import assert_frame_equal

import salesops as so
from salesops import demo

FIXTURES = Path(__file__).parent / "fixtures"  # the suite's test data
TINY = FIXTURES / "tiny"
CACHE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """The suite's cache goes to a temporary folder, never the checkout's ``.cache/``
    (kernels and workers inherit the variable). Tests that count cache files set their
    own home and drop the variable."""
    if "SALESOPS_CACHE" not in os.environ:
        config.stash[CACHE] = os.environ["SALESOPS_CACHE"] = tempfile.mkdtemp(prefix="salesops-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if CACHE in config.stash:
        shutil.rmtree(config.stash[CACHE], ignore_errors=True)
        del os.environ["SALESOPS_CACHE"]


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    """A valid CRM export of 5 people and 10 deals whose numbers can be checked by hand."""
    return TINY


@pytest.fixture(scope="session")
def won_only_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny CRM exported as a CRM of won deals only (as Olist's): its lost deals, O2
    (R1's) and O7 (R3's), are not in it, so the source holds no lost deal."""
    target = tmp_path_factory.mktemp("won_only") / "crm"
    shutil.copytree(TINY, target)
    for table in ("opportunities", "opportunity_history"):
        path = target / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame[~frame["opportunity_id"].isin(["O2", "O7"])].to_csv(path, index=False)
    return target


def unpriced_copy(target: Path) -> Path:
    """The tiny CRM copied to ``target`` as a real export often is: no stage history, and
    open deals without amounts (O9, won on 10 Oct, was open at the end of September too).
    Its deals are created from March 2026 (O10); the first close is O4 on 31 July 2026."""
    crm = Path(shutil.copytree(TINY, target))
    (crm / "opportunity_history.csv").unlink()
    deals = pd.read_csv(crm / "opportunities.csv")
    later = pd.to_datetime(deals["close_date"]) >= pd.Timestamp("2026-10-01")
    deals.loc[~deals["stage"].str.startswith("Closed") | later, "amount"] = None
    deals.to_csv(crm / "opportunities.csv", index=False)
    return crm


def undated_closes(target: Path, region: str | None = None) -> Path:
    """The tiny CRM copied to ``target``, without stage history, and with no close date on
    its closed deals (``region``'s only, if given), as Lightdash's demo deals: loaded with
    the quarantine, those deals are set aside (O1, O2, O4 and O9 are East's)."""
    crm = Path(shutil.copytree(TINY, target))
    (crm / "opportunity_history.csv").unlink()
    deals = pd.read_csv(crm / "opportunities.csv")
    closed = deals["stage"].str.startswith("Closed")
    deals.loc[closed & (region is None or deals["region"] == region), "close_date"] = None
    deals.to_csv(crm / "opportunities.csv", index=False)
    return crm


@pytest.fixture(scope="module")
def tiny(tiny_dir: Path) -> so.Tables:
    """The tiny CRM's tables, loaded once per test module."""
    return so.load(tiny_dir)


T = TypeVar("T")
_MADE: dict[str, Any] = {}


def once(make: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``make(*args, **kwargs)`` (a load, a report's context) made once per test process for
    an unchanged source (a fixture folder no test edits), each caller given its own deep
    copy: a test may change what it gets, and a context's per-context cache starts empty
    (a test that counts what a context computes sees it all). A copy costs a millisecond;
    a load of the tiny CRM about 0.15 s."""
    key = repr((make.__module__, make.__qualname__, args, sorted(kwargs.items())))
    if key not in _MADE:
        _MADE[key] = make(*args, **kwargs)
    made = _MADE[key]
    if dataclasses.is_dataclass(made) and any(f.name == "cache" for f in dataclasses.fields(made)):
        made = dataclasses.replace(made, cache={})
    return copy.deepcopy(made)


def same_tables(a: so.Tables, b: so.Tables) -> None:
    """Each table of ``a`` equals ``b``'s, whatever the row order."""
    for name, frame in a.present().items():
        other = b.present()[name]
        key = list(frame.columns[:2])
        assert_frame_equal(
            frame.sort_values(key).reset_index(drop=True),
            other.sort_values(key).reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )


def outlook_deals() -> pd.DataFrame:
    """Six deals around 2026-Q4 whose quarter outlook is worked out by hand in
    tests/analytics (test_outlook, test_runrate, test_rollup)."""
    rows = [
        # id, created, close, stage, amount, category
        ("W1", "2026-07-05", "2026-10-10", "Closed Won", 100.0, "closed"),  # closed in Q4
        ("W2", "2026-05-01", "2026-09-20", "Closed Won", 50.0, "closed"),  # Q3
        ("P1", "2026-08-01", "2026-12-15", "Proposal", 200.0, "best_case"),  # due in Q4
        ("N1", "2026-06-01", "2026-09-30", "Negotiation", 400.0, "commit"),  # overdue -> Q4
        ("D1", "2026-10-01", "2027-02-01", "Discovery", 1000.0, "pipeline"),  # Q1
        ("R1", "2026-07-20", "2026-08-30", "Closed Won", 30.0, "closed"),  # Q3, created late in Q3
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "opportunity_id",
            "created_date",
            "close_date",
            "stage",
            "amount",
            "forecast_category",
        ],
    )
    for column in ("created_date", "close_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def outlook_deals_since_2025() -> pd.DataFrame:
    """:func:`outlook_deals` with a deal lost in June 2025: bookings start there, so the last four
    quarters before 2026-Q4 are all quarters the data speaks for; and a deal won in Jan
    2026 (created before that quarter's cut, so no run-rate), the third month of priced
    bookings a run-rate needs."""
    old = pd.DataFrame(
        {
            "opportunity_id": ["L0", "W0"],
            "created_date": pd.to_datetime(["2025-04-01", "2025-12-01"]),
            "close_date": pd.to_datetime(["2025-06-10", "2026-01-20"]),
            "stage": ["Closed Lost", "Closed Won"],
            "amount": [70.0, 20.0],
            "forecast_category": ["omitted", "closed"],
        }
    )
    return pd.concat([outlook_deals(), old], ignore_index=True)


def css_unescaped(text: str) -> str:
    """CSS's reading of escapes: hexadecimal digits, then the one space that ends them."""
    return re.sub(r"\\([0-9A-Fa-f]{1,6})[ \t\n]?", lambda m: chr(int(m[1], 16)), text)


HUBSPOT = FIXTURES / "exports" / "crm" / "hubspot"  # a HubSpot-shaped export, its source file


def hubspot_copy(tmp_path: Path, edit=None, deals=None) -> Path:
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


def validate_cli(source: Path, capsys) -> tuple[int, str]:
    """``salesops validate`` on ``source``: its exit code and what it printed (never a
    traceback)."""
    from salesops import cli

    code = cli.main(["validate", "--source", str(source)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err


def broken_copy(case: dict, target: Path) -> Path:
    """Copy the tiny CRM to ``target`` and apply one corpus case's edit to it."""
    shutil.copytree(TINY, target)
    if "drop_table" in case:
        (target / f"{case['drop_table']}.csv").unlink()
        return target
    path = target / f"{case['table']}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if case.get("file") == "empty":
        path.write_bytes(b"")
        return target
    if case.get("file") == "headers_only":
        frame = frame.iloc[:0]
    elif case.get("file") == "title_row":  # a merged title cell above the headers
        text = path.read_text()
        path.write_text(f"CRM export {target.name}" + "," * (len(frame.columns) - 1) + "\n" + text)
        return target
    elif case.get("file") == "footer_under_rows":  # a report's footer, with no blank line
        with path.open("a") as f:
            f.write('"Generated By:  Jane Doe  12/1/2026 9:14 AM"\n')
        return target
    elif "drop_column" in case:
        frame = frame.drop(columns=case["drop_column"])
    else:
        row = frame.index[frame.iloc[:, 0] == case["row"]][0]
        if "set" in case:
            for column, value in case["set"].items():
                frame.loc[row, column] = value
        if "append" in case:
            extra = frame.loc[[row]].copy()
            for column, value in case["append"].items():
                extra[column] = value
            frame = pd.concat([frame, extra], ignore_index=True)
    frame.to_csv(path, index=False, encoding=case.get("encoding", "utf-8"))
    return target


def broken_cases() -> dict[str, dict]:
    return yaml.safe_load((FIXTURES / "broken" / "cases.yml").read_text())


# The hostile-input corpus: every text value of the tiny CRM as a web form or a careless
# edit could write it (docs/security.md). Each value is distinct, so a test can say
# where it must land as text.
HOSTILE = {
    "region": {
        "East": '</style><script>alert("region")</script>',
        "West": '"><img src=x onerror=alert(1)>',
    },
    "name": {
        "Maria Manager": "{{7*7}} <b>boss</b>",
        "Alice Able": "[x](javascript:alert(1))",
        "Bob Baker": '<img src=x onerror=alert("Bob")>',
        "Cara Cole": "*bold* _em_ # heading {{7*7}}",
        "Dan Dune": '=HYPERLINK("http://x","y")<a href="javascript:alert(4)">Dan</a>',
    },
    "segment": {
        "SMB": '<script>alert("segment")</script>',
        "Mid-Market": "![img](http://127.0.0.1:1/x.png)",
        "Enterprise": "@SUM(1+1)*cmd|' /C calc'!A0",
    },
    "product": {
        "Core": "<svg onload=alert(1)>",
        "Analytics": "\\\"'; } body {display: none} /*",
        "Services": "+1+cmd|' /C calc'!A0",
        "Integrations": "-2+3",
    },
    "lead_source": {
        "Inbound": '<iframe src="javascript:alert(1)"></iframe>',
        "Outbound": "<style>body {display: none}</style>",
        "Partner": '<iframe src="javascript:alert(1)"></iframe>',  # as Inbound: not shown
        "Event": "# heading {% raw %}x{% endraw %}",
        "Referral": "<!-- comment --> & &amp; &lt;",
    },
}
HOSTILE["source"] = HOSTILE["lead_source"]  # leads.source: the same sources


def hostile_copy(target: Path, set_aside: bool = True) -> Path:
    """Copy the tiny CRM to ``target`` with every text value hostile (:data:`HOSTILE`;
    account ids too: ``<img src=x onerror=alert("A1")>``), and with ``set_aside`` one
    more deal whose negative amount sets it aside under ``--on-invalid quarantine``, its
    text cells formulas."""
    shutil.copytree(TINY, target)
    for path in target.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column, values in HOSTILE.items():
            if column in frame:
                frame[column] = frame[column].replace(values)
        if "account_id" in frame:
            frame["account_id"] = frame["account_id"].map(
                lambda a: f'<img src=x onerror=alert("{a}")>' if a else a
            )
        if path.stem == "opportunities" and set_aside:
            bad = frame.iloc[[0]].assign(
                opportunity_id="O99",
                amount="-5",
                segment="=1+2",
                product="@cmd",
                lead_source="\t=1",
            )
            frame = pd.concat([frame, bad], ignore_index=True)
        frame.to_csv(path, index=False)
    return target


@pytest.fixture(scope="session")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database (12 seats, about 3,000 deals), built once for the whole test run
    (:func:`made_once`: pytest-xdist's workers share it). Read only: sources open it so."""

    def make(folder: Path) -> None:
        config = demo.DemoConfig(reps=12, opportunities=3_000, years=3, chunk_seats=5)
        demo.generate(folder / "small.duckdb", config)

    return made_once(tmp_path_factory, "small-db", make) / "small.duckdb"


def assert_both_plans_ran(results: list) -> None:
    """No report of a source's monthly and annual plans failed, and every kind of report
    ran (``results``: the runner's, of both plans)."""
    failed = [(r.report, r.scope, r.error) for r in results if r.status == "failed"]
    assert failed == []
    kinds = {"metrics", "forecast", "team_review", "performance_review", "planning"}
    assert {r.report for r in results} == kinds


def after_first_report(run: subprocess.Popen) -> str:
    """Read a ``salesops run``'s progress (stderr, without --quiet) until the first report
    has finished, and return what it printed: the bar says "remaining" once a report is
    done. Blocking reads of the pipe: no polling."""
    seen = ""
    while "remaining" not in seen:
        chunk = run.stderr.read(1)
        if not chunk:
            raise RuntimeError(f"the run ended before a report finished: {seen}")
        seen += chunk.decode(errors="replace") if isinstance(chunk, bytes) else chunk
    return seen


def free_port() -> int:
    """A TCP port on localhost that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free localhost port, from Debian's binaries.

    Outside CI it skips, with the reason, when no server binaries are installed; in CI
    (``CI`` set) their absence fails the tests, since ``.ci/run`` installs them.
    """
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries missing in CI (scripts/system-packages.sh)")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    bindir = Path(found[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="salesops-pg-"))  # outside pytest's root-only tree
    datadir, sockets = base / "data", base / "run"
    sockets.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(
        [*run_as, bindir / "initdb", "-D", datadir, "-U", "salesops", "-A", "trust"],
        check=True,
        capture_output=True,
    )
    hba = datadir / "pg_hba.conf"  # the first matching line wins: this role needs a password
    hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    subprocess.run(
        [
            *run_as,
            bindir / "pg_ctl",
            "-D",
            datadir,
            "-l",
            base / "log",
            "-w",
            "start",
            "-o",
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    try:
        url = f"postgresql://salesops@127.0.0.1:{port}/postgres"  # pg_ctl -w waited for it
        yield url
    finally:
        subprocess.run(
            [*run_as, bindir / "pg_ctl", "-D", datadir, "-m", "fast", "stop"], capture_output=True
        )


def copy_tables(folder: Path, con) -> None:
    """Write each CSV of ``folder`` as a table of the database ``con`` is connected to
    (dates as timestamps), replacing a table of that name."""
    for csv in folder.glob("*.csv"):
        frame = pd.read_csv(csv)
        for column in frame.columns:
            if column.endswith(("_date", "_at", "month")):
                frame[column] = pd.to_datetime(frame[column])
        frame.to_sql(csv.stem, con, if_exists="replace", index=False)


PASSWORD_ROLE = "reporter"  # the one role of the test server that must give a password


@pytest.fixture(scope="session")
def postgres_with_password(postgres_url: str, tiny_dir: Path) -> tuple[str, str]:
    """The tiny CRM in a database of its own that only a password opens: its URL without
    the password (``postgresql://reporter@127.0.0.1:<port>/secret_crm``), and the
    password."""
    import sqlalchemy as sa

    password = "Sw0rdfish-7Qx"  # a string that no output has any other reason to hold
    admin = postgres_url.replace("postgresql://", "postgresql+psycopg://")
    with sa.create_engine(admin, isolation_level="AUTOCOMMIT").connect() as con:
        con.execute(sa.text(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{password}'"))
        con.execute(sa.text(f"CREATE DATABASE secret_crm OWNER {PASSWORD_ROLE}"))
    crm = admin.rsplit("/", 1)[0] + "/secret_crm"
    with sa.create_engine(crm).begin() as con:
        con.execute(sa.text(f"SET ROLE {PASSWORD_ROLE}"))
        copy_tables(tiny_dir, con)
    host = postgres_url.split("@", 1)[1].rsplit("/", 1)[0]
    return f"postgresql://{PASSWORD_ROLE}@{host}/secret_crm", password


@pytest.fixture(scope="session")
def demo_db() -> Path:
    """The project's demo database (``make`` builds it; built here if missing)."""
    from salesops import config

    path = config.default_database()
    if not path.exists():
        demo.generate(path)
    return path


def made_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder that ``make`` fills once for the whole test run: under pytest-xdist the
    first worker to ask makes it while the others wait (an exclusive lock on a file
    beside it), then every worker reads the same folder. Tests copy it before changing it."""
    root = factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        root = root.parent  # the run's folder, which every worker's own folder is in
    folder = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".made").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / ".made").touch()
    return folder


@pytest.fixture(scope="session")
def demo_monthly(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's monthly plan (``parameters/monthly.yml``: 52 reports in HTML, PDF and
    notebook form) run once for the whole test run, as ``make report`` runs it; the
    period's folder, with its ``manifest.json``. Read only: copy it to change it."""
    from salesops import cli

    def make(out: Path) -> None:
        args = ["run", "parameters/monthly.yml", "--period", "latest", "--out", str(out)]
        assert cli.main([*args, "--source", str(demo_db), "--quiet"]) == 0

    return next(
        p for p in made_once(tmp_path_factory, "demo-monthly", make).iterdir() if p.is_dir()
    )


@pytest.fixture(scope="session")
def demo_tables(demo_db: Path):
    """The demo database's tables, loaded once per session (a worker's, under xdist)."""
    return so.load(demo_db)


def execute(notebook: str, out: Path, **parameters) -> Path:
    """Run ``notebooks/<notebook>.ipynb`` with papermill into ``out``; returns ``out``."""
    import papermill as pm

    pm.execute_notebook(
        f"notebooks/{notebook}.ipynb",
        str(out),
        kernel_name="python3",
        parameters=parameters,
        progress_bar=False,
    )
    return out


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (scripts/system-packages.sh installs it)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()
