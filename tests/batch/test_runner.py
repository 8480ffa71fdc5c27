"""The batch runner: plans, parallel execution, failures, timeouts, resume, incremental runs,
and what the rendered HTML and PDF contain."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import after_first_report
from pypdf import PdfReader

from batch.conftest import TINY, edit, write_plan
from salesops import cli
from salesops.batch import kernels, manifest, runner
from salesops.batch.plan import BatchPlan
from salesops.batch.runner import RunOptions
from salesops.errors import ConfigError, DataError

NOTEBOOKS = Path(__file__).parents[1] / "fixtures" / "notebooks"
# Every scope of the tiny CRM: the company, its regions, and its active reps with deals.
TINY_SCOPES = ["company", "region:East", "region:West", "rep:R1", "rep:R3", "rep:R4"]


def plan_file(tmp_path: Path, reports: list[dict], **extra) -> Path:
    path = tmp_path / "plan.yml"
    path.write_text(
        yaml.safe_dump(
            {"period": "2026-09", "formats": ["html", "ipynb"], "reports": reports, **extra}
        )
    )
    return path


def run(tmp_path: Path, plan: Path, source, *args: str) -> tuple[int, dict]:
    out = tmp_path / "reports"
    code = cli.main(
        ["run", str(plan), "--source", str(source), "--out", str(out), "--quiet", *args]
    )
    return code, manifest.load(out / "2026-09")


@pytest.fixture
def crm(tiny_dir, tmp_path) -> Path:
    """A private copy of the tiny CRM that a test may change."""
    return Path(shutil.copytree(tiny_dir, tmp_path / "crm"))


# -- plans --------------------------------------------------------------------------------


def test_scopes_expand_from_the_data(crm, tmp_path):
    plan = BatchPlan.from_dict(
        {"reports": [{"notebook": TINY, "scopes": ["company", "region:*", "rep:*"]}]}
    )
    label, jobs = runner.plan_jobs(plan, tmp_path, RunOptions(period="2026-09", source=str(crm)))
    assert label == "2026-09"
    assert [j.scope for j in jobs] == TINY_SCOPES
    assert jobs[1].parameters["summary_path"].endswith("2026-09/region-East/tiny_report.json")
    only = runner.plan_jobs(
        plan, tmp_path, RunOptions(only="tiny_report:region:*", period="2026-09", source=str(crm))
    )[1]
    assert [j.scope for j in only] == ["region:East", "region:West"]


def test_a_rep_gets_a_review_only_with_a_deal_in_the_last_12_months(crm, tmp_path):
    """R5 is active and owned one deal, closed in March 2024: nothing for a September
    2026 review to show, so ``rep:*`` leaves them out (a finished-looking empty report
    is worse than none); the March 2024 run has them alone (nobody else had a deal yet)."""
    with (crm / "reps.csv").open("a") as f:
        f.write("R5,Eve Early,East,M1,rep,,2021-01-01,\n")
    with (crm / "opportunities.csv").open("a") as f:
        f.write("O11,A1,R5,East,SMB,Core,Inbound,2024-01-10,2024-03-05,Closed Won,900,closed\n")
    plan = BatchPlan.from_dict({"reports": [{"notebook": TINY, "scopes": ["rep:*"]}]})
    _, jobs = runner.plan_jobs(plan, tmp_path, RunOptions(period="2026-09", source=str(crm)))
    assert [j.scope for j in jobs] == ["rep:R1", "rep:R3", "rep:R4"]
    _, jobs = runner.plan_jobs(plan, tmp_path, RunOptions(period="2024-03", source=str(crm)))
    assert [j.scope for j in jobs] == ["rep:R5"]  # the others had no deal yet


def test_a_region_gets_reports_only_with_a_deal_in_the_last_12_months(crm, tmp_path):
    """North's one deal closed in March 2024: ``region:*`` leaves it out of September 2026
    (before, any region ever was in), by the rule that serves ``rep:*``; the March 2024
    run has it alone."""
    with (crm / "reps.csv").open("a") as f:
        f.write("R5,Eve Early,North,M1,rep,,2021-01-01,\n")
    with (crm / "opportunities.csv").open("a") as f:
        f.write("O11,A1,R5,North,SMB,Core,Inbound,2024-01-10,2024-03-05,Closed Won,900,closed\n")
    plan = BatchPlan.from_dict({"reports": [{"notebook": TINY, "scopes": ["region:*"]}]})
    _, jobs = runner.plan_jobs(plan, tmp_path, RunOptions(period="2026-09", source=str(crm)))
    assert [j.scope for j in jobs] == ["region:East", "region:West"]
    _, jobs = runner.plan_jobs(plan, tmp_path, RunOptions(period="2024-03", source=str(crm)))
    assert [j.scope for j in jobs] == ["region:North"]


# -- execution ----------------------------------------------------------------------------


@pytest.mark.notebook
def test_a_failing_report_does_not_stop_the_others(crm, tmp_path, capsys):
    plan = plan_file(
        tmp_path,
        [
            {"notebook": TINY, "scopes": ["company", "region:East"]},
            {
                "notebook": str(tmp_path / "broken"),
                "scopes": ["region:West"],
                "parameters": {"fail": True},
            },
        ],
    )
    shutil.copy(TINY + ".ipynb", tmp_path / "broken.ipynb")
    code, entries = run(tmp_path, plan, crm, "--workers", "2")
    assert code == 1
    assert entries[("tiny_report", "company")]["status"] == "done"
    assert entries[("tiny_report", "region:East")]["status"] == "done"
    failed = entries[("broken", "region:West")]
    assert failed["status"] == "failed"
    assert (
        failed["error"]["message"] == "ValueError: asked to fail" and failed["error"]["cell"] == 6
    )  # In [6] of the executed notebook
    assert "html" not in failed["outputs"]  # no finished-looking page for a failed report
    assert Path(failed["outputs"]["ipynb"]).exists()  # kept for audit
    assert "FAILED broken region:West: cell 6: ValueError: asked to fail" in capsys.readouterr().err
    index = (tmp_path / "reports" / "2026-09" / "index.html").read_text()
    assert "cell 6: ValueError: asked to fail" in index and "East region" in index


@pytest.mark.notebook
def test_a_failed_report_withdraws_what_its_last_run_published(crm, tmp_path):
    """The HTML and summary of an earlier good run hold other numbers than the data has
    now: when the report fails, they go, and the portal shows the failure alone."""
    report = {"notebook": TINY, "scopes": ["company"]}
    folder = tmp_path / "reports" / "2026-09"
    old = [folder / "company" / f"tiny_report.{kind}" for kind in ("html", "json")]
    assert run(tmp_path, plan_file(tmp_path, [report]), crm)[0] == 0
    assert all(path.exists() for path in old)
    failing = plan_file(tmp_path, [{**report, "parameters": {"fail": True}}])
    code, entries = run(tmp_path, failing, crm)
    entry = entries[("tiny_report", "company")]
    assert code == 1 and entry["status"] == "failed" and set(entry["outputs"]) == {"ipynb"}
    assert not any(path.exists() for path in old)
    index = (folder / "index.html").read_text()
    assert "tiny_report.html" not in index and "ValueError: asked to fail" in index


@pytest.mark.notebook
def test_a_timeout_fails_that_report(crm, tmp_path):
    plan = plan_file(
        tmp_path, [{"notebook": TINY, "scopes": ["company"], "parameters": {"wait_s": 60}}]
    )
    code, entries = run(tmp_path, plan, crm, "--timeout", "3")
    assert code == 1
    entry = entries[("tiny_report", "company")]
    assert entry["status"] == "failed" and "Timeout" in entry["error"]["message"]
    assert "html" not in entry["outputs"]  # the 60 s cell was stopped: nothing rendered


def kernel_pids(entries: dict) -> set[str]:
    """The kernel process ids the probe notebook printed."""
    printed = [Path(e["outputs"]["ipynb"]).read_text() for e in entries.values()]
    return {re.search(r"pid (\d+)", text).group(1) for text in printed}


@pytest.mark.notebook
def test_a_worker_reuses_its_kernel_but_each_report_starts_clean(crm, tmp_path):
    plan = plan_file(tmp_path, [{"notebook": str(NOTEBOOKS / "probe"), "scopes": TINY_SCOPES}])
    code, entries = run(tmp_path, plan, crm, "--workers", "1")
    assert code == 0, [e["error"] for e in entries.values() if e["error"]]
    assert len(kernel_pids(entries)) == 1  # one kernel ran all six: the probe fails on a leak
    for entry in entries.values():  # and the kernel said nothing of its own into a report
        executed = json.loads(Path(entry["outputs"]["ipynb"]).read_text())
        streams = [o for c in executed["cells"] for o in c.get("outputs", [])]
        assert all(o.get("name") != "stderr" for o in streams)
        assert "ERROR" not in Path(entry["outputs"]["html"]).read_text()


@pytest.mark.notebook
def test_fresh_kernels_give_every_report_its_own(crm, tmp_path):
    plan = plan_file(tmp_path, [{"notebook": str(NOTEBOOKS / "probe"), "scopes": TINY_SCOPES[:3]}])
    code, entries = run(tmp_path, plan, crm, "--workers", "1", "--fresh-kernels")
    assert code == 0
    assert len(kernel_pids(entries)) == 3


@pytest.mark.notebook
def test_a_kernel_left_large_by_a_report_is_replaced(crm, tmp_path):
    (tmp_path / "notebooks").mkdir()  # the probe checks that it runs in a notebooks/ folder
    shutil.copy(NOTEBOOKS / "probe.ipynb", tmp_path / "notebooks" / "large.ipynb")
    hold = (kernels.MAX_RESIDENT >> 20) + 100  # megabytes: just over what a kernel may keep
    plan = plan_file(
        tmp_path,
        [
            {
                "notebook": str(tmp_path / "notebooks" / "large"),
                "scopes": ["company"],
                "parameters": {"hold_mb": hold},
            },
            {"notebook": str(NOTEBOOKS / "probe"), "scopes": ["region:East", "region:West"]},
        ],
    )
    code, entries = run(tmp_path, plan, crm, "--workers", "1")
    assert code == 0, [e["error"] for e in entries.values() if e["error"]]
    large = kernel_pids({k: v for k, v in entries.items() if k[0] == "large"})
    after = kernel_pids({k: v for k, v in entries.items() if k[0] == "probe"})
    assert len(after) == 1 and large.isdisjoint(after)  # one fresh kernel after the large one


@pytest.mark.notebook
def test_a_timed_out_kernel_is_replaced(crm, tmp_path):
    shutil.copy(TINY + ".ipynb", tmp_path / "after.ipynb")
    plan = plan_file(
        tmp_path,
        [
            {"notebook": TINY, "scopes": ["company"], "parameters": {"wait_s": 600}},
            {"notebook": str(tmp_path / "after"), "scopes": ["company"]},
        ],
    )
    # The limit is per cell, for both reports: long enough that a fresh kernel's import and
    # load finish on a loaded CI machine (3 s did not), far below the first report's sleep.
    code, entries = run(tmp_path, plan, crm, "--timeout", "20", "--workers", "1")
    assert code == 1
    assert entries[("tiny_report", "company")]["status"] == "failed"
    assert entries[("after", "company")]["status"] == "done"


@pytest.mark.notebook
def test_incremental_runs_and_a_data_change(crm, tmp_path):
    plan = plan_file(tmp_path, [{"notebook": TINY, "scopes": ["company", "region:*"]}])
    assert run(tmp_path, plan, crm)[0] == 0
    _, results = runner.run(BatchPlan.read(plan), tmp_path / "reports", RunOptions(source=str(crm)))
    assert {r.status for r in results} == {"skipped"}
    csv = crm / "opportunities.csv"  # a West deal changes
    csv.write_text(
        csv.read_text().replace("2026-09-30,Closed Won,50000", "2026-09-30,Closed Won,55000")
    )
    _, results = runner.run(BatchPlan.read(plan), tmp_path / "reports", RunOptions(source=str(crm)))
    status = {r.scope: r.status for r in results}
    assert status == {"company": "done", "region:East": "skipped", "region:West": "done"}
    summary = json.loads(
        Path(tmp_path / "reports/2026-09/region-West/tiny_report.json").read_text()
    )
    assert summary["bookings"] == 55_000
    _, results = runner.run(
        BatchPlan.read(plan), tmp_path / "reports", RunOptions(source=str(crm), force=True)
    )
    assert {r.status for r in results} == {"done"}


@pytest.mark.notebook
def test_what_a_report_reads_sets_what_its_fingerprint_covers(crm, tmp_path):
    """A West change re-runs East's report when East's report reads the whole company, and
    a rep's report when it reads the rep's region."""
    plan = plan_file(
        tmp_path,
        [
            {"notebook": TINY, "scopes": ["region:East"], "reads": "company"},
            {"notebook": TINY, "scopes": ["rep:R1", "rep:R3"], "reads": "region"},
        ],
    )
    assert run(tmp_path, plan, crm)[0] == 0
    csv = crm / "opportunities.csv"  # a West deal (rep R3) changes
    csv.write_text(
        csv.read_text().replace("2026-09-30,Closed Won,50000", "2026-09-30,Closed Won,55000")
    )
    _, results = runner.run(BatchPlan.read(plan), tmp_path / "reports", RunOptions(source=str(crm)))
    status = {r.scope: r.status for r in results}
    assert status == {"region:East": "done", "rep:R1": "skipped", "rep:R3": "done"}


@pytest.mark.notebook
def test_resume_after_a_killed_run(crm, tmp_path):
    plan = plan_file(
        tmp_path,
        [
            {
                "notebook": TINY,
                "scopes": ["company", "region:*", "rep:*"],
                "parameters": {"wait_s": 1.5},
            }
        ],
    )
    out = tmp_path / "reports"
    args = [
        sys.executable,
        "-m",
        "salesops.cli",
        "run",
        str(plan),
        "--source",
        str(crm),
        "--out",
        str(out),
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(args, start_new_session=True, stderr=subprocess.PIPE)
    manifest_path = out / "2026-09" / "manifest.json"
    after_first_report(proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {
        e["scope"]
        for e in json.loads(manifest_path.read_text())["reports"]
        if e["status"] == "done"
    }
    assert 1 <= len(finished) < 6
    for path in out.rglob("*"):
        if path.suffix == ".html":
            assert path.read_text().rstrip().endswith("</html>"), path
    _, results = runner.run(BatchPlan.read(plan), out, RunOptions(source=str(crm), workers=2))
    assert {r.scope for r in results if r.status == "skipped"} == finished
    assert {r.scope for r in results if r.status == "done"} == set(TINY_SCOPES) - finished
    assert not [p for p in out.rglob("*") if p.name.endswith((".tmp", ".running.ipynb"))]


# -- rendering ----------------------------------------------------------------------------


@pytest.mark.notebook
def test_metrics_report_html_and_pdf(small_db, tmp_path):
    plan = plan_file(
        tmp_path,
        [{"notebook": "metrics", "scopes": ["region:EMEA"]}],
        formats=["html", "pdf", "ipynb"],
    )
    code, entries = run(tmp_path, plan, small_db)
    assert code == 0
    entry = entries[("metrics", "region:EMEA")]
    html = Path(entry["outputs"]["html"]).read_text()
    assert "so.load(" not in html and "import salesops" not in html  # no code
    assert 'class="jp-InputPrompt' not in html and "In&nbsp;[" not in html  # no prompts
    assert "https://cdn" not in html and "<script src=" not in html  # nothing fetched
    assert "data:image/png;base64" in html  # charts are inline images
    for text in (
        "Sales metrics",
        "Scope: <b>region:EMEA</b>",
        "Period: <b>2026-09</b>",
        entry["fingerprint"],
    ):
        assert text in html
    pdf = PdfReader(entry["outputs"]["pdf"])
    first = pdf.pages[0].extract_text()
    assert "region:EMEA" in first and "2026-09" in first and f"page 1 of {len(pdf.pages)}" in first
    bookings = json.loads(Path(entry["outputs"]["summary"]).read_text())["kpis"]["Bookings"][
        "current"
    ]
    assert f"${bookings:,.0f}" in first


@pytest.mark.notebook
def test_the_plan_survives_a_killed_dask_worker(crm, tmp_path):
    """A scheduler and two workers started from Dask's CLIs, as separate processes; one
    worker is SIGKILLed while it runs a report. The plan still finishes on the other, every
    report is whole and the manifest is complete."""
    from dask.distributed import Client

    from salesops.batch import cluster

    plan = plan_file(tmp_path, [{"notebook": TINY, "scopes": TINY_SCOPES}])
    out = tmp_path / "reports"
    command = [sys.executable, "-m", "salesops.cli", "run", str(plan), "--source", str(crm)]
    command += ["--out", str(out), "--formats", "html,pdf,ipynb"]
    with cluster.processes(workers=2) as (address, workers), Client(address) as client:
        run = subprocess.Popen([*command, "--cluster", address], stderr=subprocess.PIPE)
        after_first_report(run)
        names = {w["name"]: a for a, w in client.scheduler_info()["workers"].items()}
        busy = None
        while busy is None and run.poll() is None:
            processing = client.processing()
            busy = next((i for i in (0, 1) if processing.get(names[f"worker-{i}"])), None)
        assert busy is not None, "the run ended before a worker could be killed mid-report"
        workers[busy].send_signal(signal.SIGKILL)
        run.stderr.read()
        assert run.wait(timeout=300) == 0
        assert workers[busy].wait(timeout=10) == -signal.SIGKILL
        assert workers[1 - busy].poll() is None
    entries = manifest.load(out / "2026-09")
    assert sorted(scope for _, scope in entries) == sorted(TINY_SCOPES)
    assert {e["status"] for e in entries.values()} == {"done"}
    for entry in entries.values():
        outputs = entry["outputs"]
        assert Path(outputs["html"]).read_text().rstrip().endswith("</html>")
        assert len(PdfReader(outputs["pdf"]).pages) >= 1
        assert json.loads(Path(outputs["ipynb"]).read_text())["cells"]
    west = json.loads(
        Path(entries[("tiny_report", "region:West")]["outputs"]["summary"]).read_text()
    )
    assert west["bookings"] == 50_000  # O5; O7 was lost
    assert not list(out.rglob(".*.running.ipynb"))  # the killed worker's is swept


def test_an_unreachable_cluster_is_a_plain_error(crm, tmp_path, capsys):
    import dask

    plan = plan_file(tmp_path, [{"notebook": TINY, "scopes": ["company"]}])
    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        code = cli.main(
            [
                "run",
                str(plan),
                "--source",
                str(crm),
                "--out",
                str(tmp_path / "r"),
                "--quiet",
                "--cluster",
                "tcp://127.0.0.1:9",
            ]
        )
    assert code == 2 and "cannot reach the Dask scheduler" in capsys.readouterr().err


# -- scope folders (issue 29) -------------------------------------------------------------


def rename(crm: Path, table: str, column: str, old: str, new: str) -> None:
    """Rename a region or rep id in every row of ``crm``'s ``table`` that has it."""
    path = crm / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame[column] == old, column] = new
    frame.to_csv(path, index=False)


