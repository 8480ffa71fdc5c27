"""Batch plans (``parameters/monthly.yml``, ``annual.yml``): which notebooks the runner
executes for which scopes, and who receives them (the ``delivery`` section). "Batch
plan" is the runner's word; a commission plan is a ``CompPlan``, and planning is next
year's attainment plan (:mod:`salesops.analytics.planning`).

.. code-block:: yaml

    period: latest            # default period; `salesops run --period` overrides it
    source: null              # default source (null: the demo database)
    formats: [html, ipynb]    # what each report is rendered to
    reports:
      - notebook: metrics     # notebooks/metrics.ipynb
        scopes: [company, "region:*"]   # region:* and rep:* expand from the data
        parameters: {}        # extra notebook parameters, the same for every scope
        reads: scope          # whose data the report reads: scope (default), region, company

A plan is checked against each notebook's ``parameters`` cell before any kernel
starts: an unknown parameter, or a notebook that lacks one the runner passes, is a
:class:`~salesops.errors.ConfigError`.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from salesops.config import check_keys, checked, read_yaml, root
from salesops.data.contracts import EMAIL
from salesops.data.scopes import Scope
from salesops.errors import ConfigError

FORMATS = ("html", "pdf", "ipynb")
INJECTED = ("source", "period", "scope", "summary_path")  # what the runner passes itself
# ... and to the notebooks that declare it: {"scope": what it covers, "fingerprint": ...}, the
# fingerprint of the data the report reads, so that shared results need not hash it again
DATA_FINGERPRINT = "data_fingerprint"
PLAN_KEYS = {"period", "source", "formats", "reports", "delivery"}
REPORT_KEYS = {"notebook", "scopes", "parameters", "reads"}
READS = ("scope", "region", "company")


class Named(BaseModel):
    """A fixed recipient of the reports that match its patterns."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    to: str
    name: str | None = None
    reports: tuple[str, ...]

    @field_validator("to")
    @classmethod
    def _address(cls, value: str) -> str:
        if not re.fullmatch(EMAIL, value):
            raise ValueError(f"{value!r} is not an email address (name@example.com)")
        return value


class DeliveryConfig(BaseModel):
    """A plan's ``delivery`` section, checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sender: str
    template: str = "email.j2"
    attach: Literal["pdf", "link"] = "pdf"
    base_url: str | None = None
    reps: tuple[str, ...] = ("performance_review",)
    managers: tuple[str, ...] = ("team_review",)
    copy_managers: bool = False
    addresses: tuple[Named, ...] = ()

    @model_validator(mode="after")
    def _link_needs_a_base(self) -> DeliveryConfig:
        if self.attach == "link" and not self.base_url:
            raise ValueError("attach: link needs a base_url (where reports/ is published)")
        return self

    @classmethod
    def from_dict(cls, data: Any, origin: str = "delivery") -> DeliveryConfig:
        """Check a parsed ``delivery`` section; each mistake is a ConfigError naming the key."""
        return checked(cls, data, origin)


@dataclass(frozen=True)
class ReportSpec:
    """One notebook of a plan, with the scopes it runs for."""

    name: str
    notebook: Path
    scopes: tuple[str, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    _: KW_ONLY
    reads: str = "scope"

    def data_scope(self, scope: Scope, region_of: Mapping[str, str]) -> Scope:
        """The scope whose data a report for ``scope`` reads, for its fingerprint.

        ``company``: every row (a region's forecast is reconciled with the company's);
        ``region``: the scope's region (a rep's review compares them with their peers);
        ``scope``: the scope itself.
        """
        if self.reads == "company":
            return Scope("company")
        if self.reads == "region" and scope.level == "rep":
            region = region_of.get(scope.value or "")
            return Scope("region", region) if region else scope
        return scope


@dataclass(frozen=True)
class BatchPlan:
    """A checked batch plan: the reports to run, their scopes and formats, and who
    receives them."""

    reports: tuple[ReportSpec, ...]
    period: str = "latest"
    source: str | None = None
    formats: tuple[str, ...] = ("html", "ipynb")
    _: KW_ONLY
    origin: str | None = None  # the plan file, for the run log
    delivery: DeliveryConfig | None = None  # who receives what (salesops deliver)

    @classmethod
    def read(cls, path: str | Path) -> BatchPlan:
        """Read and check a plan file."""
        return cls.from_dict(read_yaml(path), origin=str(path))

    @classmethod
    def from_dict(cls, data: Any, origin: str = "plan") -> BatchPlan:
        """Build a plan from parsed YAML; every mistake is a ConfigError naming the file."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{origin}: expected a mapping with 'reports'")
        check_keys(data, PLAN_KEYS, origin)
        items = data.get("reports")
        if not isinstance(items, list) or not items:
            raise ConfigError(f"{origin}: 'reports' must be a non-empty list")
        formats = tuple(check_formats(data.get("formats", ["html", "ipynb"]), origin))
        reports = tuple(_report(item, i, origin) for i, item in enumerate(items, 1))
        source = data.get("source")
        delivery = None
        if data.get("delivery") is not None:
            delivery = _delivery(data["delivery"], reports, formats, origin)
        return cls(
            reports,
            str(data.get("period", "latest")),
            None if source is None else str(source),
            formats,
            origin=origin,
            delivery=delivery,
        )


