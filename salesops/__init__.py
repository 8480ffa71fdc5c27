"""salesops: reporting workbooks for sales operations.

Notebooks use ``import salesops as so`` and the names in ``__all__``, and a report's
sections from its module (``from salesops.reports import team_review``). Importing the
package does no work: each name is imported from its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": "salesops.data.sources",
    "open_source": "salesops.data.sources",
    "Source": "salesops.data.sources",
    "Tables": "salesops.data.model",
    "Period": "salesops.data.periods",
    "Scope": "salesops.data.scopes",
    "Stages": "salesops.data.stages",
    "settings": "salesops.config",
    "DataError": "salesops.errors",
    "Dashboard": "salesops.reports.dashboard",
    "dashboard_view": "salesops.reports.widgets",
    "ReportContext": "salesops.reports.context",
    "show": "salesops.reports.display",
    "write_summary": "salesops.reports.display",
    "summary_path": "salesops.reports.display",
    "ConfigError": "salesops.errors",
}
__all__ = [
    "ConfigError",
    "Dashboard",
    "DataError",
    "Period",
    "ReportContext",
    "Scope",
    "Source",
    "Stages",
    "Tables",
    "dashboard_view",
    "load",
    "open_source",
    "settings",
    "show",
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
    from salesops.config import settings
    from salesops.data.model import Tables
    from salesops.data.periods import Period
    from salesops.data.scopes import Scope
    from salesops.data.sources import Source, load, open_source
    from salesops.data.stages import Stages
    from salesops.errors import ConfigError, DataError
    from salesops.reports.context import ReportContext
    from salesops.reports.dashboard import Dashboard
    from salesops.reports.display import show, summary_path, write_summary
    from salesops.reports.widgets import dashboard_view
