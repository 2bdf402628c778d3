"""The HTML report in a real browser: headless Chromium over the DevTools protocol.

Usage: html-check.py CHROMIUM REPORT.html CHARTS OUT_DIR

Opens REPORT.html from a file:// URL and fails unless: the page logs no console error and throws
no exception, it makes no request beyond its own file (no network, no CDN), it holds exactly
CHARTS charts (`svg.chart`, each with a <title>), and full-page screenshots, light and dark
(`prefers-color-scheme: dark`), are not blank: many distinct colours, a good share of the page
not background, and the dark one mostly dark. The screenshots are left in OUT_DIR.
"""

import base64
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client, from PyPI
from PIL import Image  # Pillow, from PyPI


def fail(msg):
    print(f"html-check: {msg}", file=sys.stderr)
    sys.exit(1)


def start(chromium, profile):
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    port_file = os.path.join(profile, "DevToolsActivePort")
    for _ in range(300):
        if os.path.exists(port_file):
            lines = open(port_file).read().split()
            if lines:
                return proc, int(lines[0])
        time.sleep(0.1)
    stop(proc)
    fail("chromium did not open its DevTools port")


def stop(proc):
    """Ends Chromium and every process it started (its own session), so none still writes into
    the profile directory while it is removed."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    for _ in range(50):  # the group's last members may outlive the leader by a moment
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


class Page:
    def __init__(self, port):
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    fail(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if any(e.get("method") == method for e in self.events):
                return
            self.events.append(json.loads(self.ws.recv()))
        fail(f"no {method} within {seconds}s")

    def screenshot(self, path):
        height = self.call("Runtime.evaluate", expression="document.documentElement.scrollHeight",
                           returnByValue=True)["result"]["value"]
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=int(height),
                  deviceScaleFactor=1, mobile=False)
        data = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        open(path, "wb").write(data)
        return Image.open(io.BytesIO(data)).convert("RGB")


def not_blank(image, name):
    small = image.resize((image.width // 2, image.height // 2))
    colours = small.getcolors(maxcolors=1 << 20) or []
    if len(colours) < 200:
        fail(f"the {name} screenshot has only {len(colours)} colours: blank?")
    background = max(colours)[1]
    share = 1 - max(colours)[0] / (small.width * small.height)
    if share < 0.05:
        fail(f"the {name} screenshot is {share:.1%} non-background: blank?")
    return background


def main():
    chromium, report, charts, out = sys.argv[1], os.path.abspath(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    url = "file://" + report
    with tempfile.TemporaryDirectory() as profile:
        proc, port = start(chromium, profile)
        try:
            page = Page(port)
            for domain in ["Page", "Runtime", "Log", "Network"]:
                page.call(f"{domain}.enable")
            page.call("Page.navigate", url=url)
            page.wait_for("Page.loadEventFired")
            found = page.call("Runtime.evaluate", returnByValue=True, expression=(
                "[...document.querySelectorAll('svg.chart')].map(s => s.querySelector('title')"
                " ? s.querySelector('title').textContent : '')"))["result"]["value"]
            light = page.screenshot(os.path.join(out, "report-light.png"))
            page.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "dark"}])
            dark = page.screenshot(os.path.join(out, "report-dark.png"))
            page.call("Runtime.evaluate", expression="0")  # drain pending events
        finally:
            stop(proc)
    errors = []
    for e in page.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            errors.append(p["exceptionDetails"].get("text", "exception"))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append(f"console.{p['type']}")
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            errors.append(p["entry"].get("text", "error"))
        elif m == "Network.requestWillBeSent":
            asked = p["request"]["url"]
            if asked != url and not asked.startswith("data:"):
                errors.append(f"a request for {asked}")
    if errors:
        fail("; ".join(errors))
    if len(found) != charts or not all(found):
        fail(f"{len(found)} charts with titles {found}, expected {charts}, each titled")
    bg_light = not_blank(light, "light")
    bg_dark = not_blank(dark, "dark")
    if sum(bg_light) < 600 or sum(bg_dark) > 150:
        fail(f"backgrounds light {bg_light}, dark {bg_dark}: dark mode is not dark")
    print(f"html-check: {report}: {charts} charts, no console error, no request; screenshots in {out}")


main()
