"""Stage 2, render: dbt-style Jinja in string values, sandboxed.

A value may read `env_var('NAME', 'default')` and `var('name', default)` (dbt's
names and meaning; `--vars` supplies `var()`), combine them with operators, `~`,
`{% if %}` and the filters in `FILTERS`. Nothing else can be called or loaded:
the template is checked before it runs, and runs in Jinja's sandbox with
`StrictUndefined`. Each value is rendered on its own, so a problem is reported at
that value (in a `|` block scalar, on the template's own line).

A value that is one expression and nothing else is then read again as YAML reads
an unquoted scalar (YAML 1.1, as the loader reads one): `"{{ var('n') }}"` with
n=500 is the number 500, `true` or `yes` a boolean, an empty result or `null` is
null; anything else, dates included, stays text. `| string` as the last step keeps
the result text (`"{{ env_var('BUILD') | string }}"` stays "42"). A value with
text around its expressions is always text.

Values read from variables whose names look secret (`SECRET_NAME`) may only
become a `connection_secret_ref`, and only when they look like a Kubernetes
Secret name, i.e. a reference rather than the secret itself; anywhere else they
are refused and the template text is kept, so the value never reaches a message
or the artifact.

Imported only for files that contain `{{` or `{%`: plain files never load jinja2.
"""

from __future__ import annotations

import os
import re
from datetime import date
from functools import cache, wraps
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from floe_compiler.diagnostics import diagnostic
from floe_compiler.kinds import dotted
from floe_compiler.loader import Located, Path_
from floe_compiler.models.common import SECRET_NAME_MAX_LENGTH, SECRET_NAME_PATTERN
from floe_compiler.scalars import resolve_plain

FUNCTIONS = ("env_var", "var")
FILTERS = ("lower", "upper", "trim", "replace", "string")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY", re.IGNORECASE)
SECRET_REF_KEYS = frozenset({"connection_secret_ref"})  # values that name a secret, never hold one
MAX_RENDERED = 64 * 1024  # characters; a config value is never near this
MAX_DEPTH = 64  # nesting of a template's syntax tree; a config value needs a handful

_ALLOWED = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Const, nodes.Concat,
    nodes.CondExpr, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Neg,
    nodes.Pos, nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod,
    nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.List, nodes.Tuple, nodes.Dict, nodes.Pair,
    nodes.Filter,
)
_REFUSED = {
    nodes.For: "{% for %} loops", nodes.Macro: "macros", nodes.CallBlock: "{% call %} blocks",
    nodes.FilterBlock: "{% filter %} blocks", nodes.With: "{% with %} blocks",
    nodes.Block: "{% block %}", nodes.Extends: "{% extends %}", nodes.Include: "{% include %}",
    nodes.Import: "{% import %}", nodes.FromImport: "{% import %}", nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}", nodes.Pow: "the ** operator",
    nodes.Test: "tests such as `is defined`", nodes.ExprStmt: "{% do %}",
}
_NO_DEFAULT = object()


