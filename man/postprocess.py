#!/usr/bin/env python3
"""Turns the pages swift-argument-parser's generate-manual writes (mdoc, one per command, from the
same definitions as --help) into the pages committed in man/:

  * named as git looks them up: git-timeturner-rollback.1, not git-timeturner.rollback.1;
  * hidden commands (the completion and hook-runner interfaces) and 'help' left out;
  * the discussion's indented example lines kept as literal blocks instead of filled into prose;
  * our exit codes instead of mdoc's generic "0 on success, >0 on error";
  * the longer text from docs/ (rollback.md in git-timeturner-rollback(1), …) appended, converted
    from Markdown, so 'man git-timeturner-rollback' holds what the web page holds.

Usage: postprocess.py <generated dir> <output dir> <repository root> <dump-help.json>
"""
import json
import os
import re
import sys

generated, output, root, dump_path = sys.argv[1:5]
dump = json.load(open(dump_path))

# Which commands get a page: every visible one, by its path ("registry list").
visible = {}


def walk(command, path):
    visible[" ".join(path)] = command
    for sub in command.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            walk(sub, path + [sub["commandName"]])


walk(dump["command"], [])

# docs/ files appended to a page, and pages that point at another page for them.
DOCS = {
    "": ["docs/storage.md", "docs/exit-codes.md"],
    "rollback": ["docs/rollback.md"],
    "registry": ["docs/registry.md"],
    "sync": ["docs/sync.md"],
    "executor": ["docs/executors.md", "docs/executor-protocol.md"],
    "hooks": ["docs/hooks.md"],
    "check": ["docs/checks.md"],
}
RELATED = {
    "undo": "rollback", "status": "rollback", "recover": "rollback", "history": "rollback",
    "good": "registry", "bad": "registry", "last-good": "registry",
    "config": "executor", "trust": "executor",
    "guard": "check", "trigger": "check", "trigger check": "check",
}

EXIT_STATUS = [
    (0, "success"), (1, "error"), (3, "refused by a safety check"), (4, "locked by another operation"),
    (5, "verification failed and the state before was restored"), (6, "verification failed and restoring failed"),
    (64, "usage: a bad option, argument or value"),
]


def page_name(path):
    return "git-timeturner" + "".join("-" + word for word in path.split() if word)


def escape_text(line):
    """A line of running text for roff: backslashes escaped, a leading '.' or "'" made literal."""
    line = line.replace("\\", "\\e")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def inline(text):
    text = escape_text(text)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", lambda m: m.group(1), text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    return text


def markdown(path):
    """A small Markdown → mdoc conversion for docs/: headings, paragraphs, fenced code, lists, tables."""
    out = []
    lines = open(os.path.join(root, path)).read().split("\n")
    in_code = False
    in_list = False
    in_comment = False
    in_table = False
    title_done = False

    def close_blocks():
        nonlocal in_list, in_table
        if in_list:
            out.append(".El")
            in_list = False
        if in_table:
            out.append(".Ed")
            in_table = False

    for line in lines:
        if in_comment:
            in_comment = "-->" not in line
            continue
        if line.strip().startswith("<!--"):
            in_comment = "-->" not in line
            continue
        if line.startswith("```"):
            if in_code:
                out.append(".Ed")
            else:
                close_blocks()
                out.append(".Bd -literal -offset indent")
            in_code = not in_code
            continue
        if in_code:
            out.append(escape_text(line) if line else "")
            continue
        if line.startswith("# ") and not title_done:
            out.append('.Sh "%s"' % line[2:].strip().upper().replace('"', ""))
            title_done = True
            continue
        if line.startswith("#"):
            close_blocks()
            out.append('.Ss "%s"' % re.sub(r"[`*]", "", line.lstrip("#").strip()).replace('"', ""))
            continue
        if line.startswith("|"):
            if re.match(r"^\|[\s:|-]+\|$", line):
                continue
            if not in_table:
                close_blocks()
                out.append(".Bd -literal -offset indent")
                in_table = True
            out.append(escape_text(" | ".join(cell.strip() for cell in line.strip("|").split("|"))))
            continue
        bullet = re.match(r"^(\s*)[-*] (.*)$", line)
        numbered = re.match(r"^(\s*)\d+\. (.*)$", line)
        if bullet or numbered:
            if in_table:
                out.append(".Ed")
                in_table = False
            if not in_list:
                out.append(".Bl -bullet")
                in_list = True
            out.append(".It")
            out.append(inline((bullet or numbered).group(2)))
            continue
        if not line.strip():
            close_blocks()
            if out and out[-1] != ".Pp" and not out[-1].startswith((".Sh", ".Ss")):
                out.append(".Pp")
            continue
        if in_table:
            out.append(".Ed")
            in_table = False
        out.append(inline(line.strip()))
    close_blocks()
    while out and out[-1] == ".Pp":
        out.pop()
    return out


