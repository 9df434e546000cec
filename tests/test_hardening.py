"""Hostile and broken input: each one a located diagnostic, quickly, in bounded memory.

The time limits here are loose safety nets against hangs (the real figures are in
benchmarks/); what each test pins down is the diagnostic a user sees.
"""

from __future__ import annotations

import datetime
import os
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from floe_compiler.loader import load_bytes, load_text
from tests.conftest import VALID_MANIFEST, VALID_SPEC, Result, Run, Write

SAFETY_SECONDS = 5.0


def diag(result: Result, code: str) -> dict[str, object]:
    for d in result.json()["diagnostics"]:
        if d["code"] == code:
            return d  # type: ignore[no-any-return]
    raise AssertionError(f"{code} not reported: {result.output}")


@contextmanager
def bounded(seconds: float = SAFETY_SECONDS, megabytes: float | None = 200) -> Iterator[None]:
    """Fail if the block takes longer, or allocates more at its peak (None: time only)."""
    if megabytes is not None:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 1e6 if megabytes is not None else 0.0
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert megabytes is None or peak < megabytes, f"peak {peak:.0f} MB"


def validate(run: Run, *args: str | Path) -> Result:
    return run("validate", "--format", "json", *args)


# -- alias bombs ------------------------------------------------------------


def laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["kind: FloeSpec", "a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_billion_laughs_padded_to_the_size_limit_stops_early(run: Run, write: Write) -> None:
    text = laughs() + "# padding\n" * 100_000  # ~1 MiB: the node budget grows with the file
    with bounded():
        result = validate(run, write("floe.yaml", text))
    d = diag(result, "FLOE-E011")
    assert "alias bomb" in str(d["message"])
    assert d["line"] > 2


def test_alias_bomb_through_merge_keys(run: Run, write: Write) -> None:
    lines = ["kind: FloeSpec", "a0: &a0 {k: v}"]
    lines += [f"a{i}: &a{i} {{<<: [*a{i - 1}], b{i}: *a{i - 1}, c{i}: *a{i - 1}}}" for i in range(1, 40)]
    with bounded():
        result = validate(run, write("floe.yaml", "\n".join(lines) + "\n"))
    assert "FLOE-E011" in result.codes()


def test_an_alias_inside_its_own_anchor_is_refused(run: Run, write: Write) -> None:
    d = diag(validate(run, write("floe.yaml", "kind: FloeSpec\nx: &a [1, *a]\n")), "FLOE-E011")
    assert (d["line"], d["column"]) == (2, 11)
    assert "*a" in str(d["message"])


def test_an_alias_without_anchor_is_a_syntax_error(run: Run, write: Write) -> None:
    d = diag(validate(run, write("floe.yaml", "kind: FloeSpec\nx: *nope\n")), "FLOE-E003")
    assert (d["line"], d["column"]) == (2, 4)
    assert "&nope" in str(d["hint"])


def test_ordinary_anchors_and_merges_still_work(run: Run, write: Write) -> None:
    spec = VALID_SPEC + """\
destinations:
  - &crm
    name: crm
    sink_type: rest_api
    connection_secret_ref: crm-api
    config: &retry {retry: {max_attempts: 3}}
  - <<: *crm
    name: crm-eu
    config: *retry
"""
    result = validate(run, write("floe.yaml", spec), write("manifest.yaml", VALID_MANIFEST))
    assert result.exit_code == 0, result.output


# -- nesting ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [
    ("flow sequences", "[" * 10_000 + "]" * 10_000),
    ("flow mappings", "{a: " * 10_000 + "1" + "}" * 10_000),
    ("block sequences", "\n" + "- " * 10_000 + "x"),
    ("mixed", "\n" + "- [" * 5_000 + "]" * 5_000),
    # Nested explicit keys: 400 kB that crashed the interpreter (segfault in the C composer).
    ("explicit keys", "\n" + "? " * 200_000 + "a"),
])
def test_ten_thousand_levels_deep(run: Run, write: Write, name: str, value: str) -> None:
    with bounded():
        result = validate(run, write("floe.yaml", "kind: FloeSpec\nx: " + value + "\n"))
    assert result.exit_code == 1
    assert {"FLOE-E011", "FLOE-E003"} & set(result.codes()), result.output


