"""floe-core's verdict on floe.yaml/manifest.yaml pairs, run inside the oracle venv.

Reads one JSON object per line on stdin, {"spec": text, "manifest": text}, and answers
each with one line, {"accept": bool, "stage": ..., "why": ...}. One process answers a
whole run: floe-core takes about a second to import.

The verdict is floe-core 0.1.0a1's `compile_pipeline` up to and including its sink
whitelist: loading (PyYAML safe_load + the pydantic models), the quality provider check,
plugin and transform resolution and ingestion resolution. Its later stages need the
selected plugins installed and a dbt project (storage/catalog deployment bindings, dbt
profiles, governance policy enforcement over dbt models); they judge an installation,
not the two files, and are left out (see the README's "Compatibility with floe-core").
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import yaml
from floe_core.compilation.resolver import (
    resolve_ingestion_config,
    resolve_manifest_inheritance,
    resolve_plugins,
    resolve_transform_compute,
)
from floe_core.schemas.floe_spec import FloeSpec
from floe_core.schemas.manifest import PlatformManifest
from floe_core.schemas.plugins import validate_sink_whitelist
from floe_core.validation.quality_validation import validate_quality_provider


def verdict(spec_text: str, manifest_text: str) -> dict[str, Any]:
    stage = "load"
    try:
        spec_data = yaml.safe_load(spec_text) or {}
        manifest_data = yaml.safe_load(manifest_text) or {}
        stage = "validate"
        spec = FloeSpec.model_validate(spec_data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown manifest keys: a warning upstream
            manifest = PlatformManifest.model_validate(manifest_data)
        if manifest.plugins.quality is not None:
            validate_quality_provider(manifest.plugins.quality.provider)
        stage = "resolve"
        resolved = resolve_manifest_inheritance(manifest)
        plugins = resolve_plugins(resolved)
        resolve_ingestion_config(spec, plugins)
        resolve_transform_compute(spec, resolved)
        stage = "enforce"
        if manifest.approved_sinks is not None and spec.destinations is not None:
            for destination in spec.destinations:
                validate_sink_whitelist(destination.sink_type, manifest.approved_sinks)
    except Exception as exc:  # every failure is a rejection; the stage says which kind
        return {"accept": False, "stage": stage, "why": f"{type(exc).__name__}: {exc}"[:400]}
    return {"accept": True, "stage": "done", "why": ""}


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.write(json.dumps(verdict(request["spec"], request["manifest"])) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
