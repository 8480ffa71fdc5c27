"""The dashboard's widgets (:mod:`salesops.reports.widgets`): a failed selection is said in
one escaped line. The views themselves need a dashboard, whose every refresh draws its
charts and fits its forecasts (seconds): test_dashboard (a region named "All") and
integration/test_hostile (a failing selection) drive them."""

from __future__ import annotations

from salesops.reports.widgets import _problem


def test_a_problem_is_one_escaped_line():
    assert _problem('<script>alert("x")</script>\n  second line') == (
        "<p class='salesops-problem' style='color: #c0392b'>"
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; second line</p>"
    )
