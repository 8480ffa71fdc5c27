"""The batch runner behind ``salesops run``: a plan of notebooks, run per scope in parallel.

For each report and scope the runner fingerprints everything the report's numbers depend
on (:mod:`salesops.fingerprint`: the package code, the notebook, its plan entry, the
data it reads and the configuration files it reads), skips it when an earlier run with
the same fingerprint left its outputs, and otherwise executes the notebook with papermill
in a process pool and renders it (:mod:`salesops.batch.execution`). One run at a time per
output folder (:mod:`salesops.batch.lock`). Every file is written atomically; one failing
report never stops the others; ``reports/<period>/manifest.json`` and ``index.html``
record every report's inputs, why it ran, status, error, duration and outputs, and
``reports/runs.jsonl`` every run (:mod:`salesops.batch.manifest`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

from salesops.batch import manifest, pool
from salesops.batch.execution import execute
from salesops.batch.jobs import Job, Result, RunOptions, counts, plan_jobs, why
from salesops.batch.lock import RunLock
from salesops.batch.plan import BatchPlan
from salesops.config import settings
from salesops.credentials import redact
from salesops.data import quarantine
from salesops.data.periods import in_calendar
from salesops.data.quarantine import check_mode
from salesops.data.sources import load
from salesops.errors import ConfigError

# During a run the manifest and the portal are rewritten when the first report ends, then
# at most this often, and at the end: writing them costs the run's size (0.5 to 0.9 s for
# the manifest of 1,479 reports), so writing them after every report would grow as n².
RECORD_EVERY_S = 10.0


def run(
    plan: BatchPlan,
    out_dir: Path,
    options: RunOptions | None = None,
    *,
    progress: Callable[[Result, int, int], None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> tuple[str, list[Result]]:
    """Run a plan with ``options`` (:class:`RunOptions`); return the period label and
    every report's result. ``progress`` is told of each result as it comes.

    Reports whose fingerprint matches the manifest and whose outputs exist are skipped
    unless ``options.force``; every other one says why it ran (``Result.reason``). With
    ``options.cluster`` (``tcp://host:8786``) the reports execute on that Dask cluster's
    workers instead of a local process pool; ``out_dir`` must then be a path the workers
    share. Each worker keeps its kernel between reports, reset before each;
    ``options.fresh_kernels`` gives every report a kernel of its own instead, for
    notebooks that change state a reset does not clear (a patched module).

    One run at a time per ``out_dir``: while another run holds its lock this one waits
    (``notify`` is told once), or raises :class:`salesops.batch.lock.BusyError` without
    ``options.wait``. The manifest and index page are rewritten when the first report
    ends, then at most every :data:`RECORD_EVERY_S` seconds, and at the end: a killed run
    leaves a record of what had finished up to then, and the next run runs the rest;
    ``out_dir/runs.jsonl`` gets a line per run.

    The source is loaded once before any report runs: rows that break a rule fail the run
    there, in one :class:`~salesops.errors.DataError`, before any report starts.
    ``on_invalid="quarantine"`` sets them aside instead: they are written, with their
    reasons, to ``<period>/quarantine/`` and each report says how many (see
    :mod:`salesops.data.quarantine`).
    """
    options = options or RunOptions()
    with RunLock(out_dir, wait=options.wait, notify=notify):
        started = manifest.now()
        label = options.period or plan.period
        results: list[Result] = []
        try:
            check_mode(options.on_invalid)
            label, jobs = plan_jobs(plan, out_dir, options)
            if not jobs:
                raise ConfigError(f"the plan has no report matching {options.only!r}")
            _check_source(plan, out_dir, label, options)
            _run_jobs(
                jobs, out_dir / label, results, label=label, options=options, progress=progress
            )
        except BaseException as exc:
            _log(
                out_dir,
                plan,
                results,
                period=label,
                started=started,
                error=f"{type(exc).__name__}: {exc}",
            )
            raise
        _log(out_dir, plan, results, period=label, started=started, error=None)
    return label, results


def _check_source(plan: BatchPlan, out_dir: Path, label: str, options: RunOptions) -> None:
    """Load the source once, before any report starts: rows that break a rule fail the run
    at once, in one message (every report would fail with it), or, with
    ``on_invalid="quarantine"``, are written to ``<period>/quarantine/``. The tables are
    freed on return, before the workers start."""
    source = options.source if options.source is not None else plan.source
    period = in_calendar(label, settings().fiscal_year_start_month)
    tables = load(source, period=period, on_invalid=options.on_invalid)
    if options.on_invalid == "quarantine":
        quarantine.write(tables, out_dir / label / "quarantine")


def _run_jobs(
    jobs: list[Job],
    folder: Path,
    results: list[Result],
    *,
    label: str,
    options: RunOptions,
    progress: Callable[[Result, int, int], None] | None,
) -> None:
    """Skip what is still good, run the rest, and keep the manifest up to date."""
    _sweep(folder)
    entries = manifest.load(folder)
    todo, reasons = [], {}
    for job in jobs:
        previous = entries.get((job.report, job.scope))
        reason = "forced" if options.force else why(previous, job)
        if reason is None:
            assert previous is not None
            results.append(
                Result(
                    report=job.report,
                    scope=job.scope,
                    status="skipped",
                    parameters=job.parameters,
                    fingerprint=job.fingerprint,
                    outputs=previous["outputs"],
                    duration_s=previous.get("duration_s"),
                    inputs=job.inputs,
                    reason="unchanged",
                )
            )
            if progress:
                progress(results[-1], len(results), len(jobs))
        else:
            todo.append(job)
            reasons[(job.report, job.scope)] = reason
    next_record = time.monotonic()  # the first report is recorded at once
    try:
        for result in _execute_all(todo, options):
            result.reason = reasons[(result.report, result.scope)]
            results.append(result)
            entries[(result.report, result.scope)] = asdict(result)
            if time.monotonic() >= next_record:
                manifest.write(folder, label, entries)
                next_record = time.monotonic() + RECORD_EVERY_S
            if progress:
                progress(result, len(results), len(jobs))
    finally:  # also when the run is stopped: what finished is recorded
        manifest.write(folder, label, entries)
    _sweep(folder)  # what a worker killed mid-report left (a Dask worker's is rerun elsewhere)


def _log(
    out_dir: Path,
    plan: BatchPlan,
    results: list[Result],
    *,
    period: str,
    started: str,
    error: str | None,
) -> None:
    """Add the run's line to ``out_dir/runs.jsonl``: when, which plan and period, the
    counts, the failed reports and the error that stopped the run (redacted)."""
    manifest.log_run(
        out_dir,
        {
            "started": started,
            "ended": manifest.now(),
            "plan": plan.origin,
            "period": period,
            **counts(results),
            "failures": [f"{r.report} {r.scope}" for r in results if r.status == "failed"],
            "error": None if error is None else redact(error),
        },
    )


def _execute_all(jobs: list[Job], options: RunOptions) -> Iterator[Result]:
    """Results in the order they finish: from a local process pool, or from the workers of
    an existing Dask cluster (which write to the same, shared, output paths)."""
    if not jobs:
        return
    if options.cluster:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        try:  # waits distributed.comm.timeouts.connect (Dask's setting, 30 s by default)
            client = Client(options.cluster)
        except OSError as exc:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {options.cluster}: {exc}"
            ) from None
        with client:
            futures = client.map(execute, jobs, options=options, pure=False)
            for future in dask_completed(futures):
                yield future.result()
        return
    import papermill  # noqa: F401  (seconds to import: once here, and the forked workers share it)

    size = min(max(1, options.workers or os.cpu_count() or 1), len(jobs))
    yield from pool.results(execute, jobs, size, options)


def _sweep(folder: Path) -> None:
    """Remove what a killed run left half-written (hidden temporary files only; the run
    lock guarantees no other run is writing them)."""
    if folder.exists():
        for path in folder.rglob(".*"):
            if path.is_file() and path.name.endswith((".tmp", ".running.ipynb")):
                path.unlink(missing_ok=True)
