"""Print quality of a rendered report, read back from its PDF as text boxes (pdfplumber).

A page fails when
- text runs past the right margin (the ``@page`` margin of the report template, 14 mm);
- a table row is taller than a few lines of text (a cell wrapped into a column);
- a heading is the last thing on it (its section starts on the next page);
- it is less than a quarter full and is not the last page;
- a word a reader sees is a machine value: a snake_case name, ``nan``, ``None``,
  ``True``, ``False`` or ``NaT``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber

MM = 72 / 25.4
MARGIN = {"top": 16 * MM, "right": 14 * MM, "bottom": 18 * MM}
SLACK = 1.0  # points: glyph boxes may overhang their line box by a hair
MACHINE = re.compile(r"^(?:[a-z][a-z0-9]*_[a-z0-9_]+|nan|NaN|None|True|False|NaT|<NA>)$")
TALL_ROW = 4  # lines of text in one table cell
LINE = 14  # points: one line of table text with its share of padding
NARROW = 100  # points
STRIPE = (0.956863, 0.964706, 0.968627)  # #f4f6f7, the odd rows of a table
HEADING_SIZE = 13  # points: h2 and up; body text is 10 pt, tables 9 pt


def problems(pdf: str | Path) -> list[str]:
    """Every print-quality problem of ``pdf``, as "page N: what" lines."""
    found = []
    with pdfplumber.open(pdf) as doc:
        pages = list(doc.pages)
        for number, page in enumerate(pages, 1):
            body = _body_lines(page)
            found += [f"page {number}: {p}" for p in _page_problems(page, body)]
            if number < len(pages) and _fill(page, body) < 0.25:
                found.append(f"page {number}: only {_fill(page, body):.0%} full")
    return found


def _body_lines(page: pdfplumber.page.Page) -> list[list[dict]]:
    """The page's words grouped into lines, top to bottom, without the running header and
    footer (they sit in the margins)."""
    words = page.extract_words(extra_attrs=["size"], keep_blank_chars=False)
    inside = [
        w for w in words if MARGIN["top"] - 2 < w["top"] and w["bottom"] < page.height - 12 * MM
    ]
    lines: list[list[dict]] = []
    for word in sorted(inside, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) < 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


def _page_problems(page: pdfplumber.page.Page, lines: list[list[dict]]) -> list[str]:
    found = []
    right = page.width - MARGIN["right"] + SLACK
    past = [w["text"] for line in lines for w in line if w["x1"] > right]
    if past:
        found.append(f"text past the right margin: {past[:5]}")
    machine = sorted({w["text"] for line in lines for w in line if MACHINE.match(w["text"])})
    if machine:
        found.append(f"machine values: {machine[:8]}")
    below = max((i["bottom"] for i in page.images), default=0)  # a chart under the heading
    if lines and max(w["size"] for w in lines[-1]) >= HEADING_SIZE and lines[-1][0]["top"] > below:
        found.append(f"ends with the heading {' '.join(w['text'] for w in lines[-1])!r}")
    found += _tall_rows(page)
    return found


def _tall_rows(page: pdfplumber.page.Page) -> list[str]:
    """Table rows taller than TALL_ROW lines: the striped rows of the report's tables are
    shaded rectangles, one per row."""
    rows = [
        r
        for r in page.rects
        if r.get("fill") and _close(r["non_stroking_color"], STRIPE) and r["width"] > NARROW
    ]  # a narrower stripe is a group label spanning rows, not a row
    return [
        f"a table row {r['height']:.0f} pt tall at {r['top']:.0f} pt"
        for r in rows
        if r["height"] > TALL_ROW * LINE
    ]


def _close(colour: tuple | list | None, target: tuple[float, ...]) -> bool:
    return (
        colour is not None
        and len(colour) == 3
        and max(map(abs, map(float.__sub__, map(float, colour), target))) < 0.01
    )


def _fill(page: pdfplumber.page.Page, lines: list[list[dict]]) -> float:
    """How far down the usable page the content reaches, images included."""
    bottoms = [max(w["bottom"] for w in line) for line in lines]
    bottoms += [i["bottom"] for i in page.images]
    usable = page.height - MARGIN["top"] - MARGIN["bottom"]
    return (max(bottoms, default=MARGIN["top"]) - MARGIN["top"]) / usable
