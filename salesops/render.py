"""Rendering executed notebooks to HTML (and the period's index page).

One HTML exporter per process is configured once and reused for every report.
"""

from __future__ import annotations

from functools import cache
from html import escape
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


def index_page(period: str, entries: list[dict[str, Any]], base: Path) -> str:
    """The period's portal: every report by scope, with links, status and duration.

    Output paths in ``entries`` are relative to ``base``, the period folder, and so are
    the links: the page keeps working when the folder is moved or published.
    """
    rows = []
    for e in sorted(entries, key=lambda e: (e["scope"] != "company", e["scope"], e["report"])):
        links = " ".join(
            f'<a href="{escape(p)}">{escape(fmt)}</a>'
            for fmt, p in sorted(e.get("outputs", {}).items())
            if (base / p).exists()
        )
        error = e.get("error") or {}
        detail = escape(f"cell {error.get('cell')}: {error.get('message')}") if error else ""
        duration = "" if e.get("duration_s") is None else f"{e['duration_s']:.1f} s"
        cells = [e["scope"], e["report"], e["status"], duration]
        rows.append(
            f"<tr class='{escape(e['status'])}'>"
            + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + f"<td>{links}</td><td class='error'>{detail}</td></tr>"
        )
    failed = sum(e["status"] == "failed" for e in entries)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sales reports {escape(period)}</title>
<style>
body {{font-family: system-ui, sans-serif; margin: 24px; color: #1c2833;}}
h1 {{color: #1f4e79;}} table {{border-collapse: collapse;}}
td, th {{padding: 5px 12px; border-bottom: 1px solid #d5d8dc; text-align: left;}}
tr.failed td {{background: #fdedec;}} td.error {{color: #c0392b; font-size: 0.85em;}}
</style></head><body>
<h1>Sales reports · {escape(period)}</h1>
<p>{len(entries)} reports, {failed} failed.</p>
<table><thead><tr><th>Scope</th><th>Report</th><th>Status</th><th>Duration</th><th>Files</th><th>Error</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></body></html>
"""
