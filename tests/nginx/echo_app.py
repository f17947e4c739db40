#!/usr/bin/python3
"""The upstream application of the nginx tests: answers every GET with the request's headers
as JSON, so a test sees exactly what nginx sent upstream (X-Remote-User, Authorization, ...).

    echo_app.py PORT_FILE    listens on a free loopback port and writes it to PORT_FILE
"""
import http.server
import json
import os
import sys


class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
# The rename makes the port appear whole.
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
