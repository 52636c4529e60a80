#!/usr/bin/env python3
"""Streams for `git fast-import` that build the benchmark repositories.

    gen.py history --commits N            > stream   # the code history (branch refs/heads/main)
    gen.py long --commits N [--skew K]    > stream
                                                     # a long history with constant-size trees
    gen.py points  --marks FILE --points N --updates FILE --targets FILE > stream
                                                     # notes on every commit + N point tags

`history` is a linear history of N commits over a few hundred files in nested directories;
each commit after the first modifies 1-3 files (a line replaced, inserted or deleted), like
ordinary day-to-day work.

`points` reads the marks file fast-import exported for `history` (mark -> commit id) and writes

  * one notes commit on refs/notes/timeturner holding a JSON Lines note on every commit, in the
    exact format git-timeturner writes (`{"type":"point","at":...,"v":1}`);
  * N annotated tags in the exact format git-timeturner writes (tag name = point id, message =
    subject + `Timeturner-*` trailers). fast-import can only write tags under refs/tags/, so the
    script also writes an `update-ref --stdin` script (--updates) that moves each one to
    refs/timeturner/points/<id>. The tag ids are computed here (SHA-1 of the object) so the
    notes can name them, and checked against what fast-import wrote afterwards;
  * the list of commits that carry no point yet (--targets), for the `point` benchmark to use,
    one new commit per timed run.

`long` is for histories of a million commits: 16 files of one short line, each commit rewriting
one of them with one of 64 contents, so there are only 1,024 distinct trees and 64 blobs and the
repository grows by one commit object per commit (about 150 bytes packed), never by its files.
With `--skew K` the newest K commits are dated before all their ancestors and each before its
parent (imported or rebased history; a clock set back): any walk that orders or stops by commit
date meets HEAD last. Only the newest 2,000 commits get fast-import marks (for
registry_gen.py), so the file `--export-marks` writes stays small.

Everything is derived from a fixed seed, so the repositories are the same on every machine.
"""
import argparse
import hashlib
import json
import random
import sys
import time

AUTHORS = [
    ("Ada Lovelace", "ada@example.com"), ("Grace Hopper", "grace@example.com"),
    ("Linus Torvalds", "linus@example.com"), ("Margaret Hamilton", "margaret@example.com"),
    ("Ken Thompson", "ken@example.com"), ("Barbara Liskov", "barbara@example.com"),
    ("Dennis Ritchie", "dennis@example.com"), ("Frances Allen", "frances@example.com"),
]
POINT_AUTHOR = ("Release Bot", "release-bot@example.com")
START = 1_577_836_800  # 2020-01-01T00:00:00Z
WORDS = ("alpha beta gamma delta parse render cache index config token buffer stream "
         "handler retry timeout schema record encode decode session client server").split()
VERBS = ["Fix", "Add", "Refactor", "Tidy", "Speed up", "Document", "Test", "Handle", "Remove", "Rename"]


def layout(rng):
    """About 350 files in about 30 directories, two to three levels deep."""
    files = []
    top = {"src": ["core", "net", "storage", "ui", "cli", "auth", "billing", "search", "jobs", "util"],
           "tests": ["unit", "integration", "fixtures"],
           "docs": ["guide", "reference", "adr"],
           "tools": ["ci", "release"],
           "config": ["dev", "prod"]}
    ext = {"src": ".c", "tests": ".py", "docs": ".md", "tools": ".sh", "config": ".yaml"}
    for t, subs in top.items():
        for s in subs:
            for i in range(rng.randint(8, 20) if t == "src" else rng.randint(5, 12)):
                files.append(f"{t}/{s}/{rng.choice(WORDS)}_{i}{ext[t]}")
    for name in ("README.md", "LICENSE", "Makefile", ".gitignore", "CHANGELOG.md"):
        files.append(name)
    return files


