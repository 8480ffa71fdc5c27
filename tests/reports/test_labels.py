"""One mapping of names to labels and kinds (:data:`salesops.reports.labels.LABELS`): a
section's view gives a column's kind only where it differs from what LABELS says, so that
a unit is written in one place."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from salesops.reports import labels
from salesops.reports.display import View, readable, show, viewed

REPORTS = Path(labels.__file__).parent
SINKS = {"View": 0, "styled": 1, "readable": 1}  # a call and where its formats go


@dataclass(frozen=True)
class Entry:
    """One entry of a formats mapping: where it is written, its column and its kind (None
    where the source does not spell it out)."""

    path: Path
    line: int
    column: str | None
    kind: str | None
    node: ast.expr  # the key (a dict's) or the element (a dict.fromkeys list's)
    mapping: ast.expr  # the dict, or the dict.fromkeys list, that holds it

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}: {self.column!r}: {self.kind!r}"


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


Scope = dict[str, list[tuple[Path, ast.expr]]]  # a name's values, and the file of each


def _assignments(scope: ast.AST, path: Path) -> Scope:
    """The values assigned to each name directly in ``scope`` (not in nested functions)."""
    found: Scope = {}
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append((path, node.value))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            found.setdefault(node.target.id, []).append((path, node.value))
        todo.extend(ast.iter_child_nodes(node))
    return found


def _imported(tree: ast.Module, folder: Path) -> Scope:
    """The names ``tree`` imports from its sibling modules, with their values there
    (``from salesops.reports.plan import METHODS``)."""
    found: Scope = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("salesops.reports."):
            sibling = folder / f"{node.module.rsplit('.', 1)[1]}.py"
            exists = sibling.exists()
            values = _assignments(ast.parse(sibling.read_text()), sibling) if exists else {}
            for alias in node.names:
                if alias.name in values:
                    found[alias.asname or alias.name] = values[alias.name]
    return found


def _entries(node: ast.expr, scopes: list[Scope], path: Path, seen: set[int]) -> Iterator[Entry]:
    """The entries of the formats mapping ``node`` evaluates to, through names, ``|`` and
    ``dict.fromkeys``."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:  # {**other}
                yield from _entries(value, scopes, path, seen)
            else:
                yield Entry(path, key.lineno, _text(key), _text(value), key, node)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        yield from _entries(node.left, scopes, path, seen)
        yield from _entries(node.right, scopes, path, seen)
    elif isinstance(node, ast.Name):
        for scope in scopes:  # the innermost assignment of the name
            if node.id in scope:
                for where, value in scope[node.id]:
                    yield from _entries(value, scopes, where, seen)
                break
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "fromkeys"
        and len(node.args) == 2
    ):
        keys, kind = node.args
        for scope in scopes:  # dict.fromkeys(METHODS, "money"): the list METHODS names
            if isinstance(keys, ast.Name) and keys.id in scope:
                path, keys = scope[keys.id][0]
                break
        if isinstance(keys, ast.List | ast.Tuple):
            for element in keys.elts:
                yield Entry(path, element.lineno, _text(element), _text(kind), element, keys)
        else:  # dict.fromkeys(frame.columns, "pct"): the columns are the frame's
            yield Entry(path, node.lineno, None, _text(kind), node, node)


def _sinks(tree: ast.Module) -> Iterator[tuple[ast.expr, list[ast.AST]]]:
    """Each expression a view's formats are given by, with the scopes around it (the
    innermost first); a view with ``rows`` is left out: there a column's entry overrides
    the row's kind, which LABELS does not."""
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [tree])]
    while stack:
        node, scopes = stack.pop()
        for child in ast.iter_child_nodes(node):
            inner = [child, *scopes] if isinstance(child, ast.FunctionDef) else scopes
            stack.append((child, inner))
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else None
        name = node.func.id if isinstance(node.func, ast.Name) else name
        if name not in SINKS or any(k.arg == "rows" for k in node.keywords):
            continue
        given = [k.value for k in node.keywords if k.arg == "formats"]
        if len(node.args) > SINKS[name]:
            given.append(node.args[SINKS[name]])
        for formats in given:
            yield formats, scopes


