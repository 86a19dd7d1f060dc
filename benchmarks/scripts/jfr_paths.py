#!/usr/bin/env python3
"""Summarises a JFR recording of DoiBench: where the CPU samples of each request path go.

Usage: jfr_paths.py recording.jfr [top]

Each execution sample is given to the request path it ran under (the outermost matching frame: hosted signup,
confirmation page, confirm, the outbox dispatcher, the load driver, H2's background writer, ...), and within a path to
the nearest store operation (JdbcTransaction method, or begin/commit) or else the nearest optin4j frame, or else the
library the top frame belongs to. Needs `jfr` (JDK) on the PATH.
"""
import collections
import re
import subprocess
import sys

PATHS = [
    ("SignupPages.subscribe", "POST subscribe"),
    ("ConfirmPages.confirmPage", "GET confirm page"),
    ("ConfirmPages.confirm", "POST confirm"),
    ("OutboxDispatcher", "outbox dispatcher"),
    ("LoadDriver", "load driver (client)"),
    ("jdk.internal.net.http", "load driver (client)"),
    ("org.h2.mvstore.MVStore", "H2 background writer"),
    ("com.zaxxer.hikari", "connection pool"),
]
GENERIC = ("query", "queryOne", "update", "write", "guarded")


def frames_of(event):
    return re.findall(r"^\s+([\w.$<>]+)\(", event, re.M)


def path_of(frames):
    for f in reversed(frames):
        for key, name in PATHS:
            if key in f and not (key == "ConfirmPages.confirm" and "confirmPage" in f):
                return name
    return "other (JIT, GC, H2 writer, idle pool threads)"


def operation_of(frames):
    for f in frames:
        if "JdbcTransaction." in f:
            m = f.rsplit(".", 1)[1]
            if "lambda" not in m and m not in GENERIC:
                return "store: " + m
        if "JdbcConsentStore.inTransaction" in f or "JdbcConsentStore.read" in f:
            return "store: begin/commit"
    for f in frames:
        if f.startswith("org.optin4j.") and ".benchmarks." not in f:
            return f.replace("org.optin4j.", "")
    top = frames[0]
    for prefix in ("org.h2", "org.eclipse.jetty", "com.nimbusds", "sun.security", "java", "jdk"):
        if top.startswith(prefix):
            return prefix + ".*"
    return top


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    out = subprocess.run(["jfr", "print", "--stack-depth", "256", "--events", "jdk.ExecutionSample", sys.argv[1]],
                         check=True, capture_output=True, text=True).stdout
    events = out.split("jdk.ExecutionSample")[1:]
    paths = collections.Counter()
    ops = collections.defaultdict(collections.Counter)
    for e in events:
        frames = frames_of(e)
        if not frames:
            continue
        p = path_of(frames)
        paths[p] += 1
        ops[p][operation_of(frames)] += 1
    total = sum(paths.values())
    print(f"{total} execution samples in {sys.argv[1]}")
    for p, n in paths.most_common():
        print(f"{100.0 * n / total:5.1f} %  {p}")
        for op, m in ops[p].most_common(top):
            print(f"         {100.0 * m / n:5.1f} % of it  {op}")


if __name__ == "__main__":
    main()
