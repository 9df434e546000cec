"""Jinja in values, as dbt does it: `{{ env_var('NAME', 'default') }}` and `{{ var('name') }}`
with `--vars`. Sandboxed, located, and secrets never leak."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from floe_compiler.loader import load_text
from floe_compiler.render import render_templates
from tests.conftest import VALID_MANIFEST, VALID_SPEC, Run, Write

SECRET = "sk_live_0123456789ABCDEF"

DESTINATION = """\
destinations:
  - name: crm-sync
    sink_type: rest_api
    connection_secret_ref: crm-credentials
    batch_size: 500
"""


def diag(result: Any, code: str) -> dict[str, Any]:
    found = [d for d in result.json()["diagnostics"] if d["code"] == code]
    assert found, f"{code} not reported: {result.output}"
    return found[0]  # type: ignore[no-any-return]


def product(write: Write, spec: str) -> Path:
    write("manifest.yaml", VALID_MANIFEST)
    return write("floe.yaml", spec)


def rendered(value: str, variables: dict[str, Any] | None = None) -> Any:
    """What one templated value becomes (the render stage on its own)."""
    doc = load_text(f"value: {json.dumps(value)}\n", "t.yaml")
    render_templates(doc, variables or {})
    assert not doc.diagnostics, doc.diagnostics
    return doc.data["value"]


# --- rendering -----------------------------------------------------------------------


def test_var_from_vars_becomes_a_number_in_the_artifact(run: Run, write: Write, tmp_path: Path) -> None:
    spec = product(write, VALID_SPEC + DESTINATION.replace("batch_size: 500", "batch_size: \"{{ var('batch') }}\""))
    out = tmp_path / "artifact.json"
    result = run("compile", "--spec", spec, "--output", out, "--vars", "{batch: 250}")
    assert result.exit_code == 0, result.output
    artifact = json.loads(out.read_text())
    assert artifact["destinations"][0]["batch_size"] == 250
    assert artifact["templating"] == {"env_vars": [], "vars": ["batch"]}


def test_vars_are_read_as_dbt_reads_them_yaml_1_1(run: Run, write: Write, tmp_path: Path) -> None:
    spec = product(write, VALID_SPEC + DESTINATION.replace("batch_size: 500", "batch_size: \"{{ var('batch') }}\""))
    out = tmp_path / "artifact.json"
    result = run("compile", "--spec", spec, "--output", out, "--vars", "{batch: 1_000}")
    assert result.exit_code == 0, result.output  # a W111 in --vars is no usage error
    assert json.loads(out.read_text())["destinations"][0]["batch_size"] == 1000


def test_vars_as_json_or_from_a_file(run: Run, write: Write) -> None:
    spec = product(write, VALID_SPEC.replace("owner: data@acme.com", "owner: \"{{ var('team') }}@acme.com\""))
    assert run("validate", spec, "--vars", '{"team": "data"}').exit_code == 0
    vars_file = write("vars.yaml", "team: data\n")
    assert run("validate", spec, "--vars", f"@{vars_file}").exit_code == 0


def test_env_var_with_default(run: Run, write: Write, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = product(write, VALID_SPEC.replace("owner: data@acme.com", "owner: \"{{ env_var('FLOE_OWNER', 'data@acme.com') }}\""))
    out = tmp_path / "a.json"
    assert run("compile", "--spec", spec, "--output", out).exit_code == 0
    assert json.loads(out.read_text())["product"]["owner"] == "data@acme.com"
    monkeypatch.setenv("FLOE_OWNER", "sales@acme.com")
    assert run("compile", "--spec", spec, "--output", out).exit_code == 0
    artifact = json.loads(out.read_text())
    assert artifact["product"]["owner"] == "sales@acme.com"
    assert artifact["templating"] == {"env_vars": ["FLOE_OWNER"], "vars": []}


@pytest.mark.parametrize(("template", "variables", "value"), [
    ("{{ var('n') }}", {"n": 500}, 500),
    ("{{ var('n') }}", {"n": "500"}, 500),  # YAML reads 500 as a number however it came
    (" {{ var('n') }} ", {"n": 7}, 7),
    ("{{ var('flag') }}", {"flag": "true"}, True),
    ("{{ var('ratio') }}", {"ratio": "0.5"}, 0.5),
    ("{{ var('octal') }}", {"octal": "017"}, 15),  # YAML 1.1 octal
    ("{{ var('octal') }}", {"octal": "0o17"}, "0o17"),  # not a number in YAML 1.1
    ("{{ var('x', '') }}", {}, None),
    ("{{ var('x', 'null') }}", {}, None),
    ("{{ var('x', none) }}", {}, None),
    ("{{ var('day') }}", {"day": "2024-01-01"}, "2024-01-01"),  # dates stay text
    ("{{ var('word') }}", {"word": "yes"}, True),  # YAML 1.1, as floe-core reads: a boolean
    ("{{ var('n') | string }}", {"n": 42}, "42"),  # | string keeps text
    ("v{{ var('n') }}", {"n": 1}, "v1"),  # text around: always text
    ("{{ var('a') }}{{ var('b') }}", {"a": 1, "b": 2}, "12"),
    ("{{ var('a') }}:{{ var('b') }}", {"a": "k", "b": 2}, "k:2"),
    ("{{ var('list') }}", {"list": [1, 2]}, "[1, 2]"),  # not a plain scalar: text
    ("{{ var('cfg').region | upper }}", {"cfg": {"region": "eu"}}, "EU"),
    ("{{ 'prod' if var('env') == 'production' else 'dev' }}", {"env": "production"}, "prod"),
    ("{% if var('on') %}enabled{% else %}disabled{% endif %}", {"on": False}, "disabled"),
    ("{{ env_var('FLOE_SURELY_UNSET', 'fallback') ~ '-x' }}", {}, "fallback-x"),
])
def test_a_whole_value_expression_is_read_as_yaml_reads_a_plain_scalar(
        template: str, variables: dict[str, Any], value: Any) -> None:
    result = rendered(template, variables)
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize("plain", ["500", "-3", "+7", "007", "0o17", "0x1F", "1_000", "1.5", "1e3",
                                   ".inf", "-.Inf", "true", "False", "null", "~", "yes", "on",
                                   "2024-01-01", "2024-01-01T10:00:00Z", "1.0.0", "abc", "a b"])
def test_retyping_agrees_with_the_loader(plain: str) -> None:
    loaded = load_text(f"value: {plain}\n", "t.yaml").data["value"]
    if isinstance(loaded, date):  # dates stay text: the artifact is JSON
        loaded = plain
    result = rendered("{{ var('x') }}", {"x": plain})
    assert result == loaded and type(result) is type(loaded)


def test_block_scalar_keeps_its_lines() -> None:
    doc = load_text("description: |\n  Orders for {{ var('region') }}.\n  Second line.\n", "t.yaml")
    render_templates(doc, {"region": "EU"})
    assert doc.data["description"] == "Orders for EU.\nSecond line.\n"


def test_keys_and_plain_values_are_never_templates() -> None:
    doc = load_text("'{{ key }}': '{ not: a template }'\nplain: value\n", "t.yaml")
    assert doc.templated == []


def test_rendered_value_of_the_wrong_type_hints_at_string(run: Run, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUILD_NUMBER", "42")
    spec = product(write, VALID_SPEC.replace("  owner:", "  labels:\n    build: \"{{ env_var('BUILD_NUMBER') }}\"\n  owner:"))
    d = diag(run("validate", "--format", "json", spec), "FLOE-E103")
    assert (d["line"], d["column"]) == (7, 12)
    assert "| string" in d["hint"]
    fixed = spec.read_text().replace("env_var('BUILD_NUMBER') }}", "env_var('BUILD_NUMBER') | string }}")
    spec.write_text(fixed)
    assert run("validate", spec).exit_code == 0


# --- problems are located diagnostics ----------------------------------------------


def test_undefined_var_is_located_at_the_value(run: Run, write: Write) -> None:
    spec = product(write, VALID_SPEC + DESTINATION.replace("batch_size: 500", "batch_size: \"{{ var('batch') }}\""))
    result = run("validate", "--format", "json", spec)
    assert result.exit_code == 1
    assert result.codes() == ["FLOE-E302"], "no follow-on type error for the same value"
    d = diag(result, "FLOE-E302")
    assert (d["line"], d["column"]) == (17, 17)
    assert "var('batch')" in d["message"] and "--vars" in d["message"]


def test_unset_env_var_without_default(run: Run, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOE_REGION", raising=False)
    spec = product(write, VALID_SPEC.replace("owner: data@acme.com", "owner: \"{{ env_var('FLOE_REGION') }}\""))
    d = diag(run("validate", "--format", "json", spec), "FLOE-E302")
    assert (d["line"], d["column"]) == (6, 10)
    assert "FLOE_REGION is not set" in d["message"]


def test_bare_name_is_undefined_with_a_suggestion(run: Run, write: Write) -> None:
    spec = product(write, VALID_SPEC.replace("owner: data@acme.com", "owner: \"{{ team }}\""))
    d = diag(run("validate", "--format", "json", spec), "FLOE-E302")
    assert "var('team')" in d["message"]


@pytest.mark.parametrize("template", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ var('cfg')['__class__'] }}",
    "{{ 'abc'.upper() }}",
    "{{ range(10) }}",
    "{{ lipsum() }}",
    "{{ cycler('a') }}",
    "{{ env_var }}",
    "{{ 'x' | tojson }}",
    "{{ 2 ** 1000 }}",
    "{% for c in 'abc' %}{{ c }}{% endfor %}",
    "{% set x = 1 %}{{ x }}",
    "{% include 'secrets.txt' %}",
    "{% macro m() %}{% endmacro %}",
    "{{ 'a' * 100000000 }}",
    "{{ '%099999999d' % 1 }}",
    "{{ var('s') is defined }}",
])
def test_sandbox_violations_are_e303(run: Run, write: Write, template: str) -> None:
    spec = product(write, VALID_SPEC.replace("owner: data@acme.com", f"owner: {json.dumps(template)}"))
    result = run("validate", "--format", "json", spec, "--vars", "{cfg: {a: 1}, s: x}")
    assert result.exit_code == 1
    assert result.codes() == ["FLOE-E303"], result.output
    d = diag(result, "FLOE-E303")
    assert (d["line"], d["column"]) == (6, 10)


@pytest.mark.parametrize("template", ["{{ 1 + }}", "{{ var('x' }}", "{% if %}", "{{ var('x') }", "{% endif %}"])
def test_syntax_errors_are_e301(run: Run, write: Write, template: str) -> None:
    spec = product(write, VALID_SPEC.replace("owner: data@acme.com", f"owner: {json.dumps(template)}"))
    result = run("validate", "--format", "json", spec)
    assert result.codes() == ["FLOE-E301"], result.output


def test_error_in_a_block_scalar_points_at_its_line(run: Run, write: Write) -> None:
    spec = product(write, VALID_SPEC.replace("  owner: data@acme.com\n", """\
  owner: data@acme.com
  description: |
    Orders of the {{ var('region', 'EU') }} region,
    refreshed {{ var('cadence') }}.