def format_entries(path: Path) -> list[Entry]:
    """Every entry of the formats that ``path``'s views and tables are given (the
    ``View(formats, ...)`` mappings, ``styled(frame, formats)`` and the constants they
    name), once each, in the order of the source."""
    tree = ast.parse(path.read_text(), str(path))
    functions = [s for s in ast.walk(tree) if isinstance(s, ast.FunctionDef)]
    assigned = {id(s): _assignments(s, path) for s in functions}
    assigned[id(tree)] = _assignments(tree, path) | _imported(tree, path.parent)
    found: dict[int, Entry] = {}
    for formats, scopes in _sinks(tree):
        names = [assigned[id(s)] for s in scopes]
        for entry in _entries(formats, names, path, set()):
            found.setdefault(id(entry.node), entry)
    return sorted(found.values(), key=lambda e: (e.line, e.node.col_offset))


def restated(entries: list[Entry]) -> list[Entry]:
    """The entries that give the kind LABELS already gives their column."""
    return [e for e in entries if e.column in labels.LABELS and labels.kind(e.column) == e.kind]


def test_no_view_restates_a_kind_labels_gives():
    entries = [e for path in sorted(REPORTS.glob("*.py")) for e in format_entries(path)]
    assert len(entries) > 30  # the walk finds the views' formats
    offenders = restated(entries)
    assert not offenders, (
        "these formats restate the kind salesops.reports.labels.LABELS gives the column "
        "(leave them out: a view falls back to LABELS):\n" + "\n".join(map(str, offenders))
    )


def test_the_walk_finds_a_restated_entry(tmp_path):
    source = tmp_path / "section.py"
    source.write_text(
        textwrap.dedent(
            """
            TOTALS = {"bookings": "money", "won": "number"}

            def board(frame):
                formats = {"win_rate": "pct", "coverage": "decimal"}
                shown = View(formats | {"hires": "number"}, "Board")
                styled(frame, dict.fromkeys(["quota", "spend"], "money"))
                rows = View({"quota": "money"}, "KPIs", rows={"Quota": "money"})
                return View(TOTALS), shown, rows
            """
        )
    )
    entries = format_entries(source)
    assert [(e.column, e.kind) for e in entries] == [
        ("bookings", "money"),
        ("won", "number"),
        ("win_rate", "pct"),
        ("coverage", "decimal"),
        ("hires", "number"),
        ("quota", "money"),
        ("spend", "money"),
    ]  # not the view with rows: there a column's kind overrides the row's
    # coverage reads "decimal", not LABELS' "ratio": a deliberate difference
    assert [e.column for e in restated(entries)] == ["bookings", "win_rate", "quota"]


def test_a_column_without_a_format_takes_its_kind_from_labels():
    frame = pd.DataFrame({"bookings": [1234.0], "win_rate": [0.25], "coverage": [1.8]})
    _, kinds = readable(frame, {"coverage": "decimal"})
    assert kinds == {"Bookings": "money", "Win rate": "pct", "Pipeline coverage": "decimal"}
    html = show(viewed(frame, View())).to_html()
    assert "$1,234" in html and "25%" in html and "1.8×" in html


def test_row_kinds_come_from_labels_unless_a_report_gives_its_own():
    kinds = labels.kinds(["headcount", "quota", "gap"], {"headcount": "number"})
    assert kinds == {"headcount": "number", "quota": "money", "gap": "money"}
    assert list(kinds) == ["headcount", "quota", "gap"]  # the rows' order
    with pytest.raises(ValueError, match="quota: the kind salesops.reports.labels.LABELS gives"):
        labels.kinds(["quota"], {"quota": "money"})  # a restatement: one home per fact
    assert labels.kinds(["coverage"], {"coverage": "decimal"}) == {"coverage": "decimal"}
    with pytest.raises(ValueError, match="headcount: no kind given, and none in LABELS"):
        labels.kinds(["headcount"])
