#!/usr/bin/python3
"""The operator console in a real browser: Debian's chromium, headless, driven by selenium.

An operator's walk through the real `msgbus console` over a seeded MariaDB store
(console_store.py: 10,000 failed rows in 4 groups, a row whose body was cut when stored, a row
a running host holds, a row older than the deduplication window) with a running `msgbus run`
host (the orders sample's handlers): the groups page, a filter, a group, one message, a retry of
the whole group through its count confirmation, the retried rows handled by the host (its
handler's rows counted in the database), the refused rows with their reasons, the action on the
audit page, the outbox (a replay of what the host published), queues (the management API) and
hosts (the running host's heartbeat), the exports (a CSV cell that a spreadsheet would run gets
a quote), an error text holding HTML (shown as text), a POST without the CSRF token, a
phone-sized window and a read-only console behind a token (its sign-in form). Every page is
saved as a PNG in --artifacts, with the consoles' and the host's logs.

    console_browser_test.py --msgbus build/bin/msgbus --plugin-dir build/lib/plugins \
        --artifacts build/browser-artifacts [--docs docs]

The services' environment (tests/support/services.sh env) says where MariaDB and RabbitMQ are.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import console_store
import firefox_check
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
WAIT_S = 30  # generous: other builds and tests share the machine's two cores
RETRIED_GROUP = console_store.RETRIED_GROUP  # the seed's group that holds the special rows
# The screenshots the README shows (--docs copies them to docs/).
README_SHOTS = ["failed", "message", "confirm", "retry", "actions", "outbox", "queues", "hosts",
                "phone", "firefox"]
REASON_PATTERNS = {"cut_body": r"cut", "leased": r"holds it \(leased by host-b ", "old": r"dedup"}


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Browser:
    """One headless chromium with the window's inside at width × height."""

    def __init__(self, artifacts, downloads):
        self.artifacts = artifacts
        self.profile = tempfile.mkdtemp(prefix="msgbus-console-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    f"--user-data-dir={self.profile}", "--window-size=1280,800",
                    "--disable-extensions", "--no-first-run", "--lang=en-US",
                    # Nothing but loopback resolves: a page that needed the network would break.
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]:
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": downloads})

    def viewport(self, width, height):
        d = self.driver
        d.set_window_size(width, height)
        inner = d.execute_script("return [window.innerWidth, window.innerHeight]")
        d.set_window_size(width + (width - inner[0]), height + (height - inner[1]))

    def wait(self, condition, what):
        try:
            # A page drawn anew meanwhile leaves stale elements: look again.
            return WebDriverWait(self.driver, WAIT_S, ignored_exceptions=(
                StaleElementReferenceException,)).until(lambda d: condition(d))
        except TimeoutException:
            raise Failure(f"timed out after {WAIT_S} s waiting for {what}")

    def find(self, css):
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css)
                         if d.find_elements(By.CSS_SELECTOR, css) else None, css)

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        return self.find(css).text

    def texts(self, css):
        """The text of every element css matches, in one round trip (not one per element)."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText)", css)

    def shot(self, name):
        # A passing note would hide part of the page in a screenshot meant for the README.
        self.driver.execute_script(
            "const t = document.getElementById('toast'); if (t) t.classList.remove('toast-shown')")
        path = os.path.join(self.artifacts, f"console-{name}.png")
        self.driver.save_screenshot(path)
        return path

    def ready(self, route):
        """Waits until the page at route (a hash path such as /outbox) has drawn its data."""
        css = f"main .page[data-ready][data-route='{route}']"
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, css), f"the page {route}")

    def nav(self, name):
        """Opens a page from the navigation bar."""
        self.find(f"a[data-nav={name}]").click()
        self.ready(f"/{name}")

    def quit(self):
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


def groups_page(b, base, store):
    b.driver.get(base)
    b.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "a[data-group]")) == 4,
           "the 4 groups of the seed")
    check(b.driver.title.startswith("Failed messages"), f"title {b.driver.title!r}")
    names = b.texts("a[data-group]")
    counts = sorted(g["message_name"] for g in store["groups"])
    check(sorted(names) == counts, f"groups {names}, seeded {counts}")
    b.shot("failed")
    # Keyboard: the first Tab reaches the skip link.
    b.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    check(b.driver.execute_script("return document.activeElement.className") == "skip-link",
          "the first Tab does not reach the skip link")


def markup_stays_text(b):
    """An error text holding HTML (a proxy's error page as a body) shows as text, never runs."""
    texts = " ".join(b.texts(".fingerprint"))
    check("<img src=x onerror=" in texts, f"the HTML in an error is not shown as text: {texts}")
    check(not b.all("main img") and b.driver.execute_script("return window.__pwned") is None,
          "HTML from an error text was interpreted")


def csv_guard(b):
    """CSV cells that a spreadsheet would run as formulas get a leading quote."""
    cells = b.driver.execute_async_script(
        "const done = arguments[0];"
        "import('./assets/table.js').then((m) => done(['=SUM(A1)', '+1', '@x', 'a,b', -1]"
        ".map(m.csvCell)));")
    check(cells == ["'=SUM(A1)", "'+1", "'@x", '"a,b"', "-1"], f"CSV cells {cells}")


def filter_groups(b, store):
    group = store["groups"][RETRIED_GROUP]
    consumer = b.find("input[name=consumer]")
    consumer.clear()
    consumer.send_keys(group["consumer"])
    Select(b.find("select[name=status]")).select_by_value("all")
    b.find("form.filters button[type=submit]").click()
    b.wait(lambda d: "consumer=" + group["consumer"] in d.current_url, "the filter in the URL")
    b.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "a[data-group]")) ==
           sum(1 for g in store["groups"] if g["consumer"] == group["consumer"]),
           "only the filtered consumer's groups")
    rows = b.texts("table.data tbody tr")
    check(any(f"{group['count']:,}" in r for r in rows),
          f"the group of {group['count']} rows is not listed: {rows}")


