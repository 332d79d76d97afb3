#!/usr/bin/python3
"""A stand-in for `msgbus console`: the console's pages and its JSON API (as the console
contract describes it) over an in-memory store built from console_seed.json, with the same
CSRF, origin and read-only rules. It lets the pages and their browser test run without the
C++ server; the browser test drives the real console the same way through its base URL.

    console_fixture_server.py --assets core/console/assets [--port 0] [--read-only] [--token T]

With --token, every API request needs "Authorization: Bearer T" (401 otherwise), as a console
bound beyond loopback does; the pages themselves are served to anyone, so a browser can load
the sign-in form.

Prints "listening on http://127.0.0.1:<port>/" on its first line, then serves until killed.
"""

import argparse
import csv
import hashlib
import io
import json
import math
import os
import random
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
DAY_MS = 86400000
MIB = 1024 * 1024
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
                 ".json": "application/json; charset=utf-8", ".txt": "text/plain; charset=utf-8"}
# What the real console should send too: the pages need nothing from anywhere else.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def now_ms():
    return int(time.time() * 1000)


def fingerprint(error):
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", error)
    text = re.sub(r"0x[0-9a-fA-F]+", "<hex>", text)
    return re.sub(r"\d+", "#", text)[:200]


def group_id(row):
    key = "\x1f".join([row["message_name"], row["consumer"], row["error_class"],
                       fingerprint(row["error"])])
    return hashlib.sha1(key.encode()).hexdigest()[:16]


