#!/usr/bin/env python3
"""Reads JMH JSON results of TokenBenchmark runs (one file per round) and prints, per token kind, the median
throughput of library, nimbus and rawHmac and the median of the per-round ratios library / nimbus."""
import json, statistics, sys, collections

scores = collections.defaultdict(lambda: collections.defaultdict(list))  # kind -> method -> [score per round]
for path in sys.argv[1:]:
    for r in json.load(open(path)):
        method = r["benchmark"].rsplit(".", 1)[1]
        kind = r["params"]["kind"]
        scores[kind][method].append(r["primaryMetric"]["score"])
for kind in ["CONFIRM", "MANAGE", "UNSUBSCRIBE", "DATA_REQUEST"]:
    s = scores.get(kind)
    if not s:
        continue
    ratios = [l / n for l, n in zip(s["library"], s["nimbus"])]
    med = statistics.median(ratios)
    print(f"{kind:<13} library {statistics.median(s['library']):9.0f} ops/s  nimbus {statistics.median(s['nimbus']):9.0f}"
          f" ops/s  rawHmac {statistics.median(s['rawHmac']):9.0f} ops/s  ratio per round "
          f"{[round(r, 3) for r in ratios]}  median {med:.3f}  target >= 0.80: {'MET' if med >= 0.8 else 'MISSED'}")
