"""`floe lsp` driven over stdio by a real LSP client (pytest-lsp): an editor's user types a
floe.yaml and sees what `floe validate` would say, completes names the schema cannot
know, hovers, jumps, and applies quick fixes. Every wait is bounded."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from click.testing import CliRunner
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from floe_compiler.cli import cli
from tests.conftest import CORPUS, VALID_MANIFEST

pytestmark = pytest.mark.asyncio(loop_scope="module")

WAIT = 20.0  # seconds for any one answer from the server
FLOE = Path(sys.executable).parent / "floe"
SERVER = [str(FLOE), "lsp"] if FLOE.exists() else [sys.executable, "-m", "floe_compiler", "lsp"]
SEVERITY = {types.DiagnosticSeverity.Error: "error", types.DiagnosticSeverity.Warning: "warning"}

MANIFEST = VALID_MANIFEST + """\
scope: enterprise
approved_sinks: [rest_api, sql_database]
approved_plugins:
  compute: [duckdb, snowflake]
"""

SPEC = """\
apiVersion: floe.dev/v1
kind: FloeSpec
metadata:
  name: orders
  version: 1.0.0
  owner: data@acme.com
transforms:
  - name: stg_orders
  - name: stg_customers
  - name: mart_orders
    dependsOn: [stg_orders, stg_customers]
destinations:
  - name: crm-sync
    sink_type: rest_api
    connection_secret_ref: crm-credentials
