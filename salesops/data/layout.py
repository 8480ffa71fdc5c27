"""How an export file is laid out around its rows: a report's footer below them, and
headers that name more than one column.

A CRM's report export may end with lines about the report, below its rows. Salesforce's
report export writes a blank line, then its copyright, "Confidential Information - Do Not
Distribute", who generated the report and when, and the company's name, one quoted field
per line. Read as rows, these lines break every rule of the table; worse, the CSV reader
then cannot tell the file's delimiter, and reads it as one column named after the whole
header line.

The rule: the last lines of a CSV file, from a blank line on, each of which holds one field
(no delimiter outside quotes) are a footer when the header holds two fields or more and one
of those lines is not blank. The file is read without them, and ``salesops validate`` says
so, quoting the footer's first line (:attr:`Footer.note`). A footer that does not start
with a blank line is not guessed at: if the reader then finds one column, the file is
refused with what to delete (:func:`one_column`). The last rows of a workbook's sheet are
a footer by the same rule, a row with one cell filled for a line (:func:`of_sheet`).

Two columns under one header (a second ``amount``) are read as the first, and
``salesops validate`` warns (:func:`repeated_headers`).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

TAIL = 64 * 2**10  # the bytes at the end of a file in which a footer is looked for
DELIMITERS = b",;\t|"


@dataclass(frozen=True)
class Footer:
    """The footer of a CSV file or a sheet: where it starts (the byte of a file, the row of a
    sheet), and its lines of text."""

    start: int
    lines: tuple[str, ...]

    def note(self, name: str) -> str:
        """One line for ``salesops validate``."""
        shown = _cut(self.lines[0])
        count = len(self.lines)
        return (
            f"{name}: left out the {count} line{'s' if count != 1 else ''} of a report's "
            f'footer below its rows ("{shown}")'
        )


def find(path: Path, encoding: str | None = None) -> Footer | None:
    """The footer of the CSV file ``path`` (see the module), or None. Not looked for in
    UTF-16 files (:func:`_header`)."""
    header = _header(path, encoding)
    if header is None:
        return None
    delimiter = _delimiter(header)
    if _fields(header, delimiter) < 2:
        return None
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - TAIL))
        tail = f.read()
    lines = tail.split(b"\n")
    end = len(lines)
    while end > 1 and _fields(lines[end - 1], delimiter) == 1:
        end -= 1
    block = [line.rstrip(b"\r") for line in lines[end:]]
    text = [_text(line, encoding) for line in block]
    said = tuple(line for line in text if line)
    if end <= 1 or not block or text[0] or not said:  # no blank line above it, or nothing said
        return None
    start = size - len(tail) + len(b"\n".join(lines[:end])) + 1
    return Footer(start, said)


def of_sheet(frame: pd.DataFrame) -> Footer | None:
    """The footer of a workbook's sheet read as ``frame`` (see the module), or None."""
    if frame.shape[1] < 2:
        return None
    filled = frame.notna() & (frame.astype(str).apply(lambda c: c.str.strip()) != "")
    cells = filled.sum(axis=1).to_numpy()
    end = len(frame)
    while end > 0 and cells[end - 1] <= 1:
        end -= 1
    block = frame.iloc[end:]
    said = tuple(str(v).strip() for v in block.stack().dropna() if str(v).strip())
    if end == 0 or not said or cells[end] != 0:  # no blank row above it, or nothing said
        return None
    return Footer(end, said)


def one_column(headers: list[str]) -> str | None:
    """What is wrong with a CSV file read as one column whose name holds a delimiter (a
    line of it holds fewer fields than its header), or None."""
    if len(headers) != 1 or not any(d in headers[0] for d in ",;\t|"):
        return None
    shown = _cut(headers[0])
    return (
        f'was read as one column ("{shown}"): a line of it holds fewer fields than its '
        "header, as a report's footer or total line below the rows does; delete such lines"
    )


def repeated_headers(path: Path, encoding: str | None = None) -> list[str]:
    """The names that head more than one column of the CSV file ``path``, in order (its
    reader names the second ``amount`` ``amount_1``, and a source reads the first)."""
    line = _header(path, encoding)
    if line is None:
        return []
    text = line.rstrip(b"\r\n").decode(encoding or "utf-8", errors="replace")
    names = [n.strip() for n in next(csv.reader([text], delimiter=chr(_delimiter(line))), [])]
    counts = Counter(n for n in names if n)
    return [name for name, n in counts.items() if n > 1]


def _header(path: Path, encoding: str | None) -> bytes | None:
    """The header line of the CSV file ``path``, without a UTF-8 byte-order mark; None
    for a UTF-16 file (its bytes are not ASCII's)."""
    if encoding is not None and encoding.lower().startswith("utf-16"):
        return None
    with path.open("rb") as f:
        header = f.readline(TAIL).removeprefix(b"\xef\xbb\xbf")
    return None if header[:2] in (b"\xff\xfe", b"\xfe\xff") else header


def _cut(text: str, most: int = 60) -> str:
    """``text`` cut to ``most`` characters, with an ellipsis when cut."""
    return text if len(text) <= most else f"{text[: most - 1]}…"


def _delimiter(header: bytes) -> int:
    """The delimiter of a CSV file, from its header line: the one that splits it most."""
    return max(DELIMITERS, key=lambda d: _fields(header, d))


def _fields(line: bytes, delimiter: int) -> int:
    """How many fields ``line`` holds, split at ``delimiter`` outside quotes; 0 when its
    quotes do not close (part of a field over several lines)."""
    quoted, fields = False, 1
    for byte in line:
        if byte == 34:  # "
            quoted = not quoted
        elif byte == delimiter and not quoted:
            fields += 1
    return 0 if quoted else fields


def _text(line: bytes, encoding: str | None) -> str:
    """A footer line as text, without its quotes and spaces ("" for a blank one)."""
    return line.decode(encoding or "utf-8", errors="replace").strip().strip('"').strip()
