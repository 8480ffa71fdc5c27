"""Rendering executed notebooks to HTML and PDF.

One HTML exporter per process is configured once and reused for every report, and one
headless Chromium page per process prints the PDFs.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
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

    from salesops import markup

    exporter = HTMLExporter(template_name="salesops", extra_template_basedirs=[str(TEMPLATES)])
    exporter.register_filter("css_string", markup.css_string)  # the @page header's values
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

    Printed by this process's warm headless Chromium page when the machine has Chromium,
    else, or with ``SALESOPS_PDF=weasyprint``, by WeasyPrint. Chromium prints a report 3
    to 7 times faster (``benchmarks/pdf.py``); both print the same HTML with the same
    stylesheet.

    The page lives on a thread of its own (:func:`printer`): Playwright's synchronous API
    marks an event loop as running on the thread that starts it, and the kernels' client
    (``jupyter_core.utils.run_sync``) must not see one on the runner's thread.
    """
    executable = browser()
    if executable is None:
        from weasyprint import HTML

        return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return printer().submit(_print, html, executable).result()


def browser() -> str | None:
    """The Chromium to print with; None without one or under ``SALESOPS_PDF=weasyprint``."""
    if os.environ.get(PDF_ENGINE, "").lower() == "weasyprint":
        return None
    return next(filter(None, map(shutil.which, BROWSERS)), None)


_printer: tuple[int, ThreadPoolExecutor] | None = None
_page: tuple[int, Any] | None = None  # touched on the printing thread only


def printer() -> ThreadPoolExecutor:
    """This process's printing thread (a new one in a forked child: threads do not
    survive a fork)."""
    global _printer
    if _printer is None or _printer[0] != os.getpid():
        _printer = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="salesops-pdf"))
    return _printer[1]


def _print(html: str, executable: str) -> bytes:
    """On the printing thread: the PDF from its page, started on first use and kept. The
    browser ends with the process (Playwright's driver closes it when its pipe closes)."""
    global _page
    if _page is None or _page[0] != os.getpid():
        from playwright.sync_api import sync_playwright

        driver = sync_playwright().start()
        chromium = driver.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        _page = (os.getpid(), chromium.new_page())
    page = _page[1]
    try:
        page.set_content(html, wait_until="load")
        return page.pdf(prefer_css_page_size=True, print_background=True)
    except Exception:  # the browser died: the next report gets a new one
        _page = None
        raise
