"""Errors that salesops reports to people, not as tracebacks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field

from salesops.markup import terminal

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class RuleFailure:
    """One broken data rule: where, what, how often, and a few offending ids.

    Parameters
    ----------
    table, column
        Where the rule was checked (``column`` is ``"-"`` for table-level rules).
    rule
        The rule in plain words, e.g. ``"must be >= 0"``.
    count
        Number of offending rows.
    examples
        Up to five ids (or values) of offending rows.
    value
        The offending value itself, when one value breaks the rule in every row (an
        unmapped stage, say); the message then leads with it.
    rows
        The index labels of every offending row in the loaded frame, for setting them
        aside (``--on-invalid quarantine``); not shown.
    values
        Up to five of the offending values as the export writes them (unseen characters
        spelt out), shown after the example ids: ``such as "$10,000.00"``.
    """

    table: str
    column: str
    rule: str
    count: int
    _: KW_ONLY
    examples: tuple[str, ...] = field(default_factory=tuple)
    value: str | None = None
    rows: tuple[object, ...] = field(default=(), compare=False, repr=False)
    values: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        # an id holding a comma is quoted, so the list reads as its ids ("Kovacek, Hermiston
        # and McCullough" is one organization of the CRM and Sales Pipelines export)
        examples = [terminal(e) for e in self.examples[:MAX_EXAMPLES]]  # a CRM's ids
        shown = ", ".join(f'"{e}"' if "," in e else e for e in examples)
        more = ", ..." if len(self.examples) > MAX_EXAMPLES else ""
        if self.count == 0:  # a rule about the table's shape, not its rows
            tail = f" (found: {shown}{more})" if shown else ""
            return f"{self.table}.{self.column}: {self.rule}{tail}"
        rows = f"{self.count:,} {'row' if self.count == 1 else 'rows'}"
        tail = f" (e.g. {shown})" if shown else ""
        if self.values:
            tail += ", such as " + ", ".join(f'"{v}"' for v in self.values[:MAX_EXAMPLES])
        if self.value is not None:
            named = f'{self.column} "{terminal(self.value)}" ({rows})'
            return f"{self.table}.{self.column}: {named} {self.rule}{tail}"
        return f"{self.table}.{self.column}: {self.rule}: {rows}{tail}"


class SalesopsError(Exception):
    """Base class of errors that the CLI prints without a traceback."""


class ConfigError(SalesopsError):
    """A parameter, plan, stage or mapping file is missing or malformed."""


class DataError(SalesopsError):
    """Source data breaks one or more rules of the data model.

    Every failed rule is collected before raising, so one run shows them all.
    """

    def __init__(self, failures: Sequence[RuleFailure], source: str = "") -> None:
        self.failures = list(failures)
        self.source = source
        super().__init__(self.report())

    def reason(self) -> str:
        """The failures in one line, for a number they leave unknown: "rep R7 needs a
        positive quota for every month paid on (2026-10)"."""
        return "; ".join(
            f"{f.rule} ({', '.join(map(str, f.examples))})" if f.examples else f.rule
            for f in self.failures
        )

    def report(self) -> str:
        """The failures as a readable, one-rule-per-line report."""
        where = f" in {self.source}" if self.source else ""
        head = f"{len(self.failures)} data rule(s) failed{where}:"
        return "\n".join([head, *(f"  - {failure}" for failure in self.failures)])
