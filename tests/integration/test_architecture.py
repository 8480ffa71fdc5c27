"""The import contract: each layer imports only from the layers below it.

    base (config, errors, storage, fingerprint, markup, credentials; the lazy ``__init__``)
      ◄── data ◄── analytics ◄── reports ◄── batch ◄── delivery ◄── the commands

``demo`` writes a database through the data layer; only the commands import it. The
analytics layer never reads files or databases itself.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import inspect
import runpy
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "salesops"
ORDER = ["base", "data", "analytics", "reports", "batch", "delivery", "commands"]
BASE = {"config", "errors", "storage", "fingerprint", "markup", "credentials", "words"}
BASE |= {"__init__", "__version__"}  # the package's lazy re-exports
COMMANDS = {"cli", "commands", "server", "websocket"}
FOLDERS = {"data", "analytics", "reports", "batch", "delivery"}
DATABASES_AND_FILES = {"duckdb", "sqlalchemy", "psycopg", "salesops.storage"}


def layer_of(module: str) -> str:
    """The layer of a module named ``salesops.<part>...``."""
    parts = module.split(".")[1:] or ["__init__"]
    if parts[0] in FOLDERS:
        return parts[0]
    if parts[0] == "demo":
        return "demo"
    if parts[0] in BASE:
        return "base"
    if parts[0] in COMMANDS:
        return "commands"
    raise AssertionError(f"{module} is in no layer: add it to a layer folder or to this test")


@functools.cache
def parsed(text: str) -> ast.Module:
    """A module's syntax tree, parsed once per text for this file's tests (each walks the
    whole package; none changes a tree)."""
    return ast.parse(text)


def imports(path: Path, package: str) -> set[str]:
    """Every module a file imports (lazy imports in functions and type-only ones included)."""
    found = set()
    for node in ast.walk(parsed(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            found.add(f"{base}.{node.module}" if node.module else base)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "salesops":
                found.update(f"salesops.{alias.name}" for alias in node.names)
    return found


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def allowed(importer: str, imported: str) -> bool:
    """Whether a module of layer ``importer`` may import one of layer ``imported``."""
    if importer == "demo":
        return imported in ("base", "data", "demo")
    if imported == "demo":
        return importer in ("commands", "demo")
    return ORDER.index(imported) <= ORDER.index(importer)


def violations(tree: dict[str, Path]) -> list[str]:
    """Each import that goes against the contract, as ``importer -> imported (why)``."""
    found = []
    for name, path in tree.items():
        if name == "salesops":
            continue  # the lazy re-exports of ``import salesops as so``: type-only imports
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        here = layer_of(name)
        for target in sorted(imports(path, package)):
            if target.startswith("salesops."):
                there = layer_of(target)
                if not allowed(here, there):
                    found.append(f"{name} ({here}) -> {target} ({there}): imports upward")
            top = target.split(".")[0]
            if here == "analytics" and (
                target in DATABASES_AND_FILES or top in DATABASES_AND_FILES
            ):
                found.append(f"{name} -> {target}: analytics reads no file or database")
    return found


def test_every_import_goes_down_the_layers() -> None:
    assert violations(modules()) == []


def test_the_contract_catches_an_upward_import(tmp_path: Path) -> None:
    tree = modules()
    rogue = tmp_path / "metrics.py"
    rogue.write_text(
        tree["salesops.analytics.metrics"].read_text() + "\nimport salesops.batch.runner\n"
    )
    tree["salesops.analytics.metrics"] = rogue
    assert violations(tree) == [
        "salesops.analytics.metrics (analytics) -> salesops.batch.runner (batch): imports upward"
    ]


def runtime_edges(tree: dict[str, Path]) -> dict[str, set[str]]:
    """Which modules of the package each module imports when it runs: lazy imports in
    functions count; type-only ones (under ``if TYPE_CHECKING:``), the lazy re-exports
    of ``salesops`` and a package reached only for one of its submodules do not."""
    edges: dict[str, set[str]] = {}
    for name, path in tree.items():
        module = parsed(path.read_text())
        type_only = {
            id(inner)
            for node in ast.walk(module)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for statement in node.body
            for inner in ast.walk(statement)
        }
        found = set()
        for node in ast.walk(module):
            if id(node) in type_only:
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = {f"{node.module}.{alias.name}" for alias in node.names}
                found |= names if names <= set(tree) else {node.module} | (names & set(tree))
        edges[name] = {t for t in found if t in tree and t not in (name, "salesops")}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: each strongly connected group of two or more modules, sorted."""
    reach = {name: set(targets) for name, targets in edges.items()}
    changed = True
    while changed:  # the transitive closure; the package has about a hundred modules
        changed = False
        for targets in reach.values():
            more = set().union(*(reach[t] for t in targets)) - targets
            if more:
                targets |= more
                changed = True
    groups = {
        tuple(sorted(n for n in reach[m] | {m} if m in reach[n])) for m in reach if m in reach[m]
    }
    return sorted(list(group) for group in groups)


def test_no_module_imports_one_that_imports_it() -> None:
    assert cycles(runtime_edges(modules())) == []


def test_the_cycle_rule_catches_a_lazy_import(tmp_path: Path) -> None:
    tree = modules()
    rogue = tmp_path / "dashboard.py"
    source = tree["salesops.reports.dashboard"].read_text()
    rogue.write_text(source + "\n\ndef view():\n    import salesops.reports.widgets\n")
    tree["salesops.reports.dashboard"] = rogue
    assert cycles(runtime_edges(tree)) == [
        ["salesops.reports.dashboard", "salesops.reports.widgets"]
    ]


