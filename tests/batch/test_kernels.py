"""The runner's warm kernels (:mod:`salesops.batch.kernels`), without starting one (a
kernel is a process: test_runner starts, reuses and replaces real ones)."""

from __future__ import annotations

from salesops.batch import kernels


def test_kernels_talk_over_sockets_in_a_private_folder(tmp_path):
    manager = kernels.ipc_kernel_manager(str(tmp_path))()
    assert manager.transport == "ipc" and manager.ip == str(tmp_path / "kernel")


def test_each_kernels_numeric_libraries_keep_to_one_thread():
    assert set(kernels.ONE_THREAD_PER_KERNEL.values()) == {"1"}
    assert {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"} <= set(kernels.ONE_THREAD_PER_KERNEL)


def test_the_reset_code_is_valid_python_for_any_folder():
    """A folder name with a quote and a backslash is a literal in the reset, not code."""
    code = kernels.RESET.format(cwd="/tmp/o'brien\\x")
    compile(code, "reset", "exec")
    assert '_os.chdir("/tmp/o\'brien\\\\x")' in code


def test_a_kernel_never_started_stops_and_is_abandoned_quietly():
    kernel = kernels.WarmKernel()
    kernel.reports, kernel.environment = 3, {"X": "1"}
    kernel.stop()
    assert (kernel.km, kernel.kc, kernel.reports, kernel.environment) == (None, None, 0, {})
    kernels.abandon()  # this thread has no kernel, or one without sockets: nothing to do
