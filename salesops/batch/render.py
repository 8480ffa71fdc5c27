"""Rendering executed notebooks to HTML and PDF.

One HTML exporter per process is configured once and reused for every report, and one
headless Chromium page per process prints the PDFs.

A printer that can't be used against the machine: a report's HTML is self-contained
(charts are ``data:`` images, no script, stylesheet or font is fetched), so a printer
loads nothing but ``data:`` URLs and the template's own folder (:func:`permitted`).
Chromium prints with JavaScript off, offline, and with every other request aborted;
WeasyPrint's URL fetcher refuses the rest (no ``file:`` outside the template's folder, so
``<link rel=attachment href=file:///...>`` embeds nothing; no network). A value that
slipped past escaping could still not run, fetch, call home or read a local file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

if TYPE_CHECKING:
    import nbformat

TEMPLATES = Path(__file__).parents[1] / "templates"


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


def permitted(url: str) -> bool:
    """True for what a printer may load for a report: a ``data:`` URL, or a file in the
    template's own folder (:data:`TEMPLATES`); never another file, nor the network."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return True
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(url2pathname(parts.path)).resolve()
    return path.is_relative_to(TEMPLATES.resolve())


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
    # the browser tab's title (nbconvert escapes it): "Sales metrics · region:EMEA · 2026-10"
    name = " · ".join(str(meta[k]) for k in ("title", "scope", "period") if meta.get(k))
    resources = {"salesops": meta, "metadata": {"name": name}}
    body, _ = html_exporter().from_notebook_node(nb, resources=resources)
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

        fetcher = weasyprint_fetcher()
        return HTML(string=html, base_url=str(TEMPLATES), url_fetcher=fetcher).write_pdf()
    return printer().submit(_print, html, executable).result()


def weasyprint_fetcher() -> Any:
    """WeasyPrint's URL fetcher for reports: it fetches only what :func:`permitted` allows
    and refuses anything else (WeasyPrint then leaves the resource out, with a warning)."""
    from weasyprint.urls import URLFetcher

    class ReportFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not permitted(url):
                raise ValueError(f"a report loads nothing from outside itself: {url[:100]}")
            return super().fetch(url, headers)

    return ReportFetcher(allow_redirects=False)


def browser() -> str | None:
    """The Chromium to print with; None without one or under ``SALESOPS_PDF=weasyprint``."""
    if os.environ.get(PDF_ENGINE, "").lower() == "weasyprint":
        return None
    return next(filter(None, map(shutil.which, BROWSERS)), None)


_printer: tuple[int, ThreadPoolExecutor] | None = None
_chromium: dict[str, Any] = {}  # pid, driver, browser, page: on the printing thread only


def printer() -> ThreadPoolExecutor:
    """This process's printing thread (a new one in a forked child: threads do not
    survive a fork)."""
    global _printer
    if _printer is None or _printer[0] != os.getpid():
        _printer = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="salesops-pdf"))
    return _printer[1]


def _print(html: str, executable: str) -> bytes:
    """On the printing thread: the PDF from this process's page (:func:`_warm_page`).

    A report the page cannot print (a dead browser, a page left broken) fails alone: its
    page is thrown away, and the next report gets a new one."""
    page = _warm_page(executable)
    try:
        page.set_content(html, wait_until="load")
        return page.pdf(prefer_css_page_size=True, print_background=True)
    except Exception:
        _discard()
        raise


def _warm_page(executable: str) -> Any:
    """This process's page, started on first use and kept. The browser ends with the
    process (Playwright's driver closes it when its pipe closes).

    The page runs no script (JavaScript off, service workers blocked), is offline, and
    loads nothing but what :func:`permitted` allows (:func:`_only_permitted`)."""
    if _chromium.get("pid") != os.getpid():  # first use, or a forked child's
        _chromium.clear()
        _chromium["pid"] = os.getpid()
    if _chromium.get("browser") is None:
        from playwright.sync_api import sync_playwright

        driver = _chromium.get("driver") or sync_playwright().start()
        _chromium["driver"] = driver
        _chromium["browser"] = driver.chromium.launch(
            executable_path=executable, args=["--no-sandbox"]
        )
    if _chromium.get("page") is None:
        context = _chromium["browser"].new_context(
            java_script_enabled=False, offline=True, service_workers="block"
        )
        context.route("**/*", _only_permitted)
        _chromium["page"] = context.new_page()
    return _chromium["page"]


def _discard() -> None:
    """Throw the page away; the browser too when it died (and the driver with it)."""
    page, browser = _chromium.pop("page", None), _chromium.get("browser")
    with contextlib.suppress(Exception):  # a dead browser's context is gone anyway
        if page is not None:
            page.context.close()
    if browser is not None and not browser.is_connected():
        _chromium.pop("browser", None)
        driver = _chromium.pop("driver", None)
        with contextlib.suppress(Exception):  # a driver whose browser died may be gone too
            driver.stop()


def _only_permitted(route: Any) -> None:
    """Chromium's request handler: what :func:`permitted` allows goes on; a navigation
    elsewhere (a meta refresh, a frame) is answered "204 No Content", so the page stays
    where it is; any other request is aborted."""
    if permitted(route.request.url):
        route.continue_()
    elif route.request.is_navigation_request():
        route.fulfill(status=204)
    else:
        route.abort("blockedbyclient")