def open_group(b, store):
    group = store["groups"][RETRIED_GROUP]
    link = [a for a in b.all("a[data-group]") if a.text == group["message_name"]][0]
    link.click()
    b.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"dd[data-total='{group['count']}']"),
           f"the group page with {group['count']} messages")
    b.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "a[data-message]")) == 50,
           "the first 50 messages")
    check(b.driver.execute_script("return document.activeElement.tagName") == "H1",
          "the page title did not take the focus after navigation")
    b.shot("group")
    return b.driver.current_url


def open_messages(b, group_url, special):
    b.all("a[data-message]")[0].click()
    b.wait(lambda d: "/failed/message/" in d.current_url, "a message page")
    b.find("pre.body-text")
    check(b.text("pre.body-text").lstrip().startswith("{"), "the body is not shown as JSON")
    b.find("button[data-view=hex]").click()
    check(re.match(r"00000000  [0-9a-f]{2} ", b.text("pre.body-text")), "no hex view")

    b.driver.get(group_url.split("#")[0] + f"#/failed/message/{special['leased']}")
    lease = b.text("[data-lease=running]")
    check("host-b" in lease, f"the lease does not name its holder: {lease!r}")
    headers = b.text("section.card table")
    check("*** (masked)" in headers, f"masked headers not shown as masked: {headers}")
    b.shot("message")

    b.driver.get(group_url.split("#")[0] + f"#/failed/message/{special['cut_body']}")
    check("cut when it was stored" in b.text("[data-note=stored-cut]"), "no note on a cut body")
    b.driver.get(group_url)
    b.find("a[data-message]")


def retry_group(b, backend, store):
    group = store["groups"][RETRIED_GROUP]
    b.find("button[data-action=retry-group]").click()
    count = b.find("dialog #confirm-count")
    count.send_keys("12")
    count.send_keys(Keys.ENTER)
    check("to go ahead" in b.text("dialog .dialog-error"), "a wrong count was accepted")
    count.clear()
    count.send_keys(str(group["count"]))
    b.shot("confirm")
    count.send_keys(Keys.ENTER)  # the keyboard confirms
    b.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-result=retry]"), "the retry's outcome")
    result = b.text("[data-result=retry] h2")
    refused = {int(r.find_element(By.CSS_SELECTOR, "a").text.lstrip("#")):
               r.find_elements(By.TAG_NAME, "td")[1].text
               for r in b.all("[data-result=retry] tbody tr")}
    special = backend.special
    check(set(refused) == set(special.values()),
          f"refused rows {sorted(refused)}, expected the special rows {special}")
    for kind, ident in special.items():
        check(re.search(REASON_PATTERNS[kind], refused[ident], re.I),
              f"row {ident} ({kind}) refused for {refused[ident]!r}")
    done = group["count"] - len(special)
    check(f"{done:,} retried, {len(special)} refused" in result, f"outcome {result!r}")
    b.shot("retry")
    check(backend.rows_handled(done) == done, "the retried rows were not all handled")
    # Once handled, the retried rows leave the failed table: the group keeps its refused rows.
    b.driver.refresh()
    b.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"dd[data-total='{len(special)}']"),
           "the group left with its refused rows")
    return done


def audit_page(b, done, special_count):
    b.nav("actions")
    first = b.all("table.data tbody tr")[0].text
    check("retry" in first and "console" in first and f"{done:,}" in first,
          f"the newest action is not the retry: {first!r}")
    check(re.search(rf"\b{special_count}$", first), f"refused count missing: {first!r}")
    b.shot("actions")


