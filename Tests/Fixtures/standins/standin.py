#!/usr/bin/env python3
"""Stand-ins for kubectl, helm and docker (linked under those names) for testing the example
executors in docs/executors/ where no cluster or daemon exists. Each call is appended to
$STANDIN_LOG as a JSON array of its arguments; state (the current revision or image) lives
in $STANDIN_STATE. $STANDIN_FAIL makes calls whose arguments contain that word fail."""
import json
import os
import sys

tool = os.path.basename(sys.argv[0])
args = sys.argv[1:]
with open(os.environ["STANDIN_LOG"], "a") as log:
    log.write(json.dumps([tool] + args) + "\n")
state_path = os.environ["STANDIN_STATE"]
state = json.load(open(state_path)) if os.path.exists(state_path) else {"revision": 3, "image": "sha256:bbb", "status": "deployed"}
fail = os.environ.get("STANDIN_FAIL")
if fail and fail in args:
    print(f"{tool}: simulated failure of {fail}", file=sys.stderr)
    sys.exit(1)


def save():
    json.dump(state, open(state_path, "w"))


if tool == "kubectl":
    if "get" in args:
        print(state["revision"], end="")
    elif "undo" in args:
        state["revision"] = int([a for a in args if a.startswith("--to-revision=")][0].split("=")[1])
        save()
        print("deployment.apps/web rolled back")
    elif "status" in args:
        print('deployment "web" successfully rolled out')
elif tool == "helm":
    if args[0] == "status":
        print(json.dumps({"name": "web", "version": state["revision"], "info": {"status": state["status"]},
                          "chart": {"metadata": {"version": "1.2.3"}}}))
    elif args[0] == "rollback":
        state["revision"] = int(args[2])
        save()
        print("Rollback was a success! Happy Helming!")
elif tool == "docker":
    if "images" in args:
        print(json.dumps([{"ContainerName": "app-web-1", "Service": "web", "ID": state["image"]}]))
    elif "up" in args:
        override = args[args.index("-f", 3) + 1]
        state["image"] = json.load(open(override))["services"]["web"]["image"]
        save()
    elif "ps" in args:
        print(json.dumps({"Service": "web", "State": "running", "Health": "healthy"}))
