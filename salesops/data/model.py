"""The canonical sales data model: tables, their columns and their types.

This is the one description of the data that the contracts (``validation``), the
loaders (``sources``) and the documentation (``docs/data-model.md``) all derive from; how
the tables refer to each other is in :mod:`salesops.data.relations`.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from salesops.data.lookups import isin
from salesops.data.relations import REP_TABLES
from salesops.data.scopes import scope_deals

if TYPE_CHECKING:
    from salesops.data.scopes import Scope
    from salesops.data.stages import Stages

Kind = Literal["id", "text", "email", "date", "timestamp", "money", "count", "category"]

FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
SUBMISSION_CATEGORIES = ("commit", "best_case")
ROLES = ("rep", "manager")  # a person who sells, or one who leads people who do


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name
        Canonical column name.
    kind
        Logical type: ``id`` and ``text`` are strings, ``date`` is a calendar day,
        ``timestamp`` a moment, ``money`` a non-negative amount, ``count`` a
        non-negative number, ``category`` a string from a fixed set, ``email`` an
        address (``name@example.com``).
    description
        What the column means, for people.
    required
        The column must be present in the source (its values may still be null
        where ``nullable``).
    nullable
        Null values are allowed.
    unique
        Values must be unique within the table.
    """

    name: str
    kind: Kind
    description: str
    _: KW_ONLY
    required: bool = False
    nullable: bool = True
    unique: bool = False


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns, its id column and whether it is required."""

    name: str
    description: str
    columns: tuple[Column, ...]
    id_column: str
    _: KW_ONLY
    required: bool = False

    @property
    def column_names(self) -> list[str]:
        """Names of all columns, in canonical order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")


C = Column
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "opportunities",
            "One row per deal, in its current state.",
            (
                C(
                    "opportunity_id",
                    "id",
                    "Unique deal id.",
                    required=True,
                    nullable=False,
                    unique=True,
                ),
                C("account_id", "id", "The customer account."),
                C(
                    "owner_id",
                    "id",
                    "The rep who owns the deal (a rep_id).",
                    required=True,
                    nullable=False,
                ),
                C("region", "text", "Sales region of the deal.", required=True, nullable=False),
                C("segment", "text", "Customer segment, e.g. SMB or Enterprise."),
                C("product", "text", "Product or product family."),
                C("lead_source", "text", "Where the deal came from."),
                C(
                    "created_date",
                    "date",
                    "Day the deal was created.",
                    required=True,
                    nullable=False,
                ),
                C(
                    "close_date",
                    "date",
                    "Actual close day if closed, expected close day if open.",
                    required=True,
                    nullable=False,
                ),
                C(
                    "stage",
                    "category",
                    "Current stage, one of parameters/stages.yml.",
                    required=True,
                    nullable=False,
                ),
                C("amount", "money", "Deal value; null when not yet known."),
                C(
                    "forecast_category",
                    "category",
                    "pipeline, best_case, commit, closed or omitted.",
                ),
            ),
            "opportunity_id",
            required=True,
        ),
        Table(
            "opportunity_history",
            "One row per change of stage, amount, close date or forecast category, "
            "holding the deal's values after the change.",
            (
                C("opportunity_id", "id", "The deal that changed.", required=True, nullable=False),
                C(
                    "changed_at",
                    "timestamp",
                    "When the change was made.",
                    required=True,
                    nullable=False,
                ),
                C("stage", "category", "Stage after the change.", required=True, nullable=False),
                C("amount", "money", "Amount after the change."),
                C("close_date", "date", "Close date after the change."),
                C("forecast_category", "category", "Forecast category after the change."),
            ),
            "opportunity_id",
        ),
        Table(
            "reps",
            "One row per person who owns deals or manages those who do.",
            (
                C("rep_id", "id", "Unique person id.", required=True, nullable=False, unique=True),
                C("name", "text", "Full name.", required=True, nullable=False),
                C("region", "text", "Home region.", required=True, nullable=False),
                C("manager_id", "id", "rep_id of the manager; null at the top."),
                C("role", "category", "rep or manager; empty means rep."),
                C("email", "email", "Work email address, where their reports are delivered."),
                C("hire_date", "date", "First day."),
                C("end_date", "date", "Last day; null while employed."),
            ),
            "rep_id",
            required=True,
        ),
        Table(
            "quotas",
            "Quota per rep and month.",
            (
                C("rep_id", "id", "The rep.", required=True, nullable=False),
                C("month", "date", "First day of the quota month.", required=True, nullable=False),
                C(
                    "amount",
                    "money",
                    "Bookings quota for that month.",
                    required=True,
                    nullable=False,
                ),
            ),
            "rep_id",
        ),
        Table(
            "leads",
            "Inbound and outbound leads and what became of them.",
            (
                C("lead_id", "id", "Unique lead id.", required=True, nullable=False, unique=True),
                C(
                    "created_at",
                    "timestamp",
                    "When the lead arrived.",
                    required=True,
                    nullable=False,
                ),
                C("source", "text", "Lead source."),
                C("owner_id", "id", "The rep the lead was routed to."),
                C("first_response_at", "timestamp", "First touch; null if never answered."),
                C("converted_at", "timestamp", "When it became a deal; null if not."),
                C("opportunity_id", "id", "The deal it became; null if not converted."),
            ),
            "lead_id",
        ),
        Table(
            "activities",
            "Logged rep activities (calls, emails, meetings, admin, ...).",
            (
                C(
                    "activity_id",
                    "id",
                    "Unique activity id.",
                    required=True,
                    nullable=False,
                    unique=True,
                ),
                C("rep_id", "id", "Who did it.", required=True, nullable=False),
                C("started_at", "timestamp", "When it started.", required=True, nullable=False),
                C(
                    "kind",
                    "text",
                    "Kind of activity; selling kinds are configured.",
                    required=True,
                    nullable=False,
                ),
                C("minutes", "count", "Duration in minutes.", required=True, nullable=False),
                C("opportunity_id", "id", "The deal it was for, if any."),
            ),
            "activity_id",
        ),
        Table(
            "forecast_submissions",
            "Forecasts that reps submitted for a period.",
            (
                C("owner_id", "id", "The rep who submitted.", required=True, nullable=False),
                C(
                    "period",
                    "text",
                    "The forecast period, e.g. 2026-10 or 2026-Q4.",
                    required=True,
                    nullable=False,
                ),
                C(
                    "submitted_at",
                    "timestamp",
                    "When it was submitted.",
                    required=True,
                    nullable=False,
                ),
                C("category", "category", "commit or best_case.", required=True, nullable=False),
                C("amount", "money", "The forecast amount.", required=True, nullable=False),
            ),
            "owner_id",
        ),
    )
}
del C

