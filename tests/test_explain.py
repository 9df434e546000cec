"""`floe explain`: every code has a page saying what it means, a mistake, the fix, and since when."""

from __future__ import annotations

import json

from floe_compiler.diagnostics import CODES, code_url
from floe_compiler.explain import DOCS_PAGE, EXPLANATIONS
from tests.conftest import ROOT, Run, Write


def test_every_code_is_explained() -> None:
    assert sorted(set(CODES) - set(EXPLANATIONS)) == []
    assert sorted(set(EXPLANATIONS) - set(CODES)) == []
    for code, doc in EXPLANATIONS.items():
        assert doc.meaning and doc.example and doc.fix, code
        assert doc.since.count(".") == 2, code


def test_explain_one_code_in_any_spelling(run: Run) -> None:
    for spelling in ("FLOE-E104", "e104", "floe-e104"):
        result = run("explain", spelling)
        assert result.exit_code == 0
        assert result.output.startswith("FLOE-E104: invalid value\n")
        assert "Example of the mistake:\n" in result.output
        assert '    version: "1.0"' in result.output
        assert '    version: "1.0.0"' in result.output
        assert "Since floe-compiler 0.1.0." in result.output


def test_warnings_say_strict_makes_them_errors(run: Run) -> None:
    assert "Severity: warning (an error with --strict)." in run("explain", "W201").output


def test_unknown_code_exits_two_with_the_nearest_one(run: Run) -> None:
    result = run("explain", "E1O4")
    assert result.exit_code == 2
    assert "no diagnostic code 'E1O4'; did you mean FLOE-E104?" in result.output


def test_explain_without_a_code_lists_every_code(run: Run) -> None:
    result = run("explain")
    assert result.exit_code == 0
    for code in CODES:
        assert f"\n{code}: " in "\n" + result.output
    listed = json.loads(run("explain", "--format", "json").output)
    assert [entry["code"] for entry in listed] == list(CODES)
    assert {"meaning", "example", "fix", "since", "hint", "severity"} <= set(listed[0])


def test_the_committed_codes_page_is_current(run: Run) -> None:
    page = (ROOT / DOCS_PAGE).read_text(encoding="utf-8")
    assert page == run("explain", "--format", "markdown").output, \
        "docs/codes.md is stale: run `floe explain --format markdown > docs/codes.md`"
    for code in CODES:  # GitHub's anchor for "## FLOE-E104" is #floe-e104
        assert f"\n## {code}\n" in page
        assert code_url(code).endswith(f"{DOCS_PAGE}#{code.lower()}")


def test_sarif_rules_link_to_the_code_page(run: Run, write: Write) -> None:
    path = write("floe.yaml", "apiVersion: floe.dev/v1\nkind: FloeSpec\nmetadata: {}\n")
    sarif = json.loads(run("validate", "--format", "sarif", path).output)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rules and all(rule["helpUri"] == code_url(rule["id"]) for rule in rules)
