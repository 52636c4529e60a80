#!/usr/bin/env python3
"""Checks that man/ matches the --help definitions (swift-argument-parser's --experimental-dump-help
on standard input): a page for every visible command and none for a command that is gone, each
page's NAME giving the command's abstract, and its SYNOPSIS naming exactly the command's options.
Prints what differs and exits 1; 'make man' regenerates the pages.

Usage: git-timeturner --experimental-dump-help | check-man-pages.py <man dir>
"""
import json
import os
import re
import sys

man_dir = sys.argv[1]
dump = json.load(sys.stdin)
problems = []
expected = set()


def walk(command, path):
    name = "git-timeturner" + "".join("-" + word for word in path)
    expected.add(name + ".1")
    page_path = os.path.join(man_dir, name + ".1")
    if not os.path.exists(page_path):
        problems.append("%s: no page for '%s'" % (name, " ".join(["git timeturner"] + path)))
    else:
        page = open(page_path).read()
        synopsis = page.split(".Sh SYNOPSIS", 1)[-1].split(".Sh ", 1)[0]
        in_page = set(re.findall(r"Fl (-?[A-Za-z][\w-]*)", synopsis))
        defined = set()
        for argument in command.get("arguments", []):
            if argument.get("shouldDisplay", True) and argument["kind"] in ("option", "flag"):
                preferred = argument.get("preferredName") or argument["names"][0]
                defined.add(("-" if preferred["kind"] == "long" else "") + preferred["name"])
        if in_page != defined:
            problems.append("%s: SYNOPSIS names %s, the definitions %s" % (name, sorted(in_page), sorted(defined)))
        abstract = command.get("abstract", "")
        if abstract and '.Nd "%s"' % abstract.replace('"', '\\"') not in page and (".Nd " + abstract) not in page:
            problems.append("%s: NAME does not give the abstract %r" % (name, abstract))
    for sub in command.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            walk(sub, path + [sub["commandName"]])


walk(dump["command"], [])
for page in sorted(os.listdir(man_dir)):
    if page.endswith(".1") and page not in expected:
        problems.append("%s: a page for a command that does not exist" % page)
for problem in problems:
    print(problem)
print("%d pages checked, %d problems" % (len(expected), len(problems)))
sys.exit(1 if problems else 0)
