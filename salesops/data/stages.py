"""Sales stage configuration (``parameters/stages.yml``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from salesops.config import checked, read_yaml
from salesops.data.lookups import lookup
from salesops.data.model import FORECAST_CATEGORIES
from salesops.storage import version

if TYPE_CHECKING:
    from salesops.data.model import Tables

# The stage of a deal known to be open at a past moment whose stage then is unknown
# (an export without stage history, whose stages have no open one to put it in).
UNKNOWN_OPEN = "open (stage unknown)"


class Stage(BaseModel):
    """One configured stage."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    probability: float
    closed: bool = False
    won: bool = False
    qualified: bool = False
    forecast_category: Literal[FORECAST_CATEGORIES] | None = None  # type: ignore[valid-type]

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        return str(value)

    @field_validator("probability", mode="before")
    @classmethod
    def _probability(cls, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"must be a number between 0 and 1, got {value!r}")
        return float(value)


class Stages(BaseModel):
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

    model_config = ConfigDict(extra="forbid", frozen=True)
    stages: tuple[Stage, ...]

    @model_validator(mode="after")
    def _one_pipeline(self) -> Stages:
        if not self.stages:
            raise ValueError("stages: must list at least one stage")
        names = self.names
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"stage names repeat: {duplicated}")
        won = [s.name for s in self.stages if s.won]
        if len(won) != 1 or not next(s for s in self.stages if s.won).closed:
            raise ValueError(f"exactly one stage must be closed and won, found {won}")
        return self  # no open stage is valid: an export of closed deals only (Olist's)

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
    def unknown_open(self) -> str:
        """The stage of a deal that was open at a past moment whose stage then is unknown:
        the first open stage, else :data:`UNKNOWN_OPEN` (see :meth:`with_unknown_open`)."""
        return self.open_names[0] if self.open_names else UNKNOWN_OPEN

    def with_unknown_open(self) -> Stages:
        """These stages, with :data:`UNKNOWN_OPEN` first when none is open (a won-only
        export): an open stage whose default probability is unknown (NaN), so a deal in it
        counts in the pipeline and its weighted amount is unknown, never 0."""
        if self.open_names:
            return self
        unknown = Stage.model_construct(
            name=UNKNOWN_OPEN,
            probability=float("nan"),
            closed=False,
            won=False,
            qualified=False,
            forecast_category=None,
        )
        return Stages.model_construct(stages=(unknown, *self.stages))

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
        return checked(cls, data, origin)

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
        return _read(str(path), version(path))


@lru_cache(maxsize=32)
def _read(path: str, seen: tuple[int, int, int]) -> Stages:
    """A stage file, parsed once per version of it (Stages is immutable)."""
    return Stages.from_dict(read_yaml(path), origin=path)
