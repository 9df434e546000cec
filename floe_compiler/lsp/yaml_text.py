"""Reading YAML text without parsing it: where a token ends, and which path a line sits
at, judged by indentation. An editor's buffer is often not valid YAML while a key is
being typed, and completion must still know where it is.

Lines and columns here are 0-based, in characters (code points), as Python indexes text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from floe_compiler.loader import Path_

_LINE = re.compile(r"(?P<indent> *)(?P<dash>-(?: +|$))?")
# Node properties that may stand between a key's colon and its nested block.
_PROPERTIES = re.compile(r"(?:[&!]\S*\s*)*(?:#.*)?$")


@dataclass(frozen=True)
class Line:
    """What one line of block YAML opens: a sequence item (its dash) and/or a key."""

    indent: int
    dash: int | None  # column of a leading `- `
    content: int  # column where the item's content (or the key) starts
    key: str | None
    key_end: int  # column just past the key's text
    opener: bool  # `key:` with nothing after it: a nested block follows


def read_line(text: str) -> Line | None:
    """The structure of one line, or None for a blank line, a comment or a `---`."""
    body = text.rstrip("\r\n")
    stripped = body.strip()
    if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
        return None
    match = _LINE.match(body)
    assert match is not None  # both groups are optional
    indent = len(match["indent"])
    dash = indent if match["dash"] is not None else None
    content = match.end()
    key, key_end, rest = _key(body, content)
    opener = key is not None and _PROPERTIES.match(rest.strip()) is not None
    return Line(indent, dash, content, key, key_end, opener)


def _key(body: str, start: int) -> tuple[str | None, int, str]:
    """The key at `start`, where it ends, and the rest of the line after its colon."""
    if start >= len(body) or body[start] in "#[{":
        return None, start, ""
    if body[start] in "\"'":
        end = token_end(body, start)
        after = body[end:]
        stripped = after.lstrip()
        if stripped.startswith(":") and (len(stripped) == 1 or stripped[1] in " \t"):
            return body[start + 1:end - 1], end, stripped[1:]
        return None, start, ""
    for match in re.finditer(r":(?=[ \t]|$)", body[start:]):
        key = body[start:start + match.start()].rstrip()
        if " #" in key or "\t#" in key:
            return None, start, ""
        return (key or None), start + len(key), body[start + match.end():]
    return None, start, ""


def token_end(line: str, start: int) -> int:
    """Where the YAML token that starts at column `start` of `line` ends (exclusive): a
    quoted string up to its closing quote, a flow collection up to its bracket, a plain
    scalar or key up to `: `, ` #` or (in a flow collection) `,]}`."""
    line = line.rstrip("\r\n")
    if start >= len(line):
        return start
    first = line[start]
    if first in "\"'":
        i = start + 1
        while i < len(line):
            char = line[i]
            if first == '"' and char == "\\":
                i += 2
                continue
            if char == first:
                if first == "'" and line[i + 1:i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return len(line.rstrip())
    if first in "[{":
        depth = 0
        for i in range(start, len(line)):
            if line[i] in "[{":
                depth += 1
            elif line[i] in "]}":
                depth -= 1
                if depth == 0:
                    return i + 1
        return len(line.rstrip())
    if first in "|>" or (first == "-" and line[start + 1:start + 2] in ("", " ")):
        return len(line.rstrip())
    in_flow = line.count("[", 0, start) + line.count("{", 0, start) \
        > line.count("]", 0, start) + line.count("}", 0, start)
    i = start
    while i < len(line):
        char = line[i]
        if char == ":" and (i + 1 == len(line) or line[i + 1] in " \t"
                            or (in_flow and line[i + 1] in ",]}")):
            break
        if char == "#" and i > start and line[i - 1] in " \t":
            break
        if in_flow and char in ",]}":
            break
        i += 1
    return max(start + 1, len(line[:i].rstrip()))


def container_at(lines: list[str], row: int, column: int, *, item: bool) -> Path_:
    """The path of the collection that holds a node at `row`, judged by indentation: the
    mapping of a key at `column`, or (`item`) the sequence of an item whose dash is at
    `column`. Indexes count the sibling items above."""
    parts: list[str | int] = []
    r = row - 1
    while True:
        if item:
            index = 0
            line = None
            while r >= 0:
                line = read_line(lines[r])
                if line is not None:
                    if line.dash == column:
                        index += 1
                    elif line.key is not None and line.content <= column:
                        break
                r -= 1
            parts.append(index)
            if r < 0 or line is None or line.key is None:
                break
            parts.append(line.key)
        else:
            line = None
            while r >= 0:
                line = read_line(lines[r])
                if line is not None:
                    if line.key is not None and line.content == column and line.dash is not None:
                        break  # a sibling key, on the line of the item's dash
                    if line.key is not None and line.content < column:
                        break  # the parent key
                    if line.key is None and line.dash is not None and line.dash < column \
                            and line.content in (column, len(lines[r].rstrip("\r\n"))):
                        break  # a dash alone, the item's keys below it
                r -= 1
            if r < 0 or line is None:
                break
            if line.key is not None and line.content < column:
                parts.append(line.key)
            elif line.dash is not None:
                column, item = line.dash, True
                r -= 1
                continue
        if line.dash is not None:
            column, item = line.dash, True
        else:
            column, item = line.content, False
        r -= 1
    return tuple(reversed(parts))


@dataclass(frozen=True)
class Cursor:
    """What is being typed at the cursor: a key of the mapping at `path`, or the value at
    `path`; `start` is the column where the typed text (`prefix`) begins."""

    role: str  # "key" or "value"
    path: Path_
    prefix: str
    start: int
    indent: int  # column of the key (for a key), to indent what completion inserts


_FLOW_ITEM = re.compile(r"(?P<key>[^\s#:'\"\[\]{},][^#:]*?)\s*:\s*\[(?P<items>[^\]]*)$")
_VALUE = re.compile(r"(?P<key>[^\s#:'\"\[\]{},][^#:]*?|\"[^\"]*\"|'[^']*')\s*:[ \t]+"
                    r"(?P<value>[^\s#\[{]*)$")


def cursor_at(lines: list[str], row: int, column: int,
              item_is_value: Callable[[Path_], bool]) -> Cursor | None:
    """Where the cursor at (row, column) is, in YAML terms. `item_is_value(path)` says
    whether items of the sequence at `path` are scalars (else mappings, whose keys are
    being typed after a `- `)."""
    text = lines[row].rstrip("\r\n") if row < len(lines) else ""
    before = text[:column]
    match = _LINE.match(before)
    assert match is not None
    indent = len(match["indent"])
    content = match.end()
    rest = before[content:]
    dash = indent if match["dash"] is not None else None
    flow = _FLOW_ITEM.search(rest)
    if flow is not None and flow.start() == 0:
        key = flow["key"]
        mapping = _mapping_of(lines, row, content, dash)
        typed = re.split(r"[,\[]", flow["items"])[-1]
        prefix = typed.lstrip().strip("\"'")
        return Cursor("value", (*mapping, key, 0), prefix, column - len(typed.lstrip()),
                      content)
    value = _VALUE.match(rest)
    if value is not None:
        key = value["key"].strip("\"'")
        mapping = _mapping_of(lines, row, content, dash)
        return Cursor("value", (*mapping, key), value["value"], column - len(value["value"]),
                      content)
    if re.fullmatch(r"[^\s:#\[\]{},]*", rest) is None:
        return None
    if dash is not None:
        sequence = container_at(lines, row, dash, item=True)
        if item_is_value(sequence):
            return Cursor("value", sequence, rest.strip("\"'"), content, content)
        return Cursor("key", sequence, rest, content, content)
    return Cursor("key", container_at(lines, row, content, item=False), rest, content, content)


def _mapping_of(lines: list[str], row: int, content: int, dash: int | None) -> Path_:
    """The mapping that holds the key starting at `content` on `row`."""
    if dash is not None:
        return container_at(lines, row, dash, item=True)
    return container_at(lines, row, content, item=False)
