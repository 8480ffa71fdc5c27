"""The batch runner behind ``salesops run``: a plan of notebooks, run per scope in parallel.

For each report and scope the runner fingerprints everything the report's numbers depend
on (:mod:`salesops.fingerprint`: the package code, the notebook, its plan entry, the
data it reads and the configuration files it reads), skips it when an earlier run with
the same fingerprint left its outputs, and otherwise executes the notebook with papermill
in a process pool and renders it. One run at a time per output folder
(:mod:`salesops.batch.lock`). Every file is written atomically; one failing report never stops
the others; ``reports/<period>/manifest.json`` and ``index.html`` record every report's
inputs, why it ran, status, error, duration and outputs, and ``reports/runs.jsonl``
every run (:mod:`salesops.batch.manifest`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from salesops.batch import manifest, pool
from salesops.batch.jobs import Failure, Job, Result, RunOptions, counts, plan_jobs, why
from salesops.batch.kernels import warm_engine, warm_kernel
from salesops.batch.lock import RunLock
from salesops.batch.plan import BatchPlan
from salesops.config import settings
from salesops.credentials import redact, scrub
from salesops.data import quarantine
from salesops.data.periods import in_calendar
from salesops.data.quarantine import check_mode
from salesops.data.sources import load
from salesops.errors import ConfigError
from salesops.storage import write_atomic

if TYPE_CHECKING:
    from nbformat import NotebookNode

# During a run the manifest and the portal are rewritten when the first report ends, then
# at most this often, and at the end: writing them costs the run's size (0.5 to 0.9 s for
# the manifest of 1,479 reports), so writing them after every report would grow as n².
RECORD_EVERY_S = 10.0


def execute(job: Job, options: RunOptions) -> Result:
    """Run one job: execute the notebook, render it, write every output atomically.

    The notebook runs on this worker's warm kernel (:mod:`salesops.batch.kernels`), or on a
    kernel of its own with ``options.fresh_kernels`` (shut down when the notebook ends).
    Kernel start failures are retried ``options.retries`` times. A failing cell or a
    timeout is a failed result with the cell number and message, never an exception; the
    executed notebook is still kept for audit, but no HTML or PDF is written for it.
    """
    start = time.perf_counter()
    folder = Path(job.outputs["summary"]).parent
    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / f".{job.report}.{os.getpid()}.running.ipynb"
    error = _attempts(job, executed, options)
    timings = {"execute": time.perf_counter() - start}
    outputs, error = _collect(job, executed, error, timings)
    duration = round(time.perf_counter() - start, 3)
    return _result(job, outputs=outputs, error=error, timings=timings, duration=duration)


def _attempts(job: Job, executed: Path, options: RunOptions) -> Failure | None:
    """Execute the notebook into ``executed`` on the worker's kernel: a kernel that does
    not start or dies is replaced and tried again, up to ``options.retries`` times; a
    failing cell or a timeout is not retried. The failure, or None."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    cwd = str(Path(job.notebook).parent)
    kernel = warm_kernel()
    error: Failure | None = None
    for attempt in range(options.retries + 1):
        try:
            kernel.ready(cwd, job.environment)
            pm.execute_notebook(
                job.notebook,
                str(executed),
                parameters=job.parameters,
                engine_name=warm_engine(),
                km=kernel.km,
                kc=kernel.kc,
                kernel_name="python3",
                progress_bar=False,
                execution_timeout=options.timeout,
                cwd=cwd,
                report_mode=False,
                log_output=False,
            )
            error = None
            break
        except PapermillExecutionError as exc:  # a cell raised; the kernel is fine
            error = {
                "cell": exc.exec_count or exc.cell_index,
                "message": f"{exc.ename}: {exc.evalue}",
            }
            break
        except Exception as exc:  # kernel did not start, died or timed out: a new one
            kernel.stop()
            error = {"cell": None, "message": f"{type(exc).__name__}: {exc}".strip()}
            if "Timeout" in type(exc).__name__ or attempt == options.retries:
                break
    if options.fresh_kernels:
        kernel.stop()
    return error