class _Problem(Exception):
    """A value that cannot be rendered: becomes one located diagnostic."""

    def __init__(self, code: str, message: str, template_line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.template_line = template_line


class _Missing(Exception):
    """env_var() or var() of a name that has no value and no default."""


class _Scope:
    """What one template can read, recording every name it reads."""

    def __init__(self, variables: dict[str, Any]) -> None:
        self.variables = variables
        self.env_vars: set[str] = set()
        self.vars: set[str] = set()

    def env_var(self, name: Any, default: Any = _NO_DEFAULT) -> Any:
        if not isinstance(name, str):
            raise _Problem("FLOE-E301", "env_var() takes the variable's name as a string")
        self.env_vars.add(name)
        value = os.environ.get(name)
        if value is not None:
            return value
        if default is not _NO_DEFAULT:
            return default
        raise _Missing(f"environment variable {name} is not set and env_var() has no default")

    def var(self, name: Any, default: Any = _NO_DEFAULT) -> Any:
        if not isinstance(name, str):
            raise _Problem("FLOE-E301", "var() takes the variable's name as a string")
        self.vars.add(name)
        if name in self.variables:
            return self.variables[name]
        if default is not _NO_DEFAULT:
            return default
        raise _Missing(f"var('{name}') is not defined: pass it with --vars or give a default")

    def secret_names(self) -> list[str]:
        return sorted(n for n in self.env_vars | self.vars if SECRET_NAME.search(n))


class _TooLong(SecurityError):
    def __init__(self) -> None:
        super().__init__(f"the value would be longer than {MAX_RENDERED} characters")


def _length(value: Any) -> int:
    """About `len(str(value))`, counted no further than just past `MAX_RENDERED`: a list
    repeated by `*` may hold the same long string a thousand times."""
    total = 0
    stack = [value]
    while stack and total <= MAX_RENDERED:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, list | tuple):
            total += 2 + 2 * len(item)  # brackets and separators
            stack.extend(item)
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            stack.extend(item)
            stack.extend(item.values())
        else:
            total += 8  # a number, a boolean, None
    return total


def _bounded(*values: Any) -> None:
    """Refuse before building a value longer than `MAX_RENDERED` from `values`."""
    if sum(_length(v) for v in values) > MAX_RENDERED:
        raise _TooLong()


class _Generator(CodeGenerator):
    """Jinja's code generator, with `~` joined by `_Sandbox.bounded_concat`, which bounds it."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, narrowed: only env_var()/var() are callable, and no operator,
    `~` or filter can build a value longer than `MAX_RENDERED` (each is checked before
    it runs, so `'a' * 30000 | replace('a', 'b' * 30000)` never takes a gigabyte)."""

    code_generator_class = _Generator
    intercepted_binops = frozenset({"*", "%", "+"})

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(getattr(__obj, "__self__", None), _Scope):
            raise SecurityError("templates may only call env_var() and var()")
        return __obj(*args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            raise SecurityError("string formatting with % is not allowed in templates")
        if operator == "*":
            sequence, times = (left, right) if isinstance(left, str | list | tuple) \
                else (right, left)
            if isinstance(sequence, str | list | tuple) and isinstance(times, int) \
                    and times > 0 and _length(sequence) * min(times, MAX_RENDERED) \
                    > MAX_RENDERED:
                raise _TooLong()
        if operator == "+" and isinstance(left, str | list | tuple):
            _bounded(left, right)
        return super().call_binop(context, operator, left, right)

    @staticmethod
    def bounded_concat(values: tuple[Any, ...]) -> str:
        _bounded(*values)
        return "".join(map(str, values))


def _size_checked(function: Any) -> Any:
    """A filter that refuses an input too long to print before converting it to text."""

    @wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _bounded(*(a for a in args if not isinstance(a, EvalContext)))
        return function(*args, **kwargs)

    return checked


def _replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    """Jinja's `replace`, refusing a result longer than `MAX_RENDERED` before building it."""
    _bounded(value, old, new)
    text, old, new = str(value), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new) - len(old)) > MAX_RENDERED:
        raise _TooLong()
    return text.replace(old, new, -1 if count is None else count)


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    _bounded(value)
    return value


@cache
def _environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                   finalize=_finalize)
    env.globals.clear()  # no range(), lipsum(), cycler(), ...
    env.filters = {name: _size_checked(env.filters[name]) for name in FILTERS}
    env.filters["replace"] = _replace
    env.tests = {}
    return env


