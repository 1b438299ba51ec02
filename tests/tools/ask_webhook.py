#!/usr/bin/env python3
# ask_webhook.py -- a test double of an on-demand "ask" webhook: HTTPS on 127.0.0.1, answers GET /ask?domain=... as told.
"""Usage: ask_webhook.py PORT CERT_PEM KEY_PEM LOG_FILE

GET /ask?domain=NAME&tenant=T answers by the current mode:
  allow  200        deny  403        slow  sleeps 30 s, then 200
GET /mode?set=allow|deny|slow changes the mode (answers 200 "ok");
anything else is 404. Every /ask request is appended to LOG_FILE as
"<mode> <domain> <tenant>" (one line, flushed), so a test can count them.
"""
import http.server
import ssl
import sys
import threading
import time
import urllib.parse

MODES = ("allow", "deny", "slow")


class State:
    mode = "allow"
    lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body):
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass    # the coordinator gave up waiting: that is the point

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/mode" and q.get("set", [""])[0] in MODES:
            with State.lock:
                State.mode = q["set"][0]
            return self.answer(200, "ok\n")
        if url.path != "/ask":
            return self.answer(404, "no\n")
        with State.lock:
            mode = State.mode
            with open(sys.argv[4], "a") as log:
                log.write("%s %s %s\n" % (mode, q.get("domain", ["-"])[0],
                                          q.get("tenant", ["-"])[0]))
        if mode == "slow":
            time.sleep(30)
        self.answer(200 if mode in ("allow", "slow") else 403, mode + "\n")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
                                          Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
