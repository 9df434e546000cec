"""The fast path of `floe validate`: a clean file without Pydantic's models.

Most files a pre-commit hook sees are clean, and building the models (importing
Pydantic's BaseModel machinery and every model class) costs more than the rest of a
run. So a file is first offered to an accept check generated from the models
(`_accept_floespec.py`, `_accept_manifest.py`, by accept_gen.py, drift-checked by
`make lint`). The check is conservative: what it accepts, the models accept without a
finding. Anything else (a schema finding, a template, a key that is not text, an
earlier finding) takes the full path through the models, so every message is the one
the models give. tests/test_fastpath.py compares both paths on a mutation corpus.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from importlib import import_module
from typing import Any, cast

from floe_compiler.kinds import Kind
from floe_compiler.loader import Located

_MODULES = {"FloeSpec": "floe_compiler._accept_floespec",
            "Manifest": "floe_compiler._accept_manifest"}


def schema_clean(doc: Located, kind: Kind) -> bool:
    """Whether the models would accept this document with no finding at all."""
    if doc.templated or doc.typed_keys or doc.diagnostics or not _plain(doc.data):
        return False
    validate = cast(Callable[[Any], object], import_module(_MODULES[kind]).validate)
    try:
        validate(doc.data)
    except Exception:  # the generated code's own exception, or a value it cannot compare
        return False
    return True


def _plain(data: Any) -> bool:
    """Text keys and finite numbers throughout (YAML can write .nan, which passes a
    `minimum` in the generated code but not in Pydantic)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    return False
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, float) and not math.isfinite(node):
            return False
    return True
