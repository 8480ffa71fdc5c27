"""Write the module map of docs/architecture.md from each module's first docstring line.

Usage: ``python scripts/module_map.py`` (rewrites the part between the two markers);
``tests/integration/test_architecture.py`` checks that the page is up to date.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
BEGIN, END = "<!-- module map: scripts/module_map.py -->", "<!-- end of module map -->"
FOLDERS = {
    "": "the base: configuration, errors, storage, fingerprints, and the commands",
    "data": "what the data is, reading it from a source, and checking it",
    "analytics": "pure functions of the tables: metrics, forecasts, performance, pay",
    "reports": "one module per notebook, its sections, and how they are shown",
    "batch": "plans, jobs, the runner, rendering and publishing",
    "delivery": "each recipient's reports by email",
    "demo": "the synthetic demo database",
}


def first_line(path: Path) -> str:
    """The first sentence of a module's docstring, as markdown."""
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    sentence = paragraph.split(". ")[0].rstrip(".") + "."
    sentence = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", sentence)  # :func:`x` -> `x`
    return sentence.replace("``", "`")


def module_map() -> str:
    """The map as markdown: a table per folder, a row per module."""
    package = ROOT / "salesops"
    parts = []
    for folder, what in FOLDERS.items():
        where = package / folder
        title = f"`salesops/{folder}/`" if folder else "`salesops/`"
        parts += [f"**{title}**: {what}.", "", "| module | what it is |", "|---|---|"]
        for path in sorted(where.glob("*.py")):
            if path.name != "__init__.py" or not folder:
                name = f"{folder}.{path.stem}" if folder else path.stem
                what = first_line(path).replace("|", r"\|")
                parts.append(f"| `{name}` | {what} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def page(text: str) -> str:
    """``text`` with its module map replaced by the current one."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n\n{module_map()}\n{END}{tail}"


if __name__ == "__main__":
    PAGE.write_text(page(PAGE.read_text()))
    sys.exit(0)
