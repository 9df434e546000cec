"""`floe validate` runs on every commit, so it loads jinja2 and jsonschema only for the
files that need them: a template, or a modeline naming a foreign schema; and never the
language server (pygls, the `lsp` extra)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE, ROOT, VALID_SPEC, Write

HEAVY = ("jinja2", "jsonschema", "floe_compiler.render", "floe_compiler.foreign_schema",
         "floe_compiler.schemas", "floe_compiler.lsp", "pygls", "lsprotocol")
PROBE = f"""\
import json, sys
from floe_compiler.cli import cli
try:
    cli(["validate", *sys.argv[1:]])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def loaded_by_validate(*paths: Path) -> list[str]:
    """Which heavy modules a fresh interpreter loaded to validate `paths`."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_plain_files_load_neither(write: Write) -> None:
    assert loaded_by_validate(write("floe.yaml", VALID_SPEC)) == []
    # a modeline naming floe's own schema is recognised without jsonschema
    assert loaded_by_validate(EXAMPLE / "floe.yaml", EXAMPLE / "manifest.yaml") == []


def test_a_template_loads_jinja2_only(write: Write) -> None:
    spec = write("floe.yaml", VALID_SPEC.replace("data@acme.com", "\"{{ env_var('OWNER', 'x@y.z') }}\""))
    assert loaded_by_validate(spec) == ["floe_compiler.render", "jinja2"]


def test_a_foreign_schema_loads_jsonschema_only(write: Write) -> None:
    write("team.schema.json", json.dumps({"type": "object"}))
    team = write("team.yaml", "# yaml-language-server: $schema=team.schema.json\nteam: data\n")
    assert loaded_by_validate(team) == ["floe_compiler.foreign_schema", "jsonschema"]



def test_a_clean_file_never_imports_ruamel_with_the_c_loader(write: Write,
                                                             native_loader: None) -> None:
    """The C loader reads the common subset of YAML; ruamel.yaml (11-20 ms to import) is
    imported only for a file outside it, here one with an anchor."""
    probe = PROBE.replace(repr(HEAVY), repr(("ruamel.yaml",)))
    def loaded(*paths: Path) -> list[str]:
        proc = subprocess.run([sys.executable, "-c", probe, *map(str, paths)], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        return json.loads(proc.stdout.splitlines()[-1])  # type: ignore[no-any-return]

    assert loaded(write("floe.yaml", VALID_SPEC)) == []
    assert loaded(EXAMPLE / "floe.yaml", EXAMPLE / "manifest.yaml") == []
    anchored = VALID_SPEC.replace("data@acme.com", "&owner data@acme.com")
    assert loaded(write("anchored.yaml", anchored)) == ["ruamel.yaml"]


def test_floe_lsp_without_the_extra_says_how_to_install_it() -> None:
    probe = "import sys; sys.modules['pygls'] = None\nfrom floe_compiler.cli import main\nmain()"
    proc = subprocess.run([sys.executable, "-c", probe, "lsp"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 2
    assert "pip install '.[lsp]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_console_script_ends_without_teardown_and_loses_no_output(write: Write,
                                                                      tmp_path: Path) -> None:
    """validate, check and compile end the process at once (no interpreter teardown): the
    exit code and every line of output must still arrive, through a pipe too."""
    floe = Path(sys.executable).with_name("floe")
    bad = write("floe.yaml", VALID_SPEC + "".join(
        f"  - name: t{i}\n    dependsOn: [missing_{i}]\n" for i in range(300)))
    validated = subprocess.run([str(floe), "validate", "--format", "json", str(bad)],
                               capture_output=True, text=True, check=False)
    assert validated.returncode == 0  # unknown dependsOn are warnings
    assert len(json.loads(validated.stdout)["diagnostics"]) == 300  # the whole document
    out = tmp_path / "artifact.json"
    compiled = subprocess.run(
        [str(floe), "compile", "--spec", str(EXAMPLE / "floe.yaml"), "--output", str(out)],
        capture_output=True, text=True, check=False)
    assert compiled.returncode == 0, compiled.stderr
    assert compiled.stdout.startswith("compiled ") and "destinations (" in compiled.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["transforms"]
    broken = subprocess.run([str(floe), "compile", "--spec", str(tmp_path / "none.yaml"),
                             "--output", str(out)], capture_output=True, text=True,
                            check=False)
    assert broken.returncode == 2 and "FLOE-E001" in broken.stdout + broken.stderr
