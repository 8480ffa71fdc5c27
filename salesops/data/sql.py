"""SQL text: quoted identifiers, table names and string literals."""

from __future__ import annotations


def quote(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def ident(name: str) -> str:
    """A quoted table name (``schema.table`` is quoted part by part)."""
    return ".".join(quote(part) for part in name.split("."))


def literal(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