def line(rng, n):
    return f"{n:05d} {rng.choice(WORDS)} {rng.choice(WORDS)}({rng.randint(0, 9999)}) {rng.choice(WORDS)}\n"


def data(out, payload):
    b = payload.encode()
    out.append(b"data %d\n" % len(b))
    out.append(b)
    out.append(b"\n")


def history(args):
    rng = random.Random(20261121)
    files = layout(rng)
    contents = {f: [line(rng, i) for i in range(rng.randint(10, 40))] for f in files}
    out = []
    w = sys.stdout.buffer
    t = START
    counter = 0
    for n in range(1, args.commits + 1):
        t += rng.randint(60, 1200)
        name, email = AUTHORS[rng.randrange(len(AUTHORS))]
        if n == 1:
            changed = files
            msg = "Initial import\n"
        else:
            changed = rng.sample(files, rng.choice((1, 1, 1, 2, 2, 3)))
            msg = (f"{rng.choice(VERBS)} {rng.choice(WORDS)} {rng.choice(WORDS)} in {changed[0].split('/')[-1]}\n\n"
                   f"Change {n}: adjusts {', '.join(changed)}.\n")
        out.append(b"commit refs/heads/main\nmark :%d\n" % n)
        out.append(f"author {name} <{email}> {t} +0000\ncommitter {name} <{email}> {t} +0000\n".encode())
        data(out, msg)
        for f in changed:
            lines = contents[f]
            if n > 1:
                counter += 1
                op = rng.random()
                i = rng.randrange(len(lines))
                if op < 0.6 or len(lines) < 5:
                    lines[i] = line(rng, counter)
                elif op < 0.9:
                    lines.insert(i, line(rng, counter))
                else:
                    del lines[i]
            out.append(f"M 100644 inline {f}\n".encode())
            data(out, "".join(lines))
        out.append(b"\n")
        if len(out) > 4096:
            w.write(b"".join(out))
            out.clear()
    w.write(b"".join(out))


def long_history(args):
    """One commit object per commit; see the module docstring."""
    w = sys.stdout.buffer
    out = []
    files = [f"s{i:02d}" for i in range(16)]
    n = args.commits
    skew_from = n - args.skew + 1 if args.skew else n + 1
    marked_from = max(1, n - 1999)
    for i in range(1, n + 1):
        # Skewed commits: START minus a day, then a minute earlier per commit.
        t = START + i * 60 if i < skew_from else START - 86400 - (i - skew_from) * 60
        out.append(b"commit refs/heads/main\n")
        if i >= marked_from:
            out.append(b"mark :%d\n" % i)
        out.append(b"committer Bench Bot <bench@example.com> %d +0000\n" % t)
        if i == 1:
            out.append(b"data 15\nInitial import\n\n")
            for f in files:
                out.append(b"M 100644 inline %s\ndata 2\n0\n\n" % f.encode())
        else:
            msg = b"Change %d\n" % i
            out.append(b"data %d\n%s" % (len(msg), msg))
            value = b"%d\n" % ((i // 16) % 64)
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (files[i % 16].encode(), len(value), value))
        if len(out) > 8192:
            w.write(b"".join(out))
            out.clear()
    w.write(b"".join(out))


def rfc3339(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def compact(seconds):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))


def tag_message(subject, pid, severity, env):
    m = f"{subject}\n\nTimeturner-Point: {pid}\n"
    if severity:
        m += f"Timeturner-Severity: {severity}\n"
    if env:
        m += f"Timeturner-Env: {env}\n"
    return m + "Timeturner-Tier: code\n"


def note_line(pid, at, commit, tag, subject, severity, env):
    # Same key order as JSONValue.canonicalLine: "type" first, then the others sorted.
    event = {"at": rfc3339(at), "by": f"{POINT_AUTHOR[0]} <{POINT_AUTHOR[1]}>", "commit": commit, "env": env,
             "id": pid, "severity": severity, "subject": subject, "tag": tag, "tiers": ["code"], "v": 1}
    return '{"type":"point",' + json.dumps(event, separators=(",", ":"), ensure_ascii=False)[1:] + "\n"


