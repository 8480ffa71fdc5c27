"""What the report sections need from a source, and what to say when it is not there.

One table of needs serves two readers: ``salesops validate`` warns which sections will be
empty for a source, and each report section that lacks its data says so in one line
instead of showing a number the data cannot support.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from salesops.data.model import LOST_DEALS, OPEN_DEALS, QUALIFIED_DEALS, Tables

# How a stage need reads in a sentence (its name, and why the source lacks it), and in
# `salesops validate`'s warnings.
STAGE_WORDS = {
    OPEN_DEALS: (
        "open deals",
        "for which this source's stage list has no stage",
        "open deals (no open stage)",
    ),
    LOST_DEALS: ("lost deals", "of which this source holds none", "lost deals"),
    # LOST_DEALS when the source's lost deals were all set aside (:func:`missing`)
    f"{LOST_DEALS}.set_aside": (
        "lost deals",
        "every one of which the quarantine set aside for a broken rule",
        "lost deals",
    ),
    QUALIFIED_DEALS: (
        "a stage marked qualified (`qualified: true`)",
        "which this source's stage list does not have",
        "stage marked qualified",
    ),
}

# A table, or a table.column, and what is empty without it: the report sections by their
# titles (lower case; a section declared with salesops.reports.display.section takes its
# needs from here, so each need is written once) and other items (tiles, breakdowns).
SECTIONS: dict[str, tuple[str, ...]] = {
    # the table every source has: the sections that need nothing more
    "opportunities": (
        "pipeline",
        "breakdown",
        "efficiency",
        "data quality",
        "comparison",
        "cleanup",
        "coaching",
        "leaderboard",
        "capacity table",
        "territory",
        "territory tables",
        "monthly",
        "models",
        "quarter outlook",
        "top deals",
        "accuracy",
        "ramp",
        "hires",
        "quota by region",
        "fairness",
        "the pipeline waterfall",
    ),
    "opportunities.amount": (
        "bookings",
        "pipeline value",
        "deal size",
        "the bookings trend",
        "open pipeline by stage",
        "attainment",
        "the commission statement",
        "the bookings forecast",
    ),
    # a stage list with an open stage: an export of won deals only holds no open deal
    OPEN_DEALS: (
        "pipeline",
        "pipeline value",
        "open pipeline by stage",
        "top deals",
        "the commit and best-case roll-up",
        "stale deals",
    ),
    # a lost stage: an export of won deals only would win 100% by construction
    LOST_DEALS: ("win rate", "sales velocity"),
    # a stage marked qualified (parameters: stages, ``qualified: true``)
    QUALIFIED_DEALS: ("qualified open deals", "sales velocity"),
    "opportunities.forecast_category": ("the commit and best-case roll-up",),
    "opportunities.segment": ("the breakdown by segment",),
    "opportunities.product": ("the breakdown by product",),
    "opportunities.lead_source": ("the breakdown by lead source",),
    "opportunities.account_id": ("territory accounts", "account rebalancing"),
    "opportunity_history": (
        "stage conversion",
        "slippage",
        "stale deals",
        "win-probability calibration",
        "pipeline as it stood on past days",
    ),
    "quotas": (
        "quota attainment",
        "attainment among peers",
        "attainment across the team",
        "the commission statement",
        "the cost of incentive pay",
    ),
    "reps.hire_date": ("ramping reps", "tenure", "the plan's measured ramp"),
    "reps.end_date": ("the plan's measured attrition",),
    "reps.email": ("report delivery by email",),
    "leads": ("lead response and conversion",),
    "leads.first_response_at": ("lead response time",),
    "leads.converted_at": ("lead conversion",),
    "activities": ("activity",),
    "forecast_submissions": ("forecast precision",),
}

# A table, and the parts of sections shown without it that read "–" with the reason: the
# sections are available, with these limits (`salesops validate` says so).
LIMITS: dict[str, tuple[str, ...]] = {
    "opportunity_history": (
        "the pipeline waterfall's deals pulled in, pushed out and amount changes (its start, "
        "created, won, lost and end come from the deals' created and close dates)",
    ),
}


def needs_of(section: str) -> tuple[str, ...]:
    """What the report section titled ``section`` needs: each key of :data:`SECTIONS` that
    lists it. A title listed nowhere is an error, so that a renamed section cannot lose
    its needs without a word."""
    title = section.lower()
    needs = tuple(what for what, items in SECTIONS.items() if title in items)
    if not needs:
        raise ValueError(f"section {section!r} is in no entry of salesops.data.coverage.SECTIONS")
    return needs


def describe(what: str) -> str:
    """``quotas`` as "the `quotas` table", ``leads.source`` as "`leads.source`",
    :data:`~salesops.data.model.LOST_DEALS` as "lost deals", and so on for the other
    stage needs."""
    if what in STAGE_WORDS:
        return STAGE_WORDS[what][0]
    return f"`{what}`" if "." in what else f"the `{what}` table"


def series(names: list[str]) -> str:
    """Names as a reader lists them: "A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def lacks(lacking: list[str]) -> str:
    """What a section needs and the source lacks, as a list a reader can follow: the
    tables and columns in one series, "which this source does not have", then each
    stage need with why it is missing, the last after "; and": "the `activities` table,
    `leads.first_response_at` and the `quotas` table, which this source does not have;
    and lost deals, of which this source holds none"."""
    held = [describe(w) for w in lacking if w not in STAGE_WORDS]
    parts = [f"{series(held)}, which this source does not have"] if held else []
    parts += [f"{STAGE_WORDS[w][0]}, {STAGE_WORDS[w][1]}" for w in lacking if w in STAGE_WORDS]
    if len(parts) <= 1:
        return "".join(parts)
    return f"{'; '.join(parts[:-1])}; and {parts[-1]}"