def skip_parked_head(b, base, backend):
    """The message page of a row that heads a parked key names the key and offers Skip; the
    skip keeps the row failed and releases the key."""
    check(not backend.parked_key_released(), "the seeded key does not wait for its head")
    b.driver.get(base + f"#/failed/message/{backend.parked_head}")
    check("customer-42" in b.text("[data-parked-key]"), "the parked key is not named")
    b.find("button[data-action=skip-one]").click()
    b.find("dialog button[data-confirm]").click()
    b.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-result=skip]"), "the skip's outcome")
    result = b.text("[data-result=skip] h2")
    check("1 skipped" in result, f"outcome {result!r}")
    check(backend.parked_key_released(), "the parked key was not released")
    b.driver.refresh()
    b.find("section.card")
    check(not b.all("button[data-action=skip-one]"), "Skip still offered once the key went on")


def outbox_page(b):
    """The delivered trail holds the confirmations the host published for the retried orders."""
    b.nav("outbox")
    check(re.match(r"Pending: \d", b.text("main .card h2")), "no pending summary")
    name = b.find("form.filters input[name=name]")
    name.send_keys("order.confirmed")
    name.send_keys(Keys.ENTER)
    rows_css = "[aria-label='Delivered messages'] tbody tr"
    b.wait(lambda d: "name=order.confirmed" in d.current_url, "the search in the URL")
    b.wait(lambda d: b.texts(".page[data-ready] " + rows_css) and all(
        "order.confirmed" in r for r in b.texts(rows_css)), "the trail of order.confirmed only")
    for box in b.all("[aria-label='Delivered messages'] tbody input[type=checkbox]")[:2]:
        box.click()
    b.find("button[data-action=replay-selected]").click()
    b.find("dialog button[data-confirm]").click()
    b.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-result=replay]"), "the replay")
    check("Replayed 2" in b.text("[data-result=replay] h2"), "replayed not 2")
    b.shot("outbox")


def queues_page(b):
    b.nav("queues")
    b.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "svg.chart path[data-series]"), "the chart")
    check(len(b.all("table.data tbody tr")) >= 1, "no queue listed")
    b.shot("queues")


def hosts_page(b):
    """The running host beats (up); the seeded host-b is late, on another plugin set."""
    b.nav("hosts")
    rows = b.texts("table.data tbody tr")
    states = b.texts("table.data tbody .badges > .badge:first-child")
    check(sorted(states) == ["late", "up"], f"host states {states}")
    check(any(r.startswith(console_store.HOST_ID) and "up" in r for r in rows),
          f"the running host {console_store.HOST_ID} is not up: {rows}")
    b.shot("hosts")


def exports(b, downloads):
    """The hosts table exported in the page, the groups through the API (the whole list)."""
    b.find("[data-export=csv]").click()
    hosts_csv = wait_file(b, downloads, "hosts.csv")
    check(hosts_csv.startswith("Host,State,"), f"hosts.csv starts {hosts_csv[:40]!r}")
    b.nav("failed")
    b.find("[data-export=json]").click()
    groups = json.loads(wait_file(b, downloads, "failed-groups.json"))
    check(len(groups["groups"]) >= 1, "the groups export is empty")


def wait_file(b, directory, name):
    path = os.path.join(directory, name)
    b.wait(lambda d: os.path.exists(path) and os.path.getsize(path) > 0, f"the download {name}")
    with open(path, encoding="utf-8") as f:
        return f.read()


def phone(b, base):
    b.viewport(390, 844)
    b.driver.get(base + "#/failed")
    b.find("a[data-group]")
    overflow = b.driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    check(overflow <= 0, f"the page is {overflow}px wider than a phone's window")
    check(b.find("a[data-nav=hosts]").is_displayed(), "the navigation is hidden on a phone")
    b.shot("phone")
    b.viewport(1280, 800)


def csrf_refused(b):
    status = b.driver.execute_async_script(
        "const done = arguments[0];"
        "fetch('api/failed/actions', {method: 'POST',"
        " headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify({action: 'remove', ids: [1]})}).then((r) => done(r.status));")
    check(status == 403, f"a POST without the CSRF token answered {status}")


def sign_in(b, token):
    """The sign-in form of a console that needs a token: a wrong one is refused, then in."""
    field = b.find("form.sign-in input[name=token]")
    field.send_keys("not-the-token", Keys.ENTER)
    b.wait(lambda d: "refused" in d.find_element(By.CSS_SELECTOR, "form.sign-in p").text,
           "the wrong token refused")
    b.find("form.sign-in input[name=token]").send_keys(token, Keys.ENTER)


