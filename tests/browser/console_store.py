"""The real console's backend for the browser test: a MariaDB database of its own seeded with
10,000 failed rows in 4 groups (a row whose body was cut when stored, a row a running host holds
and a row older than dedup.retention among them), a running `msgbus run` host with the orders
sample's handlers, and `msgbus console` over the same configuration (plus a read-only console
behind a token).

The services come from the environment tests/support/services.sh prints (MSGBUS_TEST_MYSQL,
MSGBUS_TEST_AMQP_URL, MSGBUS_TEST_AMQP_MANAGEMENT_URL); every name (database, exchange,
queues) is unique to the run, and everything is dropped again by stop().
"""

import base64
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid

DAY_MS = 86_400_000
ROWS_PER_INSERT = 500
WAIT_S = 90  # generous: other builds and tests share the machine's two cores
CONSOLE_TOKEN_BYTES = 24
HOST_ID = "host-a"

# The groups of the seed; the first one is retried by the test and holds the special rows. It
# is the smallest: a host's retry worker runs a retried row in a transaction of its own, some
# 40 rows a second on a busy machine, and the test waits for all of them. {n} is replaced by a number per row (the group's error text varies by numbers
# only, so every row of a group has one fingerprint).
GROUPS = [
    {"message_name": "order.placed", "consumer": "orders", "error_class": "HandlerFailed",
     "error": "payment gateway 10.0.3.{n} did not answer within 3000 ms (order {n})",
     "count": 400},
    {"message_name": "billing.invoice.paid", "consumer": "billing",
     "error_class": "HandlerFailed",
     "error": "Deadlock found when trying to get lock; try restarting transaction (invoice {n})",
     "count": 4000},
    {"message_name": "order.placed", "consumer": "billing", "error_class": "MalformedMessage",
     "error": "the body is not a JSON object: unexpected '<' at offset {n} of "
              "\"<html><img src=x onerror=window.__pwned=1>\"",
     "count": 3000},
    {"message_name": "shipping.label.requested", "consumer": "shipping",
     "error_class": "UnknownMessage",
     "error": "no handler for shipping.label.requested in consumer shipping (attempt {n})",
     "count": 2600},
]
RETRIED_GROUP = 0
# What a host writes in front of the error of a row whose body it could not store whole.
CUT_NOTE = "[body cut: the first 1024 of 2097152 bytes are stored] "


class StoreError(Exception):
    pass


def env(name):
    value = os.environ.get(name)
    if not value:
        raise StoreError(f"{name} is not set: run the test with the services' environment "
                         "(eval \"$(tests/support/services.sh env)\", or ./run test)")
    return value


