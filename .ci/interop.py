#!/usr/bin/env python3
"""Interop: hookbench's signatures checked by the providers' own verification code.

Usage: .venv-ci/bin/python .ci/interop.py path/to/hookbench

For each body below, `hookbench sign --scheme S` prints the headers it would send; the
provider's package must accept them, and must refuse the same headers with one byte of the body
changed. Packages (installed by .ci/run into .venv-ci):
  - standardwebhooks  (Standard Webhooks' reference library): Webhook.verify, and Webhook.sign
                      must produce the very same header
  - stripe            (Stripe's official library): stripe.Webhook.construct_event
  - slack-sdk         (Slack's official SDK): slack_sdk.signature.SignatureVerifier.is_valid
Starts nothing long-lived: one short `hookbench sign` process per delivery.
"""

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import stripe
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

STANDARD_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
STRIPE_SECRET = "whsec_interop_test_secret"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def bodies():
    yield b'{"type":"order.paid","timestamp":"2022-11-03T20:26:10.344522Z","data":{"order":"ord_1"}}'
    for i in range(20):
        event = {"id": f"evt_{i:010}", "object": "event", "type": "invoice.paid", "pad": "\u00e9" * i}
        yield json.dumps(event, ensure_ascii=False).encode()


def sign(binary, scheme, secret, body, msg_id, attempt=1):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(body)
        path = f.name
    try:
        out = subprocess.run(
            [binary, "sign", "--scheme", scheme, "--secret", secret, "--body", path,
             "--id", msg_id, "--attempt", str(attempt)],
            check=True, capture_output=True, text=True,
        ).stdout
    finally:
        os.unlink(path)
    return dict(line.split(": ", 1) for line in out.splitlines())


def tamper(body):
    return body[:-2] + bytes([body[-2] ^ 1]) + body[-1:]


def refused(check):
    try:
        return check() is False
    except Exception:  # each package raises its own error type
        return True


def main():
    binary = sys.argv[1]
    checked = 0
    for n, body in enumerate(bodies()):
        msg_id = f"msg_{n:04}"

        h = sign(binary, "standard", STANDARD_SECRET, body, msg_id)
        wh = Webhook(STANDARD_SECRET)
        wh.verify(body, h)
        ts = datetime.datetime.fromtimestamp(int(h["webhook-timestamp"]), tz=datetime.timezone.utc)
        assert wh.sign(msg_id, ts, body.decode()) == h["webhook-signature"], "standardwebhooks signs alike"
        assert refused(lambda: wh.verify(tamper(body), h)), "standardwebhooks refuses a changed body"

        h = sign(binary, "stripe", STRIPE_SECRET, body, msg_id)
        event = stripe.Webhook.construct_event(body, h["Stripe-Signature"], STRIPE_SECRET, tolerance=300)
        assert event.to_dict().get("id", "") == json.loads(body).get("id", ""), "the event parsed"
        assert refused(lambda: stripe.Webhook.construct_event(
            tamper(body), h["Stripe-Signature"], STRIPE_SECRET)), "stripe refuses a changed body"

        h = sign(binary, "slack", SLACK_SECRET, body, msg_id, attempt=1 + n % 3)
        verifier = SignatureVerifier(SLACK_SECRET)
        assert verifier.is_valid(body, h["X-Slack-Request-Timestamp"], h["X-Slack-Signature"])
        assert not verifier.is_valid(tamper(body), h["X-Slack-Request-Timestamp"], h["X-Slack-Signature"])
        checked += 1
    assert checked > 20 and abs(int(h["X-Slack-Request-Timestamp"]) - time.time()) < 60
    print(f"interop: {checked} bodies verified by standardwebhooks, stripe and slack-sdk (and refused when changed)")


if __name__ == "__main__":
    main()
