"""YAML 1.2 core-schema scalars: plain text -> None, bool, int, float or str.

Matches ruamel.yaml's YAML 1.2 resolver (so files read as they did before we
stopped using ruamel's composer), with two deliberate differences: text that
looks numeric but is not a number (`_`, `0b_`, `._`) and integers too long to
print are strings, not a crash; timestamps stay the text the user wrote (the
artifact is JSON).
"""

from __future__ import annotations

import re
from typing import Any

CORE = "tag:yaml.org,2002:"

_INT = re.compile(r"[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+")
_FLOAT = re.compile(r"""[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                       |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
                       |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
                       |[-+]?\.(?:inf|Inf|INF)
                       |\.(?:nan|NaN|NAN)""", re.X)
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
          "FALSE": False}
_NULLS = frozenset({"~", "null", "Null", "NULL"})
# With an explicit `!!bool` tag the intent is clear, so YAML 1.1 spellings are accepted too.
_TAGGED_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "on": True,
                 "off": False, "y": True, "n": False}
# Integers past this many bits cannot be printed by Python's str() (4300 digits).
MAX_INT_BITS = 10_000


class BadScalar(ValueError):
    """A scalar whose explicit tag does not fit its text (`!!int abc`)."""


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar."""
    if not text:
        return None
    first = text[0]
    if first in "-+.0123456789":
        if _INT.fullmatch(text):
            number = _int(text)
            return text if number is None else number
        if _FLOAT.fullmatch(text):
            value = _float(text)
            return text if value is None else value
        return text
    if first in "tTfF":
        return _BOOLS.get(text, text)
    if first in "nN~":
        return None if text in _NULLS else text
    return text


def _int(text: str) -> int | None:
    digits = text.replace("_", "")
    sign = -1 if digits[:1] == "-" else 1
    digits = digits.lstrip("+-")
    try:
        if digits[:2] == "0b":
            number = int(digits[2:], 2)
        elif digits[:2] == "0x":
            number = int(digits[2:], 16)
        elif digits[:2] == "0o":
            number = int(digits[2:], 8)
        else:
            number = int(digits)
    except ValueError:  # no digits at all, or more than Python will parse
        return None
    return None if number.bit_length() > MAX_INT_BITS else sign * number


def _float(text: str) -> float | None:
    lowered = text.replace("_", "").lower()
    sign = -1.0 if lowered[:1] == "-" else 1.0
    lowered = lowered.lstrip("+-")
    if lowered == ".inf":
        return sign * float("inf")
    if lowered == ".nan":
        return float("nan")
    try:
        return sign * float(lowered)
    except ValueError:
        return None


def construct_tagged(tag: str, text: str) -> Any:
    """The value of a scalar with an explicit core tag; KeyError for any other tag."""
    kind = tag[len(CORE):] if tag.startswith(CORE) else ""
    if kind in ("str", "timestamp"):
        return text
    if kind == "null":
        return None
    if kind == "bool":
        if text.lower() in _TAGGED_BOOLS:
            return _TAGGED_BOOLS[text.lower()]
        raise BadScalar("boolean")
    if kind == "int":
        number = _int(text) if _INT.fullmatch(text) else None
        if number is None:
            raise BadScalar("integer")
        return number
    if kind == "float":
        value = resolve_plain(text) if text else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadScalar("number")
        return float(value)
    raise KeyError(tag)