def sql_text(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


class MariaDb:
    """The mariadb client on one database of the test server (the password in the environment,
    never on a command line)."""

    def __init__(self, connection):
        self.parts = dict(p.split("=", 1) for p in connection.split(";") if "=" in p)
        self.database = None

    def connection(self, database):
        parts = dict(self.parts, db=database)
        return ";".join(f"{k}={v}" for k, v in parts.items())

    def run(self, sql, database=None):
        p = self.parts
        command = ["mariadb", "--batch", "--skip-column-names", f"--host={p['host']}",
                   f"--port={p.get('port', '3306')}", f"--user={p['user']}",
                   "--default-character-set=utf8mb4"]
        if database:
            command.append(f"--database={database}")
        done = subprocess.run(command, input=sql, capture_output=True, text=True,
                              env=dict(os.environ, MYSQL_PWD=p.get("password", "")), timeout=120)
        if done.returncode != 0:
            raise StoreError(f"mariadb on {database or 'the server'}: {done.stderr.strip()}")
        return done.stdout

    def scalar(self, sql, database):
        return int(self.run(sql, database).strip() or 0)


def headers_json(message_id, name, created_ms, trace_id):
    return json.dumps({
        "properties": {"content_type": "application/json", "delivery_mode": 2,
                       "message_id": message_id, "timestamp": created_ms // 1000, "type": name},
        "headers": {"x-message-id": {"S": message_id}, "x-message-name": {"S": name},
                    "x-created-at": {"l": created_ms},
                    "traceparent": {"S": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
                    # A credential a producer left in its headers: the console masks it.
                    "authorization": {"S": "Bearer not-for-operators-eyes"}}},
        separators=(",", ":"))


class SeedRow:
    def __init__(self, group, n, now_ms):
        self.group = group
        self.message_id = str(uuid.uuid4())
        self.order_id = f"o-{group['consumer']}-{n}"
        self.created = now_ms - (n * 37_000) % (3 * DAY_MS) - 60_000
        self.failed = self.created + 5_000
        self.queue = "failed"
        self.available = self.failed
        self.attempts = 4
        self.error = group["error"].replace("{n}", str(n))
        self.body = json.dumps({"orderId": self.order_id, "total": n + 0.5,
                                "lines": [{"sku": f"SKU-{n % 97}", "quantity": 1 + n % 3}]})
        self.leased_by = None

    def values(self):
        g = self.group
        hexid = self.message_id.replace("-", "")
        failed = str(self.failed) if self.failed is not None else "NULL"
        leased_by = sql_text(self.leased_by) if self.leased_by else "NULL"
        return (f"({sql_text(self.queue)},{sql_text('amqp:' + g['consumer'])},UNHEX('{hexid}'),"
                f"{sql_text(g['message_name'])},"
                f"{sql_text(headers_json(self.message_id, g['message_name'], self.created, hexid))},"
                f"FROM_BASE64('{base64.b64encode(self.body.encode()).decode()}'),"
                f"{sql_text(g['error_class'])},{sql_text(self.error)},{self.attempts},"
                f"{self.created},{self.available},{failed},{leased_by})")


def seed_rows(now_ms, retention_ms):
    """The rows of every group; the special rows are the first three of the retried group."""
    rows, special = [], {}
    for index, group in enumerate(GROUPS):
        for n in range(1, group["count"] + 1):
            rows.append(SeedRow(group, n, now_ms))
        if index != RETRIED_GROUP:
            continue
        first = len(rows) - group["count"]
        cut, leased, old = rows[first], rows[first + 1], rows[first + 2]
        cut.error = CUT_NOTE + cut.error
        cut.body = cut.body[:40]
        leased.queue, leased.failed, leased.attempts = "running", None, 2
        leased.available = now_ms + 3_600_000  # a live lease: an hour from now
        leased.leased_by = "host-b"
        old.created = now_ms - retention_ms - DAY_MS
        old.failed = old.available = old.created + 5_000
        special = {"cut_body": first, "leased": first + 1, "old": first + 2}  # indexes for now
    return rows, special


class HostProcess:
    """A child process with its output in a log file; the first stdout line kept when asked."""

    def __init__(self, command, log_path, environment=None, first_line=False):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.first = None
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE if first_line else self.log, stderr=self.log,
            text=True, env=dict(os.environ, **(environment or {})))
        if first_line:
            self.first = self.process.stdout.readline()
            # Keep draining its output into the log so that it never blocks on a full pipe.
            threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.process.stdout:
            self.log.write(line)
            self.log.flush()

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def wait_until(condition, what, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise StoreError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


class RealConsoleBackend:
    """`msgbus console` over a seeded MariaDB store, with a running host (see the module doc)."""

    def __init__(self, msgbus, plugin_dir, artifacts):
        self.msgbus = msgbus
        self.plugin_dir = plugin_dir
        self.artifacts = artifacts
        self.db = MariaDb(env("MSGBUS_TEST_MYSQL"))
        self.amqp_url = env("MSGBUS_TEST_AMQP_URL")
        self.management_url = env("MSGBUS_TEST_AMQP_MANAGEMENT_URL")
        suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
        self.database = f"console_browser_{suffix}"
        self.exchange = f"console_orders_{suffix}"
        self.queues = {"orders": f"console_placed_{suffix}",
                       "confirmations": f"console_confirmed_{suffix}"}
        self.dir = tempfile.mkdtemp(prefix="msgbus-console-browser-")
        self.processes = []
        self.special = {}
        self.token = None
        self.read_only = None
        self.created_database = False

    # -- set-up ------------------------------------------------------------------------------

    def properties(self, extra=None):
        p = {
            "db.connector": "MySQL",
            "db.connection": self.db.connection(self.database),
            "db.pool.max": "8",
            "amqp.url": self.amqp_url,
            "amqp.management.url": self.management_url,
            f"amqp.exchange.{self.exchange}.type": "topic",
            f"amqp.queue.{self.queues['orders']}.bindings": f"{self.exchange}:order.placed",
            f"amqp.queue.{self.queues['confirmations']}.bindings":
                f"{self.exchange}:order.confirmed",
            "plugins.dir": self.plugin_dir,
            "plugins.runtime_dir": os.path.join(self.dir, "runtime-${system.pid}"),
            "plugin.json.library": "libmsgbus-json.so",
            "plugin.routing.library": "libmsgbus-routing.so",
            "plugin.routing.config.exchange": self.exchange,
            "plugin.orders.library": "liborders-handlers.so",
            "bus.serializer": "json",
            "bus.routing": "routing",
            "inbox.consumers": "orders, confirmations",
            "inbox.consumer.orders.queue": self.queues["orders"],
            "inbox.consumer.confirmations.queue": self.queues["confirmations"],
            "outbox.keep_delivered": "true",
            "host.id": HOST_ID,
            "host.heartbeat_ms": "1000",
            "http.port": "0",
            "console.trace_url": "https://tracing.example.com/trace/{trace_id}",
        }
        p.update(extra or {})
        return p

    def write_config(self, name, extra=None):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            for key, value in self.properties(extra).items():
                f.write(f"{key} = {value}\n")
        return path

    def msgbus_command(self, *args):
        done = subprocess.run([self.msgbus, *args], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise StoreError(f"msgbus {' '.join(args)}: exit {done.returncode}\n"
                             f"{done.stdout}{done.stderr}")
        return done.stdout

    def seed(self):
        now_ms = int(time.time() * 1000)
        rows, special_index = seed_rows(now_ms, 7 * DAY_MS)
        sql = ["CREATE TABLE order_projection (order_id VARCHAR(64) PRIMARY KEY, "
               "total DOUBLE NOT NULL, message_id VARCHAR(64) NOT NULL);",
               "CREATE TABLE order_confirmations (order_id VARCHAR(64) PRIMARY KEY);"]
        columns = ("queue_name, source, message_id, message_name, headers, body, error_class, "
                   "error_message, attempts, created_at, available_at, failed_at, leased_by")
        for first in range(0, len(rows), ROWS_PER_INSERT):
            values = ",\n".join(r.values() for r in rows[first:first + ROWS_PER_INSERT])
            sql.append(f"INSERT INTO messenger_messages ({columns}) VALUES\n{values};")
        # A host that beats once a minute, late by three (between 2 and 10 beats: "late"),
        # still on the plugin set before a reload: the hosts page warns about the two sets.
        beat = now_ms - 180_000
        sql.append("INSERT INTO msgbus_hosts (id, instance, hostname, pid, version, "
                   "plugin_generation, plugins, consumers, beat_interval_ms, started_at, "
                   f"last_beat) VALUES ('host-b', '{secrets.token_hex(16)}', 'worker-2', 4242, "
                   "'0.9.0', 1, '[\"orders-handlers 0.9.0\"]', '[\"orders\"]', 60000, "
                   f"{beat - DAY_MS}, {beat});")
        self.db.run("\n".join(sql), self.database)
        ids = self.db.run("SELECT id FROM messenger_messages ORDER BY id", self.database).split()
        self.special = {kind: int(ids[i]) for kind, i in special_index.items()}
        # The old row (refused by the retry for its age) heads a parked key of an ordered
        # consumer: its page offers Skip, which keeps it failed and releases the key.
        self.parked_head = self.special["old"]
        self.db.run("INSERT INTO message_broker_deduplication_sequences (consumer, "
                    "partition_key, head_message_id, opened_at) SELECT 'orders', 'customer-42', "
                    f"message_id, {now_ms} FROM messenger_messages WHERE id = "
                    f"{self.parked_head}", self.database)
        self.retried_orders = {r.order_id for r in rows if r.group is GROUPS[RETRIED_GROUP]}

    def start(self):
        self.db.run(f"CREATE DATABASE {self.database} CHARACTER SET utf8mb4")
        self.created_database = True
        config = self.write_config("msgbus.properties")
        self.msgbus_command("setup", "--config", config)
        self.seed()
        # Groups the seeded rows (their failure_group), as it does for rows of an older msgbus.
        self.msgbus_command("setup", "--config", config, "--schema-only")
        host = self.spawn(["run", "--config", config], "host.log")
        wait_until(lambda: "started:" in host.log_text() or host.process.poll() is not None,
                   "the host to start")
        if host.process.poll() is not None:
            raise StoreError(f"msgbus run exited:\n{host.log_text()[-3000:]}")
        return self.console(config, "console.log", "127.0.0.1:0")

    def spawn(self, args, log, environment=None, first_line=False):
        process = HostProcess([self.msgbus, *args], os.path.join(self.artifacts, log),
                              environment, first_line)
        self.processes.append(process)
        return process

    def console(self, config, log, listen, environment=None):
        process = self.spawn(["console", "--config", config, "--listen", listen], log,
                             environment, first_line=True)
        match = re.search(r"on (http://\S+/)", process.first or "")
        if not match:
            process.stop()
            raise StoreError(f"msgbus console did not start: {process.first!r}\n"
                             f"{process.log_text()[-3000:]}")
        return match.group(1)

    def read_only_backend(self):
        """A read-only console beyond loopback (so it asks for a token) over the same store."""
        return ReadOnlyConsole(self)

    # -- what the test asks --------------------------------------------------------------------

    def parked_key_released(self):
        """True when the seeded parked key no longer waits for its head: resolved, or already
        closed by the running host's release (nothing was parked behind it)."""
        return self.db.scalar("SELECT COUNT(*) FROM message_broker_deduplication_sequences "
                              "WHERE partition_key = 'customer-42' AND head_message_id IS NOT "
                              "NULL", self.database) == 0

    def rows_handled(self, done):
        """Waits until the running host has handled the retried rows: the orders handler's
        projection holds a row for each (and the failed table no longer holds them)."""
        quoted = ",".join(sql_text(o) for o in sorted(self.retried_orders))
        count = lambda: self.db.scalar(
            f"SELECT COUNT(*) FROM order_projection WHERE order_id IN ({quoted})", self.database)
        try:
            wait_until(lambda: count() >= done, f"the host to handle {done} retried rows")
        except StoreError:
            raise StoreError(f"the host handled {count()} of {done} retried rows")
        return count()

    # -- tear-down ---------------------------------------------------------------------------

    def stop(self):
        for process in reversed(self.processes):
            process.stop()
        self.processes = []
        if self.created_database:
            try:
                self.db.run(f"DROP DATABASE IF EXISTS {self.database}")
            except StoreError as e:
                print(f"could not drop {self.database}: {e}")
            self.created_database = False
        for queue in self.queues.values():
            self.management("DELETE", f"queues/%2f/{queue}")
        self.management("DELETE", f"exchanges/%2f/{self.exchange}")
        shutil.rmtree(self.dir, ignore_errors=True)

    def management(self, method, path):
        url = urllib.parse.urlsplit(self.management_url)
        amqp = urllib.parse.urlsplit(self.amqp_url)
        request = urllib.request.Request(f"{url.scheme}://{url.hostname}:{url.port}/api/{path}",
                                         method=method)
        user = urllib.parse.unquote(url.username or amqp.username or "guest")
        password = urllib.parse.unquote(url.password or amqp.password or "guest")
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {auth}")
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except Exception as e:  # a queue the host never declared is no failure of the test
            print(f"management {method} {path}: {e}")


class ReadOnlyConsole:
    """A second console over the store of a RealConsoleBackend: read-only, bound beyond
    loopback so that it asks for a token (the browser still reaches it on 127.0.0.1)."""

    def __init__(self, backend):
        self.backend = backend
        self.token = secrets.token_urlsafe(CONSOLE_TOKEN_BYTES)
        self.special = {}

    def start(self):
        b = self.backend
        config = b.write_config("read-only.properties", {"console.read_only": "true"})
        url = b.console(config, "console-read-only.log", "0.0.0.0:0",
                        {"MSGBUS_CONSOLE_TOKEN": self.token})
        return url.replace("://0.0.0.0:", "://127.0.0.1:")

    def stop(self):
        pass  # the backend stops every process it started
