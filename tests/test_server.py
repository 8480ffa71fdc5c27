"""``salesops serve`` (:mod:`salesops.server`): the Voila command line and the server's
environment, checked before Voila starts; without starting it (a real server and browser:
tests/reports/test_dashboard.py)."""

from __future__ import annotations

import pytest

from salesops import server
from salesops.batch.kernels import ONE_THREAD_PER_KERNEL
from salesops.reports.dashboard import LOCK_ENV


def test_serve_checks_its_scope_and_source(small_db, monkeypatch):
    from salesops.errors import ConfigError
    from salesops.server import SOURCE_ENV, VOILA_TOKEN_ENV, environment, voila_command

    monkeypatch.chdir(small_db.parent)  # a path relative to where `serve` was typed ...
    env = environment(None, small_db.name)
    assert env[SOURCE_ENV] == str(small_db.resolve())  # ... reaches kernels in notebooks/
    with pytest.raises(ConfigError, match="database not found"):
        environment(None, "missing.duckdb")
    with pytest.raises(ConfigError, match="no region 'Atlantis'"):
        environment("region:Atlantis", str(small_db))
    with pytest.raises(ConfigError, match="locks the dashboard to a region"):
        environment("rep:R1", str(small_db))
    command = voila_command(9999, token=True)
    for flag in (
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--preheat_kernel=True",
        "--Voila.ip=127.0.0.1",
        "--Voila.auto_token=True",  # the token comes from the environment
    ):
        assert flag in command
    assert "--token=" in voila_command(9999)  # no token: none asked (127.0.0.1 only)
    assert environment(None, str(small_db), "secret")[VOILA_TOKEN_ENV] == "secret"
    assert VOILA_TOKEN_ENV not in environment(None, str(small_db))


def test_the_environment_locks_a_region_and_drops_what_the_caller_had_set(tiny_dir, monkeypatch):
    """A lock, a source or a token in the caller's own environment never reaches the
    server unless given: each is set from the arguments alone; kernels get one thread."""
    for name in (LOCK_ENV, server.SOURCE_ENV, server.TOKEN_ENV, server.VOILA_TOKEN_ENV):
        monkeypatch.setenv(name, "from the caller")
    env = server.environment("region:East", str(tiny_dir))
    assert env[LOCK_ENV] == "region:East" and env[server.SOURCE_ENV] == str(tiny_dir)
    assert server.TOKEN_ENV not in env and server.VOILA_TOKEN_ENV not in env
    assert all(env[k] == v for k, v in ONE_THREAD_PER_KERNEL.items())
    company = server.environment("company", str(tiny_dir))
    assert LOCK_ENV not in company  # the company is no lock
    with pytest.raises(
        server.ConfigError, match="no region 'Eats' in the data; regions: East, West"
    ):
        server.environment("region:Eats", str(tiny_dir))


def test_the_command_serves_only_this_machine_and_hides_sources_and_tracebacks():
    command = server.voila_command(8123)
    assert command[0].endswith("voila") and command[1].endswith("notebooks/dashboard.ipynb")
    assert "--port=8123" in command and "--Voila.ip=127.0.0.1" in command
    assert f"--MappingKernelManager.cull_idle_timeout={server.CULL_IDLE_SECONDS}" in command
    assert not any("token" in part and part != "--token=" for part in command)