def test_scopes_that_one_folder_would_confuse_get_their_own(crm, tmp_path):
    for table, column in [("opportunities", "owner_id"), ("reps", "rep_id")]:
        rename(crm, table, column, "R1", "R:1")
        rename(crm, table, column, "R3", "R-1")
    rename(crm, "opportunities", "region", "East", "NA East")
    rename(crm, "opportunities", "region", "West", "NA_East")
    plan = BatchPlan.from_dict({"reports": [{"notebook": TINY, "scopes": ["region:*", "rep:*"]}]})
    folders = {
        j.scope: Path(j.parameters["summary_path"]).parent.name
        for j in runner.plan_jobs(plan, tmp_path, RunOptions(period="2026-09", source=str(crm)))[1]
    }
    assert set(folders) == {"region:NA East", "region:NA_East", "rep:R:1", "rep:R-1", "rep:R4"}
    assert folders["rep:R-1"] == "rep-R-1" and folders["region:NA_East"] == "region-NA_East"
    assert len({f.casefold() for f in folders.values()}) == 5


def test_the_plan_refuses_two_scopes_in_one_folder(crm, tmp_path):
    rename(crm, "opportunities", "region", "West", "east")  # East's folder, ignoring case
    plan = BatchPlan.from_dict({"reports": [{"notebook": TINY, "scopes": ["region:*"]}]})
    with pytest.raises(ConfigError) as info:
        runner.plan_jobs(plan, tmp_path, RunOptions(period="2026-09", source=str(crm)))
    assert "scopes 'region:East' and 'region:east' would share the report folder" in str(info.value)


