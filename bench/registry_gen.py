#!/usr/bin/env python3
"""A `git fast-import` stream for a known-good registry of N marks (refs/timeturner/registry).

    registry_gen.py --marks FILE --count N --now EPOCH [--env production] > stream

FILE is the marks file `git fast-import --export-marks` wrote for the code history (see gen.py);
its commits are what the marks name. The lines are exactly what `git timeturner good/bad` writes:
canonical JSON (`"type"` first, other keys sorted, no white space), one per line, in
marks/<env>/<YYYY-MM>.jsonl by the month of `at`.

Marks arrive at a steady deploy rate of about 1,000 a month, the newest a minute before --now,
so registries of 1,000 and 100,000 marks have the same newest month (the one `good` appends to
and `last-good` answers from) and differ only in how much history lies behind it. Walking back
from the newest mark, each commit gets two marks (newest commit first), and every 20th mark is
bad; the newest mark of all is a bad one on the newest commit, so `last-good` must step over a
cancelled commit before it answers.

The registry's commit chain gets one commit per month (each adding that month's shard), not
one per mark: `good` and `last-good` read only the tip commit, so the chain's length does not
enter their cost, and generating 100,000 commits would only slow the benchmark set-up.
"""
import argparse
import random
import sys
import time

BY = "Deploy Bot <deploy@example.com>"
INTERVAL = 30 * 86400 // 1000  # ~1,000 marks a month


def rfc3339(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def compact(seconds):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))


def quote(text):
    # Only ASCII without control characters is generated, where JSON quoting is just this.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def canonical(event):
    keys = ["type"] + sorted(k for k in event if k != "type")
    parts = []
    for k in keys:
        v = event[k]
        parts.append(quote(k) + ":" + (str(v) if isinstance(v, int) else quote(v)))
    return "{" + ",".join(parts) + "}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--marks", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--now", type=int, required=True)
    p.add_argument("--env", default="production")
    args = p.parse_args()

    with open(args.marks) as f:
        by_mark = {int(k[1:]): v for k, v in (l.split() for l in f if l.startswith(":"))}
    commits = [by_mark[k] for k in sorted(by_mark)]
    rng = random.Random(20261123)
    newest = args.now - 60
    months = {}
    for j in range(args.count):
        back = args.count - 1 - j  # 0 = the newest mark
        at = newest - back * INTERVAL
        commit = commits[len(commits) - 1 - (back // 2) % len(commits)]
        verdict = "bad" if back % 20 == 0 else "good"
        event = {"type": verdict, "v": 1, "id": f"{compact(at)}-{rng.getrandbits(48):012x}", "at": rfc3339(at),
                 "by": BY, "commit": commit, "env": args.env}
        if verdict == "good":
            event["evidence"] = f"health checks passed (build {j})"
        else:
            event["reason"] = f"error rate above 5% after deploy (build {j})"
        months.setdefault(rfc3339(at)[:7], []).append(canonical(event) + "\n")

    out = sys.stdout.buffer
    for month in sorted(months):
        content = "".join(months[month]).encode()
        last_at = newest if month == max(months) else int(time.mktime(time.strptime(month + "-28", "%Y-%m-%d")))
        message = f"import {len(months[month])} marks into {args.env} for {month} (generated for the benchmark)\n".encode()
        out.write(b"commit refs/timeturner/registry\n")
        out.write(f"committer {BY} {last_at} +0000\n".encode())
        out.write(b"data %d\n%s\n" % (len(message), message))
        out.write(f"M 100644 inline marks/{args.env}/{month}.jsonl\n".encode())
        out.write(b"data %d\n%s\n" % (len(content), content))


if __name__ == "__main__":
    main()