"""

# Each bad file: a mistake a user makes, in a directory beside the manifest.
BAD = {
    "typo-key": SPEC.replace("dependsOn:", "dependOn:"),
    "python-name": SPEC.replace("dependsOn:", "depends_on:"),
    "unknown-dependency": SPEC.replace("[stg_orders, stg_customers]", "[stg_order]"),
    "cycle": SPEC.replace("  - name: stg_orders\n",
                          "  - name: stg_orders\n    dependsOn: [mart_orders]\n"),
    "unapproved-sink": SPEC.replace("sink_type: rest_api", "sink_type: rest_ap"),
    "credential": SPEC.replace("    connection_secret_ref: crm-credentials\n",
                               "    connection_secret_ref: crm-credentials\n"
                               "    config:\n      password: hunter2-secret\n"),
    "yaml-1.1": SPEC.replace("  owner: data@acme.com\n",
                             "  owner: data@acme.com\n  labels:\n    reviewed: yes\n"),
    "syntax": SPEC.replace("  name: orders\n", "  name: \"orders\n"),
    "missing-field": SPEC.replace("  version: 1.0.0\n", ""),
    "unapproved-plugin": SPEC.replace("  - name: stg_customers\n",
                                      "  - name: stg_customers\n    compute: snowflak\n"),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workspace")
    (root / ".git").mkdir()
    (root / "manifest.yaml").write_text(MANIFEST)
    (root / "floe.yaml").write_text(SPEC)
    for name, text in BAD.items():
        (root / name).mkdir()
        (root / name / "floe.yaml").write_text(text)
    loose = root / "loose"  # a repository of its own, with no manifest: no sink whitelist
    (loose / ".git").mkdir(parents=True)
    (loose / "floe.yaml").write_text(SPEC)
    return root


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, workspace: Path) -> AsyncIterator[None]:
    await asyncio.wait_for(lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=workspace.as_uri())), WAIT)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


class Editor:
    """What an editor does: open, type, save; and what it shows."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.versions: dict[str, int] = {}

    async def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """Wait (bounded) for the next diagnostics published for `uri`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while uri not in self.client.diagnostics:
            await asyncio.wait_for(
                self.client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS),
                max(deadline - loop.time(), 0.01))
        return list(self.client.diagnostics[uri])

    async def open(self, path: Path, text: str | None = None) -> list[types.Diagnostic]:
        uri = path.as_uri()
        self.client.diagnostics.pop(uri, None)
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri, "yaml", 1,
                                   path.read_text() if text is None else text)))
        return await self.diagnostics(uri)

    async def type(self, path: Path, text: str) -> list[types.Diagnostic]:
        """Replace the buffer (unsaved) and wait for its diagnostics."""
        uri = path.as_uri()
        self.client.diagnostics.pop(uri, None)
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(self.versions[uri], uri),
            [types.TextDocumentContentChangeWholeDocument(text)]))
        return await self.diagnostics(uri)

    async def close(self, path: Path) -> None:
        """Close the buffer; the server clears its diagnostics."""
        uri = path.as_uri()
        self.client.diagnostics.pop(uri, None)
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            types.TextDocumentIdentifier(uri)))
        for _ in range(10):  # a check scheduled before the close may publish first
            if await self.diagnostics(uri) == []:
                return
            self.client.diagnostics.pop(uri, None)
        raise AssertionError(f"{uri}: diagnostics not cleared on close")

    async def complete(self, path: Path, line: int, character: int) -> list[str]:
        result = await asyncio.wait_for(self.client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(path.as_uri()),
                                   types.Position(line, character))), WAIT)
        items = result.items if isinstance(result, types.CompletionList) else result or []
        return [item.label for item in items]

    async def completion_items(self, path: Path, line: int, character: int
                               ) -> list[types.CompletionItem]:
        result = await asyncio.wait_for(self.client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(path.as_uri()),
                                   types.Position(line, character))), WAIT)
        assert isinstance(result, types.CompletionList)
        return result.items

    async def hover(self, path: Path, line: int, character: int) -> str:
        result = await asyncio.wait_for(self.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(path.as_uri()),
                              types.Position(line, character))), WAIT)
        if result is None:
            return ""
        assert isinstance(result.contents, types.MarkupContent)
        return result.contents.value

    async def definition(self, path: Path, line: int, character: int) -> Any:
        return await asyncio.wait_for(self.client.text_document_definition_async(
            types.DefinitionParams(types.TextDocumentIdentifier(path.as_uri()),
                                   types.Position(line, character))), WAIT)

    async def fixes(self, path: Path, diagnostics: list[types.Diagnostic]
                    ) -> list[types.CodeAction]:
        result = await asyncio.wait_for(self.client.text_document_code_action_async(
            types.CodeActionParams(types.TextDocumentIdentifier(path.as_uri()),
                                   diagnostics[0].range,
                                   types.CodeActionContext(diagnostics))), WAIT)
        return [a for a in result or [] if isinstance(a, types.CodeAction)]


@pytest.fixture
def editor(client: LanguageClient) -> Editor:
    return Editor(client)


def validate(path: Path) -> list[tuple[str, str, int, int, str]]:
    """What `floe validate --format json FILE` reports for that file (not for the manifest
    it also reads: the editor shows those on the manifest)."""
    result = CliRunner().invoke(cli, ["validate", "--format", "json", str(path)])
    return [(d["code"], d["severity"], d["line"], d["column"],
             d["message"] + (f"\n{d['hint']}" if d["hint"] else ""))
            for d in json.loads(result.stdout)["diagnostics"] if d["file"] == str(path)]


def shown(diagnostics: list[types.Diagnostic]) -> list[tuple[str, str, int, int, str]]:
    """The editor's diagnostics, as `floe validate` would print them (1-based)."""
    assert diagnostics is not None
    return sorted((str(d.code), SEVERITY[d.severity or types.DiagnosticSeverity.Error],
                   d.range.start.line + 1, d.range.start.character + 1, d.message)
                  for d in diagnostics)


def word(text: str, line: int, needle: str) -> types.Position:
    """The position of `needle` on 0-based `line` of `text`."""
    return types.Position(line, text.splitlines()[line].index(needle))


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines()) if needle in line)


# --- diagnostics ---------------------------------------------------------------------


async def test_the_editor_shows_what_floe_validate_says_on_the_upstream_corpus(
        editor: Editor) -> None:
    files = sorted(CORPUS.rglob("*.yaml"))
    if not files:
        pytest.skip(f"no corpus at {CORPUS}")
    for path in files:
        published = await editor.open(path)
        assert shown(published) == sorted(validate(path)), path
        await editor.close(path)


@pytest.mark.parametrize("case", sorted(BAD))
async def test_the_editor_shows_what_floe_validate_says_on_bad_files(
        editor: Editor, workspace: Path, case: str) -> None:
    path = workspace / case / "floe.yaml"
    published = await editor.open(path)
    expected = sorted(validate(path))
    assert expected, f"{case} should have a finding"
    assert shown(published) == expected
    for d in published:
        assert d.source == "floe"
        assert d.code_description is not None
        assert d.code_description.href.endswith("docs/codes.md#" + str(d.code).lower())
    await editor.close(path)


