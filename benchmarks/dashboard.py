"""Dashboard benchmark: in a real browser, time to the first tiles and selector latency.

Starts ``salesops serve`` on the demo database and drives Debian's Chromium with
Playwright:

- **first tiles**: from navigation to the KPI tiles on screen, (a) for the first visitor
  after the server starts and (b) for a visitor who finds a pre-heated kernel (the
  normal case: Voila pre-heats the next kernel after each visit);
- **selector latency**: from choosing another region to the tiles showing its numbers,
  over several changes (median and worst).

Goals: first tiles under 3 s, selector latency under 500 ms.

Usage: ``python benchmarks/dashboard.py [--source data/salesops.duckdb] [--changes 6]``
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_tiles(browser, url: str) -> tuple[float, object]:
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(".kpi[data-kpi='bookings']", timeout=180_000)
    return time.perf_counter() - start, page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=None, help="default: the demo database")
    parser.add_argument("--changes", type=int, default=6, help="region changes to time")
    parser.add_argument("--settle", type=float, default=45, help="seconds to let a kernel pre-heat")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    command = [sys.executable, "-m", "salesops.cli", "serve", "--port", str(port)]
    if args.source:
        command += ["--source", args.source]
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                time.sleep(0.2)
        print(f"server answering after {time.perf_counter() - started:.1f} s")
        time.sleep(args.settle)  # the pool kernel runs the notebook ahead of the first visitor
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox"],
            )
            warm, page = first_tiles(browser, url)
            regions = (
                page.locator(".widget-dropdown", has_text="Region")
                .locator("option")
                .all_inner_texts()
            )
            regions = [r for r in regions if r != "All"]
            select = page.locator(".widget-dropdown", has_text="Region").locator("select")
            latencies = []
            for i in range(args.changes):
                region = regions[i % len(regions)]
                start = time.perf_counter()
                select.select_option(region)
                page.wait_for_selector(f".kpis[data-selection^='{region}|']", timeout=60_000)
                latencies.append(time.perf_counter() - start)
                page.wait_for_timeout(2500)  # let the charts of this change land
            page.close()
            cold, page = first_tiles(browser, url)  # the next visitor, pool still refilling
            page.close()
            time.sleep(args.settle)
            again, page = first_tiles(browser, url)
            page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(20)
    median = statistics.median(latencies)
    print(
        f"first tiles, pre-heated kernel: {warm:.2f} s and {again:.2f} s (goal < 3 s: {max(warm, again) / 3:.2f}× the goal)"
    )
    print(f"first tiles, visitor right after another (no pre-heated kernel yet): {cold:.2f} s")
    print(
        f"region change to updated tiles over {len(latencies)} changes: median {median * 1000:.0f} ms, "
        f"worst {max(latencies) * 1000:.0f} ms (goal < 500 ms: {median / 0.5:.2f}× the goal)"
    )


if __name__ == "__main__":
    main()
