"""Project-level promises: dependency lists agree, docs cover the data model."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from salesops.data.model import TABLES

ROOT = Path(__file__).parents[2]
LOCK = ROOT / "requirements.lock"


def _pyproject_requirements() -> dict[str, Requirement]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in meta["dependencies"] + meta["optional-dependencies"]["test"]]
    return {canonicalize_name(r.name): r for r in reqs}


def _locked() -> dict[str, list[tuple[str, str, bool]]]:
    """Package -> [(version, marker, asked for by salesops itself)] of requirements.lock."""
    pins: dict[str, list[tuple[str, str, bool]]] = {}
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text())
    for block in blocks:
        found = re.match(
            r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)\s*(?:;\s*(.*))?$", block.split("\n")[0]
        )
        if found:
            name, _, version, marker = found.groups()
            direct = "salesops (pyproject.toml)" in block
            pins.setdefault(canonicalize_name(name), []).append((version, marker or "", direct))
    return pins


def test_the_lock_file_pins_what_pyproject_asks_for():
    """requirements.lock was made from this pyproject.toml: every direct dependency is in
    it, pinned exactly at a version its specifier allows, and every package the lock says
    salesops asked for is still in pyproject (`make lock` re-resolves both ways)."""
    wanted, pins = _pyproject_requirements(), _locked()
    for name, requirement in wanted.items():
        assert name in pins, f"{name} is in pyproject.toml but not in the lock: run `make lock`"
        for version, _, _ in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (name, version)
    direct = {name for name, options in pins.items() if any(d for _, _, d in options)}
    assert direct == set(wanted)
    assert "make lock" in LOCK.read_text().splitlines()[1]


def test_the_installed_versions_are_the_locked_ones():
    from importlib import metadata

    from packaging.markers import Marker

    mismatched = []
    for name, options in _locked().items():
        versions = [v for v, marker, _ in options if not marker or Marker(marker).evaluate()]
        if not versions:
            continue  # not for this platform
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            mismatched.append(f"{name}: not installed")
            continue
        if installed not in versions:
            mismatched.append(f"{name}: {installed} installed, {versions[0]} locked")
    assert not mismatched, mismatched


def test_environment_yml_and_the_makefile_install_from_the_lock_file():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert SpecifierSet(meta["requires-python"]).contains(python.split("=")[-1] + ".0")
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip == ["-r requirements.lock", "-e ."]
    conda_only = [d for d in deps if isinstance(d, str) and not d.startswith(("python", "pip"))]
    assert conda_only == []  # every package comes from the lock file
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -r $(LOCK)" in makefile and "LOCK := requirements.lock" in makefile


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

    from salesops.analytics import metrics, pipeline, precision

    doc = (ROOT / "docs" / "metrics.md").read_text()
    for module in (metrics, pipeline, precision):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            assert fn.__doc__, name
            if name in ("closed_in", "won_in", "in_window", "window_bounds", "window_label"):
                continue  # selection helpers, not metrics
            assert len(fn.__doc__.strip().splitlines()) >= 2, name
            assert f"`{name}`" in doc or f"`{module.__name__.split('.')[-1]}.{name}`" in doc, name


def test_cached_computes_once_per_content(monkeypatch, tmp_path):
    import pandas as pd

    from salesops.storage import cached

    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv("SALESOPS_CACHE")  # the cache under the home, to count its files
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


def test_every_test_and_file_the_docs_cite_exists():
    """The docs point readers at tests (``tests/x.py::test_y``), benchmarks and scripts:
    each must exist, so that a test moved to its module's mirror is followed in the docs
    (two security promises cited a test after it had moved to another file)."""
    cited = re.compile(r"`((?:tests|benchmarks|scripts)/[\w/.-]+\.(?:py|ipynb))(?:::(\w+))?")
    missing = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for path, test in cited.findall(doc.read_text()):
            if "/test_X." in path:  # the naming pattern, not a file
                continue
            if not (ROOT / path).exists():
                missing.append(f"{doc.name}: {path}")
            elif test and not re.search(rf"^def {test}\b", (ROOT / path).read_text(), re.M):
                missing.append(f"{doc.name}: {path}::{test}")
    assert missing == []
