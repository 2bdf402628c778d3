# --- hookbench: template ---------------------------------------------------------------------
# Everything below is the same for every export; the constants above it are the scenario's.
#
# How it runs. Each Locust process that sends (the local runner, or every worker under a master)
# owns a share of the event ids: id % count == index, with index and count handed out by the
# master at test start in the order of Locust's own worker index (a local run owns them all).
# Its WebhookUsers take the next attempt that is due from that share (first attempts at the
# event's time, retries on the scenario's schedule), sign it and POST it. A failed attempt is
# rescheduled, never dropped, until the schedule runs out (then dead-lettered). When a share is
# settled its worker tells the master; when every share is, the master prints the totals and
# quits. Requests are named `delivery`, `retry` and `poll` in Locust's statistics.
#
# The provider, as the scenario's [webhook] describes it. Every attempt goes out the `delay`
# after it is due (sampled per event and attempt from the seed, as hookbench's emitter adds it).
# An attempt due inside one of the `outages` is held until the window ends and then sent as the
# same attempt (the retry schedule does not advance). `max_in_flight` and `throughput` cap the
# provider's pipeline for the endpoint; with several workers each takes its share of the caps:
# throughput / workers exactly (its sends spaced workers x the scenario's send gap), and
# max_in_flight // workers, the first max_in_flight % workers workers one more, at least 1 (so
# the workers together hold exactly max_in_flight unless there are more workers than that).
# Held attempts wait in order of due time. A process never has more attempts out than it has
# WebhookUsers, so give -u at least max_in_flight to reach the cap.

import base64
import hashlib
import hmac
import heapq
import itertools
import json
import math
import random
import statistics
import time
from datetime import datetime, timezone

# --- signing: begin ---
# One function per scheme, from the Python standard library alone; hookbench's tests run this
# section against hookbench's own signer.


def _hmac(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def sign(scheme, secret, msg_id, ts, body, attempt=1):
    """The signature headers of one delivery: `body` (bytes) as message `msg_id` at Unix `ts`,
    attempt `attempt` (1 for the first; Slack announces retries)."""
    ts = str(int(ts))
    if scheme == "standard":
        key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
        tag = _hmac(key, msg_id.encode() + b"." + ts.encode() + b"." + body)
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": ts,
            "webhook-signature": "v1," + base64.b64encode(tag).decode(),
        }
    key = secret.encode()
    if scheme == "github":
        return {
            "X-GitHub-Delivery": msg_id,
            "X-Hub-Signature-256": "sha256=" + _hmac(key, body).hex(),
        }
    if scheme == "stripe":
        return {"Stripe-Signature": "t=" + ts + ",v1=" + _hmac(key, ts.encode() + b"." + body).hex()}
    if scheme == "shopify":
        return {
            "X-Shopify-Webhook-Id": msg_id,
            "X-Shopify-Hmac-Sha256": base64.b64encode(_hmac(key, body)).decode(),
        }
    if scheme == "slack":
        headers = {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + _hmac(key, b"v0:" + ts.encode() + b":" + body).hex(),
        }
        if attempt > 1:
            headers["X-Slack-Retry-Num"] = str(attempt - 1)
            headers["X-Slack-Retry-Reason"] = "http_error"
        return headers
    raise ValueError("unknown scheme " + scheme)


# --- signing: end ---


def _numbers(text):
    return [int(x) for x in text.split(",")] if text else []


# Event i happens AT_US[i] microseconds of scenario time after the start and moves resource
# RESOURCES[i] to its next version.
AT_US = list(itertools.accumulate(_numbers(EVENT_GAPS_US)))
RESOURCES = _numbers(EVENT_RESOURCES)
assert len(AT_US) == len(RESOURCES) == EVENTS_TOTAL, "the embedded event stream is damaged"
VERSIONS = []
_seen = {}
for _r in RESOURCES:
    _seen[_r] = _seen.get(_r, 0) + 1
    VERSIONS.append(_seen[_r])
del _seen

PAD = "x" * PAYLOAD_BYTES
LEAD_S = 1.0  # the shared start lies this far after the test starts, so every worker has it


