"""Kernels for the batch runner: one warm kernel per worker, reset between reports.

Starting a kernel and importing pandas, matplotlib and salesops costs about as much as
a report's own work. A worker therefore keeps its kernel between reports and, before
each one, resets it: the user namespace is emptied (``%reset -f``), figures are closed,
the working directory and the execution counter are set back, and the memory the last
report freed is handed back to the system (a review after a company-wide report does
not keep its gigabytes). Imported modules stay, and with them nothing a report
displays: every report loads its own data by scope.

A kernel that timed out, died or failed to reset is shut down, and the next report gets
a new one; so is a kernel that has run :data:`MAX_REPORTS` reports, and one that still
holds more than :data:`MAX_RESIDENT` after its reset: a company-wide report leaves its
kernel with memory that freeing does not give back (the heap's fragments), and a fresh
kernel costs about a second, once after such a report.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import multiprocessing.util
import os
import tempfile
import threading
from typing import Any

# Kernels that run side by side (the runner's pool, the dashboard's visitors) each keep
# their numeric libraries to one thread: OpenBLAS threads of parallel kernels otherwise
# fight over the cores, and small statsmodels fits run several times slower.
ONE_THREAD_PER_KERNEL = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


MAX_REPORTS = 25  # then a fresh kernel, so that a long run's memory stays flat
MAX_RESIDENT = 1 << 30  # bytes a kernel may hold after its reset (a fresh one: 0.25 GB)

RESET = """\
get_ipython().run_line_magic("reset", "-f")
import matplotlib.pyplot as _plt, os as _os, gc as _gc, ctypes as _ctypes, sys as _sys
_plt.close("all")
_os.chdir({cwd!r})
_gc.collect()
if "pyarrow" in _sys.modules:  # Arrow's own allocator keeps freed pages for reuse
    _sys.modules["pyarrow"].default_memory_pool().release_unused()
if _sys.platform == "linux":  # give the last report's freed memory back to the system
    _ctypes.CDLL("libc.so.6").malloc_trim(0)
del _plt, _os, _gc, _ctypes, _sys
get_ipython().execution_count = 1
"""


def ipc_kernel_manager(folder: str) -> type:
    """A kernel manager that talks to its kernel over Unix sockets in ``folder``.

    TCP ports are picked by each kernel and can collide when many start at once (seen as
    "Address already in use"); sockets in a private folder cannot. Each kernel keeps its
    numeric libraries to one thread (``ONE_THREAD_PER_KERNEL``): the pool's processes
    are the parallelism.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _ip_default(self) -> str:
            return os.path.join(folder, "kernel")

        async def _async_pre_start_kernel(self, **kw):
            kw["env"] = {**(kw.get("env") or os.environ), **ONE_THREAD_PER_KERNEL}
            return await super()._async_pre_start_kernel(**kw)

    return IPCKernelManager


