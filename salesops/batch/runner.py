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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from salesops.batch import manifest, pool
from salesops.batch.jobs import Job, Result, counts, plan_jobs, why
from salesops.batch.kernels import warm_engine, warm_kernel
from salesops.batch.lock import RunLock
from salesops.batch.plan import BatchPlan
from salesops.credentials import redact, scrub
from salesops.data import quarantine
from salesops.data.quarantine import check_mode
from salesops.data.sources import load
from salesops.errors import ConfigError
from salesops.storage import write_atomic

# During a run the manifest and the portal are rewritten when the first report ends, then
# at most this often, and at the end: writing them costs the run's size (0.5 to 0.9 s for
# the manifest of 1,479 reports), so writing them after every report would grow as n².
RECORD_EVERY_S = 10.0


def execute(
    job: Job, timeout: float | None = None, retries: int = 1, fresh_kernel: bool = False
) -> Result:
    """Run one job: execute the notebook, render it, write every output atomically.

    The notebook runs on this worker's warm kernel (:mod:`salesops.batch.kernels`), or on a
    kernel of its own with ``fresh_kernel`` (shut down when the notebook ends). Kernel start
    failures are retried ``retries`` times. A failing cell or a timeout is a failed result
    with the cell number and message, never an exception; the executed notebook is still
    kept for audit, but no HTML or PDF is written for it.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    folder = Path(job.outputs["summary"]).parent
    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / f".{job.report}.{os.getpid()}.running.ipynb"
    cwd = str(Path(job.notebook).parent)
    kernel = warm_kernel()
    error = None
    for attempt in range(retries + 1):
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
                execution_timeout=timeout,
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
            if "Timeout" in type(exc).__name__ or attempt == retries:
                break
    if fresh_kernel:
        kernel.stop()
    timings = {"execute": time.perf_counter() - start}
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
    rounded = {k: round(v, 3) for k, v in timings.items()}
    status = "failed" if error else "done"
    duration = round(time.perf_counter() - start, 3)
    return Result(
        job.report,
        job.scope,
        status,
        job.parameters,
        job.fingerprint,
        outputs,
        duration,
        error,
        rounded,
        inputs=job.inputs,
    )


def _withdraw(job: Job) -> None:
    """Remove what an earlier run of a failed report published (its HTML, PDF and
    summary): they hold other numbers than the data now has, and would read as current.
    The executed notebook, which shows the failure, stays."""
    for kind in ("html", "pdf", "summary"):
        if kind in job.outputs:
            Path(job.outputs[kind]).unlink(missing_ok=True)


def _cell_timings(nb, execute_s: float) -> dict[str, float]:
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


def _first_error(nb) -> dict[str, Any] | None:
    """The first error output of an executed notebook (a timeout leaves one too)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return {
                    "cell": cell.get("execution_count"),
                    "message": f"{output['ename']}: {output['evalue']}",
                }
    return None


