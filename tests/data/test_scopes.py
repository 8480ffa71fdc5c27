"""Report scopes: each scope's folder is a function of its exact value, never shared."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesops.data.scopes import CLOSED_ASIDE, Scope
from salesops.errors import ConfigError


def test_plain_scopes_keep_their_folders():
    assert Scope.parse("company").slug == "company"
    assert Scope.parse("region:EMEA").slug == "region-EMEA"
    assert Scope.parse("rep:0055g000001AbCd").slug == "rep-0055g000001AbCd"
    assert Scope.parse("rep:R-1").slug == "rep-R-1"


@pytest.mark.parametrize(
    ("one", "other"), [("rep:R:1", "rep:R-1"), ("region:NA East", "region:NA_East")]
)
def test_scopes_that_a_replaced_character_confused_get_two_folders(one, other):
    a, b = Scope.parse(one).slug, Scope.parse(other).slug
    assert a.casefold() != b.casefold()


def test_a_lossy_folder_is_readable_and_hashed():
    assert Scope.parse("rep:R:1").slug == "rep-R_1~b89929b9ed4f"
    assert Scope.parse("region:NA East").slug.startswith("region-NA_East~")


def test_a_value_too_long_for_a_file_name_gets_a_short_folder(tmp_path):
    value = ("Northern Europe, Middle East and Africa (enterprise accounts) " * 6)[:320]
    assert len(value) == 320
    slug = Scope("region", value).slug
    assert len(slug) <= 100
    assert slug.startswith("region-Northern_Europe__Middle_East")
    (tmp_path / slug).mkdir()  # the file system takes it (255 bytes a name)
    assert Scope("region", value + "!").slug != slug  # they differ after the cut


@given(st.text(alphabet="aA:-_. é/\\~", min_size=1), st.text(alphabet="aA:-_. é/\\~", min_size=1))
def test_two_values_never_share_a_folder(a, b):
    one, other = Scope("region", a), Scope("region", b)
    assert (one.slug == other.slug) == (a == b)
    assert "/" not in one.slug and "\\" not in one.slug and one.slug not in (".", "..")


def test_scope_text_is_parsed_or_refused():
    assert Scope.parse(" region:NA East ") == Scope("region", "NA East")
    with pytest.raises(ConfigError, match="not a scope"):
        Scope.parse("team:x")


def test_a_scope_title_never_reads_company_region():
    """HubSpot's and Salesforce's one region is named Company by the source file: its
    heading read "Company region"."""
    assert Scope.parse("company").title == "Company"
    assert Scope.parse("region:EMEA").title == "EMEA region"
    assert Scope.parse("region:Company").title == "Region Company"
    assert Scope.parse("region:West Region").title == "Region West Region"


def test_a_part_says_when_the_quarantine_set_aside_every_closed_deal_of_it(tmp_path):
    """The tiny CRM with no close date on East's closed deals, loaded for the company with
    the quarantine: East's deals, cut from the company's (``Tables.for_scope``), said "no
    deal in East has closed yet" of a region whose 4 closed deals were set aside. Now
    they say the quarantine took them; West's, with closed deals kept, say nothing of it."""
    from conftest import undated_closes

    import salesops as so
    from salesops.analytics import gaps

    crm = undated_closes(tmp_path / "crm", region="East")
    tables = so.load(str(crm), on_invalid="quarantine")
    assert len(tables.set_aside["opportunities"]) == 4  # O1, O2, O4, O9
    east_deals = tables.for_scope("region:East").opportunities
    assert gaps.no_close(east_deals) == (
        "the quarantine set aside every closed deal in East for a broken rule"
    )
    assert not tables.for_scope("region:West").opportunities.attrs.get(CLOSED_ASIDE)
    assert not tables.opportunities.attrs.get(CLOSED_ASIDE)  # the company keeps West's
    alice = tables.for_scope("rep:R1").opportunities  # a rep's: none of theirs kept
    assert gaps.no_close(alice) == (
        "the quarantine set aside every closed deal of this rep for a broken rule"
    )
