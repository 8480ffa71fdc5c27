"""Rendering executed notebooks to HTML and PDF.

One HTML exporter per process is configured once and reused for every report.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import nbformat

TEMPLATES = Path(__file__).parent / "templates"


@cache
def html_exporter():
    """The shared exporter: the salesops template, no code, no prompts."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="salesops", extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def report_title(nb: nbformat.NotebookNode) -> str:
    """The notebook's first markdown heading, e.g. ``Sales metrics``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Report"


def to_html(nb: nbformat.NotebookNode, header: dict[str, Any], page_size: str = "A4") -> str:
    """An executed notebook as a self-contained HTML page with the report header.

    ``page_size`` (A4 or Letter) is what a PDF made from the page uses.
    """
    meta = {"title": report_title(nb), "page_size": page_size, **header}
    body, _ = html_exporter().from_notebook_node(nb, resources={"salesops": meta})
    return body


def to_pdf(html: str) -> bytes:
    """The same page as a PDF, laid out by WeasyPrint with the template's print stylesheet
    (page size, margins, a running header with scope and period, "page x of y")."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
