"""`floe lsp`: the pygls wiring, and nothing else. Each buffer goes through the pipeline
(`analysis.py`) on every open, change and save; the features read what it found.

Positions: floe counts characters; LSP clients count UTF-16 code units by default, so
ranges are converted when a line holds characters outside the ASCII range.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from floe_compiler import __version__
from floe_compiler.lsp.analysis import Analysis, analyse
from floe_compiler.lsp.code_actions import code_actions
from floe_compiler.lsp.completion import complete
from floe_compiler.lsp.convert import to_lsp
from floe_compiler.lsp.definition import definition
from floe_compiler.lsp.hover import hover


@dataclass
class OpenFile:
    analysis: Analysis
    path: Path | None  # resolved, for a file: URI
    last_good: Analysis | None = None  # the last analysis of a buffer that parsed
    published: list[types.Diagnostic] = field(default_factory=list)


class FloeServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("floe", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.files: dict[str, OpenFile] = {}
        self.dirty: list[str] = []  # changed buffers, checked together once the input is read

    def schedule(self, uri: str) -> None:
        """Check `uri` (and the floe.yaml files using it) once the messages already received
        are handled: a burst of changes to a big file is checked once, at its last version."""
        if uri not in self.dirty:
            self.dirty.append(uri)
        if len(self.dirty) > 1:
            return  # a check is already scheduled
        try:
            asyncio.get_running_loop().call_soon(self.check_dirty)
        except RuntimeError:  # no event loop: check now
            self.check_dirty()

    def check_dirty(self) -> None:
        dirty, self.dirty = self.dirty, []
        for uri in dirty:
            if uri in self.workspace.text_documents:
                self.check(uri)
                self.check_users_of(uri)

    def check(self, uri: str) -> None:
        """Run the pipeline on the buffer at `uri` and publish what it found."""
        document = self.workspace.get_text_document(uri)
        path = _resolved(document)
        buffers = {f.path: self.workspace.get_text_document(u).source
                   for u, f in self.files.items() if f.path is not None and u != uri}
        name = str(path) if path is not None else uri.rsplit("/", 1)[-1]
        analysis = analyse(name, document.source, path, buffers)
        previous = self.files.get(uri)
        opened = OpenFile(analysis, path, previous.last_good if previous else None)
        if analysis.doc is not None and isinstance(analysis.doc.data, dict):
            opened.last_good = analysis
        opened.published = to_lsp(analysis)
        self.files[uri] = opened
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version,
            diagnostics=[_to_client(document, d) for d in opened.published]))

    def check_users_of(self, uri: str) -> None:
        """A manifest changed: check again the open floe.yaml files that use it."""
        changed = self.files.get(uri)
        if changed is None or changed.path is None or changed.analysis.kind != "Manifest":
            return
        for other, opened in list(self.files.items()):
            if other != uri and opened.analysis.manifest_path == changed.path:
                self.check(other)

    def manifests_changed_on_disk(self) -> None:
        """A manifest file was created, changed or deleted: check every open floe.yaml
        (one may now find a manifest it did not, or another)."""
        for uri, opened in list(self.files.items()):
            if opened.analysis.kind == "FloeSpec":
                self.check(uri)

    def forget(self, uri: str) -> None:
        closed = self.files.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))
        if closed is not None and closed.path is not None \
                and closed.analysis.kind == "Manifest":  # its users now read it from disk
            for other, opened in list(self.files.items()):
                if opened.analysis.manifest_path == closed.path:
                    self.check(other)


def _resolved(document: TextDocument) -> Path | None:
    if not document.uri.startswith("file:"):
        return None
    try:
        return Path(document.path).resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def _to_client(document: TextDocument, d: types.Diagnostic) -> types.Diagnostic:
    if document.source.isascii():
        return d
    return types.Diagnostic(**{**{k: getattr(d, k) for k in _DIAGNOSTIC_FIELDS},
                               "range": _client_range(document, d.range)})


def _client_range(document: TextDocument, span: types.Range) -> types.Range:
    return document.position_codec.range_to_client_units(document.lines, span)


_DIAGNOSTIC_FIELDS = ("range", "message", "severity", "code", "code_description", "source",
                      "tags", "related_information", "data")


def _position(document: TextDocument, position: types.Position) -> tuple[int, int]:
    if document.source.isascii():
        return position.line, position.character
    server = document.position_from_client_units(position)
    return server.line, server.character


def build() -> FloeServer:
    server = FloeServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FloeServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FloeServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FloeServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.INITIALIZED)
    def initialized(ls: FloeServer, params: types.InitializedParams) -> None:
        watched = ls.client_capabilities.workspace.did_change_watched_files \
            if ls.client_capabilities.workspace else None
        if watched is not None and watched.dynamic_registration:
            ls.client_register_capability(types.RegistrationParams([types.Registration(
                "floe-manifests", types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                types.DidChangeWatchedFilesRegistrationOptions([types.FileSystemWatcher(
                    "**/manifest.{yaml,yml}")]))]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: FloeServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(change.uri.endswith(("/manifest.yaml", "/manifest.yml"))
               for change in params.changes):
            ls.manifests_changed_on_disk()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FloeServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=["-", "[", ","]))
    def completion(ls: FloeServer, params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        opened = ls.files.get(uri)
        if opened is None:
            return types.CompletionList(is_incomplete=False, items=[])
        document = ls.workspace.get_text_document(uri)
        row, column = _position(document, params.position)
        items = complete(opened.analysis, opened.last_good, row, column)
        if not document.source.isascii():
            for item in items:
                if isinstance(item.text_edit, types.TextEdit):
                    item.text_edit.range = _client_range(document, item.text_edit.range)
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: FloeServer, params: types.HoverParams) -> types.Hover | None:
        opened = ls.files.get(params.text_document.uri)
        if opened is None:
            return None
        document = ls.workspace.get_text_document(params.text_document.uri)
        return hover(opened.analysis, opened.published, *_position(document, params.position))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: FloeServer, params: types.DefinitionParams
                      ) -> types.Location | None:
        uri = params.text_document.uri
        opened = ls.files.get(uri)
        if opened is None:
            return None
        document = ls.workspace.get_text_document(uri)
        found = definition(opened.analysis, uri, *_position(document, params.position))
        if found is not None and not document.source.isascii():
            found.range = _client_range(document, found.range)
        return found

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def on_code_action(ls: FloeServer, params: types.CodeActionParams
                       ) -> list[types.CodeAction]:
        uri = params.text_document.uri
        opened = ls.files.get(uri)
        if opened is None:
            return []
        document = ls.workspace.get_text_document(uri)
        published = [_to_client(document, d) for d in opened.published]
        return code_actions(uri, params.context.diagnostics, published)

    return server


def serve() -> None:
    """Talk LSP over stdin and stdout until the client says exit."""
    build().start_io()
