"""The loader's C fast path (floe_compiler/_yamlfast.c) gives, for the YAML it accepts,
exactly what the Python path gives, and declines everything else, so that the Python
path (the reference) loads it and words every diagnostic.

Each check loads the same text both ways and compares the whole document: data with its
types (True is not 1, a date is not its text), every key's and value's position in
order, templated paths, typed keys, secrets and diagnostics."""

from __future__ import annotations

import ast
import dataclasses
import gc
import json
import os
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.generate import MUTATIONS, pairs
from floe_compiler.loader import MAX_DEPTH, Located, load_native, load_text
from tests.conftest import CORPUS, ROOT, VALID_MANIFEST, VALID_SPEC

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import project_spec

pytestmark = pytest.mark.usefixtures("native_loader")


# -- comparing two loads ---------------------------------------------------------------------


def typed(value: Any) -> Any:
    """`value` with the type of every part spelled out (1 == True == 1.0 in Python)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, repr(value))


def snapshot(doc: Located) -> dict[str, Any]:
    return {
        "data": typed(doc.data),
        "values": list(doc.values.items()),
        "keys": list(doc.keys.items()),
        # the stores themselves, in order (positions.py gives their forms)
        "stores": list(doc.positions.collections()),
        "templated": doc.templated,
        "typed_keys": typed(doc.typed_keys),
        "mapping": doc.mapping,
        "diagnostics": [dataclasses.asdict(d) for d in doc.diagnostics],
        "secret_spans": doc.secret_spans,
        "secret_values": sorted(doc.secret_values),
        "text": doc.text,
    }


def assert_same(text: str) -> Located | None:
    """Both paths give the same document; returns what the C path built (None: declined)."""
    native = load_native(text, "x.yaml", required=True)
    python = snapshot(load_text(text, "x.yaml", native=False))
    assert snapshot(load_text(text, "x.yaml")) == python
    if native is not None:  # load_text adds E005 for a top level that is no mapping
        assert snapshot(native) == {**python, "diagnostics": [
            d for d in python["diagnostics"] if d["code"] != "FLOE-E005"]}
    return native


# -- files: the upstream corpus, our examples and fixtures, our tests' YAML ---------------------


def yaml_files() -> list[Path]:
    roots = [CORPUS, ROOT / "examples", ROOT / "tests", ROOT / "editors"]
    return sorted(p for root in roots if root.is_dir() for p in root.rglob("*.y*ml")
                  if "node_modules" not in p.parts)


def inline_yaml() -> list[str]:
    """Every string in our tests that looks like a YAML document."""
    found: set[str] = {VALID_SPEC, VALID_MANIFEST}
    for test in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(test.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and ":" in node.value and len(node.value) > 4:
                found.add(node.value)
    return sorted(found)


def test_every_corpus_example_and_fixture_file_loads_alike() -> None:
    files = yaml_files()
    assert len(files) >= 8
    declined = {path for path in files
                if assert_same(path.read_bytes().decode("utf-8-sig")) is None}
    # The files users write are in the subset, but for literal credentials (upstream's
    # demo manifest has one): the fast path must not just decline.
    written = [p for p in files if CORPUS in p.parents or (ROOT / "examples") in p.parents]
    assert len(declined) < len(written)
    for path in declined & set(written):
        assert load_text(path.read_text(encoding="utf-8"), "x.yaml").secret_spans, path


def test_every_inline_yaml_of_the_tests_loads_alike() -> None:
    texts = inline_yaml()
    assert len(texts) > 200
    accepted = sum(assert_same(text) is not None for text in texts)
    assert accepted > len(texts) // 4


def test_generated_projects_are_accepted_and_alike() -> None:
    text = project_spec(2000, 200)
    doc = assert_same(text)
    assert doc is not None
    assert len(doc.data["transforms"]) == 2000
    assert doc.value_at(("transforms", 1999, "dependsOn", 0))[0] > 1


def test_mappings_of_the_same_keys_share_one_shape_on_both_paths() -> None:
    """A transform's positions cost its bytes, not a dict of its keys (positions.py)."""
    text = VALID_SPEC + "  - name: third\n    dependsOn: [stg_orders]\n"
    for doc in (load_native(text, "x.yaml", required=True), load_text(text, "x.yaml",
                                                                      native=False)):
        assert doc is not None
        shapes = [store[0] for path, store in doc.positions.collections()
                  if path[:1] == ("transforms",) and len(path) == 2]
        assert len(shapes) == 3 and shapes[1] is shapes[2] and shapes[0] is not shapes[1]
        assert doc.key_at(("transforms", 2, "dependsOn")) == (len(text.splitlines()), 5)


