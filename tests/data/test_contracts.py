"""The row rules: the quick check never passes a table that the pandera schema refuses.

Where the quick check says a rule may be broken, pandera decides (and names the rows); so
what must hold is that it passes nothing that pandera refuses, and passes clean data.
"""

from __future__ import annotations

import unicodedata

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import FIXTURES, TINY, hostile_copy
from pandera.errors import SchemaErrors

from salesops.data.contracts import (
    ARROW_EMAIL,
    EMAIL,
    NAME_LIMIT,
    TEXT_LIMIT,
    passes,
    schema,
)
from salesops.data.sources import Source
from salesops.data.validation import coerce


def refused(table: str, frame: pd.DataFrame) -> bool:
    try:
        schema(table).validate(frame, lazy=True)
    except SchemaErrors:
        return True
    return False


def reps(**columns: list) -> pd.DataFrame:
    """A coerced reps table of two people, with ``columns`` replaced (as text)."""
    raw = pd.DataFrame(
        {
            "rep_id": ["R1", "R2"],
            "name": ["Alice Able", "Bob Baker"],
            "region": ["East", "West"],
            "email": ["alice@example.com", None],
            "hire_date": pd.to_datetime(["2024-01-01", None]),  # typed: no text to read
        }
    )
    return coerce("reps", raw.assign(**columns))[0]


def deals(amounts: list) -> pd.DataFrame:
    raw = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(len(amounts))],
            "owner_id": "R1",
            "region": "East",
            "created_date": pd.Timestamp("2026-01-01"),
            "close_date": pd.Timestamp("2026-02-01"),
            "stage": "Closed Won",
            "amount": amounts,
        }
    )
    return coerce("opportunities", raw)[0]


CONTROLS = ["\x00", "\t", "\n", "\x1f", "\x7f", "\x85", "\x9f", "\u2028", "\u2029"]
# the text-direction embeddings, overrides and isolates: "R1\u202e..." reverses what follows
CONTROLS += ["\u202a", "\u202e", "\u2066", "\u2069"]
BESIDE = [" ", "~", "\xa0", "\u2027", "\u202f", "\u2065", "\u200f"]  # just outside them


def test_a_control_character_anywhere_fails_the_quick_check():
    for char in CONTROLS:
        for value in (f"{char}East", f"Ea{char}st", f"East{char}"):
            assert not passes("reps", reps(region=["West", value])), repr(value)
    for pair in (BESIDE[:2], BESIDE[2:4], BESIDE[4:6], BESIDE[5:]):
        beside = reps(region=[f"{c}East{c}" for c in pair], name=[f"A{c}B" for c in pair])
        assert passes("reps", beside) and not refused("reps", beside), pair


@pytest.mark.parametrize(
    ("column", "most"), [("name", NAME_LIMIT), ("region", TEXT_LIMIT), ("rep_id", TEXT_LIMIT)]
)
def test_a_value_one_character_over_its_limit_fails_and_at_it_passes(column, most):
    at = reps(**{column: ["x" * most, "é" * most]})
    assert passes("reps", at) and not refused("reps", at)
    over = reps(**{column: ["x", "é" * (most + 1)]})
    assert refused("reps", over) and not passes("reps", over)


@pytest.mark.parametrize(
    "edit",
    [
        {"rep_id": ["R1", None]},  # not nullable
        {"name": [None, "Bob"]},
        {"email": ["alice@example.com", "not an address"]},
        {"email": ["Alice <alice@example.com>", None]},
    ],
)
def test_each_broken_rule_of_text_fails_the_quick_check(edit):
    assert not passes("reps", reps(**edit))


@pytest.mark.parametrize("bad", ["-1", "-0.01", "inf", "-inf"])
def test_a_negative_or_infinite_amount_fails_the_quick_check(bad):
    assert not passes("opportunities", deals(["10", bad]))


def test_missing_values_pass_where_the_column_may_be_empty_and_fail_where_not():
    nullable = deals(["10", None, "-0.0", "0"])  # amount may be empty; -0.0 is >= 0
    assert passes("opportunities", nullable) and not refused("opportunities", nullable)
    quotas = coerce("quotas", pd.DataFrame({"rep_id": ["R1"], "month": [None], "amount": ["5"]}))
    assert not passes("quotas", quotas[0])  # month may not


def test_a_column_of_another_type_is_left_to_the_schema():
    frame = reps().astype({"region": object})  # not Arrow-backed text: not read quickly
    assert not passes("reps", frame) and not refused("reps", frame)


def coerced(source) -> dict[str, pd.DataFrame]:
    with Source(source) as src:
        raw = src.raw()
        src.formats.attach(raw)
    return {table: coerce(table, frame)[0] for table, frame in raw.items()}


REAL = FIXTURES / "exports" / "real"


def test_the_tiny_crm_passes_the_quick_check_alone():
    """On data that keeps every rule, pandera is never asked."""
    for table, frame in coerced(TINY).items():
        assert passes(table, frame), table


@pytest.mark.parametrize("export", ["salesforce", "hubspot", "olist", "odoo"])
def test_the_quick_check_says_what_the_schema_says_of_real_exports(export):
    for table, frame in coerced(REAL / export / "source.yml").items():
        assert passes(table, frame) == (not refused(table, frame)), table


def test_hostile_text_passes_where_the_schema_passes(tmp_path):
    crm = hostile_copy(tmp_path / "crm", set_aside=False)
    for table, frame in coerced(crm).items():
        assert passes(table, frame) == (not refused(table, frame)), table


def test_arrows_email_rule_passes_no_address_that_pythons_refuses():
    """Every character that Python's ``\\s`` and Arrow's might read differently (Unicode
    whitespace, separators and control characters) and every printable ASCII one, at
    each place of an address: what Arrow's rule passes, the schema's (pandas') passes."""
    odd = [
        chr(i)
        for i in range(0x110000)
        if not 0xD800 <= i <= 0xDFFF
        and (chr(i).isspace() or unicodedata.category(chr(i)) in ("Cc", "Zs", "Zl", "Zp"))
    ]
    chars = [*odd, *map(chr, range(0x20, 0x7F))]
    for template in ("{}a@b.cd", "a{}b@c.de", "a@b{}c.de", "a@b.c{}d", "a@b.cd{}"):
        emails = pd.Series([template.format(c) for c in chars], dtype="str")
        arrow = pc.match_substring_regex(pa.array(emails.array), ARROW_EMAIL)
        python = emails.str.match(EMAIL)  # as pandera's str_matches reads it
        loose = arrow.to_numpy(zero_copy_only=False) & ~python.to_numpy(bool)
        assert not loose.any(), list(emails[loose])
