"""One run at a time per output folder: a lock on ``reports/.lock``.

The lock is an ``fcntl.flock`` on an open file, not a PID file: the operating system
releases it when the process that holds it ends, however it ends (a SIGKILL, a crash, a
reboot), so a killed run never blocks the next one. The file itself stays; it holds who
took the lock last, for the message a second run prints.

The lock is the run's process's alone. A ``flock`` belongs to the open file, and a forked
child shares its parent's open files: a pool worker would keep the lock after its run was
killed. So a forked child closes its copy of every lock its parent holds, first thing
(:func:`os.register_at_fork`), and the lock ends with the run. Should a lock still outlive
the process it names (a child forked by other code), the message names the processes that
hold the file open.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from salesops.batch.manifest import now, user
from salesops.errors import SalesopsError

LOCK_FILE = ".lock"
EX_TEMPFAIL = 75  # sysexits.h: try again later

_held: set[int] = set()  # the descriptors of the locks this process holds


def _forget_in_child() -> None:
    """In a forked child: close its copies of the parent's lock descriptors. Closing a copy
    does not unlock (the parent's stays open); unlocking would free the parent's lock."""
    for fd in _held:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


os.register_at_fork(after_in_child=_forget_in_child)


class BusyError(SalesopsError):
    """Another run holds the output folder's lock."""

    exit_code = EX_TEMPFAIL


class RunLock:
    """An exclusive lock on an output folder, held for the life of the ``with`` block.

    Parameters
    ----------
    folder
        The output folder (``reports/``); the lock file is ``folder/.lock``.
    wait
        Wait for another run to finish (True), or raise :class:`BusyError` at once.
    notify
        Called once with a message when the lock is held by another run and we wait.
    poll_s
        How often to try again while waiting.
    """

    def __init__(
        self,
        folder: Path,
        wait: bool = True,
        notify: Callable[[str], None] | None = None,
        poll_s: float = 0.5,
    ) -> None:
        self.path = Path(folder) / LOCK_FILE
        self.wait, self.notify, self.poll_s = wait, notify, poll_s
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        told = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    held = f"another run holds {self.path}"
                    if not self.wait:
                        raise BusyError(
                            f"{held} ({self.holder(fd)}); try again when it has finished"
                        ) from None
                    if not told and self.notify:
                        self.notify(f"{held} ({self.holder(fd)}); waiting for it to finish")
                    told = True
                    time.sleep(self.poll_s)
        except BaseException:  # busy, or stopped while waiting
            os.close(fd)
            raise
        _held.add(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "user": user(), "since": now()}).encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            _held.discard(self._fd)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def holder(self, fd: int) -> str:
        """Who holds the lock, from what they wrote in the file: ``pid 123, ann, since ...``;
        when that process has ended, also the live processes that hold the file open."""
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            said = f"pid {info['pid']}, {info['user']}, since {info['since']}, which has ended"
        except (ValueError, KeyError, TypeError, OSError):
            info, said = {}, "holder unknown"
        if isinstance(info.get("pid"), int) and _alive(info["pid"]):
            return said.removesuffix(", which has ended")
        others = ", ".join(f"pid {p.pid} ({p.name()})" for p in _openers(self.path))
        return f"{said}; held by {others or 'a process not visible here'}"


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _openers(path: Path) -> list[Any]:
    """The other processes that have ``path`` open (the ones this user may look into)."""
    import psutil

    target, found = os.path.realpath(path), []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        with contextlib.suppress(psutil.Error):
            if any(f.path == target for f in process.open_files()):
                found.append(process)
    return found
