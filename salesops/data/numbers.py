"""Numbers written as text: one decimal mark and one currency per column, read from all of
its values.

A CSV saved from a spreadsheet or a CRM's formatted report often writes amounts as money:
``$10,000.00``, ``USD 10,000.00``, ``10 000,00 €``, ``€1.234,50``, ``(1,234.00)``. Read value
by value, ``1,234`` would be a thousand and more in one row and a one-and-a-bit in the next.
So a column is read with ONE convention, decided from all of its values (of the whole
export column, also when a region's or a rep's rows are loaded):

- ``1,234.50``: commas (or spaces) between thousands, a decimal point;
- ``1.234,50``: points (or spaces) between thousands, a decimal comma.

A value may carry, around the number:

- a currency, before or after it, with or without a space: a symbol (``$``, ``€``, ``£``,
  ``¥``, ``₹``, ...; ``US$``, ``R$``), or an ISO code of three capital letters (``USD``,
  ``EUR``). The currency is dropped: nothing is converted;
- spaces between thousands, no-break (U+00A0) and narrow no-break (U+202F) ones too;
- a leading minus (``-1,234.00``, ``-$1,234.00``, ``$-1,234.00``) or accounting parentheses
  (``(1,234.00)``) for a negative number.

Plain numbers (``10000``, ``10000.5``, ``1e6``, ``inf``) read as they always did, in either
convention. The column's convention is the one that reads the most of its values, and a
value is read strictly in it, never guessed: in a ``1.234,50`` column ``12.5`` is not a
number. What is not read is said, as broken rules with their rows and values
(:meth:`Numbers.rules`; ``salesops.data.validation`` reports them):

- a value that reads only in the other convention (``12,5`` in a column of ``1,234.50``):
  "must be written with the column's one decimal mark";
- a column written as money (a currency, separators, parentheses) whose values read in
  both conventions with different results, and no value tells which (only ``$10,000`` and
  ``$2,500``; ``10.000 €``), reads its one mark as between thousands: money is not written
  to three decimals. A value with decimals after the thousands (``1,234.50``), a decimal
  mark with other than three digits after it (``12,5``) or two groups (``1,234,567``)
  tells otherwise. Only when such values disagree (``10,000`` and ``10.000``), or are plain
  numbers, is the column not read: "could be read with either decimal mark";
- a column whose values carry more than one currency (``$`` and ``€``, ``USD`` and ``EUR``;
  ``$`` and ``USD`` too, as ``$`` may be another dollar): "holds amounts in more than one
  currency", naming them with their rows; nothing of it is read, as its sum would add one
  currency to another;
- any other value: "must be a number".

Values that the engine already typed as numbers (a database's ``NUMERIC``, a CSV column of
plain numbers) are not read here: they are numbers.

Where salesops asks the engine about amounts in SQL, the engine's ``TRY_CAST`` would read
no money text; the answers that decide facts about the source read it as here instead:
whether lost deals are priced at 0 only (:func:`salesops.data.amounts.priced_lost`), and, for
``salesops map``, which column holds numbers and amounts and whether it is nearly always 0
(:func:`salesops.data.profiles.zeros`). The others need not: a default value of an amount
is cast to a number only when the export's column is typed as one (else it is text, read
here), and a stage's probability or sequence number (:mod:`salesops.data.evidence`,
:mod:`salesops.data.profiles`) is no amount.
"""

from __future__ import annotations

import math
import re
from dataclasses import KW_ONLY, dataclass

import numpy as np
import pandas as pd

POINT = "1,234.50"  # commas (or spaces) between thousands, a decimal point
COMMA = "1.234,50"  # points (or spaces) between thousands, a decimal comma
MARKS = {POINT: ("point", ",", "."), COMMA: ("comma", ".", ",")}  # name, groups, decimals
# ``frame.attrs`` key: the Format of each text number column, read on the whole export
# column by the source (a scope's slice may hold only values such as "1,234").
NUMBER_FORMATS = "salesops_number_formats"
SHOWN = 3  # values a rule quotes

