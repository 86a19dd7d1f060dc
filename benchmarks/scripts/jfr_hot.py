#!/usr/bin/env python3
"""Hot methods of one request path in a JFR recording: self (top frame) and inclusive sample counts.

Usage: jfr_hot.py recording.jfr [path-frame] [top]
  path-frame: a frame that marks the request path (default ConfirmPages.confirm, the POST confirm; the confirm
  page's frame ConfirmPages.confirmPage is excluded). Needs `jfr` (JDK 17) on the PATH.
"""
import collections
import re
import subprocess
import sys

rec = sys.argv[1]
mark = sys.argv[2] if len(sys.argv) > 2 else "ConfirmPages.confirm"
top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
out = subprocess.run(
    ["jfr", "print", "--events", "jdk.ExecutionSample", "--stack-depth", "256", rec],
    capture_output=True, text=True, check=True).stdout
selfc, incl = collections.Counter(), collections.Counter()
total = matched = 0
for event in out.split("jdk.ExecutionSample")[1:]:
    frames = re.findall(r"^\s+([\w.$<>]+)\(", event, re.M)
    total += 1
    if not any(mark in f and not (mark.endswith(".confirm") and "confirmPage" in f) for f in frames):
        continue
    matched += 1
    selfc[frames[0]] += 1
    for f in set(frames):
        incl[f] += 1
print(f"{matched} of {total} samples under {mark}")
print("\nself (top frame):")
for f, n in selfc.most_common(top):
    print(f"{n:6d} {100.0 * n / matched:5.1f}%  {f}")
print("\ninclusive, org.optin4j and crypto/JOSE frames:")
for f, n in incl.most_common():
    if f.startswith("org.optin4j") or "nimbus" in f or "crypto" in f or "security" in f:
        print(f"{n:6d} {100.0 * n / matched:5.1f}%  {f}")
        top -= 1
        if top < -25:
            break
