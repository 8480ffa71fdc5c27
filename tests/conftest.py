"""Shared fixtures: the tiny hand-made CRM, a small demo database, a PostgreSQL server."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from salesops import demo

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    """A valid CRM export of 5 people and 10 deals whose numbers can be checked by hand."""
    return TINY


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
    return yaml.safe_load((DATA / "broken" / "cases.yml").read_text())


@pytest.fixture(scope="session")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database (12 seats, about 3,000 deals), built once per session."""
    path = tmp_path_factory.mktemp("demo") / "small.duckdb"
    demo.generate(path, demo.DemoConfig(reps=12, opportunities=3_000, years=3, chunk_seats=5))
    return path


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


@pytest.fixture(scope="session")
def demo_db() -> Path:
    """The project's demo database (``make`` builds it; built here if missing)."""
    from salesops import config

    path = config.default_database()
    if not path.exists():
        demo.generate(path)
    return path


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
