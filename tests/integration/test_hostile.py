"""Hostile input is inert: every report kind, the portal, the published CSVs and the
dashboard's widgets, made from a CRM whose every text value is hostile
(:data:`conftest.HOSTILE`), hold no element, attribute, link, style or formula that
comes from the data, and show each value as text (docs/security.md, "Rendering")."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
import yaml
from conftest import HOSTILE, css_unescaped, hostile_copy
from pypdf import PdfReader

import salesops as so
from salesops import cli
from salesops.batch import manifest, portal, render
from salesops.reports import dashboard
from salesops.reports.dashboard import Dashboard

PERIOD = "2026-09"
EAST, WEST = HOSTILE["region"]["East"], HOSTILE["region"]["West"]
NAMES = HOSTILE["name"]
# Every report kind, for the scopes whose headings carry hostile names.
PLAN = {
    "period": PERIOD,
    "formats": ["html", "pdf"],
    "reports": [
        {"notebook": "metrics", "scopes": ["company", "region:*"]},
        {"notebook": "forecast", "scopes": ["company"], "reads": "company"},
        {"notebook": "team_review", "scopes": ["region:*"]},
        {"notebook": "performance_review", "scopes": ["rep:R1", "rep:R4"], "reads": "region"},
        {"notebook": "planning", "scopes": ["company"], "reads": "company"},
    ],
}
HEADER = {"scope": "company", "period": PERIOD, "as_of": "", "generated_at": "", "fingerprint": ""}
ALLOWED_TAGS = {  # what the template, nbconvert, Styler and the display layer write
    *("html", "head", "meta", "title", "style", "script", "body", "main", "header", "div"),
    *("span", "b", "code", "h1", "h2", "h3", "p", "em", "strong", "ul", "li", "pre", "a"),
    *("img", "table", "caption", "thead", "tbody", "tr", "th", "td", "br", "hr", "input"),
    *("label", "select", "option", "button", "details", "summary", "nav", "small", "col"),
}

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc", "style", "content"}


@dataclass
class Page:
    """What an HTML page holds, as a browser's parser reads it."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    text: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self._in, self._text = Page(), None, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = (tag, [])

    def handle_endtag(self, tag: str) -> None:
        if self._in and tag == self._in[0]:
            kind, parts = self._in
            (self.page.scripts if kind == "script" else self.page.styles).append("".join(parts))
            self._in = None

    def handle_data(self, data: str) -> None:
        (self._in[1] if self._in else self._text).append(data)

    def handle_comment(self, data: str) -> None:
        self.page.tags.append(("!--", {"text": data}))


