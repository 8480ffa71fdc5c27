"""SMTP settings: from the environment or a private file, a broken password named but never
echoed."""

from __future__ import annotations

import os

import pytest

from salesops.delivery.smtp import SMTPSettings
from salesops.errors import ConfigError


def test_smtp_settings_come_from_the_environment_or_a_private_file(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("SALESOPS_SMTP"):
            monkeypatch.delenv(name)
    with pytest.raises(ConfigError, match="set SALESOPS_SMTP_HOST"):
        SMTPSettings.load()
    path = tmp_path / "smtp.yml"
    path.write_text("host: mail.example.com\nuser: ops\npassword: secret\n")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="holds a password and others can read it"):
        SMTPSettings.load(path)
    path.chmod(0o600)
    monkeypatch.setenv("SALESOPS_SMTP_PORT", "2525")
    settings = SMTPSettings.load(path)
    assert (settings.address, settings.user, settings.password) == (
        "mail.example.com:2525",
        "ops",
        "secret",
    )
    assert "secret" not in repr(settings)
    monkeypatch.setenv("SALESOPS_SMTP_SECURITY", "tls")
    with pytest.raises(ConfigError, match="security"):
        SMTPSettings.load(path)


def test_a_broken_smtp_password_is_named_but_not_echoed(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("SALESOPS_SMTP"):
            monkeypatch.delenv(name)
    path = tmp_path / "smtp.yml"
    path.write_text("host: mail.example.com\nuser: ops\npassword: 73914628\nport: mail\n")
    path.chmod(0o600)
    with pytest.raises(ConfigError) as caught:
        SMTPSettings.load(path)
    message = str(caught.value)
    assert "password: must be text" in message and "port: must be a whole number" in message
    assert "73914628" not in message
    assert "got 'mail'" in message  # what is not a secret is still shown
