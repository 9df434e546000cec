"""`make conformance`: floe's accept/reject verdict against floe-core's, on generated pairs.

    python conformance/run.py --oracle .venv-floe-core/bin/python [--examples N] [--seed S]

Hypothesis generates floe.yaml/manifest.yaml pairs (conformance/generate.py). Each pair is
judged by floe (`compile_files`, in this process) and by floe-core (conformance/oracle.py,
one process in its own virtual environment for the whole run). A disagreement is
documented when one of the pair's mutations is listed, with the same direction, in
conformance/differences.json, which the README's "Compatibility with floe-core" table
mirrors. Exit status 1 on any undocumented disagreement.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from conformance.generate import MUTATIONS, Pair, pairs  # noqa: E402
from floe_compiler.diagnostics import Severity  # noqa: E402
from floe_compiler.pipeline import Options, compile_files  # noqa: E402

DIFFERENCES = HERE / "differences.json"


def load_differences() -> list[dict[str, Any]]:
    return json.loads(DIFFERENCES.read_text(encoding="utf-8"))["differences"]  # type: ignore[no-any-return]


@dataclass
class Outcome:
    pair: Pair
    ours: bool
    theirs: bool
    our_codes: list[str]
    their_why: str
    documented: str | None = None  # the id of the difference that explains it


class Oracle:
    """floe-core's verdict, from one long-lived process in the oracle venv."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen(
            [python, str(HERE / "oracle.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, encoding="utf-8")

    def judge(self, spec: str, manifest: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"spec": spec, "manifest": manifest}) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise SystemExit("conformance: the floe-core oracle stopped answering")
        return json.loads(answer)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def our_verdict(spec: str, manifest: str, workdir: Path) -> tuple[bool, list[str]]:
    spec_path, manifest_path = workdir / "floe.yaml", workdir / "manifest.yaml"
    spec_path.write_text(spec, encoding="utf-8")
    manifest_path.write_text(manifest, encoding="utf-8")
    result = compile_files(spec_path, manifest_path, Options())
    errors = sorted({d.code for d in result.report.diagnostics if d.severity is Severity.ERROR})
    return not errors, errors


def explain(outcome: Outcome, differences: list[dict[str, Any]]) -> str | None:
    direction = "reject" if not outcome.ours else "accept"
    for difference in differences:
        if difference["floe"] != direction:
            continue
        codes = set(difference.get("codes", ()))
        if set(difference["mutations"]) & set(outcome.pair.tags) or (
                codes and outcome.our_codes and set(outcome.our_codes) <= codes):
            return str(difference["id"])
    return None


def run(oracle_python: str, examples: int, fixed_seed: int | None) -> int:
    differences = load_differences()
    oracle = Oracle(oracle_python)
    outcomes: list[Outcome] = []
    started = time.monotonic()
    kinds: list[str | None] = [None, *sorted(MUTATIONS)]
    # A tenth are left valid; the mutations that reach every field weigh four times more.
    weight = {name: 4 if name.startswith("any_") else 1 for name in MUTATIONS}
    each = max(1, examples * 9 // 10 // sum(weight.values()))
    with tempfile.TemporaryDirectory(prefix="floe-conformance-") as tmp:
        workdir = Path(tmp)
        try:
            for first in kinds:
                count = max(1, examples // 10) if first is None else each * weight[first]
                judge_all(first, count, fixed_seed, workdir, oracle, outcomes)
        finally:
            oracle.close()
    return report(outcomes, differences, time.monotonic() - started)


def judge_all(first: str | None, examples: int, fixed_seed: int | None, workdir: Path,
              oracle: Oracle, outcomes: list[Outcome]) -> None:
    """`examples` pairs whose first mutation is `first`, judged by both."""

    @settings(max_examples=examples, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(pairs(first))
    def judge(pair: Pair) -> None:
        spec, manifest = pair.texts()
        ours, codes = our_verdict(spec, manifest, workdir)
        theirs = oracle.judge(spec, manifest)
        outcomes.append(Outcome(pair, ours, theirs["accept"], codes, theirs["why"]))

    if fixed_seed is not None:
        judge = seed(fixed_seed)(judge)
    judge()


def report(outcomes: list[Outcome], differences: list[dict[str, Any]], seconds: float) -> int:
    disagreements = [o for o in outcomes if o.ours != o.theirs]
    for outcome in disagreements:
        outcome.documented = explain(outcome, differences)
    undocumented = [o for o in disagreements if o.documented is None]
    agree = len(outcomes) - len(disagreements)
    seen = Counter(o.documented for o in disagreements if o.documented)
    print("conformance: per mutation, documents: both accept / both reject / documented "
          "difference / undocumented")
    for tag in sorted({t for o in outcomes for t in o.pair.tags} | {"(none)"}):
        mine = [o for o in outcomes if tag in o.pair.tags or (tag == "(none)"
                                                               and not o.pair.tags)]
        counts = (sum(o.ours and o.theirs for o in mine),
                  sum(not o.ours and not o.theirs for o in mine),
                  sum(o.documented is not None for o in mine),
                  sum(o.ours != o.theirs and o.documented is None for o in mine))
        print(f"  {tag:32} {len(mine):5}: " + " / ".join(f"{c:4}" for c in counts))
    print(f"conformance: documented differences seen: "
          f"{', '.join(f'{k} {v}' for k, v in sorted(seen.items())) or 'none'}")
    never = sorted({m for d in differences for m in d["mutations"]}
                   - {t for o in outcomes for t in o.pair.tags})
    if never:
        print(f"conformance: mutations of documented differences never generated: {never}")
    for outcome in sorted(undocumented, key=lambda o: len(o.pair.texts()[0]))[:10]:
        spec, manifest = outcome.pair.texts()
        print(f"\n--- undocumented: floe {'accepts' if outcome.ours else 'rejects'} "
              f"{outcome.our_codes}, floe-core {'accepts' if outcome.theirs else 'rejects'}"
              f" ({outcome.their_why[:300]})\n    mutations: {outcome.pair.tags}\n"
              f"# floe.yaml\n{spec}# manifest.yaml\n{manifest}")
    print(f"conformance: {agree:,}/{len(outcomes):,} documents agree "
          f"({100 * agree / max(len(outcomes), 1):.1f}%), {len(undocumented)} undocumented "
          f"disagreements ({len(disagreements) - len(undocumented)} documented), "
          f"in {seconds:.0f} s")
    return 1 if undocumented else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", required=True, help="python of the floe-core venv")
    parser.add_argument("--examples", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=None, help="fixed seed: same documents")
    args = parser.parse_args()
    sys.exit(run(args.oracle, args.examples, args.seed))


if __name__ == "__main__":
    main()
