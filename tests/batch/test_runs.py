"""Runs you can trust: what re-runs when code or configuration changes, one run at a time
per output folder, publishable outputs and the run log."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml
from conftest import after_first_report

from salesops import cli, fingerprint
from salesops.batch import manifest, render, runner
from salesops.batch.lock import EX_TEMPFAIL, BusyError, RunLock
from salesops.batch.plan import BatchPlan
from salesops.batch.runner import RunOptions

ROOT = Path(__file__).parents[2]
TINY = str(Path(__file__).parents[1] / "fixtures" / "notebooks" / "tiny_report")


def write_plan(path: Path, reports: list[dict], period: str = "2026-09") -> Path:
    path.write_text(yaml.safe_dump({"period": period, "formats": ["html"], "reports": reports}))
    return path


@pytest.fixture
def home(tmp_path, tiny_dir, monkeypatch) -> Path:
    """A project of its own (parameters, notebooks and the tiny CRM) that a test may change."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "parameters", home / "parameters")
    shutil.copytree(ROOT / "notebooks", home / "notebooks")
    shutil.copytree(tiny_dir, home / "crm")
    monkeypatch.setenv("SALESOPS_HOME", str(home))
    return home


def statuses(results: list[runner.Result]) -> dict[tuple[str, str], str]:
    return {(r.report, r.scope): r.status for r in results}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


# -- what re-runs -------------------------------------------------------------------------


@pytest.mark.notebook
def test_a_configuration_change_re_runs_exactly_the_reports_that_read_it(home, monkeypatch):
    plan = write_plan(
        home / "plan.yml",
        [
            {"notebook": "metrics", "scopes": ["company"]},
            {"notebook": "team_review", "scopes": ["region:East"]},
            {"notebook": "performance_review", "scopes": ["rep:R1"], "reads": "region"},
        ],
    )
    out, crm = home / "reports", str(home / "crm")

    def again() -> tuple[dict, dict]:
        _, results = runner.run(BatchPlan.read(plan), out, RunOptions(source=crm, workers=2))
        assert all(r.status != "failed" for r in results), [r.error for r in results]
        return statuses(results), {(r.report, r.scope): r.reason for r in results}

    def payable() -> float:
        summary = out / "2026-09" / "rep-R1" / "performance_review.json"
        return json.loads(summary.read_text())["payable"]

    status, reason = again()
    assert set(status.values()) == {"done"} and set(reason.values()) == {"first run"}
    before = payable()
    status, _ = again()
    assert set(status.values()) == {"skipped"}

    # The commission plan: only the two reviews re-run, with the new numbers.
    edit(home / "parameters" / "comp_plan.yml", "rate: 0.04", "rate: 0.06")
    status, reason = again()
    assert status == {
        ("metrics", "company"): "skipped",
        ("team_review", "region:East"): "done",
        ("performance_review", "rep:R1"): "done",
    }
    assert reason[("performance_review", "rep:R1")] == "changed: parameters/comp_plan.yml"
    # R1's quarter to September: $10,000 booked against $32,000 of quota (31%), all of it
    # in the decelerator band. August paid 50% of $10,000 at the decelerator rate and 50% at
    # the base rate; the quarter's true-up re-computes the $10,000 at the decelerator rate
    # alone, so September pays (rate - (rate + 8%) / 2) x $10,000 = -$200 at 4%, -$100 at 6%.
    assert (before, payable()) == (-200.0, -100.0)

    # A stage's probability: every report reads stages.
    edit(home / "parameters" / "stages.yml", "probability: 0.50", "probability: 0.55")
    status, reason = again()
    assert set(status.values()) == {"done"}
    assert set(reason.values()) == {"changed: parameters/stages.yml"}

    # One notebook: only its reports.
    edit(home / "notebooks" / "metrics.ipynb", "# Sales metrics", "# Sales metrics, monthly")
    status, reason = again()
    assert status[("metrics", "company")] == "done" and list(status.values()).count("done") == 1
    assert reason[("metrics", "company")] == "changed: notebook"

    # The package's code: everything.
    monkeypatch.setattr(fingerprint, "code_hash", lambda: "a-new-release")
    status, reason = again()
    assert set(status.values()) == {"done"} and set(reason.values()) == {"changed: code"}

    entry = manifest.load(out / "2026-09")[("performance_review", "rep:R1")]
    assert entry["inputs"]["code"] == "a-new-release"
    assert set(entry["inputs"]["config"]) == {
        "parameters/stages.yml",
        "parameters/settings.yml",
        "parameters/comp_plan.yml",
    }