@pytest.mark.parametrize("name", ["duckdb", "salesops.storage"])
def test_the_contract_keeps_analytics_off_files_and_databases(tmp_path: Path, name: str) -> None:
    tree = modules()
    rogue = tmp_path / "pipeline.py"
    rogue.write_text(tree["salesops.analytics.pipeline"].read_text() + f"\nimport {name}\n")
    tree["salesops.analytics.pipeline"] = rogue
    assert any(name in line and "reads no file" in line for line in violations(tree))


# Where the company's configuration is read (salesops.config.settings, the one helper):
# the edges that resolve it for a report (ReportContext, the dashboard's load), the
# commands, and the batch and delivery layers that run plans; never data, analytics or
# the reports' sections, formatting and display, which are given it.
READS_SETTINGS = {
    "salesops.reports.context",
    "salesops.reports.dashboard",
    "salesops.batch.jobs",
    "salesops.batch.portal",
    "salesops.batch.runner",
    "salesops.delivery.letters",
    "salesops.commands",
}


def settings_calls(path: Path) -> int:
    """How often a module calls ``settings()`` (as a name or as ``config.settings()``)."""
    calls = [n for n in ast.walk(parsed(path.read_text())) if isinstance(n, ast.Call)]
    names = [getattr(c.func, "id", None) or getattr(c.func, "attr", None) for c in calls]
    return names.count("settings")


def test_configuration_is_read_at_the_edges_only() -> None:
    readers = {name for name, path in modules().items() if settings_calls(path)}
    assert readers - {"salesops.config"} <= READS_SETTINGS, readers - READS_SETTINGS


def test_the_module_map_in_the_docs_is_up_to_date() -> None:
    module_map = runpy.run_path(str(PACKAGE.parent / "scripts" / "module_map.py"))
    text = module_map["PAGE"].read_text()
    assert module_map["page"](text) == text, "run python scripts/module_map.py"


# A public function takes at most this many arguments by position (self and cls aside);
# the rest are keyword-only, after a ``*``: ``(frame, period, *, stages, ...)``.
MAX_POSITIONAL = 4


def public_functions(module: types.ModuleType) -> Iterator[tuple[str, Callable[..., object]]]:
    """The public functions a module defines, and the public methods of its public
    classes (a dataclass's generated ``__init__`` is not one: it is not public)."""
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            yield name, value
        elif inspect.isclass(value):
            for attr, member in vars(value).items():
                function = getattr(member, "__func__", member)  # classmethod, staticmethod
                if not attr.startswith("_") and inspect.isfunction(function):
                    yield f"{name}.{attr}", function


def public_dataclasses(module: types.ModuleType) -> Iterator[tuple[str, Callable[..., object]]]:
    """The public dataclasses a module defines: their constructors take arguments too."""
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(value) and dataclasses.is_dataclass(value):
            yield name, value


def crowded(module: types.ModuleType) -> list[str]:
    """Each public function of ``module``, and each public dataclass's constructor, that
    takes more than :data:`MAX_POSITIONAL` arguments by position, as
    ``module.function (n: names)``."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    found = []
    for name, function in [*public_functions(module), *public_dataclasses(module)]:
        parameters = inspect.signature(function).parameters.values()
        named = [p.name for p in parameters if p.kind in kinds and p.name not in ("self", "cls")]
        if len(named) > MAX_POSITIONAL:
            found.append(f"{module.__name__}.{name} ({len(named)}: {', '.join(named)})")
    return found


def test_public_functions_take_their_options_by_keyword() -> None:
    offenders = [line for name in modules() for line in crowded(importlib.import_module(name))]
    assert not offenders, (
        f"more than {MAX_POSITIONAL} positional parameters: put a * after the natural "
        "positional ones\n" + "\n".join(offenders)
    )


def test_the_keyword_rule_catches_a_crowded_function() -> None:
    module = types.ModuleType("salesops.rogue")
    source = """
def crowded(frame, period, stages, by, top=10):
    pass

def fine(frame, period, *, stages, by, top=10):
    pass

def _private(a, b, c, d, e):
    pass

class Board:
    def rank(self, frame, period, stages, by):
        pass

    @classmethod
    def of(cls, tables, region, period, as_of, stages):
        pass

@dataclasses.dataclass
class Crowded:
    name: str
    kind: str
    required: bool = False
    nullable: bool = True
    unique: bool = False

@dataclasses.dataclass
class Named:
    name: str
    kind: str
    _: dataclasses.KW_ONLY
    required: bool = False
    nullable: bool = True
    unique: bool = False
"""
    namespace: dict[str, object] = {"__name__": "salesops.rogue", "dataclasses": dataclasses}
    exec(compile(source, "rogue.py", "exec", dont_inherit=True), namespace)
    vars(module).update(namespace)
    assert crowded(module) == [
        "salesops.rogue.crowded (5: frame, period, stages, by, top)",
        "salesops.rogue.Board.of (5: tables, region, period, as_of, stages)",
        "salesops.rogue.Crowded (5: name, kind, required, nullable, unique)",
    ]


def test_every_module_has_a_test_module_of_its_name() -> None:
    """The tests mirror the package: ``salesops/<layer>/<module>.py`` is tested in
    ``tests/<layer>/test_<module>.py`` (a top-level module in ``tests/test_<module>.py``),
    so that a module's tests are found where its name says."""
    tests = PACKAGE.parent / "tests"
    missing = [
        str(path.relative_to(PACKAGE.parent))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "__init__.py"
        and not (tests / path.parent.relative_to(PACKAGE) / f"test_{path.name}").exists()
    ]
    assert missing == []
