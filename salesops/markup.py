"""Data is never markup: a CRM value escaped for where it lands.

A CRM is edited by hundreds of people and fed by web forms, so any value in it (a
segment, a product, a lead source, a region, a rep's or an account's name) may hold
markup. Every value that reaches an output passes through one function of this module,
chosen by where it lands:

==================  ===============================================================
:func:`html`        HTML text and quoted attribute values (``&``, ``<``, ``>``, quotes)
:func:`markdown`    a Markdown line: every ASCII punctuation mark backslash-escaped,
                    line breaks as spaces, so no value becomes a link, an image, a
                    heading, emphasis or raw HTML
:func:`css_string`  the inside of a double-quoted CSS string (the printed page's
                    running header): anything but letters, digits, spaces and a few
                    marks as a hexadecimal escape, so no value ends the string, the
                    rule or the ``<style>`` element
:func:`csv_cell`    a CSV cell a spreadsheet opens: text starting with ``=``, ``+``,
                    ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (the
                    OWASP rule against formula injection); numbers stay numbers
:func:`header`      one line of a mail header: control characters as spaces
:func:`terminal`    text a command prints: each control character named (``<U+001B>``),
                    so no value moves the cursor, clears the screen, sets the window's
                    title or turns the rest of a line around
==================  ===============================================================

Tables go through pandas Styler with ``escape="html"`` (:func:`salesops.reports.formatting.table`),
the notebook template's header through Jinja's ``e`` and :func:`css_string`, the portal
through an autoescaping Jinja environment. ``docs/security.md`` lists each defence with
the test that proves it.
"""

from __future__ import annotations

import html as _html
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas only for csv_frame: the CLI's errors import this module
    import pandas as pd

_MARKDOWN = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark
_CSS_SAFE = re.compile(r"[A-Za-z0-9 .,:;_\-/()\u00a0-\ufffd]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
# What a terminal may act on: C0 and C1 controls (ESC, CSI), line and paragraph
# separators, and the text-direction controls.
_TERMINAL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def html(value: Any) -> str:
    """``value`` as HTML text or a quoted attribute value.

    >>> html('"><img src=x onerror=alert(1)>')
    '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'
    """
    return _html.escape(str(value), quote=True)


def markdown(value: Any) -> str:
    """``value`` as literal text in a Markdown line: every ASCII punctuation mark
    backslash-escaped (CommonMark allows it for all of them), line breaks as spaces.

    >>> markdown("[x](javascript:alert(1))")
    '\\\\[x\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\)'
    """
    return _MARKDOWN.sub(r"\\\1", " ".join(str(value).split()))


def css_string(value: Any) -> str:
    """``value`` as the inside of a double-quoted CSS string: letters, digits, spaces,
    ``. , : ; _ - / ( )`` and characters past Latin-1's controls as they are, any other
    as a hexadecimal escape ended by a space (``<`` is ``\\3C``; CSS reads the one space
    after an escape as its end). No value can end the string, the declaration or the
    ``<style>`` element.

    >>> css_string('</style> "x"')
    '\\\\3C /style\\\\3E  \\\\22 x\\\\22 '
    """
    return "".join(c if _CSS_SAFE.fullmatch(c) else f"\\{ord(c):X} " for c in str(value))


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet shows as text, not a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading single quote, unless the whole text is a number (``-500`` stays ``-500``);
    anything that is not text (a number, a date, a missing value) is returned as it is.

    >>> csv_cell('=HYPERLINK("http://x")'), csv_cell("-500"), csv_cell(-500.0)
    ('\\'=HYPERLINK("http://x")', '-500', -500.0)
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA):
        return value
    return value if _NUMBER.fullmatch(value) else "'" + value


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and column name through :func:`csv_cell` (a copy;
    numeric columns untouched): what ``to_csv`` of a published CSV gets."""
    from pandas.api import types

    safe = frame.copy()
    for i, dtype in enumerate(frame.dtypes):
        if not (types.is_numeric_dtype(dtype) or types.is_datetime64_any_dtype(dtype)):
            safe.isetitem(i, frame.iloc[:, i].map(csv_cell))
    safe.columns = [csv_cell(c) for c in frame.columns]
    return safe


def header(value: Any) -> str:
    """``value`` as one line of a mail header: control characters (line breaks, tabs) as
    spaces, each run of spaces as one, trimmed."""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def terminal(value: Any, keep: str = "") -> str:
    """``value`` as text a command prints: each control character but those in ``keep``
    named, so that a terminal shows it rather than acts on it.

    Examples
    --------
    >>> terminal("O3\x1b]0;pwned\x07")
    'O3<U+001B>]0;pwned<U+0007>'
    >>> terminal("two\nlines", keep="\n")
    'two\nlines'
    """
    return _TERMINAL.sub(
        lambda m: m.group() if m.group() in keep else f"<U+{ord(m.group()):04X}>", str(value)
    )
