"""What the content of an export's columns says, for ``salesops map``
(salesops.data.evidence): rules on hand-made column profiles, and the few that ask the
engine, on one small CSV file written here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salesops.data import evidence
from salesops.data.engines import DuckDBEngine
from salesops.data.mapping import SourceSpec
from salesops.data.profiles import ColumnProfile, FileProfile
from salesops.data.proposal import TableProposal

# Six deals: two won (Probability 100), two lost and archived (Active false, 0), two open
# in Demo (40 and 60); Revenue 0 on five of the six, Fee on the five that have one.
DEALS = """Id,Stage,Probability,Active,Revenue,Fee
1,Won,100,true,0,0
2,Won,100,true,0,0
3,Lost,0,false,0,0
4,Lost,0,false,0,0
5,Demo,40,true,250,0
6,Demo,60,true,0,
"""


def col(
    header: str, type_: str = "VARCHAR", rows: int = 30, distinct: int = 3, **kw
) -> ColumnProfile:
    return ColumnProfile(header, type_, rows, distinct, nulls=kw.pop("nulls", 0), **kw)


def file(name: str, *columns: ColumnProfile) -> FileProfile:
    return FileProfile(name, columns[0].rows, {c.header: c for c in columns})


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    folder = tmp_path_factory.mktemp("export")
    (folder / "deals.csv").write_text(DEALS)
    engine = DuckDBEngine(SourceSpec("files", str(folder)))
    yield engine
    engine.close()


def test_named_knows_an_owners_names_with_a_prefix_not_a_telling_word():
    assert evidence.named("owner_id", "OwnerId")
    assert evidence.named("owner_id", "Deal - Owner")  # "dealowner", and "owner" unprefixed
    assert not evidence.named("owner_id", "seller_id")
    assert evidence.named("stage", "Stage")  # a column without synonyms: its own name


def test_one_per_deal_is_unique_on_many_rows():
    assert evidence.one_per_deal(col("customer", rows=20, distinct=20))
    assert not evidence.one_per_deal(col("customer", rows=19, distinct=19))  # too few rows
    assert not evidence.one_per_deal(col("owner", rows=20, distinct=5))


def test_few_text_is_a_few_repeated_values_that_are_not_true_or_false():
    assert evidence.few_text(col("status", values={"Open": 20, "Won": 5, "Lost": 5}))
    assert not evidence.few_text(col("flag", distinct=2, values={"true": 20, "False": 10}))
    assert not evidence.few_text(col("n", "BIGINT", values={"1": 20, "2": 10}))


def test_dates_of_are_the_free_dates_earliest_first_without_a_connectors():
    f = file(
        "deals",
        col("closed", "DATE", minimum="2026-03-01"),
        col("opened", "DATE", minimum="2026-01-01"),
        col("_fivetran_synced", "TIMESTAMP", minimum="2025-01-01"),
        col("seen", "DATE", minimum="2020-01-01"),
        col("name"),
    )
    assert [c.header for c in evidence.dates_of(f, used={"seen"})] == ["opened", "closed"]


def test_the_history_file_has_a_deal_a_change_date_and_a_stage():
    """`stage_changes` (a deal on many rows, a date, a stage) is a history; `notes` has no
    stage; `deals` names each deal once and its name does not say it is a history."""
    changes = file(
        "stage_changes",
        col("deal_id", distinct=10),
        col("changed", "TIMESTAMP", distinct=30),
        col("stage"),
    )
    notes = file("notes", col("deal_id", distinct=10), col("at", "DATE", distinct=30))
    deals = file("deals", col("deal_id", distinct=30), col("created", "DATE"), col("stage"))
    assert evidence.history_file([notes, deals, changes]) is changes
    assert evidence.history_file([notes, deals]) is None


def test_history_content_places_the_deal_stage_and_change_date():
    """HubSpot's `deal_stage_data`: `value` (a few repeated stages) is the stage."""
    f = file(
        "deal_stage_data",
        col("dealId", distinct=10),
        col("value", values={"appointment": 12, "won": 10, "lost": 8}),
        col("date_entered", "TIMESTAMP", distinct=30, minimum="2026-01-01"),
    )
    p = TableProposal("opportunity_history", "deal_stage_data")
    used: set[str] = set()
    evidence.history_content(p, f, used)
    assert p.columns == {
        "opportunity_id": "dealId",
        "stage": "value",
        "changed_at": "date_entered",
    }
    assert used == {"dealId", "value", "date_entered"}


def test_deal_content_places_id_stage_dates_and_money_by_what_they_hold():
    """30 rows: `ref` unique (the id), `step` the most stage-like, `begun` the earliest
    date (created), `finished` the latest (closed), `worth` the one money column."""
    f = file(
        "deals",
        col("ref", distinct=30),
        col("colour", distinct=3, values={"red": 10, "blue": 10, "green": 10}),
        col("step", distinct=3, values={"Closed Won": 10, "Demo": 10, "Lead in": 10}),
        col("finished", "DATE", distinct=30, minimum="2026-02-01"),
        col("begun", "DATE", distinct=30, minimum="2026-01-01"),
        col("worth", "DOUBLE", distinct=25, minimum="10.0"),
    )
    p = TableProposal("opportunities", "deals")
    evidence.deal_content(p, f, used=set())
    assert p.columns == {
        "opportunity_id": "ref",
        "stage": "step",
        "created_date": "begun",
        "close_date": "finished",
        "amount": "worth",
    }


