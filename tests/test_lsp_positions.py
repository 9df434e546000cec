"""Every position of a file, while it is being typed: completion, hover and go to definition
answer (or say nothing) and never fail, whatever the state of the buffer."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_compiler.lsp.analysis import analyse
from floe_compiler.lsp.completion import complete
from floe_compiler.lsp.convert import to_lsp
from floe_compiler.lsp.definition import definition
from floe_compiler.lsp.hover import hover
from tests.conftest import EXAMPLE


def every_position(path: Path, text: str) -> int:
    analysis = analyse(str(path), text, path, {})
    published = to_lsp(analysis)
    answered = 0
    lines = text.splitlines() or [""]
    for row, line in enumerate([*lines, ""]):
        for column in range(len(line) + 1):
            answered += bool(complete(analysis, analysis, row, column))
            answered += hover(analysis, published, row, column) is not None
            answered += definition(analysis, path.as_uri(), row, column) is not None
    return answered


@pytest.mark.parametrize("name", ["floe.yaml", "manifest.yaml"])
def test_every_position_of_the_example_answers_without_failing(name: str) -> None:
    path = EXAMPLE / name
    assert every_position(path, path.read_text()) > 0


@pytest.mark.parametrize("name", ["floe.yaml", "manifest.yaml"])
def test_every_prefix_of_the_example_as_if_typed(name: str) -> None:
    """The file typed from the top: most prefixes are broken YAML."""
    path = EXAMPLE / name
    text = path.read_text()
    for end in range(0, len(text), 97):
        every_position(path, text[:end])
