"""Read ahead: the next batches of a run are read from Iceberg and decoded in one
background thread while the current batch is written, a fixed number of batches ahead.

Reading (Parquet decoding) and writing (ADBC bulk ingest) both release the GIL, so on
two cores the read of batch N+1 overlaps the write of batch N instead of following it.
Memory stays bounded by the batch size: the thread holds at most `depth` batches ready
plus the one it is reading.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import TypeVar, cast

T = TypeVar("T")

DEFAULT_DEPTH = 1  # batches ready beyond the one being written: enough to hide a read


@dataclass(frozen=True)
class _Raised:
    error: BaseException


_END = object()


def read_ahead(source: Iterable[T], depth: int = DEFAULT_DEPTH) -> Generator[T, None, None]:
    """`source`'s items in order, read by one thread (named `floe-read`) up to `depth`
    items ahead of the consumer.

    An exception `source` raises is raised here, where its item would have come (the
    items before it first), as the same exception object. Leaving a loop over the
    result early (`close()`, an exception, garbage collection) stops the thread: it
    finishes the item it is reading, closes `source`, and is joined before `close()`
    returns, so it never outlives its consumer nor hangs on a full queue. Nothing
    starts before the first item is asked for.
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    closing = threading.Event()

    def produce() -> None:
        items = iter(source)
        try:
            for item in items:
                ready.put(item)  # a full queue blocks until the consumer takes or closes
                if closing.is_set():
                    return
            ready.put(_END)
        except BaseException as error:  # handed to the consumer, raised there
            ready.put(_Raised(error))
        finally:
            close = getattr(items, "close", None)
            if callable(close):
                close()

    thread = threading.Thread(target=produce, name="floe-read", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield cast(T, item)  # anything else came from `source`
    finally:
        closing.set()
        while thread.is_alive():  # make room for its last put, so it can see `closing`
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
        thread.join()
