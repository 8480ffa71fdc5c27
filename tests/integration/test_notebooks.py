"""Notebooks: thin by construction, committed without outputs, and they run under papermill."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import execute

import salesops as so
from salesops.analytics import metrics as m
from salesops.data.scopes import Scope
from salesops.data.stages import Stages
from salesops.reports import planning

STAGES = Stages.read()  # parameters/stages.yml, the demo's

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    for cell in _cells(path):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_the_fixed_shape(path):
    cells = _cells(path)
    assert cells[0]["cell_type"] == "markdown" and _source(cells[0]).startswith("# ")
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is cells[1]
    imports = [c for c in cells if c["cell_type"] == "code" and "import " in _source(c)]
    assert imports == [cells[2]], "one import cell, right after the parameters"
    lines = [line for line in _source(cells[2]).splitlines() if line.strip()]
    assert all(line.startswith(("import ", "from ")) for line in lines)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_defines_no_functions_or_classes(path):
    for cell in _cells(path):
        if cell["cell_type"] == "code":
            tree = ast.parse(_source(cell))
            defs = [
                n
                for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)
            ]
            assert not defs, f"{path.name}: logic belongs in the package"


def _defaults(path: Path) -> dict[str, object]:
    """The parameters cell's defaults, as Python values (a list as a tuple)."""
    cell = next(c for c in _cells(path) if "parameters" in c["metadata"].get("tags", []))
    found: dict[str, object] = {}
    for node in ast.parse(_source(cell)).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            value = ast.literal_eval(node.value)
            found[node.targets[0].id] = tuple(value) if isinstance(value, list) else value
    return found


