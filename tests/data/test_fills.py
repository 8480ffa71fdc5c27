"""What a source file's defaults filled and invented, and the forecast categories open deals
take from their stage (salesops.data.fills), on hand-made markers."""

from __future__ import annotations

import pandas as pd

from salesops.data.fills import default_categories, filled, filled_ids, invented, invention
from salesops.data.mapping import Default, SourceSpec
from salesops.data.model import Tables
from salesops.data.stages import Stages

# A deal's close date: the export's LastModified (copied: not invented), else its created
# date + 30 days (invented); its segment: the constant "SMB" (invented).
SPEC = SourceSpec.from_dict(
    {
        "kind": "files",
        "location": ".",
        "tables": {
            "opportunities": {
                "defaults": {
                    "close_date": [
                        {"column": "LastModified"},
                        {"column": "created_date", "plus": "30 days"},
                    ],
                    "segment": {"value": "SMB"},
                }
            }
        },
    }
)
# Rows 10-13 as read: 0 where the export had the value, else the number of the rule that
# filled it. Row 13 is set aside, so only rows 10-12 (O1-O3) are kept.
MARKS = {
    "opportunities": pd.DataFrame(
        {"close_date": [0, 1, 2, 0], "segment": [0, 0, 1, 1]}, index=[10, 11, 12, 13]
    )
}
KEPT = {"opportunities": pd.Index([10, 11, 12])}
TABLES = Tables(
    opportunities=pd.DataFrame({"opportunity_id": ["O1", "O2", "O3"]}), reps=pd.DataFrame()
)


def test_filled_counts_the_kept_values_each_column_got_with_its_rules():
    """close_date: rows 11 (rule 1) and 12 (rule 2); segment: row 12 (row 13 set aside)."""
    assert filled(SPEC, MARKS, KEPT) == {
        "opportunities.close_date": (2, "LastModified; then created_date + 30 days"),
        "opportunities.segment": (1, "'SMB'"),
    }


def test_filled_skips_tables_not_kept_and_columns_nothing_filled():
    assert filled(SPEC, MARKS, {}) == {}
    none = {"opportunities": pd.DataFrame({"close_date": [0, 0]}, index=[0, 1])}
    assert filled(SPEC, none, {"opportunities": pd.Index([0, 1])}) == {}


def test_invented_names_the_rows_of_each_inventing_rule_only():
    """Row 11's close date was copied from LastModified: not invented. Row 12's (O3) was
    moved from its created date, and its segment set to 'SMB'; row 13's is not kept."""
    assert invented(SPEC, MARKS, KEPT, TABLES) == {
        "opportunities.close_date": {"created date + 30 days": frozenset({"O3"})},
        "opportunities.segment": {"set to 'SMB'": frozenset({"O3"})},
    }


def test_filled_ids_joins_the_rows_of_every_inventing_rule():
    marks = {"opportunities": pd.DataFrame({"segment": [1, 0, 1]}, index=[10, 11, 12])}
    assert filled_ids(SPEC, marks, KEPT, TABLES) == {
        "opportunities.segment": frozenset({"O1", "O3"})
    }


def test_nothing_is_invented_for_an_empty_or_absent_table():
    empty = Tables(opportunities=pd.DataFrame({"opportunity_id": []}), reps=pd.DataFrame())
    assert invented(SPEC, MARKS, {"opportunities": pd.Index([])}, empty) == {}
    assert filled_ids(SPEC, MARKS, {}, TABLES) == {}


def test_invention_says_what_an_inventing_rule_did():
    assert invention(Default("value", "Unknown")) == "set to 'Unknown'"
    assert invention(Default("column", "close_date", "3 months")) == "close date + 3 months"


def test_open_deals_without_a_category_take_their_stages_default():
    """O1 (Proposal, empty) takes best_case and O2 (Negotiation, empty) commit; O3 keeps
    its own; O4's stage has no default (not a stage): it stays empty. 2 filled; the
    column is no longer absent. The history's rows are filled alike (1: Discovery)."""
    deals = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3", "O4"],
            "stage": ["Proposal", "Negotiation", "Proposal", "Mystery"],
            "forecast_category": pd.Series([None, None, "commit", None], dtype="str"),
        }
    )
    history = pd.DataFrame(  # text columns, as loaded (coerce makes them str)
        {
            "opportunity_id": ["O1"],
            "stage": ["Discovery"],
            "forecast_category": pd.Series([None], dtype="str"),
        }
    )
    tables = Tables(
        opportunities=deals,
        reps=pd.DataFrame(),
        opportunity_history=history,
        absent=frozenset({"opportunities.forecast_category", "leads"}),
    )
    default_categories(tables, Stages.read())
    assert tables.opportunities["forecast_category"].tolist()[:3] == [
        "best_case",
        "commit",
        "commit",
    ]
    assert pd.isna(tables.opportunities["forecast_category"].iloc[3])
    assert tables.opportunity_history["forecast_category"].tolist() == ["pipeline"]
    assert tables.filled == {
        "opportunities.forecast_category": (2, "the stage's default"),
        "opportunity_history.forecast_category": (1, "the stage's default"),
    }
    assert tables.absent == frozenset({"leads"})


def test_categories_all_given_fill_nothing():
    deals = pd.DataFrame({"stage": ["Proposal"], "forecast_category": ["commit"]})
    tables = Tables(opportunities=deals, reps=pd.DataFrame())
    default_categories(tables, Stages.read())
    assert tables.filled == {} and tables.opportunities["forecast_category"].tolist() == ["commit"]