class ApiError(Exception):
    def __init__(self, status, message, **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


class Store:
    """The failed rows, the audit trail, the outbox trail, queues and hosts, behind one lock."""

    def __init__(self, seed):
        self.lock = threading.Lock()
        self.seed = seed
        self.started = now_ms()
        rng = random.Random(19)
        self.rows = {}
        self.special = {}
        next_id = 1
        for index, group in enumerate(seed["groups"]):
            for n in range(group["count"]):
                failed_at = self.started - rng.randint(60_000, 3 * DAY_MS)
                self.rows[next_id] = {
                    "id": next_id, "message_id": self.uuid(rng), "group_index": index,
                    "message_name": group["message_name"], "consumer": group["consumer"],
                    "error_class": group["error_class"],
                    "error": group["error"].replace("{n}", str(rng.randint(1, 99999))),
                    "queue": "retry" if index == 1 and n % 97 == 5 else "failed",
                    "failed_at": failed_at,
                    "created_at": failed_at - rng.randint(1000, 60_000),
                    "attempts": 1 + n % 4, "lease_until": None, "lease_by": None,
                    "stored_cut": False, "size": 180 + n % 50, "kind": "json"}
                next_id += 1
        self.mark_special()
        for row in self.rows.values():
            row["group"] = group_id(row)
        self.actions = [
            {"id": 1, "at": self.started - 2 * DAY_MS, "who": "cli:root", "action": "remove",
             "origin": "cli", "filter": json.dumps({"ids": [17]}), "count": 1, "done": 1,
             "refused": 0},
            {"id": 2, "at": self.started - DAY_MS, "who": "cli:ops", "action": "retry",
             "origin": "cli", "filter": json.dumps({"source": "amqp:billing"}), "count": 12,
             "done": 12, "refused": 0}]
        self.delivered = self.make_delivered(rng)
        self.csrf = secrets.token_urlsafe(24)

    @staticmethod
    def uuid(rng):
        h = "%032x" % rng.getrandbits(128)
        return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def mark_special(self):
        special = self.seed["special"]
        in_group = {}
        for row in self.rows.values():
            in_group.setdefault(row["group_index"], []).append(row)
        cut = in_group[special["cut_body"]["group"]][7]
        cut.update(stored_cut=True, size=65536, kind="text")
        leased = in_group[special["leased"]["group"]][11]
        leased.update(queue="running", lease_until=self.started + 3600_000, lease_by="host-a")
        old = in_group[special["old"]["group"]][13]
        old.update(failed_at=self.started - 10 * DAY_MS, created_at=self.started - 10 * DAY_MS)
        in_group[1][3].update(size=3 * MIB, kind="json")  # shown cut to 1 MiB by the console
        in_group[2][5].update(kind="hex", size=300)
        self.special = {"cut_body": cut["id"], "leased": leased["id"], "old": old["id"]}

    def make_delivered(self, rng):
        rows = []
        names = ["order.placed", "order.confirmed", "billing.invoice.paid"]
        for i in range(1, 241):
            created = self.started - (241 - i) * 60_000
            rows.append({"id": 5000 + i, "message_id": self.uuid(rng), "message_name": names[i % 3],
                         "partition_key": f"customer-{i % 17}", "created_at": created,
                         "delivered_at": created + rng.randint(5, 400)})
        return rows

    # ---- failed rows
    def matches(self, row, q):
        status = q.get("status") or "failed"
        if status != "all" and row["queue"] != status:
            return False
        for key, column in (("consumer", "consumer"), ("name", "message_name"),
                            ("error_class", "error_class"), ("group", "group")):
            if q.get(key) and row[column] != q[key]:
                return False
        if q.get("since") and row["failed_at"] < int(q["since"]):
            return False
        if q.get("until") and row["failed_at"] >= int(q["until"]):
            return False
        if q.get("q") and q["q"].lower() not in row["error"].lower():
            return False
        return True

    def selected(self, q):
        return [r for r in sorted(self.rows.values(), key=lambda r: r["id"]) if self.matches(r, q)]

    def groups(self, q):
        groups = {}
        for row in self.selected(q):
            g = groups.get(row["group"])
            if not g:
                g = groups[row["group"]] = {
                    "group": row["group"], "message_name": row["message_name"],
                    "consumer": row["consumer"], "error_class": row["error_class"],
                    "fingerprint": fingerprint(row["error"]), "sample_error": row["error"],
                    "count": 0, "first_seen": row["failed_at"], "last_seen": row["failed_at"]}
            g["count"] += 1
            g["first_seen"] = min(g["first_seen"], row["failed_at"])
            g["last_seen"] = max(g["last_seen"], row["failed_at"])
        return sorted(groups.values(), key=lambda g: (-g["count"], g["group"]))

    @staticmethod
    def summary(row):
        return {"id": row["id"], "message_id": row["message_id"],
                "message_name": row["message_name"], "consumer": row["consumer"],
                "queue": row["queue"], "error_class": row["error_class"],
                "error": row["error"][:300], "failed_at": row["failed_at"],
                "attempts": row["attempts"], "leased": self_leased(row),
                "body_cut": row["stored_cut"]}

    def message(self, row, trace_url):
        trace_id = hashlib.md5(b"trace-%d" % row["id"]).hexdigest()
        body = body_of(row)
        return {**self.summary(row), "error": row["error"],
                "available_at": row["failed_at"] + 60_000,
                "lease": {"running": self_leased(row), "by": row["lease_by"],
                          "until": row["lease_until"]},
                "trace_id": trace_id,
                "trace_link": trace_url.replace("{trace_id}", trace_id) if trace_url else None,
                "group": row["group"],
                "headers": {"x-message-id": row["message_id"],
                            "x-message-name": row["message_name"],
                            "x-created-at": str(row["created_at"]),
                            "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
                            "correlation-id": "c0ffee-%d" % row["id"], "authorization": "***",
                            "x-api-key": "***"},
                "body": body}

    def refusal(self, row, action):
        special = self.seed["special"]
        if self_leased(row):
            return special["leased"]["reason"]
        if action == "remove":
            return None
        if row["stored_cut"]:
            return special["cut_body"]["reason"]
        if row["created_at"] < now_ms() - self.seed["dedup_retention_ms"]:
            return special["old"]["reason"]
        return None

    def act(self, request, who):
        action = request.get("action")
        if action not in ("retry", "remove"):
            raise ApiError(400, "action must be \"retry\" or \"remove\"")
        to_consumer = request.get("to_consumer")
        if "ids" in request:
            ids = request["ids"]
            if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
                raise ApiError(400, "ids must be a list of row ids")
            rows = [self.rows.get(i) or {"id": i, "missing": True} for i in ids]
            used = {"ids": ids}
        elif "group" in request:
            q = {**(request.get("filter") or {}), "group": request["group"]}
            rows = self.selected(q)
            if request.get("expected_count") != len(rows):
                raise ApiError(409, f"the group holds {len(rows)} rows now, not "
                               f"{request.get('expected_count')}", count=len(rows))
            used = q
        else:
            raise ApiError(400, "give ids or a group")
        if len(rows) > self.seed["max_action_rows"]:
            raise ApiError(400, f"{len(rows)} rows is over console.max_action_rows "
                           f"({self.seed['max_action_rows']}): narrow the filter")
        if to_consumer:
            names = {r.get("message_name") for r in rows if not r.get("missing")}
            handled = set(self.seed["handlers"].get(to_consumer, []))
            if not names <= handled:
                raise ApiError(400, f"consumer {to_consumer} does not handle "
                               f"{', '.join(sorted(names - handled))}")
            used["to_consumer"] = to_consumer
        refused, done = [], 0
        for row in rows:
            reason = ("no failed message %d" % row["id"] if row.get("missing")
                      else self.refusal(row, action))
            if reason:
                refused.append({"id": row["id"], "reason": reason})
            else:
                del self.rows[row["id"]]
                done += 1
        entry = {"id": len(self.actions) + 1, "at": now_ms(), "who": who or "console",
                 "action": action, "origin": "console", "filter": json.dumps(used),
                 "count": len(rows), "done": done, "refused": len(refused)}
        self.actions.append(entry)
        return {"action_id": entry["id"], "done": done, "refused": refused}

    # ---- outbox, queues, hosts
    def outbox_summary(self):
        t = self.started
        return {"names": [
            {"message_name": "order.placed", "pending": 12, "oldest_pending_ms": t - 95_000,
             "failing": 0, "last_error": None},
            {"message_name": "billing.invoice.paid", "pending": 3, "oldest_pending_ms": t - 8_000,
             "failing": 2, "last_error": "NO_ROUTE: no binding for billing.invoice.paid on "
                                         "exchange billing.invoice"}],
            "pending_total": 15, "keep_delivered": True}

    def delivered_rows(self, q):
        rows = self.delivered
        for key in ("id", "message_id"):
            if q.get(key):
                rows = [r for r in rows if str(r[key]) == q[key]]
        if q.get("name"):
            rows = [r for r in rows if r["message_name"] == q["name"]]
        if q.get("since"):
            rows = [r for r in rows if r["delivered_at"] >= int(q["since"])]
        if q.get("until"):
            rows = [r for r in rows if r["delivered_at"] < int(q["until"])]
        return rows

    def replay(self, request, who):
        if "ids" in request:
            rows = [r for r in self.delivered if r["id"] in set(request["ids"])]
            used = {"ids": request["ids"]}
        else:
            used = request.get("filter") or {}
            rows = self.delivered_rows({k: str(v) for k, v in used.items() if v is not None})
        self.actions.append({"id": len(self.actions) + 1, "at": now_ms(), "who": who or "console",
                             "action": "replay", "origin": "console", "filter": json.dumps(used),
                             "count": len(rows), "done": len(rows), "refused": 0})
        return {"replayed": len(rows),
                "window": {"until_id": self.delivered[-1]["id"], "until": now_ms()}}

    def queues(self):
        t = now_ms()
        history = {}
        for i, name in enumerate(["billing", "orders", "shipping"]):
            points = []
            for k in range(360, -1, -1):
                at = t - k * 10_000
                phase = at / 600_000.0 + i * 2.1
                ready = int(60 * (i + 1) * (1.1 + math.sin(phase)) + 15 * math.sin(phase * 7.3))
                points.append([at, max(0, ready), int(4 + 3 * math.sin(phase * 3.1 + i))])
            history[name] = points
        last = {name: pts[-1] for name, pts in history.items()}
        return {"queues": [
            {"name": name, "consumer": name, "exists": True, "ready": last[name][1],
             "unacked": last[name][2],
             "consumers": 0 if name == "shipping" else 2,
             "oldest_ms": t - 4_000 * (i + 1) if last[name][1] else None}
            for i, name in enumerate(["billing", "orders", "shipping"])],
            "history": history, "error": None}

    def hosts(self):
        t = now_ms()
        hosts = [
            {"id": "host-a", "version": "0.1.0", "plugin_generation": 3,
             "plugins": ["json 1.0.0", "routing 1.0.0", "orders 1.2.0"],
             "consumers": ["orders", "billing"], "started_at": t - 5 * 3600_000,
             "last_beat": t - 2_000, "state": "up"},
            {"id": "host-b", "version": "0.1.0", "plugin_generation": 2,
             "plugins": ["json 1.0.0", "routing 1.0.0", "orders 1.1.0"],
             "consumers": ["orders", "billing"], "started_at": t - 5 * 3600_000,
             "last_beat": t - 31_000, "state": "late"},
            {"id": "host-c", "version": "0.0.9", "plugin_generation": 1,
             "plugins": ["json 1.0.0", "routing 1.0.0", "orders 1.0.0"],
             "consumers": ["shipping"], "started_at": t - 3 * DAY_MS,
             "last_beat": t - DAY_MS, "state": "gone"}]
        for i, host in enumerate(hosts):
            host.update(hostname=f"app-{i + 1}.example.internal", pid=4100 + i * 17,
                        beat_interval_ms=15_000, stopped_at=None,
                        plugins_differ=host["id"] == "host-b")
        return {"hosts": hosts}


def self_leased(row):
    return bool(row["lease_until"] and row["lease_until"] > now_ms())


def body_of(row):
    """The body the console shows for a row, generated from its id."""
    if row["kind"] == "hex":
        data = bytes((row["id"] * 31 + i * 7) % 256 for i in range(row["size"]))
        lines = []
        for off in range(0, len(data), 16):
            chunk = data[off:off + 16]
            text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            lines.append(f"{off:08x}  {' '.join('%02x' % b for b in chunk):<47}  {text}")
        return {"kind": "hex", "text": "\n".join(lines), "size": row["size"],
                "shown": row["size"], "cut": False, "stored_cut": False}
    if row["stored_cut"]:
        text = '{"order_id": %d, "lines": [' % row["id"] + '{"sku": "A-1", "qty": 1}, ' * 40
        return {"kind": "text", "text": text, "size": row["size"], "shown": len(text),
                "cut": False, "stored_cut": True}
    doc = {"order_id": row["id"], "customer": "customer-%d" % (row["id"] % 17),
           "total": {"amount": "%d.%02d" % (row["id"] % 500, row["id"] % 100), "currency": "EUR"},
           "lines": [{"sku": "A-%d" % i, "qty": 1 + i % 3} for i in range(3)]}
    text = json.dumps(doc, indent=2)
    if row["size"] > MIB:
        text = json.dumps({**doc, "notes": "x" * (MIB - len(text) - 20)}, indent=2)[:MIB]
        return {"kind": "text", "text": text, "size": row["size"], "shown": len(text),
                "cut": True, "stored_cut": False}
    return {"kind": "json", "text": text, "size": len(text), "shown": len(text), "cut": False,
            "stored_cut": False}


def csv_of(rows):
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list)) else v
                             for k, v in row.items()})
    return out.getvalue()