def test_a_deals_one_date_named_like_a_close_is_their_close_date():
    f = file("deals", col("ref", distinct=30), col("won_at", "DATE", distinct=30))
    p = TableProposal("opportunities", "deals")
    evidence.deal_content(p, f, used=set())
    assert p.columns == {"opportunity_id": "ref", "close_date": "won_at"}


def test_lead_content_takes_the_unique_column_and_the_earliest_date():
    f = file(
        "leads",
        col("ref", distinct=30),
        col("answered", "TIMESTAMP", minimum="2026-01-02"),
        col("arrived", "TIMESTAMP", minimum="2026-01-01"),
    )
    p = TableProposal("leads", "leads")
    evidence.lead_content(p, f, used=set())
    assert p.columns == {"lead_id": "ref", "created_at": "arrived"}


def test_people_columns_name_people_by_their_id_and_find_their_office():
    """The boss column repeats too, but holds people's names: the office is the region."""
    f = file(
        "people",
        col("person", rows=12, distinct=12),
        col("office", rows=12, distinct=3, values={"Paris": 4, "Lyon": 4, "Nice": 4}),
        col("boss", rows=12, distinct=2, values={"Ann Lee": 6, "Bob Roe": 6}),
    )
    p = TableProposal("reps", "people", {"rep_id": "person"})
    evidence.people_columns(p, f)
    assert p.columns == {"rep_id": "person", "name": "person", "region": "office"}


def test_check_segment_leaves_out_a_column_of_record_kinds_saying_why():
    f = file("deals", col("Type", distinct=2, values={"Lead": 10, "Opportunity": 20}))
    p = TableProposal("opportunities", "deals", {"segment": "Type"})
    evidence.check_segment(p, f)
    assert p.columns == {}
    assert p.reasons["segment"] == (
        "'Type' is not a segment: its values name a record's kind (Lead, Opportunity), "
        "not a segment"
    )


def test_check_versions_leaves_out_a_change_time_of_a_connectors_versions():
    f = file(
        "deal_history",
        col("_fivetran_start", "TIMESTAMP"),
        col("_fivetran_end", "TIMESTAMP"),
        col("CreatedDate", "TIMESTAMP"),
    )
    p = TableProposal("opportunity_history", "deal_history", {"changed_at": "CreatedDate"})
    evidence.check_versions(p, f)
    assert "changed_at" not in p.columns
    assert p.reasons["changed_at"].startswith(
        "the rows are versions the connector recorded (_fivetran_start, _fivetran_end)"
    )
    assert "Map changed_at to _fivetran_start yourself" in p.reasons["changed_at"]
    kept = TableProposal("opportunity_history", "deal_history", {"changed_at": "date_entered"})
    evidence.check_versions(kept, f)  # a time the CRM wrote per change stands
    assert kept.columns == {"changed_at": "date_entered"}


def test_check_amount_leaves_out_a_column_that_is_nearly_always_zero(engine):
    """Revenue is 0 on 5 of its 6 rows (83%, under 90%): it stays. Fee is 0 on all 5 of
    its rows with a value: left out, saying why."""
    p = TableProposal("opportunities", "deals", {"amount": "Revenue"})
    evidence.check_amount(engine, p, file("deals", col("Revenue", "BIGINT", rows=6)))
    assert p.columns == {"amount": "Revenue"}
    fee = TableProposal("opportunities", "deals", {"amount": "Fee"})
    evidence.check_amount(engine, fee, file("deals", col("Fee", "BIGINT", rows=6)))
    assert fee.columns == {}
    assert fee.reasons["amount"] == (
        "'Fee' is 0 on 5 of its 5 rows with a value (100%): not the value of a deal; map an "
        "amount yourself, or write `amount: null`"
    )


def test_stage_probabilities_are_each_stages_median_as_a_share(engine):
    """Won 100 and 100, Lost 0 and 0, Demo 40 and 60: medians 100, 0, 50, in percent."""
    f = file("deals", col("Id", "BIGINT", rows=6), col("Probability", "BIGINT", rows=6))
    assert evidence.stage_probabilities(engine, f, "Stage") == {
        "Won": 1.0,
        "Lost": 0.0,
        "Demo": 0.5,
    }
    assert evidence.stage_probabilities(engine, file("deals", col("Id")), "Stage") == {}


def test_archive_counts_the_archived_deals_per_stage(engine):
    f = file("deals", col("Active", rows=6, distinct=2, values={"true": 4, "false": 2}))
    assert evidence.archive(engine, f, "Stage") == ("Active", "false", {"Lost": 2})
    none = file("deals", col("Active", rows=6, distinct=1, values={"true": 6}))
    assert evidence.archive(engine, none, "Stage") is None