def _collect(
    job: Job, executed: Path, error: Failure | None, timings: dict[str, float]
) -> tuple[dict[str, str], Failure | None]:
    """The outputs of an executed notebook: the notebook itself (secrets scrubbed), and
    when no cell failed its HTML, PDF and summary; the cells' timings go into
    ``timings``. A failure (the first error cell, when the run itself raised none) is
    scrubbed and withdraws what an earlier run published. The executed file is removed."""
    import nbformat

    outputs: dict[str, str] = {}
    secrets = job.environment.values()
    try:
        if executed.exists():
            text = scrub(executed.read_text(), secrets)  # whatever the kernel printed
            nb = nbformat.reads(text, as_version=4)
            error = error or _first_error(nb)
            timings.update(_cell_timings(nb, timings["execute"]))
            if "ipynb" in job.formats:
                outputs["ipynb"] = str(write_atomic(Path(job.outputs["ipynb"]), text))
            if error is None:
                outputs.update(_render(job, nb, timings))
    finally:
        executed.unlink(missing_ok=True)
    if error is None and Path(job.outputs["summary"]).exists():
        outputs["summary"] = job.outputs["summary"]
    if error is not None:
        error["message"] = scrub(redact(error["message"]), secrets)
        _withdraw(job)
    return outputs, error


def _result(
    job: Job,
    *,
    outputs: dict[str, str],
    error: Failure | None,
    timings: dict[str, float],
    duration: float,
) -> Result:
    """What became of ``job``: failed with ``error``, else done."""
    return Result(
        report=job.report,
        scope=job.scope,
        status="failed" if error else "done",
        parameters=job.parameters,
        fingerprint=job.fingerprint,
        outputs=outputs,
        duration_s=duration,
        error=error,
        timings={k: round(v, 3) for k, v in timings.items()},
        inputs=job.inputs,
    )


def _withdraw(job: Job) -> None:
    """Remove what an earlier run of a failed report published (its HTML, PDF and
    summary): they hold other numbers than the data now has, and would read as current.
    The executed notebook, which shows the failure, stays."""
    for kind in ("html", "pdf", "summary"):
        if kind in job.outputs:
            Path(job.outputs[kind]).unlink(missing_ok=True)


def _cell_timings(nb: NotebookNode, execute_s: float) -> dict[str, float]:
    """Split papermill's time into kernel start, the import cell, the first work cell
    (the data load, by the notebooks' convention) and the rest."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    durations = [float(c.metadata.get("papermill", {}).get("duration") or 0.0) for c in code]
    first_import = next((i for i, c in enumerate(code) if "import " in c.source), None)
    if first_import is None:
        return {}
    imports = durations[first_import]
    load = durations[first_import + 1] if first_import + 1 < len(durations) else 0.0
    cells = sum(durations)
    return {
        "kernel_and_overhead": max(execute_s - cells, 0.0),
        "imports": imports,
        "data_load": load,
        "compute": cells - imports - load,
    }


def _first_error(nb: NotebookNode) -> Failure | None:
    """The first error output of an executed notebook (a timeout leaves one too)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return {
                    "cell": cell.get("execution_count"),
                    "message": f"{output['ename']}: {output['evalue']}",
                }
    return None


def _render(job: Job, nb: NotebookNode, timings: dict[str, float]) -> dict[str, str]:
    from salesops.batch import render

    summary = {}
    if Path(job.outputs["summary"]).exists():
        summary = json.loads(Path(job.outputs["summary"]).read_text())
    header = {
        "scope": job.scope,
        "period": job.parameters["period"],
        "as_of": summary.get("as_of", job.as_of),
        "fingerprint": job.fingerprint,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    started = time.perf_counter()
    html = render.to_html(nb, header)
    written = {}
    if "html" in job.formats:
        written["html"] = str(write_atomic(Path(job.outputs["html"]), html))
    timings["render_html"] = time.perf_counter() - started
    if "pdf" in job.formats:
        started = time.perf_counter()
        written["pdf"] = str(write_atomic(Path(job.outputs["pdf"]), render.to_pdf(html)))
        timings["render_pdf"] = time.perf_counter() - started
    return written


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

    ``on_invalid="quarantine"`` sets aside rows that break a rule instead of failing
    every report: they are written, with their reasons, to ``<period>/quarantine/`` and
    each report says how many (see :mod:`salesops.data.quarantine`).
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
            if options.on_invalid == "quarantine":
                source = options.source if options.source is not None else plan.source
                period = in_calendar(label, settings().fiscal_year_start_month)
                tables = load(source, period=period, on_invalid=options.on_invalid)
                quarantine.write(tables, out_dir / label / "quarantine")
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
