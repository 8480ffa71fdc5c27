"""The process pool of ``salesops run``: workers that end with their run, however it ends.

A worker is a forked copy of the run. It keeps a kernel (a process of its own) and, to
print PDFs, a headless Chromium (Playwright's driver, the browser and its helpers). None
of them may outlive the run, nor keep its lock (:mod:`salesops.batch.lock`):

- a run that ends normally shuts its pool down; each worker stops its kernel on its way
  out (:mod:`salesops.batch.kernels`), and its browser ends with it;
- a run stopped by SIGTERM or Ctrl-C (or any error) ends its workers before it exits
  (:func:`stop`), and records itself in the run log as interrupted;
- a run killed outright (SIGKILL, a crash) cannot do anything: each worker's watch thread
  sees its run's process end and ends the worker (and the operating system sends each
  worker SIGTERM, Linux's parent-death signal, set when the worker starts);
- a worker that gets SIGTERM kills its own descendants (kernel, driver, browser) and
  exits at once, without waiting for the report it was running.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from salesops.errors import SalesopsError

T = TypeVar("T")
PR_SET_PDEATHSIG = 1  # linux/prctl.h
GRACE_S = 10.0  # how long a worker may take to end after SIGTERM before it is killed


class TerminatedError(SalesopsError):
    """The run was asked to stop (SIGTERM)."""

    exit_code = 128 + signal.SIGTERM  # what a shell reports for a process ended by SIGTERM


@contextlib.contextmanager
def sigterm_stops() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`TerminatedError` in the main thread (where a
    run's loop waits), so that the run ends its workers and records itself; outside a
    main thread, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum: int, frame: Any) -> None:
        raise TerminatedError("stopped by SIGTERM; the reports that finished are recorded")

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def results(function: Callable[..., T], items: Iterable[Any], size: int, *args: Any) -> Iterator[T]:
    """``function(item, *args)`` for each item on a pool of ``size`` workers, in the order
    they finish. When the caller stops early (an error, a signal, ``close()``), the
    workers and everything they started are ended before this returns."""
    pool = ProcessPoolExecutor(size, initializer=_die_with, initargs=(os.getpid(),))
    try:
        futures = [pool.submit(function, item, *args) for item in items]
        for future in as_completed(futures):
            yield future.result()
    except BaseException:
        stop(pool)
        raise
    pool.shutdown()


def stop(pool: ProcessPoolExecutor) -> None:
    """End ``pool``'s workers now: SIGTERM (each kills its own descendants first), then,
    after :data:`GRACE_S`, SIGKILL for any worker or descendant still there."""
    import psutil

    workers = list((getattr(pool, "_processes", None) or {}).values())  # the pool's record
    family = []
    for worker in workers:
        with contextlib.suppress(psutil.Error):
            family += psutil.Process(worker.pid).children(recursive=True)
        worker.terminate()
    deadline = time.monotonic() + GRACE_S
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
    for process in family:  # what a worker could not end itself
        with contextlib.suppress(psutil.Error):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _die_with(parent: int) -> None:
    """A worker's first act: on SIGTERM, end its descendants and itself; have the
    operating system send it SIGTERM when its run's process ends (Linux); and watch that
    process from a thread of its own, which ends the worker when the run is gone.

    The watch is what makes it certain. A SIGTERM may be taken by any thread of the
    worker (its PDF thread, a kernel client's), and Python runs the handler only when the
    main thread next runs Python code: an idle worker's main thread waits for its next
    report in a pipe read that such a signal does not interrupt, and would wait forever.
    """
    signal.signal(signal.SIGTERM, _end)
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)  # libc's
    if os.getppid() != parent:  # the run ended before the signal was asked for
        _end()
    threading.Thread(target=_watch, args=(parent,), name="salesops-run-watch", daemon=True).start()


def _watch(parent: int) -> None:
    """Return only to end this worker, once its run's process ``parent`` has ended: a
    process file descriptor becomes readable then (Linux 5.3+); without one, or should
    waiting on it fail, the parent's pid is checked twice a second. However this thread
    ends (an error too), the worker ends with it: a worker whose watch is gone would
    outlive a killed run, with its kernel and browser (a fresh-clone suite found one
    alive 60 s after its run was killed, its watch thread gone)."""
    try:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            handle = os.pidfd_open(parent)
            select.select([handle], [], [])
        while os.getppid() == parent:
            time.sleep(0.5)
    finally:
        _end()


def _end(*_: Any) -> None:
    """Kill this worker's descendants (kernel, browser), then exit without clean-up: the
    report it was running is abandoned, and its half-written files are swept by the
    next run."""
    try:
        import psutil

        with contextlib.suppress(psutil.Error):
            family = psutil.Process().children(recursive=True)
            for process in family:
                with contextlib.suppress(psutil.Error):
                    process.kill()
            psutil.wait_procs(family, timeout=GRACE_S)
        from salesops.batch.kernels import abandon

        abandon()
    finally:  # whatever failed above, the worker ends
        os._exit(128 + signal.SIGTERM)
