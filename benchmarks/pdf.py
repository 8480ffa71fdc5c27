"""Where a report's PDF time goes, and WeasyPrint against a warm headless Chromium.

For one rendered HTML page of each report kind (from ``reports/<period>/``, made by
``make report``), measured side by side in one run, median of ``--repeat``:

- WeasyPrint, split into layout (``HTML.render``) and writing (``Document.write_pdf``);
- WeasyPrint on the same page without its images (charts as PNG data URIs), to see
  what the images cost;
- Chromium (Debian's, through Playwright), one warm browser page, ``page.pdf`` after
  ``set_content``: the alternative the issue asks to measure.

Prints seconds per report and the ratios. Run: ``.venv/bin/python benchmarks/pdf.py``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import time
from pathlib import Path

from weasyprint import HTML

from salesops.batch.render import TEMPLATES
from salesops.config import root

KINDS = {
    "metrics": "company/metrics.html",
    "forecast": "region-EMEA/forecast.html",
    "team_review": "region-EMEA/team_review.html",
    "performance_review": None,  # the first rep's
    "planning": "company/planning.html",
}
IMAGE = re.compile(r'<img [^>]*src="data:image/png;base64,[^"]*"[^>]*>')


def timed(action, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def pages(period_dir: Path) -> dict[str, str]:
    out = {}
    for kind, path in KINDS.items():
        if path is None:
            path = next(p.relative_to(period_dir) for p in sorted(period_dir.glob("rep-*/*.html")))
        out[kind] = (period_dir / path).read_text()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    htmls = pages(root() / "reports" / args.period)
    base = str(TEMPLATES)

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()

        def chrome(html: str) -> bytes:
            page.set_content(html, wait_until="load")
            return page.pdf(prefer_css_page_size=True, print_background=True)

        for kind, html in htmls.items():
            chrome(html)  # warm
            doc = HTML(string=html, base_url=base)
            layout = timed(lambda d=doc: d.render(), args.repeat)
            rendered = doc.render()
            write = timed(lambda r=rendered: r.write_pdf(), args.repeat)
            bare = HTML(string=IMAGE.sub("", html), base_url=base)
            no_images = timed(lambda b=bare: b.write_pdf(), args.repeat)
            chrome_s = timed(lambda h=html: chrome(h), args.repeat)
            rows.append((kind, len(rendered.pages), layout, write, no_images, chrome_s))
        browser.close()

    print(
        f"{'report':<20}{'pages':>6}{'layout':>9}{'write':>8}{'total':>8}"
        f"{'no img':>8}{'chromium':>10}{'weasy/chromium':>16}"
    )
    for kind, n, layout, write, no_images, chrome_s in rows:
        total = layout + write
        print(
            f"{kind:<20}{n:>6}{layout:>9.3f}{write:>8.3f}{total:>8.3f}"
            f"{no_images:>8.3f}{chrome_s:>10.3f}{total / chrome_s:>15.1f}×"
        )
    weasy = statistics.median(r[2] + r[3] for r in rows)
    chrome_med = statistics.median(r[5] for r in rows)
    share = statistics.median(r[2] / (r[2] + r[3]) for r in rows)
    print(
        f"median: WeasyPrint {weasy:.3f} s (layout {share:.0%}), Chromium {chrome_med:.3f} s, "
        f"{weasy / chrome_med:.1f}×"
    )


if __name__ == "__main__":
    main()
