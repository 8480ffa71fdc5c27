"""The names CRMs give their tables and columns (salesops.data.synonyms)."""

from __future__ import annotations

from salesops.data.model import TABLES
from salesops.data.synonyms import COLUMN_NAMES, TABLE_NAMES, normalize, synced, words


def test_normalize_keeps_lower_case_letters_and_digits():
    assert normalize("Deal - Owner.id") == "dealownerid"
    assert normalize("Region__c") == "regionc"
    assert normalize("ARR 2026") == "arr2026"


def test_words_split_snake_camel_and_spaced_headers():
    assert words("regional_office") == ["regional", "office"]
    assert words("CloseDate") == ["close", "date"]
    assert words("Deal - Value (EUR)") == ["deal", "value", "eur"]
    assert words("_fivetran_start") == ["fivetran", "start"]


def test_synced_is_a_header_with_a_leading_underscore():
    assert synced("_airbyte_extracted_at") and synced(" _dlt_load_id")
    assert not synced("Region__c")  # Salesforce's custom fields end with __c


def test_the_synonyms_are_normalized_and_name_canonical_tables_and_columns():
    columns = {c for table in TABLES.values() for c in table.column_names}
    assert set(TABLE_NAMES) == set(TABLES)
    assert set(COLUMN_NAMES) <= columns
    for names in (*TABLE_NAMES.values(), *COLUMN_NAMES.values()):
        assert all(name == normalize(name) for name in names), names
