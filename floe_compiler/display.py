"""Text shown to people: one line stays one line, and nothing is unboundedly long.

A value from a file (a destination name, a key, a message quoting either) may hold
a newline, an escape sequence or a bidi override. Printed as is, it could forge
lines in a report or on a terminal, so every human-readable line goes through
`printable`; source snippets go through `visible`, which keeps columns aligned.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, line/paragraph separators, and the bidi embedding, override
# and isolate characters ("Trojan Source"): none belongs in one line of a report.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_REPLACEMENT = "\ufffd"

# Past this many characters a message or hint is cut (with a count of the rest).
MAX_MESSAGE = 1000


def printable(text: str) -> str:
    """`text` on one line: each control character written as an escape (`\\n`, `\\x1b`)."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(lambda m: _escape(m[0]), text)


def _escape(char: str) -> str:
    code = ord(char)
    return _ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(line: str) -> str:
    """A source line for a snippet: tabs as one space and any other control character
    as U+FFFD, one character for one, so a caret below it still points right."""
    line = line.replace("\t", " ")
    return _UNPRINTABLE.sub(_REPLACEMENT, line) if _UNPRINTABLE.search(line) else line


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text`, cut after `limit` characters with a count of what was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def window_start(line: str, column: int, width: int) -> int:
    """Where a `width`-character window of `line` around the 1-based `column` starts."""
    if len(line) <= width:
        return 0
    return min(max(column - 1 - width // 2, 0), len(line) - width)


def cut(line: str, start: int, width: int) -> str:
    """`width` characters of `line` from `start`, with `...` where it was cut (as ruff and
    rustc show long lines). Context lines are cut at the caret line's `start`, so that
    they stay aligned with it."""
    if start == 0 and len(line) <= width:
        return line
    piece = line[start:start + width]
    return ("..." if start else "") + piece + ("..." if start + width < len(line) else "")
