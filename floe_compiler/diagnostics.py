"""The one result model: every stage reports problems as `Diagnostic`s.

Codes are stable API (CI logs, SARIF rules, docs link to them), so a code is
never reused for a different meaning. The table `CODES` is the single source
for a code's title and default hint.
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from floe_compiler import REPOSITORY


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Code:
    code: str
    title: str
    hint: str


def _codes(*items: Code) -> dict[str, Code]:
    return {c.code: c for c in items}


CODES: dict[str, Code] = _codes(
    # E0xx: reading the file
    Code("FLOE-E001", "file cannot be read", "Check the path and its permissions."),
    Code("FLOE-E002", "file is not valid UTF-8", "Save the file as UTF-8."),
    Code("FLOE-E003", "YAML syntax error", "Fix the YAML syntax at the marked position."),
    Code("FLOE-E004", "file is empty",
         "Start from an example: `floe schema` documents every field."),
    Code("FLOE-E005", "document is not a mapping", "The top level must be `key: value` pairs."),
    Code("FLOE-E006", "duplicate key", "Remove one of the two keys; YAML keeps only the last."),
    Code("FLOE-E007", "unsupported YAML tag", "Remove the tag; only plain YAML data is accepted."),
    Code("FLOE-E008", "more than one YAML document", "Keep one document per file (remove `---`)."),
    Code("FLOE-E009", "file is too large", "Split the file, or raise the limit with --max-bytes."),
    Code("FLOE-E010", "unknown file kind", "Add `kind: FloeSpec` or `kind: Manifest`."),
    Code("FLOE-E011", "document is too deeply nested or expands too far",
         "Flatten the document; YAML aliases must not expand exponentially."),
    Code("FLOE-E012", "binary file", "This is not a text file; check the path."),
    # E1xx: schema of one file
    Code("FLOE-E101", "missing required field", "Add the field."),
    Code("FLOE-E102", "unknown field", "Remove the field or fix its spelling."),
    Code("FLOE-E103", "wrong type", "Change the value to the expected type."),
    Code("FLOE-E104", "invalid value", "Change the value so it meets the constraint."),
    Code("FLOE-E105", "value not allowed", "Use one of the allowed values."),
    Code("FLOE-E106", "environment-specific field",
         "floe.yaml is environment-agnostic: move this to the platform manifest "
         "or to a Kubernetes Secret referenced by `connection_secret_ref`."),
    Code("FLOE-E107", "invalid Kubernetes secret name",
         "Use a Kubernetes Secret name: lowercase letters, digits and '-', "
         "starting and ending with a letter or digit, at most 253 characters."),
    Code("FLOE-E108", "duplicate name", "Names must be unique within their list."),
    Code("FLOE-E109", "does not match the schema named by its modeline",
         "Fix the value, or the schema that the `# yaml-language-server: $schema=` line names."),
    Code("FLOE-W110", "modeline schema cannot be used",
         "Fix the `# yaml-language-server: $schema=` line: it must name a readable JSON Schema."),
    Code("FLOE-W111", "plain scalar reads differently in YAML 1.1 and YAML 1.2",
         "Quote it if you mean text: floe reads YAML 1.1 (PyYAML), editors YAML 1.2."),
    # E2xx: rules across the project
    Code("FLOE-E120", "manifest scope rule broken",
         "parent_manifest and approved_products go with scope: domain; approved_plugins and "
         "approved_sinks with scope: enterprise."),
    Code("FLOE-W121", "floe-core's Python field name used",
         "Write the canonical key (dependsOn, apiVersion, qualityChecks, ...)."),
    Code("FLOE-W122", "unknown top-level manifest key",
         "Remove it or fix its spelling; floe ignores it."),
    Code("FLOE-E201", "sink type not approved",
         "Use a sink listed in the manifest's `approved_sinks`, "
         "or ask the platform team to approve it."),
    Code("FLOE-E202", "plugin not approved", "Use a plugin listed in the manifest's "
         "`approved_plugins`, or ask the platform team to approve it."),
    Code("FLOE-E203", "hardcoded credential",
         "Store the credential in a Kubernetes Secret and reference it with "
         "`connection_secret_ref`; never commit the value."),
    Code("FLOE-E205", "transform dependency cycle", "Remove one of the edges of the cycle."),
    Code("FLOE-E206", "manifest not found, remote, or outside the repository",
         "Pass --manifest, or fix `platform.manifest`."),
    Code("FLOE-E207", "wrong file kind",
         "Pass a floe.yaml as --spec and a manifest.yaml as --manifest."),
    Code("FLOE-E208", "compiled artifact is stale", "Run `floe compile` and commit the result."),
    Code("FLOE-E211", "sync mode the sink type cannot perform",
         "Use insert, upsert, update or mirror, one the connector lists (mirror needs a "
         "connector that can delete)."),
    Code("FLOE-E212", "sync mode needs a primary key",
         "Add config.primary_key: the destination column(s) that identify a row."),
    # E3xx: templating
    Code("FLOE-E301", "template error", "Fix the Jinja expression."),
    Code("FLOE-E302", "undefined template variable",
         "Define it (environment variable, or `--vars`), or give env_var() a default."),
    Code("FLOE-E303", "unsafe template", "Templates may only call env_var() and var()."),
    Code("FLOE-E304", "secret rendered into a plain value",
         "Secret environment variables may only feed secret references."),
    # W: warnings (errors with --strict)
    Code("FLOE-W201", "plaintext credential in manifest",
         "Use a Kubernetes Secret (`connection_secret_ref`); plaintext is for local demos only."),
    Code("FLOE-W202", "manifest not read: it lies outside the repository",
         "Fix `platform.manifest`, or pass --manifest (or FLOE_MANIFEST): the rules across "
         "floe.yaml and its manifest were not checked."),
    Code("FLOE-W204", "dependsOn names a transform not defined in floe.yaml",
         "Fix the name if it is a typo; a dbt model or source defined outside floe.yaml is "
         "fine."),
    Code("FLOE-W210", "sink type served by no installed sink connector",
         "Fix the sink type if it is a typo; otherwise install the plugin that serves it "
         "(`floe sinks` lists what is installed)."),
)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One located problem. Line and column are 1-based; a whole-file finding is at 1:1."""

    code: str
    severity: Severity
    file: str
    line: int
    column: int
    message: str
    hint: str = ""

    def as_dict(self) -> dict[str, str | int]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }

    def escalated(self) -> Diagnostic:
        """The same finding as an error (for --strict)."""
        return replace(self, severity=Severity.ERROR)


