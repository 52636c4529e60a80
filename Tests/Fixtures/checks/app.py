"""A small loopback app for check tests, driven through files in a control directory.

/health answers the status in <control>/status (default 200) after <control>/delay seconds;
/json answers {"errors": <control>/errors}; /metrics exposes app_errors_total, which grows by
<control>/increment (default 0) on every scrape. Listens on 127.0.0.1, port written to argv[1].
"""
import http.server, os, sys, time

control = sys.argv[2]
errors_total = 0

def setting(name, default):
    try:
        with open(os.path.join(control, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, kind="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        global errors_total
        if self.path == "/health":
            time.sleep(float(setting("delay", "0")))
            self.answer(int(setting("status", "200")), "health\n")
        elif self.path == "/json":
            self.answer(200, '{"checks": {"errors": %s}}' % setting("errors", "0"), "application/json")
        elif self.path == "/metrics":
            errors_total += int(setting("increment", "0"))
            self.answer(200, "# TYPE app_errors_total counter\napp_errors_total %d\n" % errors_total)
        else:
            self.answer(404, "no\n")

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