@pytest.mark.notebook
def test_a_region_name_too_long_for_a_file_name_runs_and_is_recorded(crm, tmp_path):
    long = ("Northern Europe, Middle East and Africa (enterprise accounts) " * 6)[:320]
    rename(crm, "opportunities", "region", "West", long)
    rename(crm, "reps", "region", "West", long)
    plan = plan_file(tmp_path, [{"notebook": TINY, "scopes": ["region:*"]}])
    code, entries = run(tmp_path, plan, crm)
    assert code == 0
    done = entries[("tiny_report", f"region:{long}")]
    assert done["status"] == "done"
    html = Path(done["outputs"]["html"])
    assert html.exists() and len(html.parent.name) <= 100
    assert entries[("tiny_report", "region:East")]["status"] == "done"


def test_run_options_are_frozen_and_named():
    options = RunOptions(workers=2, on_invalid="quarantine")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.workers = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        RunOptions("2026-09")  # type: ignore[misc]
    assert runner.counts([]) == {"done": 0, "skipped": 0, "failed": 0}


@pytest.mark.notebook
def test_files_follow_the_umask_and_a_moved_folder_still_works(tiny_dir, tmp_path):
    plan = write_plan(
        tmp_path / "plan.yml", [{"notebook": TINY, "scopes": ["company", "region:*"]}]
    )
    out = tmp_path / "reports"
    old = os.umask(0o027)
    try:
        assert (
            cli.main(["run", str(plan), "--source", str(tiny_dir), "--out", str(out), "--quiet"])
            == 0
        )
    finally:
        os.umask(old)
    files = [p for p in out.rglob("*") if p.is_file() and p.name != ".lock"]
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(0o640)}, files
    assert {oct(p.stat().st_mode & 0o777) for p in out.rglob("*") if p.is_dir()} == {oct(0o750)}

    published = tmp_path / "share" / "sales"
    shutil.move(out, published)
    folder = published / "2026-09"
    saved = json.loads((folder / "manifest.json").read_text())["reports"]
    for entry in saved:
        for path in entry["outputs"].values():
            assert not Path(path).is_absolute() and (folder / path).is_file(), path
        assert not Path(entry["parameters"]["summary_path"]).is_absolute()
    links = re.findall(r'href="([^"]+)"', (folder / "index.html").read_text())
    assert len(links) == 3 + 2 and all((folder / link).is_file() for link in links)
    _, results = runner.run(BatchPlan.read(plan), published, RunOptions(source=str(tiny_dir)))
    assert {r.status for r in results} == {"skipped"}  # the moved manifest still matches


