#!/usr/bin/env python3
"""Prints the shell steps of one CI example in a Markdown file (docs/registry.md), one per line.

Usage: ci-steps.py <markdown file> 'GitHub Actions' | 'GitLab CI'   (exit 1 when there is no such example)

An example is a ```yaml block after a line ending in 'GitHub Actions:' or 'GitLab CI:'. Steps are
GitHub's 'run:' values and the items of GitLab's 'script:' list, in order: the snippets are kept to
that simple YAML on purpose, so this reads them without a YAML library.
"""
import re
import sys

text = open(sys.argv[1]).read()
found = False
for match in re.finditer(r"^(GitHub Actions|GitLab CI):\n\n```yaml\n(.*?)```", text, re.S | re.M):
    name, block = match.group(1), match.group(2)
    steps = []
    in_script = False
    for line in block.split("\n"):
        run = re.match(r"^\s*(?:- )?run: (.*)$", line)
        if run:
            steps.append(run.group(1))
            continue
        if re.match(r"^\s*script:\s*$", line):
            in_script = True
            continue
        item = re.match(r"^\s*- (.*)$", line)
        if in_script and item:
            steps.append(item.group(1))
            continue
        if in_script and line.strip() and not item:
            in_script = False
    if name == sys.argv[2]:
        found = True
        print("\n".join(steps))
sys.exit(0 if found else 1)
