"""What a reader sees of a section's frame: human labels, Yes/No, points, one line for a
chart with nothing to draw."""

from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import Markdown

from salesops.reports import formatting as fmt
from salesops.reports import labels
from salesops.reports.display import View, readable, show, viewed


def test_columns_rows_and_the_index_name_read_as_labels():
    frame = pd.DataFrame(
        {"win_rate": [0.25, 0.5], "slipped_out": [True, False], "days_past_close": [3, 4]},
        index=pd.Index(["last_12_months", "next_quarter"], name="days_idle"),
    )
    shown, kinds = readable(frame, {"days_past_close": "number"})
    assert list(shown.columns) == ["Win rate", "Slipped out", "Days past close"]
    assert shown.columns.name == "Days idle"  # in the header's corner, not a row of its own
    assert shown.index.name is None
    assert list(shown.index) == ["Last 12 months", "Next quarter"]
    assert list(shown["Slipped out"]) == ["Yes", "No"]
    assert kinds == {"Win rate": "pct", "Days past close": "number"}
    html = show(viewed(frame, View({"days_past_close": "number"}))).to_html()
    for machine in ("win_rate", "True", "False", "opportunity_id", "nan"):
        assert machine not in html


def test_the_crms_values_are_shown_as_the_crm_has_them():
    """A deal id, a product or a lead source is never relabelled (an Olist deal
    "a06df170…" read "A06df170…", which a rep could not find in the CRM); a missing one
    reads "(not recorded)"; rows that are the package's own names still get labels."""
    deals = pd.DataFrame(
        {"amount": [1.0, 2.0, 3.0]},
        index=pd.Index(["a06df170ab", "bed_bath_table", None], name="opportunity_id"),
    )
    shown, _ = readable(deals, {})
    assert list(shown.index) == ["a06df170ab", "bed_bath_table", "(not recorded)"]
    assert shown.columns.name == "Deal"
    by_source = pd.DataFrame({"deals": [4]}, index=pd.Index(["web_form"], name="lead source"))
    assert list(readable(by_source, {})[0].index) == ["web_form"]
    stages = pd.DataFrame([[1, 2]], columns=pd.Index(["closed_won", "demo"], name="stage"))
    assert list(readable(stages, {})[0].columns) == ["closed_won", "demo"]
    ours = pd.DataFrame({"amount": [1.0]}, index=pd.Index(["stage_default"], name="estimate"))
    assert list(readable(ours, {})[0].index) == ["Stage default"]


def test_a_label_never_is_an_identifier():
    assert labels.label("some_new_column") == "Some new column"
    assert labels.label("R00001") == "R00001"
    assert labels.label(np.nan) == "–"


def test_a_chart_with_nothing_to_draw_is_one_line():
    pipe = pd.DataFrame({"amount": [0.0, np.nan], "weighted": [0.0, 0.0]}, index=["A", "B"])
    shown = show(viewed(pipe, View(caption="Pipeline by stage", draw=lambda f: 1 / 0)))
    assert isinstance(shown, Markdown)
    assert shown.data == "*Pipeline by stage: nothing to chart, every value is zero or missing.*"
    # a region whose deals are all its sellers' from another home region: no seller, and
    # an empty frame of attainments drew empty axes
    none = pd.DataFrame({"attainment_qtd": []}, dtype=float)
    shown = show(viewed(none, View(caption="Quota attainment", draw=lambda f: 1 / 0)))
    assert shown.data == "*Quota attainment: nothing to chart, there are no values.*"


def test_missing_text_and_dates_read_as_a_dash():
    frame = pd.DataFrame(
        {"owner": ["Ann", None], "close_date": pd.to_datetime(["2026-01-31", None])},
        index=pd.Index(["O1", "O2"], name="opportunity_id"),
    )
    html = show(viewed(frame, View())).to_html()
    assert "2026-01-31" in html and "00:00:00" not in html
    for machine in ("nan", "NaT", "None"):
        assert machine not in html


def test_money_is_in_the_currency_it_is_given():
    assert fmt.money(1234567, currency="EUR") == "€1,234,567"
    assert fmt.money(-1500, compact=True, currency="CHF") == "-CHF 1.5k"
    assert fmt.money(float("nan"), currency="EUR") == "–"
    frame = viewed(pd.DataFrame({"bookings": [1000.0]}), View({"bookings": "money"}))
    assert "$1,000" in show(frame).to_html()  # a frame made by hand: the default
    assert "€1,000" in show(fmt.in_currency(frame, "EUR")).to_html()


def test_the_reasons_for_a_dash_read_as_one_sentence():
    """Olist's forecast read "... their sums are unknown (–).; none of the 57 ...": a
    reason's own full stop is dropped before the next one."""
    from salesops.analytics import gaps
    from salesops.reports.display import with_reasons

    frame = pd.DataFrame(
        {"a": [gaps.Unknown("none of 3 deals has an amount: unknown (–)."), 1.0],
         "b": [gaps.Unknown("no stage history"), 2.0]},
        dtype=object,
    )  # fmt: skip
    line = with_reasons("Quarter outlook", frame)
    assert line == (
        "Quarter outlook. – stands for what cannot be known: none of 3 deals has an amount: "
        "unknown (–); no stage history."
    )


def test_nothing_to_chart_follows_the_caption_without_a_doubled_stop():
    """Salesforce's trend read "... (not counted as zero).: nothing to chart"."""
    frame = viewed(pd.DataFrame({"bookings": [0.0]}), View(caption="Bookings.", draw=repr))
    assert show(frame).data == "*Bookings: nothing to chart, every value is zero or missing.*"
