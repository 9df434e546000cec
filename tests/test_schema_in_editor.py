"""Our JSON Schemas in a real editor engine: Red Hat's yaml-language-server (the engine
of VS Code's YAML extension), from npm, over stdio, with both dialects.

`make yaml-language-server` installs the pinned version under .cache/yls. Without node
or the server these tests skip, and fail when CI is set (as the PostgreSQL tests do).
A document names its schema the way the README tells users to: a modeline with a path
relative to the file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, ROOT, _unavailable
from tests.lsp_client import LspClient

SERVER = ROOT / ".cache" / "yls" / "node_modules" / "yaml-language-server"
SCHEMAS = ROOT / "schemas"
FILES = {"FloeSpec": "floe-spec.schema.json", "Manifest": "manifest.schema.json"}
SETTINGS = {"yaml": {"validate": True, "hover": True, "completion": True,
                     "schemaStore": {"enable": False}, "format": {"enable": False}}}
MODELINE = re.compile(r"^# yaml-language-server: \$schema=\S+\n", re.MULTILINE)
CORPUS_FILES = sorted(CORPUS.glob("*/*.yaml")) + sorted((ROOT / "examples").rglob("*.yaml"))


@dataclass
class Editor:
    client: LspClient
    command: list[str]
    dialect: str
    workdir: Path
    _names = count()

    def schema_path(self, kind: str) -> Path:
        return SCHEMAS / ("draft-07" if self.dialect == "draft-07" else "") / FILES[kind]

    def open(self, kind: str, text: str, path: Path | None = None) -> str:
        """Open `text` as the file at `path` (a fresh one by default), naming the
        schema of `kind` in a relative-path modeline; returns the document's URI."""
        if path is None:
            path = self.workdir / f"doc{next(self._names)}.yaml"
        target = os.path.relpath(self.schema_path(kind), path.parent)
        text = MODELINE.sub("", text, count=1)
        uri = path.as_uri()
        self.client.open(uri, f"# yaml-language-server: $schema={target}\n{text}")
        return uri

    def complete(self, kind: str, text: str) -> list[dict[str, Any]]:
        """Completion items at the `|` in `text` (modeline line excluded)."""
        before, _, after = text.partition("|")
        uri = self.open(kind, before + after)
        lines = before.split("\n")
        items = self.client.completion(uri, len(lines), len(lines[-1]))
        self.client.close(uri)
        return items


