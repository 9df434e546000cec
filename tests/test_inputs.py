"""What the arguments name: `-` (standard input), directories, and `floe check`'s products."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import VALID_MANIFEST, VALID_SPEC, Write

BROKEN_SPEC = VALID_SPEC.replace("version: 1.0.0", "version: '1.0'")


def floe(*args: str | Path, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "floe_compiler", *map(str, args)], cwd=cwd,
                          input=stdin.decode(), capture_output=True, text=True, timeout=60)


def test_stdin_is_located_and_kinded_by_its_filename(write: Write, tmp_path: Path) -> None:
    write("manifest.yaml", VALID_MANIFEST)
    text = BROKEN_SPEC.replace("kind: FloeSpec\n", "").replace("apiVersion: floe.dev/v1\n", "")
    proc = floe("validate", "-", "--stdin-filename", "floe.yaml", cwd=tmp_path,
                stdin=(("apiVersion: floe.dev/v1\n") + text).encode())
    assert proc.returncode == 1
    assert "floe.yaml:4:12: FLOE-E104 error: metadata.version: '1.0'" in proc.stdout
    assert "No such file" not in proc.stdout + proc.stderr


def test_stdin_finds_the_manifest_beside_its_filename(write: Write, tmp_path: Path) -> None:
    write("manifest.yaml", VALID_MANIFEST + "scope: enterprise\napproved_sinks: [sql_database]\n")
    spec = VALID_SPEC + ("destinations:\n  - name: crm\n    sink_type: rest_api\n"
                         "    connection_secret_ref: crm\n    source_table: gold.c\n")
    proc = floe("validate", "-", "--stdin-filename", "floe.yaml", cwd=tmp_path,
                stdin=spec.encode())
    assert "FLOE-E201" in proc.stdout, proc.stdout


def test_stdin_without_a_name_is_stdin(tmp_path: Path) -> None:
    proc = floe("validate", "-", cwd=tmp_path, stdin=BROKEN_SPEC.encode())
    assert "<stdin>:5:12: FLOE-E104" in proc.stdout


def test_stdin_is_bounded(tmp_path: Path) -> None:
    proc = floe("validate", "--max-bytes", "100", "-", cwd=tmp_path, stdin=b"a: b\n" * 1000)
    assert proc.returncode == 1 and "FLOE-E009" in proc.stdout


def test_a_directory_means_the_floe_files_below_it_minus_gitignored(write: Write,
                                                                    tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(".gitignore", "build/\n")
    write("products/orders/floe.yaml", BROKEN_SPEC)
    write("products/orders/manifest.yaml", VALID_MANIFEST)
    write("products/orders/notes.yaml", "not: checked\n")
    write("build/products/orders/floe.yaml", BROKEN_SPEC)  # ignored
    proc = floe("validate", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert "products/orders/floe.yaml:5:12: FLOE-E104" in proc.stdout
    assert "build/" not in proc.stdout and "notes.yaml" not in proc.stdout
    assert "2 files checked" in proc.stdout


def test_an_empty_directory_is_an_error_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = floe("validate", "empty", cwd=tmp_path)
    assert proc.returncode == 2
    assert "empty:1:1: FLOE-E001 error: no floe.yaml or manifest.yaml (.yml) below this " \
           "directory" in proc.stdout


def test_check_reports_a_broken_product_once_and_each_stale_artifact(write: Write,
                                                                     tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write("manifest.yaml", VALID_MANIFEST)
    write("products/orders/floe.yaml", BROKEN_SPEC.replace("manifest.yaml", "../../manifest.yaml"))
    write("products/sales/floe.yaml", VALID_SPEC.replace("manifest.yaml", "../../manifest.yaml")
          .replace("name: orders", "name: sales"))
    write("products/sales/models/schema.yml", "x: 1\n")
    proc = floe("check", "products/orders/floe.yaml", "products/sales/floe.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.count("FLOE-E104") == 1  # validated once, not again by compile
    assert "products/sales/target/compiled_artifacts.json is stale: it does not exist" in proc.stdout
    assert "products/orders/target" not in proc.stdout  # it does not compile: no artifact
    assert floe("compile", "--spec", "products/sales/floe.yaml", "--output",
                "products/sales/target/compiled_artifacts.json", cwd=tmp_path).returncode == 0
    # The manifest belongs to no product; a file under a product belongs to it.
    ok = floe("check", "manifest.yaml", "products/sales/floe.yaml", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout
    only = floe("check", "--artifacts-only", "products/orders/floe.yaml", cwd=tmp_path)
    assert only.returncode == 1
    assert "FLOE-E104" not in only.stdout
    assert "products/orders/floe.yaml does not compile: `floe validate products/orders/floe.yaml`" \
        in only.stderr
