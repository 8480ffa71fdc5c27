"""Report scopes: the company, one region, or one rep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from salesops.errors import ConfigError

Level = Literal["company", "region", "rep"]


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
    def slug(self) -> str:
        """A file-system-safe name, e.g. ``region-EMEA``."""
        text = str(self).replace(":", "-")
        return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)

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
