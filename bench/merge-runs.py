#!/usr/bin/env python3
"""Merges hyperfine --export-json files of several rounds into one, per command name.

    merge-runs.py OUT IN...

bench_pair times a command and its baseline in alternating rounds (A B, then B A, …) so that a
burst of load from another process on a shared machine falls on both sides alike. This puts the
rounds back together: every timed run of a command in one list, and median, mean, standard
deviation, minimum and mean user/system CPU time recomputed over all of them. The output has
hyperfine's shape ({"results": [...]}, in the order of the first input), in seconds.
"""
import json
import statistics
import sys


def main():
    out, inputs = sys.argv[1], sys.argv[2:]
    merged = {}
    order = []
    for path in inputs:
        for result in json.load(open(path))["results"]:
            name = result["command"]
            if name not in merged:
                merged[name] = {"times": [], "cpu": []}
                order.append(name)
            runs = len(result["times"])
            merged[name]["times"] += result["times"]
            # hyperfine reports user and system time as means over the round's runs.
            merged[name]["cpu"] += [(result["user"], result["system"], runs)]
    results = []
    for name in order:
        times = merged[name]["times"]
        runs = sum(r for _, _, r in merged[name]["cpu"])
        results.append({
            "command": name,
            "times": times,
            "median": statistics.median(times),
            "mean": statistics.fmean(times),
            "stddev": statistics.stdev(times) if len(times) > 1 else 0.0,
            "min": min(times),
            "max": max(times),
            "user": sum(u * r for u, _, r in merged[name]["cpu"]) / runs,
            "system": sum(s * r for _, s, r in merged[name]["cpu"]) / runs,
        })
    json.dump({"results": results}, open(out, "w"), indent=1)


if __name__ == "__main__":
    main()
