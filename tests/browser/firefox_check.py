"""The console in Firefox (Debian's firefox-esr, headless) without geckodriver, which Debian does
not package: Firefox's own WebDriver BiDi server (--remote-debugging-port), spoken over a small
WebSocket client of the standard library.

Firefox's --screenshot mode alone would not do: it saves the page at its load event, before the
console's script has fetched its data (and exits before the script's second request is made).
Over BiDi the test waits until the page says it has drawn its data, reads what it drew and
takes the screenshot then.
"""

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import zlib

FIREFOX = "/usr/bin/firefox-esr"
TIMEOUT_S = 90  # generous: other builds and tests share the machine's two cores
WIDTH, HEIGHT = 1280, 800
# Quiet first start: no first-run pages, updates, telemetry or other calls beyond loopback.
PREFS = {
    "app.update.auto": False,
    "app.update.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "extensions.update.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
}


class FirefoxFailure(Exception):
    pass


class WebSocket:
    """A client WebSocket (RFC 6455) for text messages: enough for WebDriver BiDi on loopback."""

    def __init__(self, host, port, path, deadline):
        self.deadline = deadline
        self.sock = socket.create_connection((host, port), timeout=self.left())
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise FirefoxFailure(f"the BiDi WebSocket refused: {head[:200]!r}")

    def left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise FirefoxFailure(f"Firefox did not answer within {TIMEOUT_S} s")
        return left

    def recv(self):
        self.sock.settimeout(self.left())
        data = self.sock.recv(65536)
        if not data:
            raise FirefoxFailure("Firefox closed its BiDi connection")
        return data

    def read(self, n):
        while len(self.buffer) < n:
            self.buffer += self.recv()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, text):
        payload = text.encode()
        n = len(payload)
        head = struct.pack("!B", 0x81)  # a final text frame; a client masks what it sends
        if n < 126:
            head += struct.pack("!B", 0x80 | n)
        elif n < 65536:
            head += struct.pack("!BH", 0x80 | 126, n)
        else:
            head += struct.pack("!BQ", 0x80 | 127, n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def receive(self):
        message = b""
        while True:
            first, second = self.read(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack("!H", self.read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self.read(8))[0]
            data = self.read(n)
            opcode = first & 0x0F
            if opcode == 8:
                raise FirefoxFailure("Firefox closed its BiDi connection")
            if opcode in (0, 1):
                message += data
                if first & 0x80:
                    return message.decode()

    def close(self):
        self.sock.close()


class Bidi:
    """Commands over one WebDriver BiDi session; events are not subscribed to, so every message
    that arrives answers a command."""

    def __init__(self, port, deadline):
        self.ws = WebSocket("127.0.0.1", port, "/session", deadline)
        self.next_id = 0

    def command(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.ws.receive())
            if answer.get("id") == self.next_id:
                break
        if answer.get("type") == "error":
            raise FirefoxFailure(f"{method}: {answer.get('error')}: {answer.get('message')}")
        return answer["result"]

    def evaluate(self, context, expression):
        result = self.command("script.evaluate", expression=expression,
                              target={"context": context}, awaitPromise=False)
        if result.get("type") == "exception":
            raise FirefoxFailure(f"{expression!r} threw {result['exceptionDetails']['text']}")
        return result["result"].get("value")

    def close(self):
        self.ws.close()


def write_prefs(profile):
    with open(os.path.join(profile, "user.js"), "w") as f:
        for key, value in PREFS.items():
            f.write(f"user_pref({json.dumps(key)}, {json.dumps(value)});\n")


def bidi_port(profile, process, deadline):
    """The port Firefox's BiDi server listens on (it writes it into the profile)."""
    path = os.path.join(profile, "WebDriverBiDiServer.json")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FirefoxFailure(f"firefox exited {process.returncode} at start")
        try:
            with open(path) as f:
                return json.load(f)["ws_port"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.2)
    raise FirefoxFailure(f"firefox did not start its BiDi server within {TIMEOUT_S} s")


def wait_for(condition, what, deadline):
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise FirefoxFailure(f"timed out after {TIMEOUT_S} s waiting in Firefox for {what}")


def png_colours(data):
    """(width, height, the number of distinct colours) of an 8-bit RGB(A) non-interlaced PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise FirefoxFailure("the screenshot is not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    channels = {2: 3, 6: 4}.get(colour_type)
    if depth != 8 or channels is None or interlace:
        raise FirefoxFailure(f"a PNG this check does not read ({header})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    previous = bytearray(stride)
    colours = set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, channels))
        previous = line
    return width, height, len(colours)


def run_firefox(artifacts, work):
    """Firefox headless in a fresh profile; it runs in a process group of its own so that it is
    killed with every process it started."""
    profile = tempfile.mkdtemp(prefix="msgbus-console-firefox-")
    write_prefs(profile)
    environment = dict(os.environ, HOME=profile, MOZ_HEADLESS="1", MOZ_CRASHREPORTER_DISABLE="1")
    log = open(os.path.join(artifacts, "firefox.log"), "w")
    process = None
    try:
        process = subprocess.Popen(
            [FIREFOX, "--headless", "--no-remote", "-profile", profile,
             "--remote-debugging-port", "0", f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=environment,
            start_new_session=True)
        return work(profile, process)
    finally:
        if process:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        log.close()
        shutil.rmtree(profile, ignore_errors=True)


def check_console(base, message_id, expected_text, artifacts):
    """Opens the message page of message_id in Firefox, waits until the console's script has
    drawn it (the page's data-ready mark), checks that the drawn page holds expected_text and
    that the screenshot is the whole window in many colours; returns (its path, the colours)."""
    deadline = time.monotonic() + TIMEOUT_S
    png = os.path.join(artifacts, "console-firefox.png")

    def work(profile, process):
        bidi = Bidi(bidi_port(profile, process, deadline), deadline)
        try:
            bidi.command("session.new", capabilities={})
            context = bidi.command("browsingContext.getTree")["contexts"][0]["context"]
            bidi.command("browsingContext.setViewport", context=context,
                         viewport={"width": WIDTH, "height": HEIGHT})
            route = f"/failed/message/{message_id}"
            bidi.command("browsingContext.navigate", context=context, wait="complete",
                         url=f"{base}#{route}")
            text = wait_for(lambda: bidi.evaluate(
                context, f"document.querySelector(\"main .page[data-ready][data-route='{route}']\")"
                "?.innerText"), f"the page {route} drawn", deadline)
            if expected_text not in text:
                raise FirefoxFailure(f"the page {route} in Firefox lacks {expected_text!r}: "
                                     f"{text[:500]!r}")
            data = base64.b64decode(bidi.command("browsingContext.captureScreenshot",
                                                 context=context)["data"])
            return text, data
        finally:
            bidi.close()

    text, data = run_firefox(artifacts, work)
    with open(png, "wb") as f:
        f.write(data)
    width, height, colours = png_colours(data)
    if (width, height) != (WIDTH, HEIGHT) or colours < 16:
        raise FirefoxFailure(f"the Firefox screenshot {png} is {width}x{height} with {colours} "
                             f"colours: not the page drawn in a {WIDTH}x{HEIGHT} window")
    return png, colours