def read(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader.page.text = " ".join("".join(reader._text).split())
    return reader.page


def assert_inert(html: str, scripts: Iterable[str] = ()) -> Page:
    """No element, attribute, link, script, style or comment in ``html`` comes from the
    data: ``scripts`` are the only scripts allowed (the template's own)."""
    page = read(html)
    allowed_scripts = set(scripts)
    for tag, attrs in page.tags:
        assert tag in ALLOWED_TAGS, f"<{tag} {attrs}> is not what the page writes"
        for name, value in attrs.items():  # a data-* value may hold a name: it is text
            assert not name.startswith("on"), f"<{tag} {name}={value!r}>"
            if name in URL_ATTRIBUTES:
                assert "javascript:" not in (value or "").lower(), f"<{tag} {name}={value!r}>"
        if tag == "a":  # the page's own links: in-page anchors and relative paths only
            assert not urlsplit(attrs.get("href") or "").scheme, attrs
        if tag == "img":
            assert (attrs.get("src") or "").startswith("data:image/png;base64,"), attrs
    assert [s for s in page.scripts if s not in allowed_scripts] == []
    for style in page.styles:
        assert "display: none}" not in style.replace("display: none;}", "")
        assert "<" not in style, style  # no element ended inside a style
    return page


# -- the reports --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, dict]:
    """Every report kind, run once from the hostile CRM with bad rows set aside."""
    base = tmp_path_factory.mktemp("hostile")
    crm = hostile_copy(base / "crm")
    plan = base / "plan.yml"
    plan.write_text(yaml.safe_dump(PLAN))
    out = base / "reports"
    args = ["run", str(plan), "--source", str(crm), "--out", str(out), "--quiet"]
    code = cli.main([*args, "--on-invalid", "quarantine", "--workers", "2"])
    entries = manifest.load(out / PERIOD)
    failed = {k: e.get("error") for k, e in entries.items() if e.get("status") != "done"}
    assert code == 0 and not failed, failed
    return out / PERIOD, entries


@pytest.fixture(scope="module")
def template_scripts() -> set[str]:
    """The scripts of the report template itself (of a report without data)."""
    import nbformat  # here, not at the top: its import costs each test process ~2 s

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Report")])
    return set(read(render.to_html(nb, HEADER)).scripts)


def html_of(run, report: str, scope: str) -> str:
    return Path(run[1][(report, scope)]["outputs"]["html"]).read_text()


@pytest.mark.notebook
def test_every_report_kind_shows_hostile_values_as_text_only(run, template_scripts):
    _, entries = run
    assert {report for report, _ in entries} == {r["notebook"] for r in PLAN["reports"]}
    shown = ""
    for report, scope in entries:
        page = assert_inert(html_of(run, report, scope), template_scripts)
        shown += page.text
    for column in ("region", "segment", "product", "lead_source"):
        for value in HOSTILE[column].values():
            assert " ".join(value.split()) in shown, (column, value)
    for rep in ("Alice Able", "Cara Cole", "Dan Dune"):  # the active reps
        assert NAMES[rep] in shown, rep


@pytest.mark.notebook
def test_headings_are_text_never_markdown(run):
    heading = {
        ("metrics", f"region:{EAST}"): f"{EAST} region · {PERIOD}",
        ("team_review", f"region:{WEST}"): f"{WEST} team · {PERIOD}",
        ("performance_review", "rep:R1"): f"{NAMES['Alice Able']} · {EAST} · {PERIOD}",
        ("performance_review", "rep:R4"): f"{NAMES['Dan Dune']} · {WEST} · {PERIOD}",
    }
    for (report, scope), text in heading.items():
        h2 = read(html_of(run, report, scope))
        assert text in h2.text, (report, scope)
    review = html_of(run, "performance_review", "rep:R1")
    assert "javascript:" not in review.replace("javascript:alert(1))", "")  # only as text
    assert "<a href" not in review.lower().replace('<a href="#', "")


@pytest.mark.notebook
def test_the_printed_header_holds_the_scope_as_a_css_string(run):
    for region in (EAST, WEST):
        html = html_of(run, "metrics", f"region:{region}")
        style = next(s for s in read(html).styles if "@top-left" in s)
        content = re.search(r'@top-left \{content: "((?:[^"\\<\n]|\\[0-9A-F]{1,6} )*)";', style)
        assert content, style
        assert css_unescaped(content[1]) == f"Sales metrics · region:{region} · {PERIOD}"
    pdf = PdfReader(run[1][("metrics", f"region:{EAST}")]["outputs"]["pdf"])
    assert 'alert("region")' in pdf.pages[0].extract_text()  # printed as text
    assert pdf.attachments == {}


@pytest.mark.notebook
def test_the_portal_shows_hostile_names_as_text(run):
    folder, _ = run
    benign = portal.page(PERIOD, portal.rollup([], folder), [], folder)
    page = assert_inert((folder / "index.html").read_text(), read(benign).scripts)
    for name in (EAST, WEST, NAMES["Alice Able"], NAMES["Dan Dune"]):
        assert name in page.text


def formulas(path: Path) -> list[str]:
    """The cells of a CSV that a spreadsheet would run as a formula."""
    cells = [cell for row in csv.reader(io.StringIO(path.read_text())) for cell in row]
    risky = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    return [c for c in risky if not re.fullmatch(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?", c)]


@pytest.mark.notebook
def test_published_csvs_hold_no_formula(run):
    folder, _ = run
    rollup = folder / "rollup.csv"
    assert formulas(rollup) == []
    assert "'" + NAMES["Dan Dune"] in pd.read_csv(rollup)["name"].tolist()
    aside = folder / "quarantine" / "opportunities.csv"
    assert formulas(aside) == []
    row = pd.read_csv(aside, dtype=str, keep_default_na=False).iloc[0]
    assert (row["segment"], row["product"], row["lead_source"]) == ("'=1+2", "'@cmd", "'\t=1")
    assert float(row["amount"]) == -5  # a number stays a number


# -- the dashboard ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_dash(tmp_path_factory) -> Dashboard:
    crm = hostile_copy(tmp_path_factory.mktemp("hostile-dash") / "crm", set_aside=False)
    return Dashboard(so.load(str(crm), tables=dashboard.TABLES_READ), PERIOD)


def test_the_dashboards_widgets_show_hostile_names_as_text(hostile_dash):
    for region in (dashboard.ALL, EAST, WEST):
        hostile_dash.select(region=region)
        board = assert_inert(dashboard.leaderboard(hostile_dash))
        deals = assert_inert(dashboard.top_deals(hostile_dash))
        tiles = assert_inert(dashboard.tiles(hostile_dash))
        selection = next(a["data-selection"] for t, a in tiles.tags if "data-selection" in a)
        shown = dashboard.ALL_REGIONS if region is dashboard.ALL else region
        assert selection == f"{shown}|{PERIOD}"  # an attribute's value, kept whole
        reps = hostile_dash.reps(region)
        for name in reps["name"]:
            assert name in board.text
        if region is not dashboard.ALL:
            assert region in board.text
    assert NAMES["Dan Dune"] in deals.text  # West's open deals are Cara's and Dan's


def test_a_failed_selection_is_one_line_never_a_traceback(hostile_dash, monkeypatch):
    """ipywidgets sends the traceback of an exception raised in a widget's callback to
    the browser, whatever Voila's show_tracebacks: the dashboard's callbacks raise none."""
    from salesops.reports.widgets import DashboardView

    view = DashboardView(hostile_dash)
    view.widget()
    widgets = view._widgets
    view._on("period", "1999-01")  # a month the dashboard does not have: refused
    assert "1999-01" in widgets["problem"].value

    def broken(dash):
        raise RuntimeError(f"{EAST} /srv/secret/path")

    monkeypatch.setattr(dashboard, "leaderboard", broken)
    widgets["region"].value = EAST  # as a browser sets it: the selector's observer runs
    problem = read(widgets["problem"].value)
    assert problem.text == "this selection could not be shown (RuntimeError)"
    monkeypatch.undo()
    widgets["region"].value = WEST
    assert widgets["problem"].value == ""  # a selection that works clears the line
    assert NAMES["Dan Dune"] in read(widgets["leaderboard"].value).text
    hostile_dash.on_change = None