@pytest.mark.notebook
@pytest.mark.postgres
@pytest.mark.parametrize("form", ["user", "query"])
def test_a_database_password_is_in_no_output(form, postgres_with_password, tmp_path):
    """The kernel connects with the password (the role needs one), yet no file of the run,
    executed notebook, manifest, portal or run log, holds it: they name it by reference."""
    url, password = postgres_with_password
    if form == "user":
        source = url.replace("reporter@", f"reporter:{password}@")
    else:
        source = f"{url}?connect_timeout=10&password={password}"
    plan = tmp_path / "plan.yml"
    plan.write_text(
        yaml.safe_dump(
            {
                "period": "2026-09",
                "formats": ["html", "ipynb"],
                "reports": [{"notebook": TINY, "scopes": ["company"]}],
            }
        )
    )
    out = tmp_path / "reports"
    assert cli.main(["run", str(plan), "--source", source, "--out", str(out), "--quiet"]) == 0
    entry = json.loads((out / "2026-09" / "manifest.json").read_text())["reports"][0]
    assert entry["status"] == "done" and set(entry["outputs"]) == {"html", "ipynb", "summary"}
    assert entry["parameters"]["source"] == source.replace(password, "${SALESOPS_SOURCE_PASSWORD}")
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"manifest.json", "index.html", "runs.jsonl"}
    assert {p.suffix for p in written} >= {".ipynb", ".html", ".json", ".csv", ".parquet"}
    for path in written:
        assert password.encode() not in path.read_bytes(), path


