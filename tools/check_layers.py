#!/usr/bin/env python3
"""Checks that lib/ only looks down: every quoted #include of a lib/ file names a file of
the same layer or of a lower one, in the order docs/architecture.md gives on its line
"Layer order: a -> b -> ...", and no two lib/ units include each other, even through
others (a unit is x.c with x.h and x_internal.h).

Usage: check_layers.py [ROOT]   (ROOT: the checkout, default .)
Prints every offending include as FILE:LINE and every circle; exit 1 when there is one."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
lib = os.path.join(root, "lib")

order_line = None
with open(os.path.join(root, "docs", "architecture.md"), encoding="utf-8") as f:
    for line in f:
        m = re.match(r"\s*Layer order:\s*(.+)$", line)
        if m:
            order_line = m.group(1)
            break
if not order_line:
    sys.exit("check_layers: docs/architecture.md has no 'Layer order:' line")
layers = [x.strip(" `.") for x in re.split(r"->|→", order_line)]
rank = {name: i for i, name in enumerate(layers)}

problems = []
units = {}
edges = {}


def unit_of(rel):
    return re.sub(r"_internal$", "", os.path.splitext(rel)[0])


for d, _, files in os.walk(lib):
    for name in sorted(files):
        if not name.endswith((".c", ".h")):
            continue
        rel = os.path.relpath(os.path.join(d, name), lib)
        layer = rel.split(os.sep)[0]
        if layer not in rank:
            problems.append(f"lib/{rel}: folder '{layer}' is not a layer of docs/architecture.md")
            continue
        units.setdefault(unit_of(rel), set())
        with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                inc = m.group(1)
                if inc.startswith("cryptoerd/"):
                    continue  # public headers: declarations only
                target = os.path.normpath(
                    inc if os.path.exists(os.path.join(lib, inc))
                    else os.path.join(os.path.dirname(rel), inc))
                if not os.path.exists(os.path.join(lib, target)):
                    problems.append(f"lib/{rel}:{lineno}: includes \"{inc}\", not a lib/ file")
                    continue
                tlayer = target.split(os.sep)[0]
                if tlayer in rank and rank[tlayer] > rank[layer]:
                    problems.append(f"lib/{rel}:{lineno}: {layer} includes \"{inc}\" of the "
                                    f"higher layer {tlayer}")
                if unit_of(target) != unit_of(rel):
                    edges.setdefault(unit_of(rel), set()).add(unit_of(target))

# Circles among units (Tarjan's strongly connected components).
index, low, stack, on_stack, circles = {}, {}, [], set(), []
counter = [0]


def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on_stack.add(v)
    for w in sorted(edges.get(v, ())):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on_stack.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            circles.append(sorted(comp))


sys.setrecursionlimit(10000)
for u in sorted(units):
    if u not in index:
        visit(u)
for c in circles:
    problems.append("circle: " + " <-> ".join(c))

for p in problems:
    print(p)
print(f"check_layers: {len(units)} units in {len(layers)} layers, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
