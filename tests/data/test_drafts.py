"""What ``salesops map`` writes and prints (salesops.data.drafts): the stage list it
proposes, and the draft source file and summary of a hand-made proposal."""

from __future__ import annotations

import yaml

from salesops.data.drafts import closed_values, qualifying, render, stage_list, summary
from salesops.data.profiles import ColumnProfile, FileProfile
from salesops.data.proposal import Proposal, TableProposal


def test_closed_values_come_from_the_flags_else_the_names():
    """ "Signed" is won by its flag; "Closed Lost" and "Dead" lost by name; "Won later" is
    flagged open, so its name does not make it won."""
    values = ["New", "Signed", "Closed Lost", "Dead", "Won later", "Closed"]
    won, lost = closed_values(values, {"Signed": "won", "Won later": "open"})
    assert won == ["Signed", "Closed"]  # "Closed" alone is taken for won
    assert lost == ["Closed Lost", "Dead"]


def test_values_that_are_the_configured_stages_keep_them_folding_only_their_case():
    stages, fold = stage_list({"proposal": 3, "Closed Won": 2}, order=[])
    assert stages == [] and fold == {"proposal": "Proposal"}


def test_the_exports_own_stages_open_in_order_then_won_then_lost():
    """Open: New, Qualifying, Demo (the order given; Demo not in it comes last), spread
    0.1, 0.45, 0.8; qualified from the stage after qualifying (Demo). Two lost values:
    the second folds onto the first."""
    values = {"Demo": 5, "New": 9, "Qualifying": 7, "Won": 4, "Lost": 3, "Dead": 1}
    stages, fold = stage_list(values, order=["New", "Qualifying"])
    assert stages == [
        {"name": "New", "probability": 0.1},
        {"name": "Qualifying", "probability": 0.45},
        {"name": "Demo", "probability": 0.8, "qualified": True},
        {"name": "Won", "probability": 1.0, "closed": True, "won": True},
        {"name": "Lost", "probability": 0.0, "closed": True},
    ]
    assert fold == {"Dead": "Lost"}


def test_an_open_stage_takes_the_exports_probability_and_missing_closed_stages_a_name():
    stages, fold = stage_list({"Open": 3}, order=["Open"], probabilities={"Open": 0.3})
    assert stages == [
        {"name": "Open", "probability": 0.3},
        {"name": "Won", "probability": 1.0, "closed": True, "won": True},
        {"name": "Lost", "probability": 0.0, "closed": True},
    ]
    assert fold == {}


def test_qualifying_starts_at_the_qualified_stage_or_the_one_after_qualifying():
    assert qualifying(["New", "qualifiedtobuy", "Demo"]) == "qualifiedtobuy"
    assert qualifying(["New", "Qualify", "Demo"]) == "Demo"
    assert qualifying(["Not Qualified", "Demo"]) is None
    assert qualifying(["New", "Qualification"]) is None  # qualifying is the last one


def proposal() -> Proposal:
    """Deals found in `deals.csv` (3 rows): id, owner and stage placed, amount not; no
    people file."""
    columns = {
        h: ColumnProfile(h, "VARCHAR", 3, 3, nulls=0) for h in ("Id", "Owner", "Status", "Note")
    }
    deals = TableProposal(
        "opportunities",
        "deals",
        {"opportunity_id": "Id", "owner_id": "Owner", "stage": "Status"},
        "by its name",
        reasons={"amount": "no column of numbers"},
    )
    tables = [deals, TableProposal("reps", None)]
    return Proposal(
        "exports/",
        [FileProfile("deals", 3, columns)],
        {},
        tables,
        stage_counts={"Open": 2, "Won": 1},
        stage_order=["Open"],
        order_note="by the deals' ages",
    )


def test_render_writes_a_source_file_that_parses_with_a_comment_per_gap():
    text = render("Acme CRM", "exports", proposal())
    data = yaml.safe_load(text)
    assert data["name"] == "Acme CRM" and data["kind"] == "files"
    assert data["tables"]["opportunities"]["columns"] == {
        "opportunity_id": "Id",
        "owner_id": "Owner",
        "stage": "Status",
    }
    assert [s["name"] for s in data["stages"]] == ["Open", "Won", "Lost"]
    assert "#   deals (3 rows): Id, Owner, Status, Note" in text
    assert "# amount: missing (optional): no column of numbers" in text
    assert "  # reps: no table found" in text
    assert "# Stage order: by the deals' ages." in text
    assert "  - {name: Open, probability: 0.1}   # 2 deals" in text
    assert "won: true}   # 1 deal\n" in text  # was "1 deals"


def test_summary_lists_files_tables_columns_and_stage_values():
    lines = summary(proposal())
    assert lines[:2] == ["files seen in exports/:", "  deals (3 rows): Id, Owner, Status, Note"]
    assert "opportunities <- deals (by its name)" in lines
    assert "  owner_id           <- Owner" in lines
    assert "  amount                missing (optional): no column of numbers" in lines
    reps = next(line for line in lines if line.startswith("reps:"))
    assert reps.startswith("reps: required, not found: no file named like user, users,")
    assert reps.endswith(", and none whose rows are the deals' owners")
    assert lines[-3:] == [
        "stage values to map:",
        "  Open (2 deals)",
        "  Won (1 deal)",
    ]  # was "1 deals"
