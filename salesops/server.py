"""``salesops serve``: the manager dashboard on Voila, on this machine only.

Voila runs ``notebooks/dashboard.ipynb`` with its sources stripped and tracebacks
hidden, one kernel kept pre-heated (the notebook reads nothing from the request, so a
kernel that ran it ahead of time is safe to hand to anyone the server admits), and idle
kernels culled. ``--scope region:<name>`` sets ``SALESOPS_SCOPE`` in the server's
environment, which its kernels inherit: every dashboard they run loads that region's
rows only (see :mod:`salesops.reports.dashboard`).

A token (``--token`` or ``SALESOPS_TOKEN``) reaches Voila through its environment
(``JUPYTER_TOKEN``, which only the server's user can read), never its command line, which
anyone on the machine can read with ``ps``; it is not printed either.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from salesops.batch.kernels import ONE_THREAD_PER_KERNEL
from salesops.config import root
from salesops.data.mapping import portable
from salesops.data.scopes import Scope
from salesops.errors import ConfigError
from salesops.reports.dashboard import LOCK_ENV

SOURCE_ENV = "SALESOPS_SOURCE"
TOKEN_ENV = "SALESOPS_TOKEN"  # the token, for who would rather not type it in a command
VOILA_TOKEN_ENV = "JUPYTER_TOKEN"  # where Voila's identity provider reads it
CULL_IDLE_SECONDS = 900


def voila_command(port: int = 8866, token: bool = False) -> list[str]:
    """The Voila command line that serves the dashboard on 127.0.0.1:``port``; with
    ``token``, Voila requires the token its environment holds (:func:`environment`)."""
    voila = Path(sys.executable).with_name("voila")
    return [
        str(voila),
        str(root() / "notebooks" / "dashboard.ipynb"),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--no-browser",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--preheat_kernel=True",
        "--Voila.kernel_websocket_connection_class=salesops.websocket.CurrentProtocolOnly",
        "--pool_size=1",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
        "--MappingKernelManager.cull_interval=60",
        "--Voila.auto_token=True" if token else "--token=",
    ]


def environment(
    scope: str | None = None, source: str | None = None, token: str | None = None
) -> dict[str, str]:
    """The server's environment: the scope lock, the source and the token, checked first
    (a source that cannot be opened, or a region it lacks, fails here, not in a visitor's
    page)."""
    from salesops.data.sources import open_source

    unset = (LOCK_ENV, SOURCE_ENV, TOKEN_ENV, VOILA_TOKEN_ENV, "JUPYTER_TOKEN_FILE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    if token:
        env[VOILA_TOKEN_ENV] = token
    env.update(ONE_THREAD_PER_KERNEL)  # one kernel per visitor: threads would fight
    if source:
        env[SOURCE_ENV] = portable(source)  # the kernels start in notebooks/
    with open_source(source) as src:
        if scope and scope != "company":
            lock = Scope.parse(scope)
            if lock.level != "region":
                raise ConfigError(
                    f"--scope locks the dashboard to a region (region:<name>), not {scope}"
                )
            regions = src.scopes("region")
            if lock.value not in regions:
                raise ConfigError(
                    f"--scope: no region {lock.value!r} in the data; regions: {', '.join(regions)}"
                )
            env[LOCK_ENV] = str(lock)
    return env


def serve(
    port: int = 8866, scope: str | None = None, token: str | None = None, source: str | None = None
) -> int:
    """Replace this process with Voila (so a signal to it reaches Voila, which then shuts
    its kernels down); returns only if Voila cannot be started. ``token`` defaults to
    ``SALESOPS_TOKEN``."""
    token = token or os.environ.get(TOKEN_ENV) or None
    env = environment(scope, source, token)
    print(
        f"salesops dashboard on http://127.0.0.1:{port}/"
        + ("?token=<the token>" if token else "")
        + (f" (locked to {env[LOCK_ENV]})" if LOCK_ENV in env else ""),
        flush=True,
    )
    command = voila_command(port, token=bool(token))
    os.execve(command[0], command, env)
    return 1  # not reached