def test_what_a_report_reads_is_named_in_its_fingerprint(home):
    """Stages and settings for every report, the source file, and every YAML file that a
    parameter names, with the notebook's default when the plan does not set it."""
    plan = write_plan(
        home / "plan.yml",
        [
            {"notebook": "metrics", "scopes": ["company"]},
            {"notebook": "planning", "scopes": ["company"], "reads": "company"},
            {
                "notebook": "performance_review",
                "scopes": ["rep:R1"],
                "parameters": {"comp_plan": "parameters/comp_plan_variant.yml"},
            },
        ],
    )
    source = home / "parameters" / "sources" / "tiny.yml"
    source.write_text(
        yaml.safe_dump({"name": "tiny", "kind": "files", "location": str(home / "crm")})
    )
    _, jobs = runner.plan_jobs(
        BatchPlan.read(plan), home / "reports", RunOptions(source=str(source))
    )
    config = {job.report: set(job.inputs["config"]) for job in jobs}
    everyone = {
        "parameters/stages.yml",
        "parameters/settings.yml",
        "parameters/sources/tiny.yml",
    }
    assert config == {
        "metrics": everyone,
        "planning": everyone | {"parameters/comp_plan.yml", "parameters/comp_plan_variant.yml"},
        "performance_review": everyone | {"parameters/comp_plan_variant.yml"},
    }
    assert fingerprint.code_hash() == fingerprint.code_hash()  # once per process, cached
    again = runner.plan_jobs(
        BatchPlan.read(plan), home / "reports", RunOptions(source=str(source))
    )[1]
    assert [j.fingerprint for j in again] == [j.fingerprint for j in jobs]
    edit(source, "name: tiny", "name: tiny CRM")
    third = runner.plan_jobs(
        BatchPlan.read(plan), home / "reports", RunOptions(source=str(source))
    )[1]
    assert all(a.fingerprint != b.fingerprint for a, b in zip(jobs, third, strict=True))


def test_the_code_hash_covers_every_source_file(monkeypatch, tmp_path):
    package = tmp_path / "salesops"
    package.mkdir()
    (package / "metrics.py").write_text("RATE = 1\n")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "metrics.pyc").write_bytes(b"noise")
    monkeypatch.setattr(fingerprint, "__file__", str(package / "fingerprint.py"))
    fingerprint.code_hash.cache_clear()
    try:
        first = fingerprint.code_hash()
        (package / "__pycache__" / "metrics.pyc").write_bytes(b"other noise")
        fingerprint.code_hash.cache_clear()
        assert fingerprint.code_hash() == first  # bytecode does not count
        (package / "metrics.py").write_text("RATE = 2\n")
        fingerprint.code_hash.cache_clear()
        assert fingerprint.code_hash() != first
    finally:
        fingerprint.code_hash.cache_clear()


def test_caches_are_keyed_by_the_code_too(monkeypatch, tmp_path):
    from salesops.storage import cached

    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    calls = []
    assert cached("sums", ["v1"], lambda: calls.append(1) or 1) == 1
    assert cached("sums", ["v1"], lambda: calls.append(1) or 1) == 1
    monkeypatch.setattr(fingerprint, "code_hash", lambda: "a-new-release")
    assert cached("sums", ["v1"], lambda: calls.append(1) or 1) == 1
    assert len(calls) == 2


def test_two_processes_that_need_one_result_compute_it_once(tmp_path):
    """The second waits for the first's result (a region's peers, needed by two workers'
    first reviews at once) instead of computing it too."""
    code = (
        "import pathlib, time\n"
        "from salesops.storage import cached\n"
        "def compute():\n"
        "    with open(pathlib.Path('computed'), 'a') as f: f.write('once\\n')\n"
        "    time.sleep(1)\n"
        "    return 42\n"
        "print(cached('slow', ['x'], compute))\n"
    )
    env = {**os.environ, "SALESOPS_HOME": str(tmp_path)}
    both = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    assert [p.communicate()[0].strip() for p in both] == ["42", "42"]
    assert (tmp_path / "computed").read_text() == "once\n"


# -- one run at a time --------------------------------------------------------------------


