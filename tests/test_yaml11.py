"""Values are read as floe-core reads them: PyYAML's `safe_load`, YAML 1.1. Checked
against the real PyYAML (installed with pre-commit) on the same text; where YAML 1.2,
as editors read it, differs, the scalar gets the warning FLOE-W111."""

from __future__ import annotations

import datetime
import math
import os
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from floe_compiler.loader import load_text
from tests.conftest import VALID_SPEC, Run, Write

WORDS = ["yes", "no", "on", "off", "true", "false", "null", "y", "n", "~", "nan", "inf"]
cased_words = st.sampled_from(WORDS).flatmap(
    lambda w: st.tuples(*[st.sampled_from([c.lower(), c.upper()]) for c in w]).map("".join))
SHAPES = [
    r"[-+]?[0-9_]{1,6}(\.[0-9_]{0,4})?([eE][-+]?[0-9]{1,3})?",
    r"[-+]?\.[0-9_]{0,4}([eE][-+]?[0-9]{1,2})?",
    r"[-+]?[0-9]{1,3}(:[0-9]{1,2}){1,3}(\.[0-9_]{0,3})?",
    r"[-+]?0[boxBOX]?[0-9a-fA-F_]{0,6}",
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,8})?( ?(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?",
    r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN|iNf)",
]
scalars = st.one_of(cased_words, *[st.from_regex(shape, fullmatch=True) for shape in SHAPES],
                    st.text(alphabet="0123456789.-+_:eExXoObB", min_size=1, max_size=10))


def same(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, float) and math.isnan(theirs):
        return isinstance(ours, float) and math.isnan(ours)
    return type(ours) is type(theirs) and ours == theirs


def pyyaml(text: str) -> tuple[bool, Any]:
    """(read, value) of `x: <text>` for PyYAML's safe_load; read is False when it fails."""
    try:
        data = yaml.safe_load(f"x: {text}\n")
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        return False, None
    return True, data.get("x") if isinstance(data, dict) else None


@settings(max_examples=int(os.environ.get("FLOE_FUZZ_EXAMPLES", "600")), deadline=None)
@given(scalars)
def test_plain_scalars_resolve_as_pyyaml_safe_load_does(text: str) -> None:
    doc = load_text(f"x: {text}\n", "x.yaml")
    assume(isinstance(doc.data, dict) and not any(d.code == "FLOE-E003" for d in doc.diagnostics))
    ours = doc.data["x"]
    read, theirs = pyyaml(text)
    if not read:  # PyYAML itself fails (0b_, 2024-02-30, a plain `=`): we keep the text
        assert ours == text.strip() or (text.strip() == "=" and "FLOE-E007" in
                                        [d.code for d in doc.diagnostics])
        return
    assume(not isinstance(theirs, dict | list))
    assert same(ours, theirs), (text, ours, theirs)


@pytest.mark.parametrize(("text", "value"), [
    ("yes", True), ("Yes", True), ("YES", True), ("no", False), ("On", True), ("OFF", False),
    ("yEs", "yEs"), ("y", "y"), ("n", "n"), ("12:30", 750), ("1:30.5", 90.5), ("-1:00", -60),
    ("010", 8), ("0b1010", 10), ("0x1F", 31), ("1_000", 1000), ("0o17", "0o17"), ("09", "09"),
    ("2024-01-01", datetime.date(2024, 1, 1)), ("2024-1-1", "2024-1-1"),
    ("2001-12-14t21:59:43.10-05:00",
     datetime.datetime(2001, 12, 14, 21, 59, 43, 100000,
                       tzinfo=datetime.timezone(-datetime.timedelta(hours=5)))),
    ("2001-12-14 21:59:43.10 Z", datetime.datetime(2001, 12, 14, 21, 59, 43, 100000, tzinfo=datetime.UTC)),
    ("2002-12-14 01:02:03", datetime.datetime(2002, 12, 14, 1, 2, 3)),
    (".inf", math.inf), ("-.Inf", -math.inf), ("1e3", "1e3"), ("1.0e+3", 1000.0), ("1.", 1.0),
    (".5", 0.5), ("-.5", "-.5"), ("~", None), ("Null", None), ("", None),
])
def test_the_yaml_1_1_table_agrees_with_pyyaml(text: str, value: Any) -> None:
    ours = load_text(f"x: {text}\n", "x.yaml").data["x"]
    read, theirs = pyyaml(text)
    assert read and same(theirs, value), "the table itself is PyYAML's reading"
    assert same(ours, value)


