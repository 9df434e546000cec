"""Plain scalars as floe reads them: YAML 1.1, the way PyYAML's `safe_load` does.

floe-core (the consumer of floe.yaml and manifest.yaml) reads them with PyYAML, so
`yes`/`no`/`on`/`off` are booleans, `12:30` is the integer 750 (base 60), `010` is
octal, `0b1`, `0x1F` and `1_000` are integers, `2024-01-01` is a date, and `1e3`
(no dot) is text. We judge each value as floe will see it.

Editors read YAML 1.2 (core schema). `yaml12_value` resolves a scalar that way, so
the loader can warn where the two readings differ (FLOE-W111).

Deliberate differences from PyYAML, where PyYAML itself fails: text that matches
its number or date patterns but is no number or date (`0b_`, `2024-02-30`) and
integers too long to print stay text instead of raising.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

CORE = "tag:yaml.org,2002:"

# The scalars that may be numbers or dates in either YAML version start with one of these.
NUMBER_FIRST = frozenset("-+.0123456789")
# Words (no number) with another meaning in YAML 1.1 than in YAML 1.2: booleans in
# 1.1, strings in 1.2. `=` is YAML 1.1's !!value, which PyYAML's safe loader refuses.
YAML11_WORDS = frozenset({"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON",
                          "off", "Off", "OFF", "="})

# Booleans and nulls, YAML 1.1: the whole words PyYAML resolves (nothing else).
PLAIN_WORDS: dict[str, Any] = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("~", "null", "Null", "NULL"), None),
}
# One pass decides what a number-like scalar is (YAML 1.1, in PyYAML's order: float,
# int, timestamp); every inner group is non-capturing so that `lastgroup` names it.
# The `same_` forms read alike in YAML 1.2, so only the others need comparing.
_NUMERIC_11 = re.compile(r"""
    (?P<same_float>[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?|\.[0-9]+(?:[eE][-+][0-9]+)?
      |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))
    |(?P<same_int>[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)
    |(?P<float>[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
      |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
      |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
      |[-+]?\.(?:inf|Inf|INF)
      |\.(?:nan|NaN|NAN))
    |(?P<int>[-+]?0b[0-1_]+
      |[-+]?0[0-7_]+
      |[-+]?(?:0|[1-9][0-9_]*)
      |[-+]?0x[0-9a-fA-F_]+
      |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)
    |(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})
    |(?P<timestamp>[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}
      (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)
    """, re.X)
_TIMESTAMP = re.compile(r"""(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})
    (?:[Tt]|[ \t]+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})
    (?:\.(?P<fraction>[0-9]*))?
    (?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9]{1,2})(?::(?P<tz_minute>[0-9]{2}))?))?
    """, re.X)
# YAML 1.2 core schema (what yaml-language-server and most editors use).
_NUMERIC_12 = re.compile(r"""
    (?P<int>[-+]?[0-9]+)|(?P<octal>0o[0-7]+)|(?P<hex>0x[0-9a-fA-F]+)
    |(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)
    |(?P<inf>[-+]?\.(?:inf|Inf|INF))|(?P<nan>\.(?:nan|NaN|NAN))""", re.X)
_WORDS_12: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("~", "null", "Null", "NULL"), None),
}
# Integers past this many bits cannot be printed by Python's str() (4300 digits).
MAX_INT_BITS = 10_000


class BadScalar(ValueError):
    """A scalar whose explicit tag does not fit its text (`!!int abc`)."""


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar, as PyYAML's safe_load reads it."""
    if not text:
        return None
    if text[0] in NUMBER_FIRST:
        return resolve_number(text)[0]
    return PLAIN_WORDS.get(text, text)


def resolve_number(text: str) -> tuple[Any, bool]:
    """The value of a plain scalar starting like a number (`NUMBER_FIRST`), and whether
    YAML 1.2 might read it otherwise (`yaml11_and_12_differ` then tells)."""
    match = _NUMERIC_11.fullmatch(text)
    if match is None:  # text for YAML 1.1; 1e3 and -.5 are numbers for YAML 1.2
        return text, _NUMERIC_12.fullmatch(text) is not None
    construct, maybe_two = _CONSTRUCT[match.lastgroup]  # type: ignore[index]
    value = construct(text)
    return (text, True) if value is None else (value, maybe_two)


def _int(text: str) -> int | None:
    digits = text.replace("_", "")
    sign = -1 if digits[:1] == "-" else 1
    digits = digits.lstrip("+-")
    try:
        if digits[:2] == "0b":
            number = int(digits[2:], 2)
        elif digits[:2] == "0x":
            number = int(digits[2:], 16)
        elif ":" in digits:  # base 60: 1:30 is 90
            number = 0
            for part in digits.split(":"):
                number = number * 60 + int(part)
        elif digits[:1] == "0" and digits != "0":
            number = int(digits, 8)
        else:
            number = int(digits)
    except ValueError:  # no digits at all (`0b_`), or more than Python will parse
        return None
    return None if number.bit_length() > MAX_INT_BITS else sign * number