def missing(tables: Tables, needs: Iterable[str]) -> list[str]:
    """Which of ``needs`` (tables or ``table.column``) the source does not hold; lost
    deals that the quarantine set aside, every one of them, as ``stages.lost.set_aside``,
    which says so (:data:`STAGE_WORDS`), not that the source holds none."""
    lacking = [what for what in needs if not tables.has(what)]
    if LOST_DEALS in lacking and lost_set_aside(tables):
        lacking[lacking.index(LOST_DEALS)] = f"{LOST_DEALS}.set_aside"
    return lacking


def lost_set_aside(tables: Tables) -> int:
    """How many lost deals the quarantine set aside from ``tables`` (0 without one)."""
    aside = tables.set_aside.get("opportunities")
    if aside is None or tables.stages is None:
        return 0
    return int(aside["stage"].isin(tables.stages.lost_names).sum())


def sentence(section: str, lacking: list[str]) -> str:
    """One line: "Lead response needs `leads.first_response_at`, which this source does
    not have."; "Win rate needs lost deals, of which this source holds none." (:func:`lacks`)."""
    verb = "need" if section.lower() == "they" or section.endswith(" columns") else "needs"
    return f"{section} {verb} {lacks(lacking)}."


def reason(tables: Tables, needs: Iterable[str], what: str) -> str | None:
    """Why ``what`` cannot be known from this source, in one line without its full stop
    ("attainment needs the `quotas` table, which this source does not have"), or None
    when the source has all it ``needs``."""
    lacking = missing(tables, needs)
    return sentence(what, lacking).removesuffix(".") if lacking else None


def not_shown(tables: Tables, needs: Mapping[str, Iterable[str]]) -> tuple[list[str], str]:
    """Of items (KPIs, say) each with what it ``needs``, those the source cannot support,
    and the sentence that says so: "Not shown: quota attainment. It needs the `quotas`
    table, which this source does not have." ("" when every item can be shown); items
    whose names hold a comma ("pipeline coverage, next quarter") are listed apart by
    semicolons (tests/data/test_coverage.py)."""
    gone = {label: missing(tables, what) for label, what in needs.items()}
    gone = {label: what for label, what in gone.items() if what}
    if not gone:
        return [], ""
    lacking = sorted({w for what in gone.values() for w in what})
    listed = ("; " if any("," in label for label in gone) else ", ").join(gone).lower()
    said = sentence("They" if len(gone) > 1 else "It", lacking)
    return list(gone), f"Not shown: {listed}. {said}"


