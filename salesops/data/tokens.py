"""Opaque values in an export, for ``salesops map`` (:mod:`salesops.data.proposal`): hashed
ids and codes, which name records, never a human category; and the deals' owner found by
such values alone, where the export has no people file to match them against.

- A column whose values look like hashes (32 or 40 hex digits, base64 tokens, UUIDs) is
  not a segment, a lead source, a forecast category, a product or a role: each hash would
  be a category of its own (Fivetran's Salesforce seeds hash ``Type`` and
  ``LeadSource``). It is left out, with the reason and an example.
- Without a people file, the owner is the deals' column of id-like values (hashes or
  codes) of which there are a few, each on many deals, named like a person who sells
  (Olist's ``sr_id``); one named for an account, a product or a lead never is. A column
  that fits but whose name says nothing is named in the reason, not mapped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from salesops.data.engines import DuckDBEngine
from salesops.data.sql import ident, quote
from salesops.data.synonyms import NOT_PERSON_WORDS, PERSON_WORDS, SETTER_WORDS, words

if TYPE_CHECKING:
    from salesops.data.profiles import ColumnProfile, FileProfile
    from salesops.data.proposal import TableProposal

HEX = re.compile(r"[0-9a-fA-F]{16,}")  # MD5 (32), SHA-1 (40), SHA-256 (64), ...
UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
BASE64 = re.compile(r"[A-Za-z0-9+/_-]{14,}={0,2}")  # an MD5 in base64: 22 characters and ==
WORDED = re.compile(r"[a-z]{5}")  # five small letters in a row: a word, rarely a hash
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/+=#-]*")  # one token, no spaces
# Distinct values read per column, and the share of them that must be hashes.
SAMPLE = 50
HASHED_SHARE = 0.9
# The columns of each table that hold a category people read (a breakdown's rows).
CATEGORIES = {
    "opportunities": ("segment", "product", "lead_source", "forecast_category"),
    "opportunity_history": ("forecast_category",),
    "leads": ("source",),
    "reps": ("role",),
}
# An owner found by content: each value on at least this many deals on average, on at
# least this share of the deals.
PER_OWNER = 5
OWNED_SHARE = 0.5


def hashed(value: str) -> bool:
    """Whether ``value`` looks like a hash: hex digits (at least 16, with a digit and a
    letter), a UUID, or a base64 token of at least 16 characters, padded to a multiple of
    4 (``==``) or mixing capitals, small letters and digits (a column of such tokens must
    also be of one length: :func:`looks_hashed`).

    Examples
    --------
    >>> hashed("4ef15afb4b2723d8f3d81e51ec7afefe"), hashed("+Gkf6SQ2fhAONAiFelNKVw==")
    (True, True)
    >>> hashed("Enterprise"), hashed("qualifiedtobuy"), hashed("2026")
    (False, False, False)
    """
    v = value.strip()
    digit, alpha = any(c.isdigit() for c in v), any(c.isalpha() for c in v)
    if UUID.fullmatch(v) or (HEX.fullmatch(v) and digit and alpha):
        return True
    if not BASE64.fullmatch(v) or len(v) < 16:
        return False
    if v.endswith("="):
        return len(v) % 4 == 0
    marked = digit or "+" in v or "/" in v
    return marked and any(c.isupper() for c in v) and any(c.islower() for c in v)


def code(value: str) -> bool:
    """Whether ``value`` is an id a system wrote: a hash, or one token of letters and
    digits with at least one digit (``r07``, ``0055000000XyZ1AAA``, ``USR-104``), not a
    person's name (``Ann Lee``) or a word (``Enterprise``)."""
    v = value.strip()
    return hashed(v) or (CODE.fullmatch(v) is not None and any(c.isdigit() for c in v))


def sample(engine: DuckDBEngine, name: str, header: str) -> list[str]:
    """Up to :data:`SAMPLE` distinct values of ``name.header``, as text, smallest first."""
    rows = engine.query(
        f"SELECT DISTINCT CAST({quote(header)} AS VARCHAR) AS v FROM {ident(name)} "
        f"WHERE {quote(header)} IS NOT NULL ORDER BY 1 LIMIT {SAMPLE}",
        {},
    )
    return [str(v) for v in rows["v"]]


def _sure(value: str) -> bool:
    """A hash by its form alone: hex digits, a UUID, or base64 with its padding."""
    v = value.strip()
    return hashed(v) and (v.endswith("=") or HEX.fullmatch(v) is not None or "-" in v)


