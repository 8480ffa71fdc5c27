"""``salesops map`` and opaque values (:mod:`salesops.data.tokens`): hashed columns are no
human category, and the deals' owner is found by its id-like values where the export has
no people file. Small exports written here, with hand-counted values."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from salesops.data.proposal import propose
from salesops.data.tokens import code, hashed, looks_hashed


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # 32 hex digits, as Olist's ids


def b64(text: str) -> str:
    return base64.b64encode(hashlib.md5(text.encode()).digest()).decode()  # 24, with ==


def _deals(folder: Path, columns: dict[str, list[str]], n: int = 40) -> Path:
    """``deals.csv``: ``n`` deals with an id, a stage (Won, Lost, Demo in turn), created
    and close dates, and ``columns`` (each list's values in turn)."""
    folder.mkdir(parents=True)
    frame = pd.DataFrame(
        {
            "deal_id": [f"D{i:03d}" for i in range(n)],
            "stage": [["Won", "Lost", "Demo"][i % 3] for i in range(n)],
            "created": [f"2026-0{1 + i % 6}-0{1 + i % 9}" for i in range(n)],
            "closed": [f"2026-0{2 + i % 6}-1{i % 9}" for i in range(n)],
        }
    )
    for header, values in columns.items():
        frame[header] = [values[i % len(values)] for i in range(n)]
    frame.to_csv(folder / "deals.csv", index=False)
    return folder


REPS = [md5(name) for name in ("Ann Lee", "Bo Chan", "Cy Diaz", "Di Eng")]  # 4, 10 deals each
ACCOUNTS = [md5(f"account {i}") for i in range(8)]  # 8, 5 deals each
SDRS = [md5(f"sdr {i}") for i in range(5)]


def test_values_that_look_hashed_or_like_codes():
    assert hashed(md5("x")) and hashed(b64("x")) and hashed(hashlib.sha1(b"x").hexdigest())
    assert hashed("123e4567-e89b-12d3-a456-426614174000")
    assert not any(map(hashed, ["Enterprise", "Mid-market", "Inbound", "qualifiedtobuy", "2026"]))
    assert code("r07") and code("USR-104") and code("0055000000XyZ1AAA")
    assert not code("Ann Lee") and not code("Enterprise")
    # unpadded base64 (an MD5's 22 characters) is a hash when a column's are of one length
    # and mostly hold no word's run of small letters; CamelCase categories are not
    assert looks_hashed(["9RN9J3tlxr89gDctReax5w", "GavUFuuf4DrnQAoiRGlWpQ"])
    assert not looks_hashed(["ProductLineAlpha2024", "ProductLineOmega2025"])
    assert not looks_hashed(["Tier2Enterprise2024", "Tier1SmallBusiness2024"])
    assert not looks_hashed(["Closed Won", "Prospecting"])


def test_map_finds_the_owner_by_content_without_a_people_file(tmp_path):
    """No people file: ``sr_id`` (4 hashed ids, 10 deals each, named like a rep) is the
    owner, not ``account_id`` (8 hashed ids repeated too, named for an account) nor the
    setter ``sdr_id``; the line says how it was found and that the reps need a roster."""
    folder = _deals(tmp_path / "x", {"account_id": ACCOUNTS, "sdr_id": SDRS, "sr_id": REPS})
    proposal = propose(folder, ".")
    opps = proposal.table("opportunities")
    assert opps.columns["owner_id"] == "sr_id"
    assert opps.warnings["owner_id"].startswith(
        "by content: 4 distinct ids, each on 10 deals on average, named like a person who "
        "sells; no people file: write a roster of them as the reps"
    )
    assert "      owner_id: sr_id   # by content: 4 distinct ids" in proposal.text
    assert proposal.table("reps").source is None


def test_map_takes_a_setter_only_when_no_closer_is_named(tmp_path):
    opps = propose(_deals(tmp_path / "x", {"sdr_id": SDRS}), ".").table("opportunities")
    assert opps.columns["owner_id"] == "sdr_id"
    assert "named like a setter, who qualified the lead: check" in opps.warnings["owner_id"]


@pytest.mark.parametrize(
    ("columns", "said"),
    [
        # ids of accounts and products repeat too: their names say what they are
        ({"account_id": ACCOUNTS, "product_code": ["P-1", "P-2", "P-3"]}, "no people file"),
        # a different value on every deal: the customer, not a person who sells
        ({"rep_ref": [md5(f"c{i}") for i in range(40)]}, "a different value on each of its 40"),
        # people's names are no ids (a name says nothing either)
        ({"handled": ["Ann Lee", "Bo Chan"]}, "no people file"),
    ],
)
def test_map_takes_no_account_product_or_customer_for_the_owner(tmp_path, columns, said):
    opps = propose(_deals(tmp_path / "x", columns), ".").table("opportunities")
    assert "owner_id" not in opps.columns
    assert said in opps.reasons["owner_id"]
    assert "may be" not in opps.reasons["owner_id"]


def test_map_names_an_unnamed_owner_candidate_without_mapping_it(tmp_path):
    """Id-like values of a few repeated ones, in a column whose name says nothing: the
    owner's line names it for the user to map, commented out."""
    proposal = propose(_deals(tmp_path / "x", {"x_ref": REPS}), ".")
    opps = proposal.table("opportunities")
    assert "owner_id" not in opps.columns
    assert opps.reasons["owner_id"].startswith(
        "no people file, and no column named like an owner; 'x_ref' (4 ids) may be"
    )
    assert "      # owner_id: missing (required): no people file, and no column" in proposal.text


def test_map_proposes_no_hashed_category(tmp_path):
    """Segment (``Type``), lead source and forecast category of hashes (32 hex digits,
    base64) are left out with the reason and an example; readable ones are kept."""
    tiers = ["SMB", "Mid-market", "Enterprise"]
    folder = _deals(
        tmp_path / "hashed",
        {
            "Type": [md5(t) for t in tiers],
            "LeadSource": [b64(s) for s in ("Web", "Partner", "Event", "Referral")],
            "ForecastCategoryName": [b64(c) for c in ("Pipeline", "Commit")],
            "Product": ["Alpha", "Beta"],
        },
    )
    proposal = propose(folder, ".")
    opps = proposal.table("opportunities")
    for column in ("segment", "lead_source", "forecast_category"):
        assert column not in opps.columns, column
    first = sorted(md5(t) for t in tiers)[0]
    assert opps.reasons["segment"] == (
        f"'Type' is not a segment: its values look like hashed ids, e.g. {first}; map "
        "segment to null (the export lacks it), or to a column of readable values"
    )
    said = "'LeadSource' is not a lead source: its values look like hashed ids, e.g. "
    assert opps.reasons["lead_source"].startswith(said)
    assert opps.columns["product"] == "Product"
    readable = _deals(tmp_path / "readable", {"Type": tiers, "LeadSource": ["Web", "Event"]})
    opps = propose(readable, ".").table("opportunities")
    assert (opps.columns["segment"], opps.columns["lead_source"]) == ("Type", "LeadSource")