@pytest.mark.notebook
def test_a_quarantine_run_writes_the_rows_and_every_report_says_how_many(home):
    crm = home / "crm"
    edit(
        crm / "opportunities.csv",
        "O2,A2,R1,East,SMB,Core,Outbound,2026-07-10,2026-09-20,Closed Lost,5000",
        "O2,A2,R1,East,SMB,Core,Outbound,2026-07-10,2026-09-20,Closed Lost,-5000",
    )
    plan = write_plan(
        home / "plan.yml",
        [
            {"notebook": "metrics", "scopes": ["company"]},
            {"notebook": "team_review", "scopes": ["region:East"]},
        ],
    )
    out = home / "reports"
    with pytest.raises(DataError, match="amount: must be >= 0"):  # strict by default
        runner.run(BatchPlan.read(plan), out, RunOptions(source=str(crm), workers=2))
    _, results = runner.run(
        BatchPlan.read(plan), out, RunOptions(source=str(crm), workers=2, on_invalid="quarantine")
    )
    assert {r.status for r in results} == {"done"}
    aside = (out / "2026-09" / "quarantine" / "opportunities.csv").read_text()
    assert "O2," in aside and "amount: must be >= 0" in aside
    for page in ("company/metrics.html", "region-East/team_review.html"):
        html = (out / "2026-09" / page).read_text()
        assert "Data quality:" in html and "opportunities 1, opportunity_history 3" in html
