"""The files `floe init` writes to start a data product: a floe.yaml and a manifest.yaml that
validate and compile, a pre-commit configuration with floe's hook, and editor settings that
map the JSON Schemas (written beside them) onto both files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from floe_compiler import REPOSITORY, __version__

SCHEMA_DIR = "schemas"  # as `floe schema` writes it, relative to the product


@dataclass(frozen=True)
class Scaffold:
    name: str         # metadata.name of the product
    owner: str        # an email address
    hooks_repo: str = REPOSITORY
    hooks_rev: str = f"v{__version__}"


def product_name(directory: Path) -> str:
    """A floe product name (lowercase letters, digits, '-', starting with a letter) from a
    directory name: `Customer Analytics_2` -> `customer-analytics-2`."""
    words = re.findall(r"[a-z0-9]+", directory.resolve().name.lower())
    name = "-".join(words).lstrip("0123456789-")
    return name or "my-product"


def files(scaffold: Scaffold) -> dict[str, str]:
    """Every file to write, by path relative to the product directory."""
    schemas = {"floe-spec": f"./{SCHEMA_DIR}/floe-spec.schema.json",
               "manifest": f"./{SCHEMA_DIR}/manifest.schema.json"}
    settings = {"yaml.schemas": {
        schemas["floe-spec"]: ["floe.yaml", "floe.yml", "**/floe.yaml", "**/floe.yml"],
        schemas["manifest"]: ["manifest.yaml", "manifest.yml", "**/manifest.yaml",
                              "**/manifest.yml"],
    }}
    return {
        "floe.yaml": _FLOE_YAML.format(name=scaffold.name, owner=scaffold.owner),
        "manifest.yaml": _MANIFEST_YAML.format(owner=scaffold.owner),
        ".pre-commit-config.yaml": _PRE_COMMIT.format(repo=scaffold.hooks_repo,
                                                      rev=scaffold.hooks_rev),
        ".vscode/settings.json": json.dumps(settings, indent=2) + "\n",
    }


_FLOE_YAML = """\
# The data product: what to build and where it goes. Check it with `floe validate`,
# compile it with `floe compile`; `floe explain CODE` explains any finding.
apiVersion: floe.dev/v1
kind: FloeSpec
metadata:
  name: {name}
  version: 0.1.0
  description: A new floe data product.
  owner: {owner}
platform:
  manifest: manifest.yaml
transforms:
  - name: stg_example
    tier: bronze
  - name: mart_example
    tier: gold
    dependsOn: [stg_example]
schedule:
  cron: "0 6 * * *"
  timezone: UTC
"""

_MANIFEST_YAML = """\
# The platform: which plugins run data products, and what they may use.
apiVersion: floe.dev/v1
kind: Manifest
metadata:
  name: data-platform
  version: 1.0.0
  owner: {owner}
scope: enterprise
plugins:
  compute:
    type: duckdb
  orchestrator:
    type: dagster
approved_plugins:
  compute: [duckdb]
  orchestrator: [dagster]
approved_sinks:
  - sql_database
  - rest_api
"""

_PRE_COMMIT = """\
# Runs `floe check` on every commit that touches a floe.yaml or manifest.yaml:
# validation, and the compiled artifact's freshness, one report per commit.
repos:
  - repo: {repo}
    rev: {rev}
    hooks:
      - id: floe-check
"""
