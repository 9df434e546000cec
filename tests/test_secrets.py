"""A credential written into floe.yaml or manifest.yaml is never shown again.

Whatever key it sits under (password, client_secret, api_key, token, ...), however
it is written (plain, quoted, in a list or mapping, a block scalar, flow style,
the line after its key), and whatever else is wrong around it, the value must not
appear in any output format of `floe validate` or `floe compile`, nor in the artifact.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from floe_compiler.credentials import redact_lines, redacted_lines
from floe_compiler.loader import load_text
from tests.conftest import VALID_MANIFEST, VALID_SPEC, Run, Write

FORMATS = ("text", "json", "github", "sarif")
CREDENTIAL_KEYS = ["password", "passwd", "client_secret", "api_key", "apiKey", "token",
                   "access_token", "secret", "private_key", "db_password", "clientSecret",
                   "AUTH_TOKEN", "connection_string", "credentials", "secret_access_key"]
FORMS = ["plain", "double", "single", "list", "block-list", "mapping", "literal", "folded",
         "next-line", "alias"]

SPEC = load_text(VALID_SPEC + """\
schedule: {cron: '0 6 * * *'}
destinations:
  - name: crm
    sink_type: rest_api
    connection_secret_ref: crm-api
    batch_size: 100
    config: {object: Contact}
    field_mapping: {id: Id}
""", "floe.yaml").data
MANIFEST = load_text(VALID_MANIFEST + """\
  catalog:
    type: polaris
    config: {warehouse: acme}
governance:
  audit_logging: enabled
  rbac: {enabled: true}
scope: enterprise
approved_sinks: [rest_api]
defaults: {region: eu}
""", "manifest.yaml").data
# Mappings a credential can be put into (new ones are created on the way).
SPEC_PLACES = [(), ("metadata",), ("metadata", "labels"), ("transforms", 0), ("transforms", 1),
               ("destinations", 0), ("destinations", 0, "config"),
               ("destinations", 0, "config", "auth"), ("destinations", 0, "field_mapping"),
               ("schedule",), ("platform",)]
MANIFEST_PLACES = [(), ("metadata",), ("plugins", "compute"), ("plugins", "compute", "config"),
                   ("plugins", "catalog", "config"), ("plugins", "catalog", "config", "oauth"),
                   ("governance",), ("governance", "rbac"), ("governance", "secret_scanning"),
                   ("approved_plugins",), ("defaults",), ("artifacts",),
                   ("observability", "tracing")]


@dataclass
class Secret:
    value: str
    form: str

    def inline(self) -> str:
        return {"double": f'"{self.value}"', "single": f"'{self.value}'",
                "list": f"[{self.value}]", "mapping": f"{{value: {self.value}}}",
                "alias": "*sec"}.get(self.form, self.value)


class Emitter:
    """YAML text with a random mix of block and flow style, secrets written as asked."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def document(self, data: dict[str, Any]) -> str:
        return "".join(self.block_map(data, 0))

    def block_map(self, data: dict[str, Any], indent: int) -> Iterator[str]:
        pad = " " * indent
        for key, value in data.items():
            if isinstance(value, Secret) and value.form == "alias":  # defined elsewhere
                yield f"{pad}anchored: &sec {value.value}\n"
            if isinstance(value, Secret) and value.form in ("literal", "folded", "next-line",
                                                            "block-list"):
                head = {"literal": " |", "folded": " >-", "next-line": "", "block-list": ""}
                item = "- " if value.form == "block-list" else ""
                yield f"{pad}{key}:{head[value.form]}\n{pad}  {item}{value.value}\n"
            elif isinstance(value, dict | list) and value and self.rng.random() < 0.7:
                yield f"{pad}{key}:\n"
                yield from (self.block_map(value, indent + 2) if isinstance(value, dict)
                            else self.block_seq(value, indent + 2))
            else:
                yield f"{pad}{key}: {self.inline(value)}\n"

    def block_seq(self, items: list[Any], indent: int) -> Iterator[str]:
        pad = " " * indent
        for item in items:
            if isinstance(item, dict) and item:
                yield f"{pad}-\n"
                yield from self.block_map(item, indent + 2)
            else:
                yield f"{pad}- {self.inline(item)}\n"

    def inline(self, value: Any) -> str:
        if isinstance(value, Secret):
            return value.inline()
        if isinstance(value, dict):
            pairs = [f"{k}: {self.inline(v)}" for k, v in value.items()]
            if any(isinstance(v, Secret) and v.form == "alias" for v in value.values()):
                secret = next(v for v in value.values() if isinstance(v, Secret))
                pairs.insert(0, f"anchored: &sec {secret.value}")
            return "{" + ", ".join(pairs) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.inline(v) for v in value) + "]"
        return json.dumps(value)


