"""A report's context (:mod:`salesops.reports.context`) on the tiny CRM, whose data runs to
10 Oct 2026: its period and as-of day, what it says of itself, sections computed once,
options, and the note on close dates a default invented."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from salesops.reports import context
from salesops.reports.context import ReportContext


def test_the_as_of_day_is_the_periods_end_or_the_datas_when_earlier(tiny):
    september = ReportContext.of(tiny, "2026-09", "region:East")
    assert september.as_of == pd.Timestamp("2026-09-30") and str(september.scope) == "region:East"
    assert september.data_as_of == "data as of 30 Sep 2026"
    latest = ReportContext.of(tiny)  # latest: the last month complete on 10 Oct
    assert latest.period.label == "2026-09" and latest.as_of == pd.Timestamp("2026-09-30")
    quarter = ReportContext.of(tiny, "2026-Q4")
    assert quarter.as_of == pd.Timestamp("2026-10-10")  # the data stops before the quarter ends
    assert september.exported == "as exported on 10 Oct 2026, after the period's end"


def test_a_summary_money_and_who(tiny):
    ctx = ReportContext.of(tiny, "2026-09", "rep:R3")
    assert ctx.summary("metrics", bookings=5.0) == {
        "report": "metrics",
        "scope": "rep:R3",
        "period": "2026-09",
        "as_of": "2026-09-30",
        "bookings": 5.0,
    }
    assert ctx.money(1_234_567.0) == "$1,234,567" and ctx.money(1_234_567.0, True) == "$1.2M"
    assert ctx.who == "Cara Cole"  # R3's name
    assert ReportContext.of(tiny, "2026-09").who == "Company"
    assert ctx.names(pd.Series(["R1", "R9"])).tolist() == ["Alice Able", "R9"]
    assert ctx.period_of(pd.Timestamp("2026-02-14")).label == "2026-02"


def test_a_per_context_section_is_computed_once_per_context_and_arguments(tiny):
    calls: list[int] = []

    @context.per_context
    def section(ctx: ReportContext, n: int = 1) -> pd.DataFrame:
        calls.append(n)
        return pd.DataFrame({"x": [n]})

    ctx = ReportContext.of(tiny, "2026-09")
    first = section(ctx)
    assert section(ctx) is first and calls == [1]
    section(ctx, n=2)
    assert calls == [1, 2]
    section(ReportContext.of(tiny, "2026-09"))  # another context: computed again
    assert calls == [1, 2, 1]
    assert first.attrs["currency"] == ctx.settings.currency  # the frame carries its currency


@dataclasses.dataclass(frozen=True)
class Options:
    colour: str = "red"
    size: int = 1


def test_options_are_made_from_keywords_and_read_back_by_kind(tiny):
    assert context.make_options(Options, {"size": 3}) == Options(size=3)
    with pytest.raises(ValueError, match="unknown option 'color', 'sise' for Options; it takes"):
        context.make_options(Options, {"color": "blue", "sise": 2})
    assert context.options_of(ReportContext.of(tiny, "2026-09"), Options) == Options()
    given = ReportContext.of(tiny, "2026-09", options=Options(size=5))
    assert context.options_of(given, Options).size == 5

    @dataclasses.dataclass(frozen=True)
    class Other:
        pass

    with pytest.raises(TypeError, match="this context's options are Options, not Other"):
        context.options_of(given, Other)


def test_invented_close_dates_are_said_with_their_amount_and_rule(tiny):
    """O3 ($20,000) and O8 (no amount) dated by one rule, O6 ($30,000) by another: of the
    three, $50,000 rests on invented dates, one deal without an amount."""
    rules = {
        "opportunities.close_date": {
            "created date + 30 days": frozenset({"O3", "O8"}),
            "Expected Closing": frozenset({"O6"}),
        }
    }
    tables = dataclasses.replace(tiny, invented=rules)
    o = tables.opportunities.set_index("opportunity_id")
    due = o.loc[["O3", "O6", "O8"]].reset_index()
    money = ReportContext.of(tables, "2026-09").money
    assert context.invented_dates(tables, due, money) == (
        "$50,000 of it (3 deals, 1 without an amount) rests on close dates filled by default "
        "rules (created date + 30 days; Expected Closing)"
    )
    one = due[due["opportunity_id"] == "O8"]
    assert context.invented_dates(tables, one, money) == (
        "1 deal of it rests on close dates filled by a default rule (created date + 30 days)"
    )
    assert context.invented_dates(tables, due.iloc[:0], money) == ""
    assert context.invented_by(tiny, due) == "a default rule"  # no rule recorded
