#!/usr/bin/env bash
# The Locust export, end to end on loopback (issue 17). Usage: .ci/locust-check.sh BIN PYTHON
# BIN is the hookbench binary .ci/run built (nothing is built here); PYTHON is the virtual
# environment's python with Locust installed.
#
# For each case: start `hookbench receive` on a free loopback port, export .ci/locust.toml (about
# 2,000 events over 20 s of wall time at --speedup 10000) as a locustfile twice (the bytes must
# be the same), run Locust headless with one master and two workers on loopback (bounded by
# `timeout`), stop the receiver, and compare what Locust's processes sent with what receive
# counted:
#   clean   — receive accepts exactly the event count: no duplicate, none missing, none
#             rejected (every signature verified);
#   faulty  — receive answers 30% of deliveries 500 and the svix schedule (compressed 10000×,
#             under 10 s) retries them: every event is accepted or, after its 8th failed
#             attempt, dead-lettered (0.3^8 per event: about one run in eight dead-letters one
#             of ~2,000, so up to 2 are allowed, and they must be the events receive never
#             accepted); Locust's failure count equals receive's faulted count, and every
#             failure but the dead-lettered ones was retried.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$1"
py="$2"
locust="$(dirname "$py")/locust"
secret='whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "locust-check: $*" >&2
  exit 1
}

free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# run_case NAME [receive flags...]: leaves $work/NAME.* behind and sets the counts below.
run_case() {
  local name="$1"
  shift
  : >"$work/$name.receive" # exists before the receiver runs, so the wait below can read it
  "$bin" receive --addr 127.0.0.1:0 --secret "$secret" --speedup 10000 --quiet "$@" >"$work/$name.receive" &
  local receiver=$!
  pids+=("$receiver")
  local addr=""
  for _ in $(seq 100); do
    addr="$(sed -n 's#.*listening on http://\([^ ]*\).*#\1#p' "$work/$name.receive" | head -1 || true)"
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || fail "$name: hookbench receive did not start"
  local file="$work/$name.locustfile.py"
  for out in "$file" "$file.again"; do
    "$bin" export locust --scenario .ci/locust.toml --speedup 10000 --webhook-url "http://$addr/hooks" \
      --secret "$secret" -o "$out"
  done
  cmp -s "$file" "$file.again" || fail "$name: two exports of the same scenario and seed differ"
  "$py" -m py_compile "$file"
  events="$(sed -n 's/^EVENTS_TOTAL = //p' "$file")"
  local port
  port="$(free_port)"
  local started=$SECONDS
  timeout 240 "$locust" -f "$file" --headless --master --master-bind-host 127.0.0.1 --master-bind-port "$port" \
    --expect-workers 2 -u 8 -r 8 --exit-code-on-error 0 --csv "$work/$name" --only-summary \
    >"$work/$name.master" 2>&1 &
  local master=$!
  pids+=("$master")
  local workers=()
  for i in 1 2; do
    timeout 240 "$locust" -f "$file" --worker --master-host 127.0.0.1 --master-port "$port" \
      >"$work/$name.worker$i" 2>&1 &
    workers+=("$!")
    pids+=("$!")
  done
  wait "$master" || { cat "$work/$name.master" >&2; fail "$name: the Locust master failed or timed out"; }
  for w in "${workers[@]}"; do wait "$w" || true; done
  wall=$((SECONDS - started))
  kill -TERM "$receiver"
  wait "$receiver" || true
  local summary
  summary="$(grep '^hookbench: .* events:' "$work/$name.master" | tail -1)"
  [ -n "$summary" ] || { cat "$work/$name.master" >&2; fail "$name: Locust printed no hookbench totals"; }
  local line
  line="$(grep 'stopped after' "$work/$name.receive")"
  # hookbench: N events: S sent, D delivered, R retried, X dead-lettered, P pending (A attempts, F failed; …)
  read -r sent delivered retried dead pending < <(echo "$summary" |
    sed -E 's/.*: ([0-9]+) sent, ([0-9]+) delivered, ([0-9]+) retried, ([0-9]+) dead-lettered, ([0-9]+) pending.*/\1 \2 \3 \4 \5/')
  # hookbench receive: stopped after …: A deliveries accepted (E events, D duplicates[, T retries]), R rejected, F answered with an injected fault…
  read -r accepted duplicates rejected faulted < <(echo "$line" |
    sed -E 's/.*: ([0-9]+) deliveries accepted \([0-9]+ events, ([0-9]+) duplicates(, [0-9]+ retries)?\), ([0-9]+) rejected, ([0-9]+) answered.*/\1 \2 \4 \5/')
  locust_failures="$("$py" -c 'import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["Name"] == "Aggregated"]
print(rows[0]["Failure Count"])' "$work/${name}_stats.csv")"
  echo "locust-check: $name: $events events in ${wall}s of wall time (1 master, 2 workers); Locust: $sent sent, $delivered delivered, $retried retried, $dead dead-lettered, $pending pending, $locust_failures failures; receive: $accepted accepted, $duplicates duplicates, $rejected rejected, $faulted faulted"
}

run_case clean
[ "$sent" = "$events" ] && [ "$delivered" = "$events" ] && [ "$pending" = 0 ] && [ "$dead" = 0 ] ||
  fail "clean: Locust did not deliver every event once"
[ "$accepted" = "$events" ] && [ "$duplicates" = 0 ] && [ "$rejected" = 0 ] && [ "$faulted" = 0 ] ||
  fail "clean: receive did not accept exactly the $events events (every signature verified)"
[ "$locust_failures" = 0 ] || fail "clean: Locust counted $locust_failures failures"

run_case faulty --failure-rate 0.3
[ "$rejected" = 0 ] || fail "faulty: receive rejected $rejected deliveries (a bad signature)"
[ "$sent" = "$events" ] && [ "$pending" = 0 ] || fail "faulty: not every event was sent and settled"
[ "$dead" -le 2 ] || fail "faulty: $dead events dead-lettered; at a 30% failure rate that is too many"
[ $((accepted - duplicates)) = $((events - dead)) ] && [ "$delivered" = $((events - dead)) ] ||
  fail "faulty: receive accepted $((accepted - duplicates)) distinct events, not the $((events - dead)) delivered"
[ "$locust_failures" = "$faulted" ] || fail "faulty: Locust counted $locust_failures failures, receive $faulted faults"
[ "$retried" = $((faulted - dead)) ] || fail "faulty: $retried retries for $faulted failures and $dead dead letters"
[ "$faulted" -gt 0 ] || fail "faulty: receive injected no fault"
echo "locust-check: passed"
