"""Counted nouns in the reports' sentences: "1 month", "3 months", never "1 months"."""

from __future__ import annotations


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``n`` and ``noun``, in the plural (``many``, else ``noun`` + "s") unless ``n`` is 1.

    Examples
    --------
    >>> plural(1, "month"), plural(3, "month"), plural(2, "deal won", "deals won")
    ('1 month', '3 months', '2 deals won')
    """
    return f"{n:,} {noun if n == 1 else many or noun + 's'}"


def listed(items: list[str], most: int = 4) -> str:
    """Items for a sentence: "2026-03, 2026-08", or the first ``most`` and how many more
    ("2026-01, 2026-02, 2026-03, 2026-04 and 2 more")."""
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")
