"""Hostile templates: a value may not grow past the sandbox's limit on the way (not only
at the end), and no template is too deep to report: each is a located FLOE-E303."""

from __future__ import annotations

import json

import pytest

from tests.conftest import VALID_MANIFEST, VALID_SPEC, Run, Write
from tests.test_hardening import bounded


def owner_template(run: Run, write: Write, template: str, *args: str) -> dict[str, object]:
    write("manifest.yaml", VALID_MANIFEST)
    spec = write("floe.yaml", VALID_SPEC.replace("owner: data@acme.com",
                                                  f"owner: {json.dumps(template)}"))
    result = run("validate", "--format", "json", spec, *args)
    assert result.exit_code == 1, result.output
    (d,) = result.json()["diagnostics"]
    assert (d["line"], d["column"]) == (6, 10)  # the value's position
    return d  # type: ignore[no-any-return]


@pytest.mark.parametrize("template", [
    # 891 MB before the final size check (the D8)
    "{{ ('a' * 30000) | replace('a', 'b' * 30000) }}",
    "{{ ('a' * 60000) ~ ('a' * 60000) ~ ('a' * 60000) }}",
    "{{ ('a' * 60000) + ('a' * 60000) }}",
    "{{ (['a' * 60000] * 1000) | string }}",
    "{{ (['a' * 60000] * 1000) | lower }}",
    "{{ ['a' * 60000] * 1000 }}",
    "{{ [['a' * 1000] * 1000] * 1000 }}",
    "{{ var('big') * 1000 }}",
    "{{ var('big') | replace('', var('big')) }}",
    "{{ 'x' | replace('x', ['a' * 60000] * 1000) }}",
    "{{ var('big') }}" * 1_000,  # each part under the limit, together 50 MB
])
def test_string_growth_is_refused_before_it_happens(run: Run, write: Write, template: str) -> None:
    with bounded(megabytes=60):
        d = owner_template(run, write, template, "--vars", json.dumps({"big": "x" * 50_000}))
    assert d["code"] == "FLOE-E303"
    assert "longer than 65536 characters" in str(d["message"])


@pytest.mark.parametrize("template", [
    "{{ " + " + ".join(["1"] * 1_000) + " }}",  # a 1,000-deep tree: exit 3 before
    "{{ " + "(" * 200 + "1" + ")" * 200 + " }}",  # 200 parentheses (3 KB): exit 3 before
    "{{ " + "-" * 500 + "1 }}",
    "{{ 'a'" + " | lower" * 500 + " }}",
    "{% if true %}" * 300 + "x" + "{% endif %}" * 300,
])
def test_deep_templates_are_located_e303_not_internal_errors(
        run: Run, write: Write, template: str) -> None:
    with bounded():
        d = owner_template(run, write, template)
    assert d["code"] == "FLOE-E303", d
    assert "nested too deeply" in str(d["message"])


def test_ordinary_arithmetic_and_filters_still_render(run: Run, write: Write) -> None:
    write("manifest.yaml", VALID_MANIFEST)
    template = "{{ ('ab' * 3) | replace('b', 'c') ~ '-' ~ (1 + 2) ~ ('x' + 'y') | upper }}"
    spec = write("floe.yaml", VALID_SPEC.replace("  owner: data@acme.com\n",
                                                  f"  owner: data@acme.com\n  description: {json.dumps(template)}\n"))
    result = run("validate", spec)
    assert result.exit_code == 0, result.output
    from floe_compiler.loader import load_text
    from floe_compiler.render import render_templates

    doc = load_text(f"value: {json.dumps(template)}\n", "t.yaml")
    render_templates(doc, {})
    assert doc.data["value"] == "acacac-3XY"
