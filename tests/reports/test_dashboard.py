"""The manager dashboard: its numbers, the scope lock, and a real browser against
`salesops serve` (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, build_opener

import pandas as pd
import pytest
from conftest import HOSTILE, free_port, hostile_copy, once

import salesops as so
from salesops.analytics import metrics as m
from salesops.data.periods import Period
from salesops.data.stages import Stages
from salesops.reports import dashboard, forecast
from salesops.reports.dashboard import ALL, Dashboard

STAGES = Stages.read()  # parameters/stages.yml, the demo's

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def tables(small_db):
    return so.load(small_db)


@pytest.fixture(scope="module")
def dash(tables):
    return Dashboard(tables)


def expected(tables, region: str | None = None, rep: str | None = None) -> dict[str, float]:
    """The tiles' numbers straight from the metrics API."""
    period = Period.parse("latest", as_of=tables.as_of)
    o = tables.opportunities
    if region:
        o = o[o["region"] == region]
    if rep:
        o = o[o["owner_id"] == rep]
    return {
        "bookings": m.bookings(o, period, stages=STAGES),
        "win_rate": m.win_rate(o, period, stages=STAGES),
    }


def test_tiles_follow_the_selection(dash, tables):
    region = dash.regions[0]
    assert dashboard.kpis(dash)["bookings"] == pytest.approx(expected(tables)["bookings"])
    dash.select(region=region)
    got = dashboard.kpis(dash)
    assert got["bookings"] == pytest.approx(expected(tables, region)["bookings"])
    assert got["win_rate"] == pytest.approx(expected(tables, region)["win_rate"], nan_ok=True)
    rep = dash.reps(region)["rep_id"].iloc[0]
    dash.select(rep=rep)
    assert dashboard.kpis(dash)["bookings"] == pytest.approx(expected(tables, rep=rep)["bookings"])
    assert f"data-selection='{rep}|" in dashboard.tiles(dash)
    dash.select(region=ALL)
    assert dash.selection.rep == ALL


def test_the_quarter_forecast_tile_is_the_forecast_reports_expected_bookings(small_db, tables):
    """One number, one formula (outlook.expected): the dashboard's quarter forecast of the
    company and of a region is the forecast report's expected bookings for that quarter."""
    dash = Dashboard(tables)
    for region in (ALL, dash.regions[0]):
        dash.select(region=region)
        scope = "company" if region == ALL else f"region:{region}"
        ctx = forecast.context(str(small_db), scope, dash.selection.period)
        report = forecast.outlook_by_quarter(ctx).iloc[:, 0]["expected"]
        assert dashboard.kpis(dash)["quarter_forecast"] == pytest.approx(report, rel=1e-9)


def test_the_rep_picker_lists_only_reps_with_deals_in_the_last_12_months(tiny_dir, tmp_path):
    """tiny plus Fay (active, no deal) and Eve (active, one deal won in March 2024): the
    picker lists neither, by the rule of ``rep:*``; Bob (R2) left in August and is not
    listed either. Before, Fay and Eve were."""
    import shutil

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    with (crm / "reps.csv").open("a") as f:
        f.write("R5,Eve Early,East,M1,rep,,2021-01-01,\n")
        f.write("R6,Fay Fresh,East,M1,rep,,2021-01-01,\n")
    with (crm / "opportunities.csv").open("a") as f:
        f.write("O11,A1,R5,East,SMB,Core,Inbound,2024-01-10,2024-03-05,Closed Won,900,closed\n")
    board = Dashboard(so.load(str(crm)), "2026-09")
    assert board.reps()["rep_id"].tolist() == ["R1", "R3", "R4"]
    assert board.reps("East")["rep_id"].tolist() == ["R1"]