def diagnostic(
    code: str,
    message: str,
    *,
    file: str,
    line: int = 1,  # a finding about the whole file sits at 1:1, as other tools put it
    column: int = 1,
    hint: str | None = None,
) -> Diagnostic:
    """Build a diagnostic whose severity and default hint come from `CODES`."""
    return Diagnostic(code, severity_of(code), file, line, column, message,
                      CODES[code].hint if hint is None else hint)


def severity_of(code: str) -> Severity:
    """A code's default severity: FLOE-W codes are warnings (errors with --strict)."""
    return Severity.WARNING if code.startswith("FLOE-W") else Severity.ERROR


# Every code has a section (anchor: the code in lower case) on this page, which
# `floe explain --format markdown` writes; SARIF's helpUri and the LSP link to it.
CODES_URL = f"{REPOSITORY}/blob/main/docs/codes.md"


def code_url(code: str) -> str:
    return f"{CODES_URL}#{code.lower()}"


# difflib compares `word` with every candidate at ~20 us each; past this many candidates
# (10,000 transform names, say) only those sharing the most prefix + suffix are compared.
SHORTLIST = 100


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    pool = list(candidates)
    if len(pool) > SHORTLIST:
        pool = heapq.nlargest(SHORTLIST, pool, key=lambda candidate: _affix(word, candidate))
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _affix(a: str, b: str) -> int:
    """Characters shared at the start plus at the end: a typo leaves both mostly intact."""
    most = min(len(a), len(b))
    head = 0
    while head < most and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < most - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head + tail


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str, str, str]:
    """A total order: diagnostics are collected through sets, so any tie left here would
    come out in hash order and the same run could print differently twice."""
    return (d.file, d.line, d.column, d.code, d.severity, d.message, d.hint)  # a StrEnum


class FloeError(Exception):
    """An exception that carries its diagnostic, for library users."""

    def __init__(self, diag: Diagnostic) -> None:
        super().__init__(f"{diag.file}:{diag.line}:{diag.column}: {diag.code} {diag.message}")
        self.diagnostic = diag
