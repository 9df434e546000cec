"""The transform graph's order and cycles, against plain reference definitions, on
random graphs: those declared dependencies-first (the one-pass case) and any other."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from floe_compiler.dag import find_cycles, topological_order


def reference_order(order: list[str], depends: dict[str, list[str]]) -> list[str]:
    """Repeatedly take the earliest-declared node whose known dependencies are all taken."""
    done: list[str] = []
    left = list(order)
    while True:
        ready = [n for n in left if all(d in done or d not in order for d in depends[n])]
        if not ready:
            return done
        done.append(ready[0])
        left.remove(ready[0])


def reaches(order: list[str], depends: dict[str, list[str]], start: str) -> set[str]:
    """Nodes reached from `start` through one or more known dependencies."""
    seen: set[str] = set()
    todo = [d for d in depends[start] if d in order]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(d for d in depends[node] if d in order)
    return seen


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[str], dict[str, list[str]]]:
    size = draw(st.integers(1, 10))
    order = [f"t{i}" for i in range(size)]
    earlier_only = draw(st.booleans())
    depends = {}
    for i, name in enumerate(order):
        pool = order[:i] if earlier_only else [*order, "elsewhere"]
        depends[name] = draw(st.lists(st.sampled_from(pool), max_size=3)) if pool else []
    return order, depends


@settings(max_examples=400, deadline=None)
@given(graphs())
def test_order_and_cycles_match_their_definitions(graph: tuple[list[str], dict[str, list[str]]]
                                                   ) -> None:
    order, depends = graph
    assert topological_order(order, depends) == reference_order(order, depends)
    cycles = find_cycles(order, depends)
    reach = {name: reaches(order, depends, name) for name in order}
    on_a_cycle = [name for name in order if name in reach[name]]
    # One cycle per group of nodes that reach each other, from its earliest-declared node.
    starts = [cycle[0] for cycle in cycles]
    assert starts == [name for name in on_a_cycle
                      if not any(other in reach[name] and name in reach[other]
                                 for other in order[:order.index(name)])]
    for cycle in cycles:
        assert cycle[0] == cycle[-1]
        assert all(b in depends[a] for a, b in pairwise(cycle))


def test_dependencies_declared_first_keep_declaration_order() -> None:
    order = ["a", "b", "c", "d"]
    depends = {"a": [], "b": ["a"], "c": ["a", "dbt_source"], "d": ["c", "b"]}
    assert topological_order(order, depends) == order
    assert find_cycles(order, depends) == []