def test_the_region_picker_lists_only_regions_with_deals_in_the_last_12_months(tiny_dir, tmp_path):
    """tiny plus North, whose one deal was won in March 2024: at 2026-09 the picker lists
    East and West only, by the rule of ``region:*`` (the same regions the batch fan-out
    gives); North cannot be selected. Before, every region that ever had a deal was."""
    import shutil

    from salesops.data.activity import ACTIVE_MONTHS
    from salesops.data.sources import Source

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    with (crm / "opportunities.csv").open("a") as f:
        f.write("O11,A1,R1,North,SMB,Core,Inbound,2024-01-10,2024-03-05,Closed Won,900,closed\n")
    tables = so.load(str(crm))
    assert sorted(tables.opportunities["region"].unique()) == ["East", "North", "West"]
    board = Dashboard(tables, "2026-09")
    assert board.regions == ["East", "West"]
    with Source(str(crm)) as src:
        window = Period.parse("latest", as_of=src.as_of()).window(ACTIVE_MONTHS)
        assert src.scopes("region", window) == board.regions  # the batch's region:*
    with pytest.raises(ValueError, match="region 'North' is not one of"):
        board.select(region="North")
    # a deal open now keeps its region on offer, however old
    with (crm / "opportunities.csv").open("a") as f:
        f.write("O12,A1,R1,South,SMB,Core,Inbound,2023-01-10,2026-12-31,Proposal,500,\n")
    assert Dashboard(so.load(str(crm)), "2026-09").regions == ["East", "South", "West"]


def test_rep_forecasts_add_up_to_their_region(dash):
    region = dash.regions[0]
    dash.select(region=region)
    total = dash.forecast().mean
    parts = 0
    for rep in dash.reps(region)["rep_id"]:
        dash.select(rep=rep)
        parts = parts + dash.forecast().mean
    assert (parts - total).abs().max() < 1e-6
    dash.select(region=ALL)


def test_unknown_selections_are_refused(dash):
    with pytest.raises(ValueError, match="period"):
        dash.select(period="1999-01")
    with pytest.raises(ValueError, match="region"):
        dash.select(region="Atlantis")


def test_a_locked_dashboard_refuses_other_regions(small_db, tables, monkeypatch):
    region, other = sorted(tables.opportunities["region"].unique())[:2]
    monkeypatch.setenv("SALESOPS_SCOPE", f"region:{region}")
    locked = Dashboard.load(small_db, scope="company")  # the server's lock wins
    assert locked.regions == [region]
    assert set(locked.tables.opportunities["region"]) == {region}  # nothing else is loaded
    with pytest.raises(PermissionError, match=f"locked to region:{region}"):
        locked.select(region=other)
    so.dashboard_view(locked)
    assert dashboard.kpis(locked)["bookings"] == pytest.approx(expected(tables, region)["bookings"])


# -- a real browser --------------------------------------------------------------------------------


def serve(source: Path, scope: str | None = None, token: str | None = None) -> Iterator[str]:
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "salesops.cli",
        "serve",
        "--port",
        str(port),
        "--source",
        str(source),
    ]
    if scope:
        args += ["--scope", scope]
    if token:
        args += ["--token", token]
    env = {k: v for k, v in os.environ.items() if k != "SALESOPS_SCOPE"}
    server = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        said = []
        for line in iter(server.stdout.readline, b""):  # until Voila says it listens
            said.append(line.decode(errors="replace"))
            if "is running at" in said[-1]:
                break
        else:
            raise RuntimeError("".join(said))
        threading.Thread(target=server.stdout.read, daemon=True).start()  # keep it draining
        serve.said, serve.pid = "".join(said), server.pid
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def server(small_db):
    yield from serve(small_db)


@pytest.fixture(scope="module")
def locked_server(small_db, tables):
    region = sorted(tables.opportunities["region"].unique())[0]
    for url in serve(small_db, f"region:{region}"):
        yield url, region


def tile(page, key: str) -> float:
    return float(page.locator(f".kpi[data-kpi='{key}']").get_attribute("data-value"))