@pytest.fixture(scope="module", params=["2020-12", "draft-07"])
def editor(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[Editor]:
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed (apt-get install nodejs npm)", "editor tests")
    if not (SERVER / "bin" / "yaml-language-server").is_file():
        _unavailable(f"yaml-language-server is not installed in {SERVER.parent}; "
                     "run `make yaml-language-server`", "editor tests")
    workdir = tmp_path_factory.mktemp(f"editor-{request.param}")
    command = [str(node), str(SERVER / "bin" / "yaml-language-server"), "--stdio"]
    client = LspClient(command, SETTINGS, workdir)
    try:
        client.initialize(workdir)
        yield Editor(client, command, request.param, workdir)
    finally:
        client.shutdown()


def inserted(item: dict[str, Any]) -> str:
    """The text an item inserts, snippet placeholders replaced by their defaults."""
    text = item.get("textEdit", {}).get("newText") or item.get("insertText") or item["label"]
    return re.sub(r"\$\d+", "", re.sub(r"\$\{\d+:([^}]*)\}", r"\1", str(text)))


def by_label(items: list[dict[str, Any]]) -> dict[str, str]:
    return {item["label"]: inserted(item) for item in items}


# --- completion ---------------------------------------------------------------------

SPEC_HEAD = "apiVersion: floe.dev/v1\nkind: FloeSpec\n"
MANIFEST_HEAD = "apiVersion: floe.dev/v1\nkind: Manifest\n"


def test_accepting_metadata_inserts_the_key_with_its_children(editor: Editor) -> None:
    spec = by_label(editor.complete("FloeSpec", SPEC_HEAD + "|"))
    assert spec["metadata"] == "metadata:\n  name: \n  version: "
    # the whole-file skeleton is YAML with the required keys, not `metadata\ntransforms:`
    skeleton = spec["floe.yaml (FloeSpec): a floe data product"]
    assert skeleton.startswith("metadata:\n  name: ")
    assert "\ntransforms:\n  - name: " in skeleton

    manifest = by_label(editor.complete("Manifest", MANIFEST_HEAD + "|"))
    assert manifest["metadata"] == "metadata:\n  name: \n  version: \n  owner: "
    assert manifest["plugins"].startswith("plugins:\n")


def test_the_destination_skeleton_starts_with_name(editor: Editor) -> None:
    top = by_label(editor.complete("FloeSpec", SPEC_HEAD + "|"))
    assert top["destinations"] == (
        "destinations:\n  - name: \n    sink_type: \n    connection_secret_ref: ")
    item = by_label(editor.complete("FloeSpec", SPEC_HEAD + "destinations:\n  - |\n"))
    assert item["DestinationConfig"].startswith("name: salesforce-sync\n")
    assert list(item)[:3] == ["name", "DestinationConfig", "sink_type"]


# Where a user asks for completion: every key list and the value lists of optional
# enums and numbers (where `"default": null` put a null first).
PROBES = {
    "FloeSpec": [
        SPEC_HEAD + "|",
        SPEC_HEAD + "metadata:\n  |",
        SPEC_HEAD + "destinations:\n  - |\n",
        SPEC_HEAD + "destinations:\n  - name: x\n    |\n",
        SPEC_HEAD + "destinations:\n  - name: x\n    batch_size: |\n",
        SPEC_HEAD + "transforms:\n  - name: a\n    |\n",
        SPEC_HEAD + "transforms:\n  - name: a\n    tier: |\n",
        SPEC_HEAD + "schedule:\n  |\n",
        SPEC_HEAD + "schedule:\n  cron: |\n",
        SPEC_HEAD + "ingestion:\n  |\n",
        SPEC_HEAD + "outputPorts:\n  - |\n",
        SPEC_HEAD + "platform:\n  |\n",
    ],
    "Manifest": [
        MANIFEST_HEAD + "|",
        MANIFEST_HEAD + "scope: |\n",
        MANIFEST_HEAD + "plugins:\n  |\n",
        MANIFEST_HEAD + "plugins:\n  compute:\n    |\n",
        MANIFEST_HEAD + "governance:\n  |\n",
        MANIFEST_HEAD + "governance:\n  pii_encryption: |\n",
        MANIFEST_HEAD + "observability:\n  |\n",
        MANIFEST_HEAD + "observability:\n  logging:\n    level: |\n",
    ],
}


def test_no_completion_inserts_null(editor: Editor) -> None:
    offered = {(kind, text): by_label(editor.complete(kind, text))
               for kind, texts in PROBES.items() for text in texts}
    assert all(offered.values()), "every probe offers something"
    nulls = {f"{kind}: {text!r} -> {label!r}": insert
             for (kind, text), items in offered.items()
             for label, insert in items.items() if re.search(r"\bnull\b", insert)}
    assert nulls == {}
    spec = {text: items for (kind, text), items in offered.items() if kind == "FloeSpec"}
    manifest = {text: items for (kind, text), items in offered.items() if kind == "Manifest"}
    # accepting an optional key inserts its children, or nothing, never a null
    top = spec[SPEC_HEAD + "|"]
    assert top["schedule"].startswith("schedule:\n  ")
    assert top["ingestion"].startswith("ingestion:\n  ")
    assert manifest[MANIFEST_HEAD + "plugins:\n  |\n"]["compute"] == "compute:\n  type: "
    # value lists hold the choices, and the examples instead of a null default
    assert list(spec[SPEC_HEAD + "transforms:\n  - name: a\n    tier: |\n"]) == [
        "bronze", "silver", "gold"]
    assert list(manifest[MANIFEST_HEAD + "scope: |\n"]) == ["enterprise", "domain"]
    assert list(spec[SPEC_HEAD + "destinations:\n  - name: x\n    batch_size: |\n"]) == ["500"]
    assert "0 6 * * *" in spec[SPEC_HEAD + "schedule:\n  cron: |\n"]
    keys = spec[SPEC_HEAD + "destinations:\n  - name: x\n    |\n"]
    assert keys["batch_size"] == "batch_size: 500"
    assert "customer_id: External_Id__c" in keys["field_mapping"]


# --- hover --------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    line: int
    column: int
    path: str
    description: str


def resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The schema a property's value follows: its `$ref`, or the non-null branch."""
    branches = [b for b in node.get("anyOf", ()) if b != {"type": "null"}]
    if branches:
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        return resolve({**rest, **branches[0]}, defs)
    if "$ref" in node:
        return {**defs[node["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in node.items()
                                                           if k != "$ref"}}
    return node


def sample_document(schema: dict[str, Any]) -> tuple[str, list[Key]]:
    """A document that uses every property of the schema, each key with its position
    and the description hover must show."""
    defs = schema["$defs"]
    lines: list[str] = []
    keys: list[Key] = []

    def scalar(prop: dict[str, Any]) -> str:
        for keyword in ("examples", "enum"):
            if keyword in prop:
                return json.dumps(prop[keyword][0])
        if "const" in prop:
            return json.dumps(prop["const"])
        kind = prop.get("type", "")
        kind = kind[0] if isinstance(kind, list) else kind  # e.g. [string, array]: a string
        return {"integer": "1", "number": "1", "boolean": "true", "array": "[]",
                "object": "{}"}.get(kind, '"x"')

    def emit(obj: dict[str, Any], indent: int, path: str, bullet: bool = False) -> None:
        for i, (name, prop) in enumerate(obj.get("properties", {}).items()):
            prefix = " " * (indent - 2) + "- " if bullet and i == 0 else " " * indent
            keys.append(Key(len(lines), indent, f"{path}.{name}", prop.get("description", "")))
            value = resolve(prop, defs)
            items = resolve(value.get("items", {}), defs)
            extra = value.get("additionalProperties")
            if "properties" in value:
                lines.append(f"{prefix}{name}:")
                emit(value, indent + 2, f"{path}.{name}")
            elif "properties" in items:
                lines.append(f"{prefix}{name}:")
                emit(items, indent + 4, f"{path}.{name}[]", bullet=True)
            elif isinstance(extra, dict) and "properties" in resolve(extra, defs):
                lines.append(f"{prefix}{name}:")
                lines.append(" " * (indent + 2) + "sample:")
                emit(resolve(extra, defs), indent + 4, f"{path}.{name}.*")
            else:
                lines.append(f"{prefix}{name}: {scalar(value)}")

    emit(schema, 0, "")
    return "\n".join(lines) + "\n", keys


def unescape(markdown: str) -> str:
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!])", r"\1", markdown)


