"""Frozen Pydantic models of the two input files (and, in `artifact`, the output)."""

from floe_compiler.models.manifest import PlatformManifest
from floe_compiler.models.spec import DestinationConfig, FloeSpec

__all__ = ["DestinationConfig", "FloeSpec", "PlatformManifest"]
