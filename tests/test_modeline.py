"""`floe validate` honours the `# yaml-language-server: $schema=...` modeline editors use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLE, ROOT, VALID_MANIFEST, VALID_SPEC, Run, Write

SCHEMAS = ROOT / "schemas"
TEAM_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://acme.com/schemas/team.json",
    "type": "object",
    "required": ["team", "size"],
    "additionalProperties": False,
    "properties": {
        "team": {"type": "string", "pattern": "^[a-z]+$"},
        "size": {"type": "integer", "minimum": 1},
        "api_token": {"type": "integer"},
    },
}


def diags(result: Any, code: str) -> list[dict[str, Any]]:
    return [d for d in result.json()["diagnostics"] if d["code"] == code]


def modeline(target: str | Path) -> str:
    return f"# yaml-language-server: $schema={target}\n"


def test_the_examples_point_at_the_committed_schemas(run: Run) -> None:
    for name in ("floe.yaml", "manifest.yaml"):
        first = (EXAMPLE / name).read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=../../schemas/")
        assert (EXAMPLE / first.split("=", 1)[1]).resolve().is_file()
    result = run("validate", "--format", "json", EXAMPLE / "floe.yaml", EXAMPLE / "manifest.yaml")
    assert result.exit_code == 0
    assert result.json()["diagnostics"] == []


def test_a_modeline_to_our_schema_sets_the_kind_of_any_file_name(run: Run, write: Write) -> None:
    # Named neither floe.yaml nor manifest.yaml, and `kind` still missing: without the
    # modeline floe could not tell what the file is (FLOE-E010).
    text = VALID_SPEC.replace("kind: FloeSpec\n", "")
    plain = run("validate", "--format", "json", write("orders.yaml", text))
    assert [d["code"] for d in plain.json()["diagnostics"]] == ["FLOE-E010"]
    for schema in (SCHEMAS / "floe-spec.schema.json", SCHEMAS / "draft-07" / "floe-spec.schema.json"):
        result = run("validate", "--format", "json", write("orders.yaml", modeline(schema) + text))
        assert result.codes() == ["FLOE-E101"]
        assert "'kind'" in diags(result, "FLOE-E101")[0]["message"]


def test_our_schema_is_recognised_by_id_wherever_it_lives(run: Run, write: Write, tmp_path: Path) -> None:
    copy = write("vendored/manifest-schema.json", (SCHEMAS / "manifest.schema.json").read_text())
    text = modeline("vendored/manifest-schema.json") + VALID_MANIFEST.replace("kind: Manifest\n", "")
    result = run("validate", "--format", "json", write("platform.yaml", text))
    assert result.codes() == ["FLOE-E101"], "checked as a Manifest"
    assert copy.is_file()


def test_our_schema_by_url_needs_no_network(run: Run, write: Write) -> None:
    text = modeline("https://floe.dev/schemas/floe-spec/v1.json") + VALID_SPEC
    assert run("validate", write("product.yaml", text)).exit_code == 0


def test_a_modeline_naming_the_other_kind_is_located(run: Run, write: Write) -> None:
    path = write("floe.yaml", modeline(SCHEMAS / "manifest.schema.json") + VALID_SPEC)
    result = run("validate", "--format", "json", path)
    assert result.exit_code == 1
    d = diags(result, "FLOE-E207")[0]
    assert (d["line"], d["column"]) == (1, 33)
    assert "Manifest schema" in d["message"]


def test_a_foreign_schema_is_checked_with_located_messages(run: Run, write: Write) -> None:
    write("team.schema.json", json.dumps(TEAM_SCHEMA))
    path = write("team.yaml", """\
        # The analytics team.
        # yaml-language-server: $schema=team.schema.json
        team: Analytics
        colour: blue
        api_token: hunter2-secret
        """)
    result = run("validate", "--format", "json", path)
    assert result.exit_code == 1
    found = {(d["line"], d["column"], d["message"]) for d in diags(result, "FLOE-E109")}
    assert found == {
        (3, 1, "(top level): 'size' is a required property"),
        (3, 7, "team: 'Analytics' does not match '^[a-z]+$'"),
        (4, 1, "(top level): Additional properties are not allowed ('colour' was unexpected)"),
        (5, 12, "api_token: does not satisfy 'type' (value not shown)"),
    }
    assert result.codes() == ["FLOE-E109"] * 4, "not a floe file: no FLOE-E010"
    assert "hunter2" not in run("validate", path).output


def test_a_foreign_schema_adds_to_floes_own_checks(run: Run, write: Write) -> None:
    write("acme-floe.schema.json", json.dumps({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "properties": {"metadata": {"required": ["labels"]}},
    }))
    path = write("floe.yaml", modeline("acme-floe.schema.json") + VALID_SPEC.replace("version: 1.0.0", "version: '1.0'"))
    result = run("validate", "--format", "json", path)
    assert sorted(result.codes()) == ["FLOE-E104", "FLOE-E109"]
    d = diags(result, "FLOE-E109")[0]
    assert (d["line"], d["column"]) == (5, 3)
    assert "'labels' is a required property" in d["message"]


def test_a_foreign_schema_that_passes_adds_nothing(run: Run, write: Write) -> None:
    write("team.schema.json", json.dumps(TEAM_SCHEMA))
    path = write("team.yaml", modeline("team.schema.json") + "team: analytics\nsize: 4\n")
    result = run("validate", "--format", "json", path)
    assert result.exit_code == 0
    assert result.json()["diagnostics"] == []


def test_unusable_schemas_are_warnings_at_the_modeline(run: Run, write: Write) -> None:
    write("broken.json", "{not json")
    write("invalid.json", json.dumps({"type": 12}))
    write("remote-ref.json", json.dumps({"$ref": "https://example.com/never-fetched.json"}))
    for target in ("missing.json", "broken.json", "invalid.json", "remote-ref.json"):
        path = write("floe.yaml", modeline(target) + VALID_SPEC)
        result = run("validate", "--format", "json", path)
        assert result.exit_code == 0, target
        d = diags(result, "FLOE-W110")[0]
        assert (d["line"], d["column"], target in d["message"]) == (1, 33, True)
        assert run("validate", "--strict", path).exit_code == 1


def test_a_remote_foreign_schema_is_not_fetched(run: Run, write: Write) -> None:
    path = write("floe.yaml", modeline("https://json.schemastore.org/some-schema.json") + VALID_SPEC)
    result = run("validate", "--format", "json", path)
    assert result.exit_code == 0
    assert result.json()["diagnostics"] == []
