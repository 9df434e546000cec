"""Load assurance: checksums, deterministic idempotency keys, delivery timestamps."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

# Fixed forever: changing it would change every key and defeat deduplication of reruns.
_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://floe.dev/idempotency-key")

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def sha256_hex(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def idempotency_key(destination: str, snapshot_id: int | None, batch_ordinal: int | str,
                    payload_sha256: str) -> str:
    """A UUID naming one batch of one snapshot for one destination.

    A rerun of the same snapshot sends the same batches with the same keys, so a
    destination that deduplicates on the key (an `Idempotency-Key` header) applies
    each batch once.
    """
    name = "\x1f".join((destination, str(snapshot_id), str(batch_ordinal), payload_sha256))
    return str(uuid.uuid5(_KEY_NAMESPACE, name))


def utc_now() -> str:
    """ISO-8601 in UTC with milliseconds: 2024-05-01T06:00:00.123+00:00."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
