"""The hooks in .pre-commit-hooks.yaml, run for real by pre-commit in a data product's
repository: pre-commit clones this checkout, installs floe into its own environment
(from the package index) and runs the hooks on `git commit`.

pre-commit clones a repository at a commit, so the tests first commit a snapshot of
this checkout as it is on disk, new and modified files included. (`pre-commit
try-repo` does that too, but installs a fresh environment on every call and leaves
untracked files out; one snapshot installs once for every test here.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT, VALID_MANIFEST, VALID_SPEC

pytestmark = pytest.mark.slow

if shutil.which("git") is None:  # pragma: no cover - every CI machine has git
    pytest.skip("git is needed to run pre-commit", allow_module_level=True)

TIMEOUT = 600  # seconds; the first hook run installs floe and its dependencies


def run(cwd: Path, *args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Git without the user's configuration, and a pre-commit cache of our own."""
    return {**os.environ, "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Data Engineer", "GIT_AUTHOR_EMAIL": "de@acme.com",
            "GIT_COMMITTER_NAME": "Data Engineer", "GIT_COMMITTER_EMAIL": "de@acme.com"}


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[Path, str]:
    """This checkout, as on disk, committed to a repository of its own: (path, commit)."""
    snapshot = tmp_path_factory.mktemp("floe-compiler")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file may have been deleted
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        assert run(snapshot, "git", *args, env=env).returncode == 0
    sha = run(snapshot, "git", "rev-parse", "HEAD", env=env).stdout.strip()
    return snapshot, sha