def test_deep_block_indentation(run: Run, write: Write) -> None:
    levels = 2_000  # 2,000 levels of one-space indentation is 2 MB of YAML
    text = "kind: FloeSpec\nx:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, levels))
    with bounded():
        result = validate(run, "--max-bytes", "4000000", write("floe.yaml", text))
    d = diag(result, "FLOE-E011")
    assert d["line"] > 100


def test_depth_limit_names_the_line_where_it_is_crossed(run: Run, write: Write) -> None:
    d = diag(validate(run, write("floe.yaml", "kind: FloeSpec\nx: " + "[" * 200 + "]" * 200 + "\n")), "FLOE-E011")
    assert (d["line"], d["column"]) == (2, 4 + 100)


# -- size -------------------------------------------------------------------


def test_compile_honours_max_bytes_for_both_files(run: Run, write: Write, tmp_path: Path) -> None:
    spec = write("floe.yaml", VALID_SPEC)
    manifest = write("manifest.yaml", VALID_MANIFEST + "# " + "x" * 500 + "\n")
    result = run("compile", "--format", "json", "--spec", spec, "--manifest", manifest,
                 "--max-bytes", "400", "--output", tmp_path / "out.json")
    assert result.exit_code == 1
    (problem,) = result.json()["diagnostics"]
    assert problem["code"] == "FLOE-E009"
    assert problem["file"] == str(manifest)
    assert "--max-bytes" in problem["message"]


def test_size_limit_is_checked_before_reading(run: Run, tmp_path: Path) -> None:
    big = tmp_path / "floe.yaml"
    with big.open("wb") as handle:  # sparse: 2 GB on paper, nothing on disk
        handle.truncate(2 * 1024 ** 3)
    with bounded(megabytes=20):
        result = validate(run, big)
    assert f"file is {2 * 1024 ** 3} bytes" in str(diag(result, "FLOE-E009")["message"])


# -- files that are not files -----------------------------------------------


def test_a_directory_is_a_diagnostic_not_a_usage_error(run: Run, tmp_path: Path) -> None:
    result = validate(run, tmp_path)
    assert result.exit_code == 2
    d = diag(result, "FLOE-E001")
    assert "directory" in str(d["message"])
    compiled = run("compile", "--format", "json", "--spec", tmp_path)
    assert compiled.exit_code == 2
    assert compiled.codes() == ["FLOE-E001"]


def test_a_directory_as_manifest(run: Run, write: Write, tmp_path: Path) -> None:
    (tmp_path / "platform").mkdir()
    result = run("compile", "--format", "json", "--spec", write("floe.yaml", VALID_SPEC),
                 "--manifest", tmp_path / "platform", "--output", tmp_path / "out.json")
    assert result.exit_code == 2
    assert diag(result, "FLOE-E001")["file"] == str(tmp_path / "platform")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_without_a_writer_does_not_hang(run: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "floe.yaml"
    os.mkfifo(fifo)
    with bounded():
        result = validate(run, fifo)
        compiled = run("compile", "--format", "json", "--spec", fifo)
    # Not "no YAML content": the file is not empty, nothing wrote to it.
    assert result.codes() == compiled.codes() == ["FLOE-E001"]
    assert result.exit_code == compiled.exit_code == 2
    assert diag(result, "FLOE-E001")["message"] == \
        "cannot read file: it is a named pipe (FIFO) and nothing wrote to it"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_read_no_further_than_the_limit(run: Run, write: Write, tmp_path: Path) -> None:
    with bounded(megabytes=50):
        result = validate(run, "/dev/zero")
        compiled = run("compile", "--format", "json", "--spec", write("floe.yaml", VALID_SPEC),
                       "--manifest", "/dev/zero", "--output", tmp_path / "out.json")
    assert "larger than" in str(diag(result, "FLOE-E009")["message"])
    assert diag(compiled, "FLOE-E009")["file"] == "/dev/zero"


def test_compile_of_a_missing_spec(run: Run, tmp_path: Path) -> None:
    result = run("compile", "--format", "json", "--spec", tmp_path / "floe.yaml")
    assert result.exit_code == 2
    assert result.codes() == ["FLOE-E001"]


def test_unreadable_manifest_reference_is_not_a_crash(run: Run, write: Write) -> None:
    spec = write("floe.yaml", VALID_SPEC.replace("manifest: manifest.yaml", "manifest: " + "m" * 5000))
    result = run("compile", "--format", "json", "--spec", spec)
    assert result.exit_code == 2
    assert diag(result, "FLOE-E206")["line"] == 8


# -- encodings --------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "bom", "name"), [
    ("utf-16-le", b"\xff\xfe", "UTF-16"),
    ("utf-16-be", b"\xfe\xff", "UTF-16"),
    ("utf-32-le", b"\xff\xfe\x00\x00", "UTF-32"),
    ("utf-32-be", b"\x00\x00\xfe\xff", "UTF-32"),
    ("utf-16-le", b"", "UTF-16"),
    ("utf-32-be", b"", "UTF-32"),
])
def test_utf16_and_utf32_are_named_not_parsed(run: Run, write: Write, encoding: str, bom: bytes, name: str) -> None:
    result = validate(run, write("floe.yaml", bom + VALID_SPEC.encode(encoding)))
    (problem,) = result.json()["diagnostics"]
    assert problem["code"] == "FLOE-E002"
    assert name in str(problem["message"])
    assert (problem["line"], problem["column"]) == (1, 1)
    assert "UTF-8" in str(problem["hint"])


