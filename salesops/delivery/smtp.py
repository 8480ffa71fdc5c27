"""Sending mail: the SMTP server's settings, and a connection that retries what can be
retried.

Settings come from environment variables, or from a settings file (YAML) named by
``--smtp`` or ``SALESOPS_SMTP_CONFIG``; a variable wins over the file. Neither the plan
nor the manifest ever holds them.

============================  ===========================================  ==============
variable                      meaning                                      default
============================  ===========================================  ==============
``SALESOPS_SMTP_HOST``        the server                                   (required)
``SALESOPS_SMTP_PORT``        its port                                     587, 465 (ssl)
``SALESOPS_SMTP_SECURITY``    ``starttls``, ``ssl`` or ``none``            ``starttls``
``SALESOPS_SMTP_USER``        login name, when the server wants one        none
``SALESOPS_SMTP_PASSWORD``    its password                                 none
``SALESOPS_SMTP_TIMEOUT``     seconds to wait for the server               30
``SALESOPS_SMTP_RETRIES``     retries of a message after a temporary error 2
``SALESOPS_SMTP_RETRY_WAIT``  seconds before the first retry (then ×2)     5
============================  ===========================================  ==============
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
import stat
import time
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from salesops.config import checked, read_yaml
from salesops.errors import ConfigError, SalesopsError

PREFIX = "SALESOPS_SMTP_"
CONFIG_VARIABLE = "SALESOPS_SMTP_CONFIG"


class SMTPSettings(BaseModel):
    """How to reach the mail server."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    host: str
    port: int | None = None
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password: str | None = Field(default=None, repr=False)
    timeout: float = 30.0
    retries: int = Field(default=2, ge=0)
    retry_wait: float = Field(default=5.0, ge=0)

    @property
    def resolved_port(self) -> int:
        """The port, or the usual one for the security: 465 (ssl), 587 (starttls), 25."""
        default = 465 if self.security == "ssl" else 587 if self.security == "starttls" else 25
        return self.port or default

    @property
    def address(self) -> str:
        """``host:port``, for messages."""
        return f"{self.host}:{self.resolved_port}"

    @classmethod
    def load(
        cls, path: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> SMTPSettings:
        """Read the settings file (if any), then the environment over it.

        A settings file that holds a password must be readable by its owner alone.

        Raises
        ------
        ConfigError
            Without a host, or with a value that is not valid, naming where it came from.
        """
        environ = os.environ if environ is None else environ
        path = path or environ.get(CONFIG_VARIABLE)
        values: dict[str, Any] = {}
        origin = "the SALESOPS_SMTP_* variables"
        if path:
            data = read_yaml(path) or {}
            if not isinstance(data, Mapping):
                raise ConfigError(f"{path}: expected a mapping of SMTP settings")
            if data.get("password") and Path(path).stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise ConfigError(
                    f"{path} holds a password and others can read it: `chmod 600 {path}`"
                )
            values.update(data)
            origin = f"{path} and the SALESOPS_SMTP_* variables"
        for name in cls.model_fields:
            if environ.get(PREFIX + name.upper()):
                values[name] = environ[PREFIX + name.upper()]
        if not values.get("host"):
            raise ConfigError(
                "no SMTP server to send with: set SALESOPS_SMTP_HOST (see docs/delivery.md), "
                "or preview the messages with --dry-run"
            )
        return checked(cls, values, f"SMTP settings from {origin}")


class SendError(SalesopsError):
    """A message was not accepted; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False, attempts: int = 1) -> None:
        super().__init__(message)
        self.permanent, self.attempts = permanent, attempts


class UnreachableError(SalesopsError):
    """The mail server could not be reached at all: nothing more can be sent now."""


class Mailer:
    """One connection to the server, opened on the first message and kept for the rest.

    A temporary failure (a 4xx reply, a dropped connection) is retried on a new
    connection after ``retry_wait`` seconds, doubling each time, ``retries`` times; a
    permanent one (a 5xx reply, a refused recipient) is not.
    """

    def __init__(self, settings: SMTPSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def send(self, message: EmailMessage) -> int:
        """Send ``message``; return how many attempts it took.

        Raises
        ------
        SendError
            When the server refused it, or every attempt failed.
        UnreachableError
            When no connection could be opened, after the retries.
        """
        retries, wait = self.settings.retries, self.settings.retry_wait
        for attempt in range(1, retries + 2):
            try:
                smtp = self._connect(last=attempt == retries + 1)
                smtp.send_message(message)
                return attempt
            except smtplib.SMTPRecipientsRefused as exc:
                replies = list(exc.recipients.values())
                error, permanent = _reply(*replies[0]), all(code >= 500 for code, _ in replies)
            except smtplib.SMTPResponseException as exc:
                error, permanent = _reply(exc.smtp_code, exc.smtp_error), exc.smtp_code >= 500
                self.close()
            except (smtplib.SMTPException, OSError) as exc:  # a dropped connection
                error, permanent = f"{type(exc).__name__}: {exc}", False
                self.close()
            if permanent or attempt > retries:
                raise SendError(error, permanent, attempt)
            time.sleep(wait * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _connect(self, last: bool) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        try:
            if s.security == "ssl":
                context = ssl.create_default_context()
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.resolved_port, timeout=s.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(s.host, s.resolved_port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.user:
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise UnreachableError(f"{s.address} refused the login {s.user!r}: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            if last:
                raise UnreachableError(f"cannot reach the mail server {s.address}: {exc}") from None
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        """Say goodbye to the server, if it is still listening."""
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"the server replied {code} {text}".strip()
