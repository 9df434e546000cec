"""`floe init`: a new product's files, each of which validates, and nothing overwritten."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Run


def test_init_writes_a_product_that_validates_and_compiles(run: Run, tmp_path: Path) -> None:
    product = tmp_path / "Customer Analytics_2"
    result = run("init", product, "--owner", "analytics@acme.com")
    assert result.exit_code == 0, result.output
    for name in ("floe.yaml", "manifest.yaml", ".pre-commit-config.yaml",
                 ".vscode/settings.json", "schemas/floe-spec.schema.json",
                 "schemas/manifest.schema.json"):
        assert (product / name).is_file(), name
    assert "name: customer-analytics-2\n" in (product / "floe.yaml").read_text()
    assert "owner: analytics@acme.com\n" in (product / "floe.yaml").read_text()
    checked = run("validate", "--strict", product / "floe.yaml", product / "manifest.yaml")
    assert checked.exit_code == 0, checked.output
    assert "0 error(s), 0 warning(s)" in checked.output
    compiled = run("compile", "--strict", "--spec", product / "floe.yaml",
                   "--output", tmp_path / "out.json")
    assert compiled.exit_code == 0, compiled.output


def test_editor_settings_map_both_kinds_to_schemas_that_exist(run: Run, tmp_path: Path) -> None:
    assert run("init", tmp_path).exit_code == 0
    mapping = json.loads((tmp_path / ".vscode" / "settings.json").read_text())["yaml.schemas"]
    assert len(mapping) == 2
    for schema, globs in mapping.items():
        assert (tmp_path / schema).is_file()
        assert json.loads((tmp_path / schema).read_text())["$id"].startswith("https://floe.dev/")
        assert any(g in ("floe.yaml", "manifest.yaml") for g in globs)


def test_init_never_overwrites_without_force(run: Run, tmp_path: Path) -> None:
    (tmp_path / "floe.yaml").write_text("mine\n")
    result = run("init", tmp_path)
    assert result.exit_code == 1
    assert f"{tmp_path / 'floe.yaml'} already exist(s); nothing was written" in result.output
    assert (tmp_path / "floe.yaml").read_text() == "mine\n"
    assert not (tmp_path / "manifest.yaml").exists()  # all or nothing
    assert run("init", tmp_path, "--force").exit_code == 0
    assert (tmp_path / "floe.yaml").read_text() != "mine\n"


def test_a_name_is_made_from_any_directory_name(run: Run, tmp_path: Path) -> None:
    assert run("init", tmp_path / "2024 Sales!!").exit_code == 0
    assert "name: sales\n" in (tmp_path / "2024 Sales!!" / "floe.yaml").read_text()
    assert run("init", tmp_path / "x", "--name", "orders").exit_code == 0
    assert "name: orders\n" in (tmp_path / "x" / "floe.yaml").read_text()