"""))
    result = run("validate", spec)
    assert f"{spec}:9:5: FLOE-E302" in result.output
    assert "9 |     refreshed {{ var('cadence') }}." in result.output


def test_runtime_errors_are_diagnostics_never_tracebacks(run: Run, write: Write) -> None:
    spec = product(write, VALID_SPEC.replace("owner: data@acme.com", "owner: \"{{ var('n') / 0 }}\""))
    result = run("validate", "--format", "json", spec, "--vars", "{n: 1}")
    d = diag(result, "FLOE-E301")
    assert "division by zero" in d["message"]


def test_bad_vars_is_a_usage_error(run: Run, write: Write) -> None:
    spec = product(write, VALID_SPEC)
    for bad in ("[1, 2]", "{a: 1, a: 2}", "{unclosed", "@missing-vars.yaml"):
        result = run("validate", spec, "--vars", bad)
        assert result.exit_code == 2, bad
        assert "--vars" in result.output


# --- secrets -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["API_TOKEN", "DB_PASSWORD", "CLIENT_SECRET", "stripe_api_key", "SSH_PRIVATE_KEY"])
def test_secret_env_var_outside_a_secret_ref_is_refused_and_never_printed(
        run: Run, write: Write, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, SECRET)
    spec = product(write, VALID_SPEC + DESTINATION + f"    config:\n      path: \"/v1?key={{{{ env_var('{name}') }}}}\"\n")
    for fmt in ("text", "json", "github", "sarif"):
        result = run("validate", "--format", fmt, spec)
        assert result.exit_code == 1
        assert SECRET not in result.output
    d = diag(run("validate", "--format", "json", spec), "FLOE-E304")
    assert (d["line"], d["column"]) == (19, 13)
    assert name in d["message"]


def test_secret_from_vars_is_refused_too(run: Run, write: Write) -> None:
    spec = product(write, VALID_SPEC.replace("owner: data@acme.com", "owner: \"{{ var('api_token') }}\""))
    result = run("validate", "--format", "json", spec, "--vars", f"{{api_token: {SECRET}}}")
    assert result.codes() == ["FLOE-E304"]
    assert SECRET not in result.output


def test_secret_env_var_may_name_the_kubernetes_secret(
        run: Run, write: Write, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CRM_SECRET_NAME", "crm-credentials-prod")
    spec = product(write, VALID_SPEC + DESTINATION.replace(
        "connection_secret_ref: crm-credentials", "connection_secret_ref: \"{{ env_var('CRM_SECRET_NAME') }}\""))
    out = tmp_path / "a.json"
    assert run("compile", "--spec", spec, "--output", out).exit_code == 0
    artifact = json.loads(out.read_text())
    assert artifact["destinations"][0]["connection_secret_ref"] == "crm-credentials-prod"
    assert artifact["templating"]["env_vars"] == ["CRM_SECRET_NAME"]


def test_a_secret_value_in_a_secret_ref_is_refused_without_showing_it(
        run: Run, write: Write, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CRM_PASSWORD", SECRET)
    spec = product(write, VALID_SPEC + DESTINATION.replace(
        "connection_secret_ref: crm-credentials", "connection_secret_ref: \"{{ env_var('CRM_PASSWORD') }}\""))
    out = tmp_path / "a.json"
    result = run("compile", "--spec", spec, "--output", out, "--format", "json")
    assert result.exit_code == 1
    assert result.codes() == ["FLOE-E304"]
    assert SECRET not in result.output
    assert not out.exists()


def test_artifact_lists_names_never_values(run: Run, write: Write, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLOE_TEAM", "team-x-9f2c")
    spec = product(write, VALID_SPEC.replace("owner: data@acme.com", "owner: \"{{ env_var('FLOE_TEAM') }}\"")
                   + DESTINATION.replace("batch_size: 500", "batch_size: \"{{ var('batch', 100) }}\""))
    out = tmp_path / "a.json"
    assert run("compile", "--spec", spec, "--output", out).exit_code == 0
    artifact = json.loads(out.read_text())
    assert artifact["templating"] == {"env_vars": ["FLOE_TEAM"], "vars": ["batch"]}
    assert artifact["product"]["owner"] == "team-x-9f2c"  # rendered where it was used...
    assert json.dumps(artifact["templating"]).count("team-x-9f2c") == 0  # ...and nowhere else


def test_library_users_catch_template_errors_by_type(write: Write) -> None:
    from floe_compiler import CompilationError, Options, TemplateError, compile_project

    spec = product(write, VALID_SPEC.replace("owner: data@acme.com", "owner: \"{{ var('team') }}\""))
    with pytest.raises(CompilationError) as caught:
        compile_project(spec)
    assert [type(e) for e in caught.value.exceptions] == [TemplateError]
    assert compile_project(spec, options=Options(variables={"team": "data"})).product.owner == "data"
