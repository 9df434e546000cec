"""What a credential looks like, so that none is committed and none is ever printed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, overload
from urllib.parse import unquote, urlsplit

MASK = "****"

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


@lru_cache(maxsize=4096)  # keys repeat: every transform has a `name`
def is_credential_key(key: str) -> bool:
    name = normalise(key)
    if name.endswith(_REFERENCE_SUFFIXES):
        return False
    return name in _CREDENTIAL_KEYS or name.endswith(_CREDENTIAL_SUFFIXES)


def is_literal_secret(value: Any) -> bool:
    """A value written in the file itself, as opposed to a reference to a secret store."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float | date):  # YAML 1.1 reads 2024-01-01 as a date
        return True
    return isinstance(value, str) and value.strip() != "" and not _REFERENCE_VALUE.match(value)


def literal_secrets(value: Any) -> Iterator[str]:
    """The literal credentials in a value held by a credential key, as text."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not normalise(str(key)).endswith(_REFERENCE_SUFFIXES):
                yield from literal_secrets(item)
    elif isinstance(value, list):
        for item in value:
            yield from literal_secrets(item)
    elif is_literal_secret(value):
        yield str(value)


def holds_literal_secret(value: Any) -> bool:
    """A literal credential, or a mapping/list with one anywhere inside (`credentials:
    {user: u, pass: p}`); keys that name where a secret is (`*_ref`) do not count."""
    return next(literal_secrets(value), None) is not None


_KEY_VALUE_LINE = re.compile(
    r"^(?P<head>\s*(?:-\s+)?[\"']?(?P<key>[\w.-]+)[\"']?\s*:\s+)(?P<value>.+)$")
# `key:` inside a flow mapping; its value is found by `_value_end`, brackets balanced.
_INLINE_KEY = re.compile(r"[\"']?(?P<key>[\w.-]+)[\"']?\s*:(?:\s+|(?=[\[{\"']))")
_ALIASED = re.compile(r"[\"']?(?P<key>[\w.-]+)[\"']?\s*:\s*\*(?P<anchor>[^\s,\[\]{}]+)")
# `password: |`, `password: >-` or `password:` alone: the value is on the lines below.
_KEY_ALONE = re.compile(r"^(?P<indent>\s*(?:-\s+)?)[\"']?(?P<key>[\w.-]+)[\"']?\s*:"
                        r"\s*(?:[|>][-+0-9]*)?\s*(?:#.*)?$")


def redact_lines(lines: list[str]) -> list[str]:
    """`redact_line` on each line, plus the indented lines holding the value of a credential
    key that stands alone on its line (block scalars, plain values on the next line).

    A fallback for text the loader could not parse; parsed credentials are masked
    exactly by `Located.display_text`.
    """
    out: list[str] = []
    block: int | None = None  # the credential key's column while inside its value
    anchors = _credential_anchors(lines)
    for line in lines:
        line = _mask_anchors(line, anchors)
        indent = len(line) - len(line.lstrip(" "))
        if block is not None:
            if not line.strip() or indent > block:
                out.append(line[:indent] + MASK if line.strip() else line)
                continue
            block = None
        alone = _KEY_ALONE.match(line)
        if alone and is_credential_key(alone["key"]):
            block = len(alone["indent"])
        out.append(redact_line(line))
    return out


# What `redacted_lines` must find to decide per line: line breaks other than \n (which
# `re`'s $ misses), and a credential key alone on its line (_KEY_ALONE), whose value is
# on the lines below. A credential key holds one of these words, whatever its case and
# separators (is_credential_key lowercases it, and turns camelCase and dashes into
# underscores), so only the lines holding one are read: a regular expression trying
# every colon of a 16 MB file took 0.18 s, these searches ~0.08 s.
_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_CREDENTIAL_WORDS = ("pass", "pwd", "secret", "token", "api", "private", "credential",
                     "connection", "dsn")


def _credential_key_alone(text: str) -> bool:
    lowered = text.lower()
    if len(lowered) != len(text):  # a character that lowercases to two: read it all
        lowered = "".join(c.lower()[:1] for c in text)
    read: set[int] = set()
    for word in _CREDENTIAL_WORDS:
        at = lowered.find(word)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            if start not in read:
                read.add(start)
                alone = _KEY_ALONE.match(text[start:end])
                if alone and is_credential_key(alone["key"]):
                    return True
            at = lowered.find(word, end)
    return False


def redacted_lines(text: str) -> Sequence[str]:
    """`redact_lines(text.splitlines())`, each line worked out when first read: a snippet
    reads a few lines of a file that may hold 600,000. Whole, as `redact_lines`, when a
    credential key stands alone on its line (its masking carries over to the lines below)."""
    lines = text.splitlines()
    if any(other in text for other in _OTHER_BREAKS) or _credential_key_alone(text):
        return redact_lines(lines)
    return _RedactedLines(lines, _credential_anchors(lines) if "*" in text else set())


class _RedactedLines(Sequence[str]):
    def __init__(self, lines: list[str], anchors: set[str]) -> None:
        self._lines = lines
        self._anchors = anchors
        self._done: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]  # negative indexes, and IndexError
        if index not in self._done:
            self._done[index] = redact_line(_mask_anchors(self._lines[index], self._anchors))
        return self._done[index]


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")


def redact_line(line: str) -> str:
    """Mask the value of any credential-looking `key: value` on a source line, and the
    credentials inside any URL on it (`postgresql://user:pw@host`, `?token=...`)."""
    if "://" in line:
        line = _URL.sub(lambda m: mask_url(m[0]), line)
    match = _KEY_VALUE_LINE.match(line)
    if match and is_credential_key(match["key"]):
        value = match["value"]
        comment = value.find(" #")
        tail = value[comment:] if comment >= 0 else ""
        return f"{match['head']}{MASK}{tail}"

    return _mask_inline(line) if "{" in line else line


def _credential_anchors(lines: list[str]) -> set[str]:
    """`password: *pw` makes the value anchored as `&pw` a credential too."""
    return {m["anchor"] for line in lines if "*" in line
            for m in _ALIASED.finditer(line) if is_credential_key(m["key"])}


def _mask_anchors(line: str, anchors: set[str]) -> str:
    for anchor in anchors:
        line = _mask_anchor(line, anchor)
    return line


def _mask_anchor(line: str, anchor: str) -> str:
    at = line.find(f"&{anchor}")
    while at >= 0:
        start = at + len(anchor) + 1
        if start < len(line) and line[start] in " \t":
            end = _value_end(line, start + 1)
            line = line[:start + 1] + MASK + line[end:]
        at = line.find(f"&{anchor}", start)
    return line


def _mask_inline(line: str) -> str:
    """Mask credential values in flow mappings, nested ones included:
    `a: {b: 1, c: {password: [x, y]}}` -> `a: {b: 1, c: {password: ****}}`."""
    out: list[str] = []
    pos = 0
    while (match := _INLINE_KEY.search(line, pos)) is not None:
        if is_credential_key(match["key"]):
            out.append(line[pos:match.end()] + MASK)
            pos = _value_end(line, match.end())
        else:
            out.append(line[pos:match.end()])
            pos = match.end()
    out.append(line[pos:])
    return "".join(out)


def _value_end(line: str, start: int) -> int:
    """Where a flow value starting at `start` ends: `,` `]` `}` or a comment at its level."""
    depth, quote = 0, ""
    for i in range(start, len(line)):
        ch = line[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}" or (ch == "," and depth == 0):
            if depth == 0:
                return i
            depth -= 1
        elif ch == "#" and depth == 0 and line[i - 1] in " \t":
            return i
    return len(line)

_SHORTEST_MASKED = 4  # masking a 1-3 character value would garble every message

# Query parameters that carry a credential in URLs (`?password=`, `?sig=` of a signed URL,
# `?X-Amz-Credential=`), besides every name `is_credential_key` recognises.
_URL_CREDENTIAL_PARAMS = frozenset({
    "key", "pass", "auth", "authorization", "sig", "signature", "sas", "sastoken", "code",
    "credential", "x_amz_credential", "x_amz_signature", "x_amz_security_token",
    "session_token", "security_token", "x_goog_signature", "x_goog_credential",
})


def _is_credential_param(name: str) -> bool:
    key = normalise(unquote(name))
    return key in _URL_CREDENTIAL_PARAMS or is_credential_key(key) \
        or key.endswith(("_key", "_sig", "_signature"))


def _url_parts(url: str) -> tuple[str, str, str, str, str] | None:
    if "://" not in url:
        return None
    try:
        return urlsplit(url)
    except ValueError:
        return None


def url_credentials(url: str) -> list[str]:
    """The credentials inside a URL: its userinfo, and credential query parameters."""
    parts = _url_parts(url)
    if parts is None:
        return []
    netloc, query, fragment = parts[1], parts[3], parts[4]
    found: list[str] = []
    userinfo = netloc.rpartition("@")[0]
    if userinfo:
        user, _, password = userinfo.partition(":")
        found += [password, unquote(password)] if password else [user, unquote(user)]
    for pairs in (query, fragment):
        for pair in pairs.split("&"):
            name, eq, value = pair.partition("=")
            if eq and value and _is_credential_param(name):
                found += [value, unquote(value)]
    return [value for value in found if value]


def mask_url(url: str) -> str:
    """`url` fit to print: the password (or a username alone, often a token) and every
    credential query parameter replaced by `MASK`. The one way a URL is shown."""
    parts = _url_parts(url)
    if parts is None:
        return url
    scheme, netloc, path, query, fragment = parts
    userinfo, at, host = netloc.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if colon else f"{MASK}@{host}"
    masked = (netloc, _mask_params(query), _mask_params(fragment))
    if masked == (parts[1], query, fragment):
        return url
    netloc, query, fragment = masked
    # Not urlunsplit: it writes `sqlite:///x` as `sqlite:/x`.
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "") \
        + (f"#{fragment}" if fragment else "")


def _mask_params(text: str) -> str:
    pairs = []
    for pair in text.split("&") if text else []:
        name, eq, value = pair.partition("=")
        pairs.append(f"{name}={MASK}" if eq and value and _is_credential_param(name) else pair)
    return "&".join(pairs)


def mask_values(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret value, and any credential inside a URL value, masked."""
    sensitive: set[str] = set()
    for value in secrets:
        sensitive.add(value)
        sensitive.update(url_credentials(value))
    for value in sorted(sensitive, key=len, reverse=True):
        if len(value) >= _SHORTEST_MASKED:
            text = text.replace(value, MASK)
    return text