def _render(job: Job, nb, timings: dict[str, float]) -> dict[str, str]:
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
    period: str | None = None,
    source: str | None = None,
    workers: int | None = None,
    only: str | None = None,
    formats: Iterable[str] | None = None,
    force: bool = False,
    timeout: float | None = None,
    retries: int = 1,
    progress: Callable[[Result, int, int], None] | None = None,
    cluster: str | None = None,
    fresh_kernels: bool = False,
    wait: bool = True,
    notify: Callable[[str], None] | None = None,
    on_invalid: str = "refuse",
) -> tuple[str, list[Result]]:
    """Run a plan; return the period label and every report's result.

    Reports whose fingerprint matches the manifest and whose outputs exist are skipped
    unless ``force``; every other one says why it ran (``Result.reason``). With
    ``cluster`` (``tcp://host:8786``) the reports execute on that Dask cluster's workers
    instead of a local process pool; ``out_dir`` must then be a path the workers share.
    Each worker keeps its kernel between reports, reset before each; ``fresh_kernels``
    gives every report a kernel of its own instead, for notebooks that change state a
    reset does not clear (a patched module).

    One run at a time per ``out_dir``: while another run holds its lock this one waits
    (``notify`` is told once), or raises :class:`salesops.batch.lock.BusyError` without ``wait``.
    The manifest and index page are rewritten when the first report ends, then at most
    every :data:`RECORD_EVERY_S` seconds, and at the end: a killed run leaves a record of
    what had finished up to then, and the next run runs the rest; ``out_dir/runs.jsonl``
    gets a line per run.

    ``on_invalid="quarantine"`` sets aside rows that break a rule instead of failing
    every report: they are written, with their reasons, to ``<period>/quarantine/`` and
    each report says how many (see :mod:`salesops.data.quarantine`).
    """
    with RunLock(out_dir, wait=wait, notify=notify):
        started = manifest.now()
        label, results = period or plan.period, []
        try:
            check_mode(on_invalid)
            label, jobs = plan_jobs(plan, out_dir, period, source, only, formats, on_invalid)
            if not jobs:
                raise ConfigError(f"the plan has no report matching {only!r}")
            if on_invalid == "quarantine":
                tables = load(
                    source if source is not None else plan.source,
                    period=label,
                    on_invalid=on_invalid,
                )
                quarantine.write(tables, out_dir / label / "quarantine")
            _run_jobs(
                jobs,
                out_dir / label,
                label,
                results,
                force,
                progress,
                cluster,
                workers,
                timeout,
                retries,
                fresh_kernels,
            )
        except BaseException as exc:
            _log(out_dir, plan, label, started, results, f"{type(exc).__name__}: {exc}")
            raise
        _log(out_dir, plan, label, started, results, None)
    return label, results


def _run_jobs(
    jobs: list[Job],
    folder: Path,
    label: str,
    results: list[Result],
    force: bool,
    progress: Callable[[Result, int, int], None] | None,
    cluster: str | None,
    workers: int | None,
    timeout: float | None,
    retries: int,
    fresh: bool,
) -> None:
    """Skip what is still good, run the rest, and keep the manifest up to date."""
    _sweep(folder)
    entries = manifest.load(folder)
    todo, reasons = [], {}
    for job in jobs:
        previous = entries.get((job.report, job.scope))
        reason = "forced" if force else why(previous, job)
        if reason is None:
            assert previous is not None
            results.append(
                Result(
                    job.report,
                    job.scope,
                    "skipped",
                    job.parameters,
                    job.fingerprint,
                    previous["outputs"],
                    previous.get("duration_s"),
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
        for result in _execute_all(todo, workers, cluster, timeout, retries, fresh):
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
    period: str,
    started: str,
    results: list[Result],
    error: str | None,
) -> None:
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


def _execute_all(
    jobs: list[Job],
    workers: int | None,
    cluster: str | None,
    timeout: float | None,
    retries: int,
    fresh: bool = False,
) -> Iterator[Result]:
    """Results in the order they finish: from a local process pool, or from the workers of
    an existing Dask cluster (which write to the same, shared, output paths)."""
    if not jobs:
        return
    if cluster:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        try:  # waits distributed.comm.timeouts.connect (Dask's setting, 30 s by default)
            client = Client(cluster)
        except OSError as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from None
        with client:
            futures = client.map(
                execute, jobs, timeout=timeout, retries=retries, fresh_kernel=fresh, pure=False
            )
            for future in dask_completed(futures):
                yield future.result()
        return
    import papermill  # noqa: F401  (seconds to import: once here, and the forked workers share it)

    size = min(max(1, workers or os.cpu_count() or 1), len(jobs))
    yield from pool.results(execute, jobs, size, timeout, retries, fresh)


def _sweep(folder: Path) -> None:
    """Remove what a killed run left half-written (hidden temporary files only; the run
    lock guarantees no other run is writing them)."""
    if folder.exists():
        for path in folder.rglob(".*"):
            if path.is_file() and path.name.endswith((".tmp", ".running.ipynb")):
                path.unlink(missing_ok=True)