def _module_defaults(module) -> dict[str, object]:
    """The defaults a report module gives its context: the signature's, and its options
    class's fields (a ``*Options`` dataclass in the module)."""
    found = {
        name: p.default
        for name, p in inspect.signature(module.context).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    for value in vars(module).values():
        if isinstance(value, type) and value.__name__.endswith("Options"):
            found |= {f.name: getattr(value(), f.name) for f in dataclasses.fields(value)}
    return found


def test_a_notebooks_defaults_are_its_modules():
    """A notebook whose module builds its context (``salesops.reports.<notebook>.context``)
    gives every parameter they share the default the module gives it (its signature, its
    options class): one default, not two that drift (planning's hires: none unless
    stated)."""
    checked = []
    for path in NOTEBOOKS:
        module = importlib.import_module(f"salesops.reports.{path.stem}")
        if not hasattr(module, "context"):
            continue
        defaults = _module_defaults(module)
        notebook = _defaults(path)
        shared = sorted(set(notebook) & set(defaults))
        assert len(shared) >= 3, f"{path.name}: its parameters are not its context's"
        differ = {
            name: (notebook[name], defaults[name])
            for name in shared
            if notebook[name] != defaults[name]
        }
        assert not differ, f"{path.name}: notebook's default, module's: {differ}"
        checked.append(path.stem)
    assert {"forecast", "performance_review", "planning"} <= set(checked)
    # a plan with no stated hires invents none
    assert _defaults(NOTEBOOKS[0].parent / "planning.ipynb")["hires"] == (0, 0, 0, 0)
    assert planning.PlanOptions().hires == (0, 0, 0, 0)
    # the forecast's horizon and every plan option are the module's
    assert set(_defaults(NOTEBOOKS[0].parent / "planning.ipynb")) >= {
        f.name for f in dataclasses.fields(planning.PlanOptions)
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_are_what_papermill_sees(path):
    import papermill as pm  # here, not at the top: its import costs each process ~2 s

    params = pm.inspect_notebook(str(path))
    assert {"source", "period", "scope"} <= set(params)


@pytest.mark.notebook
@pytest.mark.parametrize("scope", ["company", "region:EMEA"])
def test_metrics_notebook_runs_and_its_summary_is_right(scope, demo_db, tmp_path):
    summary = tmp_path / "metrics.json"
    execute(
        "metrics",
        tmp_path / "out.ipynb",
        source=str(demo_db),
        period="2026-10",
        scope=scope,
        summary_path=str(summary),
    )
    data = json.loads(summary.read_text())
    assert (data["scope"], data["period"], data["as_of"]) == (scope, "2026-10", "2026-10-31")
    tables = so.load(demo_db, scope, "2026-10")
    kpis = data["kpis"]
    assert kpis["Bookings"]["current"] == pytest.approx(
        m.bookings(tables.opportunities, "2026-10", stages=STAGES)
    )
    assert kpis["Bookings"]["last_year"] == pytest.approx(
        m.bookings(tables.opportunities, "2025-10", stages=STAGES)
    )
    assert kpis["Win rate"]["previous"] == pytest.approx(
        m.win_rate(tables.opportunities, "2026-09", stages=STAGES), abs=1e-6
    )  # the summary keeps 6 places
    assert data["deals"] == len(tables.opportunities)
    html = (tmp_path / "out.ipynb").read_text()
    assert "Traceback" not in html and "image/png" in html


@pytest.mark.notebook
def test_metrics_notebook_says_what_is_missing(tiny_dir, tmp_path):
    folder = tmp_path / "crm"
    folder.mkdir()
    for name in ("opportunities", "reps"):
        (folder / f"{name}.csv").write_text((tiny_dir / f"{name}.csv").read_text())
    out = tmp_path / "out.ipynb"
    execute(
        "metrics", out, source=str(folder), period="2026-09", summary_path=str(tmp_path / "s.json")
    )
    text = out.read_text()
    for table in ("opportunity_history", "leads", "activities", "forecast_submissions"):
        assert f"the `{table}` table, which this source does not have" in text
    assert json.loads((tmp_path / "s.json").read_text())["kpis"]["Bookings"]["current"] == 50_000


@pytest.mark.notebook
def test_a_notebook_run_by_hand_leaves_the_published_summary_alone(tiny_dir, tmp_path, monkeypatch):
    """README's papermill command names no summary_path: the summary then goes under
    .cache/, and the one a run published (and the portal and emails quote) is untouched."""
    home = tmp_path / "home"
    shutil.copytree(Path(__file__).parents[2] / "parameters", home / "parameters")
    monkeypatch.setenv("SALESOPS_HOME", str(home))  # the kernel inherits it
    monkeypatch.delenv("SALESOPS_CACHE")  # the cache under the home, to count its files
    slug = Scope.parse("company").slug
    published = home / "reports" / "2026-09" / slug / "metrics.json"
    published.parent.mkdir(parents=True)
    published.write_text('{"kpis": "as published"}')
    execute("metrics", tmp_path / "out.ipynb", source=str(tiny_dir), period="2026-09")
    assert published.read_text() == '{"kpis": "as published"}'
    assert [p.name for p in (home / "reports").rglob("*") if p.is_file()] == ["metrics.json"]
    adhoc = home / ".cache" / "summaries" / "2026-09" / slug / "metrics.json"
    assert json.loads(adhoc.read_text())["kpis"]["Bookings"]["current"] == 50_000


@pytest.mark.notebook
def test_forecast_notebook_runs_without_stage_history(tmp_path):
    """The HubSpot example has no stage history: the forecast still runs, its
    probabilities are the stage defaults, and it says so in one line each."""
    out = tmp_path / "out.ipynb"
    source = str(Path("parameters/sources/hubspot.yml").resolve())
    execute("forecast", out, source=source, summary_path=str(tmp_path / "s.json"))
    text = out.read_text()
    assert "This source has no stage history" in text
    assert "Win-probability calibration needs the `opportunity_history` table" in text
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["outlook"] and summary["forecast"]


@pytest.mark.notebook
def test_without_amounts_no_money_figure_is_shown(tiny_dir, tmp_path):
    """An export without an amount column: every money figure says it needs one, and no
    "$0" bookings stands in for an unknown."""
    folder = tmp_path / "crm"
    shutil.copytree(tiny_dir, folder)
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    deals.drop(columns="amount").to_csv(folder / "opportunities.csv", index=False)
    for notebook in ("metrics", "performance_review"):
        out = tmp_path / f"{notebook}.ipynb"
        execute(
            notebook,
            out,
            source=str(folder),
            period="2026-09",
            summary_path=str(tmp_path / f"{notebook}.json"),
        )
        text = out.read_text()
        assert "needs `opportunities.amount`, which this source does not have" in text
        assert "$0 of" not in text