def read_only(b, backend):
    """A read-only console (behind a token when the backend has one): nothing to act with."""
    b.driver.get(backend.start() + "#/failed")
    if backend.token:
        sign_in(b, backend.token)
    b.find("a[data-group]")
    check("read-only" in b.text("#session"), "no read-only badge")
    check(not [e for e in b.all("[data-action]") if e.is_displayed()], "actions shown read-only")
    b.all("a[data-group]")[0].click()
    b.find("a[data-message]")
    check(not b.all("[data-action]"), "group actions offered read-only")
    check(not b.all("tbody input[type=checkbox]"), "row selection offered read-only")
    b.shot("read-only")


def no_script_errors(b):
    """Nothing in the browser's log but the network's own lines (a refused request logs one)."""
    errors = [e["message"] for e in b.driver.get_log("browser")
              if e["level"] == "SEVERE" and e.get("source") != "network"]
    check(not errors, f"script errors in the browser: {errors}")


def firefox(base, backend):
    """The same console in Firefox: a message page drawn by the console's script (it holds the
    lease's holder, read from the API), saved as console-firefox.png."""
    png, colours = firefox_check.check_console(base, backend.special["leased"], "by host-b",
                                               backend.artifacts)
    print(f"          Firefox drew the message page: {png} ({colours} colours)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--msgbus", required=True, help="the msgbus binary under test")
    parser.add_argument("--plugin-dir", required=True, help="the built plugins (orders sample)")
    parser.add_argument("--artifacts", required=True, help="where the screenshots go")
    parser.add_argument("--docs", help="also copy the screenshots here (docs/ for the README)")
    args = parser.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    downloads = tempfile.mkdtemp(prefix="msgbus-console-downloads-")
    store = {"groups": console_store.GROUPS}

    started = time.monotonic()
    backend = None
    browser = None
    step = "seed the store, start a host and the consoles"
    try:
        backend = console_store.RealConsoleBackend(os.path.abspath(args.msgbus),
                                                   os.path.abspath(args.plugin_dir),
                                                   os.path.abspath(args.artifacts))
        read_only_backend = backend.read_only_backend()
        base = backend.start()
        print(f"  {time.monotonic() - started:5.1f} s  store seeded, host and console up",
              flush=True)
        step = "start the browser"
        browser = Browser(args.artifacts, downloads)
        browser.viewport(1280, 800)
        state = {}
        steps = [
            ("groups page", lambda: groups_page(browser, base, store)),
            ("markup stays text", lambda: markup_stays_text(browser)),
            ("CSV formula guard", lambda: csv_guard(browser)),
            ("filter", lambda: filter_groups(browser, store)),
            ("open a group", lambda: state.update(group_url=open_group(browser, store))),
            ("open messages", lambda: open_messages(browser, state["group_url"], backend.special)),
            ("retry the group", lambda: state.update(done=retry_group(browser, backend, store))),
            ("audit page", lambda: audit_page(browser, state["done"], len(backend.special))),
            ("skip a parked key's head", lambda: skip_parked_head(browser, base, backend)),
            ("outbox page", lambda: outbox_page(browser)),
            ("queues page", lambda: queues_page(browser)),
            ("hosts page", lambda: hosts_page(browser)),
            ("exports", lambda: exports(browser, downloads)),
            ("CSRF refused", lambda: csrf_refused(browser)),
            ("phone-sized window", lambda: phone(browser, base)),
            ("read-only console", lambda: read_only(browser, read_only_backend)),
            ("no script errors", lambda: no_script_errors(browser)),
            ("Firefox", lambda: firefox(base, backend)),
        ]
        print(f"  {time.monotonic() - started:5.1f} s  browser started", flush=True)
        for step, run in steps:
            run()
            print(f"  {time.monotonic() - started:5.1f} s  {step}", flush=True)
    except Exception as e:
        if browser:
            print(f"failure screenshot: {browser.shot('failure')}", file=sys.stderr)
        print(f"FAILED at step '{step}': {e}", file=sys.stderr)
        return 1
    finally:
        if browser:
            browser.quit()
        if backend:
            backend.stop()
        shutil.rmtree(downloads, ignore_errors=True)

    shots = sorted(f for f in os.listdir(args.artifacts) if f.startswith("console-") and
                   f.endswith(".png") and f != "console-failure.png")
    if args.docs:
        for name in README_SHOTS:
            shutil.copy(os.path.join(args.artifacts, f"console-{name}.png"), args.docs)
    print(f"console browser test passed in {time.monotonic() - started:.1f} s; screenshots in "
          f"{args.artifacts}: {', '.join(shots)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
