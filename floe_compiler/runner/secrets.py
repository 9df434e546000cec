"""Connection secrets, resolved at run time from a mounted Kubernetes Secret.

A Secret mounted as a volume is a directory with one file per key:
`/var/run/secrets/floe/<connection_secret_ref>/<key>`. For local runs,
`FLOE_SECRETS_DIR` replaces `/var/run/secrets/floe`. Values are never printed:
`Secret.scrub` masks them in any message that might quote one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from floe_compiler.credentials import mask_values
from floe_compiler.display import printable
from floe_compiler.reading import TooLarge, read_bounded

DEFAULT_SECRETS_ROOT = Path("/var/run/secrets/floe")
SECRETS_DIR_VARIABLE = "FLOE_SECRETS_DIR"
MAX_SECRET_BYTES = 1024 * 1024  # Kubernetes' limit for a whole Secret


class SecretError(Exception):
    """A secret is missing or unreadable. The message names paths and keys, never values."""


@dataclass(frozen=True)
class Secret:
    ref: str
    values: dict[str, str] = field(repr=False)

    def scrub(self, text: str) -> str:
        """`text` with every secret value (and any password inside a URL value) masked."""
        return mask_values(text, self.values.values())


def secrets_root(environ: Mapping[str, str] = os.environ) -> Path:
    override = environ.get(SECRETS_DIR_VARIABLE)
    return Path(override) if override else DEFAULT_SECRETS_ROOT


def read_secret(ref: str, root: Path) -> Secret:
    directory = root / ref
    if not directory.is_dir():
        raise SecretError(
            f"secret '{ref}' not found: no directory {directory} (mount the Kubernetes Secret "
            f"there, or set {SECRETS_DIR_VARIABLE} to a directory holding {ref}/<key> files)")
    values: dict[str, str] = {}
    # Kubernetes adds `..data` and timestamped `..2024_...` entries beside the key links.
    for entry in sorted(p for p in directory.iterdir() if not p.name.startswith(".")):
        if not entry.is_file():
            continue
        key = printable(entry.name)
        try:
            text = read_bounded(entry, MAX_SECRET_BYTES).decode("utf-8")
        except TooLarge:
            raise SecretError(f"secret '{ref}': key '{key}' is larger than {MAX_SECRET_BYTES} "
                              "bytes, the most a Kubernetes Secret holds") from None
        except UnicodeDecodeError:
            raise SecretError(f"secret '{ref}': key '{key}' is not UTF-8 text") from None
        except OSError as exc:
            raise SecretError(
                f"secret '{ref}': cannot read key '{key}': {exc.strerror}") from None
        # `kubectl create secret --from-file` keeps an editor's final newline.
        values[entry.name] = text.rstrip("\r\n")
    if not values:
        raise SecretError(f"secret '{ref}' has no keys: {directory} holds no files")
    return Secret(ref, values)
