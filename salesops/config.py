"""Where things live and how they are configured: the project root, its folders, YAML
files read with clear errors, and the company's settings (``parameters/settings.yml``).

Every path derives from one root: ``$SALESOPS_HOME`` if set, else the checkout that
holds this package, else the current directory. The cache alone may live elsewhere
(``$SALESOPS_CACHE``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


def cache_dir() -> Path:
    """Where computed results are kept between processes (:func:`salesops.storage.cached`,
    summaries of reports run by hand): ``$SALESOPS_CACHE`` if set, else ``.cache/`` under
    the root. Deleting it loses nothing but time."""
    env = os.environ.get("SALESOPS_CACHE")
    return Path(env).resolve() if env else root() / ".cache"


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


class Settings(BaseModel):
    """Company-wide settings from ``parameters/settings.yml``; keys it does not know are
    kept (``extra``) for notebooks to read."""

    model_config = ConfigDict(extra="allow", frozen=True)
    fiscal_year_start_month: int = Field(1, strict=True)
    currency: str = "USD"
    selling_activity_kinds: tuple[str, ...] = ("call", "email", "meeting", "demo")
    stale_after_days: int = Field(30, strict=True)
    ramp_months: int = Field(6, strict=True)
    attrition_monthly: float = 0.02
    max_hire_share: float = 0.5

    @field_validator("fiscal_year_start_month")
    @classmethod
    def _month(cls, value: int) -> int:
        if not 1 <= value <= 12:
            raise ValueError(f"must be 1..12, got {value!r}")
        return value

    @field_validator("selling_activity_kinds", mode="before")
    @classmethod
    def _kinds(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple) or not all(isinstance(k, str) for k in value):
            raise ValueError("must be a list of names")
        return tuple(value)

    @field_validator("stale_after_days")
    @classmethod
    def _stale(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be a positive whole number")
        return value

    @field_validator("ramp_months")
    @classmethod
    def _ramp(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"must be a whole number of months, got {value!r}")
        return value

    @field_validator("attrition_monthly")
    @classmethod
    def _attrition(cls, value: float) -> float:
        if not 0 <= value < 1:
            raise ValueError(f"must be a monthly share from 0 to under 1, got {value!r}")
        return value

    @field_validator("max_hire_share")
    @classmethod
    def _share(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(f"must be a share of the team above 0, got {value!r}")
        return value

    @property
    def extra(self) -> Mapping[str, Any]:
        """The settings that salesops itself does not use."""
        return dict(self.model_extra or {})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, origin: str = "settings") -> Settings:
        """Build settings from a mapping, checking every value."""
        return checked(cls, dict(data or {}), origin)


M = TypeVar("M", bound=BaseModel)
KINDS = {"int": "a whole number", "float": "a number", "string": "text", "bool": "true or false"}


def checked(model: type[M], data: Any, origin: str) -> M:
    """``data`` as a ``model``, or one ConfigError naming the file (``origin``) and, for
    each value that is wrong, where it is and what it must be: the one validator of typed
    configuration (settings, stages, commission plans, a batch plan's delivery, the mail
    server). A field declared with ``repr=False`` (a password) is never echoed."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _location(data, error["loc"])
            message = _message(error, echo=not _secret(model, error["loc"]))
            problems.append(f"{where}: {message}" if where else message)
        raise ConfigError(f"{origin}: {'; '.join(problems)}") from None


FIXED = {
    "extra_forbidden": "unknown key",
    "missing": "is required",
    "too_short": "must not be empty",
}


def _secret(model: type[BaseModel], loc: tuple[int | str, ...]) -> bool:
    """Whether an error's location is a field the model keeps out of its repr."""
    field = model.model_fields.get(loc[0]) if loc and isinstance(loc[0], str) else None
    return field is not None and field.repr is False


def _message(error: Mapping[str, Any], echo: bool = True) -> str:
    """What one pydantic error asks of the value, in the words of the other messages;
    the value itself only with ``echo``."""
    kind, got = error["type"], f", got {error.get('input')!r}" if echo else ""
    if kind in FIXED:
        return FIXED[kind]
    if kind in ("model_type", "dict_type"):
        return "expected a mapping" + got
    if kind.split("_")[0] in KINDS:
        return f"must be {KINDS[kind.split('_')[0]]}" + got
    message = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    return message + got if kind == "literal_error" else message


def _location(data: Any, loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a reader finds it in the file: list items counted
    from 1 and named by their ``name`` when they have one (``stages #2 (Won).closed``)."""
    where = ""
    for part in loc:
        if isinstance(part, int):
            item = data[part] if isinstance(data, list) and part < len(data) else None
            name = item.get("name") if isinstance(item, Mapping) else None
            where += f" #{part + 1}" + (f" ({name})" if name is not None else "")
            data = item
        else:
            where += f".{part}" if where else str(part)
            data = data.get(part) if isinstance(data, Mapping) else None
    return where


@cache
def settings() -> Settings:
    """The project's settings (read once)."""
    path = parameters_dir() / "settings.yml"
    return Settings.from_dict(read_yaml(path) if path.exists() else {}, origin=str(path))
