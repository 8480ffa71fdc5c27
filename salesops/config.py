"""Where things live and how they are configured: the project root, its folders, YAML
files read with clear errors, and the company's settings (``parameters/settings.yml``).

Every path derives from one root: ``$SALESOPS_HOME`` if set, else the checkout that
holds this package, else the current directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from salesops.errors import ConfigError


def root() -> Path:
    """The project root folder."""
    env = os.environ.get("SALESOPS_HOME")
    if env:
        return Path(env).resolve()
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "parameters").is_dir():
        return checkout
    return Path.cwd()


def parameters_dir() -> Path:
    """``parameters/``: plans, source mappings, stages and compensation plans."""
    return root() / "parameters"


def data_dir() -> Path:
    """``data/``: generated databases; never committed."""
    return root() / "data"


def default_database() -> Path:
    """The embedded demo database, ``data/salesops.duckdb``."""
    return data_dir() / "salesops.duckdb"


def resolve(path: str | Path) -> Path:
    """A path as the package reads it: relative paths are relative to the project root
    (``parameters/comp_plan.yml`` means the same from a notebook and from the runner)."""
    path = Path(path)
    return path if path.is_absolute() else root() / path


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file; a missing or broken file is a ConfigError naming it."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None


def check_keys(data: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    """Raise a ConfigError naming ``where`` when ``data`` has keys outside ``allowed``."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown keys {unknown}; expected some of {sorted(allowed)}")


@dataclass(frozen=True)
class Settings:
    """Company-wide settings from ``parameters/settings.yml``."""

    fiscal_year_start_month: int = 1
    currency: str = "USD"
    selling_activity_kinds: tuple[str, ...] = ("call", "email", "meeting", "demo")
    stale_after_days: int = 30
    ramp_months: int = 6
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, origin: str = "settings") -> Settings:
        """Build settings from a mapping, checking every value."""
        data = dict(data or {})
        month = data.pop("fiscal_year_start_month", 1)
        if not isinstance(month, int) or not 1 <= month <= 12:
            raise ConfigError(f"{origin}: fiscal_year_start_month must be 1..12, got {month!r}")
        kinds = data.pop("selling_activity_kinds", cls.selling_activity_kinds)
        if not isinstance(kinds, list | tuple) or not all(isinstance(k, str) for k in kinds):
            raise ConfigError(f"{origin}: selling_activity_kinds must be a list of names")
        stale = data.pop("stale_after_days", 30)
        if not isinstance(stale, int) or stale < 1:
            raise ConfigError(f"{origin}: stale_after_days must be a positive whole number")
        ramp = data.pop("ramp_months", 6)
        if not isinstance(ramp, int) or ramp < 0:
            raise ConfigError(
                f"{origin}: ramp_months must be a whole number of months, got {ramp!r}"
            )
        currency = str(data.pop("currency", "USD"))
        return cls(month, currency, tuple(kinds), stale, ramp, data)


@cache
def settings() -> Settings:
    """The project's settings (read once)."""
    path = parameters_dir() / "settings.yml"
    return Settings.from_dict(read_yaml(path) if path.exists() else {}, origin=str(path))
