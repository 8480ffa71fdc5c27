"""Rendering executed notebooks to HTML and PDF.

One HTML exporter per process is configured once and reused for every report, and one
headless Chromium page per thread prints the PDFs.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import threading
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


PDF_ENGINE = "SALESOPS_PDF"  # environment: "weasyprint" to print with WeasyPrint
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def to_pdf(html: str) -> bytes:
    """The same page as a PDF, laid out with the template's print stylesheet (page size,
    margins, a running header with scope and period, "page x of y").

    Printed by this thread's warm headless Chromium page (:func:`browser_page`) when the
    machine has Chromium, else, or with ``SALESOPS_PDF=weasyprint``, by WeasyPrint.
    Chromium prints a report 3 to 7 times faster (``benchmarks/pdf.py``); both print the
    same HTML with the same stylesheet.
    """
    page = browser_page()
    if page is None:
        from weasyprint import HTML

        return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    try:
        page.set_content(html, wait_until="load")
        return page.pdf(prefer_css_page_size=True, print_background=True)
    except Exception:  # the browser died: the next page is a new browser's
        _browsers.__dict__.clear()
        raise


_browsers = threading.local()


def browser_page() -> Any:
    """This thread's Chromium page, started on first use and kept for the thread's life
    (a Playwright page is bound to its thread); None without Chromium or under
    ``SALESOPS_PDF=weasyprint``. The browser is closed when the process exits."""
    if os.environ.get(PDF_ENGINE, "").lower() == "weasyprint":
        return None
    if "page" not in _browsers.__dict__:
        executable = next(filter(None, map(shutil.which, BROWSERS)), None)
        if executable is None:
            return None
        from playwright.sync_api import sync_playwright

        driver = sync_playwright().start()
        browser = driver.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        _browsers.page = browser.new_page()
        atexit.register(_close, driver, browser)
    return _browsers.page


def _close(driver: Any, browser: Any) -> None:
    with contextlib.suppress(Exception):
        browser.close()
        driver.stop()