class Handler(BaseHTTPRequestHandler):
    server_version = "msgbus-console-fixture"

    def log_message(self, fmt, *args):
        if os.environ.get("CONSOLE_FIXTURE_LOG"):
            sys.stderr.write("fixture: " + fmt % args + "\n")

    def send(self, status, body, content_type="application/json; charset=utf-8", headers=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CSP)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status, obj):
        self.send(status, json.dumps(obj))

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            if url.path.startswith("/api/"):
                self.api(method, url.path, query)
            elif method == "GET":
                self.asset(url.path)
            else:
                raise ApiError(405, f"{method} {url.path} is not allowed")
        except ApiError as e:
            self.send_json(e.status, e.body)
        except (ValueError, KeyError, TypeError) as e:
            self.send_json(400, {"error": f"bad request: {e}"})

    def asset(self, path):
        name = "index.html" if path in ("/", "/index.html") else (
            path[len("/assets/"):] if path.startswith("/assets/") else None)
        assets = self.server.assets
        if not name or "/" in name or name.startswith(".") or name not in os.listdir(assets):
            raise ApiError(404, f"no file {path}")
        with open(os.path.join(assets, name), "rb") as f:
            data = f.read()
        content_type = CONTENT_TYPES.get(os.path.splitext(name)[1], "application/octet-stream")
        self.send(200, data, content_type)

    def check_post(self):
        if self.headers.get("X-CSRF-Token") != self.server.store.csrf:
            raise ApiError(403, "missing or wrong X-CSRF-Token (GET /api/session gives it)")
        origin = self.headers.get("Origin")
        if origin and origin != f"http://{self.headers.get('Host')}":
            raise ApiError(403, f"origin {origin} is not this console's")
        if self.server.read_only:
            raise ApiError(403, "the console is read-only")
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError as e:
            raise ApiError(400, f"the body is not JSON: {e}")

    def listing(self, query, key, rows, name):
        fmt = query.get("format")
        if fmt == "csv":
            self.send(200, csv_of(rows), "text/csv; charset=utf-8",
                      {"Content-Disposition": f'attachment; filename="{name}.csv"'})
        elif fmt == "json":
            self.send(200, json.dumps({key: rows}), "application/json; charset=utf-8",
                      {"Content-Disposition": f'attachment; filename="{name}.json"'})
        else:
            return False
        return True

    def keyset(self, rows, query, key="id", descending=False):
        after = query.get("after")
        if after:
            rows = [r for r in rows if (r[key] < int(after) if descending else r[key] > int(after))]
        limit = max(1, min(int(query.get("limit") or 50), 500))
        page = rows[:limit]
        return page, (page[-1][key] if len(rows) > limit else None)

    def api(self, method, path, query):
        store = self.server.store
        token = self.server.token
        if token and self.headers.get("Authorization") != f"Bearer {token}":
            raise ApiError(401, "this console needs a token (Authorization: Bearer)")
        with store.lock:
            if method == "POST":
                body = self.check_post()
                if path == "/api/failed/actions":
                    return self.send_json(200, store.act(body, ""))
                if path == "/api/outbox/replay":
                    return self.send_json(200, store.replay(body, ""))
                raise ApiError(404, f"no API at POST {path}")
            if path == "/api/session":
                return self.send_json(200, {"user": "", "read_only": self.server.read_only,
                                            "csrf": store.csrf, "version": "0.1.0",
                                            "trace_url": self.server.trace_url})
            if path == "/api/failed/groups":
                groups = store.groups(query)
                if self.listing(query, "groups", groups, "failed-groups"):
                    return
                page = max(1, int(query.get("page") or 1))
                size = max(1, min(int(query.get("page_size") or 50), 500))
                return self.send_json(200, {"groups": groups[(page - 1) * size:page * size],
                                            "total_groups": len(groups), "page": page,
                                            "page_size": size})
            if path == "/api/failed/messages":
                rows = [store.summary(r) for r in store.selected(query)]
                if self.listing(query, "messages", rows, "failed-messages"):
                    return
                page, next_after = self.keyset(rows, query)
                return self.send_json(200, {"messages": page, "next_after": next_after,
                                            "total": len(rows)})
            if path.startswith("/api/failed/messages/"):
                ident = int(path.rsplit("/", 1)[1])
                row = store.rows.get(ident)
                if not row:
                    raise ApiError(404, f"no failed message {ident}")
                return self.send_json(200, store.message(row, self.server.trace_url))
            if path == "/api/actions":
                rows = sorted(store.actions, key=lambda a: -a["id"])
                if self.listing(query, "actions", rows, "actions"):
                    return
                page, next_after = self.keyset(rows, query, descending=True)
                return self.send_json(200, {"actions": page, "next_after": next_after})
            if path == "/api/outbox/summary":
                return self.send_json(200, store.outbox_summary())
            if path == "/api/outbox/delivered":
                rows = store.delivered_rows(query)
                if self.listing(query, "rows", rows, "outbox-delivered"):
                    return
                page, next_after = self.keyset(rows, query)
                return self.send_json(200, {"rows": page, "next_after": next_after})
            if path == "/api/queues":
                return self.send_json(200, store.queues())
            if path == "/api/hosts":
                return self.send_json(200, store.hosts())
        raise ApiError(404, f"no API at {method} {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", required=True, help="the directory of the console's pages")
    parser.add_argument("--seed", default=os.path.join(HERE, "console_seed.json"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--read-only", action="store_true")
    parser.add_argument("--token", help="the token every API request must carry")
    args = parser.parse_args()
    with open(args.seed) as f:
        seed = json.load(f)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.store = Store(seed)
    server.assets = os.path.abspath(args.assets)
    server.read_only = args.read_only
    server.token = args.token
    server.trace_url = "http://127.0.0.1:16686/trace/{trace_id}"
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/", flush=True)
    print(json.dumps({"special": server.store.special}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
