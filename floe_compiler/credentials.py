"""What a credential looks like, so that none is committed and none is ever printed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

_CREDENTIAL_KEYS = frozenset({
    "password", "passwd", "pwd", "secret", "client_secret", "secret_key", "secret_access_key",
    "token", "access_token", "refresh_token", "auth_token", "bearer_token", "api_key", "apikey",
    "private_key", "credentials", "connection_string", "dsn",
})
_CREDENTIAL_SUFFIXES = ("_password", "_secret", "_token", "_api_key", "_apikey", "_private_key")
# Keys that name *where* a secret is, not the secret itself.
_REFERENCE_SUFFIXES = ("_ref", "_url", "_uri", "_file", "_path", "_name", "_id", "_env")
_REFERENCE_VALUE = re.compile(
    r"^\s*(\$\{[^}]+\}|\{\{.*\}\}|(secret|k8s|kubernetes|vault|env|file)://\S+|"
    r"(secret|env|vault):\S+)\s*$", re.DOTALL)


def normalise(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower().replace("-", "_")


def is_credential_key(key: str) -> bool:
    name = normalise(key)
    if name.endswith(_REFERENCE_SUFFIXES):
        return False
    return name in _CREDENTIAL_KEYS or name.endswith(_CREDENTIAL_SUFFIXES)


def is_literal_secret(value: Any) -> bool:
    """A value written in the file itself, as opposed to a reference to a secret store."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and value.strip() != "" and not _REFERENCE_VALUE.match(value)


_KEY_VALUE_LINE = re.compile(
    r"^(?P<head>\s*(?:-\s+)?[\"']?(?P<key>[\w.-]+)[\"']?\s*:\s+)(?P<value>.+)$")
_INLINE_PAIR = re.compile(r"(?P<head>[\"']?(?P<key>[\w.-]+)[\"']?\s*:\s*)(?P<value>[^,}\]]+)")


def redact_line(line: str) -> str:
    """Mask the value of any credential-looking `key: value` on a source line."""
    match = _KEY_VALUE_LINE.match(line)
    if match and is_credential_key(match["key"]):
        value = match["value"]
        comment = value.find(" #")
        tail = value[comment:] if comment >= 0 else ""
        return f"{match['head']}****{tail}"

    def mask(m: re.Match[str]) -> str:
        return f"{m['head']}****" if is_credential_key(m["key"]) else m.group(0)

    return _INLINE_PAIR.sub(mask, line) if "{" in line else line


MASK = "****"
_SHORTEST_MASKED = 4  # masking a 1-3 character value would garble every message


def mask_values(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret value, and any password inside a URL value, masked."""
    sensitive: set[str] = set()
    for value in secrets:
        sensitive.add(value)
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password:
            sensitive |= {password, unquote(password)}
    for value in sorted(sensitive, key=len, reverse=True):
        if len(value) >= _SHORTEST_MASKED:
            text = text.replace(value, MASK)
    return text
