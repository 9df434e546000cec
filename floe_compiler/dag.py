"""The transform graph: deterministic topological order and cycles with their full path.

Iterative throughout, so a 10k-transform chain cannot hit the recursion limit.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence


def topological_order(order: Sequence[str], depends_on: Mapping[str, Sequence[str]]) -> list[str]:
    """Nodes with every dependency first; ties keep declaration order.

    Unknown dependencies are ignored (reported elsewhere); nodes on a cycle are left out.
    """
    index = {name: i for i, name in enumerate(order)}
    if _declared_first(order, depends_on, index):
        return list(order)  # what the heap below would give, in one pass
    waiting = {name: 0 for name in order}
    dependents: dict[str, list[str]] = {name: [] for name in order}
    for name in order:
        for dep in set(depends_on.get(name, ())):
            if dep in index:
                waiting[name] += 1
                dependents[dep].append(name)
    ready = [(index[n], n) for n in order if waiting[n] == 0]
    heapq.heapify(ready)
    result: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        result.append(name)
        for child in dependents[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (index[child], child))
    return result


def find_cycles(order: Sequence[str], depends_on: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """One cycle per strongly connected component, as [a, b, ..., a] where each depends on
    the next, starting at the earliest-declared member."""
    index = {name: i for i, name in enumerate(order)}
    if _declared_first(order, depends_on, index):
        return []
    edges = {n: [d for d in depends_on.get(n, ()) if d in index] for n in order}
    cycles = []
    for component in _strongly_connected(order, edges):
        members = set(component)
        start = min(component, key=index.__getitem__)
        if len(component) == 1 and start not in edges[start]:
            continue
        cycles.append(_path_back(start, edges, members))
    cycles.sort(key=lambda c: index[c[0]])
    return cycles


def _declared_first(order: Sequence[str], depends_on: Mapping[str, Sequence[str]],
                    index: Mapping[str, int]) -> bool:
    """Whether each node's known dependencies are all declared before it, as in most
    files: then there is no cycle, and declaration order is the topological order with
    ties in declaration order (each node is ready when its turn comes). One pass over the
    edges, where the general algorithms below cost several times that at 100k nodes."""
    for position, name in enumerate(order):
        for dep in depends_on.get(name, ()):
            declared = index.get(dep)
            if declared is not None and declared >= position:
                return False
    return True


def _path_back(start: str, edges: Mapping[str, Sequence[str]], members: set[str]) -> list[str]:
    """Shortest walk start -> ... -> start inside one component (breadth-first)."""
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for dep in edges[node]:
                if dep not in members:
                    continue
                if dep == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if dep not in parent:
                    parent[dep] = node
                    following.append(dep)
        frontier = following
    return [start, start]  # unreachable for a real component


def _strongly_connected(order: Sequence[str], edges: Mapping[str, Sequence[str]]
                        ) -> list[list[str]]:
    """Tarjan's algorithm without recursion."""
    counter = 0
    low: dict[str, int] = {}
    num: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in order:
        if root in num:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                num[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = edges[node]
            if i < len(successors):
                work.append((node, i + 1))
                nxt = successors[i]
                if nxt not in num:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], num[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == num[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components
