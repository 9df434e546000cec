"""Editor latency: from a change of the buffer to its diagnostics, `floe lsp` vs Red Hat's
yaml-language-server (the engine of VS Code's YAML extension) with floe's schema.

`python benchmarks/lsp_latency.py [--changes N]`. Both servers are started once and
warmed up (start-up is not measured); then the same 2.5 kB floe.yaml is changed in each,
alternately valid and with a schema error, interleaved change by change, and the time
until the server publishes diagnostics for it is taken. yaml-language-server waits
~200 ms after a change before it validates; floe validates at once.

Needs `make yaml-language-server` (node + the pinned server under .cache/yls).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.lsp_client import LspClient  # noqa: E402

YLS = ROOT / ".cache" / "yls" / "node_modules" / "yaml-language-server" / "bin" / \
    "yaml-language-server"
SCHEMA = ROOT / "schemas" / "floe-spec.schema.json"
EXAMPLE = ROOT / "examples" / "customer-analytics" / "floe.yaml"
TARGET_BYTES = 2500
TARGET_MS = 50.0


def document(schema: Path) -> str:
    """The example floe.yaml, with transforms added until it is 2.5 kB."""
    lines = EXAMPLE.read_text().splitlines(keepends=True)
    body = "".join(line for line in lines if not line.startswith("# yaml-language-server"))
    text = f"# yaml-language-server: $schema={schema}\n{body}"
    extra, n = "", 0
    while len(text.encode()) + len(extra.encode()) < TARGET_BYTES:
        n += 1
        extra += (f"  - name: int_extra_{n}\n    tags: [intermediate]\n    tier: silver\n"
                  f"    dependsOn: [stg_orders]\n")
    return text.replace("\nschedule:", f"{extra}\nschedule:", 1)


def latency(client: LspClient, uri: str, text: str, version: int, errors: bool) -> float:
    client.diagnostics.pop(uri, None)
    start = time.perf_counter()
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]})
    found = client.wait_for_diagnostics(uri, timeout=10)
    elapsed = time.perf_counter() - start
    if bool(found) != errors:  # each server must have judged this very text
        raise RuntimeError(f"version {version}: expected {'errors' if errors else 'none'}, "
                           f"got {found}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=41, help="changes per server")
    args = parser.parse_args()
    node = shutil.which("node")
    if node is None or not YLS.is_file():
        sys.exit("needs node and `make yaml-language-server`")
    floe = Path(sys.executable).parent / "floe"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        shutil.copy(EXAMPLE.parent / "manifest.yaml", root / "manifest.yaml")
        path = root / "floe.yaml"
        good = document(SCHEMA)
        bad = good.replace("tier: bronze", "tier: platinum", 1)  # an error for both servers
        path.write_text(good)
        uri = path.as_uri()
        servers = {
            "floe lsp": LspClient([str(floe), "lsp"], {}, root),
            "yaml-language-server 1.25.0": LspClient(
                [node, str(YLS), "--stdio"],
                {"yaml": {"validate": True, "schemaStore": {"enable": False}}}, root),
        }
        times: dict[str, list[float]] = {name: [] for name in servers}
        try:
            for client in servers.values():
                client.initialize(root)
                client.open(uri, good)
                client.wait_for_diagnostics(uri, timeout=30)
            for version in range(2, 2 + 5):  # warm-up: caches, JIT, the schema compiled
                for client in servers.values():
                    latency(client, uri, bad if version % 2 else good, version, version % 2 == 1)
            for version in range(7, 7 + args.changes):
                for name, client in servers.items():
                    times[name].append(latency(client, uri, bad if version % 2 else good,
                                               version, version % 2 == 1))
        finally:
            for client in servers.values():
                client.shutdown()
    size = len(good.encode())
    floe_ms = statistics.median(times["floe lsp"]) * 1000
    yls_ms = statistics.median(times["yaml-language-server 1.25.0"]) * 1000
    print(f"change -> diagnostics, {size} B floe.yaml, {args.changes} changes per server, "
          "interleaved (median / 90th percentile):")
    for name, values in times.items():
        ordered = sorted(values)
        p90 = ordered[int(0.9 * (len(ordered) - 1))] * 1000
        print(f"  {name:<30} {statistics.median(values) * 1000:7.1f} ms  {p90:7.1f} ms")
    print(f"  ratio floe / yaml-language-server: {floe_ms / yls_ms:.3f}x "
          f"({yls_ms / floe_ms:.0f}x faster)")
    print(f"  target: floe within {TARGET_MS:.0f} ms: "
          f"{'met' if floe_ms <= TARGET_MS else 'missed'}")


if __name__ == "__main__":
    main()