async def test_diagnostics_follow_the_unsaved_buffer_and_cover_the_token(
        editor: Editor, workspace: Path) -> None:
    path = workspace / "floe.yaml"
    assert await editor.open(path) == []
    typed = SPEC.replace("sink_type: rest_api", "sink_type: rest_ap")
    (found,) = await editor.type(path, typed)
    assert found.code == "FLOE-E201"
    assert found.severity == types.DiagnosticSeverity.Error
    start = word(typed, line_of(typed, "sink_type"), "rest_ap")
    assert found.range == types.Range(start, types.Position(start.line,
                                                            start.character + len("rest_ap")))
    assert path.read_text() == SPEC  # nothing was saved
    assert await editor.type(path, SPEC) == []
    await editor.close(path)


async def test_a_literal_credential_never_reaches_the_editor(editor: Editor,
                                                            workspace: Path) -> None:
    path = workspace / "credential" / "floe.yaml"
    published = await editor.open(path)
    assert "FLOE-E203" in [d.code for d in published]
    assert "hunter2" not in repr(published)
    await editor.close(path)


async def test_editing_the_manifest_rechecks_the_open_floe_yaml(editor: Editor,
                                                               workspace: Path) -> None:
    spec, manifest = workspace / "floe.yaml", workspace / "manifest.yaml"
    assert await editor.open(spec) == []
    editor.client.diagnostics.pop(spec.as_uri(), None)
    await editor.open(manifest)
    assert await editor.diagnostics(spec.as_uri()) == []  # checked again, still clean
    editor.client.diagnostics.pop(spec.as_uri(), None)
    await editor.type(manifest, MANIFEST.replace("[rest_api, sql_database]", "[sql_database]"))
    (found,) = await editor.diagnostics(spec.as_uri())
    assert found.code == "FLOE-E201" and "rest_api" in found.message
    editor.client.diagnostics.pop(spec.as_uri(), None)
    await editor.close(manifest)  # unsaved edits dropped: the file on disk rules again
    assert await editor.diagnostics(spec.as_uri()) == []
    await editor.close(spec)


async def test_a_manifest_created_on_disk_rechecks_the_open_floe_yaml(
        editor: Editor, workspace: Path) -> None:
    spec = workspace / "loose" / "floe.yaml"  # no manifest yet: no sink whitelist
    assert await editor.open(spec) == []
    manifest = workspace / "loose" / "manifest.yaml"
    manifest.write_text(MANIFEST.replace("[rest_api, sql_database]", "[sql_database]"))
    try:
        editor.client.diagnostics.pop(spec.as_uri(), None)
        editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            [types.FileEvent(manifest.as_uri(), types.FileChangeType.Created)]))
        (found,) = await editor.diagnostics(spec.as_uri())
        assert found.code == "FLOE-E201"
    finally:
        manifest.unlink()
    editor.client.diagnostics.pop(spec.as_uri(), None)
    editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        [types.FileEvent(manifest.as_uri(), types.FileChangeType.Deleted)]))
    assert await editor.diagnostics(spec.as_uri()) == []
    await editor.close(spec)


async def test_other_yaml_files_are_left_alone(editor: Editor, workspace: Path) -> None:
    path = workspace / "docker-compose.yaml"
    path.write_text("services:\n  web:\n    image: nginx\n")
    assert await editor.open(path) == []
    await editor.close(path)


# --- completion ----------------------------------------------------------------------


async def test_depends_on_completes_the_transform_names(editor: Editor,
                                                         workspace: Path) -> None:
    path = workspace / "floe.yaml"
    typed = SPEC.replace("[stg_orders, stg_customers]", "[stg_orders, s")
    await editor.open(path, typed)  # not valid YAML while typing: an unclosed [
    row = line_of(typed, "dependsOn")
    assert await editor.complete(path, row, len(typed.splitlines()[row])) == \
        ["stg_orders", "stg_customers"]
    block = SPEC.replace("    dependsOn: [stg_orders, stg_customers]\n",
                         "    dependsOn:\n      - stg_orders\n      - \n")
    await editor.type(path, block)
    row = block.splitlines().index("      - ")
    assert await editor.complete(path, row, 8) == ["stg_orders", "stg_customers"]
    await editor.close(path)


