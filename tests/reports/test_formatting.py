"""Numbers for people (:mod:`salesops.reports.formatting`): each formatter on hand-picked
values, missing values as "–", and tables whose every label is escaped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.analytics import gaps
from salesops.reports import formatting as fmt


def test_a_rate_moves_in_points():
    assert fmt.points(0.785 - 0.529) == "+25.6 pts"
    assert fmt.points(-0.031) == "-3.1 pts"
    assert fmt.points(np.nan) == "–"


@pytest.mark.parametrize(
    ("value", "compact", "currency", "shown"),
    [
        (1234567, False, "USD", "$1,234,567"),
        (1234567, True, "USD", "$1.2M"),
        (2_500_000_000, True, "GBP", "£2.5B"),
        (999, True, "JPY", "¥999"),
        (1500, True, "USD", "$1.5k"),
        (-1500, False, "EUR", "-€1,500"),
        (1234, False, "CHF", "CHF 1,234"),  # no symbol: the code and a space
        # 999,960 is 999.96k, shown to one decimal 1000.0k: $1.0M (the bug fixed)
        (999_960, True, "USD", "$1.0M"),
        (999_960_000, True, "USD", "$1.0B"),
        (999_940, True, "USD", "$999.9k"),
        # -0.4 rounds to 0: $0, not -$0 (the bug fixed)
        (-0.4, False, "USD", "$0"),
        (-0.6, False, "USD", "-$1"),
        (0, True, "USD", "$0"),
    ],
)
def test_money(value, compact, currency, shown):
    assert fmt.money(value, compact, currency=currency) == shown


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, gaps.Unknown("no amount")])
def test_every_formatter_shows_a_missing_value_as_a_dash(missing):
    for name, format_ in fmt.FORMATTERS.items():
        assert format_(missing) == "–", name
    assert fmt.date(missing) == "–"
    assert fmt.date(pd.NaT) == "–"


def test_the_other_formatters_by_hand():
    assert (fmt.pct(0.4237), fmt.pct(0.4237, 2), fmt.pct1(0.0425)) == ("42%", "42.37%", "4.2%")
    assert (fmt.change(0.12), fmt.change(-0.034), fmt.change(0.0)) == ("+12%", "-3%", "+0%")
    assert (fmt.days(1234.4), fmt.hours(3.46)) == ("1,234 days", "3.5 h")
    assert fmt.date(pd.Timestamp("2026-10-31 17:45")) == "2026-10-31"
    assert (fmt.number(1234.5), fmt.decimal(0.934), fmt.decimal(1234.5, 1)) == (
        "1,234",  # half to even
        "0.93",
        "1,234.5",
    )
    assert fmt.ratio(1.75) == "1.8×"


def test_formatters_carry_the_currency_and_frames_carry_it_in_their_attrs():
    assert fmt.formatters("EUR")["money"](1500) == "€1,500"
    assert fmt.formatters()["money"](1500) == "$1,500" and fmt.FORMATTERS["pct"] is fmt.pct
    frame, series = pd.DataFrame({"a": [1]}), pd.Series([1])
    assert fmt.currency_of(frame) == fmt.DEFAULT_CURRENCY == "USD"
    result = fmt.in_currency((frame, series, "not a frame"), "GBP")
    assert result[2] == "not a frame"
    assert (fmt.currency_of(frame), fmt.currency_of(series)) == ("GBP", "GBP")


def test_a_table_formats_by_kind_and_escapes_every_label_cell_and_the_caption():
    hostile = '<script>alert("x")</script>'
    frame = pd.DataFrame(
        {
            '"><img src=x onerror=alert(1)>': ["<b>bold</b>", "=1+2"],
            "amount": [1500.0, np.nan],
            "share": [0.25, 0.5],
            "closed": pd.to_datetime(["2026-01-31", None]),
        },
        index=pd.Index([hostile, "line\nbreak"], name="<i>rep</i>"),
    )
    frame.columns.name = "<u>kind</u>"
    html = fmt.table(
        frame, {"amount": "money", "share": "pct", "absent": "pct"}, caption="By `rep` <em>x</em>",
        currency="EUR",
    ).to_html()  # fmt: skip
    for raw in ("<script", "<img", "<b>", "<i>", "<u>", "<em>"):
        assert raw not in html, raw
    for text in (
        "&lt;script&gt;",
        "&lt;b&gt;bold&lt;/b&gt;",
        "&lt;i&gt;rep&lt;/i&gt;",
        "&lt;u&gt;kind",
    ):
        assert text in html, text
    assert "By rep &lt;em&gt;x&lt;/em&gt;" in html  # backticks dropped, the rest text
    assert "€1,500" in html and "25%" in html and "2026-01-31" in html
    assert "nan" not in html and "NaT" not in html and "00:00:00" not in html
    assert 'class="salesops-table"' in html