def test_utf8_bom_keeps_columns_right(run: Run, write: Write) -> None:
    text = "\ufeff" + VALID_SPEC.replace("version: 1.0.0", "version: x", 1)
    d = diag(validate(run, write("floe.yaml", text.encode())), "FLOE-E104")
    assert (d["line"], d["column"]) == (5, 12)


def test_invalid_utf8_is_located(run: Run, write: Write) -> None:
    d = diag(validate(run, write("floe.yaml", b"kind: FloeSpec\nmetadata:\n  name: caf\xe9\n")), "FLOE-E002")
    assert (d["line"], d["column"]) == (3, 12)


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    bytes(range(256)),
    b"\x7fELF\x02\x01\x01\x00",
])
def test_binary_files(run: Run, write: Write, content: bytes) -> None:
    result = validate(run, write("floe.yaml", content))
    assert result.exit_code == 1
    assert result.codes()[0] in ("FLOE-E002", "FLOE-E012")


def test_control_characters_are_located(run: Run, write: Write) -> None:
    d = diag(validate(run, write("floe.yaml", b"kind: FloeSpec\nx: a\x07b\n")), "FLOE-E012")
    assert (d["line"], d["column"]) == (2, 5)


# -- YAML features floe does not take ----------------------------------------


@pytest.mark.parametrize(("text", "line", "column"), [
    ("kind: FloeSpec\nx: !!python/object/apply:os.system [ls]\n", 2, 4),
    ("kind: FloeSpec\nx: !!python/name:os.system\n", 2, 4),
    ("kind: FloeSpec\n!!python/str k: v\n", 2, 1),
    ("kind: FloeSpec\nx: !!binary aGk=\n", 2, 4),
    ("kind: FloeSpec\nx: !!set {a, b}\n", 2, 4),
    ("kind: FloeSpec\nx: !custom {a: 1}\n", 2, 4),
])
def test_tags(run: Run, write: Write, text: str, line: int, column: int) -> None:
    d = diag(validate(run, write("floe.yaml", text)), "FLOE-E007")
    assert (d["line"], d["column"]) == (line, column)


def test_a_core_tag_that_does_not_fit_its_value(run: Run, write: Write) -> None:
    d = diag(validate(run, write("floe.yaml", "kind: FloeSpec\nx: !!int twelve\n")), "FLOE-E104")
    assert (d["line"], d["column"]) == (2, 4)
    assert "twelve" not in str(d["message"])  # the value could be anything, a secret too


@pytest.mark.parametrize("text", [
    "kind: FloeSpec\n---\nkind: FloeSpec\n",
    "---\nkind: FloeSpec\n...\n---\nkind: Manifest\n",
    "kind: FloeSpec\n--- !!str\n",
])
def test_more_than_one_document(run: Run, write: Write, text: str) -> None:
    assert "FLOE-E008" in validate(run, write("floe.yaml", text)).codes()


