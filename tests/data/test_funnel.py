"""The order of an export's stages and their own win probabilities (salesops.data.funnel),
on the tiny CRM's export and a small one written here. The order by names is in the
module's doctests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from conftest import TINY

from salesops.data import funnel
from salesops.data.engines import DuckDBEngine
from salesops.data.mapping import SourceSpec
from salesops.data.profiles import ColumnProfile, FileProfile

DEALS = "Id,Stage,Probability\n1,Won,100\n2,Won,100\n3,Lost,0\n4,Lost,0\n5,Demo,40\n6,Demo,60\n"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    folder = tmp_path_factory.mktemp("export")
    for table in ("opportunities", "opportunity_history"):
        shutil.copy(TINY / f"{table}.csv", folder)
    (folder / "deals.csv").write_text(DEALS)
    engine = DuckDBEngine(SourceSpec("files", str(folder)))
    yield engine
    engine.close()


def test_order_by_history_is_the_mean_step_at_which_deals_enter_a_stage(engine):
    """Each deal's changes numbered 1, 2, ...: Prospecting 1 (9 deals), Qualification
    (2 + 1) / 2 = 1.5, Discovery 2, Negotiation 2, Proposal 2 (ties by name), Closed Lost
    (3 + 2) / 2 = 2.5, Closed Won (3 + 2 + 4 + 2) / 4 = 2.75."""
    order = funnel.order_by_history(
        engine, "opportunity_history", deal="opportunity_id", stage="stage", changed="changed_at"
    )
    assert order == [
        "Prospecting",
        "Qualification",
        "Discovery",
        "Negotiation",
        "Proposal",
        "Closed Lost",
        "Closed Won",
    ]


def test_order_by_age_puts_the_stages_of_the_youngest_deals_first(engine):
    """Median created date: Qualification 10 Sep, Negotiation 15 Aug, Closed Lost 5 Aug
    (10 Jul and 1 Sep), Proposal 1 Aug, Closed Won 16 Jun (1 Jun and 1 Jul, the middle two
    of 4), Discovery 1 Mar."""
    order = funnel.order_by_age(engine, "opportunities", "stage", "created_date")
    assert order == [
        "Qualification",
        "Negotiation",
        "Closed Lost",
        "Proposal",
        "Closed Won",
        "Discovery",
    ]


def test_stage_probabilities_are_each_stages_median_as_a_share(engine):
    """Won 100 and 100, Lost 0 and 0, Demo 40 and 60: medians 100, 0, 50, in percent."""
    f = FileProfile(
        "deals", 6, {h: ColumnProfile(h, "BIGINT", 6, 6, nulls=0) for h in ("Id", "Probability")}
    )
    assert funnel.stage_probabilities(engine, f, "Stage") == {
        "Won": 1.0,
        "Lost": 0.0,
        "Demo": 0.5,
    }
    none = FileProfile("deals", 6, {"Id": ColumnProfile("Id", "BIGINT", 6, 6, nulls=0)})
    assert funnel.stage_probabilities(engine, none, "Stage") == {}