@settings(max_examples=300, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(st.sampled_from([None, *sorted(MUTATIONS)]).flatmap(pairs))
def test_conformance_documents_load_alike(pair: Any) -> None:
    for text in pair.texts():
        assert_same(text)


# -- hypothesis: nested documents in every style --------------------------------------------

SAMPLES = [
    "", "x", "\x07", "\x85x", "\ufeffx", "a\u2028b", "a\rb", "a\r\nb",
    "yes", "No", "ON", "off", "true", "False", "null", "~", "=", "0", "010", "0o17",
    "0x1F", "0b101", "1_000", "1e3", "1.0e+3", "-.5", ".5", "12:30", "1:30.5", "+1", "-0",
    "2024-01-01", "2024-02-30", "2024-01-01 10:00:00", "2024-1-1T10:00:00.5Z",
    "2024-01-01T10:00:00+05:30", ".inf", "-.Inf", ".NaN", "1.5", "3.", "9" * 30,
    "{{ var('region') }}", "{% if x %}y{% endif %}", "a{{b", "{ %", "e\u0301", "\U0001d518x",
    "ü", "日本語", "tab\there", "a # b", "a#b", "x" * 300, "<<", "password", "dependsOn",
    "line\nbreak", " lead", "trail ", "'", '"', "- x", "? q", "@x", "`x", "%x", "|", ">",
]
KEYS = ["name", "sql", "dependsOn", "a", "b", "c", "tags", "é", "\U0001d518", "k k", "x-y",
        "a:b", "{{ k }}", "on_x", "1a"]
DECLINED_KEYS = ["on", "yes", "1", "<<", "true", "password", "api_key", "", "-", "?", "~"]

scalar_text = st.one_of(st.sampled_from(SAMPLES), st.sampled_from(SAMPLES),
                        st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12),
                        st.text(alphabet="ab19-_.:/ {}%#é\U0001d518\t'\"", max_size=12))
scalar = st.tuples(st.just("scalar"), scalar_text,
                   st.sampled_from(["plain", "plain", "single", "double", "literal", "folded"]))
key = st.tuples(st.sampled_from(KEYS) | st.sampled_from(KEYS) | st.sampled_from(DECLINED_KEYS)
                | scalar_text,
                st.sampled_from(["plain", "plain", "plain", "single", "double"]))


def collections(children: Any) -> Any:
    return st.one_of(
        st.tuples(st.just("seq"), st.lists(children, max_size=4), st.booleans()),
        st.tuples(st.just("map"), st.lists(st.tuples(key, children), max_size=4),
                  st.booleans()))


nodes = st.recursive(scalar, collections, max_leaves=24)
comment = st.sampled_from(["", "", "", "  # note", " #é"])


def quoted(text: str, style: str, flow: bool) -> str:
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double" or (flow and style in ("literal", "folded")):
        return json.dumps(text, ensure_ascii=len(text) % 2 == 0)
    return text


def inline(node: Any) -> str:
    if node[0] == "scalar":
        return quoted(node[1], node[2], flow=True)
    if node[0] == "seq":
        return "[" + ", ".join(inline(child) for child in node[1]) + "]"
    return "{" + ", ".join(f"{quoted(k, s, True)}: {inline(v)}" for (k, s), v in node[1]) + "}"


def block(node: Any, indent: int, note: str) -> list[str]:
    """The lines of a node at `indent` (a scalar or flow node: one line, unindented)."""
    pad = " " * indent
    if node[0] == "scalar" and node[2] in ("literal", "folded"):
        body = node[1].split("\n")
        return [("|" if node[2] == "literal" else ">") + note,
                *(pad + "  " + line for line in body)]
    if node[0] == "scalar" or node[2] or not node[1]:
        return [inline(node) + note]
    lines: list[str] = []
    if node[0] == "seq":
        for child in node[1]:
            inner = block(child, indent + 2, note)
            if child[0] == "scalar" or child[2] or not child[1]:
                lines += [f"{pad}- {inner[0]}", *inner[1:]]
            else:
                lines += [f"{pad}- {inner[0][indent + 2:]}", *inner[1:]]
        return lines
    for (k, style), value in node[1]:
        inner = block(value, indent + 2, note)
        head = f"{pad}{quoted(k, style, False)}:"
        if value[0] == "scalar" or value[2] or not value[1]:
            lines += [f"{head} {inner[0]}", *inner[1:]]
        else:
            lines += [head, *inner]
    return lines


@st.composite
def documents(draw: Any) -> str:
    root = draw(st.one_of(st.tuples(st.just("map"), st.lists(st.tuples(key, nodes), max_size=6),
                                    st.just(False)), nodes))
    note = draw(comment)
    lines = block(root, 0, note) if root[0] != "scalar" else [inline(root)]
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = "# a comment\n" + text
    if draw(st.integers(0, 5)) == 0:
        text = "---\n" + text + "...\n"
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents())
def test_generated_documents_load_alike(text: str) -> None:
    assert_same(text)


