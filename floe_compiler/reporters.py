"""Renderers: one diagnostics stream, four formats (text, json, github, sarif)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from floe_compiler import __version__
from floe_compiler.credentials import redacted_lines
from floe_compiler.diagnostics import CODES, Diagnostic, Severity, code_url
from floe_compiler.display import MAX_MESSAGE, clip, cut, printable, visible, window_start

CONTEXT_LINES = 1
SNIPPET_WIDTH = 100  # characters of a source line shown around the caret
MAX_PER_CODE = 10  # diagnostics of one code printed per file; the rest are counted


# ANSI styles for a terminal (`color=True`): SGR parameters.
_BOLD, _RED, _YELLOW, _CYAN = "1", "1;31", "1;33", "36"


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{style}m{text}\x1b[0m" if color else text


def render_text(diags: Sequence[Diagnostic], sources: Mapping[str, str], files: int, *,
                color: bool = False, summary: bool = True) -> str:
    """Bounded whatever the input: a snippet shows a window of each line, and past
    `MAX_PER_CODE` diagnostics of one code in one file only their number is printed
    (a 1 MiB flow list of wrong types is 300,000 diagnostics). `color` adds ANSI styles;
    without `summary` (-q) the closing count line is left out."""
    out: list[str] = []
    lines_of: dict[str, Sequence[str]] = {}  # split each file once, not once per diagnostic
    seen: Counter[tuple[str, str]] = Counter()
    for d in diags:
        seen[d.file, d.code] += 1
        if seen[d.file, d.code] > MAX_PER_CODE:
            continue
        tone = _RED if d.severity is Severity.ERROR else _YELLOW
        out.append(f"{_paint(f'{printable(d.file)}:{d.line}:{d.column}:', _BOLD, color)} "
                   f"{_paint(f'{d.code} {d.severity.value}:', tone, color)} "
                   f"{printable(clip(d.message))}")
        if d.file not in lines_of:
            lines_of[d.file] = redacted_lines(sources.get(d.file, ""))
        out.extend(_snippet(lines_of[d.file], d.line, d.column, _paint("^", tone, color)))
        if d.hint:
            out.append(f"  {_paint('hint:', _CYAN, color)} {printable(clip(d.hint))}")
        out.append("")
    unshown = [f"{printable(file)}: ... and {count - MAX_PER_CODE} more {code}"
               for (file, code), count in seen.items() if count > MAX_PER_CODE]
    if unshown:
        out.extend([*unshown, ""])
    if not summary:
        return "\n".join(out[:-1]) + "\n" if out else ""
    errors = sum(d.severity is Severity.ERROR for d in diags)
    warnings = len(diags) - errors
    noun = "file" if files == 1 else "files"
    out.append(f"{files} {noun} checked: {errors} error(s), {warnings} warning(s)")
    return "\n".join(out) + "\n"


def _snippet(lines: Sequence[str], line: int, column: int, caret: str = "^") -> list[str]:
    """Source lines around `line`, credentials masked, with a caret under `column`; a long
    line is cut to a window around the caret."""
    if not 0 < line <= len(lines):
        return []
    width = len(str(min(line + CONTEXT_LINES, len(lines))))
    focus = visible(lines[line - 1])
    start = window_start(focus, column, SNIPPET_WIDTH)
    at = column - start + (3 if start else 0)  # 3: the leading "..."
    out = []
    for number in range(max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES) + 1):
        source = focus if number == line else visible(lines[number - 1])
        out.append(f"  {number:>{width}} | {cut(source, start, SNIPPET_WIDTH)}")
        if number == line:
            out.append(f"  {' ' * width} | {' ' * max(at - 1, 0)}{caret}")
    return out


def _bounded(d: Diagnostic) -> Diagnostic:
    """The machine formats hold every diagnostic, each of bounded size."""
    if len(d.message) <= MAX_MESSAGE and len(d.hint) <= MAX_MESSAGE:
        return d
    return replace(d, message=clip(d.message), hint=clip(d.hint))


def render_json(diags: Sequence[Diagnostic], sources: Mapping[str, str], files: int) -> str:
    payload = {"diagnostics": [_bounded(d).as_dict() for d in diags], "files_checked": files}
    return json.dumps(payload, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diags: Sequence[Diagnostic], sources: Mapping[str, str], files: int) -> str:
    """GitHub Actions workflow commands: annotations on the pull request diff."""
    out = []
    for d in map(_bounded, diags):
        level = "error" if d.severity is Severity.ERROR else "warning"
        props = f"file={_escape_property(d.file)},line={max(d.line, 1)},col={max(d.column, 1)}," \
                f"title={_escape_property(d.code)}"
        body = d.message + (f"\n{d.hint}" if d.hint else "")
        out.append(f"::{level} {props}::{_escape_data(body)}")
    return "\n".join(out) + ("\n" if out else "")


def render_sarif(diags: Sequence[Diagnostic], sources: Mapping[str, str], files: int) -> str:
    """SARIF 2.1.0, for GitHub code scanning and other security dashboards."""
    used = sorted({d.code for d in diags})
    rules = [{"id": code, "name": code, "shortDescription": {"text": CODES[code].title},
              "help": {"text": CODES[code].hint}, "helpUri": code_url(code)}
             for code in used if code in CODES]
    results = [{
        "ruleId": d.code,
        "level": "error" if d.severity is Severity.ERROR else "warning",
        "message": {"text": d.message + (f" ({d.hint})" if d.hint else "")},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": d.file},
            "region": {"startLine": max(d.line, 1), "startColumn": max(d.column, 1)},
        }}],
    } for d in map(_bounded, diags)]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "floe-compiler", "version": __version__,
                                      "informationUri": "https://github.com/Obsidian-Owl/floe",
                                      "rules": rules}},
                  "results": results}],
    }
    return json.dumps(sarif, indent=2) + "\n"


def render_step_summary(diags: Sequence[Diagnostic], files: int) -> str:
    """Markdown for a GitHub Actions job summary ($GITHUB_STEP_SUMMARY): counts by code and
    by file. Messages are left to the annotations, so nothing here can carry a value."""
    errors = sum(d.severity is Severity.ERROR for d in diags)
    out = ["### floe", "",
           f"{files} file(s) checked: **{errors} error(s)**, {len(diags) - errors} warning(s)", ""]
    if not diags:
        return "\n".join(out) + "\n"
    by_code: dict[str, int] = {}
    by_file: dict[str, list[int]] = {}
    for d in diags:
        by_code[d.code] = by_code.get(d.code, 0) + 1
        counts = by_file.setdefault(d.file, [0, 0])
        counts[d.severity is not Severity.ERROR] += 1
    out += ["| code | count | meaning |", "| --- | ---: | --- |"]
    out += [f"| [{code}]({code_url(code)}) | {count} | "
            f"{_cell(CODES[code].title if code in CODES else '')} |"
            for code, count in sorted(by_code.items())]
    out += ["", "| file | errors | warnings |", "| --- | ---: | ---: |"]
    out += [f"| `{_cell(name)}` | {e} | {w} |" for name, (e, w) in sorted(by_file.items())]
    return "\n".join(out) + "\n\n"


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell on one line."""
    return "".join(c if c.isprintable() else " " for c in text).replace("|", "\\|") \
        .replace("`", "'")


Renderer = Callable[[Sequence[Diagnostic], Mapping[str, str], int], str]
RENDERERS: dict[str, Renderer] = {
    "text": render_text, "json": render_json, "github": render_github, "sarif": render_sarif,
}