async def test_sink_type_completes_the_approved_sinks(editor: Editor, workspace: Path) -> None:
    path = workspace / "floe.yaml"
    typed = SPEC.replace("sink_type: rest_api", "sink_type: ")
    await editor.open(path, typed)
    row = line_of(typed, "sink_type")
    assert await editor.complete(path, row, len(typed.splitlines()[row])) == \
        ["rest_api", "sql_database"]
    await editor.open(workspace / "manifest.yaml",
                      MANIFEST.replace("[rest_api, sql_database]", "[sql_database]"))
    await editor.type(path, typed + "\n")
    assert await editor.complete(path, row, len(typed.splitlines()[row])) == ["sql_database"]
    await editor.close(workspace / "manifest.yaml")
    await editor.close(path)


async def test_without_a_whitelist_sink_type_completes_the_installed_connectors(
        editor: Editor, workspace: Path) -> None:
    path = workspace / "loose" / "floe.yaml"
    typed = SPEC.replace("sink_type: rest_api", "sink_type: re")
    await editor.open(path, typed)
    row = line_of(typed, "sink_type")
    offered = await editor.complete(path, row, len(typed.splitlines()[row]))
    assert {"rest_api", "sql_database"} <= set(offered)  # floe's own connectors
    await editor.close(path)


async def test_plugin_type_completes_the_approved_plugins(editor: Editor,
                                                          workspace: Path) -> None:
    path = workspace / "manifest.yaml"
    typed = MANIFEST.replace("    type: duckdb", "    type: ")
    await editor.open(path, typed)
    row = typed.splitlines().index("    type: ")
    assert await editor.complete(path, row, len(typed.splitlines()[row])) == \
        ["duckdb", "snowflake"]
    await editor.close(path)
    spec = workspace / "floe.yaml"  # a transform's compute choice, from the same whitelist
    typed = SPEC.replace("  - name: stg_customers\n", "  - name: stg_customers\n    compute: \n")
    await editor.open(spec, typed)
    row = line_of(typed, "compute:")
    assert await editor.complete(spec, row, 13) == ["duckdb", "snowflake"]
    await editor.close(spec)


async def test_keys_complete_from_the_model_while_the_yaml_is_broken(
        editor: Editor, workspace: Path) -> None:
    path = workspace / "floe.yaml"
    typed = SPEC.replace("  - name: mart_orders\n", "  - name: mart_orders\n    ti\n")
    published = await editor.open(path, typed)
    assert "FLOE-E003" in [d.code for d in published]  # a key without its colon yet
    row = line_of(typed, "    ti")
    items = await editor.completion_items(path, row, 6)
    assert [i.label for i in items] == ["name", "compute", "tags", "dependsOn", "tier",
                                        "qualityChecks"]  # in the model's order
    tier = next(i for i in items if i.label == "tier")
    assert isinstance(tier.documentation, types.MarkupContent)
    assert tier.documentation.value == "Medallion tier of the model."
    assert tier.text_edit is not None and tier.text_edit.new_text == "tier: "
    # in `metadata`, the keys already there are not offered again
    typed = SPEC.replace("  owner: data@acme.com\n", "  owner: data@acme.com\n  \n")
    await editor.type(path, typed)
    row = typed.splitlines().index("  ")
    assert await editor.complete(path, row, 2) == ["description", "labels"]
    await editor.close(path)


async def test_enumerations_complete_their_members(editor: Editor, workspace: Path) -> None:
    path = workspace / "floe.yaml"
    typed = SPEC.replace("  - name: stg_orders\n", "  - name: stg_orders\n    tier: \n")
    await editor.open(path, typed)
    row = line_of(typed, "tier:")
    assert await editor.complete(path, row, 10) == ["bronze", "silver", "gold"]
    await editor.close(path)


# --- hover, definition, code actions ---------------------------------------------------


async def test_hover_shows_the_field_description(editor: Editor, workspace: Path) -> None:
    path = workspace / "floe.yaml"
    await editor.open(path)
    row = line_of(SPEC, "sink_type")
    text = await editor.hover(path, row, word(SPEC, row, "sink_type").character + 2)
    assert text == "**sink_type**: Sink connector type."
    assert await editor.hover(path, row, word(SPEC, row, "rest_api").character) == text
    row = line_of(SPEC, "dependsOn")
    assert "Transforms that must run first." in await editor.hover(path, row, 6)
    await editor.close(path)


