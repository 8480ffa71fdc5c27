"""Project-level promises: dependency lists agree, docs cover the data model."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from salesops.model import TABLES

ROOT = Path(__file__).parents[1]
CONDA_NAMES = {"pyyaml": "pyyaml", "psycopg[binary]": "psycopg"}


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + meta["optional-dependencies"]["test"]
    return {CONDA_NAMES.get(r.split(">")[0], r.split(">")[0]): r for r in reqs}


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs = [d for d in env["dependencies"] if isinstance(d, str)]
    return {re.split(r"[<>=]", d)[0]: d for d in specs if not d.startswith(("python", "pip"))}


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    pip, conda = _pyproject_requirements(), _conda_requirements()
    assert sorted(pip) == sorted(conda)
    for name, requirement in pip.items():
        pin = requirement.split(">=")[1] if ">=" in requirement else None
        assert pin is None or conda[name].endswith(f">={pin}"), (name, requirement, conda[name])


def test_data_model_doc_describes_every_column():
    doc = (ROOT / "docs" / "data-model.md").read_text()
    for table in TABLES.values():
        assert f"## {table.name}" in doc, table.name
        section = doc.split(f"## {table.name}", 1)[1].split("\n## ", 1)[0]
        for column in table.columns:
            assert f"| `{column.name}` |" in section, (table.name, column.name)


def test_readme_quickstart_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = quickstart.split("```", 2)[1]
    commands = [line for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make report", "make test"]


def test_every_metric_is_documented_with_a_formula():
    import inspect

    from salesops import metrics, pipeline

    doc = (ROOT / "docs" / "metrics.md").read_text()
    for module in (metrics, pipeline):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            assert fn.__doc__, name
            if name in ("closed_in", "won_in", "in_window", "window_bounds"):
                continue  # selection helpers, not metrics
            assert len(fn.__doc__.strip().splitlines()) >= 2, name
            assert f"`{name}`" in doc or f"`{module.__name__.split('.')[-1]}.{name}`" in doc, name


def test_cached_computes_once_per_content(monkeypatch, tmp_path):
    import pandas as pd

    from salesops.project import cached

    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    calls = []

    def compute(frame: pd.DataFrame):
        calls.append(1)
        return float(frame["x"].sum())

    one, other = pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"x": [1.0, 3.0]})
    assert cached("sums", [one, "v1"], lambda: compute(one)) == 3.0
    assert cached("sums", [one.copy(), "v1"], lambda: compute(one)) == 3.0  # same content
    assert len(calls) == 1
    assert cached("sums", [other, "v1"], lambda: compute(other)) == 4.0  # other content
    assert cached("sums", [one, "v2"], lambda: compute(one)) == 3.0  # other key part
    assert cached("sums", [one, "v1"], lambda: compute(one), enabled=False) == 3.0
    assert len(calls) == 4
    assert len(list((tmp_path / ".cache" / "sums").glob("*.pickle"))) == 3
