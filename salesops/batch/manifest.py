"""What a run leaves behind: the period's manifest and index page, and the run log.

``reports/<period>/manifest.json`` has one entry per report: its parameters, inputs
(code, notebook, plan entry, data and configuration file hashes), fingerprint, why it ran,
status, error, duration and outputs. Output paths are relative to the period folder, so
a folder that is copied or published still matches its manifest and index.

``reports/runs.jsonl`` gets one line per run (start, end, who, plan, period, counts,
failures), appended with a single write and never rewritten.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from salesops import __version__
from salesops.storage import write_atomic

RUN_LOG = "runs.jsonl"


def now() -> str:
    """The time now, UTC, to the second, as the manifest and the run log write it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def load(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The period's manifest entries, keyed by (report, scope); empty when there is none.

    Output paths come back absolute, resolved against ``folder`` (where the manifest is
    now, not where it was written).
    """
    path = folder / "manifest.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    entries = {}
    for entry in data.get("reports", []):
        entry["outputs"] = {k: str(folder / v) for k, v in entry.get("outputs", {}).items()}
        entries[(entry["report"], entry["scope"])] = entry
    return entries


def write(
    folder: Path,
    period: str,
    entries: Mapping[tuple[str, str], dict[str, Any]],
) -> None:
    """Write ``manifest.json`` and the portal (``index.html``, ``rollup.csv`` and
    ``rollup.parquet``) for the period, atomically, with every path relative to
    ``folder``."""
    from salesops.batch import portal as pages

    items = [_relative(e, folder) for e in sorted(entries.values(), key=_order)]
    data = {"period": period, "package_version": __version__, "updated_at": now()}
    write_atomic(folder / "manifest.json", json.dumps(data | {"reports": items}, indent=2))
    pages.write(folder, period, items)


def _order(entry: Mapping[str, Any]) -> tuple[str, str]:
    return entry["scope"], entry["report"]


def _relative(entry: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    out = json.loads(json.dumps(entry, default=str))
    out["outputs"] = {k: _under(v, folder) for k, v in entry.get("outputs", {}).items()}
    params = out.get("parameters", {})
    if params.get("summary_path"):
        params["summary_path"] = _under(params["summary_path"], folder)
    return out


def _under(path: str, folder: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), folder.resolve())).as_posix()


def log_run(out_dir: Path, record: Mapping[str, Any]) -> None:
    """Append one run's record to ``reports/runs.jsonl`` (see :func:`append`)."""
    append(out_dir / RUN_LOG, {"user": user(), "host": socket.gethostname(), **record})


def append(path: Path, record: Mapping[str, Any]) -> None:
    """Append ``record`` as one JSON line with one ``write`` on a file opened for
    appending: lines from two processes never interleave, and no earlier line is ever
    rewritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, default=str)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """Every record of a JSON-lines log, oldest first; empty when there is none. A last
    line cut short (a write that a crash interrupted) is left out."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def user() -> str:
    """Who is running: the login name, or the numeric id where there is none (a container)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def read_runs(out_dir: Path) -> list[dict[str, Any]]:
    """Every run recorded in ``reports/runs.jsonl``, oldest first."""
    return read_lines(out_dir / RUN_LOG)