@pytest.mark.browser
def test_the_dashboard_in_a_browser(server, browser, tables, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    page.goto(server)
    page.wait_for_selector(".kpi[data-kpi='bookings']", timeout=120_000)
    assert tile(page, "bookings") == pytest.approx(expected(tables)["bookings"])
    assert "Traceback" not in page.content()
    region = sorted(tables.opportunities["region"].unique())[-1]
    page.locator(".widget-dropdown", has_text="Region").locator("select").select_option(region)
    page.wait_for_selector(f".kpis[data-selection^='{region}|']", timeout=30_000)
    want = expected(tables, region)
    assert tile(page, "bookings") == pytest.approx(want["bookings"])
    assert tile(page, "win_rate") == pytest.approx(want["win_rate"], abs=1e-6)  # 6 places
    reps = page.locator(".widget-dropdown", has_text="Rep").locator("option").all_inner_texts()
    names = tables.reps.set_index("rep_id")
    in_region = names[
        (names["region"] == region) & names["end_date"].isna() & (names["role"] == "rep")
    ]
    reps = {r.replace("\xa0", " ") for r in reps}  # the widget shows non-breaking spaces
    assert reps == {dashboard.ALL_REPS, *in_region["name"]}  # the rep list follows the region
    page.wait_for_timeout(1500)  # let the charts land before the picture
    # the picture goes to the test's temporary folder (pytest keeps the last three runs'),
    # never into the checkout
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_a_locked_server_refuses_other_regions(locked_server, browser, tables):
    url, region = locked_server
    other = sorted(tables.opportunities["region"].unique())[-1]
    page = browser.new_page()
    page.goto(f"{url}?region={other}&scope=region:{other}")  # the query string is ignored
    page.wait_for_selector(".kpi[data-kpi='bookings']", timeout=120_000)
    assert tile(page, "bookings") == pytest.approx(expected(tables, region)["bookings"])
    select = page.locator(".widget-dropdown", has_text="Region").locator("select")
    assert select.locator("option").all_inner_texts() == [region]
    assert select.is_disabled()
    page.close()


# Voila's lab template links Font Awesome from a CDN (docs/security.md): its request,
# not the data's.
VOILA_CDN = "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@"


def voilas_own(url: str, server: str) -> bool:
    """A request the dashboard page makes whatever its data: Voila's page, its scripts,
    styles and kernel API, blobs it made, and its template's CDN stylesheet."""
    path = urlsplit(url).path
    if url.startswith(server):
        return path == "/" or path.startswith(("/voila/", "/api/", "/static/"))
    return url.startswith(("blob:" + server.rstrip("/"), "data:", VOILA_CDN))


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """The dashboard of a CRM whose every text value is hostile (conftest.HOSTILE)."""
    yield from serve(hostile_copy(tmp_path_factory.mktemp("hostile") / "crm", set_aside=False))


@pytest.mark.browser
def test_hostile_names_fire_no_dialog_and_no_request(hostile_server, browser):
    """The leaderboard and top deals show a region or rep named `"><img src=x
    onerror=alert(1)>` as text: no dialog, no element from the data, no request
    outside the server."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    dialogs, requests = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(hostile_server, timeout=180_000)  # Voila streams the page as the kernel runs
    page.wait_for_selector(".kpi[data-kpi='bookings']", timeout=120_000)
    select = page.locator(".widget-dropdown", has_text="Region").locator("select")
    for region in HOSTILE["region"].values():
        select.select_option(label=region)
        tiles = page.locator(".kpis")
        selected = re.compile(f"^{re.escape(region)}\\|")
        expect(tiles).to_have_attribute("data-selection", selected, timeout=60_000)
        board = page.locator("table.salesops-table", has_text="Leaderboard")
        expect(board).to_contain_text(region, timeout=60_000)  # its region column, as text
    names = page.locator(".widget-html").all_inner_texts()
    assert any(HOSTILE["name"]["Dan Dune"] in text for text in names)
    page.evaluate(  # every image loaded or failed: an onerror would have run by now
        """() => Promise.all(Array.from(document.images).filter(i => !i.complete).map(
            i => new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })))"""
    )
    from_data = ".widget-html :is(img, svg, iframe, script, a)"
    assert page.locator(from_data).count() == 0
    assert dialogs == []
    assert [u for u in requests if not voilas_own(u, hostile_server)] == []
    page.close()


class StayHere(HTTPRedirectHandler):
    """Redirects are answers, not followed."""

    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.notebook
def test_the_token_is_neither_on_the_command_line_nor_printed(small_db):
    """Voila (the process `salesops serve` becomes) gets the token in its environment,
    which only its user can read, not in its argv, which `ps` shows to everyone."""
    token = "tok-" + "7" * 40
    for url in serve(small_db, token=token):
        argv = Path(f"/proc/{serve.pid}/cmdline").read_bytes().decode()
        assert "voila" in argv and token not in argv
        assert token not in serve.said  # what it printed up to "is running at"
        opener = build_opener(StayHere)
        with pytest.raises(HTTPError) as refused:
            opener.open(f"{url}?token=wrong")
        assert refused.value.code == 302  # to the login page
        with opener.open(f"{url}?token={token}") as answer:
            assert answer.status == 200  # the dashboard


@pytest.mark.notebook  # a Voila server whose kernel runs the dashboard notebook, as above
def test_a_client_on_the_old_websocket_protocol_is_refused_and_the_server_goes_on(server):
    """One widget-state request over the older JSON protocol froze Voila (issue 29): a
    kernel socket that does not ask for the current protocol is closed before any message
    of it is read; the current protocol is served and the page still loads."""
    import asyncio
    import json
    from concurrent.futures import ThreadPoolExecutor
    from urllib.request import urlopen

    from tornado.websocket import websocket_connect

    from salesops.websocket import CURRENT, POLICY_VIOLATION

    page = urlopen(server, timeout=120).read().decode()
    kernel = re.search(r'"kernelId": "([0-9a-f-]+)"', page).group(1)
    channels = server.replace("http", "ws", 1) + f"api/kernels/{kernel}/channels?session_id=t"
    header = {"msg_id": "1", "msg_type": "comm_msg", "username": "", "session": "t"}
    request_state = {"comm_id": "x", "data": {"method": "request_state"}}
    legacy = {"channel": "shell", "header": header, "parent_header": {}, "metadata": {}}

    async def talk() -> tuple[object, int | None, str | None]:
        old = await websocket_connect(channels)
        await old.write_message(json.dumps({**legacy, "content": request_state}))
        answer = await asyncio.wait_for(old.read_message(), 30)
        current = await websocket_connect(channels, subprotocols=[CURRENT])
        selected = current.selected_subprotocol
        current.close()
        return answer, old.close_code, selected

    # in a thread of its own: Playwright's sync API keeps an event loop running in this one
    with ThreadPoolExecutor(1) as thread:
        answer, code, selected = thread.submit(asyncio.run, talk()).result()
    assert answer is None and code == POLICY_VIOLATION  # closed, nothing read or answered
    assert selected == CURRENT
    assert "kernelId" in urlopen(server, timeout=60).read().decode()


def test_tiles_without_open_amounts_read_a_dash_with_the_reason(tiny_dir, tmp_path):
    import shutil

    import pandas as pd

    from salesops.analytics import gaps

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    deals = pd.read_csv(crm / "opportunities.csv")
    deals.loc[~deals["stage"].str.startswith("Closed"), "amount"] = None
    deals.to_csv(crm / "opportunities.csv", index=False)
    history = pd.read_csv(crm / "opportunity_history.csv")
    unpriced = history["opportunity_id"].isin(deals.loc[deals["amount"].isna(), "opportunity_id"])
    open_o9 = (history["opportunity_id"] == "O9") & (history["stage"] != "Closed Won")
    history.loc[unpriced | open_o9, "amount"] = None  # O9 was open at September's end
    history.to_csv(crm / "opportunity_history.csv", index=False)
    dash = Dashboard(so.load(str(crm)))
    values = dashboard.kpis(dash)
    assert gaps.why(values["pipeline"]) and gaps.why(values["quarter_forecast"])
    assert values["bookings"] == 50_000  # September's O5: closed-deal numbers are as they were
    tiles = dashboard.tiles(dash)
    assert "has an amount" in tiles and "$0<" not in tiles


def test_win_rates_of_won_deals_only_read_a_dash_with_the_reason(won_only_dir):
    """A won-only export in September: the tile and Cara's leaderboard row (O5 won, O7 not
    in the export) read 100%; now "–", with the reason."""
    from salesops.analytics import gaps

    why = "win rate needs lost deals, of which this source holds none"
    dash = Dashboard(once(so.load, str(won_only_dir)), "2026-09")
    assert gaps.why(dashboard.kpis(dash)["win_rate"]) == why
    assert why in dashboard.tiles(dash)
    board = dashboard.leaderboard(dash)
    assert "Cara Cole" in board and why in board and "100%" not in board


def _cells(board: str, name: str) -> list[str]:
    """The cells of ``name``'s leaderboard row, as shown (region, bookings, win rate,
    attainment)."""
    row = re.search(f">{name}</th>(.*?)</tr>", board, re.S).group(1)
    return re.findall(r"<td[^>]*>(.*?)</td>", row)


def _priced(crm: Path, deal: str, amount: float | None) -> None:
    """Set the amount of ``deal`` in the export ``crm`` (deals and history)."""
    import pandas as pd

    for table in ("opportunities", "opportunity_history"):
        frame = pd.read_csv(crm / f"{table}.csv")
        frame.loc[frame["opportunity_id"] == deal, "amount"] = amount
        frame.to_csv(crm / f"{table}.csv", index=False)


def test_leaderboard_bookings_of_won_deals_without_amounts_read_a_dash_with_the_reason(
    tiny_dir, tmp_path
):
    """September: Cara's (R3's) one win, O5, has no amount. Her bookings read $0 (the
    board filled the unknown with 0) and her attainment 0%; now "–" with the reason, last.
    Alice (R1) and Dan (R4) won nothing in September: a known $0."""
    import shutil

    from salesops.analytics import gaps

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    _priced(crm, "O5", None)
    dash = Dashboard(so.load(str(crm)), "2026-09")
    board = dashboard.leaderboard(dash)
    assert _cells(board, "Cara Cole") == ["West", "–", "50%", "–"]
    why = "the one deal won in 2026-09 has no amount"
    assert gaps.why(dashboard.kpis(dash)["attainment"]) == why  # the tile: NaN, no reason
    assert _cells(board, "Alice Able")[1] == _cells(board, "Dan Dune")[1] == "$0"
    assert "– stands for what cannot be known: none of the deals won in 2026-09 has an amount" in (
        board
    )
    assert board.index("Cara Cole") > board.index("Dan Dune")  # unknown sorts last
    # priced, as exported: $50,000 and 250% of her $20,000 quota, first
    board = dashboard.leaderboard(Dashboard(once(so.load, str(tiny_dir)), "2026-09"))
    assert _cells(board, "Cara Cole") == ["West", "$50,000", "50%", "250%"]
    assert "stands for" not in board


def test_a_rep_who_won_nothing_forecasts_zero_and_unknown_shares_are_said(tiny_dir, tmp_path):
    """The rep's forecast is the company's × their share of the 12 months' bookings (Oct
    2025 to Sep 2026: Alice 10,000, Cara 50,000, Dan nothing). Dan's share is a known 0:
    his forecast read NaN (his missing row was not taken as $0 won) and now reads $0.
    With a September win of Dan's without an amount, no share is known: Alice's forecast
    read 1/6 of the company's (Dan's unknown taken as $0); now it is unknown, saying why."""
    import shutil

    dash = Dashboard(once(so.load, str(tiny_dir)), "2026-09")
    company = dash.forecast().mean
    dash.select(rep="R4")
    assert dash.forecast().mean.tolist() == [0.0] * 12
    dash.select(rep="R1")
    assert dash.forecast().mean.to_numpy() == pytest.approx(company.to_numpy() / 6)
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    with (crm / "opportunities.csv").open("a") as f:
        f.write("O11,A8,R4,West,SMB,Core,Inbound,2026-08-01,2026-09-05,Closed Won,,closed\n")
    dash = Dashboard(so.load(str(crm)), "2026-09")
    assert dash.forecast().unknown is None  # July, August, September priced: a forecast
    dash.select(rep="R1")
    assert dash.forecast().mean.isna().all()
    assert dash.forecast().unknown == (
        "the bookings of 1 of 3 sellers over 01 Oct 2025 to 30 Sep 2026 are unknown (none of "
        "the deals won in 01 Oct 2025 to 30 Sep 2026 has an amount), so no rep's share of "
        "them is known"
    )
    assert dashboard.charts(dash)["forecast"].startswith(b"\x89PNG")  # drawn, the title says why


def test_a_stage_whose_open_deals_all_lack_amounts_is_no_zero_bar(tiny_dir):
    """At the end of September: Qualification holds only Dan's O8, without an amount: its
    pipeline is unknown (it was filled with $0 and drawn as a $0 bar); Negotiation holds
    no open deal: a known $0. Prospecting: O6 30,000 + O9 12,000."""
    dash = Dashboard(once(so.load, str(tiny_dir)), "2026-09")
    pipe = dashboard.pipeline_by_stage(dash)
    assert pipe["amount"].isna().tolist() == [False, True, False, False, False]
    assert pipe.at["Qualification", "deals"] == pipe.at["Qualification", "unpriced"] == 1
    assert pipe.at["Negotiation", "amount"] == 0 and pipe.at["Negotiation", "deals"] == 0
    assert pipe.at["Prospecting", "amount"] == 42_000
    assert dashboard.charts(dash)["pipeline"].startswith(b"\x89PNG")


def test_a_top_deals_owner_missing_from_the_reps_table_reads_as_the_id(tiny_dir):
    """R4 (Dan Dune) not in the reps table the dashboard holds: the owner of O8 read
    blank; now the id, as the forecast report's top deals show it (one rule for both,
    labels.rep_names, which ReportContext.names calls)."""
    tables = once(so.load, str(tiny_dir))
    reps = tables.reps[tables.reps["rep_id"] != "R4"].reset_index(drop=True)
    board = dashboard.top_deals(Dashboard(replace(tables, reps=reps), "2026-09"))
    row = re.search(r">O8</th>(.*?)</tr>", board, re.S).group(1)
    assert re.findall(r"<td[^>]*>(.*?)</td>", row)[0] == "R4"
    ctx = once(forecast.context, str(tiny_dir), "company", "2026-09", horizon=6)
    ctx = replace(ctx, tables=replace(ctx.tables, reps=reps))
    assert ctx.names(pd.Series(["R4", "R3"])).tolist() == ["R4", "Cara Cole"]


def test_tiles_say_what_rests_on_invented_close_dates(tiny_dir, tmp_path):
    """The metrics report's "Open pipeline, next period" says how much of it rests on close
    dates a default invented; the dashboard's tiles did not. tiny at September 2026,
    without stage history, with O3, O6 and O9 (created 1 Aug, 15 Aug, 15 Sep) given
    created date + 2 months: O9 (won 10 Oct, $12,000) is open at September's end only by
    its invented date (15 Nov), so the open pipeline says so; the coverage's pipeline
    due in 2026-Q4 holds O3, O6 and O9 by such dates ($62,000). The same dates copied
    from an export's column are no invention: no note."""
    import shutil

    import pandas as pd
    import yaml

    def made(rule: dict, name: str) -> Dashboard:
        crm = shutil.copytree(tiny_dir, tmp_path / name)
        (crm / "opportunity_history.csv").unlink()
        deals = pd.read_csv(crm / "opportunities.csv")
        blank = deals["opportunity_id"].isin(["O3", "O6", "O9"])
        deals["expected_closing"] = None
        deals.loc[blank, "expected_closing"] = ["2026-10-01", "2026-10-15", "2026-11-15"]
        deals.loc[blank, "close_date"] = None
        deals.to_csv(crm / "opportunities.csv", index=False)
        defaults = {"opportunities": {"from": "opportunities", "defaults": {"close_date": rule}}}
        source = {"name": "tiny", "kind": "files", "location": ".", "tables": defaults}
        (crm / "source.yml").write_text(yaml.safe_dump(source, sort_keys=False))
        return Dashboard(so.load(str(crm / "source.yml")), "2026-09")

    dash = made({"column": "created_date", "plus": "2 months"}, "made")
    rule = "by a default rule (created date + 2 months)"
    notes = dashboard.invented(dash)
    assert notes == {
        "pipeline": f"$12,000 of it (1 deal) rests on close dates filled {rule}",
        "coverage": f"$62,000 of it (3 deals) rests on close dates filled {rule}",
    }
    tiles = dashboard.tiles(dash)
    assert all(note in tiles for note in notes.values())
    dash.select(region="East")  # O3 and O9 are East's; O6 West's
    assert dashboard.invented(dash)["coverage"].startswith("$32,000 of it (2 deals)")
    copied = made({"column": "expected_closing"}, "copied")
    assert dashboard.invented(copied) == {} and "rests on close dates" not in dashboard.tiles(
        copied
    )


