"""Stage 1, load: bytes on disk -> plain data plus the line:column of every node.

ruamel.yaml's parser (its C one, from ruamel.yaml.clib, when installed) turns the
text into a stream of events; we build plain dicts/lists from the events
ourselves, with an explicit stack, so that we can
- record where each key and value sits (`Located.key_at` / `value_at`),
- report duplicate keys, unsupported tags and bad merges as diagnostics,
- bound nesting depth and alias expansion (billion laughs) before any deep or
  exponential work is done: nothing here recurses, so 10,000-deep input costs
  the same as 100-deep input;
- resolve scalars as floe-core's PyYAML does, YAML 1.1 (`scalars.py`), about 10x
  faster than ruamel's resolver and composer and never raising, and warn where
  YAML 1.2 (editors) reads a plain scalar otherwise (FLOE-W111).
We also note where literal credentials sit, so that no output shows them.

A C extension (`_yamlfast.c`, built when libyaml's headers are at hand) builds the same
result for the common subset of YAML straight from libyaml's events, about 7x faster;
on anything outside that subset it declines and the Python path below, the reference,
loads the text. ruamel.yaml is imported only when the Python path runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from floe_compiler.credentials import is_credential_key, literal_secrets
from floe_compiler.diagnostics import Diagnostic, diagnostic
from floe_compiler.positions import Path_ as Path_
from floe_compiler.positions import Position as Position
from floe_compiler.positions import Positions, Side, Stores, pack
from floe_compiler.reading import TooLarge, decode, read_bounded, too_large
from floe_compiler.scalars import (
    CORE,
    NUMBER_FIRST,
    PLAIN_WORDS,
    YAML11_WORDS,
    BadScalar,
    construct_tagged,
    describe,
    resolve_number,
    resolve_plain,
    yaml11_and_12_differ,
)

DEFAULT_MAX_BYTES = 1024 * 1024  # floe.yaml files are hand-written; 1 MiB is generous.
MAX_DEPTH = 100
# Alias expansion: nodes built by replaying anchors may reach this floor plus this many
# times the nodes written out in the file; a billion-laughs file stops right there.
ALIAS_NODE_FLOOR = 10_000
ALIAS_NODES_PER_NODE = 2

Span = tuple[Position, Position]  # start, end (exclusive)

_SEQ_TAG, _MAP_TAG = CORE + "seq", CORE + "map"


@dataclass
class Located:
    """A loaded YAML document: plain data and where each part of it came from."""

    file: str
    text: str
    data: Any = None
    positions: Positions = field(default_factory=Positions, repr=False)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    templated: list[Path_] = field(default_factory=list)  # string values holding Jinja
    # Keys written as plain numbers, booleans or null: floe-core reads them so, not as text.
    typed_keys: dict[Path_, Any] = field(default_factory=dict)
    # As on disk, for `sha256`; empty when it is `text`'s UTF-8 (an ASCII file's bytes
    # are not kept twice: 16 MB at 100k transforms).
    raw: bytes = field(default=b"", repr=False)
    env_vars: set[str] = field(default_factory=set)  # names read by {{ env_var() }}
    variables: set[str] = field(default_factory=set)  # names read by {{ var() }}
    secret_spans: list[Span] = field(default_factory=list)  # literal credentials in `text`
    # Literal credentials, as text: a value used as a password is secret wherever it is
    # (`a: &pw hunter2` ... `password: *pw`).
    secret_values: set[str] = field(default_factory=set)
    # The root node is a mapping (as far as the file parsed): only then may output quote
    # its lines. /etc/passwd named as a manifest is read, refused, and never shown.
    mapping: bool = False

    @property
    def values(self) -> Side:
        """Where each node is, by path."""
        return Side(self.positions, Side.VALUES)

    @property
    def keys(self) -> Side:
        """Where the key naming each mapping value is, by the value's path."""
        return Side(self.positions, Side.KEYS)

    @property
    def sha256(self) -> str:
        """Of the bytes on disk, for the artifact's provenance (hashed on demand: only
        compile needs it, and importing hashlib costs `floe validate` ~3 ms)."""
        import hashlib

        return hashlib.sha256(self.raw or self.text.encode("utf-8")).hexdigest()

    def is_secret(self, value: Any) -> bool:
        return bool(self.secret_values) and not isinstance(value, dict | list) \
            and value is not None and str(value) in self.secret_values

    def value_at(self, path: Path_) -> Position:
        """Position of the value at `path`, or of its nearest located ancestor."""
        return _nearest(self.values, path)

    def key_at(self, path: Path_) -> Position:
        """Position of the key naming `path` (falls back to the value position)."""
        while path:
            found = self.keys.get(path) or self.values.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self.values.get(()) or (1, 1)

    def release(self) -> None:
        """Let go of the data and the positions, the bulk of a big document, once nothing
        will ask for them again (compile, before it builds the artifact)."""
        self.data = None
        self.positions = Positions()

    def display_text(self) -> str:
        """`text` with every literal credential masked, for snippets in any output."""
        if not self.secret_spans:
            return self.text
        # Split as the parser counts lines (\r, \x85 and \u2028 end lines too).
        lines = self.text.splitlines(keepends=True)
        for (start_line, start_col), (end_line, end_col) in self.secret_spans:
            for number in range(start_line, min(end_line, len(lines)) + 1):
                line = lines[number - 1]
                body = line.rstrip("\r\n\x85\u2028\u2029\x0b\x0c\x1c\x1d\x1e")
                first = start_col - 1 if number == start_line else 0
                last = min(end_col - 1 if number == end_line else len(body), len(body))
                if last > first:
                    lines[number - 1] = line[:first] + "*" * (last - first) + line[last:]
        return "".join(lines)