def render_templates(doc: Located, variables: dict[str, Any]) -> None:
    """Render each templated string value of `doc` in place.

    A value that fails keeps its template text and gets one located diagnostic.
    The names read go to `doc.env_vars` / `doc.variables` (for the artifact).
    """
    env = _environment()
    for path in dict.fromkeys(doc.templated):  # an alias can list a path twice
        parent, key = _parent(doc.data, path)
        if parent is None or not isinstance(parent[key], str):
            continue
        scope = _Scope(variables)
        try:
            parent[key] = _render(env, parent[key], scope, path)
        except _Problem as problem:
            line, col = _position(doc, path, problem.template_line)
            doc.diagnostics.append(diagnostic(problem.code, f"{dotted(path)}: {problem.message}",
                                              file=doc.file, line=line, column=col))
        finally:
            doc.env_vars |= scope.env_vars
            doc.variables |= scope.vars


def _parent(data: Any, path: Path_) -> tuple[Any, Any]:
    """The container holding the value at `path`, and its key or index there."""
    node: Any = data
    try:
        for part in path[:-1]:
            node = node[part]
        node[path[-1]]
    except (KeyError, IndexError, TypeError):
        return None, None
    return (node, path[-1]) if isinstance(node, dict | list) else (None, None)


def _render(env: _Sandbox, source: str, scope: _Scope, path: Path_) -> Any:
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise _Problem("FLOE-E301", exc.message or str(exc), exc.lineno) from None
    except RecursionError:  # Jinja's parser recurses once per parenthesis, unary `-`, ...
        raise _Problem("FLOE-E303", _TOO_DEEP) from None
    too_deep = _too_deep(tree)
    if too_deep is not None:  # our checks and Jinja's compiler recurse over the tree
        raise _Problem("FLOE-E303", _TOO_DEEP, too_deep.lineno)
    _check(tree)
    try:
        text = _generate(env, tree, scope)
    except _Problem:
        raise
    except _Missing as exc:
        raise _Problem("FLOE-E302", str(exc), _template_line(exc)) from None
    except UndefinedError as exc:
        raise _Problem("FLOE-E302", str(exc), _template_line(exc)) from None
    except SecurityError as exc:
        raise _Problem("FLOE-E303", str(exc), _template_line(exc)) from None
    except TemplateSyntaxError as exc:
        raise _Problem("FLOE-E301", exc.message or str(exc), exc.lineno) from None
    except Exception as exc:  # TypeError, ZeroDivisionError...: a mistake in the template
        # An error message may quote a value; never one read from a secret.
        why = "the expression failed" if scope.secret_names() else str(exc)
        raise _Problem("FLOE-E301", f"cannot render: {why}", _template_line(exc)) from None
    _refuse_secrets(scope, text, path)
    return _retype(text) if _one_expression(tree) else text


def _generate(env: _Sandbox, tree: nodes.Template, scope: _Scope) -> str:
    """The rendered text, piece by piece: each `{{ }}` is bounded by `_finalize`, and a
    thousand of them (`{{ x }}{{ x }}...`) stop as soon as their total is too long."""
    pieces: list[str] = []
    total = 0
    for piece in env.from_string(tree).generate(env_var=scope.env_var, var=scope.var):
        total += len(piece)
        if total > MAX_RENDERED:
            raise _TooLong()
        pieces.append(piece)
    return "".join(pieces)


_TOO_DEEP = f"the expression is nested too deeply (at most {MAX_DEPTH} levels)"