@pytest.mark.parametrize("kind", FILES)
def test_hover_shows_each_property_description_once(editor: Editor, kind: str) -> None:
    schema = json.loads((SCHEMAS / FILES[kind]).read_text(encoding="utf-8"))
    text, keys = sample_document(schema)
    assert len(keys) > 40, "the sample covers the schema"
    uri = editor.open(kind, text)
    problems = {}
    for key in keys:
        hover = unescape(editor.client.hover(uri, key.line + 1, key.column + 1))
        if not key.description or hover.count(key.description) != 1 or "||" in hover:
            problems[key.path] = hover
    editor.client.close(uri)
    assert problems == {}


# --- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_corpus_and_examples_have_no_diagnostics(editor: Editor, path: Path) -> None:
    kind = "Manifest" if path.name.startswith("manifest") else "FloeSpec"
    uri = editor.open(kind, path.read_text(encoding="utf-8"), path)
    diagnostics = editor.client.wait_for_diagnostics(uri)
    editor.client.close(uri)
    assert diagnostics == []


def test_a_misspelt_key_is_flagged_on_its_line(editor: Editor) -> None:
    """The check above can fail: the same server reports an unknown key."""
    uri = editor.open("FloeSpec", SPEC_HEAD + "metadata:\n  name: orders\n  version: 1.0.0\n"
                      "  ownr: data@acme.com\ntransforms:\n  - name: stg_orders\n")
    diagnostics = editor.client.wait_for_diagnostics(uri)
    editor.client.close(uri)
    assert [(d["range"]["start"]["line"], d["message"]) for d in diagnostics] == [
        (6, 'Property ownr is not allowed.')]


def test_the_readme_settings_associate_files_by_name(editor: Editor, tmp_path: Path) -> None:
    """The README's `.vscode/settings.json` (`yaml.schemas`, paths relative to the
    workspace) applies our schemas to files named floe.yaml and manifest.yaml."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(\{\n  \"yaml\.schemas\".*?)```", readme, re.DOTALL)
    assert block, "the README shows the yaml.schemas setting"
    schemas = json.loads(block.group(1))["yaml.schemas"]
    if editor.dialect == "draft-07":
        schemas = {path.replace("./schemas/", "./schemas/draft-07/"): globs
                   for path, globs in schemas.items()}
    settings = {"yaml": {**SETTINGS["yaml"], "schemas": schemas}}
    client = LspClient(editor.command, settings, ROOT)
    try:
        client.initialize(ROOT)
        example = ROOT / "examples" / "customer-analytics"
        broken = tmp_path / "floe.yaml"
        broken.write_text(SPEC_HEAD + "metadata:\n  name: Orders\n", encoding="utf-8")
        for path in (example / "floe.yaml", example / "manifest.yaml", broken):
            # no modeline: only the settings name the schema
            client.open(path.as_uri(), MODELINE.sub("", path.read_text(encoding="utf-8")))
        assert client.wait_for_diagnostics((example / "floe.yaml").as_uri()) == []
        assert client.wait_for_diagnostics((example / "manifest.yaml").as_uri()) == []
        messages = [d["message"] for d in client.wait_for_diagnostics(broken.as_uri())]
        assert 'Missing property "version".' in messages
        assert any("does not match the pattern" in m for m in messages), messages
    finally:
        client.shutdown()