def description(lines):
    """Indented lines in a discussion are examples: literal blocks, not filled text."""
    out = []
    literal = False
    for line in lines:
        if line.startswith(".") and not line.startswith(".\\\""):
            if literal:
                out.append(".Ed")
                literal = False
            out.append(line)
            continue
        if line.startswith("  "):
            if not literal:
                out.append(".Bd -literal -offset indent")
                literal = True
            out.append(escape_text(line[2:]))
            continue
        if literal:
            out.append(".Ed")
            literal = False
        out.append(".Pp" if not line.strip() else escape_text(line))
    if literal:
        out.append(".Ed")
    return out


os.makedirs(output, exist_ok=True)
written = set()
for path, command in sorted(visible.items()):
    source = os.path.join(generated, "git-timeturner" + "".join("." + w for w in path.split()) + ".1")
    lines = open(source).read().rstrip("\n").split("\n")
    name = page_name(path)
    out = []
    section = None
    body = []
    options_started = False
    see_also_written = False
    for line in lines:
        if line.startswith(".Dd "):
            out.append(line)
            continue
        if line.startswith(".Dt "):
            out.append(".Dt %s 1" % name.upper())
            continue
        if line.startswith(".Nm ") and section == "NAME":
            out.append('.Nm "%s"' % ("git timeturner " + path if path else "git-timeturner"))
            continue
        if line.startswith(".Sh "):
            if section == "DESCRIPTION" and body:
                out.extend(description(body))
                body = []
            section = line[4:].strip('"')
            if section == "EXIT STATUS":
                out.append(line)
                out.append(".Bl -tag -width 4n -compact")
                for code, meaning in EXIT_STATUS:
                    out.append(".It %d" % code)
                    out.append(meaning)
                out.append(".El")
                continue
            if section == "SEE ALSO":
                for doc in DOCS.get(path, []):
                    out.extend(markdown(doc))
                out.append(line)
                related = [page_name(p) for p in visible if p and p.split()[:len(path.split())] == path.split() and p != path
                           and len(p.split()) == len(path.split()) + 1]
                if path:
                    related.insert(0, "git-timeturner")
                if path in RELATED:
                    related.append(page_name(RELATED[path]))
                related.append("git")
                for index, page in enumerate(related):
                    out.append(".Xr %s 1%s" % (page, " ," if index < len(related) - 1 else ""))
                section = "SKIP"
                see_also_written = True
                continue
            out.append(line)
            continue
        if section == "EXIT STATUS" or section == "SKIP":
            continue
        if section == "DESCRIPTION" and not options_started:
            # The discussion comes first; the option list starts at the first .Bl.
            if line.startswith(".Bl"):
                out.extend(description(body))
                body = []
                options_started = True
                out.append(line)
            else:
                body.append(line)
            continue
        out.append(line)
    if section == "DESCRIPTION" and body:
        out.extend(description(body))
    if not see_also_written:
        # generate-manual writes SEE ALSO only when a command has subcommands.
        for doc in DOCS.get(path, []):
            out.extend(markdown(doc))
        related = ["git-timeturner"] + ([page_name(RELATED[path])] if path in RELATED else []) + ["git"]
        out.append('.Sh "SEE ALSO"')
        for index, page in enumerate(related):
            out.append(".Xr %s 1%s" % (page, " ," if index < len(related) - 1 else ""))
    out[0:0] = ['.\\" Generated by swift-argument-parser\'s generate-manual from the --help definitions and man/postprocess.py', '.\\" from docs/; do not edit: run make man.']
    out = [line for line in out if line != '.\\" "Generated by swift-argument-parser"']
    # Characters beyond ASCII as groff's \[uXXXX] escapes: man-db converts raw UTF-8 itself, but
    # groff (and other formatters) read the page as Latin-1 and warn.
    out = ["".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in line) for line in out]
    with open(os.path.join(output, name + ".1"), "w") as f:
        f.write("\n".join(out) + "\n")
    written.add(name + ".1")

# Pages of commands that no longer exist.
for stale in os.listdir(output):
    if stale.endswith(".1") and stale not in written:
        os.remove(os.path.join(output, stale))
