#!/usr/bin/env python3
"""Validates real --json outputs against docs/schemas/ (JSON Schema 2020-12, python3-jsonschema).

Usage: validate-json.py <schema dir> <instance dir>
Each instance is <schema name>.<anything>.json and is checked against <schema name>.schema.json.
Prints one line per instance and exits 1 if any schema is invalid or any instance fails.
"""
import json
import os
import sys

import jsonschema

schemas_dir, instances_dir = sys.argv[1:3]
failed = False
for name in sorted(os.listdir(instances_dir)):
    schema_name = name.split(".", 1)[0]
    schema_path = os.path.join(schemas_dir, schema_name + ".schema.json")
    if not os.path.exists(schema_path):
        print("%s: no schema %s" % (name, schema_path))
        failed = True
        continue
    schema = json.load(open(schema_path))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    instance = json.load(open(os.path.join(instances_dir, name)))
    errors = sorted(validator_class(schema).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        failed = True
        for error in errors:
            print("%s: FAIL at %s: %s" % (name, "/".join(str(p) for p in error.path) or "(root)", error.message))
    else:
        print("%s: ok" % name)
sys.exit(1 if failed else 0)