def test_a_region_named_all_is_a_region_not_the_company(tiny_dir, tmp_path):
    """The dashboard keyed the company "All" in its forecasts and selectors, so a region
    named "All" (tiny's West, renamed) overwrote the company's forecast and could not be
    picked apart from it. The company is a marker that is no name (``ALL``), shown as
    "All regions"; the region "All" is a region like any other."""
    import shutil

    import pandas as pd

    from salesops.reports.widgets import DashboardView

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    for table in ("opportunities", "reps"):
        frame = pd.read_csv(crm / f"{table}.csv")
        frame["region"] = frame["region"].replace("West", "All")
        frame.to_csv(crm / f"{table}.csv", index=False)
    dash = Dashboard(so.load(str(crm)), "2026-09")
    assert dash.regions == ["All", "East"] and ALL not in dash.regions
    company = dash.forecast()
    # September's closes: O2 lost (East), O5 won and O7 lost (All): 1 of 3 for the company
    assert dashboard.kpis(dash)["win_rate"] == pytest.approx(1 / 3)
    assert "data-selection='All regions|2026-09'" in dashboard.tiles(dash)
    dash.select(region="All")
    assert dashboard.kpis(dash)["win_rate"] == pytest.approx(1 / 2)  # the region's alone
    assert "data-selection='All|2026-09'" in dashboard.tiles(dash)
    region = dash.forecast()
    assert company.mean.sum() != pytest.approx(region.mean.sum())  # two forecasts, not one
    dash.select(region=ALL)
    assert dash.forecast().mean.sum() == pytest.approx(company.mean.sum())
    view = DashboardView(dash)
    view.widget()
    widgets = view._widgets
    assert widgets["region"].options[:2] == (("All regions", ALL), ("All", "All"))
    assert widgets["rep"].options[0] == ("All reps", ALL)
    widgets["region"].value = "All"  # as a browser sets it: the selector's observer runs
    assert dash.selection.region == "All" and widgets["problem"].value == ""
    assert [label for label, _ in widgets["rep"].options] == ["All reps", "Cara Cole", "Dan Dune"]