def _delivery(
    data: Any, reports: Sequence[ReportSpec], formats: Sequence[str], origin: str
) -> DeliveryConfig:
    """The checked ``delivery`` section: its reports are the plan's, and what it attaches
    is among the formats."""
    config = DeliveryConfig.from_dict(data, f"{origin}: delivery")
    names = [r.name for r in reports]
    wanted = [("reps", n) for n in config.reps] + [("managers", n) for n in config.managers]
    wanted += [
        ("addresses", p.split(":", 1)[0]) for named in config.addresses for p in named.reports
    ]
    for key, name in wanted:
        if not any(fnmatch.fnmatchcase(n, name) for n in names):
            raise ConfigError(
                f"{origin}: delivery.{key}: {name!r} is not a report of this plan; "
                f"it has {', '.join(names)}"
            )
    if config.attach == "pdf" and "pdf" not in formats:
        raise ConfigError(f"{origin}: delivery attaches PDFs, but the plan's formats lack pdf")
    return config


def check_formats(formats: Sequence[str] | str, origin: str = "formats") -> list[str]:
    """Check a list (or comma-separated string) of output formats."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    items = [str(f).strip() for f in items if str(f).strip()]
    bad = [f for f in items if f not in FORMATS]
    if bad or not items:
        raise ConfigError(f"{origin}: formats must be some of {', '.join(FORMATS)}; got {items}")
    return items


def _report(item: Any, index: int, origin: str) -> ReportSpec:
    where = f"{origin}: reports #{index}"
    if not isinstance(item, Mapping) or "notebook" not in item:
        raise ConfigError(f"{where}: needs a 'notebook'")
    check_keys(item, REPORT_KEYS, where)
    name = str(item["notebook"]).removesuffix(".ipynb")
    path = Path(name + ".ipynb")
    path = path if path.is_absolute() else root() / "notebooks" / path
    if not path.is_file():
        raise ConfigError(f"{where}: notebook {path} does not exist")
    scopes = item.get("scopes", ["company"])
    if isinstance(scopes, str):
        scopes = [scopes]
    for scope in scopes:
        if scope not in ("region:*", "rep:*"):
            Scope.parse(scope)
    params = item.get("parameters") or {}
    if not isinstance(params, Mapping):
        raise ConfigError(f"{where}: 'parameters' must be a mapping")
    _check_parameters(path, params, where)
    target = params.get("target")
    if isinstance(target, int | float) and (len(scopes) > 1 or "region:*" in scopes):
        raise ConfigError(
            f"{where}: parameters.target is one amount for the scopes {', '.join(scopes)}: "
            "each would be given the whole target; state one per scope, e.g. "
            "target: {company: 12000000, 'region:EMEA': 3500000}"
        )
    reads = str(item.get("reads", "scope"))
    if reads not in READS:
        raise ConfigError(f"{where}: 'reads' must be one of {', '.join(READS)}; got {reads!r}")
    return ReportSpec(Path(path).stem, path, tuple(scopes), dict(params), reads=reads)


def notebook_parameters(notebook: Path, where: str = "") -> list[str] | None:
    """The names that the notebook's cell tagged ``parameters`` assigns; None without one.

    What papermill's inspection finds for a Python notebook, read with ``json`` and
    ``ast``: importing papermill (and nbformat with it) takes seconds, which a run that
    has nothing to do should not pay.
    """
    found = _parameters_cell(notebook, where)
    return None if found is None else list(found)


def notebook_defaults(notebook: Path, where: str = "") -> dict[str, Any]:
    """The notebook's parameters with their default values (None where a default is not
    a literal); empty without a ``parameters`` cell."""
    defaults = {}
    for name, node in (_parameters_cell(notebook, where) or {}).items():
        try:
            defaults[name] = ast.literal_eval(node)
        except ValueError:
            defaults[name] = None
    return defaults


def _parameters_cell(notebook: Path, where: str) -> dict[str, ast.expr] | None:
    try:
        cells = json.loads(Path(notebook).read_text())["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{where}: {Path(notebook).name} is not a notebook: {exc}") from None
    for cell in cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") != "code" or "parameters" not in tags:
            continue
        source = cell.get("source", "")
        try:
            body = ast.parse("".join(source) if isinstance(source, list) else source).body
        except SyntaxError as exc:
            raise ConfigError(
                f"{where}: the parameters cell of {Path(notebook).name} is not valid Python "
                f"(line {exc.lineno}: {exc.msg})"
            ) from None
        names: dict[str, ast.expr] = {}
        for node in body:
            if isinstance(node, ast.Assign):
                names.update({t.id: node.value for t in node.targets if isinstance(t, ast.Name)})
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names[node.target.id] = node.value or ast.Constant(None)
        return names
    return None


def _check_parameters(notebook: Path, params: Mapping[str, Any], where: str) -> None:
    """Compare the plan's parameters with the notebook's ``parameters`` cell."""
    declared = notebook_parameters(notebook, where)
    if not declared:
        raise ConfigError(f"{where}: {notebook.name} has no cell tagged 'parameters'")
    missing = [p for p in INJECTED if p not in declared]
    if missing:
        raise ConfigError(
            f"{where}: {notebook.name} lacks the parameters {missing} the runner passes"
        )
    reserved = sorted(set(params) & {*INJECTED, DATA_FINGERPRINT})
    if reserved:
        raise ConfigError(f"{where}: {reserved} are set by the runner, not the plan")
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise ConfigError(
            f"{where}: unknown parameters {unknown} for {notebook.name}; "
            f"it takes {', '.join(sorted(declared))}"
        )


def matches(pattern: str | None, report: str, scope: str) -> bool:
    """Whether ``report:scope`` (e.g. ``metrics:region:EMEA``) matches a --only pattern.

    A pattern without a colon matches report names, so ``--only metrics`` works too.
    """
    if not pattern:
        return True
    return any(
        fnmatch.fnmatchcase(f"{report}:{scope}", p) or fnmatch.fnmatchcase(report, p)
        for p in pattern.split(",")
    )
