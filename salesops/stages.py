"""Sales stage configuration (``parameters/stages.yml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesops.config import check_keys, read_yaml
from salesops.errors import ConfigError
from salesops.model import FORECAST_CATEGORIES, lookup

if TYPE_CHECKING:
    from salesops.model import Tables


@dataclass(frozen=True)
class Stage:
    """One configured stage."""

    name: str
    probability: float
    closed: bool = False
    won: bool = False
    qualified: bool = False
    forecast_category: str | None = None


@dataclass(frozen=True)
class Stages:
    """The ordered stages of a CRM pipeline.

    Examples
    --------
    >>> stages = Stages.from_dict({"stages": [
    ...     {"name": "Open", "probability": 0.2},
    ...     {"name": "Won", "probability": 1, "closed": True, "won": True},
    ...     {"name": "Lost", "probability": 0, "closed": True}]})
    >>> stages.won, stages.open_names
    ('Won', ['Open'])
    """

    stages: tuple[Stage, ...]

    @property
    def names(self) -> list[str]:
        """All stage names in pipeline order."""
        return [s.name for s in self.stages]

    @property
    def open_names(self) -> list[str]:
        """Stages of deals still in play."""
        return [s.name for s in self.stages if not s.closed]

    @property
    def closed_names(self) -> list[str]:
        """Stages of finished deals, won or lost."""
        return [s.name for s in self.stages if s.closed]

    @property
    def won(self) -> str:
        """The one stage that means won."""
        return next(s.name for s in self.stages if s.won)

    @property
    def lost_names(self) -> list[str]:
        """Closed stages that are not won."""
        return [s.name for s in self.stages if s.closed and not s.won]

    @property
    def qualified_names(self) -> list[str]:
        """Open stages that count as qualified pipeline."""
        return [s.name for s in self.stages if s.qualified and not s.closed]

    @property
    def probabilities(self) -> dict[str, float]:
        """Default win probability by stage name."""
        return {s.name: s.probability for s in self.stages}

    def probability_of(self, stage: pd.Series) -> pd.Series:
        """The default win probability of each value of ``stage`` (NaN if not a stage)."""
        return lookup(stage, self.probabilities)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "stages") -> Stages:
        """Build and check a stage configuration; raises ConfigError when it is malformed."""
        items = data.get("stages") if isinstance(data, Mapping) else None
        if not isinstance(items, list) or not items:
            raise ConfigError(f"{origin}: expected a non-empty list under 'stages'")
        allowed = {f for f in Stage.__dataclass_fields__}
        stages = []
        for i, item in enumerate(items, 1):
            if not isinstance(item, Mapping) or "name" not in item:
                raise ConfigError(f"{origin}: stage #{i} needs a 'name'")
            check_keys(item, allowed, f"{origin}: stage {item['name']!r}")
            prob = item.get("probability")
            if not isinstance(prob, int | float) or not 0 <= prob <= 1:
                raise ConfigError(
                    f"{origin}: stage {item['name']!r} needs a probability between 0 and 1"
                )
            category = item.get("forecast_category")
            if category is not None and category not in FORECAST_CATEGORIES:
                raise ConfigError(
                    f"{origin}: stage {item['name']!r} has forecast_category {category!r}; "
                    f"expected one of {', '.join(FORECAST_CATEGORIES)}"
                )
            stages.append(Stage(**{**item, "name": str(item["name"]), "probability": float(prob)}))
        names = [s.name for s in stages]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ConfigError(f"{origin}: stage names repeat: {duplicated}")
        won = [s.name for s in stages if s.won]
        if len(won) != 1 or not next(s for s in stages if s.won).closed:
            raise ConfigError(f"{origin}: exactly one stage must be closed and won, found {won}")
        if not any(not s.closed for s in stages):
            raise ConfigError(f"{origin}: at least one stage must be open")
        return cls(tuple(stages))

    @classmethod
    def of(cls, tables: Tables) -> Stages:
        """The stages that ``tables`` were loaded with (a source file's own), else
        ``parameters/stages.yml``."""
        return tables.stages or cls.read()

    @classmethod
    def given(cls, stages: Stages | None) -> Stages:
        """``stages``, or where None the project's (``parameters/stages.yml``)."""
        return stages or cls.read()

    @classmethod
    def read(cls, path: str | Path | None = None) -> Stages:
        """Read a stage file, by default ``parameters/stages.yml``."""
        from salesops.config import parameters_dir

        path = Path(path) if path else parameters_dir() / "stages.yml"
        if not path.is_file():
            return cls.from_dict(read_yaml(path), origin=str(path))  # read_yaml says why
        return _read(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _read(path: str, mtime_ns: int) -> Stages:
    """A stage file, parsed once per version of it (Stages is immutable)."""
    return Stages.from_dict(read_yaml(path), origin=path)
