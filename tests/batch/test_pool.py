"""The run's process pool (:mod:`salesops.batch.pool`): how SIGTERM stops a run. The pool
itself starts processes (test_runner runs and kills real ones)."""

from __future__ import annotations

import signal
import threading

import pytest

from salesops.batch import pool
from salesops.errors import SalesopsError


def test_a_terminated_run_exits_as_a_shell_reports_sigterm():
    assert pool.TerminatedError.exit_code == 128 + 15 == 143
    assert issubclass(pool.TerminatedError, SalesopsError)


def test_sigterm_raises_within_the_block_and_the_handler_is_restored_after():
    before = signal.getsignal(signal.SIGTERM)
    with pool.sigterm_stops():
        handler = signal.getsignal(signal.SIGTERM)
        assert handler is not before
        with pytest.raises(pool.TerminatedError, match="stopped by SIGTERM"):
            handler(signal.SIGTERM, None)  # what the signal would call, in the main thread
    assert signal.getsignal(signal.SIGTERM) is before


def test_outside_the_main_thread_nothing_changes():
    seen = []

    def block() -> None:
        before = signal.getsignal(signal.SIGTERM)
        with pool.sigterm_stops():
            seen.append(signal.getsignal(signal.SIGTERM) is before)

    thread = threading.Thread(target=block)
    thread.start()
    thread.join()
    assert seen == [True]