def points(args):
    marks = {}
    with open(args.marks) as f:
        for row in f:
            mark, oid = row.split()
            marks[int(mark[1:])] = oid
    commits = [marks[k] for k in sorted(marks)]
    rng = random.Random(1000 + args.points)
    # Points on a random sample of commits, made some time after the commit (commit times are
    # not known here, so points are spread over the history's span in commit order).
    chosen = sorted(rng.sample(range(len(commits)), args.points))
    point_of = {}
    span = len(commits)
    w = sys.stdout.buffer
    out = []
    updates = []
    seen_ids = set()
    for idx in chosen:
        commit = commits[idx]
        at = START + int(idx / span * 3 * 365 * 86400) + rng.randint(0, 86400)
        while True:
            pid = f"{compact(at)}-{rng.randrange(65536):04x}"
            if pid not in seen_ids:
                break
        seen_ids.add(pid)
        severity = rng.choice((None, None, "low", "medium", "high", "critical"))
        env = rng.choice((None, "production", "staging"))
        subject = f"before {rng.choice(VERBS).lower()} {rng.choice(WORDS)} rollout #{idx}"
        msg = tag_message(subject, pid, severity, env)
        tagger = f"{POINT_AUTHOR[0]} <{POINT_AUTHOR[1]}> {at} +0000"
        body = f"object {commit}\ntype commit\ntag {pid}\ntagger {tagger}\n\n{msg}".encode()
        tag_oid = hashlib.sha1(b"tag %d\0" % len(body) + body).hexdigest()
        point_of[idx] = (pid, at, tag_oid, subject, severity, env)
        out.append(f"tag {pid}\nfrom {commit}\ntagger {tagger}\n".encode())
        data(out, msg)
        updates.append(f"create refs/timeturner/points/{pid} {tag_oid}\ndelete refs/tags/{pid} {tag_oid}\n")
    # One notes commit with a note on every commit of the history.
    out.append(b"commit refs/notes/timeturner\n")
    out.append(f"committer {POINT_AUTHOR[0]} <{POINT_AUTHOR[1]}> {START + 3 * 365 * 86400} +0000\n".encode())
    data(out, "Notes added by 'git timeturner'\n")
    for idx, commit in enumerate(commits):
        if idx in point_of:
            pid, at, tag_oid, subject, severity, env = point_of[idx]
        else:
            # A point that was made and later pruned: its note line stays, its ref is gone.
            at = START + int(idx / span * 3 * 365 * 86400) + 3600
            pid = f"{compact(at)}-{idx % 65536:04x}"
            tag_oid = hashlib.sha1(pid.encode()).hexdigest()
            subject, severity, env = f"nightly #{idx}", None, None
        out.append(f"N inline {commit}\n".encode())
        data(out, note_line(pid, at, commit, tag_oid, subject, severity, env))
        if len(out) > 4096:
            w.write(b"".join(out))
            out.clear()
    w.write(b"".join(out))
    with open(args.updates, "w") as f:
        f.writelines(updates)
    with open(args.targets, "w") as f:
        free = [commits[i] for i in range(span) if i not in point_of]
        rng.shuffle(free)
        f.writelines(c + "\n" for c in free[:5000])


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("history")
    h.add_argument("--commits", type=int, required=True)
    g = sub.add_parser("long")
    g.add_argument("--commits", type=int, required=True)
    g.add_argument("--skew", type=int, default=0)
    q = sub.add_parser("points")
    q.add_argument("--marks", required=True)
    q.add_argument("--points", type=int, required=True)
    q.add_argument("--updates", required=True)
    q.add_argument("--targets", required=True)
    a = p.parse_args()
    {"history": history, "long": long_history, "points": points}[a.cmd](a)


if __name__ == "__main__":
    main()