class WarmKernel:
    """The kernel one worker thread keeps between reports, with its one client; see the
    module docstring."""

    def __init__(self) -> None:
        self.km: Any = None
        self.kc: Any = None
        self.reports = 0
        self.environment: dict[str, str] = {}
        self._sockets: tempfile.TemporaryDirectory | None = None

    def ready(self, cwd: str, environment: dict[str, str] | None = None) -> None:
        """Make sure ``km`` and ``kc`` are a live kernel, clean, working in ``cwd``, whose
        environment holds ``environment`` on top of this process's (a kernel started
        with other values is replaced)."""
        from jupyter_core.utils import run_sync

        environment = environment or {}
        if self.km is not None and (
            self.reports >= MAX_REPORTS
            or environment != self.environment
            or not run_sync(self.km.is_alive)()
        ):
            self.stop()
        if self.km is not None:
            try:
                run_sync(self._reset)(cwd)
            except Exception:  # a kernel that cannot be reset is not trusted with a report
                self.stop()
        if self.km is not None and self.resident() > MAX_RESIDENT:
            self.stop()
        if self.km is None:
            run_sync(self._start)(cwd, environment)
        self.reports += 1

    async def _start(self, cwd: str, environment: dict[str, str]) -> None:
        self._sockets = tempfile.TemporaryDirectory(prefix="salesops-kernel-")
        self.km = ipc_kernel_manager(self._sockets.name)(kernel_name="python3")
        # No history database: a reset sets the execution counter back, and IPython would
        # print a clash of line numbers in it into the next report.
        await self.km.start_kernel(
            cwd=cwd,
            env={**os.environ, **environment},
            extra_arguments=["--HistoryManager.enabled=False"],
        )
        self.environment = dict(environment)
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=60)

    async def _reset(self, cwd: str) -> None:
        msg_id = self.kc.execute(RESET.format(cwd=cwd), store_history=False, allow_stdin=False)
        while True:  # its outputs, up to the kernel going idle, are read and dropped
            msg = await self.kc.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") == msg_id and (
                msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
            ):
                break
        reply = await self.kc.get_shell_msg(timeout=30)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue')}")

    def resident(self) -> int:
        """The kernel process's resident memory in bytes (0 when it cannot be read)."""
        import psutil

        pid = getattr(self.km.provisioner, "pid", None)
        try:
            return psutil.Process(pid).memory_info().rss if pid else 0
        except psutil.Error:
            return 0

    def stop(self) -> None:
        """Shut the kernel down (now: a report that timed out may still be running)."""
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            with contextlib.suppress(Exception):  # already gone
                run_sync(self.km.shutdown_kernel)(now=True)
        if self._sockets is not None:
            self._sockets.cleanup()
        self.km, self.kc, self._sockets, self.reports = None, None, None, 0
        self.environment = {}


_local = threading.local()


def warm_kernel() -> WarmKernel:
    """This thread's warm kernel (a pool process has one thread; a Dask worker several).

    It is shut down when the process exits, normally or as a pool worker.
    """
    kernel = getattr(_local, "kernel", None)
    if kernel is None:
        kernel = _local.kernel = WarmKernel()
        atexit.register(kernel.stop)
        multiprocessing.util.Finalize(kernel, kernel.stop, exitpriority=10)
    return kernel


def abandon() -> None:
    """Forget this thread's kernel after it was killed from outside (a worker ending on
    SIGTERM): remove its sockets' folder, with nothing said to the kernel."""
    kernel = getattr(_local, "kernel", None)
    if kernel is not None and kernel._sockets is not None:
        kernel._sockets.cleanup()


@functools.cache
def warm_engine() -> str:
    """Register (once per process) and name papermill's nbclient engine on a warm kernel.

    Called with ``km=`` and ``kc=``, a :class:`WarmKernel`'s manager and client, it runs
    the notebook through that open client: no new client, no wait for one to be ready,
    nothing closed at the end. The executed notebook is written when it starts and when
    it ends (a failed or timed-out one too), not before and after each cell as papermill
    does: that cost about 0.3 s per report (``benchmarks/notebook_saves.py``).
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class WarmClient(PapermillNotebookClient):
        def __init__(self, nb_man, kc, **kw) -> None:
            super().__init__(nb_man, **kw)
            self.kc = kc  # set: nbclient then neither makes nor closes one
            self.kc.allow_stdin = False

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            km=None,
            kc=None,
            **kwargs,
        ):
            # Papermill writes the whole notebook (outputs, pictures and a schema check)
            # before and after every cell; nothing reads the running file, so it is
            # written once at the start and once at the end (the path is back for that).
            path, nb_man.output_path = nb_man.output_path, None
            try:
                return WarmClient(
                    nb_man,
                    kc,
                    km=km,
                    timeout=execution_timeout,
                    startup_timeout=start_timeout,
                    kernel_name=kernel_name,
                    log=logger,
                    log_output=log_output,
                    stdout_file=stdout_file,
                    stderr_file=stderr_file,
                ).execute()
            finally:
                nb_man.output_path = path

    papermill_engines.register("salesops-warm", WarmKernelEngine)
    return "salesops-warm"