def looks_hashed(values: list[str]) -> bool:
    """Whether nearly all of ``values`` (:data:`HASHED_SHARE`) look like hashes; tokens
    that are hashes only by their mix of capitals, small letters and digits must also be
    of one length, as a hash function's are, and mostly without a run of five small
    letters, which a word has (``ProductLineAlpha2024`` and ``ProductLineOmega2025`` are
    not hashes).

    Examples
    --------
    >>> looks_hashed(["9RN9J3tlxr89gDctReax5w", "GavUFuuf4DrnQAoiRGlWpQ"])
    True
    >>> looks_hashed(["ProductLineAlpha2024", "ProductLineOmega2025"])
    False
    """
    hits = [v for v in values if hashed(v)]
    if not values or len(hits) < HASHED_SHARE * len(values):
        return False
    mixed = [v.strip() for v in hits if not _sure(v)]
    worded = sum(WORDED.search(v) is not None for v in mixed)  # "roduct": a word's letters
    return len({len(v) for v in mixed}) <= 1 and worded * 2 <= len(mixed)


def check_categories(engine: DuckDBEngine, p: TableProposal, f: FileProfile) -> None:
    """Leave out each category column of ``p`` (:data:`CATEGORIES`) whose values look like
    hashed ids, saying so with an example: a hash is not a category a person can read,
    and a breakdown by it would show one row per hash."""
    for column in CATEGORIES.get(p.table, ()):
        header = p.columns.get(column)
        if header is None or f.columns[header].is_number:
            continue
        values = sample(engine, f.name, header)
        if looks_hashed(values):
            del p.columns[column]
            p.reasons[column] = (
                f"{header!r} is not a {column.replace('_', ' ')}: its values look like hashed "
                f"ids, e.g. {values[0]}; map {column} to null (the export lacks it), or to a "
                "column of readable values"
            )


def _candidates(engine: DuckDBEngine, f: FileProfile, taken: set[str]) -> list[ColumnProfile]:
    """The columns of ``f`` that may hold the deals' owners by content: text, id-like
    values (:func:`code`), a few of them each on many deals, on most deals, and a name
    that names no account, product or lead (:data:`NOT_PERSON_WORDS`)."""
    out = []
    for c in f.columns.values():
        if c.header in taken or c.type != "VARCHAR" or c.is_date or c.distinct < 2:
            continue
        if set(words(c.header)) & NOT_PERSON_WORDS:
            continue
        if c.filled < OWNED_SHARE * c.rows or c.distinct * PER_OWNER > c.filled:
            continue
        values = sample(engine, f.name, c.header)
        if values and sum(map(code, values)) >= HASHED_SHARE * len(values):
            out.append(c)
    return out


def lone_owner(engine: DuckDBEngine, p: TableProposal, f: FileProfile) -> None:
    """Place the deals' owner by content where no people file holds them: among the id-like
    columns of a few values each on many deals (:func:`_candidates`), the one named like a
    closer (``sr_id``, ``rep_code``), else like a setter (``sdr_id``, with a warning).
    Without such a name, the reason names the columns that fit, to be mapped by hand."""
    found = _candidates(engine, f, set(p.columns.values()))
    closers = [c for c in found if set(words(c.header)) & set(PERSON_WORDS)]
    setters = [c for c in found if set(words(c.header)) & set(SETTER_WORDS)]
    why = p.reasons.pop("owner_id", None)
    if closers or setters:
        c = (closers or setters)[0]
        p.columns["owner_id"] = c.header
        kind = "a person who sells" if closers else "a setter, who qualified the lead: check"
        note = (
            f"by content: {c.distinct:,} distinct ids, each on {c.filled / c.distinct:.0f} deals "
            f"on average, named like {kind}; no people file: write a roster of them as the "
            "reps (docs/exports.md, Olist)"
        )
        p.warnings["owner_id"] = note + (f"; {why}" if why else "")
        return
    if found:
        named = ", ".join(f"{c.header!r} ({c.distinct:,} ids)" for c in found[:3])
        p.reasons["owner_id"] = (
            f"no people file, and no column named like an owner; {named} may be: id-like "
            "values, a few of them each on many deals. If one is who owns each deal, write "
            "owner_id: <it>" + (f"; {why}" if why else "")
        )
    elif why:
        p.reasons["owner_id"] = why