@pytest.mark.parametrize(("text", "warned"), [
    ("yes", True), ("off", True), ("true", False), ("false", False), ("010", True), ("10", False),
    ("12:30", True), ("1_000", True), ("0b1", True), ("0x1F", False), ("0o17", True),
    ("2024-01-01", True), ("1e3", True), ("1.5", False), (".inf", False), ("-.5", True),
    ("+1", False), ("abc", False), ("'yes'", False), ('"010"', False), ("!!str yes", False),
])
def test_every_scalar_read_differently_by_yaml_1_2_is_a_located_warning(text: str, warned: bool) -> None:
    doc = load_text(f"key: {text}\n", "x.yaml")
    found = [(d.code, d.line, d.column) for d in doc.diagnostics]
    assert found == ([("FLOE-W111", 1, 6)] if warned else [])


def test_w111_in_a_floe_yaml_names_both_readings_and_the_fix(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC + "schedule:\n  cron: 0 6 * * *\n  enabled: on\n")
    result = run("validate", path)
    assert result.exit_code == 0
    assert (f"{path}:15:12: FLOE-W111 warning: `on` is the boolean true in YAML 1.1, as floe reads "
            "it, but a string in YAML 1.2, as editors read it") in result.output
    assert "hint: Quote it ('on') for text, or write true or false for a boolean." in result.output
    assert run("validate", "--strict", path).exit_code == 1


def test_a_key_read_differently_is_warned_too() -> None:
    doc = load_text("labels:\n  on: x\n", "x.yaml")
    assert [(d.code, d.line, d.column) for d in doc.diagnostics] == [("FLOE-W111", 2, 3)]


@pytest.mark.parametrize("text", ["=: x\n", "{=: 1}\n", "? =\n: 1\n", "a: {=: 1}\n"])
def test_a_plain_equals_sign_is_text_as_a_key_and_refused_as_a_value(text: str) -> None:
    """PyYAML reads a key tagged !!value (a plain `=`) as text, and YAML 1.2 does too: no
    finding. As a value, PyYAML cannot construct it: FLOE-E007. (Found by conformance.)"""
    doc = load_text(text, "x.yaml")
    assert doc.diagnostics == []
    assert doc.data == yaml.safe_load(text)
    as_value = load_text(text.replace("=", "k").replace(": 1", ": =").replace(": x", ": ="),
                         "x.yaml")
    assert [d.code for d in as_value.diagnostics] == ["FLOE-E007"]


def test_a_credential_that_reads_differently_is_never_shown() -> None:
    doc = load_text("config:\n  password: 0123\n", "x.yaml")
    [d] = doc.diagnostics
    assert d.code == "FLOE-W111" and "0123" not in d.message + d.hint and "83" not in d.message


def test_a_date_where_text_is_expected_is_judged_as_floe_core_sees_it(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC.replace("name: orders", "name: 2024-01-01"))
    result = run("validate", "--format", "json", path)
    assert sorted(result.codes()) == ["FLOE-E103", "FLOE-W111"]


def test_a_credential_that_yaml_1_1_reads_as_a_date_is_still_a_literal_credential(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC + """\
destinations:
  - name: crm
    sink_type: rest_api
    connection_secret_ref: crm
    source_table: gold.orders
    config:
      password: 2024-01-01
""")
    result = run("validate", path)
    assert "FLOE-E203" in result.output
    assert "2024-01-01" not in result.output