def _too_deep(tree: nodes.Node) -> nodes.Node | None:
    """The first node nested deeper than `MAX_DEPTH` (1,000 `+` terms make a tree 1,000
    deep), found without recursion."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return node
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return None


def _check(node: nodes.Node) -> None:
    """Refuse, before running anything, every construct a config value does not need."""
    if isinstance(node, nodes.Call):
        callee = node.node
        if not (isinstance(callee, nodes.Name) and callee.name in FUNCTIONS):
            raise _Problem("FLOE-E303", f"{_describe(callee)} cannot be called: templates "
                           "may only call env_var() and var()", node.lineno)
        if node.dyn_args or node.dyn_kwargs or len(node.args) > 2 \
                or any(k.key != "default" for k in node.kwargs):
            raise _Problem("FLOE-E301", f"{callee.name}() takes a name and an optional default",
                           node.lineno)
        for child in [*node.args, *(k.value for k in node.kwargs)]:
            _check(child)
        return
    if isinstance(node, nodes.Name):
        if node.name in FUNCTIONS:
            raise _Problem("FLOE-E303", f"{node.name} must be called: {node.name}('NAME')",
                           node.lineno)
        raise _Problem("FLOE-E302", f"'{node.name}' is undefined: read values with "
                       f"var('{node.name}') or env_var('{node.name.upper()}')", node.lineno)
    private = node.attr if isinstance(node, nodes.Getattr) else (
        node.arg.value if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const)
        else None)
    if isinstance(private, str) and private.startswith("_"):
        raise _Problem("FLOE-E303", f"access to '{private}' is not allowed", node.lineno)
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        raise _Problem("FLOE-E303", f"filter '{node.name}' is not available; templates may "
                       f"use {', '.join(FILTERS)}", node.lineno)
    if not isinstance(node, _ALLOWED):
        what = _REFUSED.get(type(node), type(node).__name__)
        raise _Problem("FLOE-E303", f"{what} cannot be used in floe templates", node.lineno)
    for inner in node.iter_child_nodes():
        _check(inner)


def _describe(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return f"'{node.name}'"
    if isinstance(node, nodes.Getattr):
        return f"'.{node.attr}()'"
    return "this"


def _template_line(exc: BaseException) -> int | None:
    """The template line a runtime error came from (Jinja maps its frames to it)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _refuse_secrets(scope: _Scope, text: str, path: Path_) -> None:
    secrets = scope.secret_names()
    if not secrets:
        return
    name = secrets[0]
    source = f"environment variable {name}" if name in scope.env_vars else f"var('{name}')"
    if path[-1] not in SECRET_REF_KEYS:
        raise _Problem("FLOE-E304", f"the value of {source}, whose name looks secret, cannot "
                       "be used here: secrets may only feed connection_secret_ref "
                       "(value not shown)")
    if len(text) > SECRET_NAME_MAX_LENGTH or not re.fullmatch(SECRET_NAME_PATTERN, text):
        raise _Problem("FLOE-E304", f"the value of {source} is not a Kubernetes Secret name, "
                       "so it may be the secret itself (value not shown)")


def _one_expression(tree: nodes.Template) -> bool:
    """Is the template one `{{ ... }}` and nothing else (whitespace aside)?"""
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return False
    parts = [n for n in tree.body[0].nodes
             if not (isinstance(n, nodes.TemplateData) and not n.data.strip())]
    if len(parts) != 1 or isinstance(parts[0], nodes.TemplateData):
        return False
    return not (isinstance(parts[0], nodes.Filter) and parts[0].name == "string")


def _retype(text: str) -> Any:
    """The value the loader gives `text` written as a plain scalar (YAML 1.1, as floe-core
    reads it), except that dates stay text: the artifact is JSON."""
    plain = text.strip()
    if "\n" in plain:
        return text
    value = resolve_plain(plain)
    return text if isinstance(value, date) else value


def _position(doc: Located, path: Path_, template_line: int | None) -> tuple[int, int]:
    """Where to point: the value; in a block scalar, the template line inside it."""
    line, col = doc.value_at(path)
    lines = doc.text.splitlines()
    indicator = lines[line - 1][col - 1:col] if 0 < line <= len(lines) else ""
    if indicator not in ("|", ">"):
        return line, col
    # Content starts on the line after the indicator; `|` keeps the template's lines,
    # `>` folds them, so there only the first content line is certain.
    target = line + ((template_line or 1) if indicator == "|" else 1)
    if target > len(lines):
        return line, col
    content = lines[target - 1]
    return target, len(content) - len(content.lstrip(" ")) + 1