# The tables every source must have.
REQUIRED = tuple(name for name, table in TABLES.items() if table.required)

# What a report section needs of the stage list: an open stage to show open deals (an export
# of won or closed deals only has none, and its pipeline is unknown, not $0); lost deals for
# a win rate (a lost stage, and a lost deal in the source: an export of won deals only
# would win 100% by construction); a stage marked ``qualified`` to count qualified pipeline
# (:meth:`Tables.has`; :data:`salesops.data.coverage.SECTIONS`).
OPEN_DEALS = "stages.open"
LOST_DEALS = "stages.lost"
QUALIFIED_DEALS = "stages.qualified"
STAGE_NEEDS = (OPEN_DEALS, LOST_DEALS, QUALIFIED_DEALS)
# Absent when the whole source holds no closed deal (no section needs it: a scope's reasons
# say "no deal in West has closed yet" only of a source that holds some).
CLOSED_DEALS = "stages.closed"


def stage_need_held(what: str, stages: Stages) -> bool:
    """Whether ``stages`` has what :data:`STAGE_NEEDS` entry ``what`` asks for."""
    names = {
        OPEN_DEALS: stages.open_names,
        LOST_DEALS: stages.lost_names,
        QUALIFIED_DEALS: stages.qualified_names,
    }
    return bool(names[what])


