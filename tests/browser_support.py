"""Headless Chromium driven over the DevTools protocol (aiohttp's websocket client).

textual-serve's page draws the terminal on a canvas, so the DOM never holds the dashboard's
text; what the page received over its websocket does. A script installed before the page
loads keeps that text, decoded, in ``window.__terminalText``; the test reads it back, and can
take a screenshot of what was drawn.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = "chromium"
RECORD_TERMINAL = """
window.__terminalText = "";
const decoder = new TextDecoder();
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new Native(...args);
  socket.addEventListener("message", (e) => {
    if (typeof e.data !== "string") window.__terminalText += decoder.decode(e.data);
  });
  return socket;
};
"""


class Browser:
    def __init__(self, profile: Path, port: int) -> None:
        self.port = port
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={profile}", f"--remote-debugging-port={port}",
             "--window-size=1280,800", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def page_socket(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json") as answer:
                    pages = [p for p in json.load(answer) if p.get("type") == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("chromium did not offer a page to drive")
            time.sleep(0.2)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def terminal_text(ws_url: str, url: str, wanted: str, timeout: float,
                        screenshot: Path) -> dict[str, Any]:
    """Load ``url``; wait until the terminal has received ``wanted``; the page's state."""
    import aiohttp

    ids = itertools.count(1)
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url,
                                                                      max_msg_size=0) as ws:
        async def call(method: str, **params: Any) -> dict[str, Any]:
            ident = next(ids)
            await ws.send_json({"id": ident, "method": method, "params": params})
            async for message in ws:
                data = json.loads(message.data)
                if data.get("id") == ident:
                    return data.get("result", {})
            raise RuntimeError("DevTools connection closed")

        async def evaluate(expression: str) -> Any:
            result = await call("Runtime.evaluate", expression=expression, returnByValue=True)
            return result.get("result", {}).get("value")

        await call("Page.enable")
        await call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_TERMINAL)
        await call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = await evaluate("window.__terminalText || ''") or ""
            if wanted in text:
                await asyncio.sleep(1.0)  # let the frame finish drawing for the screenshot
                break
            await asyncio.sleep(0.3)
        shot = await call("Page.captureScreenshot", format="png")
        screenshot.write_bytes(base64.b64decode(shot.get("data", "")))
        return {"text": await evaluate("window.__terminalText || ''") or "",
                "body_class": await evaluate("document.body.className"),
                "title": await evaluate("document.title")}
