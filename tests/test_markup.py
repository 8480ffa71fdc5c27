"""Data is never markup: each escape of :mod:`salesops.markup` on hostile values."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import css_unescaped

from salesops import markup


def test_csv_cells_are_neutralised_and_numbers_kept():
    frame = pd.DataFrame(
        {"name": ["=1+1", "+x", "-x", "@x", "\tx", "\rx", "a=b", "-5", "+1.5e3"], "n": -1.0}
    )
    safe = markup.csv_frame(frame)
    assert safe["name"].tolist() == [
        "'=1+1", "'+x", "'-x", "'@x", "'\tx", "'\rx", "a=b", "-5", "+1.5e3"
    ]  # fmt: skip
    assert (safe["n"] == -1.0).all() and frame["name"][0] == "=1+1"  # the frame is untouched


def test_markdown_and_css_escapes():
    assert markup.markdown("[x](javascript:alert(1))") == r"\[x\]\(javascript\:alert\(1\)\)"
    assert markup.markdown("a\n# b\n\n===") == r"a \# b \=\=\="
    escaped = markup.css_string('a"\\\n</style>')
    assert re.fullmatch(r"(?:[a-z/]|\\[0-9A-F]{1,6} )*", escaped)
    assert css_unescaped(escaped) == 'a"\\\n</style>'


def test_a_mail_header_value_is_one_line():
    assert markup.header("Alice\r\nBcc: all@example.com\t x") == "Alice Bcc: all@example.com x"


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('"><img src=x onerror=alert(1)>', "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        ("O'Brien & Sons", "O&#x27;Brien &amp; Sons"),
        ("&amp;", "&amp;amp;"),  # an entity stays text, escaped again
        (42, "42"),
    ],
)
def test_html_escapes_text_and_quoted_attributes(value, escaped):
    assert markup.html(value) == escaped


def test_markdown_escapes_every_mark_and_folds_lines():
    assert markup.markdown("<script>x</script>") == r"\<script\>x\<\/script\>"
    assert markup.markdown("*a* _b_ `c` |d| {{7*7}}") == (r"\*a\* \_b\_ \`c\` \|d\| \{\{7\*7\}\}")
    assert markup.markdown("  one\r\n\ttwo  ") == "one two"  # whitespace runs: one space
    assert markup.markdown("Zoë 42") == "Zoë 42"  # letters, digits, non-ASCII: as they are


def test_css_string_escapes_what_could_end_the_string_the_rule_or_the_element():
    hostile = '</style><script>alert("x")</script>;}'
    escaped = markup.css_string(hostile)
    assert not set('<>"\\{}').intersection(escaped.replace("\\", ""))  # only escapes left
    assert css_unescaped(escaped) == hostile
    assert markup.css_string("Sales metrics · East 2026-Q3 (A/B), Zoë") == (
        "Sales metrics · East 2026-Q3 (A/B), Zoë"
    )  # the safe marks, spaces and non-ASCII letters pass
    assert markup.css_string("a\nb") == "a\\A b"  # a line break: escaped, the string goes on


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("+", "'+"),
        ("-", "'-"),
        ("-2+3", "'-2+3"),  # an expression, not a number
        ("-1e5\n", "'-1e5\n"),  # a number followed by more is not a number
        ("1e5", "1e5"),  # no formula mark: as it is
        (" =1+2", " =1+2"),  # starts with a space: a spreadsheet shows it as text
        ("-.5", "-.5"),
        ("+12.", "+12."),
        (-7, -7),
        (None, None),
    ],
)
def test_csv_cell_quotes_formulas_and_keeps_numbers(value, cell):
    assert markup.csv_cell(value) == cell


def test_csv_frame_neutralises_column_names_and_text_keeps_numbers_dates_and_missing_values():
    frame = pd.DataFrame(
        {
            "=name": ["=1+2", None],
            "amount": [-5.0, np.nan],
            "day": pd.to_datetime(["2026-01-01", None]),
            "mixed": ["-x", -3],
        }
    )
    safe = markup.csv_frame(frame)
    assert list(safe.columns) == ["'=name", "amount", "day", "mixed"]
    assert safe.at[0, "'=name"] == "'=1+2" and pd.isna(safe.at[1, "'=name"])
    assert safe["mixed"].tolist() == ["'-x", -3]  # in a text column, a number stays a number
    assert safe["amount"].equals(frame["amount"]) and safe["day"].equals(frame["day"])
    assert frame.columns[0] == "=name"  # a copy: the frame is untouched
    text = safe.to_csv(index=False)
    assert not re.search(r"(^|,)[=+@]", text, re.MULTILINE)  # no cell opens as a formula


def test_a_header_value_never_breaks_the_line():
    assert markup.header("  a\r\n\r\nb\x00c\x7fd\u2028e\u2029f  ") == "a b c d e f"
    # a right-to-left override would show "Review for R1\u202e fdp.exe" reversed
    assert markup.header("Review for R1\u202e4202\u2066x\u2069") == "Review for R1 4202 x"
    assert markup.header('Report for <script>"East"</script>') == (
        'Report for <script>"East"</script>'  # a header is text: nothing else to escape
    )


def test_what_a_command_prints_never_acts_on_the_terminal():
    """ESC and CSI (C0 and C1) sequences, a bell, a line separator and a text-direction
    override are named; what a caller keeps (a line break) stays."""
    hostile = "O3\x1b[2J\x1b]0;pwned\x07 \x9b31m \u2028 \u202eelbA\nnext"
    shown = markup.terminal(hostile, keep="\n")
    assert shown == (
        "O3<U+001B>[2J<U+001B>]0;pwned<U+0007> <U+009B>31m <U+2028> <U+202E>elbA\nnext"
    )
    assert markup.terminal("Zürich – €1,000") == "Zürich – €1,000"
