"""Report scopes: the company, one region, or one rep."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd

from salesops.errors import ConfigError

if TYPE_CHECKING:
    from salesops.data.stages import Stages

Level = Literal["company", "region", "rep"]
SAFE = re.compile(r"[A-Za-z0-9_.-]")  # what a folder name keeps as it is
READABLE = 80  # characters of a value a folder shows before its hash
HASHED = "~"  # between a lossy slug and its hash; never in a lossless slug


@dataclass(frozen=True)
class Scope:
    """Who a report is about.

    Examples
    --------
    >>> Scope.parse("region:EMEA")
    Scope(level='region', value='EMEA')
    >>> str(Scope.parse("company"))
    'company'
    """

    level: Level
    value: str | None = None

    def __str__(self) -> str:
        return self.level if self.value is None else f"{self.level}:{self.value}"

    @property
    def key(self) -> str:
        """The region's or the rep's name or id; ValueError for the company, which has none."""
        if self.value is None:
            raise ValueError("the company scope names no region or rep")
        return self.value

    @property
    def title(self) -> str:
        """The scope for a heading: "Company", "EMEA region", or the rep's id.

        A region whose name would read as the company's, or already says region, is
        "Region Company", "Region West Region": never "Company region".

        Examples
        --------
        >>> Scope.parse("region:EMEA").title, Scope.parse("region:Company").title
        ('EMEA region', 'Region Company')
        """
        if self.value is None:
            return "Company"
        if self.level != "region":
            return self.value
        plain = self.value.strip().lower()
        if plain in {"company", "all", "all regions"} or plain.endswith("region"):
            return f"Region {self.value}"
        return f"{self.value} region"

    @property
    def slug(self) -> str:
        """The scope's folder name: a function of the exact value that two scopes never share.

        ``level-value`` when that reads back as the value (``region-EMEA``, ``rep-R-1``):
        ASCII letters, digits, ``_``, ``.`` and ``-`` only, at most 80 characters. Otherwise
        a readable part (other characters as ``_``, cut at 80) and ``~`` with the first 12
        hex digits of the value's SHA-256, which no lossless slug contains: ``rep:R:1`` is
        ``rep-R_1~<hash>``, never ``rep-R-1``. Always at most 100 ASCII characters.

        Examples
        --------
        >>> Scope.parse("region:EMEA").slug
        'region-EMEA'
        >>> Scope.parse("rep:R:1").slug
        'rep-R_1~b89929b9ed4f'
        """
        if self.value is None:
            return self.level
        readable = SAFE.sub("", self.value) == "" and len(self.value) <= READABLE
        if readable:
            return f"{self.level}-{self.value}"
        shown = "".join(ch if SAFE.fullmatch(ch) else "_" for ch in self.value[:READABLE])
        digest = hashlib.sha256(self.value.encode()).hexdigest()[:12]
        return f"{self.level}-{shown}{HASHED}{digest}"

    @classmethod
    def parse(cls, text: str | Scope | None) -> Scope:
        """Read ``company``, ``region:<name>`` or ``rep:<id>``; raises ConfigError otherwise."""
        if isinstance(text, Scope):
            return text
        label = (text or "company").strip()
        if label == "company":
            return cls("company")
        level, sep, value = label.partition(":")
        if sep and level in ("region", "rep") and value.strip():
            return cls(level, value.strip())  # type: ignore[arg-type]
        raise ConfigError(f"scope {label!r} is not a scope: use company, region:<name> or rep:<id>")


# The key, in a scope's deals' ``attrs``, of where they are: "in West", "of this rep"
# (:func:`scope_words`), when the whole source holds a closed deal. A reason about those
# deals alone says it ("no deal in West has closed yet"), never "the source holds no
# closed deal" of a part of a source that holds some; absent for the company's deals, and
# for a scope of a source that holds none, of which that is the truth.
WHERE = "where"
# Set on deals of which the quarantine set aside every closed one: their reasons say so.
CLOSED_ASIDE = "closed_set_aside"


def scope_words(scope: Scope) -> str | None:
    """Where a scope's deals are, for a sentence: "in West", "of this rep" (a rep's own
    report never names another; this names none), None for the company."""
    if scope.level == "company":
        return None
    return f"in {scope.value}" if scope.level == "region" else "of this rep"


def scope_deals(
    deals: pd.DataFrame,
    scope: Scope,
    stages: Stages | None,
    aside: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The deals of ``scope`` among ``deals`` (a region's, a rep's own; all of them for
    the company), saying where they are in their ``attrs`` (:data:`WHERE`) when the
    source holds a closed deal: ``deals`` say so already (a scope's, loaded), or hold one
    (``stages`` None: taken as holding one). With ``aside``, the deals the quarantine set
    aside from ``deals``' source, they say whether it took every closed deal of the scope
    (:func:`mark_closed_aside`); without, they say what ``deals`` say."""
    if scope.level == "company":
        return deals
    column = "region" if scope.level == "region" else "owner_id"
    mine = deals[deals[column] == scope.value].copy()
    mine.attrs.pop(WHERE, None)
    closes = stages is None or deals["stage"].isin(stages.closed_names).any()
    if deals.attrs.get(WHERE) or closes:
        mine.attrs[WHERE] = scope_words(scope)
    if aside is not None and stages is not None:
        theirs = aside[aside[column] == scope.value] if column in aside else aside.iloc[:0]
        mark_closed_aside(mine, theirs, stages)
    return mine


def mark_closed_aside(deals: pd.DataFrame, aside: pd.DataFrame | None, stages: Stages) -> None:
    """Say in ``deals``' ``attrs`` (:data:`CLOSED_ASIDE`) whether the quarantine set aside
    every closed deal of them: ``aside`` (the deals it set aside from the same scope, None
    for none) holds a closed deal, and ``deals`` hold none."""
    closed = stages.closed_names
    if aside is not None and aside["stage"].isin(closed).any():
        deals.attrs[CLOSED_ASIDE] = not deals["stage"].isin(closed).any()
    else:
        deals.attrs.pop(CLOSED_ASIDE, None)