@dataclass
class Tables:
    """The canonical tables for one scope and period.

    Optional tables that the source does not have are ``None``; a report section
    that needs one says so instead of failing.

    ``filled`` counts, per ``table.column``, the values the source file's defaults filled
    (with the rules); ``filled_ids`` names the rows (by the table's id column) whose value
    a default invented (a constant, or a date moved by `plus`): a stale-deal flag does not
    count a close date a default invented; ``invented`` holds the same rows per rule, by
    what the rule did ("created date + 30 days"), so that a figure resting on them can say
    so. ``reopened`` holds the deals that closed after
    the period's end and were open at it (each deal is as it stood at the period's end:
    :func:`salesops.data.history.deals_as_of`),
    ``stage_unknown`` those of them with no stage history row before the period's end,
    whose stage then is unknown.
    """

    opportunities: pd.DataFrame
    reps: pd.DataFrame
    opportunity_history: pd.DataFrame | None = None
    quotas: pd.DataFrame | None = None
    _: KW_ONLY
    leads: pd.DataFrame | None = None
    activities: pd.DataFrame | None = None
    forecast_submissions: pd.DataFrame | None = None
    as_of: pd.Timestamp | None = field(default=None, compare=False)
    stages: Stages | None = field(default=None, compare=False)
    absent: frozenset[str] = field(default=frozenset(), compare=False)
    filled: dict[str, tuple[int, str]] = field(default_factory=dict, compare=False)
    filled_ids: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)
    invented: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict, compare=False)
    reopened: frozenset[str] = field(default=frozenset(), compare=False)
    stage_unknown: frozenset[str] = field(default=frozenset(), compare=False)
    set_aside: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False)

    def items(self) -> list[tuple[str, pd.DataFrame | None]]:
        """``(table name, frame)`` pairs, in the order of the fields (the two required tables
        first)."""
        return [(f.name, getattr(self, f.name)) for f in fields(self) if f.name in TABLES]

    def has(self, what: str) -> bool:
        """Whether the source holds ``what``: a table (``quotas``) or a column
        (``leads.first_response_at``) with at least one value in the whole source.

        A column the export lacks, or exports empty in every row, is not held: a report
        section that needs it says so rather than showing a number the data cannot
        support (a "100% never answered" from an export without response times).

        A :data:`STAGE_NEEDS` entry (:data:`OPEN_DEALS`...) is held when the tables' stages
        have such a stage (:func:`stage_need_held`; always, for tables that carry no stages:
        a past period's deals reopened with their stage unknown make an open one), and for
        :data:`LOST_DEALS` when the source holds a lost deal (an export of won deals only
        does not: the source finds it absent)."""
        if what in STAGE_NEEDS:
            listed = self.stages is None or stage_need_held(what, self.stages)
            return listed and not (what == LOST_DEALS and what in self.absent)
        table, _, column = what.partition(".")
        frame = getattr(self, table)
        if frame is None or what in self.absent or table in self.absent:
            return False
        return not column or column in frame

    def for_scope(self, scope: Scope | str) -> Tables:
        """The rows of ``scope``, as :func:`salesops.load` would load them for it.

        A region's deals are those of the region, with their history; its people are its
        reps and whoever owns one of its deals; quotas, leads, activities and forecasts
        are those of the reps whose home region it is. A rep's rows are their own.
        """
        from salesops.data.scopes import Scope

        scope = Scope.parse(scope)
        if scope.level == "company":
            return self
        o, reps = self.opportunities, self.reps
        aside = self.set_aside.get("opportunities", o.iloc[:0])  # none set aside: none
        deals = scope_deals(o, scope, self.stages, aside)
        if scope.level == "region":
            people = reps[(reps["region"] == scope.value) | reps["rep_id"].isin(deals["owner_id"])]
            owners = reps.loc[reps["region"] == scope.value, "rep_id"]
        else:
            people = reps[reps["rep_id"] == scope.value]
            owners = people["rep_id"]
        # frames or None, by field name (Any: pandas has no annotations to check them with)
        rows: dict[str, Any] = {"opportunities": deals, "reps": people}
        history = self.opportunity_history
        if history is not None:
            rows["opportunity_history"] = history[
                isin(history["opportunity_id"], deals["opportunity_id"])
            ]
        for table, column in REP_TABLES.items():
            frame = getattr(self, table)
            rows[table] = None if frame is None else frame[isin(frame[column], owners)]
        return replace(self, **rows)

    def present(self) -> dict[str, pd.DataFrame]:
        """The tables that the source provided."""
        return {name: frame for name, frame in self.items() if frame is not None}
