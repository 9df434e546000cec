"""Synthetic but realistic inputs for the benchmarks: big projects and many small files."""

from __future__ import annotations

import random
from pathlib import Path

MANIFEST = """\
apiVersion: floe.dev/v1
kind: Manifest
metadata:
  name: bench-platform
  version: 1.0.0
  owner: platform@acme.com
plugins:
  compute:
    type: duckdb
    config:
      threads: 4
  orchestrator:
    type: dagster
  catalog:
    type: polaris
    connection_secret_ref: polaris-credentials
    config:
      uri: http://polaris:8181/api/catalog
      warehouse: acme
governance:
  policy_enforcement_level: strict
  audit_logging: enabled
scope: enterprise
approved_plugins:
  compute: [duckdb, snowflake, spark]
  orchestrator: [dagster]
approved_sinks: [rest_api, sql_database, webhook]
"""

SINKS = ("rest_api", "sql_database", "webhook")
TIERS = ("bronze", "silver", "gold")


def project_spec(transforms: int, destinations: int, seed: int = 6) -> str:
    """A floe.yaml whose transforms form a realistic DAG: each depends on 1-3 earlier ones."""
    rng = random.Random(seed)
    out = [
        "apiVersion: floe.dev/v1",
        "kind: FloeSpec",
        "metadata:",
        "  name: bench-product",
        "  version: 1.0.0",
        "  description: Generated for floe-compiler benchmarks",
        "  owner: data@acme.com",
        "  labels: {domain: bench, tier: gold}",
        "platform:",
        "  manifest: manifest.yaml",
        "schedule:",
        "  cron: '0 6 * * *'",
        "  timezone: UTC",
        "transforms:",
    ]
    for i in range(transforms):
        out.append(f"  - name: model_{i:05d}")
        out.append("    compute: duckdb")
        out.append(f"    tier: {TIERS[min(2, i * 3 // transforms)]}")
        out.append(f"    tags: [{TIERS[i % 3]}, generated]")
        if i:
            deps = sorted(rng.sample(range(max(0, i - 50), i), min(i, rng.randint(1, 3))))
            out.append("    dependsOn: [" + ", ".join(f"model_{d:05d}" for d in deps) + "]")
    if destinations:
        out.append("destinations:")
    for i in range(destinations):
        out += [
            f"  - name: sync-{i:04d}",
            f"    sink_type: {SINKS[i % len(SINKS)]}",
            f"    connection_secret_ref: sink-credentials-{i % 7}",
            f"    source_table: gold.model_{(i * 7) % max(transforms, 1):05d}",
            "    batch_size: 500",
            "    config:",
            "      object: Contact",
            "      mode: upsert",
            "      primary_key: [External_Id__c]",
            "      retry: {max_attempts: 3}",
            "    field_mapping:",
            "      customer_id: External_Id__c",
            "      email: Email",
        ]
    return "\n".join(out) + "\n"


def write_project(directory: Path, transforms: int, destinations: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    spec = directory / "floe.yaml"
    spec.write_text(project_spec(transforms, destinations), encoding="utf-8")
    return spec


def many_specs(template: str, directory: Path, count: int) -> list[Path]:
    """`count` distinct valid copies of one floe.yaml (each renamed, so no two are equal)."""
    paths = []
    for i in range(count):
        path = directory / f"product-{i:03d}" / "floe.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.replace("name: customer-360", f"name: customer-{i:03d}", 1),
                        encoding="utf-8")
        paths.append(path)
    return paths