def _nearest(table: Side, path: Path_) -> Position:
    while True:
        found = table.get(path)
        if found is not None:
            return found
        if not path:
            return 1, 1
        path = path[:-1]


def read_source(path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Located:
    """Read and load one file; every failure becomes a located diagnostic."""
    doc = Located(file=display, text="")
    try:
        raw = read_bounded(path, max_bytes)
    except TooLarge as exc:
        doc.diagnostics.append(too_large(exc.size, max_bytes, display))
        return doc
    except OSError as exc:
        hint = "Pass files, not directories (e.g. dir/*.yaml)." \
            if isinstance(exc, IsADirectoryError) else None
        doc.diagnostics.append(diagnostic(
            "FLOE-E001", f"cannot read file: {exc.strerror or exc}", file=display, hint=hint))
        return doc
    return load_bytes(raw, display, max_bytes=max_bytes)


def load_bytes(raw: bytes, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Located:
    doc = Located(file=display, text="")
    if len(raw) > max_bytes:
        doc.diagnostics.append(too_large(len(raw), max_bytes, display))
        return doc
    text, problem = decode(raw, display)
    if text is None:
        doc.diagnostics.append(problem)  # type: ignore[arg-type]
        return doc
    doc = load_text(text, display)
    if len(raw) != len(text):  # else raw is text's ASCII bytes (a BOM makes raw longer)
        doc.raw = raw
    return doc


def load_text(text: str, display: str, *, native: bool | None = None) -> Located:
    """Load YAML text. `native` picks the builder, for tests and benchmarks: None (the
    default) tries the C fast path when it is built, then the Python path if the text is
    outside its subset; False runs the Python path only; True does what None does, but
    raises ImportError when the extension is not built. (A keyword, not an environment
    variable, so that no user switches paths by accident.)"""
    doc = load_native(text, display, required=native is True) if native is not False \
        else None
    if doc is None:
        doc = Located(file=display, text=text)
        builder = _Builder(doc)
        try:
            builder.run(_events(text))
            report_two_readings(doc, builder.two_readings)
        except _Abort as abort:
            doc.data = None
            doc.diagnostics.append(abort.diag)
            return doc
        except Exception as exc:  # ruamel's scanner/parser errors: the input is not YAML
            doc.data = None
            doc.diagnostics.append(_yaml_error(exc, display, text))
            return doc
        finally:
            doc.positions = builder.stores.compact()
        if not builder.documents:
            doc.diagnostics.append(diagnostic(
                "FLOE-E004", "file has no YAML content", file=display, line=1, column=1))
            return doc
    if not isinstance(doc.data, dict):
        line, col = doc.value_at(())
        doc.diagnostics.append(diagnostic(
            "FLOE-E005", f"top level is a {_yaml_type(doc.data)}, expected a mapping",
            file=display, line=line, column=col))
    return doc


def load_native(text: str, display: str, *, required: bool = False) -> Located | None:
    """The document as the C extension builds it, or None: the extension is not built
    (ImportError instead when `required`), or the text is outside its subset (anchors,
    aliases, tags, merges, duplicate or typed keys, credential keys, more than one
    document, deep nesting, anything not YAML). Inside the subset the result is the
    Python path's, to the byte; E005 for a top level that is no mapping is load_text's."""
    try:
        from floe_compiler._yamlfast import load
    except ImportError:
        if required:
            raise
        return None
    built = load(text, is_credential_key, resolve_number, PLAIN_WORDS, YAML11_WORDS,
                 "".join(sorted(NUMBER_FIRST)), MAX_DEPTH)
    if built is None:
        return None
    data, root, top, shapes, templated, two_readings, mapping = built
    doc = Located(file=display, text=text, data=data, templated=templated, mapping=mapping)
    doc.positions.adopt(root, top, shapes.values())
    report_two_readings(doc, two_readings)
    return doc


def _events(text: str) -> Callable[[], Any]:
    """A function returning the next parser event for `text`, then None.

    ruamel.yaml.clib's C parser is called directly: its `get_event` is ~10x faster than
    ruamel's pure-Python parser and saves the generator that `YAML.parse` wraps it in.
    """
    try:
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - no C extension on this interpreter
        from ruamel.yaml import YAML

        return partial(next, iter(YAML(typ="safe", pure=True).parse(text)), None)
    next_event: Callable[[], Any] = CParser(text).get_event
    return next_event


def _yaml_error(exc: Exception, display: str, text: str) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if type(exc).__name__ == "ReaderError":
        position = getattr(exc, "position", 0)
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
        return diagnostic("FLOE-E012", f"file contains a control character ({exc.reason})"
                          if hasattr(exc, "reason") else "file contains a control character",
                          file=display, line=line, column=col)
    hint = None
    lines = text.splitlines()
    if 0 < line <= len(lines) and "\t" in lines[line - 1]:
        hint = "YAML does not allow tabs for indentation; indent with spaces."
    context = getattr(exc, "context", None)
    message = f"{problem} ({context})" if context else str(problem)
    return diagnostic("FLOE-E003", message, file=display, line=line, column=col, hint=hint)


def _yaml_type(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def _start(event: Any) -> Position:
    return _position(event.start_mark)


def _position(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _path(top: _Frame | None, part: Any) -> Path_:
    """The path of a node, from its parent's frame and its key or index."""
    return () if top is None else (*top.path, part)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(CORE):] if tag.startswith(CORE) else tag


class _Abort(Exception):
    def __init__(self, diag: Diagnostic) -> None:
        self.diag = diag


# The builder's stack holds one frame per open collection, of one of these kinds.
_MAP, _SEQ, _MERGES, _SKIP = range(4)


class _Frame:
    """An open collection: a mapping, a sequence, the list after `<<:`, or a skipped key.

    `weak` frames (merge sources) never override positions the mapping itself records;
    `shadow` frames (the value of a duplicate or rejected key) are built, so that their
    credentials are found and masked, but their value is then dropped (at the `drop` frame).
    """

    __slots__ = ("depth", "drop", "key", "key_lines", "keys", "kind", "merge", "merged",
                 "path", "result", "shadow", "skip_value", "start", "values", "weak")

    def __init__(self, kind: int, path: Path_, start: Position, *, weak: bool = False,
                 shadow: bool = False, drop: bool = False, values: Any = None,
                 keys: dict[Any, int] | None = None) -> None:
        self.kind = kind
        self.path = path
        self.start = start
        # Where the children's positions go (packed, positions.py): a dict by key or an
        # array by index, kept in the builder's `Stores`; for a merge source, the stores
        # of the mapping it merges into. A frame whose positions are not kept (a dropped
        # value) gets stores of its own.
        self.values: Any = ([] if kind == _SEQ else {}) if values is None else values
        self.keys: dict[Any, int] = {} if keys is None else keys
        self.weak = weak or shadow
        self.shadow = shadow
        self.drop = drop
        self.result: Any = {} if kind == _MAP else []
        self.merged: dict[str, Any] = {}
        self.key_lines: dict[str, int] = {}
        self.key: str | None = None  # in a mapping, None: the next node is a key
        self.merge = False  # the next node is the value of `<<`
        self.skip_value = False  # the next node is the value of a duplicate/rejected key
        self.depth = 1  # for _SKIP: collections still open inside the skipped key


class _Builder:
    """Plain data from parser events, recording positions as it goes."""

    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.file = doc.file
        self.stores = Stores()  # positions, compacted when the load ends
        self.spans = doc.secret_spans
        self.stack: list[_Frame] = []
        self.documents = 0
        self.nodes = 0  # written out in the file
        self.expanded = 0  # built again by replaying an anchor
        self.replaying = 0
        self.expanding: Position = (1, 1)  # the alias in the file being expanded
        # Anchors: the events of each anchored node, replayed for each alias.
        self.record: list[Any] = []
        self.open_anchors: list[tuple[str, int, int]] = []  # name, start in record, depth
        self.anchors: dict[str, list[Any]] = {}
        self.depth = 0  # open collections, skipped and replayed ones included
        self.last_end: Any = None  # the end mark of the last scalar
        # Plain scalars YAML 1.1 and 1.2 read differently: (text, 1.1 value, where, path),
        # reported once the whole file is read and its secrets are known.
        self.two_readings: list[tuple[str, Any, Position, Path_]] = []

    def run(self, next_event: Callable[[], Any]) -> None:
        from ruamel.yaml.events import (  # here: the C fast path never needs ruamel
            AliasEvent,
            DocumentStartEvent,
            MappingEndEvent,
            MappingStartEvent,
            ScalarEvent,
            SequenceEndEvent,
            SequenceStartEvent,
        )

        sources = [next_event]  # the file's events, then the anchors being replayed
        while sources:
            event = sources[-1]()
            if event is None:
                sources.pop()
                self.replaying = len(sources) - 1
                continue
            kind = type(event)
            if kind is ScalarEvent:
                if self.open_anchors or event.anchor is not None:
                    self._remember(event, scalar=True)
                self._scalar(event)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self._remember(event)
                self.depth += 1
                if self.depth > MAX_DEPTH + 1:  # the top-level mapping is level 0
                    raise _Abort(diagnostic(
                        "FLOE-E011", f"document is nested more than {MAX_DEPTH} levels deep",
                        file=self.file, line=event.start_mark.line + 1,
                        column=event.start_mark.column + 1))
                self._collection(event, kind is MappingStartEvent)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                self._remember(event, end=True)
                self.depth -= 1
                self._end_collection()
            elif kind is AliasEvent:
                if self.open_anchors and not self.replaying:
                    self.record.append(event)
                replay = self._alias(event, ScalarEvent)
                if replay is not None:
                    if not self.replaying:
                        self.expanding = _start(event)
                    sources.append(partial(next, iter(replay), None))
                    self.replaying = len(sources) - 1
            elif kind is DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    line, col = _start(event)
                    raise _Abort(diagnostic(
                        "FLOE-E008", "file holds more than one YAML document",
                        file=self.file, line=line, column=col))

    # -- anchors and aliases -------------------------------------------------

    def _remember(self, event: Any, *, scalar: bool = False, end: bool = False) -> None:
        """Keep the events of anchored nodes, to replay them for aliases (`event` is a
        scalar, a collection's start, or with `end` a collection's end)."""
        if self.replaying:
            return
        anchor = getattr(event, "anchor", None)
        if anchor is not None and scalar:
            self.anchors[anchor] = [event]
        elif anchor is not None:  # a collection: recorded until its end event
            self.open_anchors.append((anchor, len(self.record), self.depth + 1))
        if self.open_anchors:
            self.record.append(event)
            if end:
                while self.open_anchors and self.open_anchors[-1][2] == self.depth:
                    name, begin, _ = self.open_anchors.pop()
                    self.anchors[name] = self.record[begin:]
                if not self.open_anchors:
                    self.record = []

    def _alias(self, event: Any, scalar_event: type) -> list[Any] | None:
        name = event.anchor
        line, col = _start(event)
        if any(open_name == name for open_name, _, _ in self.open_anchors):
            raise _Abort(diagnostic(
                "FLOE-E011", f"alias *{name} refers to a node that contains it",
                file=self.file, line=line, column=col))
        replay = self.anchors.get(name)
        if replay is None:
            raise _Abort(diagnostic("FLOE-E003", f"alias *{name} names no anchor defined before it",
                                    file=self.file, line=line, column=col,
                                    hint=f"Define `&{name}` before using `*{name}`."))
        top = self.stack[-1] if self.stack else None
        if top is None or top.kind != _MAP:
            return None if top is not None and top.kind == _SKIP else replay
        if top.key is None:  # an alias as a key: fine if it names a plain scalar
            if len(replay) == 1 and type(replay[0]) is scalar_event:
                return replay
            self._reject_key(line, col)
            return None
        if top.skip_value:
            top.key, top.skip_value = None, False
            return None
        return replay

    def _count(self) -> None:
        if not self.replaying:
            self.nodes += 1
            return
        self.expanded += 1
        if self.expanded > ALIAS_NODE_FLOOR + ALIAS_NODES_PER_NODE * self.nodes:
            line, col = self.expanding
            raise _Abort(diagnostic(
                "FLOE-E011", "YAML aliases expand to too many nodes (possible alias bomb)",
                file=self.file, line=line, column=col))

    # -- nodes -----------------------------------------------------------------

    def _scalar(self, event: Any) -> None:
        stack = self.stack
        top = stack[-1] if stack else None
        self.last_end = event.end_mark
        mark = event.start_mark
        line, column = mark.line + 1, mark.column + 1
        packed = pack(line, column)
        if top is None:
            part: str | int | None = None
        elif top.kind == _MAP:
            part = top.key
            if part is None:
                self._key(top, event, (line, column))
                return
            if top.skip_value:
                if part and is_credential_key(part):  # a duplicate: still never shown
                    self.spans.append(((line, column), _position(self.last_end)))
                top.key, top.skip_value = None, False
                return
            if top.merge:
                self._bad_merge((line, column))
                return
        elif top.kind == _SEQ:
            part = len(top.result)
        elif top.kind == _SKIP:
            return
        else:
            self._bad_merge((line, column))
            return
        if self.replaying:
            self._count()
        else:
            self.nodes += 1  # _count, inlined: this runs for every scalar
        if top is None:
            self.stores.root = packed
        elif top.kind == _SEQ:
            top.values.append(packed)
        elif top.weak:
            top.values.setdefault(part, packed)
        else:
            top.values[part] = packed
        if event.ctag is None and event.implicit[0]:
            text = event.value
            if text and text[0] in NUMBER_FIRST:
                value, maybe_two = resolve_number(text)
            else:
                value = PLAIN_WORDS.get(text, text) if text else None  # resolve_plain, inlined
                maybe_two = text in YAML11_WORDS
            if maybe_two and not self.replaying:  # an alias: reported at its anchor
                self.two_readings.append((text, value, (line, column), _path(top, part)))
        else:
            value = self._tagged_value(event, (line, column))
        if type(value) is str and ("{{" in value or "{%" in value) \
                and (top is None or not top.shadow):
            self.doc.templated.append(_path(top, part))
        if top is not None and top.kind == _SEQ:
            top.result.append(value)  # _attach, inlined for the commonest case
        else:
            self._attach(value, (line, column), self.last_end)

    def _tagged_value(self, event: Any, position: Position) -> Any:
        tag = event.ctag
        if tag is None:  # quoted, or a block scalar
            return event.value
        tag = str(tag)
        if tag == "!":
            return event.value
        try:
            return construct_tagged(tag, event.value)
        except BadScalar as exc:
            self.doc.diagnostics.append(diagnostic(
                "FLOE-E104", f"the value tagged {_short_tag(tag)} is not a valid {exc}",
                file=self.file, line=position[0], column=position[1],
                hint=f"Remove the {_short_tag(tag)} tag, or fix the value."))
        except KeyError:
            self._unsupported_tag(tag, position)
        return event.value

    def _key(self, frame: _Frame, event: Any, position: Position) -> None:
        tag = event.ctag
        key = event.value
        if tag is None and event.implicit[0] and key == "<<":
            frame.merge = True
            frame.key = "<<"
            return
        if tag is not None and str(tag) not in ("!", CORE + "str"):
            self._unsupported_tag(str(tag), position)
        elif tag is None and event.implicit[0] and key != "=" and \
                (key in YAML11_WORDS or (key and key[0] in NUMBER_FIRST)):
            # (A plain `=` key is text to PyYAML, which reads keys tagged !!value as
            # text, and to YAML 1.2: only as a value is it refused.)
            self.two_readings.append((key, resolve_plain(key), position, frame.path))
        frame.key = key
        if key in frame.key_lines:
            self.doc.diagnostics.append(diagnostic(
                "FLOE-E006", f"duplicate key '{key}' (first defined at line "
                f"{frame.key_lines[key]})", file=self.file, line=position[0],
                column=position[1]))
            frame.skip_value = True
            return
        frame.key_lines[key] = position[0]
        if tag is None and event.implicit[0] and not isinstance(resolve_plain(key), str):
            self.doc.typed_keys[(*frame.path, key)] = resolve_plain(key)
        packed = pack(*position)
        if frame.weak:
            frame.keys.setdefault(key, packed)
        else:
            frame.keys[key] = packed

    def _reject_key(self, line: int, col: int) -> None:
        self.doc.diagnostics.append(diagnostic(
            "FLOE-E005", "mapping keys must be plain scalars", file=self.file, line=line,
            column=col))
        top = self.stack[-1]
        top.key = ""
        top.skip_value = True

    def _collection(self, event: Any, is_map: bool) -> None:
        top = self.stack[-1] if self.stack else None
        position = _start(event)
        kind = _MAP if is_map else _SEQ
        if top is not None and top.kind == _SKIP:
            top.depth += 1
            return
        if top is not None and top.kind == _MAP:
            if top.key is None:
                self._reject_key(*position)
                self.stack.append(_Frame(_SKIP, top.path, position))
                return
            if top.skip_value:  # built in the shadows, then dropped
                self._count()
                self.stack.append(_Frame(kind, (*top.path, top.key or "?"), position,
                                         shadow=True, drop=True))
                return
        self._count()
        tag = event.ctag
        if tag is not None and str(tag) not in ("!", _MAP_TAG if is_map else _SEQ_TAG):
            self._unsupported_tag(str(tag), position)
        if top is not None and (top.merge or top.kind == _MERGES):
            # A merge source: its keys land in the enclosing mapping, without overriding it.
            if is_map:
                self.stack.append(_Frame(_MAP, top.path, position, weak=True, shadow=top.shadow,
                                         values=top.values, keys=top.keys))
            elif top.kind == _MAP:
                self.stack.append(_Frame(_MERGES, top.path, position, weak=True,
                                         shadow=top.shadow, values=top.values, keys=top.keys))
            else:
                self._bad_merge(position)
                self.stack.append(_Frame(_SEQ, top.path, position, shadow=True, drop=True))
            return
        packed = pack(*position)
        weak = top is not None and top.weak
        if top is None:
            path: Path_ = ()
            self.doc.mapping = is_map
            self.stores.root = packed
        elif top.kind == _MAP:
            path = (*top.path, top.key)  # type: ignore[arg-type]
            if weak:
                top.values.setdefault(top.key, packed)
            else:
                top.values[top.key] = packed
        else:
            path = (*top.path, len(top.result))
            top.values.append(packed)
        values: Any
        keys: dict[Any, int] | None = None
        if is_map:
            values, keys = self.stores.mapping(path, replace=not weak)
        else:
            values = self.stores.sequence(path, replace=not weak)
        self.stack.append(_Frame(kind, path, position, weak=weak,
                                 shadow=top is not None and top.shadow, values=values,
                                 keys=keys))

    def _end_collection(self) -> None:
        frame = self.stack.pop()
        if frame.kind == _SKIP:
            frame.depth -= 1
            if frame.depth:
                self.stack.append(frame)
            return  # the parent now skips the rejected key's value
        if frame.kind == _MAP:
            value: Any = frame.result
            for key, merged in frame.merged.items():
                value.setdefault(key, merged)
        elif frame.kind == _MERGES:
            value = {}
            for source in reversed(frame.result):  # earlier sources win
                value.update(source)
        else:
            value = frame.result
        if frame.drop:
            top = self.stack[-1] if self.stack else None
            if top is not None and top.kind == _MAP:
                top.key, top.skip_value, top.merge = None, False, False
            return
        self._attach(value, frame.start, self.last_end)

    # -- helpers -----------------------------------------------------------------

    def _attach(self, value: Any, start: Position, end: Any) -> None:
        """Hand a finished node to the collection that holds it (`end`: the parser's
        mark where it ends, made a position only for a credential)."""
        if not self.stack:
            if self.doc.data is None:
                self.doc.data = value
            return
        top = self.stack[-1]
        if top.kind != _MAP:
            top.result.append(value)
            return
        key = top.key
        if top.merge:
            if isinstance(value, dict):
                top.merged.update(value)
        elif key is not None:
            top.result[key] = value
            secrets = set(literal_secrets(value)) if is_credential_key(key) else set()
            if secrets:
                self.spans.append((start, _position(end)))
                self.doc.secret_values.update(secrets)
        top.key = None
        top.merge = False

    def _bad_merge(self, position: Position) -> None:
        self.doc.diagnostics.append(diagnostic(
            "FLOE-E005", "`<<` (merge) takes a mapping or a list of mappings",
            file=self.file, line=position[0], column=position[1]))
        top = self.stack[-1]
        if top.kind == _MAP:
            top.key = None
            top.merge = False

    def _unsupported_tag(self, tag: str, position: Position) -> None:
        self.doc.diagnostics.append(diagnostic(
            "FLOE-E007", f"unsupported YAML tag {_short_tag(tag)}",
            file=self.file, line=position[0], column=position[1]))


def report_two_readings(doc: Located, two_readings: list[tuple[str, Any, Position, Path_]]
                        ) -> None:
    """Warn where floe (PyYAML, YAML 1.1) and editors (YAML 1.2) read a plain scalar
    differently: `on` is true for one and text for the other. A credential's value
    is described by its type alone. `two_readings`: (text, YAML 1.1 value, where, path)
    of each such scalar, as the builders note them."""
    for text, value, (line, column), path in two_readings:
        if text == "=":
            doc.diagnostics.append(diagnostic(
                "FLOE-E007", "a plain `=` is YAML 1.1's !!value tag, which floe-core's "
                "loader (PyYAML) cannot read", file=doc.file, line=line, column=column,
                hint="Quote it: '='."))
            continue
        other = yaml11_and_12_differ(text, value)
        if other is NotImplemented:
            continue
        secret = text in doc.secret_values or doc.is_secret(value) or any(
            type(part) is str and is_credential_key(part) for part in path)
        shown = "this value" if secret else f"`{text}`" if len(text) <= 40 \
            else f"`{text[:37]}...`"
        quoted = "it" if secret else f"it ('{text}')" if len(text) <= 40 else "it"
        if isinstance(value, bool):
            hint = f"Quote {quoted} for text, or write true or false for a boolean."
        elif isinstance(value, str | dt.date):
            hint = f"Quote {quoted} for text."
        else:
            hint = (f"Quote {quoted} for text, or write the number so that YAML 1.1 and "
                    "1.2 agree (8 for 010, 1000 for 1_000, 1.0e+3 for 1e3).")
        first, second = describe(value, secret), describe(other, secret)
        message = f"{shown} is {first} in YAML 1.1, as floe reads it, but {second} in " \
            "YAML 1.2, as editors read it" if first != second else \
            f"{shown} (not shown) is read as another {first[first.index(' ') + 1:]} in " \
            "YAML 1.1, as floe reads it, than in YAML 1.2, as editors read it"
        doc.diagnostics.append(diagnostic(
            "FLOE-W111", message, file=doc.file, line=line, column=column, hint=hint))
