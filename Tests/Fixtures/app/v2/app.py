"""The application, v2 (and v3): a stdlib HTTP service whose /health queries PostgreSQL.

Started by bin/restart with the live configuration's path; reads it once, at start-up.
"""
import configparser
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pg8000.native

HERE = os.path.dirname(os.path.abspath(__file__))
CODE_VERSION = open(os.path.join(HERE, "VERSION")).read().strip()


def load(path):
    parser = configparser.ConfigParser()
    if not parser.read(path):
        sys.exit(f"app: cannot read configuration {path}")
    return parser


config = load(sys.argv[1])
# v2 needs the column 002 renamed; a v1 configuration (no display_column) stops the start here.
NAME_COLUMN = config["accounts"]["display_column"]
DATABASE = dict(host=config["database"]["host"], port=int(config["database"]["port"]),
                database=config["database"]["name"], user=config["database"]["user"], timeout=5)


def health():
    connection = pg8000.native.Connection(**DATABASE)
    try:
        total, named = connection.run(f"SELECT count(*), count({NAME_COLUMN}) FROM accounts")[0]
        revision = connection.run("SELECT version_num FROM alembic_version")[0][0]
    finally:
        connection.close()
    return total, named, revision


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/health":
            return self.answer(404, {"error": "not found"})
        try:
            total, named, revision = health()
        except Exception as error:  # any database problem is an unhealthy answer, not a crash
            return self.answer(500, {"code": CODE_VERSION, "config": config["app"]["version"], "error": str(error)})
        body = {"code": CODE_VERSION, "config": config["app"]["version"], "schema": revision, "accounts": total}
        self.answer(200 if named == total else 500, body)

    def answer(self, status, body):
        data = (json.dumps(body, sort_keys=True) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        sys.stderr.write("app: " + format % args + "\n")


server = ThreadingHTTPServer(("127.0.0.1", int(config["app"]["port"])), Handler)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
# The pid file appears only once the port is bound: bin/restart waits for it.
pid_file = sys.argv[2]
with open(pid_file + ".tmp", "w") as f:
    f.write(f"{os.getpid()}\n")
os.rename(pid_file + ".tmp", pid_file)
server.serve_forever()
