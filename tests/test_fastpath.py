"""`floe validate`'s fast path (fastpath.py) says exactly what the models say.

A corpus of generated floe.yaml/manifest.yaml pairs, each with one or two of the
conformance generator's mutations (a fixed seed: the same documents every run), plus the
examples and upstream's files, is validated twice: once offering each file to the
generated accept check, once always through the Pydantic models. Every output format,
strict and not, must be byte-identical; and the fast path must actually be taken.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

from conformance.generate import MUTATIONS, Pair, pairs
from floe_compiler import fastpath
from floe_compiler.kinds import detect_kind
from floe_compiler.pipeline import Options, Report, Source, load, run
from floe_compiler.reporters import RENDERERS, render_step_summary, render_text
from tests.conftest import EXAMPLE, ROOT

PER_MUTATION = 12
UPSTREAM = ROOT.parent.parent / "shared" / "corpus"


def corpus() -> list[Pair]:
    drawn: list[Pair] = []
    for first in [None, *sorted(MUTATIONS)]:
        @seed(12)
        @settings(max_examples=PER_MUTATION, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(pairs(first))
        def draw(pair: Pair) -> None:
            drawn.append(pair)

        draw()
    return drawn


def rendered(report: Report) -> list[str]:
    out = [render(report.diagnostics, report.sources, report.files_checked)
           for render in RENDERERS.values()]
    out.append(render_text(report.diagnostics, report.sources, report.files_checked,
                           color=True))
    out.append(render_step_summary(report.diagnostics, report.files_checked))
    return [*out, str(report.exit_code)]


def both_ways(sources: list[Source]) -> tuple[list[str], list[str]]:
    fast, full = [], []
    for strict in (False, True):
        fast += rendered(run(sources, Options(strict=strict)).report)
        full += rendered(run(sources, Options(strict=strict, fast_path=False)).report)
    return fast, full


def accepted(source: Source) -> bool:
    """Whether the fast path takes this file."""
    doc = load(source, Options())
    kind = detect_kind(doc)[0]
    return kind is not None and fastpath.schema_clean(doc, kind)


def test_generated_pairs_read_the_same_either_way(tmp_path: Path) -> None:
    differing, fast_files = [], 0
    documents = corpus()
    assert len(documents) > 500
    for number, pair in enumerate(documents):
        spec_text, manifest_text = pair.texts()
        folder = tmp_path / str(number)
        folder.mkdir()
        spec = Source(str(folder / "floe.yaml"), spec_text, folder / "floe.yaml")
        manifest = Source(str(folder / "manifest.yaml"), manifest_text, folder / "manifest.yaml")
        fast_files += accepted(spec) + accepted(manifest)
        for sources in ([spec, manifest], [manifest]):
            fast, full = both_ways(sources)
            if fast != full:
                differing.append((pair.tags, spec_text, manifest_text))
    assert differing == []
    # the corpus holds clean files and files with findings: both paths are exercised
    assert 0.15 * 2 * len(documents) < fast_files < 0.9 * 2 * len(documents)


def test_examples_and_upstream_files_read_the_same_either_way() -> None:
    files = sorted(EXAMPLE.parent.rglob("*.yaml")) + sorted(UPSTREAM.rglob("*.yaml"))
    assert files
    for path in files:
        fast, full = both_ways([Source.from_path(path)])
        assert fast == full, path


def test_a_clean_file_never_imports_the_models(tmp_path: Path) -> None:
    probe = ("import sys\nfrom floe_compiler.cli import cli\n"
             "try:\n    cli(['validate', *sys.argv[1:]])\nexcept SystemExit as e:\n"
             "    print(e.code)\n"
             "print(sorted(m for m in ('pydantic', 'floe_compiler.models') if m in sys.modules))")
    clean = subprocess.run([sys.executable, "-c", probe, str(EXAMPLE / "floe.yaml"),
                            str(EXAMPLE / "manifest.yaml")], cwd=ROOT, capture_output=True,
                           text=True, check=True)
    assert clean.stdout.splitlines()[-2:] == ["0", "[]"]
    # a file with a finding takes the models' path, for their messages
    broken = tmp_path / "floe.yaml"
    broken.write_text((EXAMPLE / "floe.yaml").read_text().replace("apiVersion", "apiVersoin"))
    found = subprocess.run([sys.executable, "-c", probe, str(broken)], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    assert "apiVersoin" in found.stdout
    assert found.stdout.splitlines()[-1] == "['floe_compiler.models', 'pydantic']"


def test_the_accept_checks_match_the_models() -> None:
    from floe_compiler.accept_gen import TARGETS, generated

    for kind, (_, path) in TARGETS.items():
        assert path.read_text(encoding="utf-8") == generated(kind), \
            "run `python -m floe_compiler.accept_gen`"
