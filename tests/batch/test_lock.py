"""One run at a time per output folder: runs take turns, a run that waits or ends says so, a
killed run leaves nothing."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml
from conftest import after_first_report

from batch.conftest import TINY, write_plan
from salesops import cli
from salesops.batch import manifest, render
from salesops.batch.lock import EX_TEMPFAIL, BusyError, RunLock


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