async def test_hover_on_a_diagnostic_explains_its_code(editor: Editor, workspace: Path) -> None:
    path = workspace / "unknown-dependency" / "floe.yaml"
    (found,) = await editor.open(path)
    assert found.code == "FLOE-W204"
    text = await editor.hover(path, found.range.start.line, found.range.start.character + 1)
    assert "**FLOE-W204**" in text
    assert "may be a dbt model or source defined outside floe.yaml" in text  # the meaning
    assert "Did you mean 'stg_orders'?" in text  # the hint
    assert "docs/codes.md#floe-w204" in text
    await editor.close(path)


async def test_go_to_definition_of_a_dependency(editor: Editor, workspace: Path) -> None:
    path = workspace / "floe.yaml"
    await editor.open(path)
    row = line_of(SPEC, "dependsOn")
    found = await editor.definition(path, row, word(SPEC, row, "stg_customers").character + 3)
    assert isinstance(found, types.Location)
    assert found.uri == path.as_uri()
    target = line_of(SPEC, "- name: stg_customers")
    assert found.range.start == word(SPEC, target, "stg_customers")
    assert await editor.definition(path, target, 4) is None  # not on a dependency
    await editor.close(path)


def apply(text: str, action: types.CodeAction, uri: str) -> str:
    assert action.edit is not None and action.edit.changes is not None
    (edit,) = action.edit.changes[uri]
    lines = text.splitlines(keepends=True)
    row = edit.range.start.line
    line = lines[row]
    lines[row] = line[:edit.range.start.character] + edit.new_text + \
        line[edit.range.end.character:]
    return "".join(lines)


@pytest.mark.parametrize(("case", "code", "title"), [
    ("typo-key", "FLOE-E102", "Rename to 'dependsOn'"),
    ("python-name", "FLOE-W121", "Rename to 'dependsOn'"),
    ("unknown-dependency", "FLOE-W204", "Replace with 'stg_orders'"),
    ("unapproved-sink", "FLOE-E201", "Replace with 'rest_api'"),
    ("unapproved-plugin", "FLOE-E202", "Replace with 'snowflake'"),
    ("yaml-1.1", "FLOE-W111", 'Quote it: "yes"'),
])
async def test_a_quick_fix_mends_the_file(editor: Editor, workspace: Path, case: str,
                                          code: str, title: str) -> None:
    path = workspace / case / "floe.yaml"
    published = await editor.open(path)
    mine = [d for d in published if d.code == code]
    assert mine, published
    (action,) = await editor.fixes(path, mine)
    assert action.title == title
    assert action.kind == types.CodeActionKind.QuickFix
    fixed = apply(path.read_text(), action, path.as_uri())
    assert code not in [d.code for d in await editor.type(path, fixed)]
    await editor.close(path)


async def test_positions_count_utf16_as_editors_do(editor: Editor, workspace: Path) -> None:
    """An emoji is one character to floe and two UTF-16 units to the editor."""
    path = workspace / "floe.yaml"
    typed = SPEC.replace("  owner: data@acme.com\n",
                         "  owner: data@acme.com\n  labels: {mood: \"\U0001F600\", reviewed: yes}\n")
    published = await editor.open(path, typed)
    (found,) = [d for d in published if d.code == "FLOE-W111"]
    row = line_of(typed, "reviewed")
    column = typed.splitlines()[row].index("yes") + 1  # the emoji's second unit
    assert found.range == types.Range(types.Position(row, column),
                                      types.Position(row, column + 3))
    (action,) = await editor.fixes(path, [found])
    assert action.title == 'Quote it: "yes"'
    await editor.close(path)


async def test_a_quick_fix_without_the_data_sent_back(editor: Editor, workspace: Path) -> None:
    """Clients that drop `data` still get the fix: the server remembers what it published."""
    path = workspace / "typo-key" / "floe.yaml"
    (found,) = await editor.open(path)
    bare = types.Diagnostic(range=found.range, message=found.message, code=found.code)
    (action,) = await editor.fixes(path, [bare])
    assert action.title == "Rename to 'dependsOn'"
    await editor.close(path)


async def test_the_server_is_a_floe_command() -> None:
    result = CliRunner().invoke(cli, ["lsp", "--help"])
    assert result.exit_code == 0
    assert "language server" in textwrap.dedent(result.output)
