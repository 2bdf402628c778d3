#!/usr/bin/env python3
"""HTTPS interop: hookbench's TLS servers and emitter with Python's own TLS stack.

Usage: .venv-ci/bin/python .ci/tls-interop.py path/to/hookbench

1. A Python HTTPS receiver (the standard library's ssl with .ci/tls/localhost.pem, a test-only
   certificate for localhost/127.0.0.1) verifies every delivery of `hookbench serve --tls`'s
   emitter with the Standard Webhooks reference library; serve trusts it with --ca-cert.
2. `requests` with verify= reads serve --tls's API with the self-signed certificate whose file
   serve's banner names, and refuses it without verify=.
3. `requests` POSTs deliveries signed by the Standard Webhooks library to `hookbench receive --tls`
   (served with --tls-cert/--tls-key): accepted when signed, refused when tampered.
Every process is bounded by --stop-after and every request by a timeout.
"""

import http.server
import os
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import datetime

import requests
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
HERE = os.path.dirname(os.path.abspath(__file__))
CERT = os.path.join(HERE, "tls", "localhost.pem")
KEY = os.path.join(HERE, "tls", "localhost-key.pem")
SCENARIO = """
name = "tls-interop"
duration = "1m"
seed = 3
[events]
rate = "600/h"
[webhook]
delay = "0s"
"""


def banner(proc):
    line = proc.stdout.readline()
    addr = re.search(r"listening on https://(\S+)", line)
    cert = re.search(r"self-signed certificate (.+?) \(trust", line)
    assert addr, f"no https address in {line!r}"
    return addr.group(1), cert.group(1) if cert else None


def python_receiver():
    verified, refused = set(), []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            try:
                Webhook(SECRET).verify(body, {k.lower(): v for k, v in self.headers.items()})
                verified.add(self.headers["webhook-id"])
                self.send_response(204)
            except WebhookVerificationError as e:
                refused.append(str(e))
                self.send_response(400)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, verified, refused


def emitter_to_python(binary):
    server, verified, refused = python_receiver()
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(SCENARIO)
    url = f"https://127.0.0.1:{server.server_address[1]}/hook"
    serve = subprocess.Popen(
        [binary, "serve", "--tls", "--addr", "127.0.0.1:0", "--scenario", f.name, "--webhook-url", url,
         "--ca-cert", CERT, "--secret", SECRET, "--speedup", "600", "--stop-after", "4s"],
        stdout=subprocess.PIPE, text=True)
    try:
        addr, cert = banner(serve)
        assert cert, "serve --tls without --tls-cert names its self-signed certificate"
        page = requests.get(f"https://{addr}/events?limit=5", headers={"x-api-key": "ci"}, verify=cert, timeout=20)
        assert page.status_code == 200 and "data" in page.json(), page.text
        try:
            requests.get(f"https://{addr}/events", verify=True, timeout=20)
            raise AssertionError("requests accepted serve's self-signed certificate without verify=")
        except requests.exceptions.SSLError:
            pass
        rest = serve.communicate(timeout=60)[0]
    finally:
        serve.kill()
        os.unlink(f.name)
        server.shutdown()
    assert serve.returncode == 0, rest
    total = int(re.search(r"of (\d+) events? happened", rest).group(1))
    delivered = int(re.search(r"(\d+) delivered", rest).group(1))
    assert not refused, refused
    assert total > 0 and delivered == total == len(verified), (rest, len(verified))
    print(f"tls-interop: {len(verified)} deliveries from serve --tls verified by standardwebhooks over Python's ssl")


def python_to_receive(binary):
    receive = subprocess.Popen(
        [binary, "receive", "--tls", "--tls-cert", CERT, "--tls-key", KEY, "--addr", "127.0.0.1:0",
         "--secret", SECRET, "--stop-after", "20s"],
        stdout=subprocess.PIPE, text=True)
    try:
        addr, _ = banner(receive)
        wh = Webhook(SECRET)
        for i in range(5):
            body = '{"type":"order.paid","data":{"n":%d}}' % i
            now = datetime.datetime.now(tz=datetime.timezone.utc)
            headers = {"webhook-id": f"msg_{i}", "webhook-timestamp": str(int(now.timestamp())),
                       "webhook-signature": wh.sign(f"msg_{i}", now, body), "content-type": "application/json"}
            ok = requests.post(f"https://localhost:{addr.rsplit(':', 1)[1]}/hook", data=body, headers=headers,
                               verify=CERT, timeout=20)
            assert 200 <= ok.status_code < 300, ok.text
            bad = requests.post(f"https://{addr}/hook", data=body.replace("paid", "void"), headers=headers,
                                verify=CERT, timeout=20)
            assert 400 <= bad.status_code < 500, bad.text
    finally:
        receive.kill()
        receive.wait()
    print("tls-interop: receive --tls accepted 5 deliveries signed by standardwebhooks and refused 5 tampered ones")


if __name__ == "__main__":
    emitter_to_python(sys.argv[1])
    python_to_receive(sys.argv[1])