def warnings(absent: Iterable[str]) -> list[str]:
    """For ``salesops validate``: each missing table or column that matters, with the
    sections that will be empty without it, then the parts of sections shown without a
    table that will read – (:data:`LIMITS`)."""
    absent = set(absent)
    out = []
    for what, sections in SECTIONS.items():
        table = what.partition(".")[0]
        if what in absent and (what == table or table not in absent):
            listed = ", ".join(sections)
            name = f"`{what}` table" if what == table else f"values in `{what}`"
            if what in STAGE_WORDS:
                name = STAGE_WORDS[what][2]
            out.append(f"no {name}: {listed} will say so")
    for what, limited in LIMITS.items():  # tables only: shown, with these parts unknown
        if what in absent:
            out.append(f"no `{what}` table: {'; '.join(limited)} will read –")
    return out


def no_lost_deal(tables: Tables) -> str | None:
    """For ``salesops validate``: the warning for a source that holds no lost deal (its
    closed deals all won, or none closed), or None when it holds one. It is said exactly
    when the reports find lost deals absent (:meth:`Tables.has` of
    :data:`~salesops.data.model.LOST_DEALS`, which they read), with the deals counted,
    because such an export may keep its lost deals elsewhere: Odoo archives a lost deal in
    its last stage (``Active`` false), other CRMs keep a lost reason or a status apart.

    Examples
    --------
    >>> import pandas as pd
    >>> from salesops.data.stages import Stages
    >>> stages = Stages.from_dict({"stages": [{"name": "Open", "probability": 0.2},
    ...     {"name": "Won", "probability": 1, "closed": True, "won": True},
    ...     {"name": "Lost", "probability": 0, "closed": True}]})
    >>> deals = pd.DataFrame({"stage": ["Won", "Open", "Open"]})
    >>> tables = Tables(deals, pd.DataFrame(), stages=stages, absent=frozenset({LOST_DEALS}))
    >>> print(no_lost_deal(tables))  # doctest: +NORMALIZE_WHITESPACE
    no lost deal among the 3 deals (1 won, 2 open): win rates are unknown (win rate, sales
    velocity will say so). If the export marks lost deals elsewhere (an archive or active
    flag, a lost reason, a status column), map it as the outcome: `outcome: {column:
    <that column>, lost: <its lost value>}` on opportunities (docs/sources.md)
    """
    if tables.has(LOST_DEALS) or tables.stages is None:
        return None
    stage = tables.opportunities["stage"]
    won = int((stage == tables.stages.won).sum())
    open_ = int(stage.isin(tables.stages.open_names).sum())
    lost = lost_set_aside(tables)
    if lost:  # the source holds lost deals, and the quarantine took every one
        return (
            f"the quarantine set aside every lost deal ({lost:,}), leaving none among the "
            f"{len(stage):,} deals ({won:,} won, {open_:,} open): win rates are unknown "
            f"({', '.join(SECTIONS[LOST_DEALS])} will say so). Fix those rows (the "
            "quarantine file gives each one's reason), or fill what they lack with a "
            "`defaults:` rule"
        )
    return (
        f"no lost deal among the {len(stage):,} deals ({won:,} won, {open_:,} open): win "
        f"rates are unknown ({', '.join(SECTIONS[LOST_DEALS])} will say so). If the export "
        "marks lost deals elsewhere (an archive or active flag, a lost reason, a status "
        "column), map it as the outcome: `outcome: {column: <that column>, lost: <its lost "
        "value>}` on opportunities (docs/sources.md)"
    )