def cli_run(plan: Path, crm: Path, out: Path, quiet: bool = True) -> subprocess.Popen:
    args = [sys.executable, "-m", "salesops.cli", "run", str(plan), "--source", str(crm)]
    return subprocess.Popen(
        [*args, "--out", str(out), "--workers", "1", *(["--quiet"] if quiet else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.mark.notebook
def test_two_runs_at_once_take_turns(tiny_dir, tmp_path):
    """Two CLI runs started while a third party holds the lock both wait, say so once,
    then take turns: one makes the reports, the other finds them unchanged."""
    plan = write_plan(
        tmp_path / "plan.yml",
        [{"notebook": TINY, "scopes": ["company", "region:*"], "parameters": {"wait_s": 1.0}}],
    )
    out = tmp_path / "reports"
    with RunLock(out):
        first = cli_run(plan, tiny_dir, out)
        said = [first.stderr.readline()]  # blocks until it waits for the lock
        second = cli_run(plan, tiny_dir, out)
        said.append(second.stderr.readline())
    for line in said:
        assert f"another run holds {out / '.lock'} (pid {os.getpid()}" in line
        assert "waiting for it to finish" in line
    (_, err1), (_, err2) = first.communicate(timeout=300), second.communicate(timeout=300)
    assert (first.returncode, second.returncode) == (0, 0), (err1, err2)
    assert "another run holds" not in err1 + err2  # each said it once
    entries = json.loads((out / "2026-09" / "manifest.json").read_text())["reports"]
    assert sorted(e["scope"] for e in entries) == ["company", "region:East", "region:West"]
    runs = manifest.read_runs(out)
    assert [(r["done"], r["skipped"], r["failed"]) for r in runs] == [(3, 0, 0), (0, 3, 0)]
    assert runs[0]["ended"] <= runs[1]["ended"]


def test_no_wait_exits_75_and_names_the_holder(tiny_dir, tmp_path, capsys):
    plan = write_plan(tmp_path / "plan.yml", [{"notebook": TINY, "scopes": ["company"]}])
    out = tmp_path / "reports"
    args = ["run", str(plan), "--source", str(tiny_dir), "--out", str(out), "--quiet"]
    with RunLock(out):
        assert cli.main([*args, "--no-wait"]) == EX_TEMPFAIL
    message = capsys.readouterr().err
    assert re.search(
        rf"another run holds {re.escape(str(out))}/.lock \(pid {os.getpid()},", message
    )
    assert "try again when it has finished" in message


def test_a_lock_that_outlived_its_run_names_who_holds_it(tmp_path):
    """A lock file naming a process that has ended is taken at once when nobody holds
    it; one that somebody else still holds names that live process."""
    out = tmp_path / "reports"
    out.mkdir()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    stale = {"pid": int(gone.stdout), "user": "ann", "since": "2026-11-02T06:00:03+00:00"}
    (out / ".lock").write_text(json.dumps(stale))
    with RunLock(out, wait=False):
        pass
    holder = (  # locks the file, then writes the ended run's name into it, as an orphan would
        "import fcntl, os, sys\n"
        f"fd = os.open({str(out / '.lock')!r}, os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.ftruncate(fd, 0)\n"
        f"os.pwrite(fd, {json.dumps(stale).encode()!r}, 0)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as orphan:
        assert orphan.stdout.readline() == "locked\n"
        with pytest.raises(BusyError) as busy:
            RunLock(out, wait=False).__enter__()
        orphan.stdin.close()
    assert f"pid {stale['pid']}, ann, since 2026-11-02T06:00:03+00:00, which has ended" in str(
        busy.value
    )
    assert f"which has ended; held by pid {orphan.pid} (python" in str(busy.value)


def still_there(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those of ``processes`` that still run (a zombie has ended)."""
    alive = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
    return alive


@pytest.mark.notebook
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_run_leaves_no_process_and_no_lock(sig, tiny_dir, tmp_path):
    """The run's process alone is signalled (not its process group) while its worker holds
    a kernel and, for the PDFs, Chromium: none of them survives it, and the next run takes
    the lock at once."""
    plan = tmp_path / "plan.yml"
    reports = [{"notebook": TINY, "scopes": ["company", "region:*"], "parameters": {"wait_s": 5}}]
    plan.write_text(
        yaml.safe_dump({"period": "2026-09", "formats": ["html", "pdf"], "reports": reports})
    )
    out = tmp_path / "reports"
    killed = cli_run(plan, tiny_dir, out, quiet=False)
    after_first_report(killed)  # its worker has printed a PDF and runs the next report
    run = psutil.Process(killed.pid)
    family = run.children(recursive=True)
    commands = [" ".join(p.cmdline()) for p in family]
    assert any("ipykernel" in c for c in commands), commands
    if render.browser():
        assert any("chrom" in c for c in commands), commands
    lock = str(out / ".lock")
    assert lock in [f.path for f in run.open_files()]
    for process in family:  # the lock is the run's alone
        assert lock not in [f.path for f in process.open_files()], process
    killed.send_signal(sig)
    killed.wait(timeout=60)
    deadline = time.monotonic() + 60
    while still_there(family) and time.monotonic() < deadline:
        psutil.wait_procs(still_there(family), timeout=1)
    assert not still_there(family)
    with RunLock(out, wait=False):  # taken at once: no wait, no holder
        pass
    if sig == signal.SIGTERM:  # the run ended its workers itself, and said so
        assert killed.returncode == 128 + signal.SIGTERM
        assert "stopped by SIGTERM" in killed.stderr.read()
        (logged,) = manifest.read_runs(out)
        assert logged["error"].startswith("TerminatedError: stopped by SIGTERM")
        assert logged["done"] >= 1
        entries = json.loads((out / "2026-09" / "manifest.json").read_text())["reports"]
        assert len(entries) == logged["done"]
    else:
        assert killed.returncode == -signal.SIGKILL


# -- publishable outputs ------------------------------------------------------------------


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


def test_the_run_log_and_the_error_hide_a_password(tmp_path, capsys):
    plan = write_plan(tmp_path / "plan.yml", [{"notebook": TINY, "scopes": ["company"]}])
    out = tmp_path / "reports"
    source = "postgresql://ann@127.0.0.1:1/crm?sslmode=disable&Password=Sw0rdfish-7Qx"
    assert cli.main(["run", str(plan), "--source", source, "--out", str(out), "--quiet"]) == 2
    said = capsys.readouterr().err
    (logged,) = manifest.read_runs(out)
    assert "cannot connect to" in said and "cannot connect to" in logged["error"]
    assert "Sw0rdfish" not in said + (out / "runs.jsonl").read_text()


@pytest.mark.notebook
def test_the_run_log_records_every_run_and_is_only_appended(tiny_dir, tmp_path):
    plan = write_plan(
        tmp_path / "plan.yml",
        [
            {"notebook": TINY, "scopes": ["company"]},
            {"notebook": TINY, "scopes": ["region:East"], "parameters": {"fail": True}},
        ],
    )
    out = tmp_path / "reports"
    args = ["run", str(plan), "--source", str(tiny_dir), "--out", str(out), "--quiet"]
    assert cli.main(args) == 1
    first = (out / "runs.jsonl").read_text()
    assert cli.main([*args, "--only", "nothing-matches"]) == 2
    assert (out / "runs.jsonl").read_text().startswith(first)
    runs = manifest.read_runs(out)
    assert len(runs) == 2
    done, refused = runs
    assert done["plan"] == str(plan) and done["period"] == "2026-09"
    assert (done["done"], done["skipped"], done["failed"]) == (1, 0, 1)
    assert done["failures"] == ["tiny_report region:East"] and done["error"] is None
    assert done["user"] and done["host"] and done["started"] <= done["ended"]
    assert "no report matching 'nothing-matches'" in refused["error"]


# -- bad rows set aside ---------------------------------------------------------------------


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
    _, results = runner.run(BatchPlan.read(plan), out, RunOptions(source=str(crm), workers=2))
    assert {r.status for r in results} == {"failed"}  # strict by default
    _, results = runner.run(
        BatchPlan.read(plan), out, RunOptions(source=str(crm), workers=2, on_invalid="quarantine")
    )
    assert {r.status for r in results} == {"done"}
    aside = (out / "2026-09" / "quarantine" / "opportunities.csv").read_text()
    assert "O2," in aside and "amount: must be >= 0" in aside
    for page in ("company/metrics.html", "region-East/team_review.html"):
        html = (out / "2026-09" / page).read_text()
        assert "Data quality:" in html and "opportunities 1, opportunity_history 3" in html
