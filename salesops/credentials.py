"""Passwords in sources: one rule that hides them, and references that keep them out of
every output.

A SQL source is a URL, and a URL may hold a password in two places: its user part
(``postgresql://ann:secret@db/crm``) and its query (``?password=secret``, also ``pwd=`` or
``passwd=``, in any case). :func:`redact` is the one rule that hides both, wherever a URL
appears in a text: a source's label, an error message, the run log.

A source may name its password by an environment variable instead of holding it:
``postgresql://ann:${CRM_PASSWORD}@db/crm``. The reference is expanded by
:func:`expand` only when the engine connects, so what is shown, hashed and written is
the reference. The runner turns a password typed on ``--source`` into such a reference
(:func:`referenced`) and hands its value to the notebooks' kernels in their environment:
the executed notebooks, the manifest and the portal hold the reference, never the value.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping

from salesops.errors import ConfigError

HIDDEN = "***"
VARIABLE = "SALESOPS_SOURCE_PASSWORD"  # the runner's variable (then _2, _3 ...)

# scheme://user:PASSWORD@host: the password runs to the last "@" of the URL, so that a
# password holding an "@" is hidden whole (more is hidden than needed, never less).
_USERINFO = re.compile(
    r"""(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'"<>:/@]*:)(?P<secret>[^\s'"<>]*)(?=@)"""
)
# ?password=PASSWORD, &pwd=..., and libpq's "password=..." among other settings
_SETTING = re.compile(
    r"""(?P<head>(?:^|[?&;\s])(?:password|passwd|pwd)\s*=\s*)(?P<secret>[^&#\s'"<>]*)""",
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}")


def redact(text: str) -> str:
    """``text`` with every password of a URL in it shown as ``***``.

    Both forms are hidden: a user part's password (``scheme://user:***@host``) and a
    ``password=``, ``pwd=`` or ``passwd=`` setting (any case) in a query or a libpq
    connection string. An environment-variable reference (``${NAME}``) is not a
    password and is left as it is.
    """
    for pattern in (_USERINFO, _SETTING):
        text = pattern.sub(_hide, text)
    return text


def _hide(match: re.Match[str]) -> str:
    secret = match["secret"]
    if not secret or _REFERENCE.fullmatch(secret):
        return match.group(0)
    return match["head"] + HIDDEN


def referenced(location: str, variable: str = VARIABLE) -> tuple[str, dict[str, str]]:
    """``location`` with each password it holds replaced by a reference to an environment
    variable, and the variables' values.

    ``postgresql://ann:s3cret@db/crm`` gives ``postgresql://ann:${SALESOPS_SOURCE_PASSWORD}@db/crm``
    and ``{"SALESOPS_SOURCE_PASSWORD": "s3cret"}``; :func:`expand` with those variables set
    gives back exactly ``location``. A location without a password comes back unchanged
    with no variables.
    """
    found: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        secret = match["secret"]
        if not secret or _REFERENCE.fullmatch(secret):
            return match.group(0)
        name = variable if not found else f"{variable}_{len(found) + 1}"
        found[name] = secret
        return match["head"] + "${" + name + "}"

    for pattern in (_USERINFO, _SETTING):
        location = pattern.sub(swap, location)
    return location, found


def expand(location: str, environ: Mapping[str, str] | None = None) -> str:
    """``location`` with each ``${NAME}`` replaced by that environment variable's value.

    Raises
    ------
    ConfigError
        Naming the variable, when it is not set.
    """
    environ = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in environ:
            raise ConfigError(
                f"the source {redact(location)} refers to ${{{name}}}, which is not set "
                "in the environment"
            )
        return environ[name]

    return _REFERENCE.sub(value, location)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any of ``secrets``, as typed or as JSON writes them (each becomes
    ``***``): a last guard for what a notebook's kernel printed."""
    for secret in sorted(set(filter(None, secrets)), key=len, reverse=True):
        for form in {secret, json.dumps(secret)[1:-1]}:
            text = text.replace(form, HIDDEN)
    return text
