#!/usr/bin/env python3
"""Medians per candidate of a bench/alloc/compare.sh log, with the ratio to
the first candidate (the baseline). Usage: summary.py < compare.log"""
import re
import statistics
import sys

# (label, regex on a run's lines, higher is better)
METRICS = [
    ("pods/s", r"([0-9.]+) pods/s,", True),
    ("pods/CPU-s", r"([0-9.]+) pods per CPU-second", True),
    ("creates/s", r"([0-9.]+) creates/s", True),
    ("list JSON s", r"list: \d+ pods as JSON[^:]*: ([0-9.]+) s / ([0-9.]+) s / ([0-9.]+) s", False),
    ("list Table s", r"list: \d+ pods as Table[^:]*: ([0-9.]+) s / ([0-9.]+) s / ([0-9.]+) s", False),
    ("watch p50 ms", r"latency p50 ([0-9.]+) ms", False),
    ("watch p99 ms", r"latency p50 [0-9.]+ ms, p99 ([0-9.]+) ms", False),
    ("writes/s", r"lmdb ([0-9.]+) writes/s", True),
    ("puts/s", r"metric lmdb\.put\.c\d+ ([0-9.]+) ops/s", True),
    ("us CPU/put", r"([0-9.]+) us CPU per put", False),
    ("CPU s", r"CPU ([0-9.]+) s$", False),
    ("peak RSS MB", r"peak RSS ([0-9]+) MB", False),
    ("load", r"load ([0-9.]+),", False),
]

runs = {}      # candidate -> list of run texts
order = []
cur = None
for line in sys.stdin:
    m = re.match(r"run \d+ (\S+): (.*)", line)
    if m:
        cur = m.group(1)
        if cur not in runs:
            runs[cur] = []
            order.append(cur)
        runs[cur].append(line if "FAILED" not in line else None)
    elif cur and runs[cur] and runs[cur][-1] is not None:
        runs[cur][-1] += line

if not order:
    sys.exit("summary.py: no runs in the input")
# bench_sched_api prints one line per shape ("basic-10k  5000 nodes, ..."):
# its figures are kept apart per shape.
SHAPE = re.compile(r"^\s*(\S+)\s+\d+ nodes,")
table = {}
labels = []
for c in order:
    vals = {}
    for t in (t for t in runs[c] if t):
        for line in t.splitlines():
            m = SHAPE.match(line)
            for label, rx, _ in METRICS:
                for v in re.findall(rx, line):  # groups give tuples: every group counts
                    key = f"{m.group(1)} {label}" if m else label
                    vals.setdefault(key, []).extend(float(x) for x in (v if isinstance(v, tuple) else (v,)))
    for key, vs in vals.items():
        table[(c, key)] = (statistics.median(vs), len(vs))
        if key not in labels:
            labels.append(key)
labels = [(l, None, None) for l in labels]
base = order[0]
print("| candidate | " + " | ".join(l for l, _, _ in labels) + " |")
print("|---|" + "---|" * len(labels))
for c in order:
    cells = []
    for label, _, _ in labels:
        v = table.get((c, label))
        if not v:
            cells.append("—")
            continue
        b = table.get((base, label))
        cell = f"{v[0]:,.0f}" if v[0] >= 100 else f"{v[0]:.2f}"
        if c != base and b and b[0] and label != "load":
            cell += f" ({v[0] / b[0]:.2f}x)"
        cells.append(cell)
    n = len([t for t in runs[c] if t])
    print(f"| {c} (n={n}) | " + " | ".join(cells) + " |")