def unpriced_open(tables: Tables) -> str | None:
    """For ``salesops validate``: the warning for open deals without an amount, or None
    when every open deal has one (or there is none, or no amount column at all, which
    :func:`warnings` says). An export may give won deals their value and open deals none
    (the Maven CRM export's ``close_value``: "revenue from the deal"): then the open
    pipeline and everything weighed from it read –, which is better known before the run.

    Examples
    --------
    >>> import pandas as pd
    >>> from salesops.data.stages import Stages
    >>> stages = Stages.from_dict({"stages": [{"name": "Open", "probability": 0.2},
    ...     {"name": "Won", "probability": 1, "closed": True, "won": True}]})
    >>> deals = pd.DataFrame({"stage": ["Won", "Open", "Open"], "amount": [5.0, None, None]})
    >>> print(unpriced_open(Tables(deals, pd.DataFrame(), stages=stages)))
    ... # doctest: +NORMALIZE_WHITESPACE
    none of the 2 open deals has an amount: the open pipeline, its weighted value, pipeline
    coverage, the quarter outlook's pipeline view and the forecast roll-ups will read –
    (the amounts of won deals are bookings). If the export prices open deals in another
    column, map it as `amount`
    >>> deals.loc[1, "amount"] = 7.0
    >>> print(unpriced_open(Tables(deals, pd.DataFrame(), stages=stages)))
    1 of the 2 open deals has no amount: left out of the pipeline's sums, and counted beside them
    """
    if tables.stages is None or not tables.has("opportunities.amount"):
        return None
    deals = tables.opportunities
    open_ = deals.loc[deals["stage"].isin(tables.stages.open_names), "amount"]
    lacking = int(open_.isna().sum())
    if not lacking:
        return None
    if lacking == len(open_):
        return (
            f"none of the {lacking:,} open deals has an amount: the open pipeline, its "
            "weighted value, pipeline coverage, the quarter outlook's pipeline view and the "
            "forecast roll-ups will read – (the amounts of won deals are bookings). If the "
            "export prices open deals in another column, map it as `amount`"
        )
    has = "has" if lacking == 1 else "have"
    return (
        f"{lacking:,} of the {len(open_):,} open deals {has} no amount: left out of the "
        "pipeline's sums, and counted beside them"
    )


def homeless_reps(tables: Tables) -> str | None:
    """For ``salesops validate``: the warning for reps who own deals while their home
    region holds none, or None. A rep's review compares them with the sellers of their
    home region (its peers are read from the region's deals), so a home region without a
    deal has no review: an export whose deals carry the customer's country as their
    region, sold by one team across countries, is one.

    Examples
    --------
    >>> import pandas as pd
    >>> deals = pd.DataFrame({"owner_id": ["a", "b"], "region": ["Italy", "Spain"]})
    >>> reps = pd.DataFrame({"rep_id": ["a", "b"], "region": ["Europe", "Spain"]})
    >>> print(homeless_reps(Tables(deals, reps)))  # doctest: +NORMALIZE_WHITESPACE
    1 of the 2 reps who own deals has a home region that holds no deal (Europe; the
    deals' regions: Italy, Spain): their performance reviews find no peers to compare
    them with. If a deal's region is its customer's (a country) and
    the reps sell across them, leave `region` out of the deals' columns, so that a deal's
    region is its owner's, and map the customer's as the `segment`; else give the reps
    the regions they sell in
    """
    deals, reps = tables.opportunities, tables.reps
    regions = sorted(set(deals["region"].dropna().astype(str)))
    owning = reps[reps["rep_id"].astype(str).isin(set(deals["owner_id"].dropna().astype(str)))]
    homeless = owning[~owning["region"].astype(str).isin(regions)]
    if homeless.empty:
        return None
    homes = sorted(set(homeless["region"].astype(str)))
    shown = ", ".join(regions[:6]) + (", ..." if len(regions) > 6 else "")
    has = "has" if len(homeless) == 1 else "have"
    return (
        f"{len(homeless):,} of the {len(owning):,} reps who own deals {has} a home region "
        f"that holds no deal ({', '.join(homes[:3])}; the deals' regions: {shown}): their "
        "performance reviews find no peers to compare them with. If a "
        "deal's region is its customer's (a country) and the reps sell across them, leave "
        "`region` out of the deals' columns, so that a deal's region is its owner's, and "
        "map the customer's as the `segment`; else give the reps the regions they sell in"
    )
