"""What a run has to do: a plan expanded into jobs, each with its fingerprint, and why
each one must run again or may be skipped.

A job is one report for one scope. Its inputs are everything the report's numbers depend
on (:mod:`salesops.fingerprint`): the package code, the notebook, its plan entry, the data
it reads and the configuration files it reads. Its fingerprint is their hash.

What a report reads (:func:`config_files`):

- ``parameters/stages.yml`` and ``parameters/settings.yml``: every report;
- every notebook parameter whose value names a YAML file, with the notebook's own default
  when the plan does not set it: ``source`` when the source is a source file
  (``parameters/sources/*.yml``), ``comp_plan`` of the reviews, ``variant`` of planning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict

from salesops import fingerprint
from salesops.batch import manifest
from salesops.batch.plan import DATA_FINGERPRINT, BatchPlan, matches, notebook_defaults
from salesops.config import parameters_dir, resolve, root, settings
from salesops.credentials import referenced
from salesops.data.activity import ACTIVE_MONTHS
from salesops.data.mapping import SourceSpec, portable
from salesops.data.quarantine import OnInvalid
from salesops.data.scopes import Scope
from salesops.data.sources import Source
from salesops.errors import ConfigError

GLOBAL_CONFIG = ("stages.yml", "settings.yml")  # what every report reads

Status = Literal["done", "failed", "skipped"]
STATUSES: tuple[Status, ...] = ("done", "skipped", "failed")


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How ``salesops run`` runs a plan (:func:`salesops.batch.runner.run`).

    Attributes
    ----------
    period, source
        The period label (``latest`` works) and the source; the plan's when None.
    only
        ``report``, ``report:scope`` or a glob of them (:func:`salesops.batch.plan.matches`).
    formats
        Output formats; the plan's when None.
    on_invalid
        ``refuse`` or ``quarantine`` rows that break a rule (:mod:`salesops.data.quarantine`).
    force
        Run every report, even those whose fingerprint and outputs are unchanged.
    workers, cluster
        Local worker processes (one per core when None), or a Dask scheduler address
        (``tcp://host:8786``) whose workers run the reports instead.
    timeout, retries, fresh_kernels
        Seconds a cell may take; how often a kernel that fails to start is retried; a
        kernel of its own per report instead of the worker's warm one.
    wait
        Wait while another run holds the output folder's lock (else BusyError).
    """

    period: str | None = None
    source: str | None = None
    only: str | None = None
    formats: tuple[str, ...] | None = None
    on_invalid: OnInvalid = "refuse"
    force: bool = False
    workers: int | None = None
    cluster: str | None = None
    timeout: float | None = None
    retries: int = 1
    fresh_kernels: bool = False
    wait: bool = True


class Failure(TypedDict):
    """Why a report failed: the cell (its execution count, when known) and the message."""

    cell: int | None
    message: str


@dataclass(frozen=True, kw_only=True)
class Job:
    """One report for one scope: what to run and where its outputs go."""

    report: str
    notebook: str
    scope: str
    parameters: dict[str, Any]
    outputs: dict[str, str]
    fingerprint: str
    as_of: str
    formats: tuple[str, ...]
    inputs: dict[str, Any] = field(default_factory=dict)  # what the fingerprint hashes
    # what the notebook's kernel gets in its environment, and no output holds: the
    # password that the ``source`` parameter names by reference (salesops.credentials)
    environment: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(kw_only=True)
class Result:
    """What became of a job."""

    report: str
    scope: str
    status: Status
    parameters: dict[str, Any]
    fingerprint: str
    outputs: dict[str, str]
    duration_s: float | None = None
    error: Failure | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    finished_at: str = field(default_factory=manifest.now)
    inputs: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # why it ran, or "unchanged"


def counts(results: Iterable[Result]) -> dict[str, int]:
    """How many results are done, skipped and failed."""
    statuses = [r.status for r in results]
    return {s: statuses.count(s) for s in STATUSES}


