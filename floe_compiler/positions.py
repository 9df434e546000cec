"""Where each node of a loaded document sits, stored compactly.

A path -> (line, column) dict costs a tuple for the path, a tuple for the position and
often an int per node: about 3 KB for a transform, 80% of a loaded document's memory.
Here positions are a tree shaped like the data: each collection has a store holding the
positions of its children as 8-byte ints (`pack`) in one bytes object, and the stores
of its children that are collections. A sequence's bytes hold its items' positions by
index; a mapping's, for its i-th key, the key's position at 2i and its value's at
2i + 1, with a `shape` (key -> i) shared by every mapping of the same keys in the same
order. A path is looked up by walking down from the top. At 100k transforms this is
45 MB, against 171 MB for a dict per mapping for its values and another for its keys,
each under its path.

The stores are tuples and bytes, which the C loader builds cheaply:
- a sequence: `bytes`, or `(bytes, children)` when an item is a collection;
- a mapping: `(shape, bytes)`, or `(shape, bytes, children)` when a value is one;
`children` is a tuple by index (i as above), None where the child is a scalar.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

Path_ = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line, column

_SHIFT = 32
_COLUMN = (1 << _SHIFT) - 1
_NONE = 0  # no position recorded (a packed position is at least 1 << 32 | 1)


def pack(line: int, column: int) -> int:
    """One int for a position (an int costs less than a tuple of two)."""
    return line << _SHIFT | column


def unpack(packed: int) -> Position:
    return packed >> _SHIFT, packed & _COLUMN


if TYPE_CHECKING:  # array is generic for type checkers only, before Python 3.12
    from typing import TypeAlias

    Shape: TypeAlias = dict[Any, int]  # a mapping's key -> its index
    Store: TypeAlias = bytes | tuple[Any, ...]  # see the module's docstring


def _packed(store: Store) -> memoryview:
    """A store's positions, as 8-byte ints in the machine's order."""
    if isinstance(store, bytes):
        return memoryview(store).cast("q")
    return memoryview(store[1] if type(store[0]) is dict else store[0]).cast("q")


def _shape(store: Store) -> Shape | None:
    """A mapping's shape; None for a sequence."""
    return store[0] if isinstance(store, tuple) and type(store[0]) is dict else None


def _children(store: Store) -> tuple[Store | None, ...] | None:
    if isinstance(store, bytes):
        return None
    if type(store[0]) is dict:
        return store[2] if len(store) == 3 else None
    return store[1]  # type: ignore[no-any-return]


def _index(store: Store, part: Any) -> int | None:
    """The index of the child `part` names: a mapping's key, a sequence's index."""
    shape = _shape(store)
    if shape is not None:
        try:
            return shape.get(part)
        except TypeError:  # an unhashable part: no key is one
            return None
    return part if type(part) is int and 0 <= part < len(_packed(store)) else None


class Positions:
    """Positions by path, as a tree of stores (see the module's docstring).

    Read through its two sides (`Side`), each like a read-only mapping from path to
    (line, column): the values', where each node is; the keys', where the key naming
    each mapping value is. The C loader builds the tree (`adopt`); the Python one fills
    `Stores`."""

    __slots__ = ("root", "shapes", "top")

    def __init__(self) -> None:
        self.root: int | None = None  # the position of the document's top node (path ())
        self.top: Store | None = None  # the top node's store, when it is a collection
        self.shapes: Collection[Shape] = ()  # every mapping's, once each

    def adopt(self, root: int | None, top: Store | None, shapes: Collection[Shape]) -> None:
        self.root = root
        self.top = top
        self.shapes = shapes

    def find(self, path: Path_, side: int) -> Position | None:
        """Where the key (side 0) or the value (side 1) at `path` is, or None."""
        if not path:
            return unpack(self.root) if side and self.root is not None else None
        store = self.top
        for part in path[:-1]:
            children = _children(store) if store is not None else None
            index = _index(store, part) if children is not None else None  # type: ignore[arg-type]
            if index is None:
                return None
            store = children[index]  # type: ignore[index]
        if store is None:
            return None
        index = _index(store, path[-1])
        if index is None:
            return None
        if _shape(store) is not None:
            found = _packed(store)[2 * index + side]
        elif side:
            found = _packed(store)[index]
        else:
            return None
        return unpack(found) if found != _NONE else None

    def collections(self) -> Iterator[tuple[Path_, Store]]:
        """Each collection's path and store, in the order the collections start."""
        if self.top is None:
            return
        pending: list[tuple[Path_, Store]] = [((), self.top)]
        while pending:
            path, store = pending.pop()
            yield path, store
            children = _children(store)
            if children is None:
                continue
            shape = _shape(store)
            parts = list(shape) if shape is not None else range(len(children))
            below = [((*path, part), child) for part, child in zip(parts, children, strict=True)
                     if child is not None]
            pending.extend(reversed(below))  # popped first to last

    def items(self, side: int) -> Iterator[tuple[Path_, Position]]:
        """Every (path, position) of one side: the top node, then collection by
        collection, in the order they start."""
        if side and self.root is not None:
            yield (), unpack(self.root)
        for parent, store in self.collections():
            packed = _packed(store)
            shape = _shape(store)
            if shape is not None:
                for key, index in shape.items():
                    found = packed[2 * index + side]
                    if found != _NONE:
                        yield (*parent, key), unpack(found)
            elif side:
                for index, found in enumerate(packed):
                    yield (*parent, index), unpack(found)

    def names(self) -> set[Any]:
        """Every mapping key recorded, wherever it is (the last part of each path): the
        keys of the shapes, which are few (a 100k-transform file has 11)."""
        return set().union(*self.shapes)


