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


# People P1-P4; P2's manager is P1, P3's and P4's X9, who is not one of them.
PEOPLE = """id,name,office,boss
P1,Ann Lee,Paris,
P2,Bob Roe,Paris,P1
P3,Cy Poe,Lyon,X9
P4,Di Dee,Lyon,X9
"""
# Olist-like deals: `seller_id` is the customer (one per deal), `OwnerId` is named like an
# owner but holds no person's id, `agent` holds P1-P3.
SALES = """deal,seller_id,OwnerId,agent,stage
D1,S1,U1,P1,Won
D2,S2,U1,P2,Lost
D3,S3,U2,P3,Won
D4,S4,U2,P1,Won
"""
# A stage history whose deals are half the deals' (D1, D2; not Z1, Z2).
CHANGES = """deal_id,at,stage
D1,2026-01-01,Won
D2,2026-01-02,Lost
Z1,2026-01-03,Won
Z2,2026-01-04,Won
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
    (folder / "people.csv").write_text(PEOPLE)
    (folder / "sales.csv").write_text(SALES)
    (folder / "changes.csv").write_text(CHANGES)
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


def test_archive_counts_the_archived_deals_per_stage(engine):
    f = file("deals", col("Active", rows=6, distinct=2, values={"true": 4, "false": 2}))
    assert evidence.archive(engine, f, "Stage") == ("Active", "false", {"Lost": 2})
    none = file("deals", col("Active", rows=6, distinct=1, values={"true": 6}))
    assert evidence.archive(engine, none, "Stage") is None


def test_owners_are_the_column_whose_values_are_a_people_files_ids(engine):
    """`agent` holds P1-P3, all ids of people.id; `OwnerId`, named like an owner, holds
    none (0%): content decides, and says so. `seller_id` is unique: never an owner."""
    sales = file(
        "sales",
        col("deal", rows=4, distinct=4),
        col("seller_id", rows=4, distinct=4),
        col("OwnerId", rows=4, distinct=2),
        col("agent", rows=4, distinct=3),
        col("stage", rows=4, distinct=2),
    )
    people = file(
        "people",
        col("id", rows=4, distinct=4),
        col("name", rows=4, distinct=4),
        col("office", rows=4, distinct=2),
        col("boss", rows=4, distinct=2, nulls=1),
    )
    deals = TableProposal("opportunities", "sales", {"owner_id": "OwnerId"})
    found = evidence.owners(engine, deals, sales, [people])
    assert found is not None
    owner, who, key = found
    assert (owner, who.name, key) == ("agent", "people", "id")
    assert deals.warnings["owner_id"] == (
        "by content: its values are rows of people.id; 'OwnerId', named like an owner, is "
        "not (0% of its values are)"
    )


def test_check_owners_warns_when_the_owners_are_not_people(engine):
    deals = TableProposal("opportunities", "sales", {"owner_id": "OwnerId"})
    evidence.check_owners(engine, deals, TableProposal("reps", "people", {"rep_id": "id"}))
    assert deals.warnings["owner_id"] == (
        "check: 0% of its values are rows of people.id; the rest would fail validation "
        "(hashed, or another id?)"
    )
    fine = TableProposal("opportunities", "sales", {"owner_id": "agent"})
    evidence.check_owners(engine, fine, TableProposal("reps", "people", {"rep_id": "id"}))
    assert fine.warnings == {}


def test_check_managers_leaves_out_managers_who_are_not_people(engine):
    """The managers named are P1 and X9: half of them are people."""
    reps = TableProposal("reps", "people", {"rep_id": "id", "manager_id": "boss"})
    evidence.check_managers(engine, reps)
    assert reps.columns == {"rep_id": "id"}
    assert reps.reasons["manager_id"] == (
        "'boss' holds managers who are not people of people (50% of them are): add them as "
        "rows to map it"
    )


def test_check_history_warns_when_its_deals_are_mostly_not_the_deals(engine):
    history = TableProposal("opportunity_history", "changes", {"opportunity_id": "deal_id"})
    evidence.check_history(
        engine, history, TableProposal("opportunities", "sales", {"opportunity_id": "deal"})
    )
    assert history.warnings["opportunity_id"] == (
        "check: 50% of its deals are rows of sales.deal; validation refuses a history row "
        "whose deal is not among the deals"
    )