def test_the_generator_writes_documents_the_fast_path_accepts() -> None:
    """So that the test above compares built documents, not just two refusals."""
    accepted = []

    @settings(max_examples=200, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(documents())
    def count(text: str) -> None:
        accepted.append(assert_same(text) is not None)

    count()
    assert len(accepted) >= 100
    assert sum(accepted) > len(accepted) // 6  # 20-30%: the rest are refusals on purpose


# -- what the fast path declines -----------------------------------------------------------

NESTED = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"  # the deepest allowed
TOO_DEEP = "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n"


@pytest.mark.parametrize(("text", "code"), [
    ("a: &x 1\nb: 2\n", None),                           # an anchor
    ("a: &x 1\nb: *x\n", None),                          # an alias
    ("a: !!str 1\n", None),                              # a tag
    ("a: !custom x\n", "FLOE-E007"),
    ("a: !!int x\n", "FLOE-E104"),
    ("base: {x: 1}\nuse:\n  <<: {y: 2}\n", None),        # a merge
    ("a:\n  <<: 5\n", "FLOE-E005"),
    ("a: 1\nb: 2\na: 3\n", "FLOE-E006"),                 # a duplicate key
    ("db:\n  password: hunter2\n", None),                # a credential's key
    ("db:\n  api_key: '{{ env_var(\"K\") }}'\n", None),
    ("on: push\n", "FLOE-W111"),                         # a key YAML 1.2 reads otherwise
    ("true: x\n", None),                                 # a typed key
    ("1: x\n", None),
    ("labels:\n  2024-01-01: x\n", "FLOE-W111"),
    ('"": x\n', None),                                   # an empty key
    ("? [a, b]\n: 1\n", "FLOE-E005"),                    # a collection as a key
    ("a: [1\n", "FLOE-E003"),                            # not YAML
    ("a:\n\tb: 1\n", "FLOE-E003"),
    ("a: \x07\n", "FLOE-E012"),
    ("a: 1\n---\nb: 2\n", "FLOE-E008"),                  # two documents
    ("", "FLOE-E004"),                                   # none
    ("# nothing\n", "FLOE-E004"),
    (TOO_DEEP, "FLOE-E011"),                             # nesting
    ("%YAML 1.1\n---\na: 1\n", None),                    # a directive
    ("a: 1\nb: [x, {c: *y}]\n", "FLOE-E003"),            # late: an unknown alias
])
def test_outside_the_subset_the_python_path_answers(text: str, code: str | None) -> None:
    assert load_native(text, "x.yaml") is None
    assert assert_same(text) is None
    if code is not None:
        assert code in {d.code for d in load_text(text, "x.yaml").diagnostics}


@pytest.mark.parametrize("text", [
    NESTED, "a: yes\nb: 010\nc: 1e3\n", "x\n", "- a\n- b\n", "'on': 1\n", "a: =\n",
    "a: ''\nb:\nc: ~\n", "a: '{{ x }}'\nb: [\"{% y %}\"]\n", "k: \U0001d518e\u0301\n",
])
def test_inside_the_subset_the_fast_path_answers(text: str) -> None:
    assert assert_same(text) is not None


# -- resources -----------------------------------------------------------------------------


def test_loads_and_refusals_free_all_they_hold() -> None:
    """Every path out of the C code (a result, a refusal at the very end of a big document,
    an error) releases what it holds: memory traced by Python stays flat over repeated
    loads, and so does the process's (libyaml's buffers are not traced)."""
    text = project_spec(60, 6)
    refusals = [text + "metadata: again\n", text + "end: [\n", text + "end: *nowhere\n",
                text + "password: x\n", text + "---\nb: 1\n"]
    assert all(load_native(t, "x.yaml") is None for t in refusals)

    def cycle(rounds: int) -> None:
        for _ in range(rounds):
            load_native(text, "x.yaml")
            for refused in refusals:
                load_native(refused, "x.yaml")

    cycle(20)
    gc.collect()
    tracemalloc.start()
    try:
        cycle(5)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        cycle(100)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, grown

    def rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    if not Path("/proc/self/statm").exists():
        return
    # In windows of 2,100 loads: a leak grows the process in every window, while the
    # allocator may take pages once, in a test process holding hundreds of megabytes of
    # other tests' freed memory (a CI run saw +9 MB over one window, in a 438 MB process).
    cycle(50)
    grown_by = []
    for _ in range(3):
        before = rss()
        cycle(350)
        grown_by.append(rss() - before)
    assert sorted(grown_by)[1] < 2 * 1024 * 1024, grown_by  # < 1 KB a load, twice