class Side:
    """One side of `Positions` (keys or values), read like a mapping path -> position.
    Made when asked for (`Located.values`): held by the positions, it would make a
    reference cycle, which only the cyclic collector frees (never, in the CLI)."""

    VALUES, KEYS = 1, 0

    __slots__ = ("_positions", "_side")

    def __init__(self, positions: Positions, side: int) -> None:
        self._positions = positions
        self._side = side

    def get(self, path: Path_, default: Position | None = None) -> Position | None:
        found = self._positions.find(path, self._side)
        return default if found is None else found

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self._positions.find(path, self._side) is not None

    def __getitem__(self, path: Path_) -> Position:
        found = self._positions.find(path, self._side)
        if found is None:
            raise KeyError(path)
        return found

    def items(self) -> Iterator[tuple[Path_, Position]]:
        return self._positions.items(self._side)

    def names(self) -> set[Any]:
        """Every mapping key recorded, wherever it is."""
        return self._positions.names()


class Stores:
    """What the Python loader fills as it goes, then compacts into `Positions`: a dict
    key -> packed position per mapping, for its values and for its keys, and an array
    per sequence, each under its path. A merge source or a duplicate key's value may
    revisit a path."""

    __slots__ = ("keys", "root", "values")

    def __init__(self) -> None:
        self.values: dict[Path_, dict[Any, int] | array[int]] = {}
        self.keys: dict[Path_, dict[Any, int]] = {}
        self.root: int | None = None

    def mapping(self, path: Path_, *, replace: bool = True) -> tuple[dict[Any, int],
                                                                       dict[Any, int]]:
        """The stores of the mapping at `path`, to fill: its values' and its keys'
        positions by key. With `replace` False (a merge source, or a duplicate key's
        value built to be dropped), a collection already at `path` keeps its positions
        and the stores returned are not kept."""
        values: dict[Any, int] = {}
        keys: dict[Any, int] = {}
        if replace or path not in self.values:
            self.values[path] = values
            self.keys[path] = keys
        return values, keys

    def sequence(self, path: Path_, *, replace: bool = True) -> array[int]:
        """The store of the sequence at `path`, to fill: packed positions by index."""
        store = array("q")
        if replace or path not in self.values:
            self.values[path] = store
            self.keys.pop(path, None)
        return store

    def compact(self) -> Positions:
        """The tree, built from the deepest collections up."""
        shapes: dict[tuple[Any, ...], Shape] = {}
        flat: dict[Path_, tuple[Shape | None, array[int]]] = {}
        for path, store in self.values.items():
            if isinstance(store, array):
                flat[path] = None, store
                continue
            keys = self.keys.get(path, {})
            order = tuple(dict.fromkeys([*store, *keys]))
            packed = array("q", [_NONE]) * (2 * len(order))
            for i, key in enumerate(order):
                packed[2 * i] = keys.get(key, _NONE)
                packed[2 * i + 1] = store.get(key, _NONE)
            flat[path] = shapes.setdefault(order, {k: i for i, k in enumerate(order)}), packed
        children: dict[Path_, list[Store | None]] = {}
        built: dict[Path_, Store] = {}
        for path in reversed(flat):  # a collection's descendants come after it
            shape, packed = flat[path]
            built[path] = _store(shape, packed.tobytes(), children.pop(path, None))
            if not path or path[:-1] not in flat:
                continue
            parent_shape, parent_packed = flat[path[:-1]]
            index: int | None = parent_shape.get(path[-1]) if parent_shape is not None \
                else path[-1] if type(path[-1]) is int else None
            size = len(parent_shape) if parent_shape is not None else len(parent_packed)
            if index is not None and 0 <= index < size:
                children.setdefault(path[:-1], [None] * size)[index] = built[path]
        positions = Positions()
        positions.adopt(self.root, built.get(()), list(shapes.values()))
        return positions


def _store(shape: Shape | None, packed: bytes, children: list[Store | None] | None) -> Store:
    """A collection's store, in the form the module's docstring gives."""
    if shape is None:
        return packed if children is None else (packed, tuple(children))
    return (shape, packed) if children is None else (shape, packed, tuple(children))
