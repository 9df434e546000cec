"""Where each node of a loaded document sits, stored compactly.

A path -> (line, column) dict costs a tuple for the path, a tuple for the position and
often an int per node: about 3 KB for a transform, 80% of a loaded document's memory.
Here each collection holds the positions of its children instead: a mapping a dict from
key to a packed position (the key string is the one the data holds), a sequence an
array of packed positions. A path is looked up through its parent collection.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

Path_ = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line, column

_SHIFT = 32
_COLUMN = (1 << _SHIFT) - 1


def pack(line: int, column: int) -> int:
    """One int for a position (an int costs less than a tuple of two)."""
    return line << _SHIFT | column


def unpack(packed: int) -> Position:
    return packed >> _SHIFT, packed & _COLUMN


if TYPE_CHECKING:  # array is generic for type checkers only, before Python 3.12
    from typing import TypeAlias

    Children: TypeAlias = dict[Any, int] | array[int]  # a mapping's or a sequence's


class Positions:
    """Positions by path, stored per collection (see the module's docstring).

    The loader fills it through `mapping` and `sequence`; everything else reads it like
    a read-only mapping from path to (line, column)."""

    __slots__ = ("_by_parent", "root")

    def __init__(self) -> None:
        self._by_parent: dict[Path_, Children] = {}
        self.root: int | None = None  # the position of the document's top node (path ())

    def mapping(self, path: Path_, *, replace: bool = True) -> dict[Any, int]:
        """The store of the mapping at `path`, to fill: key -> packed position. With
        `replace` False (a merge source, or a duplicate key's value built to be dropped),
        a collection already at `path` keeps its positions and the store returned is
        not kept."""
        store: dict[Any, int] = {}
        self._keep(path, store, replace)
        return store

    def sequence(self, path: Path_, *, replace: bool = True) -> array[int]:
        """The store of the sequence at `path`, to fill: packed positions by index."""
        store = array("q")
        self._keep(path, store, replace)
        return store

    def adopt(self, root: int | None, by_parent: dict[Path_, Children]) -> None:
        """Take the stores of a whole document at once, as the C loader builds them
        (`by_parent`: parent path -> store, in the order `mapping`/`sequence` fill)."""
        self.root = root
        self._by_parent = by_parent

    def _keep(self, path: Path_, store: Children, replace: bool) -> None:
        if replace or path not in self._by_parent:
            self._by_parent[path] = store

    def get(self, path: Path_, default: Position | None = None) -> Position | None:
        if not path:
            return unpack(self.root) if self.root is not None else default
        store = self._by_parent.get(path[:-1])
        if store is None:
            return default
        last = path[-1]
        if isinstance(store, dict):
            packed = store.get(last)
        elif type(last) is int and 0 <= last < len(store):
            packed = store[last]
        else:
            packed = None
        return default if packed is None else unpack(packed)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self.get(path) is not None

    def __getitem__(self, path: Path_) -> Position:
        found = self.get(path)
        if found is None:
            raise KeyError(path)
        return found

    def items(self) -> Iterator[tuple[Path_, Position]]:
        """Every (path, position): the top node, then collection by collection."""
        if self.root is not None:
            yield (), unpack(self.root)
        for parent, store in self._by_parent.items():
            pairs = store.items() if isinstance(store, dict) else enumerate(store)
            for part, packed in pairs:
                yield (*parent, part), unpack(packed)

    def names(self) -> set[Any]:
        """Every mapping key recorded, wherever it is (the last part of each path)."""
        found: set[Any] = set()
        for store in self._by_parent.values():
            if isinstance(store, dict):
                found.update(store)
        return found
