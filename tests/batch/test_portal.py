"""The period's portal: the roll-up from the reports' summaries, the page a manager opens
first, and its filter and sort in a real browser at 1,500 reps."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from salesops.batch import portal


def summary(folder: Path, scope: str, report: str, **numbers) -> dict:
    slug = scope.replace(":", "-")
    (folder / slug).mkdir(parents=True, exist_ok=True)
    (folder / slug / f"{report}.json").write_text(json.dumps({"report": report, **numbers}))
    (folder / slug / f"{report}.html").write_text("<html></html>")
    return {
        "report": report,
        "scope": scope,
        "status": "done",
        "outputs": {"html": f"{slug}/{report}.html"},
    }


def kpis(bookings, previous, attainment=None, win=None):
    out = {"Bookings": {"current": bookings, "previous": previous}}
    if attainment is not None:
        out["Quota attainment"] = {"current": attainment, "previous": attainment - 0.1}
    if win is not None:
        out["Win rate"] = {"current": win, "previous": win + 0.05}
    return out


def test_the_rollup_has_one_row_per_scope_in_order(tmp_path):
    folder = tmp_path / "2026-10"
    entries = [
        summary(folder, "company", "metrics", kpis=kpis(300.0, 250.0, 0.9, 0.25)),
        summary(folder, "company", "forecast", outlook={"2026-Q4": {"expected_attainment": 1.1}}),
        summary(folder, "region:East", "metrics", kpis=kpis(200.0, 220.0)),
        summary(
            folder,
            "rep:R2",
            "performance_review",
            name="Zoe Zed",
            region="East",
            kpis=kpis(50.0, 50.0),
        ),
        summary(
            folder,
            "rep:R1",
            "performance_review",
            name="Al Able",
            region="East",
            kpis=kpis(150.0, 100.0),
        ),
        {
            "report": "performance_review",
            "scope": "rep:R3",
            "status": "failed",
            "outputs": {},
            "error": {"cell": 7, "message": "DataError: no quota"},
        },
    ]
    frame = portal.rollup(entries, folder)
    assert list(frame["scope"]) == ["company", "region:East", "rep:R1", "rep:R2", "rep:R3"]
    assert list(frame["name"]) == ["Company", "East region", "Al Able", "Zoe Zed", "R3"]
    company = frame.iloc[0]
    assert (company["bookings"], company["bookings_previous"]) == (300.0, 250.0)
    assert company["attainment"] == 0.9 and company["forecast_attainment"] == 1.1
    assert pd.isna(frame.iloc[1]["attainment"])  # the region's summary has none: not a zero
    assert frame.iloc[4]["failed"] == 1 and pd.isna(frame.iloc[4]["bookings"])

    portal.write(folder, "2026-10", entries)
    page = (folder / "index.html").read_text()
    assert "$300" in page and "▲" in page and "▼" in page  # bookings up, win rate down
    assert "cell 7: DataError: no quota" in page
    assert 'href="company/metrics.html"' in page
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from the network
    saved = pd.read_parquet(folder / "rollup.parquet")
    assert saved["bookings"].tolist()[:3] == [300.0, 200.0, 150.0]
    assert pd.read_csv(folder / "rollup.csv")["scope"].tolist() == frame["scope"].tolist()


def test_a_number_without_its_previous_takes_the_previous_period_s(tmp_path):
    before = summary(
        tmp_path / "2026-09",
        "company",
        "forecast",
        outlook={"2026-Q3": {"expected_attainment": 0.8}},
    )
    entry = summary(
        tmp_path / "2026-10",
        "company",
        "forecast",
        outlook={"2026-Q4": {"expected_attainment": 0.9}},
    )
    assert before["scope"] == entry["scope"]
    row = portal.rollup([entry], tmp_path / "2026-10").iloc[0]
    assert (row["forecast_attainment"], row["forecast_attainment_previous"]) == (0.9, 0.8)


@pytest.mark.browser
def test_filter_and_sort_work_offline_at_1500_reps(tmp_path, browser):
    folder = tmp_path / "2026-10"
    entries = [summary(folder, "company", "metrics", kpis=kpis(9e6, 8e6))]
    regions = ["East", "West", "North"]
    for region in regions:
        entries.append(summary(folder, f"region:{region}", "metrics", kpis=kpis(3e6, 2e6)))
    for i in range(1500):
        entries.append(
            summary(
                folder,
                f"rep:R{i:04d}",
                "performance_review",
                name=f"Rep {i:04d}",
                region=regions[i % 3],
                kpis=kpis(float(i), float(i) - 1),
            )
        )
    portal.write(folder, "2026-10", entries)
    page = browser.new_page()
    page.route(
        "**/*",
        lambda route: route.abort() if route.request.url.startswith("http") else route.continue_(),
    )  # offline: nothing but the file itself
    page.goto((folder / "index.html").as_uri())
    assert page.inner_text("#shown") == "1504 of 1504 scopes shown"
    page.fill("#filter", "rep 0042")
    page.dispatch_event("#filter", "input")
    visible = page.eval_on_selector_all(
        "#rollup tbody tr:not([hidden])", "rs => rs.map(r => r.cells[0].innerText)"
    )
    assert visible == ["East region", "Rep 0042 R0042"]  # its region stays as its heading
    page.fill("#filter", "")
    page.dispatch_event("#filter", "input")
    page.click("th[data-key='0']")  # bookings, largest first within each region
    first = page.eval_on_selector_all(
        "#rollup tbody tr.rep[data-region='East']",
        "rs => rs.slice(0, 2).map(r => r.cells[0].innerText)",
    )
    assert first == ["Rep 1497 R1497", "Rep 1494 R1494"]
    page.close()


def test_a_period_without_reports_has_an_empty_portal(tmp_path):
    folder = tmp_path / "2026-10"
    folder.mkdir()
    portal.write(folder, "2026-10", [])
    assert "0 reports for 0 scopes" in (folder / "index.html").read_text()
    assert pd.read_parquet(folder / "rollup.parquet").empty


def test_an_unknown_number_reads_a_dash_with_its_reason(tmp_path):
    folder = tmp_path / "2026-10"
    why = "this source has no quotas"
    numbers = kpis(300.0, 250.0) | {"Quota attainment": {"current": None, "previous": None}}
    entries = [
        summary(
            folder,
            "company",
            "metrics",
            kpis=numbers,
            unknown={"kpis.Quota attainment.current": why},
        )
    ]
    frame = portal.rollup(entries, folder)
    assert pd.isna(frame.iloc[0]["attainment"]) and frame.iloc[0]["attainment_unknown"] == why
    portal.write(folder, "2026-10", entries)
    page = (folder / "index.html").read_text()
    assert f'title="{why}">–<' in page  # not 0%, and the reason on the cell
    assert pd.read_csv(folder / "rollup.csv")["attainment_unknown"].tolist() == [why]


def test_a_rep_whose_id_is_their_name_is_named_once(tmp_path):
    """The Maven CRM export identifies its sales agents by name: the portal read "Anna
    Snelling Anna Snelling" (the name, then the id beside it); an id that differs from the
    name is still shown."""
    folder = tmp_path / "2017-12"
    entries = [
        summary(
            folder,
            "rep:Anna Snelling",
            "performance_review",
            name="Anna Snelling",
            region="Central",
            kpis=kpis(36454.0, 21008.0),
        ),
        summary(
            folder,
            "rep:R1",
            "performance_review",
            name="Al Able",
            region="East",
            kpis=kpis(150.0, 100.0),
        ),
    ]
    portal.write(folder, "2017-12", entries)
    page = (folder / "index.html").read_text()
    assert '<td class="who">Anna Snelling</td>' in page
    assert '<td class="who">Al Able <span class="level">R1</span></td>' in page