def occurred_at(wall):
    """RFC 3339 with milliseconds, as hookbench writes `occurred_at`."""
    d = datetime.fromtimestamp(wall, timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def body_of(eid, wall):
    """The delivery body of event `eid`, which happened at `wall` (Unix seconds)."""
    state = STATES[(VERSIONS[eid] - 1) % len(STATES)]
    if PAYLOAD == "thin":
        doc = {"id": "evt_%010d" % eid, "type": RESOURCE_TYPE + "." + state,
               "resource_id": "res_%06d" % RESOURCES[eid]}
    else:
        doc = {"id": "evt_%010d" % eid, "type": RESOURCE_TYPE + "." + state,
               "resource_id": "res_%06d" % RESOURCES[eid], "version": VERSIONS[eid], "state": state,
               "occurred_at": occurred_at(wall), "occurred_at_us": AT_US[eid], "data": {"note": PAD}}
    return json.dumps(doc, separators=(",", ":")).encode()


def retry_after(headers):
    try:
        return max(0.0, float(headers.get("Retry-After", "")))
    except ValueError:
        return None


_SIGMA = (math.log(DELAY_P99_US / DELAY_US) / statistics.NormalDist().inv_cdf(0.99)
          if DELAY == "lognormal" and DELAY_P99_US > DELAY_US > 0 else 0.0)


def delay_us(eid, attempt):
    """The provider's delay before attempt `attempt` of `eid` goes out, in scenario microseconds
    (fixed, log-normal with the scenario's median and p99, or exponential; not capped)."""
    if DELAY == "fixed" or (DELAY == "lognormal" and _SIGMA == 0.0):
        return DELAY_US
    rng = random.Random("%d:%d:%d:delay" % (SEED, eid, attempt))
    if DELAY == "lognormal":
        x = DELAY_US * math.exp(_SIGMA * rng.gauss(0.0, 1.0))
    else:
        x = rng.expovariate(1.0 / DELAY_US) if DELAY_US > 0 else 0.0
    return x


def provider_ready(at_us):
    """The earliest scenario time at or after `at_us` outside every provider outage."""
    moved = True
    while moved:
        moved = False
        for start, length in OUTAGES_US:
            if start <= at_us < start + length:
                at_us, moved = start + length, True
    return at_us


class Book:
    """One process's share of the events: what is due, what is in flight, what became of each."""

    def __init__(self, index, count, t0):
        self.ids = range(index, EVENTS_TOTAL, count)
        self.pos = 0
        self.firsts = []  # heap of (wall time due, event id, 1): events whose time has come
        self.retries = []  # heap of (wall time due, event id, attempt)
        self.bodies = {}
        self.in_flight = 0
        self.t0 = t0
        # This share of the provider's caps (see the top of the template).
        self.max_in_flight = (max(1, MAX_IN_FLIGHT // count + (index < MAX_IN_FLIGHT % count))
                              if MAX_IN_FLIGHT else None)
        self.gap = SEND_GAP_US * count / 1e6 / SPEEDUP
        self.next_send = 0.0
        self.disabled = False
        self.finished = False
        self.counts = {"events": len(self.ids), "sent": 0, "delivered": 0, "retried": 0,
                       "dead_lettered": 0, "attempts": 0, "failed": 0, "held": 0}

    def wall(self, at_us):
        return self.t0 + at_us / 1e6 / SPEEDUP

    def scenario_us(self, wall):
        return (wall - self.t0) * SPEEDUP * 1e6

    def ready(self, due):
        """`due` (wall), moved to the end of a provider outage it falls in."""
        if not OUTAGES_US:
            return due
        at = self.scenario_us(due)
        end = provider_ready(at)
        return due if end == at else self.wall(end)

    def settled(self):
        return (self.pos >= len(self.ids) and not self.firsts and not self.retries
                and self.in_flight == 0)

    def take(self, now):
        """The next attempt to send as (event, attempt), or how long to wait for one."""
        while self.pos < len(self.ids) and self.wall(AT_US[self.ids[self.pos]]) <= now:
            eid = self.ids[self.pos]
            self.pos += 1
            heapq.heappush(self.firsts, (self.wall(AT_US[eid] + delay_us(eid, 1)), eid, 1))
        upcoming = self.wall(AT_US[self.ids[self.pos]]) if self.pos < len(self.ids) else None
        heads = [h[0] for h in (self.firsts, self.retries) if h]
        if not heads:
            return None, 0.05 if upcoming is None else min(upcoming - now, 0.05)
        queue = self.retries if self.retries and (not self.firsts or self.retries[0] <= self.firsts[0]) \
            else self.firsts
        due = self.ready(queue[0][0])
        if due > now:
            wait = due - now if upcoming is None else min(due, upcoming) - now
            return None, min(max(wait, 0.0), 0.05)
        # A disabled endpoint takes nothing: what falls due is dead-lettered, past the caps.
        if not self.disabled:
            if self.max_in_flight is not None and self.in_flight >= self.max_in_flight:
                return None, 0.005
            if self.gap:
                start = max(self.next_send, due)
                if start > now:
                    return None, min(start - now, 0.05)
                self.next_send = start + self.gap
        was_due, eid, attempt = heapq.heappop(queue)
        if attempt == 1:
            self.bodies[eid] = body_of(eid, self.wall(AT_US[eid]))
            self.counts["sent"] += 1
        if self.disabled:
            self.dead_letter(eid)
            return None, 0.0
        if due > was_due:
            self.counts["held"] += 1
        self.in_flight += 1
        self.counts["attempts"] += 1
        if attempt > 1:
            self.counts["retried"] += 1
        return (eid, attempt), 0.0

    def dead_letter(self, eid):
        self.bodies.pop(eid, None)
        self.counts["dead_lettered"] += 1

    def end(self, eid, attempt, outcome, after, now):
        """Attempt `attempt` of `eid` ended at `now`: ok, gone, throttled (with Retry-After) or
        failed. A failure is retried on the schedule, or dead-lettered when it has run out."""
        self.in_flight -= 1
        if outcome == "ok":
            self.bodies.pop(eid, None)
            self.counts["delivered"] += 1
            return
        self.counts["failed"] += 1
        if outcome == "gone":
            self.disabled = True
        if self.disabled or attempt > len(RETRY_SCHEDULE_US):
            self.dead_letter(eid)
            return
        backoff = RETRY_SCHEDULE_US[attempt - 1]
        if RETRY_JITTER:
            rng = random.Random("%d:%d:%d" % (SEED, eid, attempt))
            backoff = round(backoff * (1.0 + RETRY_JITTER * (2.0 * rng.random() - 1.0)))
        wait = backoff / 1e6 / SPEEDUP
        if outcome == "throttled" and after is not None:
            # A server's waits are scenario seconds, compressed like every other time (as
            # hookbench's live engine reads them; at speed-up 1 they are real seconds).
            wait = max(wait, min(after, MAX_SERVER_WAIT_S) / SPEEDUP)
        wait += delay_us(eid, attempt + 1) / 1e6 / SPEEDUP
        heapq.heappush(self.retries, (now + wait, eid, attempt + 1))


# --- Locust: from here on ---
# Above this line is the standard library alone (hookbench's tests run it without Locust).

import gevent  # noqa: E402
from locust import HttpUser, constant, events, task  # noqa: E402
from locust.runners import LocalRunner, MasterRunner, WorkerRunner  # noqa: E402

BOOK = None
RESULTS = {}  # on the master (or the local runner): the latest counts of each share
DONE = set()
EXPECTED = {"shares": 0, "printed": False}


def start_book(index, count, t0):
    global BOOK
    BOOK = Book(index, count, t0)


def totals():
    keys = ["events", "sent", "delivered", "retried", "dead_lettered", "attempts", "failed", "held"]
    return {k: sum(r.get(k, 0) for r in RESULTS.values()) for k in keys}


def print_totals(environment):
    if EXPECTED["printed"]:
        return
    EXPECTED["printed"] = True
    t = totals()
    pending = t["sent"] - t["delivered"] - t["dead_lettered"]
    held = ", %d held by provider outages" % t["held"] if OUTAGES_US else ""
    print("hookbench: %d events: %d sent, %d delivered, %d retried, %d dead-lettered, %d pending "
          "(%d attempts, %d failed%s; scenario %s, seed %d, speed-up %g)"
          % (EVENTS_TOTAL, t["sent"], t["delivered"], t["retried"], t["dead_lettered"],
             pending + t["events"] - t["sent"], t["attempts"], t["failed"], held, SCENARIO, SEED,
             SPEEDUP),
          flush=True)


def share_done(environment, client_id, counts):
    RESULTS[client_id] = counts
    DONE.add(client_id)
    if len(DONE) >= EXPECTED["shares"] and not EXPECTED["printed"]:
        print_totals(environment)
        # Headless, the run is over; under the web UI, stop and keep the results on screen.
        opts = environment.parsed_options
        done = environment.runner.quit if opts is None or opts.headless else environment.runner.stop
        gevent.spawn_later(0.5, done)


def finish(environment):
    """This process's share is settled."""
    BOOK.finished = True
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.send_message("hookbench_done", dict(BOOK.counts))
    else:
        share_done(environment, "local", dict(BOOK.counts))


@events.init.add_listener
def on_init(environment, **_kwargs):
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.register_message(
            "hookbench_done", lambda environment, msg, **_: share_done(environment, msg.node_id, msg.data))
    elif isinstance(runner, WorkerRunner):
        runner.register_message(
            "hookbench_share", lambda environment, msg, **_: start_book(msg.data["index"], msg.data["count"], msg.data["t0"]))


@events.test_start.add_listener
def on_test_start(environment, **_kwargs):
    runner = environment.runner
    t0 = time.time() + LEAD_S
    RESULTS.clear()
    DONE.clear()
    EXPECTED["printed"] = False
    if isinstance(runner, MasterRunner):
        workers = sorted((c.id for c in runner.clients.ready + runner.clients.running + runner.clients.spawning),
                         key=runner.get_worker_index)
        EXPECTED["shares"] = len(workers)
        for i, cid in enumerate(workers):
            runner.send_message("hookbench_share", {"index": i, "count": len(workers), "t0": t0}, client_id=cid)
    elif isinstance(runner, LocalRunner):
        EXPECTED["shares"] = 1
        start_book(0, 1, t0)


@events.report_to_master.add_listener
def on_report_to_master(client_id, data, **_kwargs):
    if BOOK is not None:
        data["hookbench"] = dict(BOOK.counts)


@events.worker_report.add_listener
def on_worker_report(client_id, data, **_kwargs):
    if "hookbench" in data and client_id not in DONE:
        RESULTS[client_id] = data["hookbench"]


@events.test_stop.add_listener
def on_test_stop(environment, **_kwargs):
    runner = environment.runner
    if isinstance(runner, LocalRunner) and BOOK is not None:
        RESULTS["local"] = dict(BOOK.counts)
    if not isinstance(runner, WorkerRunner) and RESULTS:
        print_totals(environment)


class WebhookUser(HttpUser):
    """Sends this process's share of the deliveries; the users of a process share its book."""

    host = TARGET
    wait_time = constant(0)

    @task
    def deliver(self):
        book = BOOK
        if book is None or book.finished:
            gevent.sleep(0.05)
            return
        job, wait = book.take(time.time())
        if job is None:
            if book.settled():
                finish(self.environment)
            gevent.sleep(wait)
            return
        eid, attempt = job
        msg_id = "msg_%010d" % eid
        body = book.bodies[eid]
        headers = {"content-type": "application/json"}
        headers.update(sign(SCHEME, SECRET, msg_id, int(time.time()), body, attempt))
        outcome, after = "failed", None
        try:
            with self.client.post(TARGET, data=body, headers=headers, name="delivery" if attempt == 1 else "retry",
                                  timeout=TIMEOUT_S, allow_redirects=False, catch_response=True) as r:
                status = r.status_code or 0
                if 200 <= status < 300:
                    outcome = "ok"
                    r.success()
                elif status == 410:
                    outcome = "gone"
                    r.failure("410 Gone: the endpoint is disabled")
                elif status in (429, 502, 504):
                    outcome, after = "throttled", retry_after(r.headers)
                    r.failure("%d: throttled" % status)
                else:
                    r.failure("%d" % status if status else "no answer: %s" % (r.error,))
        finally:
            book.end(eid, attempt, outcome, after, time.time())


if POLLERS > 0:

    class PollUser(HttpUser):
        """A cursor poller of the provider's API: pages at once while `has_more`, else the interval."""

        host = API
        fixed_count = POLLERS
        wait_time = constant(0)

        def on_start(self):
            self.cursor = None

        @task
        def poll(self):
            params = {"limit": PAGE_SIZE}
            if self.cursor:
                params["after"] = self.cursor
            wait = POLL_INTERVAL_S
            with self.client.get(API + "/events", params=params, name="poll", timeout=TIMEOUT_S,
                                 catch_response=True) as r:
                if r.status_code == 429:
                    after = retry_after(r.headers)
                    if after is not None:
                        wait = max(wait, min(after, MAX_SERVER_WAIT_S) / SPEEDUP)
                    r.failure("429: throttled")
                elif 200 <= (r.status_code or 0) < 300:
                    try:
                        page = r.json()
                    except ValueError:
                        r.failure("the page is not JSON")
                        page = {}
                    self.cursor = page.get("next_cursor") or self.cursor
                    if page.get("has_more"):
                        wait = 0.0
                    hint = retry_after({"Retry-After": r.headers.get("X-Poll-Interval", "")})
                    if hint and wait:
                        wait = max(wait, min(hint, MAX_SERVER_WAIT_S) / SPEEDUP)
                else:
                    r.failure("%d" % (r.status_code or 0))
            gevent.sleep(wait)
