"""`floe validate`: one file or many in, every problem out, located."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, VALID_MANIFEST, VALID_SPEC, Run, Write


def diag(result: object, code: str) -> dict[str, object]:
    for d in result.json()["diagnostics"]:  # type: ignore[attr-defined]
        if d["code"] == code:
            return d  # type: ignore[no-any-return]
    raise AssertionError(f"{code} not reported: {result.output}")  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*/*.yaml")), ids=lambda p: p.parent.name + "/" + p.name)
def test_every_upstream_example_validates(run: Run, path: Path) -> None:
    result = run("validate", "--format", "json", path)
    assert result.exit_code == 0, result.output
    assert all(d["severity"] == "warning" for d in result.json()["diagnostics"])


def test_clean_files_exit_zero(run: Run, write: Write) -> None:
    result = run("validate", write("floe.yaml", VALID_SPEC), write("manifest.yaml", VALID_MANIFEST))
    assert result.exit_code == 0
    assert "2 files checked: 0 error(s), 0 warning(s)" in result.output


def test_demo_manifest_credential_is_a_located_warning_and_never_printed(run: Run) -> None:
    manifest = CORPUS / "demo" / "manifest.yaml"
    result = run("validate", manifest)
    assert result.exit_code == 0
    assert f"{manifest}:56:24: FLOE-W201 warning" in result.output
    assert "demo-secret" not in result.output
    strict = run("validate", "--strict", "--format", "json", manifest)
    assert strict.exit_code == 1
    assert diag(strict, "FLOE-W201")["severity"] == "error"
    assert "demo-secret" not in strict.output


def test_all_problems_in_all_files_in_one_run(run: Run, write: Write) -> None:
    spec = write("a/floe.yaml", VALID_SPEC.replace("version: 1.0.0", "version: '1.0'")
                 .replace("  owner:", "  ownr:"))
    manifest = write("b/manifest.yaml", VALID_MANIFEST.replace("type: duckdb", "type: 3\n    colour: red"))
    result = run("validate", "--format", "json", spec, manifest)
    assert result.exit_code == 1
    assert sorted(result.codes()) == ["FLOE-E102", "FLOE-E102", "FLOE-E103", "FLOE-E104"]
    assert result.json()["files_checked"] == 2


def test_text_output_has_location_caret_and_hint(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC.replace("version: 1.0.0", "version: 1.0"))
    result = run("validate", path)
    assert result.exit_code == 1
    assert f"{path}:5:12: FLOE-E103 error: metadata.version:" in result.output
    lines = result.output.splitlines()
    caret = next(i for i, line in enumerate(lines) if line.strip().endswith("^"))
    assert lines[caret - 1].endswith("version: 1.0")
    assert lines[caret].index("^") == lines[caret - 1].index("1.0")
    assert "hint:" in result.output


def test_missing_field_points_at_enclosing_mapping(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC.replace("  version: 1.0.0\n", ""))
    d = diag(run("validate", "--format", "json", path), "FLOE-E101")
    assert (d["line"], d["column"]) == (4, 3)
    assert "'version'" in str(d["message"])


def test_unknown_field_suggests_the_right_one(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC.replace("    dependsOn:", "    dependOn:"))
    d = diag(run("validate", "--format", "json", path), "FLOE-E102")
    assert (d["line"], d["column"]) == (12, 5)
    assert "dependsOn" in str(d["hint"])


def test_enum_value_is_checked_with_suggestion(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC.replace("  - name: stg_orders\n", "  - name: stg_orders\n    tier: gld\n"))
    d = diag(run("validate", "--format", "json", path), "FLOE-E105")
    assert d["line"] == 11
    assert "gold" in str(d["hint"])


def test_secret_ref_must_be_a_kubernetes_secret_name(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC + """\
destinations:
  - name: crm
    sink_type: rest_api
    connection_secret_ref: CRM_Secret
""")
    d = diag(run("validate", "--format", "json", path), "FLOE-E107")
    assert (d["line"], d["column"]) == (16, 28)


def test_environment_fields_are_forbidden_anywhere_in_floe_yaml(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC + """\
destinations:
  - name: crm
    sink_type: sql_database
    connection_secret_ref: crm-db
    config:
      host: db.internal
