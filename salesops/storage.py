"""Writing files: atomically, with the mode the umask gives (readers never see half a
report), and the disk cache of costly results keyed by what they depend on."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from salesops.config import cache_dir

T = TypeVar("T")


def umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting it, then set it back
    os.umask(mask)
    return mask


def json_text(data: Any) -> str:
    """``data`` as strict JSON text (indented): never ``NaN`` or ``Infinity``, which are
    not JSON. A non-finite number is unknown, so it is written as null, and its place is
    named under ``"unknown"`` with the reason: its own when it carries one (a
    ``reason`` attribute, as :class:`salesops.analytics.gaps.Unknown` does), else
    ``"not a finite number (inf)"``.

    Examples
    --------
    >>> print(json_text({"a": float("inf"), "b": [1.0, float("nan")]}))
    {
      "a": null,
      "b": [
        1.0,
        null
      ],
      "unknown": {
        "a": "not a finite number (inf)",
        "b[1]": "not a finite number (nan)"
      }
    }
    """
    unknown: dict[str, str] = {}

    def finite(value: Any, where: str) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            reason = getattr(value, "reason", None)  # an Unknown says why (analytics.gaps)
            unknown[where or "value"] = reason or f"not a finite number ({value})"
            return None
        if isinstance(value, dict):
            return {k: finite(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [finite(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    clean = finite(data, "")
    if unknown and isinstance(clean, dict):
        clean = {**clean, "unknown": {**clean.get("unknown", {}), **unknown}}
    return json.dumps(clean, indent=2, allow_nan=False)


def version(path: Path) -> tuple[int, int, int]:
    """Which version of the file ``path`` is: its inode, size and modification time (in
    nanoseconds). A file replaced by a rename (:func:`write_atomic`) is a new inode; one
    rewritten in place changes its size or time. Raises ``OSError`` when it is missing."""
    stat = path.stat()
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader never sees a half-written file, and an interrupted write leaves the old
    file (or none) in place. The file gets the mode the umask gives a new file
    (normally 0644), as if written by ``open``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~umask())  # mkstemp's 0600 would hide reports from readers
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def cached(kind: str, parts: Iterable[Any], compute: Callable[[], T], enabled: bool = True) -> T:
    """``compute()``, kept on disk under a fingerprint of what it depends on.

    The reports of one run that need the same costly result (the reconciled forecast,
    a region's peers) compute it once. ``parts`` are what the result depends on besides
    the code; the key is :func:`salesops.fingerprint.digest` of the package's
    :func:`~salesops.fingerprint.code_hash` and ``parts`` (frames by content, a path by
    its file's bytes), the same function the runner's report fingerprints use. Files go
    to ``<kind>/`` under :func:`salesops.config.cache_dir`. While
    one process computes a result, another that needs the same one waits for it (an
    ``fcntl.flock`` on ``<key>.lock``, released however the first process ends) rather
    than computing it too. With ``enabled`` False the result is computed and the cache
    left alone.
    """
    import fcntl
    import pickle

    from salesops import fingerprint

    if not enabled:
        return compute()
    key = fingerprint.digest([fingerprint.code_hash(), *parts])
    folder = cache_dir() / kind
    path = folder / f"{key}.pickle"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if path.is_file():
            try:
                return pickle.loads(path.read_bytes())
            except Exception:  # written by another version of a library: compute again
                pass
        result = compute()
        write_atomic(path, pickle.dumps(result))
        return result
    finally:
        os.close(fd)  # closing releases the lock
