"""Fingerprints: one hash of everything a result depends on.

A report's numbers depend on its data, its notebook and parameters, the configuration
files it reads and the code that computes them. The runner (which report is stale?) and
the content-hash caches (:func:`salesops.storage.cached`: is this forecast still good?)
both ask the same question, so both answer it with :func:`digest`, and both include
:func:`code_hash`, the hash of the installed package and of the libraries its numbers
come from.

What a report reads is the batch layer's to say (:func:`salesops.batch.jobs.config_files`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

# The libraries whose upgrade can change a number in a report.
NUMERIC_LIBRARIES = ("duckdb", "numpy", "pandas", "scipy", "statsmodels")
SHOWN = 16  # hex digits kept in fingerprints and manifests


@cache
def code_hash() -> str:
    """The hash of the installed ``salesops`` package and its numeric libraries' versions.

    Every file under the package folder counts (sources and templates, not bytecode), by
    path and content, so any code change changes it. Computed once per process: a run
    hashes the code once, however many reports it plans.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    for name in NUMERIC_LIBRARIES:
        try:
            digest.update(f"{name}=={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} absent\0".encode())
    return digest.hexdigest()[:SHOWN]


def file_hash(path: str | Path) -> str:
    """The hash of a file's bytes; ``"absent"`` when there is no such file."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:SHOWN]
    except FileNotFoundError:
        return "absent"


def digest(parts: Iterable[Any]) -> str:
    """One hash of ``parts``, in order.

    DataFrames and Series hash by content (values, index and column names), a ``Path`` by
    its file's bytes, a mapping by its sorted items, anything else by ``repr``.
    """
    h = hashlib.sha256()
    for part in parts:
        h.update(_bytes(part))
        h.update(b"\0")
    return h.hexdigest()[:SHOWN]


def _bytes(part: Any) -> bytes:
    import pandas as pd

    if isinstance(part, pd.DataFrame | pd.Series):
        names = part.columns if isinstance(part, pd.DataFrame) else [part.name]
        values = pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes()
        return values + repr(list(names)).encode()
    if isinstance(part, Path):
        return file_hash(part).encode()
    if isinstance(part, Mapping):
        return b"{" + b",".join(_bytes(k) + b":" + _bytes(part[k]) for k in sorted(part)) + b"}"
    return repr(part).encode()
