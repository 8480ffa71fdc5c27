"""The manager dashboard's ipywidgets: the selectors and the views, built once and updated
in place when a selector changes (nothing re-runs the notebook). Tiles update first;
tables and charts follow.

A selector change that fails (a selection refused, a number that cannot be computed)
says so in one line above the views. It never raises: ipywidgets would send the
exception's traceback to the browser (``ip.showtraceback()``), whatever Voila's
``show_tracebacks`` says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from html import escape
from typing import Any

from salesops.reports import dashboard
from salesops.reports.dashboard import ALL, ALL_REGIONS, ALL_REPS, Dashboard, Everyone


def dashboard_view(dash: Dashboard) -> Any:
    """``dash`` as ipywidgets: selectors, then the views, built once and updated in place
    (the dashboard notebook's last cell: ``so.dashboard_view(dashboard)``)."""
    return DashboardView(dash).widget()


class DashboardView:
    """The widgets of one :class:`~salesops.reports.dashboard.Dashboard`."""

    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self._widgets: dict[str, Any] | None = None

    def widget(self) -> Any:
        """Selectors, then the views."""
        import ipywidgets as w

        dash = self.dash
        if self._widgets is None:
            s = dash.selection
            regions = [(name, name) for name in dash.regions]  # the marker shows a label
            region_options = regions if dash.lock is not None else [(ALL_REGIONS, ALL), *regions]
            period = w.Dropdown(options=self.dash.periods, value=s.period, description="Month")
            region = w.Dropdown(
                options=region_options,
                value=self.dash.lock.value if self.dash.lock is not None else ALL,
                description="Region",
                disabled=self.dash.lock is not None,
            )
            rep = w.Dropdown(options=self._rep_options(region.value), value=ALL, description="Rep")
            if self.dash.lock is not None:
                self.dash.selection = replace(self.dash.selection, region=self.dash.lock.key)
            self._widgets = {
                "period": period,
                "region": region,
                "rep": rep,
                "problem": w.HTML(),
                "tiles": w.HTML(),
                "trend": w.Image(format="png"),
                "pipeline": w.Image(format="png"),
                "forecast": w.Image(format="png"),
                "leaderboard": w.HTML(),
                "deals": w.HTML(),
            }
            period.observe(lambda c: self._on("period", c["new"]), names="value")
            region.observe(lambda c: self._on("region", c["new"]), names="value")
            rep.observe(lambda c: self._on("rep", c["new"]), names="value")
            dash.on_change = self._refresh
            self._guarded(self._refresh)
        v = self._widgets
        for name in ("trend", "pipeline", "forecast"):
            v[name].layout = w.Layout(width="100%", max_width="880px")
        return w.VBox(
            [
                w.HBox([v["period"], v["region"], v["rep"]]),
                v["problem"],
                v["tiles"],
                w.HTML(f"<h3>Bookings{self.dash.against}</h3>"),
                v["trend"],
                w.HTML("<h3>Pipeline by stage</h3>"),
                v["pipeline"],
                w.HTML("<h3>Forecast with 80% and 95% intervals</h3>"),
                v["forecast"],
                w.HTML("<h3>Leaderboard</h3>"),
                v["leaderboard"],
                w.HTML("<h3>Top open deals</h3>"),
                v["deals"],
            ]
        )

    def _rep_options(self, region: str | Everyone) -> list[tuple[str, str | Everyone]]:
        reps = self.dash.reps(region)
        return [(ALL_REPS, ALL), *zip(reps["name"], reps["rep_id"], strict=True)]

    def _on(self, what: str, value: str | Everyone) -> None:
        v = self._widgets
        assert v is not None

        def change() -> None:
            if what == "region":
                v["rep"].unobserve_all("value")
                v["rep"].options = self._rep_options(value)
                v["rep"].value = ALL
                v["rep"].observe(lambda c: self._on("rep", c["new"]), names="value")
            if what == "period":
                self.dash.select(period=str(value))
            elif what == "region":
                self.dash.select(region=value)
            else:
                self.dash.select(rep=value)

        self._guarded(change)

    def _guarded(self, action: Callable[[], None]) -> None:
        """Run ``action``; if it fails, one line says so above the views (a refusal or a
        bad value: its message; anything else: what failed, not how), and no traceback
        leaves the kernel."""
        v = self._widgets
        assert v is not None
        try:
            action()
        except (PermissionError, ValueError) as exc:
            v["problem"].value = _problem(str(exc))
        except Exception as exc:
            failed = f"this selection could not be shown ({type(exc).__name__})"
            v["problem"].value = _problem(failed)
        else:
            v["problem"].value = ""

    def _refresh(self) -> None:
        """Update every view for the selection: tiles first, then tables and charts."""
        v = self._widgets
        assert v is not None
        v["tiles"].value = dashboard.tiles(self.dash)
        v["leaderboard"].value = dashboard.leaderboard(self.dash)
        v["deals"].value = dashboard.top_deals(self.dash)
        for name, data in dashboard.charts(self.dash).items():
            v[name].value = data


def _problem(message: str) -> str:
    """One escaped line for the dashboard's reader."""
    line = " ".join(message.split())
    return f"<p class='salesops-problem' style='color: #c0392b'>{escape(line)}</p>"