def test_one_document_with_explicit_markers_is_fine() -> None:
    doc = load_text("%YAML 1.2\n---\nkind: FloeSpec\n...\n", "floe.yaml")
    assert doc.diagnostics == []
    assert doc.data == {"kind": "FloeSpec"}


def test_duplicate_keys_anywhere(run: Run, write: Write) -> None:
    text = VALID_SPEC + "destinations:\n  - {name: a, name: b, sink_type: rest_api, connection_secret_ref: x}\n"
    d = diag(validate(run, write("floe.yaml", text)), "FLOE-E006")
    assert (d["line"], d["column"]) == (14, 15)
    assert "line 14" in str(d["message"])


def test_tabs(run: Run, write: Write) -> None:
    d = diag(validate(run, write("floe.yaml", "kind: FloeSpec\nmetadata:\n  name: x\n\tversion: 1\n")), "FLOE-E003")
    assert d["line"] == 4
    assert "tabs" in str(d["hint"])


def test_complex_keys_are_refused_and_the_rest_still_read() -> None:
    doc = load_text("kind: FloeSpec\n? [a, b]\n: 1\n{x: 1}: 2\nafter: 3\n", "floe.yaml")
    assert [d.code for d in doc.diagnostics] == ["FLOE-E005", "FLOE-E005"]
    assert doc.data == {"kind": "FloeSpec", "after": 3}
    assert doc.value_at(("after",)) == (5, 8)


def test_merge_needs_a_mapping() -> None:
    doc = load_text("a:\n  <<: 5\n  b: 1\n", "x.yaml")
    assert [(d.code, d.line, d.column) for d in doc.diagnostics] == [("FLOE-E005", 2, 7)]
    assert doc.data == {"a": {"b": 1}}


def test_explicit_keys_win_over_merged_ones_in_data_and_positions() -> None:
    doc = load_text("base: &b {x: 1, y: 2}\nuse:\n  x: 9\n  <<: *b\n", "x.yaml")
    assert doc.data["use"] == {"x": 9, "y": 2}
    assert doc.value_at(("use", "x")) == (3, 6)
    assert doc.value_at(("use", "y")) == (1, 20)


def test_a_duplicate_key_holding_a_collection_keeps_the_first_and_loads_the_rest() -> None:
    text = ("dup:\n  k: [1, 2]\n  k: [3]\n  m: {a: 1}\n  m: {a: 2, b: 3}\n"
            "seq:\n  - {a: 1}\n  - [x, y]\n")
    doc = load_text(text, "x.yaml")
    assert [(d.code, d.line) for d in doc.diagnostics] == [("FLOE-E006", 3), ("FLOE-E006", 5)]
    assert doc.data == {"dup": {"k": [1, 2], "m": {"a": 1}}, "seq": [{"a": 1}, ["x", "y"]]}
    # The dropped values never move the positions of the values kept.
    assert doc.value_at(("dup", "k", 1)) == (2, 10)
    assert doc.value_at(("dup", "m", "a")) == (4, 10)
    assert doc.key_at(("dup", "m", "b")) == (4, 3)  # no such key: its parent's
    assert doc.value_at(("seq", 1, 1)) == (8, 9)


@pytest.mark.parametrize(("plain", "value", "codes"), [
    ("_", "_", []), ("0b_", "0b_", []), ("._", "._", []), ("-_", "-_", []),
    ("9" * 5000, "9" * 5000, []), ("0x" + "f" * 5000, "0x" + "f" * 5000, []),
    # YAML 1.1, as floe-core's PyYAML reads them; each reads otherwise in YAML 1.2 (W111)
    ("1_000", 1000, ["FLOE-W111"]), ("0o17", "0o17", ["FLOE-W111"]), ("012", 10, ["FLOE-W111"]),
    ("1e3", "1e3", ["FLOE-W111"]), ("yes", True, ["FLOE-W111"]), ("Off", False, ["FLOE-W111"]),
    ("12:30", 750, ["FLOE-W111"]), ("0b101", 5, ["FLOE-W111"]),
    ("2024-01-01", datetime.date(2024, 1, 1), ["FLOE-W111"]),
    # the same in both
    (".inf", float("inf"), []), ("1.5e+3", 1500.0, []), ("0x1F", 31, []), ("~", None, []),
    ("TRUE", True, []), ("<<", "<<", []), ("y", "y", []), ("1.0.0", "1.0.0", []),
    ("2024-02-30", "2024-02-30", []),  # PyYAML fails on it; text here, and for the schema
    ("=", "=", ["FLOE-E007"]),  # PyYAML's safe loader cannot read a plain `=`
])
def test_scalars_never_crash_and_follow_yaml_1_1(plain: str, value: object, codes: list[str]) -> None:
    doc = load_text(f"x: {plain}\n", "x.yaml")
    assert [d.code for d in doc.diagnostics] == codes
    assert all((d.line, d.column) == (1, 4) for d in doc.diagnostics)
    assert doc.data["x"] == value
    assert type(doc.data["x"]) is type(value)


