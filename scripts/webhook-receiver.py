#!/usr/bin/env python3
"""A webhook receiver for the tests: checks every delivery with the
Standard Webhooks reference library (`standardwebhooks`, from PyPI), never
with GoKart's own code, and keeps what it received.

Prints the port it listens on (127.0.0.1), then serves until killed:

  POST /hook          a delivery: 204 when its signature verifies under the
                      current secret, 401 when not, 500 while told to fail
  PUT  /control       {"secret": "whsec_...", "fail": N}: the secret to
                      verify with; answer the next N deliveries with 500
  GET  /control       {"received": [...], "rejected": N, "failed": N}: every
                      verified delivery as {id, timestamp, signatures, body}
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

state = {"secret": None, "fail": 0, "received": [], "rejected": 0, "failed": 0}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if data:
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("content-length", "0")))

    def do_GET(self):
        with lock:
            self.answer(200, {k: state[k] for k in ("received", "rejected", "failed")})

    def do_PUT(self):
        settings = json.loads(self.body())
        with lock:
            state["secret"] = settings.get("secret", state["secret"])
            state["fail"] = settings.get("fail", 0)
        self.answer(204)

    def do_POST(self):
        body = self.body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        with lock:
            if state["fail"] > 0:
                state["fail"] -= 1
                state["failed"] += 1
                self.answer(500, {"error": "told to fail"})
                return
            try:
                payload = Webhook(state["secret"]).verify(body, headers)
            except (WebhookVerificationError, TypeError, ValueError):
                state["rejected"] += 1
                self.answer(401, {"error": "signature not verified"})
                return
            state["received"].append({
                "id": headers["webhook-id"],
                "timestamp": headers["webhook-timestamp"],
                "signatures": len(headers["webhook-signature"].split(" ")),
                "body": payload,
            })
        self.answer(204)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
