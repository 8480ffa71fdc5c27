"""Passwords in source URLs: one rule hides every form, and a reference keeps the value out
of what is written."""

from __future__ import annotations

import pytest

from salesops.credentials import expand, redact, referenced, scrub
from salesops.data.mapping import SourceSpec
from salesops.errors import ConfigError

# (a URL or a message holding a password, the password)
WITH_PASSWORD = [
    ("postgresql://ann:s3cret@db/crm", "s3cret"),
    ("postgresql+psycopg://ann:s3cret@db:5432/crm?sslmode=require", "s3cret"),
    ("postgresql://ann:p@ss@db/crm", "p@ss"),  # an "@" left unencoded
    ("postgresql://ann:p%40ss%3A1@db/crm", "p%40ss%3A1"),
    ("postgresql://ann@db/crm?password=hunter2", "hunter2"),
    ("postgresql://ann@db/crm?sslmode=require&PASSWORD=hunter2&connect_timeout=3", "hunter2"),
    ("mysql://ann@db/crm?Pwd=hunter2", "hunter2"),
    ("mssql://ann@db/crm?passwd=hunter2#x", "hunter2"),
    ("mysql://ann@db/crm?password=hun;ter2", "hun;ter2"),
    ("host=db port=5432 password=hunter2 user=ann", "hunter2"),  # libpq's settings
    ("cannot connect to 'postgresql://ann:s3cret@db/crm': refused", "s3cret"),
    ('{"source": "postgresql://ann:s3cret@db/crm"}', "s3cret"),  # as JSON holds it
]


@pytest.mark.parametrize(("text", "password"), WITH_PASSWORD)
def test_every_form_of_a_url_password_is_hidden(text, password):
    hidden = redact(text)
    assert password not in hidden and "***" in hidden
    assert hidden == redact(hidden)


def test_what_is_not_a_password_is_left_as_it_is():
    for text in [
        "postgresql://ann@db:5432/crm",
        "postgresql://db:5432/crm?sslmode=require",
        "postgresql://ann:${CRM_PASSWORD}@db/crm",  # a reference names no secret
        "postgresql://ann@db/crm?password=${CRM_PASSWORD}",
        "/home/ann/exports/crm.duckdb",
        "no region 'EMEA' in demo database",
    ]:
        assert redact(text) == text
    assert redact("postgresql://ann:s3cret@db/crm") == "postgresql://ann:***@db/crm"
    assert SourceSpec.resolve("postgresql://ann@db/crm?password=x").label.endswith("=***")


@pytest.mark.parametrize(("text", "password"), WITH_PASSWORD)
def test_a_reference_stands_for_the_password_and_expands_back(text, password):
    shown, values = referenced(text)
    assert password not in shown and "${SALESOPS_SOURCE_PASSWORD}" in shown
    assert values == {"SALESOPS_SOURCE_PASSWORD": password}
    assert expand(shown, values) == text
    assert redact(shown) == shown  # nothing left to hide


def test_two_passwords_get_two_variables_and_a_missing_one_is_named():
    shown, values = referenced("postgresql://ann:one@db/crm?password=two")
    assert values == {"SALESOPS_SOURCE_PASSWORD": "one", "SALESOPS_SOURCE_PASSWORD_2": "two"}
    assert referenced("postgresql://ann:${X}@db/crm") == ("postgresql://ann:${X}@db/crm", {})
    with pytest.raises(ConfigError, match=r"refers to \$\{SALESOPS_SOURCE_PASSWORD_2\}, which"):
        expand(shown, {"SALESOPS_SOURCE_PASSWORD": "one"})


def test_scrub_removes_a_secret_as_typed_and_as_json_writes_it():
    text = 'connect failed for pa"ss\\word, or "pa\\"ss\\\\word" in JSON'
    assert scrub(text, ['pa"ss\\word']) == 'connect failed for ***, or "***" in JSON'
    assert scrub("nothing", ["", "x"]) == "nothing"