def test_huge_input_on_one_line_is_fine() -> None:
    raw = b"kind: FloeSpec\nx: " + b"a" * 900_000 + b"\n"
    with bounded():
        doc = load_bytes(raw, "floe.yaml")
    assert doc.diagnostics == []


# -- found by tests/test_fuzz.py and by profiling --------------------------------


def test_kind_that_is_a_list_or_mapping(run: Run, write: Write) -> None:
    result = validate(run, write("floe.yaml", VALID_SPEC.replace("kind: FloeSpec", "kind: [FloeSpec]")))
    assert diag(result, "FLOE-E105")["line"] == 2
    result = validate(run, write("x.yaml", "kind: {a: 1}\n"))
    assert result.codes() == ["FLOE-E010"]
    compiled = run("compile", "--format", "json", "--spec", write("floe.yaml", "kind: [a]\n"),
                   "--manifest", write("manifest.yaml", "kind: {a: b}\n"))
    assert compiled.exit_code == 1


def test_transform_name_that_is_a_list_still_compiles_to_diagnostics(run: Run, write: Write) -> None:
    write("manifest.yaml", VALID_MANIFEST)
    spec = write("floe.yaml", VALID_SPEC + "  - name: [x]\n    dependsOn: [nope]\n")
    result = run("compile", "--format", "json", "--spec", spec)
    assert result.exit_code == 1
    assert "FLOE-E103" in result.codes()


def many_transforms(count: int, edit: str = "") -> str:
    lines = [VALID_SPEC.split("transforms:")[0] + "transforms:"]
    for i in range(count):
        lines.append(f"  - name: model_{i:05d}\n    tier: {edit}gold")
        if i:
            lines.append(f"    dependsOn: [{edit}model_{i - 1:05d}]")
    return "\n".join(lines) + "\n"


def test_thousands_of_unknown_dependencies_are_reported_quickly(run: Run, write: Write) -> None:
    write("manifest.yaml", VALID_MANIFEST)
    spec = write("floe.yaml", many_transforms(3_000, edit="x"))  # each dependsOn is unknown
    with bounded(megabytes=None):  # was minutes: a did-you-mean over every name, per error
        result = run("compile", "--format", "json", "--max-bytes", "10000000", "--spec", spec)
    codes = result.codes()
    assert codes.count("FLOE-W204") == 2_999
    hints = [d["hint"] for d in result.json()["diagnostics"] if d["code"] == "FLOE-W204"]
    assert hints[0] == "Did you mean 'model_00000'?"


def test_thousands_of_errors_render_quickly_as_text(run: Run, write: Write) -> None:
    spec = write("floe.yaml", many_transforms(3_000, edit="x"))  # each tier is wrong
    with bounded(megabytes=None):  # the file used to be split into lines once per error
        result = run("validate", "--max-bytes", "10000000", spec)
    assert result.output.count("FLOE-E105 error") == 10  # then counted, not printed
    assert f"{spec}: ... and 2990 more FLOE-E105" in result.output


def test_the_garbage_collector_is_left_as_it_was(run: Run, write: Write, tmp_path: Path) -> None:
    import gc

    from floe_compiler import compile_project

    write("manifest.yaml", VALID_MANIFEST)
    spec = write("floe.yaml", VALID_SPEC)
    assert gc.isenabled()
    compile_project(spec)
    assert validate(run, spec, write("bad.yaml", b"\x00")).exit_code == 1
    assert gc.isenabled()
    gc.disable()
    try:
        compile_project(spec)
        assert not gc.isenabled()
    finally:
        gc.enable()
