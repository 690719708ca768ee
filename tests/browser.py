"""Drive a local headless Chromium over the DevTools protocol (no browser download).

``open_page`` loads a file, and returns the console errors and uncaught exceptions it saw,
values of JavaScript expressions, a full-page PNG screenshot and the printed PDF.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import attrs

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--remote-debugging-port=0",
)


def chromium_path() -> str | None:
    """The local Chromium executable, if any (``LEADFORGE_CHROMIUM`` overrides)."""
    env = os.environ.get("LEADFORGE_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@attrs.define
class PageResult:
    errors: list[str]
    values: dict[str, Any]
    screenshot: bytes
    pdf: bytes


class _Cdp:
    def __init__(self, ws_url: str) -> None:
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == method:
                return
        raise TimeoutError(method)

    def close(self) -> None:
        self.ws.close()


def _errors(events: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append("exception: " + str(p.get("exceptionDetails", {}).get("text")))
        elif method == "Runtime.consoleAPICalled" and p.get("type") in {"error", "assert"}:
            out.append("console: " + " ".join(str(a.get("value")) for a in p.get("args", [])))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append("log: " + str(p["entry"].get("text")))
    return out


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Terminate Chromium and every helper process it started (its own process group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=10)
            break
        except subprocess.TimeoutExpired:
            continue
    # Helpers outlive the browser by a moment: wait until the group is gone (bounded).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def open_page(
    html: Path, expressions: dict[str, str], width: int = 1280, pdf: bool = False
) -> PageResult:
    """Load ``html`` in headless Chromium and evaluate ``expressions`` (name → JS); take a
    screenshot of the first screen and, with ``pdf``, print the page."""
    exe = chromium_path()
    if exe is None:
        raise RuntimeError("chromium is not installed")
    # Chromium's helper processes may still write to the profile for a moment after the
    # browser exits: the whole process group is stopped, and a late write cannot fail cleanup.
    with tempfile.TemporaryDirectory(prefix="lf-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not (port_file.is_file() and port_file.read_text().strip()):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("chromium did not start")
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
                targets = json.load(r)
            page = next(t for t in targets if t.get("type") == "page")
            cdp = _Cdp(page["webSocketDebuggerUrl"])
            try:
                for domain in ("Page", "Runtime", "Log"):
                    cdp.call(f"{domain}.enable")
                cdp.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=1000,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                cdp.events.clear()
                cdp.call("Page.navigate", url=html.resolve().as_uri())
                cdp.wait_for("Page.loadEventFired")
                values = {
                    name: cdp.call("Runtime.evaluate", expression=js, returnByValue=True)[
                        "result"
                    ].get("value")
                    for name, js in expressions.items()
                }
                shot = cdp.call("Page.captureScreenshot", format="png")
                printed = cdp.call("Page.printToPDF") if pdf else {"data": ""}
                time.sleep(0.2)
                cdp.call("Runtime.evaluate", expression="1")  # drain late console events
                errors = _errors(cdp.events)
            finally:
                cdp.close()
        finally:
            _stop_group(proc)
    return PageResult(
        errors, values, base64.b64decode(shot["data"]), base64.b64decode(printed["data"])
    )