def plan_jobs(
    plan: BatchPlan, out_dir: Path, options: RunOptions | None = None
) -> tuple[str, list[Job]]:
    """Expand a plan into jobs: scopes from the data, period resolved, paths absolute,
    and each job's inputs and fingerprint (see :mod:`salesops.fingerprint`). Of the
    ``options``, the period, source, ``only``, formats and ``on_invalid`` (with
    ``quarantine`` every notebook gets that parameter) count.

    Returns the period label and the jobs.
    """
    options = options or RunOptions()
    period, only, on_invalid = options.period, options.only, options.on_invalid
    source = options.source if options.source is not None else plan.source
    formats = tuple(options.formats or plan.formats)
    with Source(source) as src:
        as_of = src.as_of()
        from salesops.data.periods import Period

        fiscal = settings().fiscal_year_start_month
        resolved = Period.parse(period or plan.period, as_of=as_of, fiscal_year_start_month=fiscal)
        label = resolved.label
        location = portable(source) or str(Path(src.spec.location).resolve())
        location, secrets = referenced(location)  # the notebooks get no password
        # `rep:*` and `region:*`: the active reps and the regions with a deal active in
        # the 12 months to the period's end (one rule, salesops.data.model.ACTIVE_MONTHS)
        window = resolved.window(ACTIVE_MONTHS)
        expanded = {level: src.scopes(level, window) for level in ("region", "rep")}
        region_of = src.rep_regions() if any(r.reads == "region" for r in plan.reports) else {}
        jobs = []
        prints: dict[str, str] = {}
        code = fingerprint.code_hash()
        folders: dict[str, Scope] = {}
        for spec in plan.reports:
            notebook_hash = fingerprint.file_hash(spec.notebook)
            defaults = notebook_defaults(spec.notebook)
            for scope_text in _expand(spec.scopes, expanded):
                if not matches(only, spec.name, scope_text):
                    continue
                scope = Scope.parse(scope_text)
                folder = out_dir / label / _own_folder(scope, folders)
                params = {
                    **spec.parameters,
                    "source": location,
                    "period": label,
                    "scope": scope_text,
                    "summary_path": str(folder / f"{spec.name}.json"),
                }
                if on_invalid != "refuse":
                    params["on_invalid"] = on_invalid
                reads = str(spec.data_scope(scope, region_of))
                if reads not in prints:
                    prints[reads] = src.fingerprint(reads, resolved)
                entry = {k: v for k, v in params.items() if k != "summary_path"}
                if DATA_FINGERPRINT in defaults:
                    params[DATA_FINGERPRINT] = {"scope": reads, "fingerprint": prints[reads]}
                inputs = {
                    "code": code,
                    "notebook": notebook_hash,
                    "plan": fingerprint.digest([entry, spec.reads, formats]),
                    "data": prints[reads],
                    "config": config_files({**defaults, **params}),
                }
                outputs = {fmt: str(folder / f"{spec.name}.{fmt}") for fmt in formats}
                outputs["summary"] = params["summary_path"]
                jobs.append(
                    Job(
                        report=spec.name,
                        notebook=str(spec.notebook),
                        scope=scope_text,
                        parameters=params,
                        outputs=outputs,
                        fingerprint=fingerprint.digest([inputs]),
                        as_of=f"{as_of:%Y-%m-%d}",
                        formats=formats,
                        inputs=inputs,
                        environment=secrets,
                    )
                )
    return label, jobs


def _own_folder(scope: Scope, folders: dict[str, Scope]) -> str:
    """``scope``'s folder name, recorded in ``folders``; ConfigError naming both scopes when
    another scope of the plan has the same folder up to case (one folder on a
    case-insensitive disk): one scope's reports would overwrite the other's, and be
    delivered to its readers."""
    slug = scope.slug
    other = folders.setdefault(slug.casefold(), scope)
    if other != scope:
        raise ConfigError(
            f"scopes {str(other)!r} and {str(scope)!r} would share the report folder "
            f"{slug!r} (on a disk that ignores case): map one onto the other in the source "
            "file's values, or rename one in the CRM"
        )
    return slug


def _expand(scopes: Iterable[str], expanded: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for scope in scopes:
        if scope in ("region:*", "rep:*"):
            level = scope.split(":")[0]
            out += [f"{level}:{value}" for value in expanded[level]]
        else:
            out.append(scope)
    return out


def why(previous: dict[str, Any] | None, job: Job) -> str | None:
    """Why ``job`` must run, given its last manifest entry; None when it need not.

    ``first run``, ``outputs missing``, ``last run failed``, or ``changed: ...`` naming
    the inputs that changed (``code``, ``notebook``, ``plan``, ``data`` or a
    configuration file such as ``parameters/comp_plan.yml``).
    """
    if not previous:
        return "first run"
    if previous.get("fingerprint") != job.fingerprint:
        changed = changes(previous.get("inputs"), job.inputs)
        return f"changed: {', '.join(changed)}" if changed else "changed: fingerprint"
    if previous.get("status") not in ("done", "skipped"):
        return "last run failed"
    outputs = previous.get("outputs", {})
    if not all(f in outputs and Path(outputs[f]).exists() for f in job.formats):
        return "outputs missing"
    return None


def config_files(parameters: Mapping[str, Any]) -> dict[str, str]:
    """The configuration files a report with these ``parameters`` reads, and their hashes.

    Keys are paths as a person would write them: relative to the project root when the
    file is under it. See the module docstring for the rule.
    """
    paths = [parameters_dir() / name for name in GLOBAL_CONFIG]
    for name, value in sorted(parameters.items()):
        if isinstance(value, str) and value.endswith((".yml", ".yaml")):
            paths.append(resolve(value))
            if name == "source" and resolve(value).is_file():  # and the stages file it names
                paths += SourceSpec.read(resolve(value)).files
    return {_shown(path): fingerprint.file_hash(path) for path in paths}


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(root()).as_posix()
    except ValueError:
        return str(path)


def changes(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> list[str]:
    """What differs between two reports' inputs (as the manifest keeps them), in words:
    ``["code"]``, ``["data"]``, ``["parameters/comp_plan.yml"]``..."""
    if not previous:
        return []
    found = [
        name for name in current if name != "config" and previous.get(name) != current.get(name)
    ]
    before, after = previous.get("config", {}), current.get("config", {})
    found += [path for path in sorted({*before, *after}) if before.get(path) != after.get(path)]
    return found
