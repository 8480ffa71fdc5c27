"""One report on a worker: execute its notebook, then collect and render its outputs.

:func:`execute` is what the runner's process pool, or a Dask worker, calls for each job
(:mod:`salesops.batch.runner`). It runs the notebook with papermill on the worker's warm
kernel (:mod:`salesops.batch.kernels`), keeps the executed notebook with its secrets
scrubbed, renders HTML and PDF when no cell failed, and writes every output atomically.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from salesops.batch.jobs import Failure, Job, Result, RunOptions
from salesops.batch.kernels import warm_engine, warm_kernel
from salesops.credentials import redact, scrub
from salesops.storage import write_atomic

if TYPE_CHECKING:
    from nbformat import NotebookNode


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