""")
    result = run("validate", "--format", "json", path)
    assert result.codes() == ["FLOE-E106"]
    assert (diag(result, "FLOE-E106")["line"], diag(result, "FLOE-E106")["column"]) == (18, 7)


def test_literal_credential_in_floe_yaml_is_an_error_without_the_value(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC + """\
destinations:
  - name: crm
    sink_type: rest_api
    connection_secret_ref: crm-api
    config:
      api_key: sk-live-abc123
""")
    result = run("validate", path)
    assert result.exit_code == 1
    assert "FLOE-E203" in result.output
    assert "sk-live-abc123" not in result.output


def test_duplicate_names(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC + "  - name: stg_orders\n")
    d = diag(run("validate", "--format", "json", path), "FLOE-E108")
    assert d["line"] == 13
    assert "line 10" in str(d["message"])


@pytest.mark.parametrize(("content", "code", "line"), [
    (b"", "FLOE-E004", 1),
    (b"# just a comment\n", "FLOE-E004", 1),
    (b"- a\n- b\n", "FLOE-E005", 1),
    (b"kind: FloeSpec\nmetadata: {name: x\n", "FLOE-E003", 3),
    (b"kind: FloeSpec\nname: \xff\xfe\n", "FLOE-E002", 2),
    (b"kind: FloeSpec\nkind: Manifest\n", "FLOE-E006", 2),
    (b"kind: FloeSpec\nx: !!python/object:os.system ls\n", "FLOE-E007", 2),
    (b"kind: FloeSpec\n---\nkind: Manifest\n", "FLOE-E008", 2),
    (b"kind: FloeSpec\x00\x01", "FLOE-E012", 1),
    (b"kind: FloeSpec\nmetadata:\n\tname: x\n", "FLOE-E003", 3),
])
def test_broken_files_are_located_diagnostics(run: Run, write: Write, content: bytes, code: str, line: int) -> None:
    result = run("validate", "--format", "json", write("floe.yaml", content))
    assert result.exit_code == 1
    assert diag(result, code)["line"] == line


def test_tabs_get_a_specific_hint(run: Run, write: Write) -> None:
    d = diag(run("validate", "--format", "json", write("floe.yaml", b"kind: FloeSpec\nmetadata:\n\tname: x\n")), "FLOE-E003")
    assert "tabs" in str(d["hint"])


def test_utf8_bom_is_accepted(run: Run, write: Write) -> None:
    assert run("validate", write("floe.yaml", b"\xef\xbb\xbf" + VALID_SPEC.encode())).exit_code == 0


def test_unknown_kind(run: Run, write: Write) -> None:
    d = diag(run("validate", "--format", "json", write("x.yaml", "kind: FloeSpc\n")), "FLOE-E010")
    assert "FloeSpec" in str(d["message"])
    d = diag(run("validate", "--format", "json", write("y.yaml", "a: 1\n")), "FLOE-E010")
    assert d["line"] == 1


def test_alias_bomb_is_refused_quickly(run: Run, write: Write) -> None:
    lines = ["kind: FloeSpec", 'a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [*a{i-1},*a{i-1},*a{i-1},*a{i-1},*a{i-1},*a{i-1},*a{i-1},*a{i-1},*a{i-1}]"
              for i in range(1, 10)]
    d = diag(run("validate", "--format", "json", write("floe.yaml", "\n".join(lines) + "\n")), "FLOE-E011")
    assert d["line"] > 1


def test_deep_nesting_is_a_diagnostic(run: Run, write: Write) -> None:
    deep = "kind: FloeSpec\nx: " + "[" * 20000 + "]" * 20000 + "\n"
    assert "FLOE-E011" in run("validate", "--format", "json", write("floe.yaml", deep)).codes()


def test_file_size_limit(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC)
    result = run("validate", "--max-bytes", "10", "--format", "json", path)
    assert result.codes() == ["FLOE-E009"]


def test_missing_file_exits_two(run: Run, tmp_path: Path) -> None:
    result = run("validate", "--format", "json", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert result.codes() == ["FLOE-E001"]


def test_github_annotations(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC.replace("version: 1.0.0", "version: x"))
    result = run("validate", "--format", "github", path)
    assert result.output.startswith(f"::error file={path},line=5,col=12,title=FLOE-E104::")


def test_sarif_output(run: Run, write: Write) -> None:
    import json

    path = write("floe.yaml", VALID_SPEC.replace("version: 1.0.0", "version: x"))
    sarif = json.loads(run("validate", "--format", "sarif", path).output)
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "FLOE-E104"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 5, "startColumn": 12}
    assert sarif["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "FLOE-E104"


def test_console_script_never_prints_a_traceback(write: Write) -> None:
    path = write("floe.yaml", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    proc = subprocess.run([sys.executable, "-m", "floe_compiler", "validate", str(path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "FLOE-E012" in proc.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_output_is_the_same_bytes_under_any_hash_seed(write: Write, fmt: str) -> None:
    # Several findings share file:line:col:code here (three fields missing from one `{}`,
    # for one); their order must not follow set iteration, which changes with the seed.
    path = write("floe.yaml", """\
        apiVersion: floe.dev/v1
        kind: FloeSpec
        metadata: {}
        transforms:
          - {}
          - {name: a, extra1: 1, extra2: 2, extra3: 3}
        """)
    outputs = set()
    for seed in ("1", "2", "3", "4", "5"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "floe_compiler", "validate", "--format", fmt,
                               str(path)], capture_output=True, env=env, timeout=60)
        assert proc.returncode == 1
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_a_numeric_version_gets_the_exact_text_to_write(run: Run, write: Write) -> None:
    spec = VALID_SPEC.replace("version: 1.0.0", "version: 1.0")
    result = run("validate", "--format", "json", write("floe.yaml", spec))
    assert diag(result, "FLOE-E103")["hint"] == 'Write a semantic version as text: `version: "1.0.0"`.'
    spec = VALID_SPEC.replace("version: 1.0.0", "version: 1.10")  # YAML's float is 1.1
    result = run("validate", "--format", "json", write("floe.yaml", spec))
    assert diag(result, "FLOE-E103")["hint"] == 'Write a semantic version as text: `version: "1.10.0"`.'


def test_a_cron_string_as_schedule_shows_the_mapping(run: Run, write: Write) -> None:
    result = run("validate", "--format", "json", write("floe.yaml", VALID_SPEC + 'schedule: "0 6 * * *"\n'))
    found = diag(result, "FLOE-E103")
    assert found["message"] == "schedule: must be a mapping, got '0 6 * * *'"
    assert found["hint"] == ("`schedule` is a mapping (fields: cron, timezone, enabled): "
                             'write `schedule: {cron: "0 6 * * *"}`.')
    assert "ScheduleSpec" not in result.output and "dictionary" not in result.output


def test_whole_file_findings_are_at_one_one(run: Run, tmp_path: Path) -> None:
    result = run("validate", tmp_path / "missing.yaml")
    assert f"{tmp_path / 'missing.yaml'}:1:1: FLOE-E001 error: cannot read file" in result.output



def test_github_format_appends_a_job_summary(write: Write, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    bad = write("floe.yaml", VALID_SPEC.replace("version: 1.0.0", "version: '1.0'")
                + "unknown_a: 1\nunknown_b: 2\n")
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    proc = subprocess.run([sys.executable, "-m", "floe_compiler", "validate", "--format", "github",
                           str(bad)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error file=")  # the annotations are unchanged
    text = summary.read_text()
    assert text.startswith("earlier step\n### floe\n")
    assert "1 file(s) checked: **3 error(s)**, 0 warning(s)" in text
    assert "| [FLOE-E102](https://" in text and "| 2 | unknown field |" in text
    assert "| [FLOE-E104](https://" in text and "| 1 | invalid value |" in text
    assert f"| `{bad}` | 3 | 0 |" in text
    # Other formats leave it alone.
    subprocess.run([sys.executable, "-m", "floe_compiler", "validate", str(bad)],
                   capture_output=True, env=env, timeout=60)
    assert summary.read_text() == text


def test_a_scalar_list_item_where_a_mapping_belongs_shows_the_item(run: Run, write: Write) -> None:
    spec = VALID_SPEC.replace("transforms:\n  - name: stg_orders\n  - name: mart_orders\n"
                              "    dependsOn: [stg_orders]\n", "transforms: [stg_orders]\n")
    found = diag(run("validate", "--format", "json", write("floe.yaml", spec)), "FLOE-E103")
    assert found["message"] == "transforms[0]: must be a mapping, got 'stg_orders'"
    assert found["hint"] == ("Each item of `transforms` is a mapping (fields: name, compute, "
                             "tags, dependsOn, tier, qualityChecks): write `- {name: stg_orders}`.")