def _float(text: str) -> float | None:
    lowered = text.replace("_", "").lower()
    sign = -1.0 if lowered[:1] == "-" else 1.0
    lowered = lowered.lstrip("+-")
    if lowered == ".inf":
        return sign * math.inf
    if lowered == ".nan":
        return math.nan
    try:
        if ":" in lowered:  # base 60: 1:30.5 is 90.5
            value, weight = 0.0, 1  # summed from the right, as PyYAML does: the same rounding
            for part in reversed(lowered.split(":")):
                value += float(part) * weight
                weight *= 60
            return sign * value
        return sign * float(lowered)
    except ValueError:
        return None


def _date(text: str) -> dt.date | None:
    try:
        return dt.date(int(text[:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:  # 2024-02-30
        return None


def _timestamp(text: str) -> dt.datetime | None:
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    part = match.groupdict()
    fraction = int((part["fraction"] or "")[:6].ljust(6, "0"))
    tzinfo: dt.tzinfo | None = None
    if part["tz_sign"]:
        offset = dt.timedelta(hours=int(part["tz_hour"]), minutes=int(part["tz_minute"] or 0))
        try:
            tzinfo = dt.timezone(-offset if part["tz_sign"] == "-" else offset)
        except ValueError:  # an offset of a day or more
            return None
    elif part["tz"]:
        tzinfo = dt.UTC
    try:
        return dt.datetime(int(part["year"]), int(part["month"]), int(part["day"]),
                           int(part["hour"]), int(part["minute"]), int(part["second"]),
                           fraction, tzinfo=tzinfo)
    except ValueError:
        return None


# Each group of _NUMERIC_11: how to build its value, and whether YAML 1.2 may differ.
_CONSTRUCT: dict[str, tuple[Callable[[str], Any], bool]] = {
    "same_float": (_float, False), "same_int": (_int, False), "float": (_float, True),
    "int": (_int, True), "date": (_date, True), "timestamp": (_timestamp, True)}


def yaml12_value(text: str) -> Any:
    """The value of a plain scalar in YAML 1.2's core schema (as editors read it)."""
    if not text:
        return None
    match = _NUMERIC_12.fullmatch(text) if text[0] in NUMBER_FIRST else None
    if match is None:
        return _WORDS_12.get(text, text)
    kind = match.lastgroup
    if kind in ("int", "octal", "hex"):
        try:
            number = int(text, 10) if kind == "int" else int(text[2:], 8 if kind == "octal" else 16)
        except ValueError:  # more digits than Python will parse
            return text
        return text if number.bit_length() > MAX_INT_BITS else number
    if kind == "inf":
        return -math.inf if text[0] == "-" else math.inf
    if kind == "nan":
        return math.nan
    return float(text)


def yaml11_and_12_differ(text: str, value: Any) -> Any:
    """The YAML 1.2 value of a plain scalar whose YAML 1.1 value is `value`, or
    `NotImplemented` when both readings agree."""
    other = yaml12_value(text)
    if type(other) is type(value) and (other == value or (other != other and value != value)):
        return NotImplemented
    return other


def describe(value: Any, secret: bool = False) -> str:
    """How a resolved value reads in a message: `the boolean true`, `the date 2024-01-01`
    (`a boolean`, `a date` for a secret)."""
    if value is None:
        return "null"
    kind = "the boolean" if isinstance(value, bool) else "the integer" \
        if isinstance(value, int) else "the number" if isinstance(value, float) \
        else "the timestamp" if isinstance(value, dt.datetime) \
        else "the date" if isinstance(value, dt.date) else ""
    if not kind:
        return "a string"
    if secret or (isinstance(value, int) and value.bit_length() > 200):
        return ("an " if kind == "the integer" else "a ") + kind[4:]
    if isinstance(value, bool):
        return f"{kind} {str(value).lower()}"
    if isinstance(value, dt.date):
        return f"{kind} {value.isoformat()}"
    return f"{kind} {value!r}"


# With an explicit tag the intent is clear; PyYAML reads these spellings for `!!bool`.
_TAGGED_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "on": True,
                 "off": False}


def construct_tagged(tag: str, text: str) -> Any:
    """The value of a scalar with an explicit core tag; KeyError for any other tag."""
    kind = tag[len(CORE):] if tag.startswith(CORE) else ""
    if kind == "str":
        return text
    if kind == "null":
        return None
    if kind == "bool":
        if text.lower() in _TAGGED_BOOLS:
            return _TAGGED_BOOLS[text.lower()]
        raise BadScalar("boolean")
    if kind == "int":
        match = _NUMERIC_11.fullmatch(text)
        number = _int(text) if match is not None and match.lastgroup in ("int", "same_int") \
            else None
        if number is None:
            raise BadScalar("integer")
        return number
    if kind == "float":
        value = resolve_plain(text) if text else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadScalar("number")
        return float(value)
    if kind == "timestamp":
        stamp = resolve_plain(text) if text else None
        if not isinstance(stamp, dt.date):
            raise BadScalar("timestamp")
        return stamp
    raise KeyError(tag)