SPACES = str.maketrans({c: " " for c in "\u00a0\u202f\u2007\u2009\u2008\u200a"} | {"\u2212": "-"})
SYMBOLS = "$€£¥₹₩₽₺₪₫₴₦₱฿₡₲₵₸₼₾"
CURRENCY = rf"(?:[A-Z]{{1,3}}\$|[A-Z]{{3}}|[{SYMBOLS}])"
WRITTEN = re.compile(
    rf"(?P<s1>[-+]?) *(?P<pre>{CURRENCY})? *(?P<s2>[-+]?) *"
    r"(?P<body>(?:\d[\d., ]*|[.,]\d+)(?:[eE][-+]?\d+)?|(?i:inf(?:inity)?)) *"
    rf"(?P<post>{CURRENCY})?",
    re.ASCII,
)
PLAIN = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?i:inf(?:inity)?)", re.ASCII)


def _grammar(groups: str, decimal: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A value's number without sign or currency in one convention: grouped thousands (one
    separator throughout, ``groups`` or a space), or digits alone (maybe with an exponent)."""
    g, d = re.escape(groups), re.escape(decimal)
    grouped = re.compile(rf"\d{{1,3}}(?P<g>[{g} ])\d{{3}}(?:(?P=g)\d{{3}})*(?:{d}\d*)?", re.ASCII)
    plain = re.compile(rf"(?:\d+(?:{d}\d*)?|{d}\d+)(?:[eE][-+]?\d+)?", re.ASCII)
    return grouped, plain


GRAMMAR = {mark: _grammar(groups, decimal) for mark, (_, groups, decimal) in MARKS.items()}


@dataclass(frozen=True)
class Format:
    """How a column of numbers is written, read on all of its values (for the rows of a
    part of it, and for ``salesops validate``'s note).

    ``mark`` is :data:`POINT` or :data:`COMMA` (None when no value tells, or none reads);
    ``currencies`` the currencies its values carry with their rows, most first;
    ``example`` a value written with more than digits (a currency, separators,
    parentheses, a decimal comma), None when every value is a plain number.
    """

    mark: str | None = None
    currencies: tuple[tuple[str, int], ...] = ()
    example: str | None = None

    def note(self, where: str) -> str | None:
        """What ``salesops validate`` says of a column written so, or None for plain numbers.

        >>> Format(POINT, (("$", 9),), "$10,000.00").note("opportunities.amount")
        'opportunities.amount is written as money ("$10,000.00"): read as numbers with a decimal point, $ dropped (no conversion)'
        """  # noqa: E501
        if self.example is None or len(self.currencies) > 1:
            return None
        money = "money" if self.currencies else "text"
        said = f'{where} is written as {money} ("{self.example}"): read as numbers'
        if self.mark is not None:
            said += f" with a decimal {MARKS[self.mark][0]}"
        if self.currencies:
            said += f", {self.currencies[0][0]} dropped (no conversion)"
        return said


@dataclass(frozen=True)
class Numbers:
    """A text column read as numbers.

    ``values`` holds the numbers (NaN where not read); ``format`` how the column is written;
    ``mismatch`` marks the values that read only with the other decimal mark, ``ambiguous``
    the values of a column that reads with both marks alike, ``mixed`` those of a column of
    several currencies; ``text`` is the column as written.
    """

    values: pd.Series
    format: Format
    _: KW_ONLY
    mismatch: pd.Series
    ambiguous: pd.Series
    mixed: pd.Series
    text: pd.Series
    differ: pd.Series  # the values that read in both conventions as different numbers

    def rules(self) -> list[tuple[str, pd.Series]]:
        """The broken rules, as (rule in plain words, rows that break it)."""
        out = []
        if self.mixed.any():
            held = ", ".join(f'"{c}" ({_rows(n)})' for c, n in self.format.currencies)
            rule = (
                f"holds amounts in more than one currency ({held}): not read, as their sum "
                "would add one currency to another; convert them to one, or map a column "
                "that holds one"
            )
            out.append((rule, self.mixed))
        if self.ambiguous.any():
            rule = (
                "could be read with either decimal mark: no value tells whether "
                f"{_quoted(self.text[self.differ])} have a comma between thousands or a "
                'decimal comma; write them with their decimals ("1,234.00" or "1.234,00")'
            )
            out.append((rule, self.ambiguous))
        if self.mismatch.any() and self.format.mark is not None:
            name = MARKS[self.format.mark][0]
            rule = (
                f"must be written with the column's one decimal mark, a decimal {name} "
                f"({self.format.mark}), not as {_quoted(self.text[self.mismatch])}"
            )
            out.append((rule, self.mismatch))
        return out


def typed(
    raw: pd.Series, known: Format | None = None
) -> tuple[pd.Series, list[tuple[str, pd.Series]]]:
    """``raw`` as float64 numbers, with the broken rules of its text (:func:`read`);
    values the engine typed as numbers are taken as they are."""
    if pd.api.types.is_numeric_dtype(raw):
        return pd.to_numeric(raw, errors="coerce").astype("float64"), []
    read_ = read(raw, known)
    return read_.values, read_.rules()


def read(text: pd.Series, known: Format | None = None) -> Numbers:
    """Read a column of numbers written as text with one format (see the module).

    ``known`` is the format read on the whole column, when ``text`` is a part of it (a
    region's rows, which may hold only values such as ``1,234`` that do not tell the
    decimal mark on their own, or only one of the whole column's currencies).

    Returns float64 numbers, NaN for missing, unread and unreadable values.
    """
    numeric = pd.Series(np.nan, index=text.index)
    if pd.api.types.is_object_dtype(text):  # numbers among text (a workbook's cells)
        is_number = text.map(lambda v: isinstance(v, (int, float, np.number)))
        numeric = pd.to_numeric(text.where(is_number), errors="coerce").astype("float64")
        text = text.where(~is_number)
    text = text.astype("str").str.strip().where(text.notna())
    text = text.where(text != "")
    codes, distinct = pd.factorize(text)  # each value read once; -1 where missing
    rows = np.bincount(codes[codes >= 0], minlength=len(distinct))
    found = _decide([str(v) for v in distinct], rows, known)
    fmt, values, mismatch, ambiguous, mixed, differ = found

    def by_row(per_value: np.ndarray, missing: float | bool = False) -> pd.Series:
        return pd.Series(np.append(per_value, missing)[codes], index=text.index)

    return Numbers(
        by_row(values, np.nan).fillna(numeric),
        fmt,
        mismatch=by_row(mismatch),
        ambiguous=by_row(ambiguous),
        mixed=by_row(mixed),
        text=text,
        differ=by_row(differ),
    )


def column_format(values: pd.Series, rows: pd.Series) -> Format:
    """The :class:`Format` of a whole column from its distinct ``values`` as text and the
    ``rows`` of each."""
    written = [str(v).strip() for v in values]
    return _decide(written, np.asarray(rows, dtype="int64"), None)[0]


def _decide(
    written: list[str], rows: np.ndarray, known: Format | None
) -> tuple[Format, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For distinct values and their rows: the format, and per value its number, whether
    it reads only in the other convention, is ambiguous, in a column of mixed currencies,
    and reads in both conventions differently."""
    parsed = [_parse(v) for v in written]
    number = {m: np.array([p[0][m] for p in parsed], dtype="float64") for m in MARKS}
    read_in = {m: ~np.isnan(v) for m, v in number.items()}
    both = read_in[POINT] & read_in[COMMA]
    differ = both & ~np.isclose(number[POINT], number[COMMA], equal_nan=True)
    counts = {m: int(rows[r].sum()) for m, r in read_in.items()}
    currencies: dict[str, int] = {}
    for (_, currency, _), n in zip(parsed, rows, strict=True):
        if currency is not None:
            currencies[currency] = currencies.get(currency, 0) + int(n)
    held = tuple(sorted(currencies.items(), key=lambda c: (-c[1], c[0])))
    fancy = [(-int(n), v) for v, p, n in zip(written, parsed, rows, strict=True) if p[2]]
    example = min(fancy)[1] if fancy else None  # the most frequent, then the first in order
    if known is not None:
        held = known.currencies or held
        example = known.example or example
    none = np.zeros(len(written), dtype=bool)
    readable = read_in[POINT] | read_in[COMMA]
    if len(held) > 1:  # several currencies: nothing of it is read
        nan = np.full(len(written), np.nan)
        return Format(None, held, example), nan, none, none, rows > 0, differ
    mark: str | None = known.mark if known is not None else None
    if mark is None:
        if counts[COMMA] > counts[POINT]:
            mark = COMMA
        elif counts[POINT] > counts[COMMA] or (counts[POINT] and not differ.any()):
            mark = POINT
        elif counts[POINT]:  # as many read either way, some differently: no value tells
            mark = _thousands(number, differ) if example is not None else None
            if mark is None:
                nan = np.full(len(written), np.nan)
                return Format(None, held, example), nan, none, readable, none, differ
    if mark is None:  # nothing reads as a number
        return Format(None, held, example), number[POINT], none, none, none, differ
    mismatch = readable & ~read_in[mark]
    return Format(mark, held, example), number[mark], mismatch, none, none, differ


def _thousands(number: dict[str, np.ndarray], differ: np.ndarray) -> str | None:
    """The convention in which every value that reads differently in the two reads as the
    larger number (``$10,000`` as ten thousand, not ten): its one mark, followed by three
    digits, is between thousands, as money is not written to three decimals. None when
    the values disagree (``10,000`` and ``10.000``)."""
    point, comma = np.abs(number[POINT][differ]), np.abs(number[COMMA][differ])
    if (point > comma).all():
        return POINT
    if (comma > point).all():
        return COMMA
    return None


def _parse(value: str) -> tuple[dict[str, float], str | None, bool]:
    """``value`` read in each convention (NaN where it does not read), its currency, and
    whether it is written with more than a plain number's characters."""
    nan = {m: math.nan for m in MARKS}
    text = written = value.translate(SPACES).strip()
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1].strip()
    found = WRITTEN.fullmatch(text)
    if found is None:
        return nan, None, False
    signs = found["s1"] + found["s2"]
    currency = found["pre"] or found["post"]
    if len(signs) > 1 or (negative and signs) or (found["pre"] and found["post"]):
        return nan, None, False
    negative = negative or signs == "-"
    body = found["body"].strip()
    out = {m: _number(body, m) for m in MARKS}
    out = {m: -v if negative else v for m, v in out.items()}
    fancy = currency is not None or not PLAIN.fullmatch(written)
    return out, currency, fancy


def _number(body: str, mark: str) -> float:
    """``body`` (a number without sign or currency) read in convention ``mark``; NaN when
    it is not written in it."""
    _, groups, decimal = MARKS[mark]
    grouped, plain = GRAMMAR[mark]
    if grouped.fullmatch(body):
        body = body.replace(groups, "").replace(" ", "")
    elif not plain.fullmatch(body) and not re.fullmatch(r"(?i:inf(?:inity)?)", body):
        return math.nan
    return float(body.replace(decimal, "."))


def _rows(count: int) -> str:
    return f"{count:,} {'row' if count == 1 else 'rows'}"


def _quoted(values: pd.Series) -> str:
    shown = values.dropna().drop_duplicates().head(SHOWN)
    return ", ".join(f'"{v}"' for v in shown)
