# The C extension's interface (_yamlfast.c); see loader.load_native.
from collections.abc import Callable, Collection, Mapping
from typing import Any

LIBYAML_VERSION: str

def load(
    text: str,
    is_credential_key: Callable[[str], bool],
    resolve_number: Callable[[str], tuple[Any, bool]],
    plain_words: Mapping[str, Any],
    yaml11_words: Collection[str],
    number_first: str,
    max_depth: int,
    /,
) -> tuple[Any, int | None, bytes | tuple[Any, ...] | None,
           dict[tuple[Any, ...], dict[Any, int]], list[Any],
           list[tuple[str, Any, tuple[int, int], tuple[str | int, ...]]], bool] | None: ...