def place(data: dict[str, Any], where: tuple[str | int, ...], key: str, value: Any) -> None:
    node: Any = data
    for part in where:
        if isinstance(node, dict) and not isinstance(node.get(part), dict | list):
            node[part] = {}
        node = node[part]
    node[key] = value


@st.composite
def secrets(draw: st.DrawFn) -> Secret:
    form = draw(st.sampled_from(FORMS))
    if draw(st.booleans()):  # a PIN or numeric token: YAML reads it as a number
        return Secret(str(draw(st.integers(10**11, 10**15))), form)
    return Secret("S3cr" + draw(st.text("abcdefghijkmnpqrstuvwxyz23456789", min_size=10,
                                        max_size=16)), form)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("secrets")


def outputs(run: Run, spec: Path, manifest: Path, artifact: Path) -> Iterator[str]:
    for fmt in FORMATS:
        yield run("validate", "--format", fmt, spec, manifest).output
        yield run("validate", "--strict", "--format", fmt, manifest).output
        artifact.unlink(missing_ok=True)
        yield run("compile", "--format", fmt, "--spec", spec, "--manifest", manifest,
                  "--output", artifact).output
        if artifact.exists():
            yield artifact.read_text(encoding="utf-8")


@settings(max_examples=int(os.environ.get("FLOE_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(secret=secrets(), key=st.sampled_from(CREDENTIAL_KEYS),
       in_spec=st.booleans(), where=st.data(), trouble=st.sampled_from(
           ["none", "unknown-sibling", "wrong-type-sibling", "bad-version", "syntax-error",
            "duplicate-key", "tab-on-key-line"]),
       seed=st.integers(0, 2**16))
def test_credential_values_never_appear_in_any_output(
        run: Run, workdir: Path, secret: Secret, key: str, in_spec: bool,
        where: st.DataObject, trouble: str, seed: int) -> None:
    spec, manifest = json.loads(json.dumps(SPEC)), json.loads(json.dumps(MANIFEST))
    target = spec if in_spec else manifest
    place_at = where.draw(st.sampled_from(SPEC_PLACES if in_spec else MANIFEST_PLACES))
    place(target, place_at, key, secret)
    if trouble == "unknown-sibling":
        place(target, place_at, "colour", [1])
    elif trouble == "wrong-type-sibling":
        place(target, place_at, "enabled", {"no": "pe"})
    elif trouble == "bad-version":
        target["metadata"]["version"] = "one"
    emitter = Emitter(random.Random(seed))
    texts = [emitter.document(spec), emitter.document(manifest)]
    index = 0 if in_spec else 1
    if trouble == "syntax-error":
        texts[index] += "broken: [\n"
    lines = texts[index].split("\n")
    first = next(i for i, line in enumerate(lines) if f"{key}:" in line)
    if trouble == "duplicate-key":  # the same key, value and all, once more
        end = first + 1
        while end < len(lines) and lines[end].startswith(" " * (len(lines[first]) - len(lines[first].lstrip()) + 1)):
            end += 1
        lines[end:end] = lines[first:end]
    elif trouble == "tab-on-key-line":
        lines[first] = lines[first] + "\t# tab"
        lines[first] = "\t" + lines[first]
    texts[index] = "\n".join(lines)
    spec_path, manifest_path = workdir / "floe.yaml", workdir / "manifest.yaml"
    spec_path.write_text(texts[0], encoding="utf-8")
    manifest_path.write_text(texts[1], encoding="utf-8")
    assert secret.value in texts[0 if in_spec else 1]
    for output in outputs(run, spec_path, manifest_path, workdir / "artifact.json"):
        assert secret.value not in output, f"{key}: {secret.form} at {place_at}:\n{output}"


# Each leak the property above found, as the story a user would tell.


def _compile(run: Run, spec: Path, manifest: Path, out: Path) -> str:
    texts = [run("compile", "--format", fmt, "--spec", spec, "--manifest", manifest,
                 "--output", out).output for fmt in FORMATS]
    return "\n".join(texts) + (out.read_text(encoding="utf-8") if out.exists() else "")


def test_password_in_a_nested_flow_mapping_is_masked_in_snippets(run: Run, write: Write) -> None:
    manifest = write("manifest.yaml", VALID_MANIFEST.replace(
        "  compute:\n    type: duckdb\n",
        '  compute: {type: "duckdb", config: {password: S3crFlowNested}}\n  compute: {type: x}\n'))
    result = run("validate", manifest)
    assert "FLOE-W201" in result.output
    assert "S3crFlowNested" not in result.output


def test_credentials_in_governance_policies_stay_out_of_the_artifact(run: Run, write: Write, tmp_path: Path) -> None:
    spec = write("floe.yaml", VALID_SPEC)
    manifest = write("manifest.yaml", VALID_MANIFEST + "governance:\n  network_policies:\n    custom_egress_rules:\n      - token: S3crRbacToken\n")
    output = _compile(run, spec, manifest, tmp_path / "artifact.json")
    assert "<redacted>" in (tmp_path / "artifact.json").read_text()
    assert "S3crRbacToken" not in output


def test_a_value_anchored_elsewhere_and_used_as_a_password(run: Run, write: Write, tmp_path: Path) -> None:
    spec = write("floe.yaml", VALID_SPEC)
    manifest = write("manifest.yaml", VALID_MANIFEST.replace(
        "    type: duckdb\n", "    type: duckdb\n    config:\n      user: &pw S3crAnchored\n      password: *pw\n"))
    assert "S3crAnchored" not in _compile(run, spec, manifest, tmp_path / "artifact.json")


def test_numeric_credentials_in_a_list_are_not_quoted_in_messages(run: Run, write: Write) -> None:
    manifest = write("manifest.yaml", VALID_MANIFEST + "approved_plugins:\n  token: [987654321987]\n")
    result = run("validate", "--format", "json", manifest)
    assert "FLOE-E103" in result.codes()
    assert "987654321987" not in result.output


def test_duplicate_credential_key_with_its_value_on_the_next_line(run: Run, write: Write) -> None:
    manifest = write("manifest.yaml", VALID_MANIFEST + "defaults:\n  password:\n    S3crOnce\n  password:\n    S3crTwice\n")
    result = run("validate", manifest)
    assert "FLOE-E006" in result.output
    assert "S3crOnce" not in result.output and "S3crTwice" not in result.output


def test_unparseable_file_still_masks_block_credentials(run: Run, write: Write) -> None:
    spec = write("floe.yaml", "kind: FloeSpec\n\tpassword: |\n  S3crBlock\n")
    result = run("validate", spec)
    assert "FLOE-E003" in result.output
    assert "S3crBlock" not in result.output


SNIPPET_LINES = st.lists(st.one_of(st.sampled_from([
    "password:", "  password: |", "api_key: >-", "token:  # the value is below", "config:",
    "  - password:", "    hunter2", "      more", "", "   ", "name: x", "pwd: &pw s3cret",
    "db: {password: p, user: u}", "url: postgresql://u:pw@host/db", "other: *pw",
    "- token:\xa0", "secret:\t", "\tpassword: x", "key: value # password:", "a: b: c:",
    "'password':", "\"apiKey\":", "k\u2028password:", "x\r", "y\x85z", "x:\x0c",
    "clientSecret:", "API-KEY: |", "connectionString:", "private-key:", "DSN:",
    "- bearer_token: >", "İpassword:", "tokens: x", "Password:  # below"]),
    st.text(alphabet=" -:#|>*&'\"abpw\t", max_size=12)), max_size=12)


@settings(max_examples=500, deadline=None)
@given(SNIPPET_LINES, st.sampled_from(["\n", "\r\n"]))
@example(["k\u2028password:", "  hunter2"], "\n")  # a line break `re` does not see
def test_lines_redacted_when_read_are_the_lines_redacted_whole(lines: list[str], end: str
                                                                ) -> None:
    """A snippet redacts only the lines it shows (redacted_lines): each must read exactly
    as when the whole file is redacted, the lines below a credential key included."""
    text = end.join(lines)
    whole = redact_lines(text.splitlines())
    lazy = redacted_lines(text)
    assert len(lazy) == len(whole)
    assert [lazy[i] for i in reversed(range(len(whole)))][::-1] == whole
    assert list(lazy) == whole
