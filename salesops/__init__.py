"""salesops: reporting workbooks for sales operations.

Notebooks use ``import salesops as so`` and the names in ``__all__``. Importing the
package does no work: each name is imported from its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": "salesops.sources",
    "open_source": "salesops.sources",
    "Source": "salesops.sources",
    "Tables": "salesops.model",
    "Period": "salesops.periods",
    "Scope": "salesops.scopes",
    "Stages": "salesops.stages",
    "settings": "salesops.project",
    "DataError": "salesops.errors",
    "MetricsReport": "salesops.report",
    "ForecastReport": "salesops.forecast_report",
    "Dashboard": "salesops.dashboard",
    "PerformanceReview": "salesops.review",
    "PlanningReport": "salesops.planning_report",
    "TeamReview": "salesops.review",
    "write_summary": "salesops.report",
    "summary_path": "salesops.report",
    "ConfigError": "salesops.errors",
}
__all__ = [
    "ConfigError",
    "Dashboard",
    "DataError",
    "ForecastReport",
    "MetricsReport",
    "PerformanceReview",
    "Period",
    "PlanningReport",
    "Scope",
    "Source",
    "Stages",
    "Tables",
    "TeamReview",
    "load",
    "open_source",
    "settings",
    "summary_path",
    "write_summary",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'salesops' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:
    from salesops.dashboard import Dashboard
    from salesops.errors import ConfigError, DataError
    from salesops.forecast_report import ForecastReport
    from salesops.model import Tables
    from salesops.periods import Period
    from salesops.planning_report import PlanningReport
    from salesops.project import settings
    from salesops.report import MetricsReport, summary_path, write_summary
    from salesops.review import PerformanceReview, TeamReview
    from salesops.scopes import Scope
    from salesops.sources import Source, load, open_source
    from salesops.stages import Stages
