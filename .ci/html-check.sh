#!/usr/bin/env bash
# The HTML report in headless Chromium (Debian's `chromium` package, installed here when missing;
# CI runs as root): for flash-sale (a finite receiver: five charts) and api-outage (four), no
# console error, no network request, every chart present, screenshots light and dark not blank
# (.ci/html-check.py, over the DevTools protocol with websocket-client and Pillow from PyPI).
# Usage: html-check.sh HOOKBENCH PYTHON (the .venv-ci interpreter).
set -euo pipefail
bin="$1"
python="$2"
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update
  apt-get install -y chromium
fi
"$(dirname "$python")/pip" install --quiet --disable-pip-version-check 'websocket-client>=1.6,<2' 'pillow>=10,<12'
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for case in flash-sale:5 api-outage:4; do
  name="${case%%:*}"
  "$bin" compare --scenario "$name" -o "$work/$name.html" --quiet
  mkdir -p "$work/$name"
  timeout 300 "$python" "$(dirname "$0")/html-check.py" chromium "$work/$name.html" "${case##*:}" "$work/$name"
done