@pytest.fixture
def product(tmp_path: Path, hooks_repo: tuple[Path, str], env: dict[str, str]) -> Path:
    """A data product's repository with both hooks installed."""
    repo, sha = hooks_repo
    (tmp_path / ".pre-commit-config.yaml").write_text(textwrap.dedent(f"""\
        repos:
          - repo: {repo}
            rev: {sha}
            hooks:
              - id: floe-validate
              - id: floe-compile-check
        """))
    assert run(tmp_path, "git", "init", "-q", env=env).returncode == 0
    installed = run(tmp_path, sys.executable, "-m", "pre_commit", "install", env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (tmp_path / "manifest.yaml").write_text(VALID_MANIFEST)
    return tmp_path


def commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert run(repo, "git", "add", "-A", env=env).returncode == 0
    return run(repo, "git", "commit", "-m", "change", env=env)


def hook_result(output: str, name: str) -> tuple[str, str]:
    """One hook's status ('Passed', 'Failed', ...) and own output, from pre-commit's report."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}..."))
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"\S.*\.{4,}", lines[i])),
               len(lines))
    return lines[start].rsplit(".", 1)[1], "\n".join(lines[start + 1:end])


def compile_artifact(repo: Path, env: dict[str, str]) -> None:
    result = run(repo, sys.executable, "-m", "floe_compiler", "compile", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_floe_yaml_fails_the_commit_and_the_fixed_one_passes(
        product: Path, env: dict[str, str]) -> None:
    spec = product / "floe.yaml"
    spec.write_text(VALID_SPEC.replace("version: 1.0.0", "version: '1.0'"))
    refused = commit(product, env)
    status, output = hook_result(refused.stdout + refused.stderr, "floe validate")
    assert refused.returncode != 0
    assert status == "Failed", output
    assert "floe.yaml:5:12: FLOE-E104 error: metadata.version: '1.0' does not match" in output
    assert run(product, "git", "rev-parse", "--verify", "HEAD", env=env).returncode != 0

    spec.write_text(VALID_SPEC)
    compile_artifact(product, env)
    accepted = commit(product, env)
    output = accepted.stdout + accepted.stderr  # git shows hook output on stderr
    assert accepted.returncode == 0, output
    assert hook_result(output, "floe validate")[0] == "Passed"
    assert hook_result(output, "floe compile --check")[0] == "Passed"


def test_a_staged_floe_yaml_is_checked_against_the_committed_manifest(
        product: Path, env: dict[str, str]) -> None:
    (product / "manifest.yaml").write_text(VALID_MANIFEST + "scope: enterprise\n"
                                           "approved_sinks: [sql_database]\n")
    spec = product / "floe.yaml"
    spec.write_text(VALID_SPEC)
    compile_artifact(product, env)
    assert commit(product, env).returncode == 0

    spec.write_text(VALID_SPEC.replace("  - name: stg_orders\n",
                                       "  - name: stg_orders\n    dependsOn: [mart_orders]\n")
                    + "destinations:\n  - name: crm\n    sink_type: kafka\n"
                      "    connection_secret_ref: crm\n    source_table: gold.orders\n")
    refused = commit(product, env)  # only floe.yaml is staged
    status, output = hook_result(refused.stdout + refused.stderr, "floe validate")
    assert refused.returncode != 0
    assert status == "Failed", output
    assert "FLOE-E205 error: dependency cycle: stg_orders -> mart_orders -> stg_orders" in output
    assert "FLOE-E201 error: sink type 'kafka'" in output


def test_stale_artifact_fails_the_commit(product: Path, env: dict[str, str]) -> None:
    spec = product / "floe.yaml"
    spec.write_text(VALID_SPEC)
    compile_artifact(product, env)
    assert commit(product, env).returncode == 0

    spec.write_text(VALID_SPEC + "  - name: fct_orders\n    dependsOn: [mart_orders]\n")
    refused = commit(product, env)
    report = refused.stdout + refused.stderr
    assert refused.returncode != 0, report
    assert hook_result(report, "floe validate")[0] == "Passed"
    status, output = hook_result(report, "floe compile --check")
    assert status == "Failed"
    assert "FLOE-E208" in output and "is stale: transforms added: fct_orders" in output

    compile_artifact(product, env)
    accepted = commit(product, env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_hooks_skip_other_files(product: Path, env: dict[str, str]) -> None:
    (product / "README.md").write_text("# orders\n")
    (product / "manifest.yaml").unlink()
    result = commit(product, env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert hook_result(output, "floe validate")[0] == "(no files to check)Skipped"


def repository(path: Path, hooks: str, env: dict[str, str]) -> Path:
    assert run(path, "git", "init", "-q", env=env).returncode == 0
    (path / ".pre-commit-config.yaml").write_text(hooks)
    installed = run(path, sys.executable, "-m", "pre_commit", "install", env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return path


def test_the_old_hooks_together_report_a_broken_file_once(product: Path,
                                                           env: dict[str, str]) -> None:
    (product / "floe.yaml").write_text(VALID_SPEC.replace("version: 1.0.0", "version: '1.0'"))
    refused = commit(product, env)
    report = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert hook_result(report, "floe validate")[0] == "Failed"
    status, output = hook_result(report, "floe compile --check")
    assert status == "Failed"
    assert report.count("FLOE-E104") == 1
    assert "floe.yaml does not compile: `floe validate floe.yaml` shows why" in output


def test_floe_check_in_a_monorepo_one_report_per_commit(
        tmp_path: Path, hooks_repo: tuple[Path, str], env: dict[str, str]) -> None:
    repo, sha = hooks_repo
    mono = repository(tmp_path, f"repos:\n  - repo: {repo}\n    rev: {sha}\n    hooks:\n"
                                "      - id: floe-check\n", env)
    (mono / "platform").mkdir()
    (mono / "platform" / "manifest.yaml").write_text(VALID_MANIFEST)
    for name in ("orders", "sales"):
        product = mono / "products" / name
        product.mkdir(parents=True)
        (product / "floe.yaml").write_text(VALID_SPEC.replace(
            "manifest: manifest.yaml", "manifest: ../../platform/manifest.yaml").replace(
            "name: orders", f"name: {name}"))
        done = run(product, sys.executable, "-m", "floe_compiler", "compile", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    accepted = commit(mono, env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert hook_result(accepted.stdout + accepted.stderr, "floe check")[0] == "Passed"

    orders = mono / "products" / "orders" / "floe.yaml"
    orders.write_text(orders.read_text().replace("version: 1.0.0", "version: '1.0'"))
    sales = mono / "products" / "sales" / "floe.yaml"
    sales.write_text(sales.read_text() + "  - name: fct_sales\n    dependsOn: [mart_orders]\n")
    refused = commit(mono, env)
    status, output = hook_result(refused.stdout + refused.stderr, "floe check")
    assert refused.returncode != 0 and status == "Failed", output
    assert output.count("FLOE-E104") == 1
    assert "products/orders/floe.yaml:5:12: FLOE-E104" in output
    assert ("products/sales/target/compiled_artifacts.json is stale: transforms added: "
            "fct_sales") in output


def test_the_config_floe_init_writes_runs_for_real(
        tmp_path: Path, hooks_repo: tuple[Path, str], env: dict[str, str]) -> None:
    repo, sha = hooks_repo
    assert run(tmp_path, "git", "init", "-q", env=env).returncode == 0
    made = run(tmp_path, sys.executable, "-m", "floe_compiler", "init", "--hooks-repo", repo,
               "--hooks-rev", sha, env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    installed = run(tmp_path, sys.executable, "-m", "pre_commit", "install", env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    compile_artifact(tmp_path, env)
    accepted = commit(tmp_path, env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert hook_result(accepted.stdout + accepted.stderr, "floe check")[0] == "Passed"
    spec = tmp_path / "floe.yaml"
    spec.write_text(spec.read_text().replace("dependsOn: [stg_example]", "dependsOn: stg_example"))
    refused = commit(tmp_path, env)
    status, output = hook_result(refused.stdout + refused.stderr, "floe check")
    assert refused.returncode != 0 and status == "Failed", output
    assert "FLOE-E103" in output
