"""One report on a worker (:mod:`salesops.batch.execution`): its pure helpers on hand-made
executed notebooks. Executing one needs a kernel (seconds): test_runner does."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from salesops.batch import execution
from salesops.batch.jobs import Job

if TYPE_CHECKING:
    from nbformat import NotebookNode


def _v4() -> ModuleType:
    """nbformat's builders, imported here and not at the top: the import costs each test
    process that collects this file ~2 s (jsonschema compiles its URI grammars)."""
    import nbformat.v4

    return nbformat.v4


def _executed(*cells: tuple[str, float, list]) -> NotebookNode:
    """A notebook of code cells (source, papermill's duration, outputs), and a markdown
    cell that timing leaves out."""
    nb = _v4().new_notebook()
    nb.cells.append(_v4().new_markdown_cell("# Title: import nothing"))
    for count, (source, duration, outputs) in enumerate(cells, 1):
        cell = _v4().new_code_cell(source, execution_count=count, outputs=outputs)
        cell.metadata["papermill"] = {"duration": duration}
        nb.cells.append(cell)
    return nb


def _error(name: str, value: str) -> dict:
    return _v4().new_output("error", ename=name, evalue=value, traceback=[])


def test_the_time_is_split_into_kernel_imports_data_load_and_compute():
    """Cells 0.5 s (parameters), 2 s (imports), 3 s (the load), 1 s + 0.5 s: 7 s of cells
    in 10 s of papermill, so 3 s of kernel start and overhead; compute is the parameters
    cell and the last two, 2 s."""
    nb = _executed(
        ("period = 'latest'", 0.5, []),
        ("import salesops as so", 2.0, []),
        ("ctx = so.ReportContext.load()", 3.0, []),
        ("so.show(ctx)", 1.0, []),
        ("x = 1", 0.5, []),
    )
    assert execution._cell_timings(nb, 10.0) == {
        "kernel_and_overhead": 3.0,
        "imports": 2.0,
        "data_load": 3.0,
        "compute": 2.0,
    }
    assert execution._cell_timings(nb, 5.0)["kernel_and_overhead"] == 0.0  # never negative
    assert execution._cell_timings(_executed(("x = 1", 1.0, [])), 2.0) == {}  # no import cell
    last = _executed(("import os", 1.0, []))  # the import cell is the last: no load
    assert execution._cell_timings(last, 1.0)["data_load"] == 0.0


def test_the_first_error_output_names_its_cell_and_message():
    stream = _v4().new_output("stream", name="stdout", text="ok")
    nb = _executed(
        ("x = 1", 0.1, [stream]),
        ("1 / 0", 0.1, [_error("ZeroDivisionError", "division by zero")]),
        ("y", 0.1, [_error("NameError", "name 'y' is not defined")]),
    )
    assert execution._first_error(nb) == {
        "cell": 2,
        "message": "ZeroDivisionError: division by zero",
    }
    assert execution._first_error(_executed(("x = 1", 0.1, [stream]))) is None


def _job(tmp_path) -> Job:
    outputs = {k: str(tmp_path / f"r.{k}") for k in ("html", "pdf", "ipynb")}
    outputs["summary"] = str(tmp_path / "r.json")
    return Job(
        report="metrics", notebook="metrics.ipynb", scope="company",
        parameters={"period": "2026-09"}, outputs=outputs, fingerprint="f1",
        as_of="2026-09-30", formats=("html",), inputs={"opportunities": "h"},
    )  # fmt: skip


def test_a_result_is_failed_with_its_error_else_done(tmp_path):
    job = _job(tmp_path)
    failed = execution._result(
        job, outputs={}, error={"cell": 3, "message": "boom"}, timings={"execute": 1.23456},
        duration=1.5,
    )  # fmt: skip
    assert (failed.status, failed.error, failed.timings) == (
        "failed", {"cell": 3, "message": "boom"}, {"execute": 1.235},
    )  # fmt: skip
    assert (failed.report, failed.scope, failed.fingerprint) == ("metrics", "company", "f1")
    done = execution._result(job, outputs={"html": "x"}, error=None, timings={}, duration=0.1)
    assert done.status == "done" and done.inputs == {"opportunities": "h"}


def test_a_failed_report_withdraws_what_it_published_but_keeps_its_notebook(tmp_path):
    job = _job(tmp_path)
    for kind in ("html", "pdf", "ipynb", "summary"):
        (tmp_path / f"r.{'json' if kind == 'summary' else kind}").write_text(kind)
    (tmp_path / "r.pdf").unlink()  # one that was never written: no error
    execution._withdraw(job)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.ipynb"]
