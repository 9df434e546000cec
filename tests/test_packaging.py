"""The package as a user installs it: typed for their type checker, both console scripts,
an sdist that holds what its tests need, and files written with ordinary modes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import floe_compiler
from tests.conftest import EXAMPLE, ROOT, VALID_MANIFEST, VALID_SPEC, Run, Write

USER_CODE = """\
import floe_compiler
from floe_compiler import CompilationError, CompiledArtifacts, compile_project

artifact: CompiledArtifacts = compile_project("floe.yaml")
name: str = artifact.product.name
try:
    compile_project("floe.yaml")
except CompilationError as group:
    print(len(group.exceptions))
wrong: int = compile_project("floe.yaml")
floe_compiler.no_such_name
"""


def test_a_users_code_type_checks_against_the_lazy_exports(tmp_path: Path) -> None:
    """mypy sees real types through `__getattr__`: a mistake is found, the rest is clean."""
    snippet = tmp_path / "user.py"
    snippet.write_text(USER_CODE, encoding="utf-8")
    env = {**os.environ, "MYPY_FORCE_COLOR": "0"}
    if Path(floe_compiler.__file__).parent.parent == ROOT:
        # A checkout (editable install: an import hook mypy cannot follow). Installed from
        # a wheel or sdist (as .ci/run does), mypy finds it through py.typed instead.
        env["MYPYPATH"] = str(ROOT)
    # Errors inside floe_compiler are `make lint`'s business (with the pydantic plugin).
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                           "--follow-imports=silent",
                           "--cache-dir", str(tmp_path / "cache"), str(snippet)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    errors = [line.split(": error: ")[1] for line in done.stdout.splitlines()
              if ": error: " in line]
    assert errors == [
        'Incompatible types in assignment (expression has type "CompiledArtifacts", '
        'variable has type "int")  [assignment]',
        'Module has no attribute "no_such_name"  [attr-defined]',
    ], done.stdout + done.stderr


def test_lazy_exports_are_listed_and_importable() -> None:
    assert set(floe_compiler.__all__) == {"__version__", "REPOSITORY", *floe_compiler._EXPORTS}
    assert {"compile_project", "CompiledArtifacts", "SinkWhitelistError"} <= set(dir(floe_compiler))
    for name in floe_compiler._EXPORTS:
        assert getattr(floe_compiler, name).__name__ == name
    with pytest.raises(AttributeError):
        floe_compiler.no_such_name  # noqa: B018


def test_py_typed_is_shipped() -> None:
    assert (Path(floe_compiler.__file__).parent / "py.typed").is_file()


def test_the_unambiguous_console_script_is_installed() -> None:
    """floe-core installs `bin/floe` too: `floe-compiler` always means this one."""
    script = Path(sys.executable).parent / "floe-compiler"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"floe, version {floe_compiler.__version__}")


def test_readme_says_how_to_install_without_an_index() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install 'floe-compiler[runner]'" not in readme  # it is not on PyPI
    assert "pip install '.[runner]'" in readme
    assert "floe-compiler" in readme and "floe-core" in readme


# -- distributions ------------------------------------------------------------------------


def _build(kind: str, out: Path, env: dict[str, str] | None = None, source: Path = ROOT) -> Path:
    """Build a wheel or an sdist of this checkout (or of `source`) with setuptools' own
    backend."""
    code = (f"import sys; from setuptools import build_meta as b; "
            f"print(b.build_{kind}(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=source, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not a checkout")
    yield tmp_path_factory.mktemp("dist")


@pytest.mark.slow
def test_the_sdist_holds_what_its_tests_need(dist: Path) -> None:
    with tarfile.open(_build("sdist", dist)) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for needed in ("tests/__init__.py", "tests/conftest.py", "tests/test_packaging.py",
                   "examples/customer-analytics/floe.yaml", "schemas/floe-spec.schema.json",
                   "schemas/draft-07/manifest.schema.json", "floe_compiler/py.typed",
                   "LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml",
                   "floe_compiler/_yamlfast.c", "floe_compiler/_yamlfast.pyi"):
        assert needed in names, needed
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


@pytest.mark.slow
def test_the_wheel_is_typed_and_has_both_scripts(dist: Path) -> None:
    with zipfile.ZipFile(_build("wheel", dist)) as wheel:
        names = wheel.namelist()
        info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = wheel.read(info).decode()
        metadata = wheel.read(info.replace("entry_points.txt", "METADATA")).decode()
    assert "floe_compiler/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "floe = floe_compiler.cli:main" in entry_points
    assert "floe-compiler = floe_compiler.cli:main" in entry_points
    for classifier in ("Programming Language :: Python :: 3.11",
                       "Programming Language :: Python :: 3.13", "Typing :: Typed"):
        assert f"Classifier: {classifier}" in metadata
    assert "Project-URL: " in metadata
    assert "Requires-Dist: pydantic<3,>=2.11" in metadata


@pytest.mark.slow
def test_without_a_c_compiler_the_wheel_is_built_without_the_c_loader(dist: Path) -> None:
    """The C loader is optional: where it cannot be compiled (no gcc, no libyaml-dev) the
    sdist still installs, and the loader runs its Python path."""
    out = dist / "no-compiler"
    out.mkdir()
    with tarfile.open(_build("sdist", out)) as sdist:
        sdist.extractall(out, filter="data")
    source = next(p for p in out.iterdir() if p.is_dir())
    with zipfile.ZipFile(_build("wheel", out, env={"CC": "false"}, source=source)) as wheel:
        names = wheel.namelist()
    assert "floe_compiler/loader.py" in names
    assert "floe_compiler/_yamlfast.pyi" in names
    assert not [n for n in names if "_yamlfast" in n and n.endswith((".so", ".pyd"))]


# -- file modes ---------------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_artifact_gets_the_umask_mode_and_keeps_an_existing_one(
        run: Run, write: Write, tmp_path: Path, umask_022: None) -> None:
    write("manifest.yaml", VALID_MANIFEST)
    spec = write("floe.yaml", VALID_SPEC)
    out = tmp_path / "target" / "compiled_artifacts.json"
    assert run("compile", "--spec", spec, "--output", out).exit_code == 0
    assert mode(out) == 0o644  # was 0600 (mkstemp's)
    out.chmod(0o640)
    out.write_text("stale", encoding="utf-8")
    assert run("compile", "--spec", spec, "--output", out).exit_code == 0
    assert out.read_text(encoding="utf-8") != "stale"
    assert mode(out) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_schema_files_get_the_umask_mode(run: Run, tmp_path: Path, umask_022: None) -> None:
    os.umask(0o027)
    assert run("schema", "--output-dir", tmp_path / "schemas").exit_code == 0
    written = sorted((tmp_path / "schemas").rglob("*.json"))
    assert written
    assert {mode(p) for p in written} == {0o640}


def test_the_bundled_example_validates() -> None:
    """What the sdist smoke test in .ci/run runs first, from the installed package."""
    done = subprocess.run([str(Path(sys.executable).parent / "floe-compiler"), "validate",
                           EXAMPLE / "floe.yaml", EXAMPLE / "manifest.yaml"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("2 files checked: 0 error(s), 0 warning(s)\n")
